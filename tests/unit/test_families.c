/* test_families - the smaller servers: Courier, Cyrus, UW-IMAP, solid-pop3d,
 * perdition, vpopmail; the traps each one sets (passwords in the log,
 * injected fields, challenges that look like user names, server trouble). */
#include "mwtest.h"

#define A MW_KIND_AUTH_FAILURE
#define S MW_KIND_AUTH_SUCCESS
#define P MW_KIND_PLAINTEXT_LOGIN
#define N MW_KIND_NONE
#define H "Nov 23 06:05:36 mail "

static const struct ev_case rows[] = {
    /* Courier */
    {H "imapd: LOGIN FAILED, user=alice@example.com, ip=[::ffff:203.0.113.90], port=[51234]",
     A, "imap", "203.0.113.90", "alice@example.com", -1, NULL, NULL, NULL},
    {H "pop3d-ssl: LOGIN, user=alice@example.com, ip=[::ffff:198.51.100.23], port=[40005], stls=1",
     S, "pop3", "198.51.100.23", "alice@example.com", 1, NULL, NULL, NULL},
    {H "imapd: LOGIN, user=bob@example.com, ip=[::ffff:203.0.113.92], port=[40003], protocol=IMAP",
     P, "imap", "203.0.113.92", "bob@example.com", 0, NULL, NULL, NULL},
    {H "courieresmtpd: error,relay=::ffff:203.0.113.96,port=51000,msg=\"535 Authentication failed.\",cmd: AUTH PLAIN AGZyYW5rQGV4YW1wbGUu frank@example.com",
     A, "smtp", "203.0.113.96", "frank@example.com", 9, NULL, "method", "PLAIN"},
    /* the initial response alone is never taken for a user (it may hold the password) */
    {H "courieresmtpd: error,relay=::ffff:203.0.113.96,port=51000,msg=\"535 Authentication failed.\",cmd: AUTH PLAIN AGZyYW5rQGV4YW1wbGUu",
     A, "smtp", "203.0.113.96", NULL, 9, NULL, "method", "PLAIN"},
    /* old form: the last client line, for AUTH LOGIN the base64 password */
    {H "courieresmtpd: error,relay=::ffff:203.0.113.98,msg=\"535 Authentication failed.\",cmd: YWRvYmVhZG9iZQ==",
     A, "smtp", "203.0.113.98", NULL, 9, NULL, "method", NULL},
    {H "courieresmtpd: error,relay=::ffff:203.0.113.99,ident=tmf,from=<spam@example.net>,to=<nobody@example.com>: 550 User unknown.",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    /* Cyrus */
    {H "cyrus/imap[4321]: badlogin: client.example.net [203.0.113.100] plaintext (alice) [SASL(-13): authentication failure: checkpass failed]",
     A, "imap", "203.0.113.100", "alice", 9, "password_mismatch", NULL, NULL},
    {H "cyrus/pop3[4403]: badlogin: [203.0.113.110] APOP (<4403.1795413949@mail.example.com>) SASL(-13): authentication failure: incorrect digest response",
     A, "pop3", "203.0.113.110", NULL, 9, "*", "method", "APOP"},
    {H "cyrus/imap[4325]: badlogin: [203.0.113.104] plaintext (dave) [SASL(-1): generic failure: cannot connect to saslauthd server: No such file or directory]",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "cyrus/imaps[4328]: login: laptop.example.org [198.51.100.23] alice PLAIN+TLS User logged in SESSIONID=<s-1>",
     S, "imap", "198.51.100.23", "alice", 1, NULL, "session", "s-1"},
    {H "cyrus/imap[4327]: login: [203.0.113.105] erin PLAIN User logged in SESSIONID=<s-2>",
     P, "imap", "203.0.113.105", "erin", 0, NULL, "method", "PLAIN"},
    {H "cyrus/imap[4332]: event=login.good r.sessionid=s-3 r.clienthost=\"laptop.example.org [198.51.100.23]\" u.username=alice login.mech=plaintext login.tls=1",
     S, "imap", "198.51.100.23", "alice", 1, NULL, "session", "s-3"},
    /* UW-IMAP */
    {H "imapd[6660]: Login failed user=alice auth=alice host=client.example.net [203.0.113.130]",
     A, "imap", "203.0.113.130", "alice", 9, NULL, NULL, NULL},
    {H "imapd[6680]: Login failed user=root:x:0:0:root:/root:/bin/bash auth=root:x:0:0:root:/root:/bin/bash host=[203.0.113.137]",
     A, "imap", "203.0.113.137", "root:x:0:0:root:/root:/bin/bash", 9, NULL, NULL, NULL},
    {H "imapd[6667]: AUTHENTICATE CRAM-MD5 invalid host=[203.0.113.134]",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "ipop3d[6670]: Login user=frank host=[203.0.113.135] nmsgs=3/3",
     S, "pop3", "203.0.113.135", "frank", -1, NULL, NULL, NULL},
    /* solid-pop3d */
    {H "solid-pop3d[3824]: authentication failed for user bob - client.example.net (203.0.113.141)",
     A, "pop3", "203.0.113.141", "bob", 0, "password_mismatch", NULL, NULL},
    {H "solid-pop3d[3831]: user root authenticated - 203.0.113.143",
     P, "pop3", "203.0.113.143", "root", 0, NULL, NULL, NULL},
    /* perdition: the port follows the LAST ':' of an IPv6 peer */
    {H "perdition.imap4[3215]: Auth: 2001:db8::7:40006->2001:db8::10:143 client-secure=plaintext authorisation_id=NONE authentication_id=\"heidi@example.com\" server=\"imap1.example.com:143\" protocol=IMAP4 server-secure=plaintext status=\"ok\"",
     P, "imap", "2001:db8::7", "heidi@example.com", 0, NULL, NULL, NULL},
    {H "perdition.pop3[3213]: Auth: 203.0.113.153:40004->192.0.2.10:110 client-secure=plaintext authorisation_id=NONE authentication_id=\"frank@example.com\" server=\"pop1.example.com:110\" protocol=POP3 server-secure=plaintext status=\"failed: Could not connect to server\"",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    /* vpopmail: a logged password is never copied */
    {H "vpopmail[4101]: vchkpw-smtp: password fail (pass: 'hunter2') bob@example.com:203.0.113.161",
     A, "smtp", "203.0.113.161", "bob@example.com", 9, "password_mismatch", NULL, NULL},
    {H "vpopmail[4104]: vchkpw-pop3: (PLAIN) login success dave@example.com:198.51.100.23",
     P, "pop3", "198.51.100.23", "dave@example.com", 0, NULL, NULL, NULL},
    {H "vpopmail[4109]: vchkpw-pop3: pop access denied frank@example.com:203.0.113.165",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
};

static void test_rows(void **state)
{
    (void)state;
    EV_RUN(rows, FMT_AUTO);
}

/* no event of any family ever carries the logged password */
static void test_password_never_copied(void **state)
{
    (void)state;
    const char *lines[] = {
        H "vpopmail[4101]: vchkpw-smtp: password fail (pass: 'hunter2') bob@example.com:203.0.113.161",
        H "dovecot: auth: passwd-file(carol,203.0.113.5): Password mismatch (given password: hunter2)",
        H "courieresmtpd: error,relay=::ffff:203.0.113.98,msg=\"535 Authentication failed.\",cmd: aHVudGVyMg==",
    };
    struct parser_opts o = {FMT_AUTO, 16};
    struct mw_parser *p = parser_create(&o);
    struct outbuf ob;
    outbuf_init(&ob, 256);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct mw_event ev;
        assert_int_equal(mwtest_parse(p, lines[i], &ev), 1);
        ob.len = 0;
        event_write_json(&ob, &ev);
        outbuf_putc(&ob, '\0');
        /* the line itself is not in the output, only its fields */
        if (strstr(ob.p, "hunter2") || strstr(ob.p, "aHVudGVyMg"))
            fail_msg("password copied out: %s", ob.p);
    }
    outbuf_free(&ob);
    parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_password_never_copied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
