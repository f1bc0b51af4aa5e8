/*
 * log_solidpop3d - solid-pop3d ("solid-pop3d[pid]: ...").
 *
 * solid-pop3d has no TLS: every USER/PASS success is a cleartext login.
 * The " - HOST" tail exists only when built with LOG_EXTEND; HOST is "ip" or
 * "name (ip)". Events: auth_failure ("authentication failed: no such user:
 * U", "... can't map user name: U" (unknown_user), "authentication failed
 * for [mapped ]user U", "APOP authentication failed for user U", "can't find
 * APOP secret for user U"), plaintext_login ("[mapped ]user U authenticated"),
 * auth_success ("user U authenticated through APOP"). A correct root
 * password ("user root authenticated", then "root login not allowed") is a
 * plaintext_login like any other: the password crossed in clear.
 */
#include "parser_int.h"

bool log_solidpop3d_match(const struct logline *ll)
{
    return SLICE_EQ(ll->program, "solid-pop3d") || SLICE_EQ(ll->program, "solid_pop3d");
}

/* split "WHAT - HOST" at the last " - "; returns the end of WHAT */
static const char *host_tail(const char *s, const char *end, struct mw_event *ev)
{
    const char *dash = NULL;
    for (const char *q = end - 3; q >= s; q--)
        if (q[0] == ' ' && q[1] == '-' && q[2] == ' ') {
            dash = q;
            break;
        }
    if (!dash)
        return end;
    const char *h = dash + 3;
    const char *lp = memchr(h, '(', (size_t)(end - h));
    struct mw_slice ip;
    if (lp && end[-1] == ')')
        ip = MW_SLICE(lp + 1, (size_t)(end - 1 - lp - 1));
    else
        ip = MW_SLICE(h, (size_t)(end - h));
    ip = scan_strip_v4mapped(ip);
    if (scan_looks_ip(ip.p, ip.n))
        ev->ip = ip;
    return dash;
}

/* the word after `prefix` up to a space or the end */
static struct mw_slice word_after(const char *s, const char *end, const char *prefix, size_t plen)
{
    const char *w = memmem(s, (size_t)(end - s), prefix, plen);
    if (!w)
        return (struct mw_slice){NULL, 0};
    return scan_until(w + plen, end, " ");
}
#define WORD_AFTER(s, e, lit) word_after((s), (e), (lit), sizeof(lit) - 1)

int log_solidpop3d_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    (void)p;
    const char *s = ll->msg.p;
    const char *end = host_tail(s, s + ll->msg.n, ev);
    size_t n = (size_t)(end - s);
    ev->service = MW_SVC_POP3;
    ev->tls = 0;
    if (SCAN_STARTS(s, n, "authentication failed: no such user: ") ||
        SCAN_STARTS(s, n, "authentication failed: can't map user name: ")) {
        const char *colon = s + n;
        while (colon > s && colon[-1] != ' ')
            colon--;
        ev->account = MW_SLICE(colon, (size_t)(s + n - colon));
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->reason = MW_SLICE_LIT("unknown_user");
    } else if (SCAN_STARTS(s, n, "authentication failed for ") ||
               SCAN_STARTS(s, n, "APOP authentication failed for user ") ||
               SCAN_STARTS(s, n, "can't find APOP secret for user ")) {
        ev->account = WORD_AFTER(s, end, "user ");
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->reason = MW_SLICE_LIT("password_mismatch");
        if (SCAN_STARTS(s, n, "APOP") || SCAN_STARTS(s, n, "can't find APOP"))
            ev->method = MW_SLICE_LIT("APOP");
    } else if ((SCAN_STARTS(s, n, "user ") || SCAN_STARTS(s, n, "mapped user ")) &&
               SCAN_FIND(s, n, " authenticated")) {
        ev->account = WORD_AFTER(s, end, "user ");
        if (SCAN_FIND(s, n, "authenticated through APOP")) {
            ev->kind = MW_KIND_AUTH_SUCCESS;
            ev->method = MW_SLICE_LIT("APOP");
        } else {
            ev->kind = MW_KIND_PLAINTEXT_LOGIN;
            ev->method = MW_SLICE_LIT("USER");
        }
    } else {
        return 0;
    }
    if (ev->kind == MW_KIND_AUTH_FAILURE)
        ev->attempts = 1;
    if (!ev->account.n)
        ev->account = (struct mw_slice){NULL, 0};
    return 1;
}
