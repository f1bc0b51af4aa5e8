/*
 * asn_build - CSV rows (+ MMDB countries) -> one sorted, gap-filled table
 * (see asn_build.h for the contract, asn_format.h for the file layout).
 *
 * Steps: read every CSV row into a raw list (organisation names interned);
 * sort by start and sweep, so overlapping rows become disjoint segments
 * (the later-starting range wins); walk the MMDB's search tree into
 * disjoint country networks; intersect the two segment lists; split at the
 * IPv4-mapped block into an IPv4 and an IPv6 list, filling holes with gap
 * entries so each list partitions its whole address space; intern the
 * (asn, org, country) tuples; write header + sections, checksum, rename.
 */
#include "asn_build.h"
#include "asn_format.h"
#include "../util/ipaddr.h"
#include "../util/linereader.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <maxminddb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_ORGS (1u << 22)   /* org ids fit 22 bits of the info key */
#define MAX_RANGES 0xfffffff0u

struct raw {               /* one CSV row */
    struct ipaddr first, last;
    uint32_t asn, org, line;
    uint16_t file;
};

struct seg {               /* a disjoint segment of the result */
    struct ipaddr first, last;
    uint32_t asn, org;
    uint16_t cc;           /* 0 none, else 1 + (c0-'A')*26 + (c1-'A') */
    uint8_t has_asn;
};

struct build {
    const struct asn_build_opts *o;
    struct asn_build_stats *st;
    struct asn_err *err;
    /* organisation names: id -> (offset, length) in str; hash of ids + 1 */
    char *str;
    size_t str_len, str_cap;
    uint32_t *org_off;
    uint16_t *org_len;
    size_t norg, org_cap;
    uint32_t *org_ht;
    size_t org_ht_cap;
    struct raw *raw;
    size_t nraw, raw_cap;
    struct seg *seg;
    size_t nseg, seg_cap;
    /* info tuples: key -> index */
    struct asn_file_info *info;
    size_t ninfo, info_cap;
    uint64_t *info_key;
    uint32_t *info_val;
    size_t info_ht_cap;
    int64_t mmdb_time;
};

static const struct ipaddr IP_MAX = {~0ULL, ~0ULL};
static const struct ipaddr V4_FIRST = {0, 0x0000ffff00000000ULL};
static const struct ipaddr V4_LAST = {0, 0x0000ffffffffffffULL};

static void seterr(struct asn_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void seterr(struct asn_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    *cap = c;
    return xrealloc(p, c * elem);
}

static inline int ip_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
    return ipaddr_cmp(a, b);
}

static inline struct ipaddr ip_inc(struct ipaddr a)
{
    if (++a.lo == 0)
        a.hi++;
    return a;
}

static inline struct ipaddr ip_dec(struct ipaddr a)
{
    if (a.lo-- == 0)
        a.hi--;
    return a;
}

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return hash64(h);
}

/* ---- organisation names ---- */

static void org_rehash(struct build *b)
{
    size_t cap = b->org_ht_cap ? b->org_ht_cap * 2 : 1 << 16;
    uint32_t *ht = xcalloc(cap, sizeof(uint32_t));
    for (size_t id = 0; id < b->norg; id++) {
        size_t i = hash_bytes(b->str + b->org_off[id], b->org_len[id]) & (cap - 1);
        while (ht[i])
            i = (i + 1) & (cap - 1);
        ht[i] = (uint32_t)id + 1;
    }
    free(b->org_ht);
    b->org_ht = ht;
    b->org_ht_cap = cap;
}

/* org_intern - the id of name s[0..n); -1 when there are too many names */
static int64_t org_intern(struct build *b, const char *s, size_t n)
{
    if ((b->norg + 1) * 2 > b->org_ht_cap)
        org_rehash(b);
    size_t i = hash_bytes(s, n) & (b->org_ht_cap - 1);
    while (b->org_ht[i]) {
        uint32_t id = b->org_ht[i] - 1;
        if (b->org_len[id] == n && memcmp(b->str + b->org_off[id], s, n) == 0)
            return id;
        i = (i + 1) & (b->org_ht_cap - 1);
    }
    if (b->norg >= MAX_ORGS)
        return -1;
    size_t cap = b->org_cap;
    b->org_off = grow(b->org_off, &cap, b->norg + 1, sizeof(uint32_t));
    cap = b->org_cap;
    b->org_len = grow(b->org_len, &cap, b->norg + 1, sizeof(uint16_t));
    b->org_cap = cap;
    b->str = grow(b->str, &b->str_cap, b->str_len + n + 1, 1);
    memcpy(b->str + b->str_len, s, n);
    b->str[b->str_len + n] = '\0';
    b->org_off[b->norg] = (uint32_t)b->str_len;
    b->org_len[b->norg] = (uint16_t)n;
    b->str_len += n + 1;
    b->org_ht[i] = (uint32_t)b->norg + 1;
    return (int64_t)b->norg++;
}

