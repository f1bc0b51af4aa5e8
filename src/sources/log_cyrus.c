/*
 * log_cyrus - Cyrus IMAP/POP3/sieve ("cyrus/imap[pid]", "imaps", "pop3",
 * "pop3s", "cyrus/sieve", "timsieved"), versions 2.5 to 3.13.
 *
 * Events: auth_failure from "badlogin:" (3.2+ "plaintext (user) [reason]",
 * <=3.0 "plaintext user reason", AUTHENTICATE "MECH [reason]" without a user,
 * pop3 APOP whose parenthesis is the challenge, not a user; timsieved
 * "host[ip] MECH authentication failure"; 3.13 "event=login.bad"), but not
 * for SASL(-1) generic failures (saslauthd unreachable: server-side);
 * auth_success / plaintext_login from "login: host [ip] user MECH[+TLS] User
 * logged in" and 3.13 "event=login.good ... login.tls=0|1".
 */
#include "parser_int.h"

static const char *last_component(struct mw_slice prog, size_t *n)
{
    const char *p = prog.p;
    for (size_t i = prog.n; i > 0; i--)
        if (prog.p[i - 1] == '/') {
            p = prog.p + i;
            break;
        }
    *n = (size_t)(prog.p + prog.n - p);
    return p;
}

bool log_cyrus_match(const struct logline *ll)
{
    struct mw_slice pr = ll->program;
    if (SCAN_STARTS(pr.p, pr.n, "cyrus/"))
        return true;
    return SLICE_EQ(pr, "imap") || SLICE_EQ(pr, "imaps") || SLICE_EQ(pr, "pop3") ||
           SLICE_EQ(pr, "pop3s") || SLICE_EQ(pr, "timsieved") || SLICE_EQ(pr, "sieve");
}

/* service and implicit TLS from the program's last component */
static void cyrus_service(struct mw_slice prog, struct mw_event *ev, bool *implicit_tls)
{
    size_t n;
    const char *c = last_component(prog, &n);
    struct mw_slice w = MW_SLICE(c, n);
    *implicit_tls = false;
    if (SLICE_EQ(w, "imap") || SLICE_EQ(w, "imapd")) {
        ev->service = MW_SVC_IMAP;
    } else if (SLICE_EQ(w, "imaps")) {
        ev->service = MW_SVC_IMAP;
        *implicit_tls = true;
    } else if (SLICE_EQ(w, "pop3") || SLICE_EQ(w, "pop3d")) {
        ev->service = MW_SVC_POP3;
    } else if (SLICE_EQ(w, "pop3s")) {
        ev->service = MW_SVC_POP3;
        *implicit_tls = true;
    } else if (SLICE_EQ(w, "sieve") || SLICE_EQ(w, "timsieved")) {
        ev->service = MW_SVC_SIEVE;
    }
}

static bool is_cleartext_mech(struct mw_slice m)
{
    return SLICE_EQ(m, "plaintext") || SLICE_EQ(m, "PLAIN") || SLICE_EQ(m, "LOGIN") ||
           SLICE_EQ(m, "plain") || SLICE_EQ(m, "login");
}

static struct mw_slice reason_of(const char *s, size_t n)
{
    if (SCAN_FIND(s, n, "invalid user") || SCAN_FIND(s, n, "SASL(-20)") ||
        SCAN_FIND(s, n, "user not found"))
        return MW_SLICE_LIT("unknown_user");
    return MW_SLICE_LIT("password_mismatch");
}

static int badlogin(const char *s, size_t n, struct mw_event *ev)
{
    const char *end = s + n;
    if (SCAN_FIND(s, n, "SASL(-1)") || SCAN_FIND(s, n, "generic failure"))
        return 0; /* saslauthd unreachable and friends: server-side */
    if (SCAN_FIND(s, n, "anonymous login refused"))
        return 0;
    const char *lb = memchr(s, '[', n);
    if (!lb || !scan_bracket_ip(lb, end, &ev->ip))
        return 0;
    const char *rb = memchr(lb, ']', (size_t)(end - lb));
    const char *p = rb + 1;
    while (p < end && *p == ' ')
        p++;
    struct mw_slice mech = scan_until(p, end, " ");
    ev->method = mech;
    p += mech.n;
    while (p < end && *p == ' ')
        p++;
    if (p < end && *p == '(') {
        const char *cp = memchr(p, ')', (size_t)(end - p));
        if (cp && !SLICE_EQ(mech, "APOP"))
            ev->account = MW_SLICE(p + 1, (size_t)(cp - p - 1));
    } else if (p < end && *p != '[' && is_cleartext_mech(mech) && !SCAN_STARTS(p, (size_t)(end - p), "SASL") &&
               !SCAN_STARTS(p, (size_t)(end - p), "authentication failure")) {
        /* <=3.0: "plaintext user reason" */
        ev->account = scan_until(p, end, " ");
    }
    ev->kind = MW_KIND_AUTH_FAILURE;
    ev->attempts = 1;
    ev->reason = reason_of(p, (size_t)(end - p));
    if (ev->account.p && ev->account.n == 0)
        ev->account = (struct mw_slice){NULL, 0};
    return 1;
}

