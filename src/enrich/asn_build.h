/*
 * asn_build - compile public ASN data into the table asn_table reads.
 *
 * Input: CSV files of rows "range_start,range_end,asn,organisation" (the
 * @ip-location-db/asn files asn-ipv4.csv and asn-ipv6.csv; RFC 4180 quoting;
 * gzip read transparently), and optionally a country MMDB (read with
 * libmaxminddb: the "country_code" or "country.iso_code" of each network),
 * whose countries are merged into the ranges at build time so one lookup
 * gives both. Special-purpose blocks (private, loopback, link-local,
 * documentation, multicast, reserved) are cut out unless keep_special.
 *
 * Errors: a bad CSV row is skipped, counted in stats->bad_rows and reported
 * to opts->diag as "mailward: FILE:LINE: bad row skipped: why" (the first
 * max_warnings of a file, then a count). Overlapping rows are kept, counted
 * and reported the same way; where ranges overlap, the one that starts later
 * wins (for nested ranges: the innermost). Unreadable input, a bad MMDB, no
 * rows at all, or a failed write return -1 with err->msg set and leave any
 * existing output file untouched (the table is written to a temporary file
 * and renamed over the output).
 */
#ifndef MW_ASN_BUILD_H
#define MW_ASN_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "asn_table.h"

struct asn_build_opts {
    const char *const *csv;    /* CSV paths */
    size_t ncsv;
    const char *country_mmdb;  /* NULL: no countries */
    const char *out;           /* the table to write */
    const char *source;        /* data source and version for the header; NULL: the file names */
    int64_t data_time;         /* date of the data (UTC seconds); 0: the MMDB's build time */
    FILE *diag;                /* row problems go here (not NULL) */
    int max_warnings;          /* per sort of problem and file */
    bool keep_special;         /* keep private/documentation/multicast blocks */
};

struct asn_build_stats {
    uint64_t rows;          /* CSV data rows read */
    uint64_t bad_rows;      /* skipped, each reported */
    uint64_t overlaps;      /* rows overlapping an earlier-starting one */
    uint64_t country_nets;  /* networks with a country in the MMDB */
    uint32_t n_v4, n_v6;    /* ranges written, gaps included */
    uint32_t n_info, n_orgs;
    uint64_t strings_size;
    uint64_t file_size;
};

/* asn_build - 0 when the table was written (bad rows may have been skipped:
 * see stats), -1 with err->msg on failure. */
int asn_build(const struct asn_build_opts *opts, struct asn_build_stats *stats,
              struct asn_err *err);

#endif
