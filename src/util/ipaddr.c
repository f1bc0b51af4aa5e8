/*
 * ipaddr - IPv4/IPv6 parsing, formatting and prefixes (see ipaddr.h).
 *
 * Hand-written parsers rather than inet_pton(): they take a slice, need no
 * copy or NUL, tell why text is not an address, and run in the hot path of
 * the detection engine (one call per log event).
 */
#include "ipaddr.h"

#include <string.h>

static const char *const err_names[] = {
    "ok",
    "empty address",
    "too long for an address",
    "not an IP address",
    "IPv4 part above 255",
};

const char *ipaddr_strerror(int rc)
{
    if (rc > 0 || rc < IPADDR_E_RANGE)
        return "unknown error";
    return err_names[-rc];
}

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* parse_v4 - exactly "d.d.d.d", each 0..255 without leading zeros */
static int parse_v4(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return IPADDR_E_SYNTAX;
            i++;
        }
        size_t st = i;
        unsigned x = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 4) {
            x = x * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        size_t nd = i - st;
        if (nd == 0)
            return IPADDR_E_SYNTAX;
        if (nd > 3 || x > 255)
            return IPADDR_E_RANGE;
        if (nd > 1 && s[st] == '0')
            return IPADDR_E_SYNTAX; /* leading zero: octal to some parsers */
        v = v << 8 | x;
    }
    if (i != n)
        return IPADDR_E_SYNTAX;
    *out = v;
    return IPADDR_OK;
}

static int parse_v6(const char *s, size_t n, struct ipaddr *out)
{
    uint16_t g[8];
    int ng = 0, dc = -1; /* groups parsed; index where "::" stands */
    size_t i = 0;
    if (s[0] == ':') {
        if (n < 2 || s[1] != ':')
            return IPADDR_E_SYNTAX;
        dc = 0;
        i = 2;
    }
    while (i < n) {
        size_t st = i;
        unsigned v = 0;
        int h;
        while (i < n && i - st < 5 && (h = hexval((unsigned char)s[i])) >= 0) {
            v = v << 4 | (unsigned)h;
            i++;
        }
        if (i < n && s[i] == '.') { /* IPv4 tail: the last 32 bits */
            if (ng > 6)
                return IPADDR_E_SYNTAX;
            uint32_t v4;
            int rc = parse_v4(s + st, n - st, &v4);
            if (rc < 0)
                return rc;
            g[ng++] = (uint16_t)(v4 >> 16);
            g[ng++] = (uint16_t)v4;
            i = n;
            break;
        }
        size_t nd = i - st;
        if (nd == 0 || nd > 4 || ng == 8)
            return IPADDR_E_SYNTAX;
        g[ng++] = (uint16_t)v;
        if (i == n)
            break;
        if (s[i] != ':')
            return IPADDR_E_SYNTAX;
        i++;
        if (i < n && s[i] == ':') {
            if (dc >= 0)
                return IPADDR_E_SYNTAX;
            dc = ng;
            i++;
        } else if (i == n) {
            return IPADDR_E_SYNTAX; /* "1::2:" */
        }
    }
    uint16_t full[8];
    if (dc >= 0) {
        if (ng > 7)
            return IPADDR_E_SYNTAX; /* "::" must stand for at least one group */
        int tail = ng - dc;
        memset(full, 0, sizeof(full));
        memcpy(full, g, (size_t)dc * sizeof(uint16_t));
        memcpy(full + 8 - tail, g + dc, (size_t)tail * sizeof(uint16_t));
    } else {
        if (ng != 8)
            return IPADDR_E_SYNTAX;
        memcpy(full, g, sizeof(full));
    }
    out->hi = (uint64_t)full[0] << 48 | (uint64_t)full[1] << 32 | (uint64_t)full[2] << 16 | full[3];
    out->lo = (uint64_t)full[4] << 48 | (uint64_t)full[5] << 32 | (uint64_t)full[6] << 16 | full[7];
    return IPADDR_OK;
}

int ipaddr_parse(const char *s, size_t n, struct ipaddr *out)
{
    if (n == 0)
        return IPADDR_E_EMPTY;
    if (n > IPADDR_STRLEN - 1)
        return IPADDR_E_TOOLONG;
    if (memchr(s, ':', n) == NULL) {
        uint32_t v4;
        int rc = parse_v4(s, n, &v4);
        if (rc == IPADDR_OK)
            ipaddr_from_v4(out, v4);
        return rc;
    }
    return parse_v6(s, n, out);
}

static size_t format_v4(uint32_t v, char *b)
{
    size_t k = 0;
    for (int i = 3; i >= 0; i--) {
        unsigned x = (v >> (i * 8)) & 0xff;
        if (x >= 100)
            b[k++] = (char)('0' + x / 100);
        if (x >= 10)
            b[k++] = (char)('0' + x / 10 % 10);
        b[k++] = (char)('0' + x % 10);
        if (i)
            b[k++] = '.';
    }
    b[k] = '\0';
    return k;
}

