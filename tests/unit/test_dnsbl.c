/* test_dnsbl - blocklist wording in remote replies, and what is not. */
#include "mwtest.h"
#include "../../src/sources/dnsbl.h"

struct dcase {
    const char *text;
    const char *list;   /* NULL = not a listing */
    const char *listed;
};

static const struct dcase cases[] = {
    {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
     "zen.spamhaus.org", "192.0.2.1"},
    {"554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.1",
     "Barracuda", "192.0.2.1"},
    {"451 4.7.1 Service unavailable - try again later; listed at bl.spamcop.net", "bl.spamcop.net", NULL},
    /* a version number or a date is not an address */
    {"554 5.7.1 rejected by policy 1.2.3 at 12:30:45; listed at bl.example.net", "bl.example.net", NULL},
    {"550 5.7.1 Mail from 192.0.2.1 refused - listed in b.barracudacentral.org.", "b.barracudacentral.org", "192.0.2.1"},
    {"553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
     "spamhaus", "192.0.2.1"},
    {"550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
     "microsoft", "192.0.2.1"},
    {"550 5.7.1 Your IP address 2001:db8::1 is listed by dnsbl.sorbs.net", "dnsbl.sorbs.net", "2001:db8::1"},
    {"550 5.7.1 Client [2001:db8::1] is blacklisted by UCEPROTECT Level 2", "uceprotect", "2001:db8::1"},
    /* not blocklists */
    {"550 5.0.0 User not listed in public Name & Address Book", NULL, NULL},
    {"550 5.1.1 <x@example.com>: Recipient address rejected: User unknown", NULL, NULL},
    {"452 4.2.2 Mailbox full", NULL, NULL},
    {"", NULL, NULL},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mw_slice list, listed;
        bool m = dnsbl_match(cases[i].text, strlen(cases[i].text), &list, &listed);
        if (!cases[i].list) {
            if (m)
                fail_msg("case %zu: '%s' taken for a listing (%.*s)", i, cases[i].text,
                         (int)list.n, list.p);
            continue;
        }
        if (!m)
            fail_msg("case %zu: '%s' not recognised", i, cases[i].text);
        assert_slice(list, cases[i].list);
        assert_slice(listed, cases[i].listed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cases)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
