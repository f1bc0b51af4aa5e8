/* test_dovecot - Dovecot login and passdb lines, syslog and own-file forms,
 * versions 2.2 to 2.4; server-side errors must not become auth_failure. */
#include "mwtest.h"

#define A MW_KIND_AUTH_FAILURE
#define S MW_KIND_AUTH_SUCCESS
#define P MW_KIND_PLAINTEXT_LOGIN
#define N MW_KIND_NONE
#define H "Nov 23 06:05:36 mail dovecot: "

static const struct ev_case rows[] = {
    /* successful logins: TLS, plaintext, secured (loopback), CRAM-MD5 in clear */
    {H "imap-login: Login: user=<alice@example.com>, method=PLAIN, rip=192.0.2.10, lip=198.51.100.1, mpid=4711, TLS, session=<Ab12>",
     S, "imap", "192.0.2.10", "alice@example.com", 1, NULL, "session", "Ab12"},
    {H "pop3-login: Login: user=<bob>, method=PLAIN, rip=192.0.2.11, lip=198.51.100.1, mpid=4712, session=<Ab13>",
     P, "pop3", "192.0.2.11", "bob", 0, NULL, "method", "PLAIN"},
    {H "imap-login: Login: user=<bob>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=4713, secured, session=<Ab14>",
     S, "imap", "127.0.0.1", "bob", 0, NULL, NULL, NULL},
    {H "imap-login: Login: user=<dan>, method=CRAM-MD5, rip=192.0.2.12, lip=198.51.100.1, mpid=1, session=<q>",
     S, "imap", "192.0.2.12", "dan", 0, NULL, "method", "CRAM-MD5"},
    {H "submission-login: Login: user=<eve>, method=LOGIN, rip=2001:db8::5, lip=2001:db8::1, mpid=9, TLS, session=<x>",
     S, "submission", "2001:db8::5", "eve", 1, NULL, NULL, NULL},
    {H "managesieve-login: Login: user=<eve>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, mpid=9, TLS, session=<x>",
     S, "sieve", "192.0.2.9", "eve", 1, NULL, NULL, NULL},
    /* failures: 2.3 form, 2.2 forms, 2.4 form, several attempts */
    {H "imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 4 secs): user=<testu>, method=PLAIN, rip=127.0.0.5, lip=127.0.0.1, session=<s1>",
     A, "imap", "127.0.0.5", "testu", 0, NULL, "attempts", "1"},
    {H "pop3-login: Disconnected (auth failed, 3 attempts in 12 secs): user=<carol>, method=PLAIN, rip=203.0.113.5, lip=198.51.100.1, TLS: Disconnected, session=<s2>",
     A, "pop3", "203.0.113.5", "carol", 1, NULL, "attempts", "3"},
    {H "imap-login: Aborted login (auth failed, 2 attempts in 5 secs): user=<carol>, method=LOGIN, rip=203.0.113.5, lip=198.51.100.1, session=<s3>",
     A, "imap", "203.0.113.5", "carol", 0, NULL, "attempts", "2"},
    {H "imap-login: Login aborted: Connection closed (auth failed, 1 attempts in 2 secs) (auth_failed): user=<zed>, method=PLAIN, rip=192.0.2.50, lip=198.51.100.1, TLS, session=<s4>",
     A, "imap", "192.0.2.50", "zed", 1, NULL, "attempts", "1"},
    {H "imap-login: Disconnected (tried to use disallowed plaintext auth): user=<>, rip=192.0.2.51, lip=198.51.100.1, session=<s5>",
     A, "imap", "192.0.2.51", NULL, 0, "plaintext_disallowed", NULL, NULL},
    /* not evidence: no auth attempt, logged out */
    {H "imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.52, lip=198.51.100.1, session=<s6>",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "imap(alice)<4711><Ab12>: Disconnected: Logged out in=100 out=200",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    /* passdb lines */
    {H "auth: passwd-file(carol,203.0.113.5,<xyz>): Password mismatch (SHA1 of given password: 4e4f1a)",
     A, NULL, "203.0.113.5", "carol", -1, "password_mismatch", "pw", "4e4f1a"},
    {H "auth: passwd-file(nobody,203.0.113.6): unknown user",
     A, NULL, "203.0.113.6", "nobody", -1, "unknown_user", "session", NULL},
    {H "auth-worker(1234): pam(frank,192.0.2.77,<s7>): pam_authenticate() failed: Authentication failure (password mismatch?)",
     A, NULL, "192.0.2.77", "frank", -1, "password_mismatch", "session", "s7"},
    {H "auth-worker(1234): pam(ghost,192.0.2.78,<s8>): pam_authenticate() failed: User not known to the underlying authentication module",
     A, NULL, "192.0.2.78", "ghost", -1, "unknown_user", NULL, NULL},
    {H "auth-worker(1234): conn unix:auth-worker (pid=1200,uid=111): auth-worker<1>: sql(user@example.com,192.0.2.79,<s9>): Password mismatch",
     A, NULL, "192.0.2.79", "user@example.com", -1, "password_mismatch", NULL, NULL},
    /* a user name holding commas survives */
    {H "auth: passwd-file(a,b,192.0.2.80,<s10>): unknown user",
     A, NULL, "192.0.2.80", "a,b", -1, "unknown_user", NULL, NULL},
    /* the plaintext password of auth_verbose_passwords=plain is never copied */
    {H "auth: passwd-file(carol,203.0.113.5): Password mismatch (given password: hunter2)",
     A, NULL, "203.0.113.5", "carol", -1, "password_mismatch", "pw", NULL},
    /* with several passdbs a miss is no verdict yet: its own kind, fingerprint kept */
    {H "auth: passwd-file(carol@x.test,127.0.0.18,<UQG>): Password mismatch (SHA1 of given password: a8a829) - trying the next passdb",
     MW_KIND_PASSDB_MISS, NULL, "127.0.0.18", "carol@x.test", -1, "password_mismatch", "pw", "a8a829"},
    {H "auth: passwd-file(mwsys,127.0.0.25,<G/j>): unknown user (SHA1 of given password: 18ca2a) - trying the next userdb",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "auth: policy(carol,203.0.113.5,<p1>): Authentication failure due to policy server refusal",
     A, NULL, "203.0.113.5", "carol", -1, "policy_reject", NULL, NULL},
    /* server-side trouble is never a client's failure */
    {H "auth-worker(1234): Error: sql(carol,203.0.113.5): Password query failed: Lost connection",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "auth: Error: passwd-file(carol,203.0.113.5): stat(/etc/dovecot/users) failed: Permission denied",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "auth-worker(1234): pam(frank,192.0.2.77): pam_authenticate() failed: Authentication service cannot retrieve authentication info",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "auth: Warning: auth client 1234 disconnected with 1 pending requests: EOF",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    /* Dovecot's own log file */
    {"Nov 23 06:05:36 imap-login: Info: Login: user=<alice>, method=PLAIN, rip=192.0.2.10, lip=198.51.100.1, mpid=1, TLS, session=<o1>",
     S, "imap", "192.0.2.10", "alice", 1, NULL, NULL, NULL},
    {"2026-11-23 06:05:36 auth: Info: passwd-file(carol,203.0.113.5,<o2>): Password mismatch (SHA1 of given password: 0a0b0c)",
     A, NULL, "203.0.113.5", "carol", -1, "password_mismatch", "pw", "0a0b0c"},
    {"Nov 23 06:05:36 auth-worker(99): Error: pam(x,1.2.3.4): pam_authenticate() failed: System error",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
};

static void test_rows(void **state)
{
    (void)state;
    EV_RUN(rows, FMT_AUTO);
}

static void test_format_filter(void **state)
{
    (void)state;
    /* with --format postfix, Dovecot lines are not read */
    struct parser_opts o = {FMT_POSTFIX, 16};
    struct mw_parser *p = parser_create(&o);
    struct mw_event ev;
    assert_int_equal(mwtest_parse(p, rows[0].line, &ev), 0);
    parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_format_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
