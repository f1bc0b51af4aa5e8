/* test_attempts - folding duplicate login lines into attempts: Dovecot's
 * auth + login-process pair, several passdbs, Dovecot SASL behind Postfix. */
#include "mwtest.h"
#include "../../src/engine/attempts.h"

struct tally {
    int successes, failures, with_fp;
    char last_fp[16];
};

static void collect(const struct attempt *a, void *ctx)
{
    struct tally *t = ctx;
    if (a->success) {
        t->successes++;
        return;
    }
    t->failures += (int)a->failures;
    if (a->pw_fingerprint.n) {
        t->with_fp++;
        snprintf(t->last_fp, sizeof(t->last_fp), "%.*s", (int)a->pw_fingerprint.n, a->pw_fingerprint.p);
    }
}

#define T(s) "2026-11-23T06:00:" s ".000000+00:00 mail "

static struct tally run(const char *const *lines, size_t n)
{
    struct tally t = {0};
    struct parser_opts o = {FMT_AUTO, 64};
    struct mw_parser *p = parser_create(&o);
    struct attempts *at = attempts_create(1000, collect, &t);
    for (size_t i = 0; i < n; i++) {
        struct mw_event ev;
        if (mwtest_parse(p, lines[i], &ev))
            attempts_event(at, &ev);
    }
    attempts_flush(at);
    attempts_free(at);
    parser_free(p);
    return t;
}
#define RUN(arr) run((arr), sizeof(arr) / sizeof((arr)[0]))

/* one failure logged by auth and by imap-login counts once, with the fingerprint */
static void test_pair(void **state)
{
    (void)state;
    const char *l[] = {
        T("00") "dovecot: auth: passwd-file(a@x.test,192.0.2.1,<S1>): Password mismatch (SHA1 of given password: aaaaaa)",
        T("02") "dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<a@x.test>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.10, TLS, session=<S1>",
    };
    struct tally t = RUN(l);
    assert_int_equal(t.failures, 1);
    assert_int_equal(t.with_fp, 1);
    assert_string_equal(t.last_fp, "aaaaaa");
}

/* three passdb lines and "3 attempts": three failures, not six */
static void test_three(void **state)
{
    (void)state;
    const char *l[] = {
        T("00") "dovecot: auth: passwd-file(a@x.test,192.0.2.1,<S2>): Password mismatch (SHA1 of given password: 111111)",
        T("04") "dovecot: auth: passwd-file(a@x.test,192.0.2.1,<S2>): Password mismatch (SHA1 of given password: 222222)",
        T("08") "dovecot: auth: passwd-file(a@x.test,192.0.2.1,<S2>): Password mismatch (SHA1 of given password: 333333)",
        T("10") "dovecot: imap-login: Disconnected: Connection closed (auth failed, 3 attempts in 10 secs): user=<a@x.test>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.10, session=<S2>",
    };
    struct tally t = RUN(l);
    assert_int_equal(t.failures, 3);
}

/* only the login process's line (auth_verbose off): its count stands */
static void test_login_line_only(void **state)
{
    (void)state;
    const char *l[] = {
        T("10") "dovecot: pop3-login: Disconnected (auth failed, 4 attempts in 20 secs): user=<a@x.test>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.10, session=<S3>",
    };
    struct tally t = RUN(l);
    assert_int_equal(t.failures, 4);
}

/* two passdbs: wrong, wrong, then right in one connection (real capture,
 * step 13): the misses 2+ s before the success were failed attempts */
static void test_misses_then_success(void **state)
{
    (void)state;
    const char *l[] = {
        T("00") "dovecot: auth: passwd-file(d@x.test,192.0.2.2,<S4>): Password mismatch (SHA1 of given password: 7c4a8d) - trying the next passdb",
        T("06") "dovecot: auth: passwd-file(d@x.test,192.0.2.2,<S4>): Password mismatch (SHA1 of given password: 5baa61) - trying the next passdb",
        T("16") "dovecot: imap-login: Login: user=<d@x.test>, method=PLAIN, rip=192.0.2.2, lip=192.0.2.10, mpid=1, TLS, session=<S4>",
    };
    struct tally t = RUN(l);
    assert_int_equal(t.failures, 2);
    assert_int_equal(t.successes, 1);
}

/* two passdbs: the first misses, the second accepts at once: no failure */
static void test_miss_then_accepted(void **state)
{
    (void)state;
    const char *l[] = {
        "2026-11-23T06:00:00.100000+00:00 mail dovecot: auth: passwd-file(mwsys,192.0.2.3,<S5>): unknown user (SHA1 of given password: 18ca2a) - trying the next passdb",
        "2026-11-23T06:00:00.300000+00:00 mail dovecot: imap-login: Login: user=<mwsys>, method=PLAIN, rip=192.0.2.3, lip=192.0.2.10, mpid=1, TLS, session=<S5>",
    };
    struct tally t = RUN(l);
    assert_int_equal(t.failures, 0);
    assert_int_equal(t.successes, 1);
}

/* Postfix SMTP AUTH through Dovecot SASL: Dovecot's line (no session) and
 * Postfix's 2 s later are one failure, with Dovecot's fingerprint */
static void test_postfix_sasl(void **state)
{
    (void)state;
    const char *l[] = {
        T("00") "dovecot: auth: passwd-file(a@x.test,192.0.2.4): Password mismatch (SHA1 of given password: 0e0891)",
        T("02") "postfix/submission/smtpd[9]: warning: unknown[192.0.2.4]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=a@x.test",
    };
    struct tally t = RUN(l);
    assert_int_equal(t.failures, 1);
    assert_int_equal(t.with_fp, 1);
    assert_string_equal(t.last_fp, "0e0891");
}

/* a Dovecot SASL failure that no client logs (Exim, say) still counts */
static void test_loose_alone(void **state)
{
    (void)state;
    const char *l[] = {
        T("00") "dovecot: auth: passwd-file(a@x.test,192.0.2.5): Password mismatch (SHA1 of given password: 0e0891)",
        T("30") "dovecot: auth: passwd-file(b@x.test,192.0.2.6): unknown user (SHA1 of given password: 0e0891) - trying the next passdb",
    };
    struct tally t = RUN(l);
    /* the first settles as a failure; the lone miss does not */
    assert_int_equal(t.failures, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair),
        cmocka_unit_test(test_three),
        cmocka_unit_test(test_login_line_only),
        cmocka_unit_test(test_misses_then_success),
        cmocka_unit_test(test_miss_then_accepted),
        cmocka_unit_test(test_postfix_sasl),
        cmocka_unit_test(test_loose_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
