/*
 * test_pwhash - Dovecot auth-policy fingerprints (pwhash) and the weakpw
 * cache. Digests below were computed independently with
 *   printf '%s\0%s' "$nonce$user" "$password" | openssl dgst -sha256
 * and the truncation cases are Dovecot's own (src/lib/test-buffer.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/passwd/pwhash.h"
#include "../../src/passwd/pwlist.h"
#include "../../src/passwd/weakpw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_full_digests(void **state)
{
    (void)state;
    static const struct {
        const char *mech, *nonce, *user, *pw, *hex;
    } v[] = {
        {"sha256", "n0nce", "alice@example.com", "password1",
         "53bbbceb7802238dbc3f474981592d06e06da5fd64fe50cccee8e7b77230dd36"},
        {"sha1", "n0nce", "alice@example.com", "password1", "ca8a6c9e64a86c2b4174f0f0585bbb6765ace9fa"},
        {"md5", "n0nce", "alice@example.com", "password1", "fb546425538122e1a3cbda36bcdbf3e4"},
        {"sha512", "n0nce", "alice@example.com", "password1",
         "55797163cd15e45a65be14b725c3699899757012527cff875c06b04456c64c3f704444c66b17a04eb3915449a6a15f10a2c7265cd59dec8dda64ced19365ccc2"},
        {"sha256", "secret-nonce", "bob", "hunter2",
         "f0354ab92b5fdb1892d377bb8acfba0643d075962796e1518dddc9a9b328172a"},
        {"md5", "secret-nonce", "bob", "hunter2", "01182f23505745794c209c5202f6ee09"},
        {"sha256", "x", "", "", "14f825b2bbc32dd8d196367fa8776873069c12a8954d8da7513aa7704ddd09eb"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        enum pwhash_mech m;
        assert_int_equal(pwhash_mech_parse(v[i].mech, &m), 0);
        char hex[PWHASH_HEX_MAX];
        int n = pwhash_compute(m, v[i].nonce, v[i].user, v[i].pw, 0, hex);
        assert_int_equal(n, (int)strlen(v[i].hex));
        assert_string_equal(hex, v[i].hex);
    }
}

static void test_truncated(void **state)
{
    (void)state;
    char hex[PWHASH_HEX_MAX];
    /* sha256 53bbbceb...: 12 bits = 0x53b, 13 bits = 0x53bb >> 3, 16 = 53bb */
    static const struct {
        unsigned bits;
        const char *hex;
    } v[] = {{12, "053b"}, {13, "0a77"}, {16, "53bb"}, {8, "53"}, {1, "00"}, {4, "05"}, {20, "053bbb"}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(pwhash_compute(PWHASH_SHA256, "n0nce", "alice@example.com", "password1", v[i].bits, hex),
                         (int)strlen(v[i].hex));
        assert_string_equal(hex, v[i].hex);
    }
    /* more bits than the digest: refused, as Dovecot refuses the setting */
    assert_int_equal(pwhash_compute(PWHASH_MD5, "n", "u", "p", 129, hex), -1);
    enum pwhash_mech m;
    assert_int_equal(pwhash_mech_parse("sha42", &m), -1);
}

/* Dovecot's buffer_truncate_rshift_bits cases, including its auth-policy ones */
static void test_dovecot_truncate_cases(void **state)
{
    (void)state;
    unsigned char b[32];
    for (unsigned bits = 1; bits <= 15; bits++) {
        memset(b, 0xff, 3);
        size_t n = pwhash_truncate(b, 3, bits);
        assert_int_equal(n, (bits + 7) / 8);
        unsigned v = n == 1 ? b[0] : (unsigned)b[0] << 8 | b[1];
        assert_int_equal(v, (1u << bits) - 1);
    }
    memcpy(b, "0123456789", 10);
    assert_int_equal(pwhash_truncate(b, 10, 24), 3);
    assert_memory_equal(b, "012", 3);
    memcpy(b, "0123456789", 10);
    assert_int_equal(pwhash_truncate(b, 10, 80), 10);
    static const unsigned char d1[20] = {0x58, 0x11, 0xed, 0x02, 0x4d, 0x87, 0x4a, 0xe2, 0x5c, 0xb2,
                                         0xfa, 0x69, 0xf0, 0xa9, 0x46, 0x2e, 0x04, 0xca, 0x5d, 0x82};
    memcpy(b, d1, 20);
    assert_int_equal(pwhash_truncate(b, 20, 13), 2);
    assert_int_equal(b[0], 0x0b);
    assert_int_equal(b[1], 0x02);
    static const struct {
        unsigned char d[4];
        unsigned char want[2];
    } ap[] = {{{0x34, 0x40, 0xc8, 0xc9}, {0x03, 0x44}}, {{0x49, 0xe5, 0x8a, 0x88}, {0x04, 0x9e}},
              {{0x08, 0x3c, 0xdc, 0x14}, {0x00, 0x83}}};
    for (size_t i = 0; i < 3; i++) {
        memset(b, 0x5a, 32);
        memcpy(b, ap[i].d, 4);
        assert_int_equal(pwhash_truncate(b, 32, 12), 2);
        assert_memory_equal(b, ap[i].want, 2);
    }
}

