/* test_sendmail - Sendmail AUTH, STARTTLS, from/to lines and links. */
#include "mwtest.h"

#define A MW_KIND_AUTH_FAILURE
#define S MW_KIND_AUTH_SUCCESS
#define Q MW_KIND_MESSAGE_QUEUED
#define D MW_KIND_DELIVERY
#define B MW_KIND_DNSBL_LISTING
#define C MW_KIND_CLIENT_LISTED
#define N MW_KIND_NONE
#define H "Nov 23 06:05:36 mail sm-mta[4242]: "

static const struct ev_case rows[] = {
    {H "5AN6A0Zx012345: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=alice, relay=client.example.net [192.0.2.1]",
     A, "submission", "192.0.2.1", "alice", -1, NULL, "method", "LOGIN"},
    {H "5AN6A0Zx012346: AUTH failure (PLAIN): user not found (-20) SASL(-20): user not found: unable to canonify user and get auxprops, relay=[192.0.2.2]",
     A, "submission", "192.0.2.2", NULL, -1, "unknown_user", NULL, NULL},
    {H "5AN6A0Zx012347: AUTH failure (PLAIN): generic failure (-1) SASL(-1): generic failure: checkpass failed, user=alice, relay=[192.0.2.1]",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "STARTTLS=server, relay=client.example.net [192.0.2.20], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
     N, NULL, NULL, NULL, 9, NULL, NULL, NULL},
    {H "5AN6A0Zx012348: AUTH=server, relay=client.example.net [192.0.2.20], authid=alice@example.com, mech=PLAIN, bits=0",
     S, "submission", "192.0.2.20", "alice@example.com", 1, NULL, "method", "PLAIN"},
    {H "5AN6A0Zx012348: from=<alice@example.com>, size=1234, class=0, nrcpts=25, msgid=<x@example.com>, bodytype=8BITMIME, proto=ESMTPSA, daemon=MSA, relay=client.example.net [192.0.2.20]",
     Q, "submission", "192.0.2.20", "alice@example.com", 1, NULL, "nrcpt", "25"},
    {"Nov 23 06:05:38 mail sm-mta[4243]: 5AN6A0Zx012348: to=<bob@example.org>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120385, relay=mx.example.org. [198.51.100.25], dsn=2.0.0, stat=Sent (OK id=1)",
     D, "submission", "192.0.2.20", "alice@example.com", -1, NULL, "status", "sent"},
    {"Nov 23 06:05:38 mail sm-mta[4243]: 5AN6A0Zx012348: to=<carl@example.net>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120385, relay=mx.example.net. [198.51.100.26], dsn=5.7.1, stat=Service unavailable; Client host [198.51.100.1] blocked using zen.spamhaus.org",
     B, "submission", "198.51.100.1", "alice@example.com", -1, NULL, "dnsbl", "zen.spamhaus.org"},
    {H "ruleset=check_relay, arg1=[192.0.2.99], arg2=127.0.0.2, relay=[192.0.2.99], reject=550 5.7.1 Rejected: 192.0.2.99 listed at zen.spamhaus.org",
     C, "smtp", "192.0.2.99", NULL, -1, NULL, "dnsbl", "zen.spamhaus.org"},
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
