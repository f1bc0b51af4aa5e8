/* test_asn - build ASN tables from small CSVs (and a small MaxMind DB the
 * test writes itself) and check lookups at range edges, IPv4 and IPv6, gaps,
 * overlaps, countries, special-purpose blocks; bad CSV rows reported with
 * FILE:LINE; truncated and corrupt table files refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../../src/enrich/asn_build.h"
#include "../../src/enrich/asn_format.h"
#include "../../src/enrich/asn_table.h"

static char dir[64];

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc((size_t)n);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* build - the table of csv (one file) [+ mmdb]; returns asn_build's rc, the
 * diagnostics in *diag (caller frees) */
static int build(const char *csv, const char *mmdb, const char *out, bool keep_special,
                 struct asn_build_stats *st, char **diag, struct asn_err *err)
{
    char cpath[128];
    path_in(cpath, sizeof(cpath), "in.csv");
    write_file(cpath, csv, strlen(csv));
    const char *files[] = {cpath};
    size_t dlen;
    FILE *d = open_memstream(diag, &dlen);
    struct asn_build_opts o = {files, 1, mmdb, out, "test data 1.0", 1781654400, d, 10,
                               keep_special};
    int rc = asn_build(&o, st, err);
    fclose(d);
    return rc;
}

static const char good_csv[] =
    "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
    "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\r\n"
    "\n"
    "8.8.8.0,8.8.8.255,15169,Google LLC\n"
    "9.0.0.0,9.255.255.255,100,\"Big \"\"Nine\"\" Corp\"\n"
    "9.9.9.0,9.9.9.255,19281,Quad9\n"
    "10.0.0.0,10.0.0.255,64512,Private Net\n"
    "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"
    "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"
    "2a00:1450:4001::,2a00:1450:4001:0:ffff:ffff:ffff:ffff,15169,Google Frankfurt\n"
    "2a00:1451::1,2a00:1451::1,64496,\n";

struct lcase {
    const char *addr;
    int rc;
    uint32_t asn;
    const char *org;
    const char *cc;
    const char *first, *last;
};

static void run_lookups(const struct asn_table *t, const struct lcase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct lcase *c = &cases[i];
        struct ipaddr a;
        assert_int_equal(ipaddr_parse(c->addr, strlen(c->addr), &a), 0);
        struct asn_info in;
        int rc = asn_table_lookup(t, &a, &in);
        if (rc != c->rc)
            fail_msg("case %zu %s: rc %d, want %d", i, c->addr, rc, c->rc);
        if (rc == 1) {
            if (in.asn != c->asn || strcmp(in.org, c->org) || strlen(in.org) != in.org_len ||
                strcmp(in.country, c->cc))
                fail_msg("case %zu %s: AS%u '%s' '%s', want AS%u '%s' '%s'", i, c->addr,
                         in.asn, in.org, in.country, c->asn, c->org, c->cc);
        } else if (in.asn || in.org_len || in.country[0] || strcmp(in.org, "")) {
            fail_msg("case %zu %s: not found but fields set", i, c->addr);
        }
        if (c->first) {
            char f[IPADDR_STRLEN], l[IPADDR_STRLEN];
            ipaddr_format(&in.first, f);
            ipaddr_format(&in.last, l);
            if (strcmp(f, c->first) || strcmp(l, c->last))
                fail_msg("case %zu %s: range %s-%s, want %s-%s", i, c->addr, f, l, c->first,
                         c->last);
        }
    }
}

