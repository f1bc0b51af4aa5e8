/*
 * test_pwcheck - the new-password rules, table-driven, against the fixed
 * top-100 list of john-data (tests/fixtures/passwd/top100.txt); also the
 * list loader and the offline breach corpus lookup (a sorted SHA1:COUNT
 * file written here, hashed by openssl-independent test values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/passwd/pwbreach.h"
#include "../../src/passwd/pwcheck.h"
#include "../../src/passwd/pwlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct pwlist *list;

static int setup(void **state)
{
    (void)state;
    char err[256];
    list = pwlist_open(FIXTURES "/top100.txt", err, sizeof(err));
    return list ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pwlist_close(list);
    return 0;
}

static int has(const struct pwcheck_result *r, enum pwcheck_code c)
{
    for (size_t i = 0; i < r->nreasons; i++)
        if (r->reasons[i].code == c)
            return 1;
    for (size_t i = 0; i < r->nwarnings; i++)
        if (r->warnings[i].code == c)
            return 1;
    return 0;
}

static void test_rules_table(void **state)
{
    (void)state;
    static const struct {
        const char *pw, *user;
        int ok;
        enum pwcheck_code want; /* a reason (or warning) that must be there */
    } v[] = {
        {"password", NULL, 0, PWC_COMMON},
        {"PASSWORD", NULL, 0, PWC_COMMON},                 /* case */
        {"P@ssw0rd", NULL, 0, PWC_COMMON_VARIANT},         /* l33t */
        {"Password2024!", NULL, 0, PWC_COMMON_VARIANT},    /* appended year and symbol */
        {"1984monkey", NULL, 0, PWC_COMMON_VARIANT},       /* prepended digits */
        {"yeknom-terces", NULL, 0, PWC_GUESSABLE},         /* zxcvbn sees reversed words */
        {"terces", NULL, 0, PWC_TOO_SHORT},
        {"3r0gnad", NULL, 0, PWC_TOO_SHORT},
        {"drowssap12345", NULL, 0, PWC_COMMON_VARIANT},    /* reversed */
        {"short", NULL, 0, PWC_TOO_SHORT},
        {"", NULL, 0, PWC_TOO_SHORT},
        {"john.smith2024", "john.smith@example.com", 0, PWC_CONTEXT},
        {"JohnSmith!!", "john.smith@example.com", 0, PWC_CONTEXT},
        {"Example.com1", "john@example.com", 0, PWC_CONTEXT},
        {"webmail2024", "john@example.com", 0, PWC_CONTEXT},
        {"j0hnsm1th99", "john.smith@example.com", 0, PWC_CONTEXT}, /* l33t of the name */
        {"aaaaaaaaaaaa", NULL, 0, PWC_REPETITIVE},
        {"abababababab", NULL, 0, PWC_REPETITIVE},
        {"xyzxyzxyzxyz", NULL, 0, PWC_REPETITIVE},
        {"12345678", NULL, 0, PWC_SEQUENTIAL},
        {"abcdefgh", NULL, 0, PWC_SEQUENTIAL},
        {"abcd4321", NULL, 0, PWC_SEQUENTIAL},
        {"qwertyuiop", NULL, 0, PWC_SEQUENTIAL},
        {"zxcvbnm123", NULL, 0, PWC_SEQUENTIAL},
        {"correct horse battery staple", "john@example.com", 1, PWC_COMMON},
        {"uR7#kQ9!vZ2@mW5p", "john@example.com", 1, PWC_COMMON},
        {"Zürich-Grüezi-Käse-42", NULL, 1, PWC_COMMON},   /* any printable Unicode */
        {"badminton at noon, twice a week", "admin@example.com", 1, PWC_COMMON},
        {"tab\there-is-a-control", NULL, 0, PWC_CONTROL},
        {"bad\xff\xfeutf8-sequence", NULL, 0, PWC_INVALID_UTF8},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct pwcheck_opts o;
        pwcheck_defaults(&o);
        o.list = list;
        o.user = v[i].user;
        struct pwcheck_result r;
        int ok = pwcheck_run(&o, v[i].pw, strlen(v[i].pw), &r);
        if (ok != v[i].ok || (!v[i].ok && !has(&r, v[i].want)) || (v[i].ok && r.nreasons)) {
            fprintf(stderr, "case %zu: ok=%d (want %d), reasons:", i, ok, v[i].ok);
            for (size_t k = 0; k < r.nreasons; k++)
                fprintf(stderr, " %s", pwcheck_code_name(r.reasons[k].code));
            fprintf(stderr, "\n");
            fail();
        }
        /* the password never appears in a message */
        for (size_t k = 0; k < r.nreasons && strlen(v[i].pw) >= 10; k++)
            assert_null(strstr(r.reasons[k].msg, v[i].pw));
    }
}

