/* test_logline - timestamp forms, year inference and header shapes. */
#include "mwtest.h"
#include "../../src/sources/logline.h"

#include <stdio.h>

static void render(const struct mw_time *t, char *out, size_t cap)
{
    struct outbuf ob;
    outbuf_init(&ob, 64);
    event_write_time(&ob, t);
    snprintf(out, cap, "%.*s", (int)ob.len, ob.p);
    outbuf_free(&ob);
}

struct tcase {
    const char *line;
    int year; /* --year, 0 = none */
    const char *time;      /* rendered, NULL = no timestamp */
    int64_t epoch;         /* seconds, checked when time != NULL */
    enum logline_shape shape;
    const char *host, *program, *pid, *msg;
};

static const struct tcase cases[] = {
    {"Mar  9 00:00:00 mx postfix/smtpd[12]: connect from x[1.2.3.4]", 2026,
     "2026-03-09T00:00:00", 1773014400, LL_SYSLOG, "mx", "postfix/smtpd", "12",
     "connect from x[1.2.3.4]"},
    {"Nov 23 06:05:36 mail dovecot: imap-login: Login: user=<a>", 2026,
     "2026-11-23T06:05:36", 1795413936, LL_SYSLOG, "mail", "dovecot", NULL,
     "imap-login: Login: user=<a>"},
    {"2026-11-23T06:05:36.277060+00:00 vm dovecot: auth: x", 0,
     "2026-11-23T06:05:36.277060Z", 1795413936, LL_SYSLOG, "vm", "dovecot", NULL, "auth: x"},
    {"2026-11-23T07:05:36.277+01:00 vm dovecot: auth: x", 0,
     "2026-11-23T07:05:36.277+01:00", 1795413936, LL_SYSLOG, "vm", "dovecot", NULL, "auth: x"},
    /* journalctl -o short-iso */
    {"2026-11-23T06:05:36+0000 vm postfix/qmgr[5]: x", 0, "2026-11-23T06:05:36Z",
     1795413936, LL_SYSLOG, "vm", "postfix/qmgr", "5", "x"},
    /* journalctl -o short-iso-precise, negative zone */
    {"2026-11-23T01:05:36.123456-0500 vm postfix/qmgr[5]: x", 0,
     "2026-11-23T01:05:36.123456-05:00", 1795413936, LL_SYSLOG, "vm", "postfix/qmgr", "5", "x"},
    /* journalctl -o short-full */
    {"Mon 2026-11-23 06:05:36 UTC vm postfix/qmgr[5]: x", 0, "2026-11-23T06:05:36Z",
     1795413936, LL_SYSLOG, "vm", "postfix/qmgr", "5", "x"},
    /* journalctl -o short-precise */
    {"Nov 23 06:05:36.500000 vm postfix/qmgr[5]: x", 2026, "2026-11-23T06:05:36.500000",
     1795413936, LL_SYSLOG, "vm", "postfix/qmgr", "5", "x"},
    /* Exim main log */
    {"2026-11-23 06:05:36 1vABCD-000123-XY <= a@b.c H=(x) [192.0.2.1]", 0,
     "2026-11-23T06:05:36", 1795413936, LL_BARE, NULL, NULL, NULL,
     "1vABCD-000123-XY <= a@b.c H=(x) [192.0.2.1]"},
    {"2026-11-23 07:05:36 +0100 login authenticator failed for (x) [192.0.2.1]", 0,
     "2026-11-23T07:05:36+01:00", 1795413936, LL_BARE, NULL, NULL, NULL,
     "login authenticator failed for (x) [192.0.2.1]"},
    /* Dovecot's own log file */
    {"Nov 23 06:05:36 imap-login: Info: Login: user=<a>", 2026, "2026-11-23T06:05:36",
     1795413936, LL_NOHOST, NULL, "imap-login", NULL, "Info: Login: user=<a>"},
    {"2026-11-23 06:05:36 auth-worker(77): Info: pam(a,1.2.3.4): unknown user", 0,
     "2026-11-23T06:05:36", 1795413936, LL_NOHOST, NULL, "auth-worker(77)", NULL,
     "Info: pam(a,1.2.3.4): unknown user"},
    /* TAI64N: unix 1700000000 = 2023-11-14T22:13:20Z */
    {"@400000006553f10a1dcd6500 dovecot: imap-login: x", 0, "2023-11-14T22:13:20.500000Z",
     1700000000, LL_NOHOST, NULL, "dovecot", NULL, "imap-login: x"},
    /* syslog priority prefix */
    {"<22>Nov 23 06:05:36 mail postfix/smtpd[1]: x", 2026, "2026-11-23T06:05:36",
     1795413936, LL_SYSLOG, "mail", "postfix/smtpd", "1", "x"},
    /* not timestamps */
    {"Feb 30 00:00:00 mail x: y", 2026, NULL, 0, LL_NONE, NULL, NULL, NULL, NULL},
    {"2026-13-01T00:00:00Z mail x: y", 0, NULL, 0, LL_NONE, NULL, NULL, NULL, NULL},
    {"Nov 23 25:00:00 mail x: y", 2026, NULL, 0, LL_NONE, NULL, NULL, NULL, NULL},
    {"hello world", 0, NULL, 0, LL_NONE, NULL, NULL, NULL, NULL},
    {"", 0, NULL, 0, LL_NONE, NULL, NULL, NULL, NULL},
    {"Nov 23", 2026, NULL, 0, LL_NONE, NULL, NULL, NULL, NULL},
    {"@4000zzzz", 0, NULL, 0, LL_NONE, NULL, NULL, NULL, NULL},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct tcase *tc = &cases[i];
        struct logline ll;
        struct logline_clock c;
        logline_clock_init(&c, tc->year, 0, false, 0);
        int r = logline_split(tc->line, strlen(tc->line), &ll, &c);
        if (!tc->time) {
            if (r != 0)
                fail_msg("case %zu '%s': expected no timestamp", i, tc->line);
            continue;
        }
        if (r != 1)
            fail_msg("case %zu '%s': expected a timestamp", i, tc->line);
        char buf[64];
        render(&ll.time, buf, sizeof(buf));
        if (strcmp(buf, tc->time) != 0)
            fail_msg("case %zu: time '%s', expected '%s'", i, buf, tc->time);
        assert_int_equal(ll.time.epoch_us / 1000000, tc->epoch);
        assert_int_equal(ll.shape, tc->shape);
        assert_slice(ll.host, tc->host);
        if (tc->program)
            assert_slice(ll.program, tc->program);
        if (tc->pid)
            assert_slice(ll.pid, tc->pid);
        assert_slice(ll.msg, tc->msg);
    }
}

