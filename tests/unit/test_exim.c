/* test_exim - Exim main log and syslog lines, message-id links. */
#include "mwtest.h"

#define A MW_KIND_AUTH_FAILURE
#define Q MW_KIND_MESSAGE_QUEUED
#define D MW_KIND_DELIVERY
#define B MW_KIND_DNSBL_LISTING
#define C MW_KIND_CLIENT_LISTED
#define N MW_KIND_NONE
#define T "2026-11-23 06:05:36 "

static const struct ev_case rows[] = {
    {T "dovecot_plain authenticator failed for (mail.example.net) [192.0.2.1]:54321 I=[198.51.100.1]:587: 535 Incorrect authentication data (set_id=alice@example.com)",
     A, "submission", "192.0.2.1", "alice@example.com", -1, NULL, "method", "dovecot_plain"},
    {T "login authenticator failed for H=(x) [203.0.113.9]: 535 Incorrect authentication data (set_id=bob)",
     A, "submission", "203.0.113.9", "bob", -1, NULL, NULL, NULL},
    {T "[4567] plain authenticator failed for host.example.net (x) [2001:db8::9]:1234 I=[2001:db8::1]:465: 535 Incorrect authentication data",
     A, "submission", "2001:db8::9", NULL, -1, NULL, NULL, NULL},
    /* server-side: the authenticator could not run */
    {T "dovecot_plain authenticator failed for (x) [192.0.2.1]:5 I=[198.51.100.1]:587: 435 Unable to authenticate at present (set_id=alice): failed to connect to socket",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {T "1vABCD-000123-XY <= alice@example.com H=client.example.net (helo) [192.0.2.20]:54321 I=[198.51.100.1]:587 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:alice@example.com S=2048 id=abc@example.com",
     Q, "submission", "192.0.2.20", "alice@example.com", 1, NULL, "sender", "alice@example.com"},
    {T "1vABCD-000123-XY => bob@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.25] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK id=1\"",
     D, "submission", "192.0.2.20", "alice@example.com", -1, NULL, "status", "sent"},
    {T "1vABCD-000123-XY ** carl@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.26]: SMTP error from remote mail server after RCPT TO:<carl@example.net>: 550 5.7.1 Service unavailable; Client host [198.51.100.1] blocked using zen.spamhaus.org",
     B, "submission", "198.51.100.1", "alice@example.com", -1, NULL, "dnsbl", "zen.spamhaus.org"},
    {T "1vABCD-000123-XY == dora@example.net R=dnslookup T=remote_smtp defer (-44) H=mx.example.net [198.51.100.27]: SMTP error from remote mail server after RCPT TO:<dora@example.net>: 451 4.3.0 Temporary failure",
     D, "submission", "192.0.2.20", "alice@example.com", -1, NULL, "dsn", "4.3.0"},
    {T "1vABCD-000123-XY Completed", N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {T "1vABCD-000123-XY => late@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.25] C=\"250 OK\"",
     D, NULL, NULL, NULL, -1, NULL, "recipient", "late@example.org"},
    /* inbound, no auth, old-style id */
    {T "1a2B3c-0004dE-Fg <= <> H=mx.example.com [192.0.2.30] P=esmtp S=900",
     Q, "smtp", "192.0.2.30", NULL, 0, NULL, "sender", ""},
    {T "H=(x) [192.0.2.99]:1234 I=[198.51.100.1]:25 F=<a@b.example> rejected RCPT <c@example.com>: rejected because 192.0.2.99 is in a black list at zen.spamhaus.org",
     C, "smtp", "192.0.2.99", NULL, -1, NULL, "dnsbl", "zen.spamhaus.org"},
    /* syslog form */
    {"Nov 23 06:05:36 mail exim[123]: 1vABCE-000124-XY <= bob@example.com H=(x) [192.0.2.21]:1 P=esmtpa A=login:bob S=10",
     Q, "submission", "192.0.2.21", "bob", 0, NULL, "method", "login"},
    {T "Start queue run: pid=1234", N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
};

static void test_rows(void **state)
{
    (void)state;
    EV_RUN(rows, FMT_AUTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rows)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