size_t ipaddr_format(const struct ipaddr *a, char buf[IPADDR_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    if (ipaddr_is_v4(a))
        return format_v4(ipaddr_v4(a), buf);
    unsigned g[8];
    for (int i = 0; i < 4; i++) {
        g[i] = (unsigned)(a->hi >> (48 - 16 * i)) & 0xffff;
        g[i + 4] = (unsigned)(a->lo >> (48 - 16 * i)) & 0xffff;
    }
    /* RFC 5952: the longest run of two or more zero groups becomes "::" */
    int best = -1, bestlen = 1;
    for (int i = 0; i < 8;) {
        if (g[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !g[j])
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    size_t k = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            buf[k++] = ':';
            if (i == 0)
                buf[k++] = ':';
            i += bestlen - 1;
            continue;
        }
        unsigned x = g[i];
        int started = 0;
        for (int sh = 12; sh >= 0; sh -= 4) {
            unsigned d = (x >> sh) & 0xf;
            if (d || started || sh == 0) {
                buf[k++] = hex[d];
                started = 1;
            }
        }
        if (i < 7)
            buf[k++] = ':';
    }
    buf[k] = '\0';
    return k;
}

static void mask128(struct ipaddr *a, unsigned bits)
{
    if (bits >= 128)
        return;
    if (bits == 0) {
        a->hi = a->lo = 0;
    } else if (bits <= 64) {
        a->hi &= ~0ULL << (64 - bits);
        a->lo = 0;
    } else {
        a->lo &= ~0ULL << (128 - bits);
    }
}

void ipaddr_mask(const struct ipaddr *a, unsigned bits, struct ipaddr *out)
{
    *out = *a;
    if (ipaddr_is_v4(a))
        mask128(out, 96 + (bits > 32 ? 32 : bits));
    else
        mask128(out, bits > 128 ? 128 : bits);
}

void ipaddr_cidr_last(const struct ipaddr *a, unsigned bits, struct ipaddr *out)
{
    unsigned width = ipaddr_is_v4(a) ? 32 : 128;
    if (bits > width)
        bits = width;
    unsigned host = width - bits;
    *out = *a;
    if (host >= 64) {
        out->lo = ~0ULL;
        out->hi |= host == 64 ? 0 : ~0ULL >> (128 - host);
    } else if (host > 0) {
        out->lo |= ~0ULL >> (64 - host);
    }
}

size_t ipaddr_format_cidr(const struct ipaddr *a, unsigned bits, char buf[IPADDR_CIDRLEN])
{
    struct ipaddr m;
    unsigned max = ipaddr_is_v4(a) ? 32 : 128;
    if (bits > max)
        bits = max;
    ipaddr_mask(a, bits, &m);
    size_t k = ipaddr_format(&m, buf);
    buf[k++] = '/';
    if (bits >= 100)
        buf[k++] = (char)('0' + bits / 100);
    if (bits >= 10)
        buf[k++] = (char)('0' + bits / 10 % 10);
    buf[k++] = (char)('0' + bits % 10);
    buf[k] = '\0';
    return k;
}

unsigned ipaddr_net_bits(const struct ipaddr *a)
{
    return ipaddr_is_v4(a) ? 24 : 64;
}

void ipaddr_net(const struct ipaddr *a, struct ipaddr *out)
{
    ipaddr_mask(a, ipaddr_net_bits(a), out);
}

size_t ipaddr_format_net(const struct ipaddr *a, char buf[IPADDR_CIDRLEN])
{
    return ipaddr_format_cidr(a, ipaddr_net_bits(a), buf);
}

uint64_t ipaddr_net_key(const struct ipaddr *a)
{
    if (ipaddr_is_v4(a))
        return a->lo & 0x0000ffffffffff00ULL;
    return a->hi;
}

/* number of trailing zero bits of a (128 for ::) */
static unsigned ctz128(const struct ipaddr *a)
{
    if (a->lo)
        return (unsigned)__builtin_ctzll(a->lo);
    if (a->hi)
        return 64 + (unsigned)__builtin_ctzll(a->hi);
    return 128;
}

/* floor(log2(x + 1)) for x = last - first: the largest k with 2^k <= x + 1 */
static unsigned log2_plus1(uint64_t hi, uint64_t lo)
{
    if (hi == ~0ULL && lo == ~0ULL)
        return 128;
    lo++;
    if (lo == 0)
        hi++;
    if (hi)
        return 127 - (unsigned)__builtin_clzll(hi);
    return 63 - (unsigned)__builtin_clzll(lo);
}

size_t ipaddr_range_cidrs(const struct ipaddr *first, const struct ipaddr *last,
                          struct ipaddr_cidr *out, size_t max)
{
    if (ipaddr_cmp(first, last) > 0)
        return 0;
    struct ipaddr cur = *first;
    size_t count = 0;
    for (;;) {
        uint64_t dlo = last->lo - cur.lo;
        uint64_t dhi = last->hi - cur.hi - (last->lo < cur.lo);
        unsigned k = ctz128(&cur);
        unsigned fit = log2_plus1(dhi, dlo);
        if (fit < k)
            k = fit;
        unsigned bits = 128 - k;
        if (ipaddr_is_v4(&cur) && bits >= 96)
            bits -= 96;
        if (count < max) {
            out[count].addr = cur;
            out[count].bits = bits;
        }
        count++;
        /* end of this block: cur + 2^k - 1 */
        struct ipaddr end = cur;
        if (k == 128) {
            end.hi = end.lo = ~0ULL;
        } else if (k >= 64) {
            end.lo = ~0ULL;
            end.hi |= k == 64 ? 0 : (~0ULL >> (128 - k));
        } else if (k > 0) {
            end.lo |= ~0ULL >> (64 - k);
        }
        if (ipaddr_eq(&end, last))
            break;
        cur = end;
        if (++cur.lo == 0)
            cur.hi++;
    }
    return count;
}
