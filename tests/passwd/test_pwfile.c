/*
 * test_pwfile - the Dovecot passwd-file line parser and the verifiers of
 * every scheme. Hashes come from independent tools (openssl passwd, openssl
 * dgst, the Argon2 reference test vectors, Python's crypt) via
 * tests/fixtures/passwd/users.passwd, whose passwords are listed here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/passwd/pwfile.h"
#include "../../src/passwd/pwverify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *line, struct pwentry *e, char *err)
{
    return pwfile_parse(line, strlen(line), e, err, 256);
}

static void test_shapes(void **state)
{
    (void)state;
    struct pwentry e;
    char err[256];
    assert_int_equal(parse("", &e, err), 0);
    assert_int_equal(parse("   ", &e, err), 0);
    assert_int_equal(parse("# comment:{PLAIN}x", &e, err), 0);
    assert_int_equal(parse("user::1000:1000::/home/user::", &e, err), 0); /* no password */
    assert_int_equal(parse("user::1000:1000::/home/user::nopassword=y", &e, err), 1);
    assert_int_equal(e.scheme, PWS_NOPASSWORD);
    assert_non_null(pwfile_scheme_weakness(e.scheme));
    assert_int_equal(parse("u@example.com:{PLAIN}secret", &e, err), 1);
    assert_string_equal(e.user, "u@example.com");
    assert_int_equal(e.scheme, PWS_PLAIN);
    assert_string_equal(e.hash, "secret");
    assert_int_equal(parse("u:{plain}se cret:1:2::/h::", &e, err), 1); /* case-insensitive name */
    assert_string_equal(e.hash, "se cret");
    assert_int_equal(parse("u:{PLAIN.B64}c2VjcmV0", &e, err), 1);
    assert_string_equal(e.hash, "secret");
    assert_int_equal(parse("u:{CLEAR}x", &e, err), 1);
    assert_int_equal(e.scheme, PWS_PLAIN);
    assert_int_equal(parse("u:{MD5}$1$bQgNfclT$7QixjRb7gqC2m92CChI2e1", &e, err), 1);
    assert_int_equal(e.scheme, PWS_MD5_CRYPT); /* Dovecot's alias */
    assert_int_equal(parse("u:{MD5}e10adc3949ba59abbe56e057f20f883e", &e, err), 1);
    assert_int_equal(e.scheme, PWS_MD5);
    assert_int_equal(e.raw_len, 16);
    assert_int_equal(parse("u:$1$bQgNfclT$7QixjRb7gqC2m92CChI2e1", &e, err), 1); /* default CRYPT */
    assert_int_equal(e.scheme, PWS_MD5_CRYPT);
    assert_int_equal(parse("u:{CRYPT}abJnggxhB/yWI", &e, err), 1);
    assert_int_equal(e.scheme, PWS_DES_CRYPT);
    /* errors */
    static const char *const bad[] = {
        "no colon at all",
        ":{PLAIN}x",
        "u:{NTLM}0123456789abcdef0123456789abcdef",
        "u:{SSHA}###",
        "u:{SHA256}q83vEjRWeJA=",
        "u:{SSHA256}" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", /* 32 bytes: no salt */
        "u:{BLF-CRYPT}$2y$31$iNwUxS2E4gimsE7O1wn0FO9V91jcwcH3x613AhbW4OSMXW4apcs3W",
        "u:{BLF-CRYPT}$2y$05$short",
        "u:{ARGON2ID}$argon2id$v=19$m=4194304,t=3,p=1$c29tZXNhbHQ$AAAA",
        "u:{ARGON2ID}$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$AAAA",
        "u:{SHA512-CRYPT}$6$rounds=999999999$salt$hash",
        "u:{SHA512-CRYPT$6$x$y",
        "u:{SSHA512}",
        "u:{SHA.XYZ}abc",
        "u:not-a-crypt-hash",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (parse(bad[i], &e, err) != -1) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
            fail();
        }
        assert_true(strlen(err) > 5);
    }
    char nul[] = "u:{PLAIN}a\0b";
    assert_int_equal(pwfile_parse(nul, sizeof(nul) - 1, &e, err, 256), -1);
    char longline[1200];
    memset(longline, 'a', sizeof(longline));
    memcpy(longline, "u:{PLAIN}", 9);
    assert_int_equal(pwfile_parse(longline, sizeof(longline), &e, err, 256), -1);
}