static void test_lengths_in_code_points(void **state)
{
    (void)state;
    struct pwcheck_opts o;
    pwcheck_defaults(&o);
    o.min_entropy = 0;
    struct pwcheck_result r;
    /* 7 code points in 14 bytes: too short although 14 bytes */
    const char *s = "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f\xc3\xa9\xc3\xa8\xc3\xa0";
    pwcheck_run(&o, s, strlen(s), &r);
    assert_int_equal(r.codepoints, 7);
    assert_true(has(&r, PWC_TOO_SHORT));
    /* 8 code points: long enough, a warning for under 15 */
    const char *t = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe5\x90\x88\xe8\xa8\x80\xe8\x91\x89\xe3\x81\xa0";
    pwcheck_run(&o, t, strlen(t), &r);
    assert_int_equal(r.codepoints, 8);
    assert_false(has(&r, PWC_TOO_SHORT));
    assert_true(has(&r, PWC_SHORTER_THAN_RECOMMENDED));
    assert_true(has(&r, PWC_NO_LIST)); /* and it says the list was missing */
    /* configurable minimum; a long passphrase is fine, over the maximum is not */
    o.min_len = 15;
    pwcheck_run(&o, "fourteen chars", 14, &r);
    assert_true(has(&r, PWC_TOO_SHORT));
    char longpw[1100];
    memset(longpw, 'x', sizeof(longpw));
    for (size_t i = 0; i < sizeof(longpw); i += 7)
        longpw[i] = (char)('a' + i % 26);
    pwcheck_run(&o, longpw, 1000, &r);
    assert_false(has(&r, PWC_TOO_LONG));
    pwcheck_run(&o, longpw, sizeof(longpw), &r);
    assert_true(has(&r, PWC_TOO_LONG));
    /* surrogates and overlong forms are not UTF-8 */
    assert_int_equal(pwcheck_utf8_count("\xed\xa0\x80", 3, NULL), -1);
    assert_int_equal(pwcheck_utf8_count("\xc0\xaf", 2, NULL), -1);
    assert_int_equal(pwcheck_utf8_count("\xf0\x9f\x94\x91", 4, NULL), 1);
}

static void test_strength_floor(void **state)
{
    (void)state;
    struct pwcheck_opts o;
    pwcheck_defaults(&o);
    o.list = list;
    struct pwcheck_result r;
    /* a dictionary-ish phrase zxcvbn sees through, not in the top 100 */
    pwcheck_run(&o, "iloveyou2", 9, &r);
    assert_true(r.entropy >= 0 && r.entropy < 30);
    assert_true(has(&r, PWC_GUESSABLE) || has(&r, PWC_COMMON_VARIANT));
    pwcheck_run(&o, "uR7#kQ9!vZ2@mW5p", 16, &r);
    assert_true(r.entropy > 60);
    o.min_entropy = 0; /* off */
    pwcheck_run(&o, "ncc1701x", 8, &r);
    assert_true(r.entropy < 0);
}

static void test_list_loader(void **state)
{
    (void)state;
    const char data[] = "#!comment: skipped\n123456\r\npassword\n\n123456\nqwerty";
    struct pwlist *l = pwlist_from_memory(data, sizeof(data) - 1);
    assert_int_equal(pwlist_count(l), 4); /* the duplicate is listed, found at its first rank */
    assert_int_equal(pwlist_rank(l, "123456", 6), 0);
    assert_int_equal(pwlist_rank(l, "password", 8), 1);
    assert_int_equal(pwlist_rank(l, "qwerty", 6), 3);
    assert_int_equal(pwlist_rank(l, "#!comment: skipped", 18), -1);
    assert_int_equal(pwlist_rank(l, "passwor", 7), -1);
    size_t len;
    const char *e = pwlist_entry(l, 1, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(e, "password", 8);
    pwlist_close(l);
    char err[256];
    assert_null(pwlist_open("/nonexistent/passwords.txt", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/passwords.txt"));
}

static void test_breach_corpus(void **state)
{
    (void)state;
    /* SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8;
     * SHA-1("123456")   = 7C4A8D09CA3762AF61E59520943DC26494F8941B */
    char path[] = "/tmp/mw-breach-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "000000005AD76BD555C1D6D771DE417A4B87E4B4:4\n");
    fprintf(f, "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:9545824\n");
    fprintf(f, "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd9:1\n");
    fprintf(f, "7C4A8D09CA3762AF61E59520943DC26494F8941B:37359195\r\n");
    for (int i = 0; i < 1000; i++)
        fprintf(f, "F%039d:%d\n", i, i + 1);
    fclose(f);
    char err[256];
    assert_int_equal(pwbreach_lookup(path, "password", 8, err, sizeof(err)), 9545824);
    assert_int_equal(pwbreach_lookup(path, "123456", 6, err, sizeof(err)), 37359195);
    assert_int_equal(pwbreach_lookup(path, "uR7#kQ9!vZ2@mW5p", 16, err, sizeof(err)), 0);
    struct pwcheck_opts o;
    pwcheck_defaults(&o);
    o.breach_path = path;
    struct pwcheck_result r;
    pwcheck_run(&o, "password", 8, &r);
    assert_true(has(&r, PWC_BREACHED));
    assert_int_equal(r.breach_count, 9545824);
    unlink(path);
    assert_int_equal(pwbreach_lookup(path, "password", 8, err, sizeof(err)), -1);
    pwcheck_run(&o, "password", 8, &r);
    assert_true(has(&r, PWC_BREACH_UNAVAILABLE));
    /* the range-directory form */
    char dir[] = "/tmp/mw-range-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char rp[64];
    snprintf(rp, sizeof(rp), "%s/5BAA6", dir);
    f = fopen(rp, "w");
    fprintf(f, "1E4C9B93F3F0682250B6CF8331B7EE68FD7:3\n1E4C9B93F3F0682250B6CF8331B7EE68FD8:42\n");
    fclose(f);
    assert_int_equal(pwbreach_lookup(dir, "password", 8, err, sizeof(err)), 42);
    assert_int_equal(pwbreach_lookup(dir, "123456", 6, err, sizeof(err)), -1); /* no 7C4A8 file */
    unlink(rp);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_table),   cmocka_unit_test(test_lengths_in_code_points),
        cmocka_unit_test(test_strength_floor), cmocka_unit_test(test_list_loader),
        cmocka_unit_test(test_breach_corpus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
