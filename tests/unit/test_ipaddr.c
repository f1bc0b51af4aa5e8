/* test_ipaddr - parsing, formatting, prefixes and range-to-CIDR of
 * util/ipaddr, table-driven, plus a differential check against inet_pton
 * and inet_ntop on random text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "../../src/util/ipaddr.h"

struct pcase {
    const char *text;
    int rc;
    const char *canon; /* format of the parsed address (rc == 0) */
};

static const struct pcase parse_cases[] = {
    /* IPv4 */
    {"1.2.3.4", IPADDR_OK, "1.2.3.4"},
    {"0.0.0.0", IPADDR_OK, "0.0.0.0"},
    {"255.255.255.255", IPADDR_OK, "255.255.255.255"},
    {"192.0.2.10", IPADDR_OK, "192.0.2.10"},
    /* IPv4-mapped is IPv4 */
    {"::ffff:1.2.3.4", IPADDR_OK, "1.2.3.4"},
    {"::FFFF:1.2.3.4", IPADDR_OK, "1.2.3.4"},
    {"::ffff:0102:0304", IPADDR_OK, "1.2.3.4"},
    {"0:0:0:0:0:ffff:1.2.3.4", IPADDR_OK, "1.2.3.4"},
    /* IPv6, RFC 5952 output */
    {"::", IPADDR_OK, "::"},
    {"::1", IPADDR_OK, "::1"},
    {"1::", IPADDR_OK, "1::"},
    {"2001:db8::1", IPADDR_OK, "2001:db8::1"},
    {"2001:DB8:0:0:0:0:0:1", IPADDR_OK, "2001:db8::1"},
    {"2001:0db8:0000:0000:0000:ff00:0042:8329", IPADDR_OK, "2001:db8::ff00:42:8329"},
    {"2001:db8:0:1:1:1:1:1", IPADDR_OK, "2001:db8:0:1:1:1:1:1"},
    {"2001:db8:0:0:1:0:0:1", IPADDR_OK, "2001:db8::1:0:0:1"},
    {"1:0:0:2:0:0:0:3", IPADDR_OK, "1:0:0:2::3"},
    {"0:0:1:0:0:0:0:0", IPADDR_OK, "0:0:1::"},
    {"1:2:3:4:5:6:7:8", IPADDR_OK, "1:2:3:4:5:6:7:8"},
    {"1:2:3:4:5:6:7::", IPADDR_OK, "1:2:3:4:5:6:7:0"},
    {"::2:3:4:5:6:7:8", IPADDR_OK, "0:2:3:4:5:6:7:8"},
    {"::1.2.3.4", IPADDR_OK, "::102:304"},
    {"64:ff9b::192.0.2.33", IPADDR_OK, "64:ff9b::c000:221"},
    {"fe80::1:2", IPADDR_OK, "fe80::1:2"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", IPADDR_OK,
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"2001:4860:4860::8888", IPADDR_OK, "2001:4860:4860::8888"},
    /* junk */
    {"", IPADDR_E_EMPTY, NULL},
    {"1.2.3", IPADDR_E_SYNTAX, NULL},
    {"1.2.3.4.5", IPADDR_E_SYNTAX, NULL},
    {"1.2.3.256", IPADDR_E_RANGE, NULL},
    {"1.2.3.1000", IPADDR_E_RANGE, NULL},
    {"01.2.3.4", IPADDR_E_SYNTAX, NULL},
    {"1.2.3.4 ", IPADDR_E_SYNTAX, NULL},
    {" 1.2.3.4", IPADDR_E_SYNTAX, NULL},
    {"1..2.3", IPADDR_E_SYNTAX, NULL},
    {"1.2.3.", IPADDR_E_SYNTAX, NULL},
    {"a.b.c.d", IPADDR_E_SYNTAX, NULL},
    {"-1.2.3.4", IPADDR_E_SYNTAX, NULL},
    {":::", IPADDR_E_SYNTAX, NULL},
    {":", IPADDR_E_SYNTAX, NULL},
    {":1", IPADDR_E_SYNTAX, NULL},
    {"1:", IPADDR_E_SYNTAX, NULL},
    {"1::2:", IPADDR_E_SYNTAX, NULL},
    {"1:2:3:4:5:6:7:8:9", IPADDR_E_SYNTAX, NULL},
    {"1:2:3:4:5:6:7", IPADDR_E_SYNTAX, NULL},
    {"1:2:3:4:5:6:7::8", IPADDR_E_SYNTAX, NULL},
    {"1::2::3", IPADDR_E_SYNTAX, NULL},
    {"12345::", IPADDR_E_SYNTAX, NULL},
    {"g::1", IPADDR_E_SYNTAX, NULL},
    {"fe80::1%eth0", IPADDR_E_SYNTAX, NULL},
    {"[::1]", IPADDR_E_SYNTAX, NULL},
    {"::ffff:1.2.3", IPADDR_E_SYNTAX, NULL},
    {"::ffff:1.2.3.300", IPADDR_E_RANGE, NULL},
    {"::1.2.3.4:5", IPADDR_E_SYNTAX, NULL},
    {"1.2.3.4::", IPADDR_E_SYNTAX, NULL},
    {"1:2:3:4:5:6:7:1.2.3.4", IPADDR_E_SYNTAX, NULL},
    {"1:2:3:4:5:6::1.2.3.4", IPADDR_E_SYNTAX, NULL},
    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555", IPADDR_E_TOOLONG, NULL},
    {"localhost", IPADDR_E_SYNTAX, NULL},
};