/* ---- CSV ---- */

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

/* row - parse one CSV line into b->raw; NULL or why it is bad */
static const char *row(struct build *b, const char *line, size_t len, char *scratch,
                       char *whybuf, size_t whylen, uint32_t lineno, uint16_t file)
{
    struct fld f[5];
    const char *why = NULL;
    if (memchr(line, '\0', len))
        return "NUL byte in the line";
    int nf = csv_split(line, len, f, 4, scratch, &why);
    if (nf < 0)
        return why;
    if (nf != 4) {
        snprintf(whybuf, whylen, "%s fields, want 4 (range_start,range_end,asn,organisation)",
                 nf > 4 ? "more than 4" : nf == 3 ? "3" : nf == 2 ? "2" : "1");
        return whybuf;
    }
    struct fld fs = trim(f[0]), fe = trim(f[1]), fa = trim(f[2]);
    struct raw r;
    int rc = ipaddr_parse(fs.p, fs.n, &r.first);
    if (rc < 0) {
        if (all_digits(fs))
            return "numeric range start: the *-num.csv files are not read, give asn-ipv4.csv "
                   "and asn-ipv6.csv";
        snprintf(whybuf, whylen, "range start '%.*s': %s", (int)(fs.n > 60 ? 60 : fs.n), fs.p,
                 ipaddr_strerror(rc));
        return whybuf;
    }
    rc = ipaddr_parse(fe.p, fe.n, &r.last);
    if (rc < 0) {
        snprintf(whybuf, whylen, "range end '%.*s': %s", (int)(fe.n > 60 ? 60 : fe.n), fe.p,
                 ipaddr_strerror(rc));
        return whybuf;
    }
    if (ipaddr_is_v4(&r.first) != ipaddr_is_v4(&r.last))
        return "range start and end are of different address families";
    if (ip_cmp(&r.first, &r.last) > 0)
        return "range start after its end";
    if (!parse_u32(fa, &r.asn)) {
        snprintf(whybuf, whylen, "ASN '%.*s' is not a number 0..4294967295",
                 (int)(fa.n > 40 ? 40 : fa.n), fa.p);
        return whybuf;
    }
    if (f[3].n > ASN_ORG_MAX)
        return "organisation name longer than 1024 bytes";
    if (memchr(f[3].p, '\0', f[3].n))
        return "NUL byte in the organisation name";
    int64_t id = org_intern(b, f[3].p, f[3].n);
    if (id < 0)
        return "too many distinct organisation names (4194304)";
    r.org = (uint32_t)id;
    r.line = lineno;
    r.file = file;
    b->raw = grow(b->raw, &b->raw_cap, b->nraw + 1, sizeof(struct raw));
    b->raw[b->nraw++] = r;
    return NULL;
}

static int read_csv(struct build *b, const char *path, uint16_t file)
{
    const struct asn_build_opts *o = b->o;
    struct linereader lr;
    if (linereader_open(&lr, path, 1 << 16) < 0) {
        seterr(b->err, "%s: %s", path, lr.err);
        return -1;
    }
    char *scratch = xmalloc(1 << 16);
    char whybuf[160];
    uint64_t bad = 0;
    const char *line;
    size_t len;
    int rc;
    while ((rc = linereader_next(&lr, &line, &len)) > 0) {
        const char *why;
        if (lr.flags & LR_TOO_LONG) {
            why = "line longer than 65536 bytes";
        } else if (len == 0 || (len == 1 && line[0] == '\r')) {
            continue; /* blank line */
        } else {
            if (line[len - 1] == '\r')
                len--;
            b->st->rows++;
            if (b->nraw >= MAX_RANGES)
                why = "too many ranges";
            else
                why = row(b, line, len, scratch, whybuf, sizeof(whybuf), (uint32_t)lr.lineno, file);
        }
        if (why) {
            if (lr.flags & LR_TOO_LONG)
                b->st->rows++;
            bad++;
            if (bad <= (uint64_t)o->max_warnings)
                fprintf(o->diag, "mailward: %s:%llu: bad row skipped: %s\n", path,
                        (unsigned long long)lr.lineno, why);
        }
    }
    free(scratch);
    if (rc < 0) {
        seterr(b->err, "%s:%llu: %s", path, (unsigned long long)lr.lineno + 1, lr.err);
        linereader_close(&lr);
        return -1;
    }
    if (bad > (uint64_t)o->max_warnings)
        fprintf(o->diag, "mailward: %s: %llu bad rows skipped in all (the first %d shown)\n",
                path, (unsigned long long)bad, o->max_warnings);
    b->st->bad_rows += bad;
    linereader_close(&lr);
    return 0;
}

