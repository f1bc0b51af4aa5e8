/*
 * fuzz_ipaddr - libFuzzer target for address parsing and the ASN table
 * loader. The first byte picks what the rest is:
 *   0: address text: ipaddr_parse, and for what parses, format -> parse
 *      round trip, prefixes, range -> CIDRs (invariants checked, abort on
 *      violation);
 *   1: a whole table file (its checksum fixed up so the checks behind it
 *      are reached), opened from memory and, if accepted, looked up;
 *   2: patches (offset, byte) to a valid table built at start-up from a
 *      small CSV, checksum fixed up, then open + lookups;
 *   3: one CSV row for asn_csv_row (the table compiler's row parser).
 * A table that opens must answer every lookup without reading outside it
 * (ASan watches).
 */
#include "../src/enrich/asn_build.h"
#include "../src/enrich/asn_csv.h"
#include "../src/enrich/asn_format.h"
#include "../src/enrich/asn_table.h"
#include "../src/util/ipaddr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *seed_table;
static size_t seed_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char csv[] =
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
        "8.8.8.0,8.8.8.255,15169,Google LLC\n"
        "9.0.0.0,9.255.255.255,100,Nine\n"
        "9.9.9.0,9.9.9.255,19281,Quad9\n"
        "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"
        "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google\n";
    char cpath[] = "/tmp/fuzz_ipaddr.csv.XXXXXX";
    char tpath[] = "/tmp/fuzz_ipaddr.mwdb.XXXXXX";
    int fd = mkstemp(cpath);
    int td = mkstemp(tpath);
    if (fd < 0 || td < 0 || write(fd, csv, sizeof(csv) - 1) != (ssize_t)(sizeof(csv) - 1))
        abort();
    close(fd);
    close(td);
    const char *files[] = {cpath};
    FILE *devnull = fopen("/dev/null", "w");
    struct asn_build_opts o = {files, 1, NULL, tpath, "fuzz", 0, devnull, 10, false};
    struct asn_build_stats st;
    struct asn_err err;
    if (asn_build(&o, &st, &err) < 0) {
        fprintf(stderr, "fuzz_ipaddr: %s\n", err.msg);
        abort();
    }
    fclose(devnull);
    FILE *f = fopen(tpath, "rb");
    fseek(f, 0, SEEK_END);
    seed_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    seed_table = malloc(seed_len);
    if (fread(seed_table, 1, seed_len, f) != seed_len)
        abort();
    fclose(f);
    unlink(cpath);
    unlink(tpath);
    return 0;
}

static void fix_crc(uint8_t *b, size_t len)
{
    if (len < sizeof(struct asn_file_header))
        return;
    struct asn_file_header h;
    memcpy(&h, b, sizeof(h));
    h.crc32 = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b + sizeof(h), (uInt)(len - sizeof(h)));
    memcpy(b, &h, sizeof(h));
}

static void check_lookup(const struct asn_table *t, const struct ipaddr *a)
{
    struct asn_info in;
    int rc = asn_table_lookup(t, a, &in);
    if (rc < 0 || rc > 1)
        abort();
    /* the range holds the address, the strings are whole */
    if (ipaddr_cmp(&in.first, a) > 0 || ipaddr_cmp(a, &in.last) > 0)
        abort();
    if (strlen(in.org) != in.org_len || strlen(in.country) > 2)
        abort();
}

static void table_case(uint8_t *b, size_t len, const uint8_t *addrs, size_t alen)
{
    fix_crc(b, len);
    struct asn_err err;
    struct asn_table *t = asn_table_open_mem(b, len, &err);
    if (!t) {
        if (!err.msg[0])
            abort(); /* a refusal always says why */
        return;
    }
    static const char *const fixed[] = {"0.0.0.0", "1.0.0.1", "8.8.8.8", "9.9.9.9",
                                        "255.255.255.255", "::", "2001:4860::1",
                                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        struct ipaddr a;
        ipaddr_parse(fixed[i], strlen(fixed[i]), &a);
        check_lookup(t, &a);
    }
    for (size_t i = 0; i + 16 <= alen && i < 16 * 64; i += 16) {
        struct ipaddr a;
        memcpy(&a.hi, addrs + i, 8);
        memcpy(&a.lo, addrs + i + 8, 8);
        check_lookup(t, &a);
        ipaddr_from_v4(&a, (uint32_t)a.lo);
        check_lookup(t, &a);
    }
    asn_table_close(t);
}

static void text_case(const uint8_t *data, size_t size)
{
    struct ipaddr a;
    int rc = ipaddr_parse((const char *)data, size, &a);
    if (rc != IPADDR_OK) {
        if (rc > 0 || rc < IPADDR_E_RANGE)
            abort();
        return;
    }
    char buf[IPADDR_STRLEN], cb[IPADDR_CIDRLEN];
    size_t n = ipaddr_format(&a, buf);
    struct ipaddr b;
    if (n != strlen(buf) || n >= IPADDR_STRLEN || ipaddr_parse(buf, n, &b) != IPADDR_OK ||
        !ipaddr_eq(&a, &b))
        abort();
    unsigned bits = size ? data[0] % 140 : 0;
    if (ipaddr_format_cidr(&a, bits, cb) >= IPADDR_CIDRLEN)
        abort();
    ipaddr_format_net(&a, cb);
    struct ipaddr net;
    ipaddr_net(&a, &net);
    if (ipaddr_cmp(&net, &a) > 0)
        abort();
    /* a range from the network to the address tiles in at most 254 CIDRs */
    struct ipaddr_cidr c[8];
    size_t k = ipaddr_range_cidrs(&net, &a, c, 8);
    if (k < 1 || k > 254 || !ipaddr_eq(&c[0].addr, &net))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t mode = data[0] % 4;
    data++;
    size--;
    if (mode == 0) {
        text_case(data, size);
    } else if (mode == 1) {
        uint8_t *b = malloc(size ? size : 1);
        memcpy(b, data, size);
        table_case(b, size, data, size);
        free(b);
    } else if (mode == 3) {
        char *line = malloc(size ? size : 1), *scratch = malloc(size ? size : 1), why[160];
        memcpy(line, data, size);
        struct asn_csv_row r;
        const char *bad = asn_csv_row(line, size, scratch, why, sizeof(why), &r);
        if (bad ? strlen(bad) == 0
                : (r.org_len > size || ipaddr_cmp(&r.first, &r.last) > 0 ||
                   ipaddr_is_v4(&r.first) != ipaddr_is_v4(&r.last)))
            abort();
        free(line);
        free(scratch);
    } else {
        uint8_t *b = malloc(seed_len);
        memcpy(b, seed_table, seed_len);
        size_t len = seed_len;
        /* 3-byte patches: 16-bit offset, value; a first byte 0xff cuts the table */
        size_t i = 0;
        if (size >= 3 && data[0] == 0xff) {
            len = ((size_t)data[1] << 8 | data[2]) % (seed_len + 1);
            i = 3;
        }
        for (; i + 3 <= size && i < 3 * 64; i += 3) {
            size_t off = ((size_t)data[i] << 8 | data[i + 1]) % seed_len;
            b[off] = data[i + 2];
        }
        table_case(b, len, data, size);
        free(b);
    }
    return 0;
}
