/*
 * asn_csv - one row of the ASN CSV format (see asn_csv.h).
 */
#include "asn_csv.h"
#include "asn_format.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct fld {
    const char *p;
    size_t n;
};

/* csv_split - RFC 4180 fields of one line; quoted fields are unescaped into
 * scratch (at least n bytes). Returns the count (max + 1 if more), or -1
 * with *why set. */
static int csv_split(const char *s, size_t n, struct fld *f, int max, char *scratch,
                     const char **why)
{
    int nf = 0;
    size_t i = 0, sk = 0;
    for (;;) {
        if (nf == max)
            return max + 1;
        if (i < n && s[i] == '"') {
            size_t st = sk;
            i++;
            for (;;) {
                if (i >= n) {
                    *why = "a quoted field is not closed";
                    return -1;
                }
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        scratch[sk++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                scratch[sk++] = s[i++];
            }
            f[nf].p = scratch + st;
            f[nf].n = sk - st;
            nf++;
            if (i == n)
                return nf;
            if (s[i] != ',') {
                *why = "text after a closing quote";
                return -1;
            }
            i++;
        } else {
            size_t st = i;
            while (i < n && s[i] != ',')
                i++;
            f[nf].p = s + st;
            f[nf].n = i - st;
            nf++;
            if (i == n)
                return nf;
            i++;
        }
    }
}

static struct fld trim(struct fld f)
{
    while (f.n && (f.p[0] == ' ' || f.p[0] == '\t')) {
        f.p++;
        f.n--;
    }
    while (f.n && (f.p[f.n - 1] == ' ' || f.p[f.n - 1] == '\t'))
        f.n--;
    return f;
}

static bool parse_u32(struct fld f, uint32_t *out)
{
    if (f.n == 0 || f.n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (f.p[i] < '0' || f.p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(f.p[i] - '0');
    }
    if (v > 0xffffffffULL)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool all_digits(struct fld f)
{
    if (!f.n)
        return false;
    for (size_t i = 0; i < f.n; i++)
        if (f.p[i] < '0' || f.p[i] > '9')
            return false;
    return true;
}

const char *asn_csv_row(const char *line, size_t len, char *scratch, char *whybuf,
                        size_t whylen, struct asn_csv_row *r)
{
    struct fld f[5];
    const char *why = NULL;
    if (memchr(line, '\0', len))
        return "NUL byte in the line";
    int nf = csv_split(line, len, f, 4, scratch, &why);
    if (nf < 0)
        return why;
    if (nf != 4) {
        snprintf(whybuf, whylen, "%s, want 4 (range_start,range_end,asn,organisation)",
                 nf > 4 ? "more than 4 fields" : nf == 3 ? "3 fields" : nf == 2 ? "2 fields"
                                                                        : "1 field");
        return whybuf;
    }
    struct fld fs = trim(f[0]), fe = trim(f[1]), fa = trim(f[2]);
    int rc = ipaddr_parse(fs.p, fs.n, &r->first);
    if (rc < 0) {
        if (all_digits(fs))
            return "numeric range start: the *-num.csv files are not read, give asn-ipv4.csv "
                   "and asn-ipv6.csv";
        snprintf(whybuf, whylen, "range start '%.*s': %s", (int)(fs.n > 60 ? 60 : fs.n), fs.p,
                 ipaddr_strerror(rc));
        return whybuf;
    }
    rc = ipaddr_parse(fe.p, fe.n, &r->last);
    if (rc < 0) {
        snprintf(whybuf, whylen, "range end '%.*s': %s", (int)(fe.n > 60 ? 60 : fe.n), fe.p,
                 ipaddr_strerror(rc));
        return whybuf;
    }
    if (ipaddr_is_v4(&r->first) != ipaddr_is_v4(&r->last))
        return "range start and end are of different address families";
    if (ipaddr_cmp(&r->first, &r->last) > 0)
        return "range start after its end";
    if (!parse_u32(fa, &r->asn)) {
        snprintf(whybuf, whylen, "ASN '%.*s' is not a number 0..4294967295",
                 (int)(fa.n > 40 ? 40 : fa.n), fa.p);
        return whybuf;
    }
    if (f[3].n > ASN_ORG_MAX)
        return "organisation name longer than 1024 bytes";
    if (memchr(f[3].p, '\0', f[3].n))
        return "NUL byte in the organisation name";
    r->org = f[3].p;
    r->org_len = f[3].n;
    return NULL;
}
