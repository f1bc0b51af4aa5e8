/*
 * log_perdition - the perdition IMAP/POP3 proxy ("perdition.imap4[pid]",
 * "perdition.imaps", "perdition.pop3", "perdition.pop3s",
 * "perdition.managesieve", "perdition").
 *
 * One line per login: "Auth: FROM:PORT->TO:PORT client-secure=ssl|starttls|
 * plaintext authorisation_id=... authentication_id=\"U\" server=\"...\"
 * protocol=IMAP4 server-secure=... status=\"ok\"|\"failed: REASON\"".
 * status ok -> auth_success (TLS) or plaintext_login; failed -> auth_failure,
 * except "Could not connect to server" (the back end is down: server-side);
 * "Login Disabled" from a plaintext client -> plaintext_disallowed.
 */
#include "parser_int.h"

bool log_perdition_match(const struct logline *ll)
{
    return SCAN_STARTS(ll->program.p, ll->program.n, "perdition");
}

static struct mw_slice quoted(const char *s, size_t n, const char *key, size_t keylen)
{
    struct mw_slice v = scan_kv(s, n, key, keylen, "\"");
    return v;
}
#define QUOTED(s, n, k) quoted((s), (n), (k), sizeof(k) - 1)

int log_perdition_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    (void)p;
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    const char *end = s + n;
    if (!SCAN_STARTS(s, n, "Auth: "))
        return 0;
    /* "203.0.113.150:51000->192.0.2.10:993": the port is after the LAST ':' */
    const char *from = s + 6;
    while (from < end && *from == ' ')
        from++;
    const char *arrow = memmem(from, (size_t)(end - from), "->", 2);
    if (!arrow)
        return 0;
    const char *colon = NULL;
    for (const char *q = arrow - 1; q > from; q--)
        if (*q == ':') {
            colon = q;
            break;
        }
    ev->ip = scan_strip_v4mapped(MW_SLICE(from, (size_t)((colon ? colon : arrow) - from)));
    if (!scan_looks_ip(ev->ip.p, ev->ip.n))
        return 0;
    struct mw_slice user = QUOTED(s, n, "authentication_id=\"");
    if (user.n)
        ev->account = user;
    struct mw_slice proto = SCAN_KV(s, n, "protocol=", " ");
    if (SCAN_STARTS(proto.p, proto.n, "POP3"))
        ev->service = MW_SVC_POP3;
    else if (SCAN_STARTS(proto.p, proto.n, "IMAP"))
        ev->service = MW_SVC_IMAP;
    else if (SLICE_EQ(proto, "MANAGESIEVE"))
        ev->service = MW_SVC_SIEVE;
    struct mw_slice sec = SCAN_KV(s, n, "client-secure=", " ");
    bool tls = sec.n && !SLICE_EQ(sec, "plaintext");
    ev->tls = sec.n ? (tls ? 1 : 0) : -1;
    struct mw_slice status = QUOTED(s, n, "status=\"");
    if (SLICE_EQ(status, "ok")) {
        ev->kind = tls ? MW_KIND_AUTH_SUCCESS : MW_KIND_PLAINTEXT_LOGIN;
        return 1;
    }
    if (!SCAN_STARTS(status.p, status.n, "failed"))
        return 0;
    if (SCAN_FIND(status.p, status.n, "Could not connect to server"))
        return 0;
    ev->kind = MW_KIND_AUTH_FAILURE;
    ev->attempts = 1;
    if (SCAN_FIND(status.p, status.n, "Login Disabled"))
        ev->reason = MW_SLICE_LIT("plaintext_disallowed");
    return 1;
}
