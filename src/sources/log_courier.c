/*
 * log_courier - Courier IMAP/POP3 (imapd, imapd-ssl, pop3d, pop3d-ssl,
 * courierpop3login) and courieresmtpd. Because "imapd" is also UW-IMAP's and
 * sometimes Cyrus's name, lines under these names that are not Courier's go
 * on to the UW-IMAP and Cyrus parsers.
 *
 * Events: auth_failure ("LOGIN FAILED, user=U, ip=[IP]..." and "LOGIN FAILED,
 * method=M, ip=[IP]"; courieresmtpd "error,relay=IP,...,msg=\"535 ...\",cmd:
 * AUTH MECH [initial] [user]"), auth_success / plaintext_login ("LOGIN,
 * user=U, ip=[IP], port=[P], protocol=IMAP[, starttls=1]"; TLS is starttls=1,
 * stls=1 or an -ssl service). Courier's line does not name the mechanism, so
 * a login without TLS is taken as cleartext.
 *
 * Known false positive, accepted: a LOGIN FAILED immediately followed by
 * "authentication error: ..." was authdaemond failing, not the password.
 * The base64 that old courieresmtpd logged after "cmd:" (for AUTH LOGIN the
 * password itself) is never copied out.
 */
#include "parser_int.h"

bool log_courier_match(const struct logline *ll)
{
    struct mw_slice p = ll->program;
    return SLICE_EQ(p, "imapd") || SLICE_EQ(p, "imapd-ssl") || SLICE_EQ(p, "pop3d") ||
           SLICE_EQ(p, "pop3d-ssl") || SCAN_STARTS(p.p, p.n, "courier");
}

static struct mw_slice bracket_value(const char *s, size_t n, const char *key, size_t keylen)
{
    struct mw_slice v = scan_kv(s, n, key, keylen, "]");
    if (v.p)
        v = scan_strip_v4mapped(v);
    return v;
}
#define BRACKET(s, n, k) bracket_value((s), (n), (k), sizeof(k) - 1)

static int courier_login(const struct logline *ll, const char *s, size_t n, struct mw_event *ev)
{
    struct mw_slice prog = ll->program;
    bool ssl = prog.n > 4 && memcmp(prog.p + prog.n - 4, "-ssl", 4) == 0;
    ev->service = (SCAN_FIND(prog.p, prog.n, "pop3")) ? MW_SVC_POP3 : MW_SVC_IMAP;
    ev->ip = BRACKET(s, n, "ip=[");
    if (!ev->ip.n || !scan_looks_ip(ev->ip.p, ev->ip.n))
        return 0;
    struct mw_slice user = SCAN_KV(s, n, "user=", ",");
    if (user.n)
        ev->account = user;
    if (SCAN_STARTS(s, n, "LOGIN FAILED, ")) {
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->attempts = 1;
        ev->tls = ssl ? 1 : -1;
        struct mw_slice m = SCAN_KV(s, n, "method=", ",");
        if (m.n)
            ev->method = m;
        return 1;
    }
    /* "LOGIN, user=..." */
    bool tls = ssl || SCAN_FIND(s, n, "starttls=1") || SCAN_FIND(s, n, "stls=1");
    ev->tls = tls ? 1 : 0;
    ev->kind = tls ? MW_KIND_AUTH_SUCCESS : MW_KIND_PLAINTEXT_LOGIN;
    return user.n ? 1 : 0;
}

static int courier_esmtpd(const struct logline *ll, const char *s, size_t n, struct mw_event *ev)
{
    /* error,relay=::ffff:203.0.113.96,port=51000,msg="535 Authentication failed.",cmd: AUTH LOGIN user */
    const char *end = s + n;
    if (!SCAN_FIND(s, n, "msg=\"535"))
        return 0;
    struct mw_slice relay = SCAN_KV(s, n, "relay=", ",");
    if (!relay.n)
        return 0;
    ev->ip = scan_strip_v4mapped(relay);
    if (!scan_looks_ip(ev->ip.p, ev->ip.n))
        return 0;
    ev->kind = MW_KIND_AUTH_FAILURE;
    ev->attempts = 1;
    ev->service = SCAN_FIND(ll->program.p, ll->program.n, "msa") ? MW_SVC_SUBMISSION : MW_SVC_SMTP;
    const char *cmd = SCAN_FIND(s, n, ",cmd: AUTH ");
    if (cmd) {
        /* tokens: AUTH MECH [initial-response] [userid]; a user id is the
         * 4th token, or a 3rd token holding '@' (base64 never does) */
        const char *p = cmd + 11;
        struct mw_slice tok[3];
        int nt = 0;
        while (p < end && nt < 3) {
            while (p < end && *p == ' ')
                p++;
            if (p >= end)
                break;
            tok[nt] = scan_until(p, end, " ");
            p += tok[nt].n;
            nt++;
        }
        if (nt >= 1)
            ev->method = tok[0];
        if (nt == 3)
            ev->account = tok[2];
        else if (nt == 2 && memchr(tok[1].p, '@', tok[1].n))
            ev->account = tok[1];
    }
    return 1;
}


int log_courier_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    if (SCAN_STARTS(s, n, "LOGIN FAILED, ") || SCAN_STARTS(s, n, "LOGIN, "))
        return courier_login(ll, s, n, ev);
    if (SCAN_STARTS(s, n, "error,relay="))
        return courier_esmtpd(ll, s, n, ev);
    if (SCAN_STARTS(s, n, "badlogin: ") || SCAN_STARTS(s, n, "login: "))
        return log_cyrus_parse(p, ll, ev);
    return log_uwimap_parse(p, ll, ev);
}
