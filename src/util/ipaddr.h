/*
 * ipaddr - IPv4 and IPv6 addresses as one 128-bit value: parse, format,
 * compare, prefixes (/24 of IPv4, /64 of IPv6) and ranges as CIDRs.
 *
 * A struct ipaddr holds the address as two host-order halves (hi = first 8
 * bytes, lo = last 8), so comparing addresses is comparing (hi, lo). IPv4 is
 * kept as the v4-mapped IPv6 address ::ffff:a.b.c.d; text "::ffff:1.2.3.4"
 * and "1.2.3.4" give the same value, and both format back as "1.2.3.4".
 * Prefix lengths of an IPv4 address are given in IPv4 terms (0..32).
 *
 * No function allocates or keeps pointers. ipaddr_parse() takes a slice
 * (no NUL needed) and returns IPADDR_OK or a negative enum ipaddr_err that
 * ipaddr_strerror() names: junk never yields an address. Formatters write a
 * NUL-terminated string into a caller buffer of IPADDR_STRLEN (address) or
 * IPADDR_CIDRLEN (address/bits) bytes and return its length.
 */
#ifndef MW_IPADDR_H
#define MW_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ipaddr {
    uint64_t hi; /* bits 127..64, host order */
    uint64_t lo; /* bits 63..0 */
};

/* one network: address with host bits zero, and its prefix length (IPv4
 * addresses count bits in IPv4 terms) */
struct ipaddr_cidr {
    struct ipaddr addr;
    unsigned bits;
};

enum ipaddr_err {
    IPADDR_OK = 0,
    IPADDR_E_EMPTY = -1,   /* no text */
    IPADDR_E_TOOLONG = -2, /* longer than any address can be */
    IPADDR_E_SYNTAX = -3,  /* not an address (bad character, group count, "::" twice, ...) */
    IPADDR_E_RANGE = -4,   /* an IPv4 part above 255 */
};

#define IPADDR_STRLEN 46   /* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" + NUL */
#define IPADDR_CIDRLEN 50  /* address + "/128" */
#define IPADDR_V4_HI 0ULL
#define IPADDR_V4_LO_TAG 0x0000ffff00000000ULL

/* ipaddr_parse - s[0..n) as IPv4 dotted quad (no leading zeros) or IPv6
 * (RFC 4291 text, IPv4 tail allowed); no brackets, zones or spaces. */
int ipaddr_parse(const char *s, size_t n, struct ipaddr *out);
/* ipaddr_strerror - a short phrase for a return code of ipaddr_parse */
const char *ipaddr_strerror(int rc);

/* ipaddr_format - RFC 5952 text (IPv4-mapped as dotted quad) */
size_t ipaddr_format(const struct ipaddr *a, char buf[IPADDR_STRLEN]);
/* ipaddr_format_cidr - "net/bits" of a after masking to bits (IPv4 bits for IPv4) */
size_t ipaddr_format_cidr(const struct ipaddr *a, unsigned bits, char buf[IPADDR_CIDRLEN]);

/* ipaddr_mask - a with all but the first `bits` bits cleared (IPv4 terms for
 * IPv4; bits beyond the family's width are clamped) */
void ipaddr_mask(const struct ipaddr *a, unsigned bits, struct ipaddr *out);
/* ipaddr_cidr_last - the last address of the network a/bits (IPv4 terms for
 * IPv4; bits beyond the family's width are clamped) */
void ipaddr_cidr_last(const struct ipaddr *a, unsigned bits, struct ipaddr *out);
/* ipaddr_net_bits - 24 for IPv4, 64 for IPv6: the prefix the engine keys on */
unsigned ipaddr_net_bits(const struct ipaddr *a);
/* ipaddr_net - the /24 (IPv4) or /64 (IPv6) network of a */
void ipaddr_net(const struct ipaddr *a, struct ipaddr *out);
/* ipaddr_format_net - "192.0.2.0/24" or "2001:db8:1:2::/64" */
size_t ipaddr_format_net(const struct ipaddr *a, char buf[IPADDR_CIDRLEN]);
/* ipaddr_net_key - the network of ipaddr_net() as one 64-bit key: the top
 * half of an IPv6 /64, or 0x0000ffff_xxxxxx00 for an IPv4 /24. Distinct
 * networks give distinct keys, except that an IPv4 /24 shares its key with an
 * IPv6 /64 inside 0::/16 (reserved, never routed). */
uint64_t ipaddr_net_key(const struct ipaddr *a);

/* ipaddr_range_cidrs - the shortest list of CIDRs covering first..last
 * (inclusive, first <= last, same family). Writes at most max of them and
 * returns how many there are (at most 254). */
size_t ipaddr_range_cidrs(const struct ipaddr *first, const struct ipaddr *last,
                          struct ipaddr_cidr *out, size_t max);

static inline bool ipaddr_is_v4(const struct ipaddr *a)
{
    return a->hi == 0 && (a->lo >> 32) == 0xffff;
}

static inline uint32_t ipaddr_v4(const struct ipaddr *a)
{
    return (uint32_t)a->lo;
}

/* 127.0.0.0/8 or ::1: a webmail or a proxy on the host itself */
static inline bool ipaddr_is_loopback(const struct ipaddr *a)
{
    if (ipaddr_is_v4(a))
        return (ipaddr_v4(a) >> 24) == 127;
    return a->hi == 0 && a->lo == 1;
}

static inline void ipaddr_from_v4(struct ipaddr *a, uint32_t v4)
{
    a->hi = IPADDR_V4_HI;
    a->lo = IPADDR_V4_LO_TAG | v4;
}

static inline int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return 0;
}

static inline bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
    return a->hi == b->hi && a->lo == b->lo;
}

#endif
