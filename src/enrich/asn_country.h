/*
 * asn_country - the country of every network in a MaxMind DB (MMDB), read
 * with libmaxminddb, as sorted, disjoint address ranges (adjacent networks
 * of one country merged). Used by asn_build to merge countries into the ASN
 * table; the only file that includes <maxminddb.h>.
 *
 * A record's country is its "country_code" (ip-location-db layout), else
 * its "country" -> "iso_code" (GeoLite2 layout). IPv4 comes back as
 * IPv4-mapped ranges whether the database is IPv4-only or keeps IPv4 at
 * ::/96 of an IPv6 tree; the aliases of that subtree (::ffff:0:0/96,
 * 2002::/16) are not read twice.
 *
 * API: asn_country_read() returns 0 with a malloc'd array the caller frees,
 * its count and the database's build time; or -1 with err->msg naming the
 * file and the problem (cannot open, not an MMDB, corrupt tree).
 * Countries are packed in 16 bits: 0 none, else 1 + (c0-'A')*26 + (c1-'A').
 */
#ifndef MW_ASN_COUNTRY_H
#define MW_ASN_COUNTRY_H

#include <stddef.h>
#include <stdint.h>

#include "../util/ipaddr.h"
#include "asn_table.h"

struct asn_cnet {
    struct ipaddr first, last;
    uint16_t cc;
};

int asn_country_read(const char *path, struct asn_cnet **out, size_t *n, int64_t *build_time,
                     struct asn_err *err);
/* asn_country_code - the packed code of two letters (either case), 0 if not two letters */
uint16_t asn_country_code(const char *s, size_t n);

#endif