static const struct lcase plain_cases[] = {
    {"1.0.0.0", 1, 13335, "Cloudflare, Inc.", "", "1.0.0.0", "1.0.0.255"},
    {"1.0.0.255", 1, 13335, "Cloudflare, Inc.", "", "1.0.0.0", "1.0.0.255"},
    {"::ffff:1.0.0.7", 1, 13335, "Cloudflare, Inc.", "", NULL, NULL},
    {"0.255.255.255", 0, 0, NULL, NULL, "0.0.0.0", "0.255.255.255"},
    {"1.0.1.0", 0, 0, NULL, NULL, "1.0.1.0", "1.0.3.255"},
    {"1.0.3.255", 0, 0, NULL, NULL, "1.0.1.0", "1.0.3.255"},
    {"1.0.4.0", 1, 38803, "Gtelecom Pty Ltd", "", "1.0.4.0", "1.0.7.255"},
    {"1.0.7.255", 1, 38803, "Gtelecom Pty Ltd", "", "1.0.4.0", "1.0.7.255"},
    {"1.0.8.0", 0, 0, NULL, NULL, "1.0.8.0", "8.8.7.255"},
    {"8.8.8.8", 1, 15169, "Google LLC", "", "8.8.8.0", "8.8.8.255"},
    /* nested: the inner range wins, the outer resumes after it */
    {"9.0.0.0", 1, 100, "Big \"Nine\" Corp", "", "9.0.0.0", "9.9.8.255"},
    {"9.9.8.255", 1, 100, "Big \"Nine\" Corp", "", "9.0.0.0", "9.9.8.255"},
    {"9.9.9.0", 1, 19281, "Quad9", "", "9.9.9.0", "9.9.9.255"},
    {"9.9.9.255", 1, 19281, "Quad9", "", "9.9.9.0", "9.9.9.255"},
    {"9.9.10.0", 1, 100, "Big \"Nine\" Corp", "", "9.9.10.0", "9.255.255.255"},
    {"9.255.255.255", 1, 100, "Big \"Nine\" Corp", "", NULL, NULL},
    /* special-purpose: cut out by default */
    {"10.0.0.1", 0, 0, NULL, NULL, "10.0.0.0", "255.255.255.255"},
    {"255.255.255.255", 0, 0, NULL, NULL, "10.0.0.0", "255.255.255.255"},
    /* IPv6 */
    {"2001:4860::", 1, 15169, "Google LLC", "", "2001:4860::", "2001:4860:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"2001:4860:4860::8888", 1, 15169, "Google LLC", "", NULL, NULL},
    {"2001:4860:ffff:ffff:ffff:ffff:ffff:ffff", 1, 15169, "Google LLC", "", NULL, NULL},
    {"2001:485f:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, NULL, NULL, "::", "2001:485f:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"2001:4861::", 0, 0, NULL, NULL, "2001:4861::", "2a00:144f:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"2a00:1450:4000:ffff:ffff:ffff:ffff:ffff", 1, 15169, "Google LLC", "", "2a00:1450::", "2a00:1450:4000:ffff:ffff:ffff:ffff:ffff"},
    {"2a00:1450:4001::", 1, 15169, "Google Frankfurt", "", "2a00:1450:4001::", "2a00:1450:4001:0:ffff:ffff:ffff:ffff"},
    {"2a00:1450:4001:1::", 1, 15169, "Google LLC", "", "2a00:1450:4001:1::", "2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"2a00:1451::", 0, 0, NULL, NULL, "2a00:1451::", "2a00:1451::"},
    {"2a00:1451::1", 1, 64496, "", "", "2a00:1451::1", "2a00:1451::1"},
    {"2a00:1451::2", 0, 0, NULL, NULL, "2a00:1451::2", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"::", 0, 0, NULL, NULL, NULL, NULL},
    {"::1", 0, 0, NULL, NULL, NULL, NULL},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, NULL, NULL, NULL, NULL},
};

static void test_lookup(void **state)
{
    (void)state;
    char out[128];
    path_in(out, sizeof(out), "plain.mwdb");
    struct asn_build_stats st;
    struct asn_err err;
    char *diag;
    int rc = build(good_csv, NULL, out, false, &st, &diag, &err);
    if (rc)
        fail_msg("build: %s", err.msg);
    assert_int_equal(st.rows, 10);
    assert_int_equal(st.bad_rows, 0);
    assert_int_equal(st.overlaps, 2);
    /* the overlaps are reported with both lines */
    assert_non_null(strstr(diag, "in.csv:6: range 9.9.9.0-9.9.9.255 overlaps"));
    assert_non_null(strstr(diag, "in.csv:5 (9.0.0.0-9.255.255.255)"));
    assert_non_null(strstr(diag, "in.csv:10: range 2a00:1450:4001::-"));
    free(diag);

    struct asn_table *t = asn_table_open(out, &err);
    if (!t)
        fail_msg("open: %s", err.msg);
    const struct asn_table_meta *m = asn_table_meta(t);
    assert_string_equal(m->source, "test data 1.0");
    assert_int_equal(m->data_time, 1781654400);
    assert_false(m->has_country);
    assert_int_equal(m->version, ASN_FILE_VERSION);
    assert_int_equal(m->n_orgs, 8); /* "" and 7 names (Google LLC once) */
    run_lookups(t, plain_cases, sizeof(plain_cases) / sizeof(plain_cases[0]));
    assert_int_equal(asn_table_lookup(NULL, NULL, NULL), -1);
    asn_table_close(t);
    asn_table_close(NULL);
}

/* --keep-special keeps private space, and ranges may reach both ends */
static void test_keep_special(void **state)
{
    (void)state;
    static const char csv[] = "0.0.0.0,0.0.0.255,1,Zero\n"
                              "10.0.0.0,10.0.0.255,64512,Private Net\n"
                              "255.255.255.0,255.255.255.255,2,Top\n"
                              "::,::ffff,3,Low\n"
                              "ffff::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,4,High\n";
    static const struct lcase cases[] = {
        {"0.0.0.0", 1, 1, "Zero", "", "0.0.0.0", "0.0.0.255"},
        {"10.0.0.1", 1, 64512, "Private Net", "", "10.0.0.0", "10.0.0.255"},
        {"255.255.255.255", 1, 2, "Top", "", "255.255.255.0", "255.255.255.255"},
        {"255.255.254.255", 0, 0, NULL, NULL, "10.0.1.0", "255.255.254.255"},
        {"::", 1, 3, "Low", "", "::", "::ffff"},
        {"::1:0", 0, 0, NULL, NULL, "::1:0", "fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, 4, "High", "", "ffff::",
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    };
    char out[128];
    path_in(out, sizeof(out), "special.mwdb");
    struct asn_build_stats st;
    struct asn_err err;
    char *diag;
    if (build(csv, NULL, out, true, &st, &diag, &err))
        fail_msg("build: %s", err.msg);
    free(diag);
    struct asn_table *t = asn_table_open(out, &err);
    assert_non_null(t);
    run_lookups(t, cases, sizeof(cases) / sizeof(cases[0]));
    asn_table_close(t);
}

static void test_bad_rows(void **state)
{
    (void)state;
    static const char csv[] = "8.8.8.0,8.8.8.255,15169,Google LLC\n"     /* 1 */
                              "1.2.3.4,1.2.3.0,1,x\n"                     /* 2 */
                              "1.2.3.4,2001::1,1,x\n"                     /* 3 */
                              "junk,1.2.3.4,1,x\n"                        /* 4 */
                              "1.2.3.4,1.2.3.5,notanumber,x\n"            /* 5 */
                              "1.2.3.4,1.2.3.5,1\n"                       /* 6 */
                              "1.2.3.4,1.2.3.5,1,\"unterminated\n"        /* 7 */
                              "16777216,16777471,13335,x\n"               /* 8 */
                              "1.2.3.4,1.2.3.5,1,a,b\n"                   /* 9 */
                              "1.2.3.4,1.2.3.5,4294967296,x\n"            /* 10 */
                              "1.2.3.4,1.2.3.5,1,\"x\"y\n"                /* 11 */
                              "9.9.9.0,9.9.9.255,19281,Quad9\n";          /* 12 */
    char out[128];
    path_in(out, sizeof(out), "bad.mwdb");
    struct asn_build_stats st;
    struct asn_err err;
    char *diag;
    if (build(csv, NULL, out, false, &st, &diag, &err))
        fail_msg("build: %s", err.msg);
    assert_int_equal(st.rows, 12);
    assert_int_equal(st.bad_rows, 10);
    static const char *const want[] = {
        "in.csv:2: bad row skipped: range start after its end",
        "in.csv:3: bad row skipped: range start and end are of different address families",
        "in.csv:4: bad row skipped: range start 'junk': not an IP address",
        "in.csv:5: bad row skipped: ASN 'notanumber' is not a number",
        "in.csv:6: bad row skipped: 3 fields, want 4",
        "in.csv:7: bad row skipped: a quoted field is not closed",
        "in.csv:8: bad row skipped: numeric range start",
        "in.csv:9: bad row skipped: more than 4 fields",
        "in.csv:10: bad row skipped: ASN '4294967296'",
        "in.csv:11: bad row skipped: text after a closing quote",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(diag, want[i]))
            fail_msg("missing '%s' in:\n%s", want[i], diag);
    free(diag);
    struct asn_table *t = asn_table_open(out, &err);
    assert_non_null(t);
    static const struct lcase cases[] = {
        {"8.8.8.8", 1, 15169, "Google LLC", "", NULL, NULL},
        {"9.9.9.9", 1, 19281, "Quad9", "", NULL, NULL},
        {"1.2.3.4", 0, 0, NULL, NULL, NULL, NULL},
    };
    run_lookups(t, cases, 3);
    asn_table_close(t);

    /* more bad rows than max_warnings: a count line */
    char big[4096] = "";
    for (int i = 0; i < 30; i++)
        strcat(big, "x,y,1,z\n");
    strcat(big, "8.8.8.0,8.8.8.255,15169,Google LLC\n");
    if (build(big, NULL, out, false, &st, &diag, &err))
        fail_msg("build: %s", err.msg);
    assert_int_equal(st.bad_rows, 30);
    assert_non_null(strstr(diag, "in.csv:10: bad row skipped"));
    assert_null(strstr(diag, "in.csv:11: bad row skipped"));
    assert_non_null(strstr(diag, "in.csv: 30 bad rows skipped in all (the first 10 shown)"));
    free(diag);

    /* nothing usable: an error, and the old table is left alone */
    size_t before;
    free(read_file(out, &before));
    assert_int_equal(build("junk\nmore junk\n", NULL, out, false, &st, &diag, &err), -1);
    assert_non_null(strstr(err.msg, "no usable rows"));
    free(diag);
    size_t after;
    free(read_file(out, &after));
    assert_int_equal(before, after);

    /* a missing CSV */
    const char *files[] = {"/nonexistent/asn.csv"};
    struct asn_build_opts o = {files, 1, NULL, out, NULL, 0, stderr, 10, false};
    assert_int_equal(asn_build(&o, &st, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/asn.csv"));
}

/* ---- a small MaxMind DB writer, enough for country_code maps ---- */

struct tnode {
    int64_t rec[2]; /* -1 empty, -(2 + d) data d, else a node index */
};

struct mmdbw {
    struct tnode n[4096];
    int count;
    unsigned width;
};

static int64_t node_new(struct mmdbw *w)
{
    assert_true(w->count < 4096);
    w->n[w->count].rec[0] = w->n[w->count].rec[1] = -1;
    return w->count++;
}

static int bit_at(const uint8_t *addr, unsigned i)
{
    return (addr[i / 8] >> (7 - i % 8)) & 1;
}

/* walk_to - the node holding the record for bit plen-1 of addr */
static int64_t walk_to(struct mmdbw *w, const uint8_t *addr, unsigned plen)
{
    int64_t node = 0;
    for (unsigned i = 0; i + 1 < plen; i++) {
        int b = bit_at(addr, i);
        if (w->n[node].rec[b] < 0)
            w->n[node].rec[b] = node_new(w);
        node = w->n[node].rec[b];
    }
    return node;
}

static void mm_insert(struct mmdbw *w, const char *cidr, int data)
{
    char text[64];
    snprintf(text, sizeof(text), "%s", cidr);
    char *slash = strchr(text, '/');
    *slash = '\0';
    unsigned plen = (unsigned)atoi(slash + 1);
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(text, strlen(text), &a), 0);
    uint8_t addr[16];
    for (int k = 0; k < 8; k++) {
        addr[k] = (uint8_t)(a.hi >> (56 - 8 * k));
        addr[k + 8] = (uint8_t)(a.lo >> (56 - 8 * k));
    }
    const uint8_t *p = addr;
    if (w->width == 32) {
        p = addr + 12;
    } else if (ipaddr_is_v4(&a)) {
        addr[10] = addr[11] = 0; /* IPv4 lives at ::/96 in an IPv6 tree */
        plen += 96;
    }
    int64_t node = walk_to(w, p, plen);
    w->n[node].rec[bit_at(p, plen - 1)] = data < 0 ? -1 : -(2 + data);
}

/* mm_alias - point prefix/plen at the node of ::/96 (as libmaxminddb's
 * writers alias ::ffff:0:0/96 and 2002::/16) */
static void mm_alias(struct mmdbw *w, const uint8_t *prefix, unsigned plen)
{
    static const uint8_t zero[16];
    int64_t v4 = walk_to(w, zero, 97);
    int64_t node = walk_to(w, prefix, plen);
    w->n[node].rec[bit_at(prefix, plen - 1)] = v4;
}

static size_t put_str(uint8_t *b, const char *s)
{
    size_t n = strlen(s);
    b[0] = (uint8_t)(0x40 | n);
    memcpy(b + 1, s, n);
    return n + 1;
}

static size_t put_u16(uint8_t *b, const char *key, unsigned v)
{
    size_t k = put_str(b, key);
    b[k++] = 0xa2;
    b[k++] = (uint8_t)(v >> 8);
    b[k++] = (uint8_t)v;
    return k;
}

static void mm_write(struct mmdbw *w, const char *path, const char *const *ccs, int ncc)
{
    static uint8_t buf[65536];
    size_t k = 0, nc = (size_t)w->count;
    for (size_t i = 0; i < nc; i++) {
        for (int side = 0; side < 2; side++) {
            int64_t r = w->n[i].rec[side];
            uint32_t v;
            if (r == -1)
                v = (uint32_t)nc;
            else if (r < -1)
                v = (uint32_t)(nc + 16 + 17 * (size_t)(-r - 2));
            else
                v = (uint32_t)r;
            buf[k++] = (uint8_t)(v >> 16);
            buf[k++] = (uint8_t)(v >> 8);
            buf[k++] = (uint8_t)v;
        }
    }
    memset(buf + k, 0, 16);
    k += 16;
    for (int d = 0; d < ncc; d++) { /* {"country_code": "XX"}: 17 bytes */
        buf[k++] = 0xe1;
        k += put_str(buf + k, "country_code");
        k += put_str(buf + k, ccs[d]);
    }
    memcpy(buf + k, "\xab\xcd\xefMaxMind.com", 14);
    k += 14;
    buf[k++] = 0xe9; /* metadata map, 9 pairs */
    k += put_str(buf + k, "node_count");
    buf[k++] = 0xc4;
    buf[k++] = (uint8_t)(nc >> 24);
    buf[k++] = (uint8_t)(nc >> 16);
    buf[k++] = (uint8_t)(nc >> 8);
    buf[k++] = (uint8_t)nc;
    k += put_u16(buf + k, "record_size", 24);
    k += put_u16(buf + k, "ip_version", w->width == 128 ? 6 : 4);
    k += put_str(buf + k, "database_type");
    k += put_str(buf + k, "test-country");
    k += put_str(buf + k, "languages");
    buf[k++] = 0x00; /* array, 0 elements */
    buf[k++] = 0x04;
    k += put_u16(buf + k, "binary_format_major_version", 2);
    k += put_u16(buf + k, "binary_format_minor_version", 0);
    k += put_str(buf + k, "build_epoch");
    buf[k++] = 0x04; /* uint64, 4 bytes */
    buf[k++] = 0x02;
    buf[k++] = 0x6a;
    buf[k++] = 0x32;
    buf[k++] = 0xf6;
    buf[k++] = 0x00; /* 0x6a32f600 = 1781724672 */
    k += put_str(buf + k, "description");
    buf[k++] = 0xe0;
    write_file(path, buf, k);
}

static void test_countries(void **state)
{
    (void)state;
    static const char *const ccs[] = {"US", "CA", "DE", "AU", "IE"};
    static struct mmdbw w;
    memset(&w, 0, sizeof(w));
    w.width = 128;
    node_new(&w);
    mm_insert(&w, "8.8.8.0/25", 0);        /* US */
    mm_insert(&w, "8.8.8.128/25", 1);      /* CA */
    mm_insert(&w, "5.5.5.0/24", 2);        /* DE, no AS */
    mm_insert(&w, "192.168.0.0/16", 3);    /* AU: bogus, cut out */
    mm_insert(&w, "9.0.0.0/8", 0);         /* US */
    mm_insert(&w, "2001:4860::/32", 0);    /* US */
    mm_insert(&w, "2a00:1450:4000::/36", 4); /* IE: part of a range */
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t sixtofour[16] = {0x20, 0x02};
    mm_alias(&w, mapped, 96);
    mm_alias(&w, sixtofour, 16);
    char mmdb[128], out[128];
    path_in(mmdb, sizeof(mmdb), "cc.mmdb");
    path_in(out, sizeof(out), "cc.mwdb");
    mm_write(&w, mmdb, ccs, 5);

    struct asn_build_stats st;
    struct asn_err err;
    char *diag;
    if (build(good_csv, mmdb, out, false, &st, &diag, &err))
        fail_msg("build: %s", err.msg);
    free(diag);
    assert_int_equal(st.country_nets, 7);
    struct asn_table *t = asn_table_open(out, &err);
    if (!t)
        fail_msg("open: %s", err.msg);
    assert_true(asn_table_meta(t)->has_country);
    static const struct lcase cases[] = {
        {"8.8.8.0", 1, 15169, "Google LLC", "US", "8.8.8.0", "8.8.8.127"},
        {"8.8.8.127", 1, 15169, "Google LLC", "US", "8.8.8.0", "8.8.8.127"},
        {"8.8.8.128", 1, 15169, "Google LLC", "CA", "8.8.8.128", "8.8.8.255"},
        {"5.5.5.5", 1, 0, "", "DE", "5.5.5.0", "5.5.5.255"},
        {"5.5.6.0", 0, 0, NULL, NULL, NULL, NULL},
        {"192.168.1.1", 0, 0, NULL, NULL, NULL, NULL},
        {"9.9.9.9", 1, 19281, "Quad9", "US", "9.9.9.0", "9.9.9.255"},
        {"9.200.0.0", 1, 100, "Big \"Nine\" Corp", "US", "9.9.10.0", "9.255.255.255"},
        {"1.0.0.1", 1, 13335, "Cloudflare, Inc.", "", NULL, NULL},
        {"2001:4860::1", 1, 15169, "Google LLC", "US", NULL, NULL},
        {"2a00:1450::1", 1, 15169, "Google LLC", "", "2a00:1450::", "2a00:1450:3fff:ffff:ffff:ffff:ffff:ffff"},
        {"2a00:1450:4000::1", 1, 15169, "Google LLC", "IE", "2a00:1450:4000::", "2a00:1450:4000:ffff:ffff:ffff:ffff:ffff"},
        {"2a00:1450:4001::1", 1, 15169, "Google Frankfurt", "IE", NULL, NULL},
        {"2a00:1450:5000::", 1, 15169, "Google LLC", "", "2a00:1450:5000::", "2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff"},
        /* aliases of the IPv4 tree are not read twice */
        {"2002:808:808::", 0, 0, NULL, NULL, NULL, NULL},
        {"::808:808", 0, 0, NULL, NULL, NULL, NULL},
    };
    run_lookups(t, cases, sizeof(cases) / sizeof(cases[0]));
    asn_table_close(t);

    /* the MMDB's build time is the data's date when none is given */
    char cpath[128];
    path_in(cpath, sizeof(cpath), "in.csv");
    const char *files[] = {cpath};
    FILE *devnull = fopen("/dev/null", "w");
    struct asn_build_opts o = {files, 1, mmdb, out, NULL, 0, devnull, 10, false};
    assert_int_equal(asn_build(&o, &st, &err), 0);
    fclose(devnull);
    t = asn_table_open(out, &err);
    assert_non_null(t);
    assert_int_equal(asn_table_meta(t)->data_time, 0x6a32f600);
    asn_table_close(t);

    /* an IPv4-only database */
    memset(&w, 0, sizeof(w));
    w.width = 32;
    node_new(&w);
    mm_insert(&w, "8.8.8.0/24", 4);
    mm_write(&w, mmdb, ccs, 5);
    if (build(good_csv, mmdb, out, false, &st, &diag, &err))
        fail_msg("build: %s", err.msg);
    free(diag);
    t = asn_table_open(out, &err);
    assert_non_null(t);
    static const struct lcase v4only[] = {
        {"8.8.8.8", 1, 15169, "Google LLC", "IE", "8.8.8.0", "8.8.8.255"},
        {"9.9.9.9", 1, 19281, "Quad9", "", NULL, NULL},
    };
    run_lookups(t, v4only, 2);
    asn_table_close(t);

    /* not a MaxMind DB */
    write_file(mmdb, "junk", 4);
    assert_int_equal(build(good_csv, mmdb, out, false, &st, &diag, &err), -1);
    assert_non_null(strstr(err.msg, "cc.mmdb"));
    free(diag);
}

/* ---- damaged tables ---- */

static void refix_crc(uint8_t *b, size_t len)
{
    struct asn_file_header h;
    memcpy(&h, b, sizeof(h));
    h.crc32 = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b + sizeof(h), (uInt)(len - sizeof(h)));
    memcpy(b, &h, sizeof(h));
}

struct dcase {
    const char *what;
    long keep;        /* keep this many bytes (-1: all) */
    bool set;         /* change byte off to val */
    size_t off;
    uint8_t val;
    bool fix_crc;     /* recompute the checksum after the change */
    const char *msg;  /* part of the error */
};

static void test_damaged(void **state)
{
    (void)state;
    char out[128], bad[128];
    path_in(out, sizeof(out), "good.mwdb");
    path_in(bad, sizeof(bad), "damaged.mwdb");
    struct asn_build_stats st;
    struct asn_err err;
    char *diag;
    if (build(good_csv, NULL, out, false, &st, &diag, &err))
        fail_msg("build: %s", err.msg);
    free(diag);
    size_t len;
    uint8_t *good = read_file(out, &len);
    struct asn_file_header h;
    memcpy(&h, good, sizeof(h));
    const struct dcase cases[] = {
        {"truncated by one byte", (long)len - 1, false, 0, 0, false, "truncated"},
        {"truncated in half", (long)len / 2, false, 0, 0, false, "truncated"},
        {"only part of the header", 100, false, 0, 0, false, "shorter than the 256-byte header"},
        {"empty", 0, false, 0, 0, false, "0 bytes, shorter than"},
        {"trailing bytes", -2, false, 0, 0, false, "trailing bytes"},
        {"bad magic", -1, true, 0, 'X', false, "bad magic"},
        {"other version", -1, true, offsetof(struct asn_file_header, version), 9, false, "version 9"},
        {"other byte order", -1, true, offsetof(struct asn_file_header, byte_order), 9, false, "byte order"},
        {"header size", -1, true, offsetof(struct asn_file_header, header_size), 1, false, "header size"},
        {"flipped payload byte", -1, true, len - 3, 0x5a, false, "checksum"},
        {"flipped range byte", -1, true, (size_t)h.off_v4_start + 5, 0x77, false, "checksum"},
        {"section past the end", -1, true, offsetof(struct asn_file_header, off_strings) + 3, 0x40, false, "outside the file"},
        {"unaligned section", -1, true, offsetof(struct asn_file_header, off_info), (uint8_t)(h.off_info + 1), false, "outside the file"},
        {"index out of bounds", -1, true, (size_t)h.off_v4_info + 4 * 3 + 2, 0x7f, true, "bad index"},
        {"ranges out of order", -1, true, (size_t)h.off_v4_start + 4 * 3 + 3, 0xff, true, "out of order"},
        {"IPv6 ranges out of order", -1, true, (size_t)h.off_v6_hi + 8 * 2 + 7, 0xff, true, "IPv6 range"},
        {"IPv6 low halves out of order", -1, true, (size_t)h.off_v6_lo + 8 * 7 + 7, 0xff, true, "IPv6 range"},
        {"org offset past the strings", -1, true, (size_t)h.off_info + 4 + 3, 0x7f, true, "bad name"},
        {"bad country", -1, true, (size_t)h.off_info + 10, 'a', true, "bad name or country"},
        {"string table not terminated", -1, true, (size_t)(h.off_strings + h.strings_size - 1), 'x', true, "string table"},
        {"first range not at 0", -1, true, (size_t)h.off_v6_lo + 7, 1, true, "do not start at address 0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct dcase *c = &cases[i];
        size_t n = c->keep == -2 ? len + 8 : c->keep < 0 ? len : (size_t)c->keep;
        uint8_t *b = calloc(1, len + 8);
        memcpy(b, good, len);
        if (c->set)
            b[c->off] = c->val;
        if (c->fix_crc)
            refix_crc(b, n);
        write_file(bad, b, n);
        struct asn_table *t = asn_table_open(bad, &err);
        if (t)
            fail_msg("case %zu (%s): opened", i, c->what);
        if (!strstr(err.msg, c->msg))
            fail_msg("case %zu (%s): '%s' does not say '%s'", i, c->what, err.msg, c->msg);
        if (!strstr(err.msg, "damaged.mwdb"))
            fail_msg("case %zu (%s): '%s' does not name the file", i, c->what, err.msg);
        t = asn_table_open_mem(b, n, &err);
        if (t)
            fail_msg("case %zu (%s): opened from memory", i, c->what);
        free(b);
    }
    /* a header whose source text has no NUL */
    uint8_t *b = malloc(len);
    memcpy(b, good, len);
    memset(b + offsetof(struct asn_file_header, source), 'x', ASN_SOURCE_MAX);
    write_file(bad, b, len);
    assert_null(asn_table_open(bad, &err));
    assert_non_null(strstr(err.msg, "source not terminated"));
    free(b);
    /* not there, not a file */
    assert_null(asn_table_open("/nonexistent/asn.mwdb", &err));
    assert_non_null(strstr(err.msg, "No such file"));
    assert_null(asn_table_open(dir, &err));
    assert_non_null(strstr(err.msg, "not a regular file"));
    /* the undamaged bytes still open, from a file and from memory */
    struct asn_table *t = asn_table_open_mem(good, len, &err);
    assert_non_null(t);
    asn_table_close(t);
    free(good);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_asn.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_keep_special),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_countries),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
