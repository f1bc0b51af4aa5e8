/* test_postfix - Postfix smtpd/qmgr/smtp/postscreen lines and the queue-id
 * links that carry the submitting account to delivery events. Rows run in
 * order through one parser. */
#include "mwtest.h"

#define A MW_KIND_AUTH_FAILURE
#define S MW_KIND_AUTH_SUCCESS
#define P MW_KIND_PLAINTEXT_LOGIN
#define Q MW_KIND_MESSAGE_QUEUED
#define D MW_KIND_DELIVERY
#define B MW_KIND_DNSBL_LISTING
#define C MW_KIND_CLIENT_LISTED
#define N MW_KIND_NONE
#define SUB "2026-11-23T06:05:36.000000+00:00 mail postfix/submission/smtpd[100]: "
#define SMTPD "2026-11-23T06:05:36.000000+00:00 mail postfix/smtpd[200]: "
#define QMGR "2026-11-23T06:05:37.000000+00:00 mail postfix/qmgr[10]: "
#define SMTP "2026-11-23T06:05:38.000000+00:00 mail postfix/smtp[11]: "

static const struct ev_case rows[] = {
    /* a TLS submission session: connect, TLS, auth, message, delivery */
    {SUB "connect from client.example.net[192.0.2.20]", N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {SUB "Anonymous TLS connection established from client.example.net[192.0.2.20]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {SUB "4F2A1C0B4D: client=client.example.net[192.0.2.20], sasl_method=PLAIN, sasl_username=alice@example.com",
     S, "submission", "192.0.2.20", "alice@example.com", 1, NULL, "queue", "4F2A1C0B4D"},
    {"2026-11-23T06:05:36.000000+00:00 mail postfix/cleanup[12]: 4F2A1C0B4D: message-id=<x@example.com>",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {QMGR "4F2A1C0B4D: from=<alice@example.com>, size=2048, nrcpt=30 (queue active)",
     Q, "submission", "192.0.2.20", "alice@example.com", -1, NULL, "nrcpt", "30"},
    {SMTP "4F2A1C0B4D: to=<bob@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 12345)",
     D, "submission", "192.0.2.20", "alice@example.com", -1, NULL, "status", "sent"},
    {SMTP "4F2A1C0B4D: to=<carl@example.net>, relay=mx.example.net[198.51.100.26]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.7.1, status=bounced (host mx.example.net[198.51.100.26] said: 554 5.7.1 Service unavailable; Client host [198.51.100.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.1 (in reply to RCPT TO command))",
     B, "submission", "198.51.100.1", "alice@example.com", -1, NULL, "dnsbl", "zen.spamhaus.org"},
    {SMTP "4F2A1C0B4D: to=<dora@example.net>, relay=none, delay=300, delays=0.1/0/300/0, dsn=4.4.1, status=deferred (connect to mx.example.net[198.51.100.27]:25: Connection refused)",
     D, "submission", "192.0.2.20", "alice@example.com", -1, NULL, "dsn", "4.4.1"},
    {SUB "disconnect from client.example.net[192.0.2.20] ehlo=2 starttls=1 auth=1 mail=1 rcpt=30 data=1 quit=1 commands=37",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {QMGR "4F2A1C0B4D: removed", N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    /* after "removed", the link is gone */
    {SMTP "4F2A1C0B4D: to=<late@example.org>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)",
     D, NULL, NULL, NULL, -1, NULL, "recipient", "late@example.org"},
    /* a plaintext session: AUTH without STARTTLS */
    {SUB "connect from unknown[203.0.113.40]", N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {SUB "5A1B2C3D4E: client=unknown[203.0.113.40], sasl_method=LOGIN, sasl_username=bob",
     P, "submission", "203.0.113.40", "bob", 0, NULL, "method", "LOGIN"},
    /* SASL failures; server-side ones are not a client's failure */
    {SMTPD "warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
     A, "smtp", "203.0.113.7", NULL, -1, NULL, "method", "LOGIN"},
    {SUB "warning: host.example.net[2001:db8::7]: SASL PLAIN authentication failed: authentication failure, sasl_username=carol@example.com",
     A, "submission", "2001:db8::7", "carol@example.com", -1, NULL, "method", "PLAIN"},
    {SUB "warning: unknown[203.0.113.8]: SASL PLAIN authentication failed: ",
     A, "submission", "203.0.113.8", NULL, -1, NULL, NULL, NULL},
    {SUB "warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: Connection lost to authentication server",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {SUB "warning: unknown[203.0.113.7]: SASL CRAM-MD5 authentication failed: Invalid authentication mechanism",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {SUB "warning: SASL authentication failure: cannot connect to saslauthd server: No such file or directory",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    /* a session that authenticated and sent nothing (a credential check) */
    {SMTPD "connect from unknown[203.0.113.60]", N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {SMTPD "disconnect from unknown[203.0.113.60] ehlo=1 auth=1 quit=1 commands=3",
     S, "smtp", "203.0.113.60", NULL, 0, "session_summary", NULL, NULL},
    {SMTPD "disconnect from unknown[203.0.113.61] ehlo=1 auth=0/1 quit=1 commands=2/3",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    /* inbound: RBL rejects and postscreen */
    {SMTPD "NOQUEUE: reject: RCPT from unknown[192.0.2.99]: 554 5.7.1 Service unavailable; Client host [192.0.2.99] blocked using zen.spamhaus.org; from=<a@b.example> to=<c@example.com> proto=ESMTP helo=<x>",
     C, "smtp", "192.0.2.99", NULL, -1, NULL, "dnsbl", "zen.spamhaus.org"},
    {SMTPD "NOQUEUE: reject: RCPT from unknown[192.0.2.98]: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<a@b.example> to=<nobody@example.com> proto=ESMTP helo=<x>",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {"2026-11-23T06:05:36.000000+00:00 mail postfix/postscreen[300]: DNSBL rank 6 for [192.0.2.97]:50123",
     C, "smtp", "192.0.2.97", NULL, -1, "DNSBL rank 6", NULL, NULL},
    /* a non-final MX reply that names a blocklist */
    {SMTP "7C7C7C7C7C: host mx1.example.com[198.51.100.30] refused to talk to me: 550 5.7.1 Unfortunately, messages from [198.51.100.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
     B, NULL, "198.51.100.1", NULL, -1, NULL, "dnsbl", "microsoft"},
    /* a bounce that merely says "listed" is not a blocklist (Domino) */
    {SMTP "7D7D7D7D7D: to=<x@example.com>, relay=mx.example.com[198.51.100.31]:25, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (host mx.example.com[198.51.100.31] said: 550 5.0.0 User not listed in public Name & Address Book (in reply to RCPT TO command))",
     D, NULL, NULL, NULL, -1, NULL, "status", "bounced"},
    /* two live smtpd processes whose pids differ by the table size keep
     * their own sessions (TLS of the first is not lost) */
    {"2026-11-23T06:07:00.000000+00:00 mail postfix/submission/smtpd[100]: connect from a.example.net[192.0.2.71]",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {"2026-11-23T06:07:00.100000+00:00 mail postfix/submission/smtpd[100]: Anonymous TLS connection established from a.example.net[192.0.2.71]: TLSv1.3 with cipher X",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {"2026-11-23T06:07:00.200000+00:00 mail postfix/submission/smtpd[4196]: connect from b.example.net[192.0.2.72]",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {"2026-11-23T06:07:00.300000+00:00 mail postfix/submission/smtpd[100]: 1A1A1A1A1A: client=a.example.net[192.0.2.71], sasl_method=PLAIN, sasl_username=ann",
     S, "submission", "192.0.2.71", "ann", 1, NULL, NULL, NULL},
    {"2026-11-23T06:07:00.400000+00:00 mail postfix/submission/smtpd[4196]: 1B1B1B1B1B: client=b.example.net[192.0.2.72], sasl_method=PLAIN, sasl_username=ben",
     P, "submission", "192.0.2.72", "ben", 0, NULL, NULL, NULL},
    /* webmail on the host itself: no TLS, but no network crossed */
    {"2026-11-23T06:07:01.000000+00:00 mail postfix/submission/smtpd[300]: connect from localhost[127.0.0.1]",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {"2026-11-23T06:07:01.100000+00:00 mail postfix/submission/smtpd[300]: 1C1C1C1C1C: client=localhost[127.0.0.1], sasl_method=PLAIN, sasl_username=cat",
     S, "submission", "127.0.0.1", "cat", 0, NULL, NULL, NULL},
    /* qmgr expiry; pickup (local submission) links the sender */
    {"2026-11-23T06:05:39.000000+00:00 mail postfix/pickup[13]: 8E8E8E8E8E: uid=33 from=<www-data>",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {QMGR "8E8E8E8E8E: from=<www-data@example.com>, size=900, nrcpt=1 (queue active)",
     Q, NULL, NULL, NULL, -1, NULL, "sender", "www-data@example.com"},
    {QMGR "9F9F9F9F9F: from=<x@example.com>, status=expired, returned to sender",
     D, NULL, NULL, NULL, -1, NULL, "status", "expired"},
};

static void test_rows(void **state)
{
    (void)state;
    EV_RUN(rows, FMT_AUTO);
}

/* a bounded link table: with 64 slots, the first of 100 messages is forgotten */
static void test_link_bounded(void **state)
{
    (void)state;
    struct parser_opts o = {FMT_AUTO, 64};
    struct mw_parser *p = parser_create(&o);
    struct mw_event ev;
    char line[256];
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof(line),
                 SUB "%010X: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=u%d", i, i);
        assert_int_equal(mwtest_parse(p, line, &ev), 1);
    }
    snprintf(line, sizeof(line), QMGR "%010X: from=<a@b.c>, size=1, nrcpt=1 (queue active)", 99);
    assert_int_equal(mwtest_parse(p, line, &ev), 1);
    assert_slice(ev.account, "u99");
    snprintf(line, sizeof(line), QMGR "%010X: from=<a@b.c>, size=1, nrcpt=1 (queue active)", 0);
    assert_int_equal(mwtest_parse(p, line, &ev), 1);
    assert_slice(ev.account, NULL);
    parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_link_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