static struct pwlist *top100(void)
{
    char err[256];
    struct pwlist *l = pwlist_open(FIXTURES "/top100.txt", err, sizeof(err));
    assert_non_null(l);
    assert_int_equal(pwlist_count(l), 100);
    return l;
}

static void test_weakpw_matches(void **state)
{
    (void)state;
    struct pwlist *l = top100();
    struct weakpw_opts o;
    weakpw_defaults(&o);
    o.nonce = "n0nce";
    o.bits = 0; /* the whole digest: a match is exact */
    o.year = 2024;
    struct weakpw *w = weakpw_create(&o, l);
    assert_non_null(w);
    char hex[PWHASH_HEX_MAX];
    struct weakpw_match m;
    /* a common password: its rank comes back */
    pwhash_compute(PWHASH_SHA256, "n0nce", "alice@example.com", "password1", 0, hex);
    assert_int_equal(weakpw_check(w, "alice@example.com", hex, &m), 1);
    assert_int_equal(m.best, 3);
    assert_int_equal(m.user_derived, 0);
    assert_int_equal(m.candidates, 1);
    /* built from the user name */
    pwhash_compute(PWHASH_SHA256, "n0nce", "alice@example.com", "Alice2024", 0, hex);
    assert_int_equal(weakpw_check(w, "alice@example.com", hex, &m), 1);
    assert_int_equal(m.user_derived, 1);
    /* the same password for another user is a different fingerprint */
    assert_int_equal(weakpw_check(w, "bob@example.com", hex, &m), 0);
    /* a strong password */
    pwhash_compute(PWHASH_SHA256, "n0nce", "alice@example.com", "uR7#kQ9!vZ2@mW5p", 0, hex);
    assert_int_equal(weakpw_check(w, "alice@example.com", hex, &m), 0);
    /* not hex, or the wrong length */
    assert_int_equal(weakpw_check(w, "alice@example.com", "zz", &m), -1);
    assert_int_equal(weakpw_check(w, "alice@example.com", "053b", &m), -1);
    struct weakpw_stats st;
    weakpw_get_stats(w, &st);
    assert_int_equal(st.users, 2);
    assert_int_equal(st.misses, 2);
    assert_true(st.hits >= 2);
    weakpw_free(w);
    pwlist_close(l);
}

static void test_weakpw_truncated(void **state)
{
    (void)state;
    struct pwlist *l = top100();
    struct weakpw_opts o;
    weakpw_defaults(&o);
    o.nonce = "n0nce";
    struct weakpw *w = weakpw_create(&o, l);
    char hex[PWHASH_HEX_MAX];
    struct weakpw_match m;
    assert_int_equal(pwhash_compute(PWHASH_SHA256, "n0nce", "alice@example.com", "password1", 12, hex), 4);
    assert_int_equal(weakpw_check(w, "alice@example.com", hex, &m), 1);
    assert_true(m.best <= 3); /* a collision may rank lower, never after it */
    assert_true(m.candidates >= 1);
    /* bits over the digest: no cache */
    o.bits = 300;
    assert_null(weakpw_create(&o, l));
    weakpw_free(w);
    pwlist_close(l);
}

static void test_weakpw_lru_cap(void **state)
{
    (void)state;
    struct pwlist *l = top100();
    struct weakpw_opts o;
    weakpw_defaults(&o);
    o.bits = 0;
    o.max_bytes = 20000; /* a few users of ~140 fingerprints of 36 bytes */
    struct weakpw *w = weakpw_create(&o, l);
    char hex[PWHASH_HEX_MAX], user[64];
    struct weakpw_match m;
    for (int i = 0; i < 200; i++) {
        snprintf(user, sizeof(user), "user%d@example.com", i);
        pwhash_compute(PWHASH_SHA256, "", user, "123456", 0, hex);
        assert_int_equal(weakpw_check(w, user, hex, &m), 1);
        assert_int_equal(m.best, 0);
    }
    struct weakpw_stats st;
    weakpw_get_stats(w, &st);
    assert_true(st.bytes <= o.max_bytes);
    assert_true(st.users >= 1 && st.users < 200);
    assert_int_equal(st.evictions, 200 - st.users);
    /* the most recent user is still cached: a hit, not a miss */
    uint64_t misses = st.misses;
    assert_int_equal(weakpw_check(w, "user199@example.com", hex, &m), 1);
    weakpw_get_stats(w, &st);
    assert_int_equal(st.misses, misses);
    /* the first was evicted: recomputed */
    pwhash_compute(PWHASH_SHA256, "", "user0@example.com", "123456", 0, hex);
    assert_int_equal(weakpw_check(w, "user0@example.com", hex, &m), 1);
    weakpw_get_stats(w, &st);
    assert_int_equal(st.misses, misses + 1);
    weakpw_free(w);
    pwlist_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_digests),    cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_dovecot_truncate_cases), cmocka_unit_test(test_weakpw_matches),
        cmocka_unit_test(test_weakpw_truncated), cmocka_unit_test(test_weakpw_lru_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
