/*
 * asn_country - read with libmaxminddb (see asn_country.h).
 *
 * libmaxminddb has no iterator, so the search tree is walked node by node
 * (MMDB_read_node), depth first: a data record at depth d is the network of
 * the path's first d bits. Records point to few distinct data entries, so
 * their countries are cached by data offset.
 */
#include "asn_country.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <maxminddb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ipaddr IP_MAX = {~0ULL, ~0ULL};
#define V4_TAG 0x0000ffff00000000ULL

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static struct ipaddr ip_inc(struct ipaddr a)
{
    if (++a.lo == 0)
        a.hi++;
    return a;
}

struct walk {
    MMDB_s *db;
    struct asn_cnet *v;
    size_t n, cap;
    unsigned width;           /* 32 or 128 bits */
    bool has_v4node;          /* IPv4 data lives at ::/96 (IPv6 database) */
    uint32_t v4node;
    uint32_t cache_off[4096]; /* data offset + 1 -> country */
    uint16_t cache_cc[4096];
    bool bad;
};

uint16_t asn_country_code(const char *s, size_t n)
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
        cc = asn_country_code(d.utf8_string, d.data_size);
    else if (MMDB_get_value(e, &d, "country", "iso_code", NULL) == MMDB_SUCCESS && d.has_data &&
             d.type == MMDB_DATA_TYPE_UTF8_STRING)
        cc = asn_country_code(d.utf8_string, d.data_size);
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
        p.lo |= V4_TAG;
        last.lo |= V4_TAG;
    } else if (w->has_v4node && plen >= 96 && p.hi == 0 && (p.lo >> 32) == 0) {
        p.lo |= V4_TAG; /* ::a.b.c.d is where an IPv6 database keeps IPv4 */
        last.lo |= V4_TAG;
    }
    if (w->n) {
        struct asn_cnet *q = &w->v[w->n - 1];
        if (q->cc == cc && !ipaddr_eq(&q->last, &IP_MAX) && ipaddr_eq((struct ipaddr[]){ip_inc(q->last)}, &p)) {
            q->last = last;
            return;
        }
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->v = xrealloc(w->v, w->cap * sizeof(struct asn_cnet));
    }
    w->v[w->n++] = (struct asn_cnet){p, last, cc};
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
    const struct asn_cnet *a = pa, *b = pb;
    return ipaddr_cmp(&a->first, &b->first);
}

int asn_country_read(const char *path, struct asn_cnet **out, size_t *nout, int64_t *build_time,
                     struct asn_err *err)
{
    MMDB_s db;
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &db);
    if (rc != MMDB_SUCCESS) {
        snprintf(err->msg, sizeof(err->msg), "%s: %s%s%s", path, MMDB_strerror(rc),
                 rc == MMDB_IO_ERROR ? ": " : "", rc == MMDB_IO_ERROR ? strerror(errno) : "");
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
    *build_time = (int64_t)db.metadata.build_epoch;
    MMDB_close(&db);
    const char *why = w->bad ? "corrupt search tree" : NULL;
    if (!why) {
        qsort(w->v, w->n, sizeof(struct asn_cnet), cmp_cnet);
        for (size_t i = 1; i < w->n && !why; i++)
            if (ipaddr_cmp(&w->v[i].first, &w->v[i - 1].last) <= 0)
                why = "networks overlap in the search tree";
    }
    if (why) {
        snprintf(err->msg, sizeof(err->msg), "%s: %s", path, why);
        free(w->v);
        free(w);
        return -1;
    }
    *out = w->v;
    *nout = w->n;
    free(w);
    return 0;
}
