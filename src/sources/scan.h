/*
 * scan - small inline helpers the log parsers share: prefix tests, substring
 * search, "key=value" lookup in comma lists, "host[ip]" splitting.
 * Everything works on (pointer, length) slices and never allocates.
 */
#ifndef MW_SCAN_H
#define MW_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "../event/event.h"

static inline bool scan_starts(const char *s, size_t n, const char *lit, size_t litlen)
{
    return n >= litlen && memcmp(s, lit, litlen) == 0;
}
#define SCAN_STARTS(s, n, lit) scan_starts((s), (n), (lit), sizeof(lit) - 1)

static inline const char *scan_find(const char *s, size_t n, const char *lit, size_t litlen)
{
    return memmem(s, n, lit, litlen);
}
#define SCAN_FIND(s, n, lit) scan_find((s), (n), (lit), sizeof(lit) - 1)

static inline bool slice_eq(struct mw_slice a, const char *lit, size_t litlen)
{
    return a.n == litlen && memcmp(a.p, lit, litlen) == 0;
}
#define SLICE_EQ(a, lit) slice_eq((a), (lit), sizeof(lit) - 1)

/* scan_until - slice from s up to the first byte in `stops` (or the end). */
static inline struct mw_slice scan_until(const char *s, const char *end, const char *stops)
{
    const char *p = s;
    while (p < end && !strchr(stops, *p))
        p++;
    return MW_SLICE(s, (size_t)(p - s));
}

/* scan_kv - value of "key=" in s (key given with its '='), up to a byte in
 * `stops`; the key must start s or follow ' ' or ','. {NULL,0} if absent. */
struct mw_slice scan_kv(const char *s, size_t n, const char *key, size_t keylen, const char *stops);
#define SCAN_KV(s, n, key, stops) scan_kv((s), (n), (key), sizeof(key) - 1, (stops))

/* scan_angle - value of "key=<...>" (key with "=<"); '>' followed by ',' or
 * the end closes it, so names holding '>' survive. */
struct mw_slice scan_angle(const char *s, size_t n, const char *key, size_t keylen);
#define SCAN_ANGLE(s, n, key) scan_angle((s), (n), (key), sizeof(key) - 1)

/* scan_bracket_ip - in "name[addr]" at s, the addr slice; also the name. */
bool scan_host_ip(const char *s, size_t n, struct mw_slice *name, struct mw_slice *ip);

/* scan_bracket_ip - the first "[addr]" between s and end holding an IP
 * literal (v4-mapped IPv6 stripped). */
bool scan_bracket_ip(const char *s, const char *end, struct mw_slice *ip);

/* scan_looks_ip - true if s is an IPv4 or IPv6 literal (loose check). */
bool scan_looks_ip(const char *s, size_t n);

/* scan_strip_v4mapped - "::ffff:1.2.3.4" -> "1.2.3.4". */
struct mw_slice scan_strip_v4mapped(struct mw_slice ip);

/* scan_ci_find - case-insensitive search of an ASCII lowercase needle. */
const char *scan_ci_find(const char *s, size_t n, const char *needle, size_t nlen);
#define SCAN_CI_FIND(s, n, lit) scan_ci_find((s), (n), (lit), sizeof(lit) - 1)

#endif
