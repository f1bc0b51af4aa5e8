/*
 * test_pwaudit - the threaded guessing engine and the per-account guesses:
 * the fixture passwd-file audited with 1 and 3 threads must find exactly
 * the accounts whose passwords are in the top-100 list or built from their
 * names, with the same results either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/passwd/pwaudit.h"
#include "../../src/passwd/pwcand.h"
#include "../../src/passwd/pwlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_context_words(void **state)
{
    (void)state;
    struct pwctx c;
    pwcand_context(&c, "John.Smith@Mail.Example.org", NULL);
    const char *want[] = {"john.smith", "johnsmith", "john", "smith", "john.smith@mail.example.org",
                          "mail", "example", "mail.example.org"};
    assert_int_equal(c.n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < c.n; i++)
        assert_string_equal(c.w[i], want[i]);
    assert_int_equal(c.kind[0], PWCAND_USER);
    assert_int_equal(c.kind[5], PWCAND_DOMAIN);
    pwcand_context(&c, "al", "x.io"); /* too short to matter */
    assert_int_equal(c.n, 1);
    assert_string_equal(c.w[0], "x.io");
}

static void test_user_guesses(void **state)
{
    (void)state;
    struct pwctx c;
    pwcand_context(&c, "bob@example.com", NULL);
    struct pwcand_list l = {0};
    pwcand_user(&l, &c, 2031, 1000);
    const char *must[] = {"bob", "Bob", "bob1", "Bob1", "bob123", "bob2031", "Bob2031", "bob2030", "Bob!",
                          "example", "Example1", "bob31"};
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
        assert_true(pwcand_list_has(&l, must[i], strlen(must[i])));
    assert_false(pwcand_list_has(&l, "example.com1", 12)); /* no decorated dotted names */
    size_t all = l.n;
    pwcand_list_free(&l);
    pwcand_user(&l, &c, 2031, 5);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.s[0], "bob");
    assert_true(all > 30);
    pwcand_list_free(&l);
}

struct result {
    char user[PWFILE_USER_MAX];
    long found;
    int source;
    char pw[PWFILE_HASH_MAX];
};

static size_t audit(unsigned threads, struct result *out, size_t max)
{
    char err[256];
    struct pwlist *list = pwlist_open(FIXTURES "/top100.txt", err, sizeof(err));
    assert_non_null(list);
    struct pwaudit_opts o;
    pwaudit_defaults(&o);
    o.list = list;
    o.threads = threads;
    o.year = 2024;
    FILE *f = fopen(FIXTURES "/users.passwd", "r");
    assert_non_null(f);
    struct pwaudit_item *items = calloc(64, sizeof(*items));
    size_t n = 0;
    char line[2048];
    while (fgets(line, sizeof(line), f) && n < 64) {
        line[strcspn(line, "\n")] = '\0';
        if (pwfile_parse(line, strlen(line), &items[n].e, err, sizeof(err)) == 1)
            items[n++].file = "users.passwd";
    }
    fclose(f);
    uint64_t hashed = pwaudit_run(&o, items, n, NULL, NULL);
    assert_true(hashed > n);
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++, k++) {
        assert_false(items[i].failed);
        snprintf(out[k].user, sizeof(out[k].user), "%s", items[i].e.user);
        out[k].found = items[i].found;
        out[k].source = items[i].source;
        snprintf(out[k].pw, sizeof(out[k].pw), "%s", items[i].found_pw ? items[i].found_pw : "");
        pwaudit_item_clear(&items[i]);
    }
    free(items);
    pwlist_close(list);
    return k;
}

static void test_audit_fixture(void **state)
{
    (void)state;
    static const struct {
        const char *user, *pw; /* "" = must not be found */
        int source;
    } want[] = {
        {"alice@example.com", "password1", PWA_LIST}, {"bob@example.com", "bob123", PWA_USER},
        {"carol@example.com", "Carol1", PWA_USER},    {"dave@example.com", "qwerty", PWA_LIST},
        {"erin@example.com", "password", PWA_LIST},   {"frank@example.com", "password", PWA_LIST},
        {"grace@example.com", "secret", PWA_LIST},    {"heidi@example.com", "", PWA_NONE},
        {"ivan@example.com", "summer", PWA_LIST},     {"judy@example.com", "judy", PWA_USER},
        {"ken@example.com", "", PWA_NONE},            {"leo@example.com", "abc123", PWA_LIST},
        {"mallory@example.com", "monkey", PWA_LIST},  {"nina@example.com", "letmein", PWA_LIST},
        {"oscar@example.com", "123456", PWA_LIST},    {"peggy@example.com", "", PWA_NONE},
        {"quinn@example.com", "", PWA_NONE},          {"rupert@example.com", "", PWA_NONE},
        {"sybil@example.com", "tigger", PWA_LIST},    {"trent@example.com", "trent2", PWA_USER},
        {"victor@example.com", "", PWA_NONE},         {"uma@example.com", "", PWA_NONE},
        {"walter@example.com", "dragon", PWA_LIST},
    };
    size_t nw = sizeof(want) / sizeof(want[0]);
    struct result r1[64], r3[64];
    assert_int_equal(audit(1, r1, 64), nw);
    assert_int_equal(audit(3, r3, 64), nw);
    for (size_t i = 0; i < nw; i++) {
        assert_string_equal(r1[i].user, want[i].user);
        if (strcmp(r1[i].pw, want[i].pw) != 0 || r1[i].source != want[i].source) {
            fprintf(stderr, "%s: found '%s' source %d\n", want[i].user, r1[i].pw, r1[i].source);
            fail();
        }
        assert_true(*want[i].pw ? r1[i].found >= 0 : r1[i].found == -1);
        /* threads change nothing */
        assert_string_equal(r3[i].pw, r1[i].pw);
        assert_int_equal(r3[i].found, r1[i].found);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_words),
        cmocka_unit_test(test_user_guesses),
        cmocka_unit_test(test_audit_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
