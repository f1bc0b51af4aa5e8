/*
 * asn_build - CSV rows (+ MMDB countries) -> one sorted, gap-filled table
 * (see asn_build.h for the contract, asn_format.h for the file layout).
 *
 * Steps: read every CSV row (asn_csv.c) into a raw list, organisation names
 * interned; sort by start and sweep, so overlapping rows become disjoint
 * segments (the later-starting range wins); read the MMDB's countries as
 * disjoint networks (asn_country.c) and intersect the two lists; cut out
 * the special-purpose blocks; split at the
 * IPv4-mapped block into an IPv4 and an IPv6 list, filling holes with gap
 * entries so each list partitions its whole address space; intern the
 * (asn, org, country) tuples; write header + sections, checksum, rename.
 */
#include "asn_build.h"
#include "asn_country.h"
#include "asn_csv.h"
#include "asn_format.h"
#include "../util/ipaddr.h"
#include "../util/linereader.h"
#include "../util/xalloc.h"

#include <errno.h>
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

/* row - one CSV line into b->raw; NULL or why it is bad */
static const char *row(struct build *b, const char *line, size_t len, char *scratch,
                       char *whybuf, size_t whylen, uint32_t lineno, uint16_t file)
{
    struct asn_csv_row cr;
    const char *why = asn_csv_row(line, len, scratch, whybuf, whylen, &cr);
    if (why)
        return why;
    int64_t id = org_intern(b, cr.org, cr.org_len);
    if (id < 0)
        return "too many distinct organisation names (4194304)";
    struct raw r = {cr.first, cr.last, cr.asn, (uint32_t)id, lineno, file};
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

/* ---- countries ---- */

/* merge_countries - intersect b->seg (ASN segments) with the countries */
static void merge_countries(struct build *b, const struct asn_cnet *c, size_t nc)
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
        ipaddr_mask(&a, bits, &sp[i].first);
        ipaddr_cidr_last(&a, bits, &sp[i].last);
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
    struct ipaddr *start;     /* IPv4 lists use .lo only */
    uint32_t *info;
    size_t n, cap_s, cap_i;
    struct ipaddr next;       /* first address not yet covered */
    bool full;                /* covered to the end of the space */
};

static void part_add(struct part *p, struct ipaddr first, uint32_t info)
{
    p->start = grow(p->start, &p->cap_s, p->n + 1, sizeof(struct ipaddr));
    p->info = grow(p->info, &p->cap_i, p->n + 1, sizeof(uint32_t));
    p->start[p->n] = first;
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
    h.off_v6_hi = off;
    off = align8(off + p6->n * 8);
    h.off_v6_lo = off;
    off = align8(off + p6->n * 8);
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
    uint64_t *v6hi = (uint64_t *)(buf + h.off_v6_hi), *v6lo = (uint64_t *)(buf + h.off_v6_lo);
    for (size_t i = 0; i < p6->n; i++) {
        v6hi[i] = p6->start[i].hi;
        v6lo[i] = p6->start[i].lo;
    }
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
    struct asn_cnet *cn = NULL;
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
        if (asn_country_read(o->country_mmdb, &cn, &ncn, &b.mmdb_time, err) < 0)
            goto out;
        st->country_nets = ncn;
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
