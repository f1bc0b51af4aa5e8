/*
 * fuzz_passwd - libFuzzer target for src/passwd on arbitrary bytes. The
 * first byte picks what is fed: 0 the Dovecot passwd-file line parser (each
 * line; entries of the fast schemes are also verified against a guess),
 * 1 the new-password rules (pwcheck, with a small list and a user), 2 the
 * password-list loader and lookups, 3 the weakpw cache (user NUL pwhash).
 * Anything must be parsed or refused with a message, never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/passwd/pwcheck.h"
#include "../src/passwd/pwfile.h"
#include "../src/passwd/pwlist.h"
#include "../src/passwd/pwverify.h"
#include "../src/passwd/weakpw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char small_list[] = "123456\npassword\nqwerty\nmonkey\nletmein\ndragon\n";

static void lines(const char *p, size_t n)
{
    struct pwverify *v = pwverify_create();
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        struct pwentry e;
        char err[256];
        int r = pwfile_parse(p, len, &e, err, sizeof(err));
        if (r < 0 && !err[0])
            abort(); /* an error always says why */
        if (r == 1) {
            (void)pwfile_scheme_name(e.scheme);
            (void)pwfile_scheme_weakness(e.scheme);
            /* the slow schemes would only measure crypt(3): skip them */
            if (e.scheme >= PWS_SSHA512 && e.scheme <= PWS_NOPASSWORD)
                pwverify_check(v, &e, "password", 8);
        }
        p = nl ? nl + 1 : end;
    }
    pwverify_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 4) {
    case 0:
        lines(p, n);
        break;
    case 1: {
        struct pwlist *l = pwlist_from_memory(small_list, sizeof(small_list) - 1);
        struct pwcheck_opts o;
        pwcheck_defaults(&o);
        o.list = l;
        o.user = "john.smith@example.com";
        struct pwcheck_result r;
        pwcheck_run(&o, p, n, &r);
        if (r.ok != (r.nreasons == 0))
            abort();
        pwlist_close(l);
        break;
    }
    case 2: {
        struct pwlist *l = pwlist_from_memory(p, n);
        size_t cnt = pwlist_count(l);
        for (size_t i = 0; i < cnt && i < 64; i++) {
            size_t len;
            const char *e = pwlist_entry(l, i, &len);
            long rk = pwlist_rank(l, e, len);
            if (rk < 0 || (size_t)rk > i)
                abort(); /* every entry is found at its rank or an earlier duplicate */
        }
        pwlist_rank(l, "password", 8);
        pwlist_close(l);
        break;
    }
    default: {
        const char *nul = memchr(p, '\0', n);
        if (!nul)
            break;
        char *user = strndup(p, (size_t)(nul - p));
        char *hex = strndup(nul + 1, n - (size_t)(nul - p) - 1);
        struct pwlist *l = pwlist_from_memory(small_list, sizeof(small_list) - 1);
        struct weakpw_opts o;
        weakpw_defaults(&o);
        o.user_guesses = 8;
        o.max_bytes = 4096;
        struct weakpw *w = weakpw_create(&o, l);
        struct weakpw_match m;
        weakpw_check(w, user, hex, &m);
        weakpw_check(w, "other", hex, &m);
        weakpw_free(w);
        pwlist_close(l);
        free(user);
        free(hex);
        break;
    }
    }
    return 0;
}