static void test_parse_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct pcase *c = &parse_cases[i];
        struct ipaddr a;
        int rc = ipaddr_parse(c->text, strlen(c->text), &a);
        if (rc != c->rc)
            fail_msg("case %zu '%s': rc %d (%s), want %d", i, c->text, rc, ipaddr_strerror(rc),
                     c->rc);
        if (rc != IPADDR_OK)
            continue;
        char buf[IPADDR_STRLEN];
        size_t n = ipaddr_format(&a, buf);
        if (strcmp(buf, c->canon) != 0 || n != strlen(buf))
            fail_msg("case %zu '%s': formats as '%s', want '%s'", i, c->text, buf, c->canon);
        struct ipaddr b;
        assert_int_equal(ipaddr_parse(buf, n, &b), IPADDR_OK);
        assert_true(ipaddr_eq(&a, &b));
    }
    /* a slice is parsed without reading past its end */
    struct ipaddr a;
    assert_int_equal(ipaddr_parse("10.1.2.3xyz", 8, &a), IPADDR_OK);
    assert_true(ipaddr_is_v4(&a));
    assert_int_equal(ipaddr_v4(&a), 0x0a010203);
    assert_string_equal(ipaddr_strerror(IPADDR_E_RANGE), "IPv4 part above 255");
    assert_string_equal(ipaddr_strerror(7), "unknown error");
}

struct ncase {
    const char *text;
    unsigned bits;
    const char *cidr;  /* ipaddr_format_cidr(text, bits) */
    const char *net;   /* ipaddr_format_net(text) */
    uint64_t key;      /* ipaddr_net_key(text) */
};