static void test_codecs(void **state)
{
    (void)state;
    unsigned char b[16];
    assert_int_equal(pwfile_base64_decode("c2VjcmV0", 8, b, sizeof(b)), 6);
    assert_memory_equal(b, "secret", 6);
    assert_int_equal(pwfile_base64_decode("c2VjcmV0MQ==", 12, b, sizeof(b)), 7);
    assert_int_equal(pwfile_base64_decode("c2VjcmV0MQ", 10, b, sizeof(b)), 7);
    assert_int_equal(pwfile_base64_decode("c", 1, b, sizeof(b)), -1);
    assert_int_equal(pwfile_base64_decode("c2V*", 4, b, sizeof(b)), -1);
    assert_int_equal(pwfile_base64_decode("AAAAAAAAAAAAAAAAAAAAAAAAAAAA", 28, b, sizeof(b)), -1); /* too big */
    assert_int_equal(pwfile_hex_decode("00ff7A", 6, b, sizeof(b)), 3);
    assert_int_equal(b[1], 0xff);
    assert_int_equal(b[2], 0x7a);
    assert_int_equal(pwfile_hex_decode("0g", 2, b, sizeof(b)), -1);
    assert_int_equal(pwfile_hex_decode("abc", 3, b, sizeof(b)), -1);
}

/* every account of the fixture against its real password and a wrong one */
static void test_verify_fixture(void **state)
{
    (void)state;
    static const struct {
        const char *user, *pw;
        enum pwscheme scheme;
    } want[] = {
        {"alice@example.com", "password1", PWS_SHA512_CRYPT},
        {"bob@example.com", "bob123", PWS_SHA256_CRYPT},
        {"carol@example.com", "Carol1", PWS_BLF_CRYPT},
        {"dave@example.com", "qwerty", PWS_MD5_CRYPT},
        {"erin@example.com", "password", PWS_ARGON2I},
        {"frank@example.com", "password", PWS_ARGON2ID},
        {"grace@example.com", "secret", PWS_SSHA512},
        {"heidi@example.com", "uR7#kQ9!vZ2@mW5p", PWS_SSHA256},
        {"ivan@example.com", "summer", PWS_SSHA},
        {"judy@example.com", "judy", PWS_PLAIN},
        {"ken@example.com", "Vq8#pLz2!mK9wRt4", PWS_PLAIN},
        {"leo@example.com", "abc123", PWS_SHA256},
        {"mallory@example.com", "monkey", PWS_SHA512},
        {"nina@example.com", "letmein", PWS_SHA1},
        {"oscar@example.com", "123456", PWS_MD5},
        {"peggy@example.com", "c0rrect-H0rse-battery-Staple", PWS_SHA512_CRYPT},
        {"quinn@example.com", "pX4!nD8@qL1#zT6$", PWS_BLF_CRYPT},
        {"rupert@example.com", "Gq2&wE5^rT8*yU1(", PWS_SHA512_CRYPT},
        {"sybil@example.com", "tigger", PWS_SSHA256},
        {"trent@example.com", "trent2", PWS_SHA512_CRYPT},
        {"victor@example.com", "Lk9@xR4!vB7#nM2%", PWS_MD5_CRYPT},
        {"uma@example.com", "aaaaaaaaaaaa", PWS_PLAIN},
        {"walter@example.com", "dragon", PWS_MD5},
    };
    FILE *f = fopen(FIXTURES "/users.passwd", "r");
    assert_non_null(f);
    struct pwverify *v = pwverify_create();
    char line[2048], err[256];
    size_t seen = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        struct pwentry e;
        int r = pwfile_parse(line, strlen(line), &e, err, sizeof(err));
        assert_int_not_equal(r, -1);
        if (r == 0)
            continue;
        size_t k = 0;
        while (k < sizeof(want) / sizeof(want[0]) && strcmp(want[k].user, e.user) != 0)
            k++;
        assert_true(k < sizeof(want) / sizeof(want[0]));
        assert_int_equal(e.scheme, want[k].scheme);
        assert_int_equal(pwverify_check(v, &e, want[k].pw, strlen(want[k].pw)), 1);
        assert_int_equal(pwverify_check(v, &e, "not-the-password", 16), 0);
        assert_int_equal(pwverify_check(v, &e, want[k].pw, strlen(want[k].pw) - 1), 0);
        seen++;
    }
    fclose(f);
    assert_int_equal(seen, sizeof(want) / sizeof(want[0]));
    pwverify_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_verify_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
