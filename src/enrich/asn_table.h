/*
 * asn_table - look up the ASN, organisation and country of an address in a
 * compiled table (*.mwdb, made by asn_build; layout in asn_format.h).
 *
 * API: asn_table_open() maps a file read-only and checks all of it (header,
 * bounds, checksum, order of ranges, every index and string) before handing
 * out a table, so lookups never read outside the file; a truncated or corrupt
 * file gives NULL and a one-line reason in err->msg. asn_table_open_mem()
 * does the same on a caller's buffer (copied; for tests and fuzzing).
 * asn_table_lookup() is a bucket index on the top 16 bits, then a branchless
 * binary search; it allocates nothing and may be called from many threads.
 *
 * Ownership: the table owns its mapping; strings in struct asn_info point
 * into it and stay valid until asn_table_close().
 */
#ifndef MW_ASN_TABLE_H
#define MW_ASN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ipaddr.h"

#define ASN_TABLE_SOURCE_MAX 120

struct asn_err {
    char msg[320];
};

struct asn_info {
    uint32_t asn;        /* 0: no ASN known (the country may still be) */
    const char *org;     /* organisation, NUL-terminated, "" when unknown */
    size_t org_len;
    char country[3];     /* ISO 3166-1 alpha-2 ("US"), "" when unknown */
    struct ipaddr first; /* the table's range holding the address */
    struct ipaddr last;
};

struct asn_table_meta {
    uint32_t version;
    uint64_t file_size;
    uint32_t n_v4, n_v6;   /* ranges (gaps included) */
    uint32_t n_info;       /* distinct (asn, org, country) tuples */
    uint32_t n_orgs;       /* distinct organisation names */
    uint64_t strings_size;
    int64_t data_time;     /* UTC seconds of the data, 0 unknown */
    bool has_country;
    char source[ASN_TABLE_SOURCE_MAX];
};

struct asn_table;

/* asn_table_open - NULL with err->msg set if the file is missing, short,
 * corrupt, of another version or byte order. */
struct asn_table *asn_table_open(const char *path, struct asn_err *err);
struct asn_table *asn_table_open_mem(const void *buf, size_t len, struct asn_err *err);

/* asn_table_lookup - 1 found (out filled), 0 the address is in no range
 * (out->first/last give the gap, the rest empty), -1 bad arguments. */
int asn_table_lookup(const struct asn_table *t, const struct ipaddr *a, struct asn_info *out);

const struct asn_table_meta *asn_table_meta(const struct asn_table *t);
void asn_table_close(struct asn_table *t);

#endif