/* ---- overlapping rows -> disjoint segments ---- */

static int cmp_raw(const void *pa, const void *pb)
{
    const struct raw *a = pa, *b = pb;
    int c = ip_cmp(&a->first, &b->first);
    if (c)
        return c;
    c = ip_cmp(&b->last, &a->last); /* wider first: the narrower ends on top */
    if (c)
        return c;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static void seg_push(struct build *b, const struct seg *s)
{
    if (b->nseg) {
        struct seg *p = &b->seg[b->nseg - 1];
        if (p->has_asn == s->has_asn && p->asn == s->asn && p->org == s->org &&
            p->cc == s->cc && ipaddr_eq(&s->first, (struct ipaddr[]){ip_inc(p->last)}) &&
            !ipaddr_eq(&p->last, &IP_MAX)) {
            p->last = s->last;
            return;
        }
    }
    b->seg = grow(b->seg, &b->seg_cap, b->nseg + 1, sizeof(struct seg));
    b->seg[b->nseg++] = *s;
}

static void emit_raw(struct build *b, const struct raw *r, struct ipaddr first, struct ipaddr last)
{
    struct seg s = {first, last, r->asn, r->org, 0, 1};
    seg_push(b, &s);
}

static void report_overlap(struct build *b, const struct raw *r, const struct raw *t,
                           uint64_t *per_file)
{
    b->st->overlaps++;
    if (++per_file[r->file] > (uint64_t)b->o->max_warnings)
        return;
    char a1[IPADDR_STRLEN], a2[IPADDR_STRLEN], b1[IPADDR_STRLEN], b2[IPADDR_STRLEN];
    ipaddr_format(&r->first, a1);
    ipaddr_format(&r->last, a2);
    ipaddr_format(&t->first, b1);
    ipaddr_format(&t->last, b2);
    fprintf(b->o->diag,
            "mailward: %s:%u: range %s-%s overlaps %s:%u (%s-%s); kept, the later-starting "
            "range wins where they overlap\n",
            b->o->csv[r->file], r->line, a1, a2, b->o->csv[t->file], t->line, b1, b2);
}

/* flush - emit stacked rows up to (not including) *until, or to the end */
static bool flush(struct build *b, uint32_t *stack, size_t *sp, struct ipaddr *cur,
                  const struct ipaddr *until)
{
    while (*sp) {
        const struct raw *t = &b->raw[stack[*sp - 1]];
        if (ip_cmp(&t->last, cur) < 0) { /* all of it was covered by later rows */
            (*sp)--;
            continue;
        }
        if (!until || ip_cmp(&t->last, until) < 0) {
            emit_raw(b, t, *cur, t->last);
            (*sp)--;
            if (ipaddr_eq(&t->last, &IP_MAX))
                return true; /* the whole space is done */
            *cur = ip_inc(t->last);
            continue;
        }
        if (ip_cmp(cur, until) < 0)
            emit_raw(b, t, *cur, ip_dec(*until));
        break;
    }
    return false;
}

static void sweep(struct build *b)
{
    qsort(b->raw, b->nraw, sizeof(struct raw), cmp_raw);
    uint32_t *stack = xmalloc((b->nraw + 1) * sizeof(uint32_t));
    uint64_t *per_file = xcalloc(b->o->ncsv + 1, sizeof(uint64_t));
    size_t sp = 0;
    struct ipaddr cur = {0, 0};
    for (size_t i = 0; i < b->nraw; i++) {
        const struct raw *r = &b->raw[i];
        flush(b, stack, &sp, &cur, &r->first);
        if (sp)
            report_overlap(b, r, &b->raw[stack[sp - 1]], per_file);
        stack[sp++] = (uint32_t)i;
        cur = r->first;
    }
    flush(b, stack, &sp, &cur, NULL);
    for (size_t f = 0; f < b->o->ncsv; f++)
        if (per_file[f] > (uint64_t)b->o->max_warnings)
            fprintf(b->o->diag,
                    "mailward: %s: %llu rows overlap an earlier-starting range (the first %d "
                    "shown)\n",
                    b->o->csv[f], (unsigned long long)per_file[f], b->o->max_warnings);
    free(per_file);
    free(stack);
}

/* ---- countries from the MMDB ---- */

struct cnet {
    struct ipaddr first, last;
    uint16_t cc;
};

struct walk {
    MMDB_s *db;
    struct cnet *v;
    size_t n, cap;
    unsigned width;           /* 32 or 128 bits */
    bool has_v4node;          /* IPv4 data lives at ::/96 (IPv6 database) */
    uint32_t v4node;
    uint32_t cache_off[4096]; /* data offset + 1 -> country */
    uint16_t cache_cc[4096];
    bool bad;
};

static uint16_t cc_code(const char *s, size_t n)
{
    if (n != 2)
        return 0;
    int c0 = s[0] & ~0x20, c1 = s[1] & ~0x20;
    if (c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z')
        return 0;
    return (uint16_t)(1 + (c0 - 'A') * 26 + (c1 - 'A'));
}

static uint16_t entry_cc(struct walk *w, MMDB_entry_s *e)
{
    size_t slot = hash64(e->offset) & 4095;
    if (w->cache_off[slot] == e->offset + 1)
        return w->cache_cc[slot];
    MMDB_entry_data_s d;
    uint16_t cc = 0;
    if (MMDB_get_value(e, &d, "country_code", NULL) == MMDB_SUCCESS && d.has_data &&
        d.type == MMDB_DATA_TYPE_UTF8_STRING)
        cc = cc_code(d.utf8_string, d.data_size);
    else if (MMDB_get_value(e, &d, "country", "iso_code", NULL) == MMDB_SUCCESS && d.has_data &&
             d.type == MMDB_DATA_TYPE_UTF8_STRING)
        cc = cc_code(d.utf8_string, d.data_size);
    w->cache_off[slot] = e->offset + 1;
    w->cache_cc[slot] = cc;
    return cc;
}

static void setbit(struct ipaddr *a, unsigned pos)
{
    if (pos >= 64)
        a->hi |= 1ULL << (pos - 64);
    else
        a->lo |= 1ULL << pos;
}

/* hostmask - a with its low (width - plen) bits set */
static struct ipaddr hostmask(struct ipaddr a, unsigned hostbits)
{
    if (hostbits >= 128)
        return IP_MAX;
    if (hostbits >= 64) {
        a.lo = ~0ULL;
        if (hostbits > 64)
            a.hi |= ~0ULL >> (128 - hostbits);
    } else if (hostbits) {
        a.lo |= ~0ULL >> (64 - hostbits);
    }
    return a;
}

static void walk_emit(struct walk *w, struct ipaddr p, unsigned plen, MMDB_entry_s *e)
{
    uint16_t cc = entry_cc(w, e);
    if (!cc)
        return;
    struct ipaddr last = hostmask(p, w->width - plen);
    if (w->width == 32) {
        p.lo |= V4_FIRST.lo;
        last.lo |= V4_FIRST.lo;
    } else if (w->has_v4node && plen >= 96 && p.hi == 0 && (p.lo >> 32) == 0) {
        p.lo |= V4_FIRST.lo; /* ::a.b.c.d is where an IPv6 database keeps IPv4 */
        last.lo |= V4_FIRST.lo;
    }
    if (w->n) {
        struct cnet *q = &w->v[w->n - 1];
        if (q->cc == cc && !ipaddr_eq(&q->last, &IP_MAX) && ipaddr_eq((struct ipaddr[]){ip_inc(q->last)}, &p)) {
            q->last = last;
            return;
        }
    }
    w->v = grow(w->v, &w->cap, w->n + 1, sizeof(struct cnet));
    w->v[w->n++] = (struct cnet){p, last, cc};
}

static void walk(struct walk *w, uint32_t node, struct ipaddr pfx, unsigned depth)
{
    MMDB_search_node_s sn;
    if (w->bad || depth >= w->width || MMDB_read_node(w->db, node, &sn) != MMDB_SUCCESS) {
        w->bad = true;
        return;
    }
    for (int side = 0; side < 2; side++) {
        struct ipaddr p = pfx;
        if (side)
            setbit(&p, w->width - 1 - depth);
        uint64_t rec = side ? sn.right_record : sn.left_record;
        uint8_t type = side ? sn.right_record_type : sn.left_record_type;
        switch (type) {
        case MMDB_RECORD_TYPE_SEARCH_NODE:
            /* ::ffff:0:0/96 and 2002::/16 alias the IPv4 tree at ::/96 */
            if (w->has_v4node && rec == w->v4node && !(depth + 1 == 96 && p.hi == 0 && p.lo == 0))
                break;
            walk(w, (uint32_t)rec, p, depth + 1);
            break;
        case MMDB_RECORD_TYPE_EMPTY:
            break;
        case MMDB_RECORD_TYPE_DATA:
            walk_emit(w, p, depth + 1, side ? &sn.right_record_entry : &sn.left_record_entry);
            break;
        default:
            w->bad = true;
            return;
        }
    }
}

static int cmp_cnet(const void *pa, const void *pb)
{
    const struct cnet *a = pa, *b = pb;
    return ip_cmp(&a->first, &b->first);
}

/* read_countries - the MMDB's networks, sorted and disjoint; -1 on error */
static int read_countries(struct build *b, struct cnet **out, size_t *nout)
{
    const char *path = b->o->country_mmdb;
    MMDB_s db;
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &db);
    if (rc != MMDB_SUCCESS) {
        seterr(b->err, "%s: %s%s%s", path, MMDB_strerror(rc), rc == MMDB_IO_ERROR ? ": " : "",
               rc == MMDB_IO_ERROR ? strerror(errno) : "");
        return -1;
    }
    struct walk *w = xcalloc(1, sizeof(*w));
    w->db = &db;
    w->width = db.metadata.ip_version == 6 ? 128 : 32;
    if (w->width == 128) {
        uint32_t node = 0;
        unsigned d;
        for (d = 0; d < 96; d++) {
            MMDB_search_node_s sn;
            if (MMDB_read_node(&db, node, &sn) != MMDB_SUCCESS ||
                sn.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
                break;
            node = (uint32_t)sn.left_record;
        }
        if (d == 96) {
            w->has_v4node = true;
            w->v4node = node;
        }
    }
    walk(w, 0, (struct ipaddr){0, 0}, 0);
    b->mmdb_time = (int64_t)db.metadata.build_epoch;
    MMDB_close(&db);
    if (w->bad) {
        seterr(b->err, "%s: corrupt search tree", path);
        free(w->v);
        free(w);
        return -1;
    }
    qsort(w->v, w->n, sizeof(struct cnet), cmp_cnet);
    for (size_t i = 1; i < w->n; i++) {
        if (ip_cmp(&w->v[i].first, &w->v[i - 1].last) <= 0) {
            seterr(b->err, "%s: networks overlap in the search tree", path);
            free(w->v);
            free(w);
            return -1;
        }
    }
    *out = w->v;
    *nout = w->n;
    b->st->country_nets = w->n;
    free(w);
    return 0;
}

/* merge_countries - intersect b->seg (ASN segments) with the countries */
static void merge_countries(struct build *b, const struct cnet *c, size_t nc)
{
    struct seg *a = b->seg;
    size_t na = b->nseg, i = 0, j = 0;
    b->seg = NULL;
    b->nseg = b->seg_cap = 0;
    struct ipaddr pos = {0, 0};
    for (;;) {
        while (i < na && ip_cmp(&a[i].last, &pos) < 0)
            i++;
        while (j < nc && ip_cmp(&c[j].last, &pos) < 0)
            j++;
        if (i >= na && j >= nc)
            break;
        bool ina = i < na && ip_cmp(&a[i].first, &pos) <= 0;
        bool inc = j < nc && ip_cmp(&c[j].first, &pos) <= 0;
        if (!ina && !inc) {
            if (i < na && (j >= nc || ip_cmp(&a[i].first, &c[j].first) < 0))
                pos = a[i].first;
            else
                pos = c[j].first;
            continue;
        }
        struct ipaddr end = IP_MAX, e;
        if (ina)
            e = a[i].last;
        else if (i < na)
            e = ip_dec(a[i].first);
        else
            e = IP_MAX;
        if (ip_cmp(&e, &end) < 0)
            end = e;
        if (inc)
            e = c[j].last;
        else if (j < nc)
            e = ip_dec(c[j].first);
        else
            e = IP_MAX;
        if (ip_cmp(&e, &end) < 0)
            end = e;
        struct seg s = {pos, end, 0, 0, inc ? c[j].cc : 0, 0};
        if (ina) {
            s.asn = a[i].asn;
            s.org = a[i].org;
            s.has_asn = 1;
        }
        seg_push(b, &s);
        if (ipaddr_eq(&end, &IP_MAX))
            break;
        pos = ip_inc(end);
    }
    free(a);
}

/* ---- special-purpose blocks ---- */

/* Private, loopback, link-local, documentation, multicast and reserved
 * blocks (IANA special-purpose registries): no AS or country of the public
 * data applies to them, and the data does carry bogus countries for some
 * (192.168.0.0/16 "AU"). Disjoint; sorted at use. */
static const char *const special_blocks[] = {
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
    "::/128", "::1/128", "100::/64", "2001:db8::/32", "3fff::/20", "fc00::/7", "fe80::/10",
    "ff00::/8",
};
#define NSPECIAL (sizeof(special_blocks) / sizeof(special_blocks[0]))

struct span {
    struct ipaddr first, last;
};

static int cmp_span(const void *pa, const void *pb)
{
    return ip_cmp(&((const struct span *)pa)->first, &((const struct span *)pb)->first);
}

static struct ipaddr hostmask(struct ipaddr a, unsigned hostbits);

/* drop_special - cut the special-purpose blocks out of b->seg */
static void drop_special(struct build *b)
{
    struct span sp[NSPECIAL];
    for (size_t i = 0; i < NSPECIAL; i++) {
        const char *t = special_blocks[i], *slash = strchr(t, '/');
        struct ipaddr a;
        unsigned bits = (unsigned)atoi(slash + 1);
        if (ipaddr_parse(t, (size_t)(slash - t), &a) < 0)
            abort(); /* the table above is wrong */
        sp[i].first = a;
        sp[i].last = hostmask(a, (ipaddr_is_v4(&a) ? 32 : 128) - bits);
    }
    qsort(sp, NSPECIAL, sizeof(sp[0]), cmp_span);
    struct seg *old = b->seg;
    size_t n = b->nseg, j = 0;
    b->seg = NULL;
    b->nseg = b->seg_cap = 0;
    for (size_t i = 0; i < n; i++) {
        struct seg s = old[i];
        while (j < NSPECIAL && ip_cmp(&sp[j].last, &s.first) < 0)
            j++;
        for (size_t k = j;; k++) {
            if (k >= NSPECIAL || ip_cmp(&sp[k].first, &s.last) > 0) {
                seg_push(b, &s);
                break;
            }
            if (ip_cmp(&sp[k].first, &s.first) > 0) {
                struct seg part = s;
                part.last = ip_dec(sp[k].first);
                seg_push(b, &part);
            }
            if (ip_cmp(&sp[k].last, &s.last) >= 0)
                break;
            s.first = ip_inc(sp[k].last);
        }
    }
    free(old);
}

/* ---- tuples, partitions, file ---- */

static uint32_t info_intern(struct build *b, const struct seg *s)
{
    uint64_t key = (uint64_t)s->asn << 32 | (uint64_t)s->org << 10 | s->cc;
    if ((b->ninfo + 1) * 2 > b->info_ht_cap) {
        size_t cap = b->info_ht_cap ? b->info_ht_cap * 2 : 1 << 16;
        uint64_t *k = xmalloc(cap * sizeof(uint64_t));
        uint32_t *v = xmalloc(cap * sizeof(uint32_t));
        memset(v, 0xff, cap * sizeof(uint32_t));
        for (size_t x = 0; x < b->info_ht_cap; x++) {
            if (b->info_val[x] == ASN_NO_INFO)
                continue;
            size_t i = hash64(b->info_key[x]) & (cap - 1);
            while (v[i] != ASN_NO_INFO)
                i = (i + 1) & (cap - 1);
            k[i] = b->info_key[x];
            v[i] = b->info_val[x];
        }
        free(b->info_key);
        free(b->info_val);
        b->info_key = k;
        b->info_val = v;
        b->info_ht_cap = cap;
    }
    size_t i = hash64(key) & (b->info_ht_cap - 1);
    while (b->info_val[i] != ASN_NO_INFO) {
        if (b->info_key[i] == key)
            return b->info_val[i];
        i = (i + 1) & (b->info_ht_cap - 1);
    }
    b->info = grow(b->info, &b->info_cap, b->ninfo + 1, sizeof(struct asn_file_info));
    struct asn_file_info *f = &b->info[b->ninfo];
    memset(f, 0, sizeof(*f));
    f->asn = s->asn;
    f->org_off = b->org_off[s->org];
    f->org_len = b->org_len[s->org];
    if (s->cc) {
        f->cc[0] = (char)('A' + (s->cc - 1) / 26);
        f->cc[1] = (char)('A' + (s->cc - 1) % 26);
    }
    b->info_key[i] = key;
    b->info_val[i] = (uint32_t)b->ninfo;
    return (uint32_t)b->ninfo++;
}

struct part {
    struct asn_v6key *start;  /* IPv4 lists use .lo only */
    uint32_t *info;
    size_t n, cap_s, cap_i;
    struct ipaddr next;       /* first address not yet covered */
    bool full;                /* covered to the end of the space */
};

static void part_add(struct part *p, struct ipaddr first, uint32_t info)
{
    p->start = grow(p->start, &p->cap_s, p->n + 1, sizeof(struct asn_v6key));
    p->info = grow(p->info, &p->cap_i, p->n + 1, sizeof(uint32_t));
    p->start[p->n] = (struct asn_v6key){first.hi, first.lo};
    p->info[p->n++] = info;
}

/* part_put - add [first, last] with a gap entry before it if needed */
static void part_put(struct part *p, struct ipaddr first, struct ipaddr last, uint32_t info,
                     const struct ipaddr *space_last)
{
    if (ip_cmp(&first, &p->next) > 0)
        part_add(p, p->next, ASN_NO_INFO);
    part_add(p, first, info);
    if (ipaddr_eq(&last, space_last))
        p->full = true;
    else
        p->next = ip_inc(last);
}

static void partition(struct build *b, struct part *p4, struct part *p6)
{
    p4->next = V4_FIRST;
    p6->next = (struct ipaddr){0, 0};
    for (size_t i = 0; i < b->nseg; i++) {
        const struct seg *s = &b->seg[i];
        uint32_t info = info_intern(b, s);
        struct ipaddr f = s->first, l = s->last;
        if (ip_cmp(&f, &V4_FIRST) < 0) { /* below the IPv4 block */
            struct ipaddr e = ip_cmp(&l, &V4_FIRST) < 0 ? l : ip_dec(V4_FIRST);
            part_put(p6, f, e, info, &IP_MAX);
            f = ip_inc(e);
            if (ip_cmp(&f, &l) > 0)
                continue;
        }
        if (ip_cmp(&f, &V4_LAST) <= 0) { /* in it */
            struct ipaddr e = ip_cmp(&l, &V4_LAST) <= 0 ? l : V4_LAST;
            part_put(p4, f, e, info, &V4_LAST);
            if (ipaddr_eq(&e, &l))
                continue;
            f = ip_inc(e);
        }
        part_put(p6, f, l, info, &IP_MAX); /* above it */
    }
    if (!p4->full)
        part_add(p4, p4->next, ASN_NO_INFO);
    if (!p6->full)
        part_add(p6, p6->next, ASN_NO_INFO);
}

static size_t align8(size_t x)
{
    return (x + 7) & ~(size_t)7;
}

static int write_table(struct build *b, const struct part *p4, const struct part *p6)
{
    const struct asn_build_opts *o = b->o;
    struct asn_file_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, ASN_FILE_MAGIC, 8);
    h.version = ASN_FILE_VERSION;
    h.header_size = sizeof(h);
    h.byte_order = ASN_BYTE_ORDER;
    h.flags = o->country_mmdb ? ASN_F_COUNTRY : 0;
    h.n_v4 = (uint32_t)p4->n;
    h.n_v6 = (uint32_t)p6->n;
    h.n_info = (uint32_t)b->ninfo;
    h.n_orgs = (uint32_t)b->norg;
    h.strings_size = b->str_len;
    size_t off = sizeof(h);
    h.off_v4_start = off;
    off = align8(off + p4->n * 4);
    h.off_v4_info = off;
    off = align8(off + p4->n * 4);
    h.off_v6_start = off;
    off = align8(off + p6->n * 16);
    h.off_v6_info = off;
    off = align8(off + p6->n * 4);
    h.off_info = off;
    off = align8(off + b->ninfo * sizeof(struct asn_file_info));
    h.off_strings = off;
    off = align8(off + b->str_len);
    h.file_size = off;
    h.data_time = o->data_time ? o->data_time : b->mmdb_time;
    if (o->source) {
        snprintf(h.source, sizeof(h.source), "%s", o->source);
    } else {
        size_t k = 0;
        for (size_t i = 0; i < o->ncsv && k < sizeof(h.source) - 1; i++)
            k += (size_t)snprintf(h.source + k, sizeof(h.source) - k, "%s%s", i ? " " : "",
                                  o->csv[i]);
        if (o->country_mmdb && k < sizeof(h.source) - 1)
            snprintf(h.source + k, sizeof(h.source) - k, " %s", o->country_mmdb);
    }

    uint8_t *buf = xcalloc(1, off);
    uint32_t *v4s = (uint32_t *)(buf + h.off_v4_start);
    for (size_t i = 0; i < p4->n; i++)
        v4s[i] = (uint32_t)p4->start[i].lo;
    memcpy(buf + h.off_v4_info, p4->info, p4->n * 4);
    memcpy(buf + h.off_v6_start, p6->start, p6->n * 16);
    memcpy(buf + h.off_v6_info, p6->info, p6->n * 4);
    memcpy(buf + h.off_info, b->info, b->ninfo * sizeof(struct asn_file_info));
    memcpy(buf + h.off_strings, b->str, b->str_len);
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t p = sizeof(h); p < off;) {
        uInt k = off - p > (1u << 30) ? (1u << 30) : (uInt)(off - p);
        crc = crc32(crc, buf + p, k);
        p += k;
    }
    h.crc32 = (uint32_t)crc;
    memcpy(buf, &h, sizeof(h));

    size_t plen = strlen(o->out);
    char *tmp = xmalloc(plen + 16);
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", o->out);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        seterr(b->err, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        free(buf);
        return -1;
    }
    size_t done = 0;
    int e = 0;
    while (done < off) {
        ssize_t w = write(fd, buf + done, off - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    if (!e && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
        e = errno;
    if (close(fd) < 0 && !e)
        e = errno;
    if (!e && rename(tmp, o->out) < 0)
        e = errno;
    if (e) {
        seterr(b->err, "%s: cannot write: %s", o->out, strerror(e));
        unlink(tmp);
        free(tmp);
        free(buf);
        return -1;
    }
    free(tmp);
    free(buf);
    b->st->n_v4 = h.n_v4;
    b->st->n_v6 = h.n_v6;
    b->st->n_info = h.n_info;
    b->st->n_orgs = h.n_orgs;
    b->st->strings_size = h.strings_size;
    b->st->file_size = h.file_size;
    return 0;
}

static void build_free(struct build *b)
{
    free(b->str);
    free(b->org_off);
    free(b->org_len);
    free(b->org_ht);
    free(b->raw);
    free(b->seg);
    free(b->info);
    free(b->info_key);
    free(b->info_val);
}

int asn_build(const struct asn_build_opts *o, struct asn_build_stats *st, struct asn_err *err)
{
    struct build b;
    memset(&b, 0, sizeof(b));
    memset(st, 0, sizeof(*st));
    b.o = o;
    b.st = st;
    b.err = err;
    int rc = -1;
    struct cnet *cn = NULL;
    size_t ncn = 0;
    struct part p4, p6;
    memset(&p4, 0, sizeof(p4));
    memset(&p6, 0, sizeof(p6));
    if (o->ncsv == 0 || o->ncsv > 0xffff) {
        seterr(err, "give 1 to 65535 CSV files");
        return -1;
    }
    org_intern(&b, "", 0); /* id 0, offset 0: no name */
    for (size_t i = 0; i < o->ncsv; i++)
        if (read_csv(&b, o->csv[i], (uint16_t)i) < 0)
            goto out;
    if (b.nraw == 0) {
        seterr(err, "no usable rows in the CSV input (%llu rows, %llu bad)",
               (unsigned long long)st->rows, (unsigned long long)st->bad_rows);
        goto out;
    }
    sweep(&b);
    if (o->country_mmdb) {
        if (read_countries(&b, &cn, &ncn) < 0)
            goto out;
        merge_countries(&b, cn, ncn);
    }
    if (!o->keep_special)
        drop_special(&b);
    partition(&b, &p4, &p6);
    if (p4.n >= MAX_RANGES || p6.n >= MAX_RANGES || b.ninfo >= MAX_RANGES) {
        seterr(err, "too many ranges for the table format");
        goto out;
    }
    rc = write_table(&b, &p4, &p6);
out:
    free(cn);
    free(p4.start);
    free(p4.info);
    free(p6.start);
    free(p6.info);
    build_free(&b);
    return rc;
}