static const struct ncase net_cases[] = {
    {"192.0.2.77", 24, "192.0.2.0/24", "192.0.2.0/24", 0x0000ffffc0000200ULL},
    {"192.0.2.77", 32, "192.0.2.77/32", "192.0.2.0/24", 0x0000ffffc0000200ULL},
    {"192.0.2.77", 0, "0.0.0.0/0", "192.0.2.0/24", 0x0000ffffc0000200ULL},
    {"192.0.2.77", 99, "192.0.2.77/32", "192.0.2.0/24", 0x0000ffffc0000200ULL},
    {"::ffff:198.51.100.9", 20, "198.51.96.0/20", "198.51.100.0/24", 0x0000ffffc6336400ULL},
    {"2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64", "2001:db8:1:2::/64", 0x20010db800010002ULL},
    {"2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48", "2001:db8:1:2::/64", 0x20010db800010002ULL},
    {"2001:db8:1:2:3:4:5:6", 127, "2001:db8:1:2:3:4:5:6/127", "2001:db8:1:2::/64",
     0x20010db800010002ULL},
    {"2001:db8:1:2:3:4:5:7", 127, "2001:db8:1:2:3:4:5:6/127", "2001:db8:1:2::/64",
     0x20010db800010002ULL},
    {"2001:db8:1:2:3:4:5:6", 128, "2001:db8:1:2:3:4:5:6/128", "2001:db8:1:2::/64",
     0x20010db800010002ULL},
    {"2001:db8:1:2:3:4:5:6", 0, "::/0", "2001:db8:1:2::/64", 0x20010db800010002ULL},
    {"2001:db8:ffff:ffff::", 33, "2001:db8:8000::/33", "2001:db8:ffff:ffff::/64",
     0x20010db8ffffffffULL},
    {"::1", 64, "::/64", "::/64", 0},
};

static void test_prefixes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(net_cases) / sizeof(net_cases[0]); i++) {
        const struct ncase *c = &net_cases[i];
        struct ipaddr a;
        assert_int_equal(ipaddr_parse(c->text, strlen(c->text), &a), IPADDR_OK);
        char buf[IPADDR_CIDRLEN];
        ipaddr_format_cidr(&a, c->bits, buf);
        if (strcmp(buf, c->cidr))
            fail_msg("case %zu %s/%u: '%s', want '%s'", i, c->text, c->bits, buf, c->cidr);
        ipaddr_format_net(&a, buf);
        if (strcmp(buf, c->net))
            fail_msg("case %zu %s net: '%s', want '%s'", i, c->text, buf, c->net);
        if (ipaddr_net_key(&a) != c->key)
            fail_msg("case %zu %s key %016llx, want %016llx", i, c->text,
                     (unsigned long long)ipaddr_net_key(&a), (unsigned long long)c->key);
        struct ipaddr n1, n2;
        ipaddr_net(&a, &n1);
        ipaddr_mask(&a, ipaddr_net_bits(&a), &n2);
        assert_true(ipaddr_eq(&n1, &n2));
    }
}

struct rcase {
    const char *first, *last;
    size_t count;
    const char *cidrs; /* the first 3 CIDRs joined by spaces */
};

