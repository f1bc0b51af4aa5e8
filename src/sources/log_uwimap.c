/*
 * log_uwimap - UW-IMAP and Panda IMAP (imapd, ipop3d, ipop2d).
 *
 * Events: auth_failure ("Login failed user=U auth=A host=H [IP]", "Login
 * excessive login failures ..." (policy_reject: the password was not
 * checked), "Login disabled ..." (plaintext_disallowed), "Login SYSTEM
 * BREAK-IN ATTEMPT ...", "AUTHENTICATE MECH failure host=[IP]", "Failed
 * uwmaster override of user=U host=..."), auth_success ("Login user=U
 * host=...", "Authenticated user=U host=... [mech=M]", ipop3d "Auth user=",
 * "APOP user="). UW never logs whether TLS was used, so tls stays unknown
 * and a successful LOGIN is auth_success, not plaintext_login.
 * Login failures go to the auth facility: read auth.log too.
 */
#include "parser_int.h"

bool log_uwimap_match(const struct logline *ll)
{
    struct mw_slice p = ll->program;
    return SLICE_EQ(p, "ipop3d") || SLICE_EQ(p, "ipop2d") || SLICE_EQ(p, "imapd");
}

/* "user=VALUE" up to " auth=" / " host=" (the value may hold spaces or ':') */
static struct mw_slice user_value(const char *s, const char *end)
{
    const char *u = memmem(s, (size_t)(end - s), "user=", 5);
    if (!u)
        return (struct mw_slice){NULL, 0};
    const char *v = u + 5;
    const char *a = memmem(v, (size_t)(end - v), " auth=", 6);
    const char *h = memmem(v, (size_t)(end - v), " host=", 6);
    const char *stop = a && (!h || a < h) ? a : h ? h : end;
    while (stop > v && stop[-1] == ' ')
        stop--;
    return MW_SLICE(v, (size_t)(stop - v));
}

int log_uwimap_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    (void)p;
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    const char *end = s + n;
    ev->service = SCAN_FIND(ll->program.p, ll->program.n, "pop") ? MW_SVC_POP3 : MW_SVC_IMAP;
    const char *host = SCAN_FIND(s, n, "host=");
    if (!host || !scan_bracket_ip(host, end, &ev->ip))
        return 0;
    if (SCAN_STARTS(s, n, "Login ") && !SCAN_STARTS(s, n, "Login user=")) {
        /* "Login failed|excessive login failures|disabled|SYSTEM BREAK-IN ATTEMPT user=..." */
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->attempts = 1;
        if (SCAN_STARTS(s, n, "Login excessive login failures"))
            ev->reason = MW_SLICE_LIT("policy_reject");
        else if (SCAN_STARTS(s, n, "Login disabled"))
            ev->reason = MW_SLICE_LIT("plaintext_disallowed");
        else if (!SCAN_STARTS(s, n, "Login failed") && !SCAN_STARTS(s, n, "Login SYSTEM BREAK-IN"))
            return 0;
        ev->account = user_value(s, end);
        return 1;
    }
    if (SCAN_STARTS(s, n, "Failed uwmaster override of ")) {
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->attempts = 1;
        ev->account = user_value(s, end);
        return 1;
    }
    if (SCAN_STARTS(s, n, "AUTHENTICATE ")) {
        const char *m = s + 13;
        struct mw_slice mech = scan_until(m, end, " ");
        if (!SCAN_STARTS(m + mech.n, (size_t)(end - m - mech.n), " failure"))
            return 0; /* "invalid": an unsupported mechanism, no password tried */
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->attempts = 1;
        ev->method = mech;
        return 1;
    }
    const char *rest = s;
    if (SCAN_STARTS(s, n, "Admin "))
        rest = s + 6;
    size_t rl = (size_t)(end - rest);
    if (SCAN_STARTS(rest, rl, "Login user=") || SCAN_STARTS(rest, rl, "Authenticated user=") ||
        SCAN_STARTS(rest, rl, "Auth user=") || SCAN_STARTS(rest, rl, "APOP user=")) {
        ev->kind = MW_KIND_AUTH_SUCCESS;
        ev->account = user_value(rest, end);
        struct mw_slice mech = SCAN_KV(rest, rl, "mech=", " ");
        if (mech.n)
            ev->method = mech;
        else if (SCAN_STARTS(rest, rl, "APOP"))
            ev->method = MW_SLICE_LIT("APOP");
        return 1;
    }
    return 0;
}
