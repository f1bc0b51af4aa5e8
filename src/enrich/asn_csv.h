/*
 * asn_csv - one row of the ASN CSV format: "range_start,range_end,asn,
 * organisation", the range given by its first and last address (IPv4 or
 * IPv6, both of one family), RFC 4180 quoting ("" inside quotes is one
 * quote). These are the files asn-ipv4.csv and asn-ipv6.csv of the npm
 * package @ip-location-db/asn.
 *
 * API: asn_csv_row() parses one line (without its newline or CR) and returns
 * NULL, or a short phrase saying why the row cannot be used: static text or
 * the caller's whybuf. The organisation points into the line or into the
 * caller's scratch (at least len bytes) and lives as long as they do.
 * Nothing is allocated.
 */
#ifndef MW_ASN_CSV_H
#define MW_ASN_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "../util/ipaddr.h"

struct asn_csv_row {
    struct ipaddr first, last;
    uint32_t asn;
    const char *org;   /* not NUL-terminated */
    size_t org_len;
};

const char *asn_csv_row(const char *line, size_t len, char *scratch, char *whybuf,
                        size_t whylen, struct asn_csv_row *out);

#endif
