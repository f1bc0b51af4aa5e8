/*
 * scan - parser helpers (see scan.h).
 */
#include "scan.h"

#include <ctype.h>

/* key_value - where the value of "key" starts: the key must start s or
 * follow ' ' or ','; NULL if absent */
static const char *key_value(const char *s, size_t n, const char *key, size_t keylen)
{
    const char *end = s + n;
    for (const char *p = s; p < end;) {
        const char *hit = memmem(p, (size_t)(end - p), key, keylen);
        if (!hit)
            return NULL;
        if (hit == s || hit[-1] == ' ' || hit[-1] == ',')
            return hit + keylen;
        p = hit + 1;
    }
    return NULL;
}

struct mw_slice scan_kv(const char *s, size_t n, const char *key, size_t keylen, const char *stops)
{
    const char *v = key_value(s, n, key, keylen);
    if (!v)
        return (struct mw_slice){NULL, 0};
    return scan_until(v, s + n, stops);
}

struct mw_slice scan_angle(const char *s, size_t n, const char *key, size_t keylen)
{
    const char *end = s + n;
    const char *v = key_value(s, n, key, keylen);
    if (!v)
        return (struct mw_slice){NULL, 0};
    /* the '>' followed by ',', ' ', ':' or the end closes it; else the last '>' */
    const char *last = NULL;
    for (const char *q = v; q < end;) {
        const char *gt = memchr(q, '>', (size_t)(end - q));
        if (!gt)
            break;
        last = gt;
        if (gt + 1 == end || gt[1] == ',' || gt[1] == ' ' || gt[1] == ':')
            return MW_SLICE(v, (size_t)(gt - v));
        q = gt + 1;
    }
    if (last)
        return MW_SLICE(v, (size_t)(last - v));
    return (struct mw_slice){NULL, 0};
}

bool scan_host_ip(const char *s, size_t n, struct mw_slice *name, struct mw_slice *ip)
{
    const char *lb = memchr(s, '[', n);
    if (!lb)
        return false;
    const char *end = s + n;
    const char *rb = memchr(lb, ']', (size_t)(end - lb));
    if (!rb)
        return false;
    if (name)
        *name = MW_SLICE(s, (size_t)(lb - s));
    *ip = MW_SLICE(lb + 1, (size_t)(rb - lb - 1));
    return true;
}

bool scan_bracket_ip(const char *p, const char *end, struct mw_slice *ip)
{
    while (p < end) {
        const char *lb = memchr(p, '[', (size_t)(end - p));
        if (!lb)
            return false;
        const char *rb = memchr(lb, ']', (size_t)(end - lb));
        if (!rb)
            return false;
        if (scan_looks_ip(lb + 1, (size_t)(rb - lb - 1))) {
            *ip = scan_strip_v4mapped(MW_SLICE(lb + 1, (size_t)(rb - lb - 1)));
            return true;
        }
        p = rb + 1;
    }
    return false;
}

bool scan_looks_ip(const char *s, size_t n)
{
    if (n < 2 || n > 45)
        return false;
    bool colon = false, dot = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ':')
            colon = true;
        else if (c == '.')
            dot = true;
        else if (!isxdigit((unsigned char)c))
            return false;
    }
    if (!colon && dot) {
        for (size_t i = 0; i < n; i++)
            if (s[i] != '.' && (s[i] < '0' || s[i] > '9'))
                return false;
    }
    return colon || dot;
}

struct mw_slice scan_strip_v4mapped(struct mw_slice ip)
{
    if (ip.n > 7 && (memcmp(ip.p, "::ffff:", 7) == 0 || memcmp(ip.p, "::FFFF:", 7) == 0) &&
        memchr(ip.p + 7, '.', ip.n - 7))
        return MW_SLICE(ip.p + 7, ip.n - 7);
    return ip;
}

const char *scan_ci_find(const char *s, size_t n, const char *needle, size_t nlen)
{
    if (nlen == 0 || n < nlen)
        return nlen == 0 ? s : NULL;
    char first = needle[0];
    char upper = (char)toupper((unsigned char)first);
    for (size_t i = 0; i + nlen <= n; i++) {
        if (s[i] != first && s[i] != upper)
            continue;
        size_t k = 1;
        while (k < nlen && tolower((unsigned char)s[i + k]) == needle[k])
            k++;
        if (k == nlen)
            return s + i;
    }
    return NULL;
}
