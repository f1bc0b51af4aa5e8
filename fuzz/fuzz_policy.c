/*
 * fuzz_policy - libFuzzer target for the network inputs of `mailward
 * serve`: the Dovecot auth policy request (query + JSON body) and the
 * Postfix policy delegation request, each parsed and then decided by
 * serve.c against a real (temporary) SQLite store, so the path from bytes
 * on a socket to the engine and the store is covered.
 * Input: byte 0 picks the door (even: Dovecot, odd: Postfix); for Dovecot
 * byte 1 picks allow/report and the rest is the body; for Postfix the
 * rest is one or more requests (lines, empty line ends each).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/serve/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct serve *srv;
static struct store *st;
static int64_t now = 1795400000000000LL;

static void init(void)
{
    char dir[] = "/tmp/mw-fuzz-policy-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    char err[512];
    st = store_open(dir, err, sizeof(err));
    if (!st)
        abort();
    struct serve_config c;
    config_defaults(&c);
    config_set(&c, "max_memory", "64M", err, sizeof(err));
    config_set(&c, "max_bans", "1000", err, sizeof(err));
    config_set(&c, "max_flags", "100", err, sizeof(err));
    config_set(&c, "log_level", "error", err, sizeof(err));
    srv = serve_create(&c, st, NULL, err, sizeof(err));
    config_free(&c);
    if (!srv)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv)
        init();
    if (size < 2)
        return 0;
    now += 250000;
    char reply[512];
    if ((data[0] & 1) == 0) {
        struct dovecot_req r;
        r.command = (data[1] & 1) ? DOVECOT_REPORT : DOVECOT_ALLOW;
        char err[200];
        int rc = dovecot_parse(&r, (const char *)data + 2, size - 2, err, sizeof(err));
        /* the fast path and jansson agree (jansson also refuses duplicate
         * keys the fast path ignores when mailward does not use them) */
        struct dovecot_req j;
        j.command = r.command;
        char jerr[200];
        int jrc = dovecot_parse_json(&j, (const char *)data + 2, size - 2, jerr, sizeof(jerr));
        if (rc != jrc && !(rc == 0 && strstr(jerr, "duplicate")))
            abort();
        if (rc == 0 && jrc == 0) {
            const struct mw_slice *a[] = {&r.login, &r.remote, &r.pwhash, &r.protocol, &r.session_id,
                                          &r.device_id, &r.fail_type, &r.local, &r.local_port, &r.secured};
            const struct mw_slice *b[] = {&j.login, &j.remote, &j.pwhash, &j.protocol, &j.session_id,
                                          &j.device_id, &j.fail_type, &j.local, &j.local_port, &j.secured};
            for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
                if (a[i]->n != b[i]->n || (a[i]->n && memcmp(a[i]->p, b[i]->p, a[i]->n)) || !a[i]->p != !b[i]->p)
                    abort();
            if (r.success != j.success || r.policy_reject != j.policy_reject || r.tls != j.tls)
                abort();
        }
        if (rc == 0)
            serve_dovecot(srv, now, &r, reply, sizeof(reply));
    } else {
        struct pfpol_req r;
        struct pf_session ps = {{0}, 0, false};
        pfpol_init(&r, 4096);
        const char *p = (const char *)data + 1, *end = (const char *)data + size;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            enum pfpol_rc rc = pfpol_feed(&r, p, n);
            if (rc == PFPOL_ERROR)
                break;
            if (rc == PFPOL_DONE) {
                serve_postfix(srv, now, &ps, &r, reply, sizeof(reply));
                pfpol_reset(&r);
            }
            p += n + 1;
        }
    }
    if ((now / 1000000) % 7 == 0)
        serve_tick(srv, now);
    return 0;
}
