/*
 * log_vpopmail - vpopmail's vchkpw ("vpopmail[pid]: vchkpw-pop3: ...").
 *
 * The service is in the log name (vchkpw-pop3, -pop3s, -imap, -imaps,
 * -smtp, -smtps, -submission, -webmail), the tail is "user@domain:ip".
 * Events: auth_failure ("password fail", "vpopmail user not found"
 * (unknown_user), "null password given", "system password fail"),
 * plaintext_login / auth_success ("(MECH) login success": PLAIN/LOGIN over
 * a port without TLS is cleartext; APOP and CRAM-MD5 are challenge-response).
 * With ENABLE_LOGGING 3/4 vchkpw writes the password itself ("(pass: '...')"):
 * it is never copied out.
 */
#include "parser_int.h"

bool log_vpopmail_match(const struct logline *ll)
{
    return SLICE_EQ(ll->program, "vpopmail") || SCAN_STARTS(ll->program.p, ll->program.n, "vchkpw");
}

int log_vpopmail_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    (void)p;
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    const char *end = s + n;
    struct mw_slice svc;
    if (SCAN_STARTS(s, n, "vchkpw-")) {
        svc = scan_until(s + 7, end, ":");
        if (svc.p + svc.n + 2 > end)
            return 0;
        s = svc.p + svc.n + 2;
        n = (size_t)(end - s);
    } else if (SCAN_STARTS(ll->program.p, ll->program.n, "vchkpw-")) {
        svc = MW_SLICE(ll->program.p + 7, ll->program.n - 7);
    } else {
        return 0;
    }
    bool tls = svc.n && svc.p[svc.n - 1] == 's'; /* pop3s, imaps, smtps */
    if (SLICE_EQ(svc, "pop3") || SLICE_EQ(svc, "pop3s"))
        ev->service = MW_SVC_POP3;
    else if (SLICE_EQ(svc, "imap") || SLICE_EQ(svc, "imaps"))
        ev->service = MW_SVC_IMAP;
    else if (SLICE_EQ(svc, "smtp"))
        ev->service = MW_SVC_SMTP;
    else if (SLICE_EQ(svc, "smtps") || SLICE_EQ(svc, "submission"))
        ev->service = MW_SVC_SUBMISSION;
    /* the tail: last token "user@domain:ip" or "user:ip" */
    const char *t = end;
    while (t > s && t[-1] != ' ')
        t--;
    const char *at = memchr(t, '@', (size_t)(end - t));
    const char *colon = memchr(at ? at : t, ':', (size_t)(end - (at ? at : t)));
    if (!colon)
        return 0;
    ev->account = MW_SLICE(t, (size_t)(colon - t));
    ev->ip = scan_strip_v4mapped(MW_SLICE(colon + 1, (size_t)(end - colon - 1)));
    if (!scan_looks_ip(ev->ip.p, ev->ip.n))
        return 0;
    if (SCAN_STARTS(s, n, "password fail") || SCAN_STARTS(s, n, "system password fail") ||
        SCAN_STARTS(s, n, "null password given")) {
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->reason = MW_SLICE_LIT("password_mismatch");
    } else if (SCAN_STARTS(s, n, "vpopmail user not found")) {
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->reason = MW_SLICE_LIT("unknown_user");
    } else if (s[0] == '(' && SCAN_FIND(s, n, ") login success ")) {
        const char *rp = memchr(s, ')', n);
        ev->method = MW_SLICE(s + 1, (size_t)(rp - s - 1));
        bool clear = SLICE_EQ(ev->method, "PLAIN") || SLICE_EQ(ev->method, "LOGIN");
        ev->tls = tls ? 1 : 0;
        ev->kind = (clear && !tls) ? MW_KIND_PLAINTEXT_LOGIN : MW_KIND_AUTH_SUCCESS;
        return 1;
    } else {
        return 0; /* "pop access denied" (password was right), "user has no password" */
    }
    ev->attempts = 1;
    if (ev->account.n == 0)
        ev->account = (struct mw_slice){NULL, 0};
    return 1;
}