/* a log crossing New Year: Dec then Jan is the next year */
static void test_year_rollover(void **state)
{
    (void)state;
    struct logline ll;
    struct logline_clock c;
    logline_clock_init(&c, 2025, 0, false, 0);
    const char *l1 = "Dec 31 23:59:59 h p: x";
    const char *l2 = "Jan  1 00:00:01 h p: x";
    assert_int_equal(logline_split(l1, strlen(l1), &ll, &c), 1);
    assert_int_equal(ll.time.year, 2025);
    assert_int_equal(logline_split(l2, strlen(l2), &ll, &c), 1);
    assert_int_equal(ll.time.year, 2026);
    assert_int_equal(ll.time.epoch_us / 1000000, 1767225601);
    assert_int_equal(c.year_rollovers, 1);
}

/* without --year: a file last written in January that starts in December
 * began the year before */
static void test_year_from_mtime(void **state)
{
    (void)state;
    struct logline ll;
    struct logline_clock c;
    logline_clock_init(&c, 0, 1767312000 /* 2026-01-02 */, false, 0);
    const char *l1 = "Dec 30 10:00:00 h p: x";
    const char *l2 = "Jan  2 10:00:00 h p: x";
    assert_int_equal(logline_split(l1, strlen(l1), &ll, &c), 1);
    assert_int_equal(ll.time.year, 2025);
    assert_int_equal(logline_split(l2, strlen(l2), &ll, &c), 1);
    assert_int_equal(ll.time.year, 2026);

    logline_clock_init(&c, 0, 1767312000, false, 0);
    assert_int_equal(logline_split(l2, strlen(l2), &ll, &c), 1);
    assert_int_equal(ll.time.year, 2026);
}

/* Feb 29 exists only in leap years */
static void test_leap_day(void **state)
{
    (void)state;
    struct logline ll;
    struct logline_clock c;
    const char *l = "Feb 29 12:00:00 h p: x";
    logline_clock_init(&c, 2028, 0, false, 0);
    assert_int_equal(logline_split(l, strlen(l), &ll, &c), 1);
    logline_clock_init(&c, 2026, 0, false, 0);
    assert_int_equal(logline_split(l, strlen(l), &ll, &c), 0);
}

/* --tz gives zone-less times an offset */
static void test_default_tz(void **state)
{
    (void)state;
    struct logline ll;
    struct logline_clock c;
    logline_clock_init(&c, 2026, 0, true, 60);
    const char *l = "Nov 23 07:05:36 h p: x";
    assert_int_equal(logline_split(l, strlen(l), &ll, &c), 1);
    assert_int_equal(ll.time.epoch_us / 1000000, 1795413936);
    char buf[64];
    render(&ll.time, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-23T07:05:36+01:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_year_rollover),
        cmocka_unit_test(test_year_from_mtime),
        cmocka_unit_test(test_leap_day),
        cmocka_unit_test(test_default_tz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