static int login(const char *s, size_t n, bool implicit_tls, struct mw_event *ev)
{
    /* "host [ip] user MECH[+TLS] User logged in SESSIONID=<...>" */
    const char *end = s + n;
    const char *lb = memchr(s, '[', n);
    if (!lb || !scan_bracket_ip(lb, end, &ev->ip) || !SCAN_FIND(s, n, "User logged in"))
        return 0;
    const char *p = memchr(lb, ']', (size_t)(end - lb)) + 1;
    while (p < end && *p == ' ')
        p++;
    ev->account = scan_until(p, end, " ");
    p += ev->account.n;
    while (p < end && *p == ' ')
        p++;
    struct mw_slice mech = scan_until(p, end, " ");
    bool tls = implicit_tls;
    if (mech.n > 4 && memcmp(mech.p + mech.n - 4, "+TLS", 4) == 0) {
        tls = true;
        mech.n -= 4;
    }
    ev->method = mech;
    ev->tls = tls ? 1 : 0;
    const char *sid = SCAN_FIND(s, n, "SESSIONID=<");
    if (sid) {
        const char *e = memchr(sid, '>', (size_t)(end - sid));
        if (e)
            ev->session = MW_SLICE(sid + 11, (size_t)(e - sid - 11));
    }
    ev->kind = (!tls && is_cleartext_mech(mech)) ? MW_KIND_PLAINTEXT_LOGIN : MW_KIND_AUTH_SUCCESS;
    return ev->account.n ? 1 : 0;
}

/* 3.13 logfmt: key=value, values with spaces double-quoted */
static struct mw_slice logfmt(const char *s, size_t n, const char *key, size_t keylen)
{
    struct mw_slice v = scan_kv(s, n, key, keylen, " ");
    if (v.p && v.n && v.p[0] == '"') {
        const char *end = s + n;
        const char *q = memchr(v.p + 1, '"', (size_t)(end - v.p - 1));
        return MW_SLICE(v.p + 1, (size_t)((q ? q : end) - v.p - 1));
    }
    return v;
}
#define LOGFMT(s, n, k) logfmt((s), (n), (k), sizeof(k) - 1)

static int logfmt_event(const char *s, size_t n, bool implicit_tls, struct mw_event *ev)
{
    bool good = SCAN_STARTS(s, n, "event=login.good");
    struct mw_slice host = LOGFMT(s, n, "r.clienthost=");
    if (!host.p || !scan_bracket_ip(host.p, host.p + host.n, &ev->ip))
        return 0;
    struct mw_slice user = LOGFMT(s, n, "u.username=");
    if (user.n)
        ev->account = user;
    struct mw_slice mech = LOGFMT(s, n, "login.mech=");
    if (mech.n)
        ev->method = mech;
    if (good) {
        struct mw_slice t = LOGFMT(s, n, "login.tls=");
        bool tls = implicit_tls || SLICE_EQ(t, "1");
        ev->tls = tls ? 1 : 0;
        struct mw_slice sid = LOGFMT(s, n, "r.sessionid=");
        if (sid.n)
            ev->session = sid;
        ev->kind = (!tls && is_cleartext_mech(mech)) ? MW_KIND_PLAINTEXT_LOGIN : MW_KIND_AUTH_SUCCESS;
        return 1;
    }
    struct mw_slice err = LOGFMT(s, n, "error=");
    if (err.p && (SCAN_FIND(err.p, err.n, "SASL(-1)") || SCAN_FIND(err.p, err.n, "generic failure")))
        return 0;
    ev->kind = MW_KIND_AUTH_FAILURE;
    ev->attempts = 1;
    ev->reason = err.p ? reason_of(err.p, err.n) : MW_SLICE_LIT("password_mismatch");
    return 1;
}

int log_cyrus_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    (void)p;
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    bool implicit_tls;
    cyrus_service(ll->program, ev, &implicit_tls);
    if (SCAN_STARTS(s, n, "badlogin: ")) {
        if (!badlogin(s + 10, n - 10, ev))
            return 0;
        if (implicit_tls)
            ev->tls = 1;
        return 1;
    }
    if (SCAN_STARTS(s, n, "login: "))
        return login(s + 7, n - 7, implicit_tls, ev);
    if (SCAN_STARTS(s, n, "event=login."))
        return logfmt_event(s, n, implicit_tls, ev);
    return 0;
}