static const struct rcase range_cases[] = {
    {"1.0.0.0", "1.0.0.255", 1, "1.0.0.0/24"},
    {"1.0.4.0", "1.0.7.255", 1, "1.0.4.0/22"},
    {"1.0.0.1", "1.0.0.6", 4, "1.0.0.1/32 1.0.0.2/31 1.0.0.4/31"},
    {"1.0.0.4", "1.0.0.6", 2, "1.0.0.4/31 1.0.0.6/32"},
    {"9.9.9.9", "9.9.9.9", 1, "9.9.9.9/32"},
    {"0.0.0.0", "255.255.255.255", 1, "0.0.0.0/0"},
    {"255.255.255.255", "255.255.255.255", 1, "255.255.255.255/32"},
    {"214.95.0.0", "214.255.255.255", 3,
     "214.95.0.0/16 214.96.0.0/11 214.128.0.0/9"},
    {"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "::/0"},
    {"2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", 1, "2001:db8::/64"},
    {"2001:4860:480d::", "2001:4860:ffff:ffff:ffff:ffff:ffff:ffff", 12,
     "2001:4860:480d::/48 2001:4860:480e::/47 2001:4860:4810::/44"},
    {"::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 254, "::1/128 ::2/127 ::4/126"},
    {"2001:db8::", "2001:db7::", 0, ""},
};

static void test_ranges(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
        const struct rcase *c = &range_cases[i];
        struct ipaddr f, l;
        assert_int_equal(ipaddr_parse(c->first, strlen(c->first), &f), IPADDR_OK);
        assert_int_equal(ipaddr_parse(c->last, strlen(c->last), &l), IPADDR_OK);
        struct ipaddr_cidr out[3];
        size_t n = ipaddr_range_cidrs(&f, &l, out, 3);
        if (n != c->count)
            fail_msg("case %zu %s-%s: %zu CIDRs, want %zu", i, c->first, c->last, n, c->count);
        char joined[256] = "";
        for (size_t k = 0; k < n && k < 3; k++) {
            char b[IPADDR_CIDRLEN];
            ipaddr_format_cidr(&out[k].addr, out[k].bits, b);
            if (k)
                strcat(joined, " ");
            strcat(joined, b);
        }
        if (strcmp(joined, c->cidrs))
            fail_msg("case %zu %s-%s: '%s', want '%s'", i, c->first, c->last, joined, c->cidrs);
    }
}

/* the CIDRs of a range tile it exactly: each starts where the last ended */
static void test_ranges_tile(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        struct ipaddr f = {0x20010db800000000ULL, x & 0xffffff}, l = f;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        l.lo += x & 0xffffff;
        if (i & 1) {
            ipaddr_from_v4(&f, (uint32_t)x);
            ipaddr_from_v4(&l, (uint32_t)x + (uint32_t)(x >> 40));
            if (ipaddr_cmp(&l, &f) < 0)
                l = f;
        }
        struct ipaddr_cidr out[256];
        size_t n = ipaddr_range_cidrs(&f, &l, out, 256);
        assert_true(n >= 1 && n <= 254);
        struct ipaddr next = f;
        for (size_t k = 0; k < n; k++) {
            assert_true(ipaddr_eq(&out[k].addr, &next));
            unsigned hostbits = (ipaddr_is_v4(&next) ? 32 : 128) - out[k].bits;
            assert_true(hostbits < 64);
            next.lo += 1ULL << hostbits; /* the test ranges stay inside one /64 */
        }
        next.lo -= 1;
        assert_true(ipaddr_eq(&next, &l));
    }
}

/* random text over the address alphabet: accepted exactly when inet_pton
 * accepts it, with the same value; IPv6 output as inet_ntop's */
static void test_vs_libc(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789abcdefABCDEF:.:::..1";
    uint64_t x = 0x2545F4914F6CDD1DULL;
    int accepted = 0;
    for (int i = 0; i < 300000; i++) {
        char s[48];
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = 1 + (x >> 58) % 24;
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s[k] = alpha[(x >> 33) % (sizeof(alpha) - 1)];
        }
        s[n] = '\0';
        struct ipaddr a;
        int rc = ipaddr_parse(s, n, &a);
        unsigned char b[16];
        int want;
        if (strchr(s, ':')) {
            want = inet_pton(AF_INET6, s, b) == 1;
        } else {
            unsigned char b4[4];
            want = inet_pton(AF_INET, s, b4) == 1;
            memset(b, 0, 10);
            b[10] = b[11] = 0xff;
            memcpy(b + 12, b4, 4);
        }
        if ((rc == IPADDR_OK) != want)
            fail_msg("'%s': ipaddr_parse rc %d, inet_pton %d", s, rc, want);
        if (!want)
            continue;
        accepted++;
        uint64_t hi = 0, lo = 0;
        for (int k = 0; k < 8; k++) {
            hi = hi << 8 | b[k];
            lo = lo << 8 | b[k + 8];
        }
        if (a.hi != hi || a.lo != lo)
            fail_msg("'%s': value differs from inet_pton", s);
        if (ipaddr_is_v4(&a) || (a.hi == 0 && (a.lo >> 32) == 0))
            continue; /* libc prints these with a dotted tail */
        char mine[IPADDR_STRLEN], libc[INET6_ADDRSTRLEN];
        ipaddr_format(&a, mine);
        inet_ntop(AF_INET6, b, libc, sizeof(libc));
        if (strcmp(mine, libc))
            fail_msg("'%s': formats as '%s', inet_ntop '%s'", s, mine, libc);
    }
    assert_true(accepted > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_ranges_tile),
        cmocka_unit_test(test_vs_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
