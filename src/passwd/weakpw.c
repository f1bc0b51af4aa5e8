/*
 * weakpw - per-user fingerprints of likely passwords, LRU-bounded (weakpw.h).
 */
#include "weakpw.h"

#include "pwcand.h"
#include "pwlist.h"

#include "../util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct wentry {
    struct wentry *hnext;        /* hash chain */
    struct wentry *prev, *next;  /* LRU, most recent at head */
    uint64_t h;
    size_t bytes;
    size_t count;                /* records */
    size_t user_from;            /* records with index >= this are user guesses */
    unsigned char *rec;          /* count * (nb + 4): fingerprint, big-endian index */
    char user[];
};

struct weakpw {
    struct weakpw_opts o;
    char *nonce;
    const struct pwlist *list;
    size_t nb;                   /* fingerprint bytes */
    uint64_t seed;
    struct wentry **bucket;
    size_t nbucket, users, bytes;
    struct wentry *head, *tail;
    uint64_t hits, misses, evictions;
};

void weakpw_defaults(struct weakpw_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mech = PWHASH_SHA256;
    o->nonce = "";
    o->bits = 12;
    o->top_n = 1000;
    o->user_guesses = 40;
    o->year = 2025;
    o->max_bytes = 16u << 20;
}

struct weakpw *weakpw_create(const struct weakpw_opts *o, const struct pwlist *list)
{
    unsigned dbits = pwhash_digest_bits(o->mech);
    if (!dbits || o->bits > dbits)
        return NULL;
    struct weakpw *w = xcalloc(1, sizeof(*w));
    w->o = *o;
    w->nonce = xstrdup(o->nonce ? o->nonce : "");
    w->o.nonce = w->nonce;
    w->list = list;
    w->nb = ((o->bits ? o->bits : dbits) + 7) / 8;
    if (getrandom(&w->seed, sizeof(w->seed), GRND_NONBLOCK) != (ssize_t)sizeof(w->seed))
        w->seed = (uint64_t)(uintptr_t)w ^ 0x9e3779b97f4a7c15ull;
    w->nbucket = 64;
    w->bucket = xcalloc(w->nbucket, sizeof(*w->bucket));
    return w;
}

/* seeded FNV-1a 64 with a final mix: user names come from the network */
static uint64_t user_hash(const struct weakpw *w, const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull ^ w->seed;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static void lru_unlink(struct weakpw *w, struct wentry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        w->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        w->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(struct weakpw *w, struct wentry *e)
{
    e->next = w->head;
    e->prev = NULL;
    if (w->head)
        w->head->prev = e;
    w->head = e;
    if (!w->tail)
        w->tail = e;
}

static void entry_free(struct weakpw *w, struct wentry *e)
{
    explicit_bzero(e->rec, e->count * (w->nb + 4));
    free(e->rec);
    free(e);
}

static void evict(struct weakpw *w, struct wentry *keep)
{
    while (w->bytes > w->o.max_bytes && w->tail && w->tail != keep) {
        struct wentry *e = w->tail;
        lru_unlink(w, e);
        struct wentry **pp = &w->bucket[e->h & (w->nbucket - 1)];
        while (*pp != e)
            pp = &(*pp)->hnext;
        *pp = e->hnext;
        w->bytes -= e->bytes;
        w->users--;
        w->evictions++;
        entry_free(w, e);
    }
}

static void grow(struct weakpw *w)
{
    size_t nn = w->nbucket * 2;
    struct wentry **nb = xcalloc(nn, sizeof(*nb));
    for (size_t i = 0; i < w->nbucket; i++)
        for (struct wentry *e = w->bucket[i], *next; e; e = next) {
            next = e->hnext;
            e->hnext = nb[e->h & (nn - 1)];
            nb[e->h & (nn - 1)] = e;
        }
    free(w->bucket);
    w->bucket = nb;
    w->nbucket = nn;
}

static int cmp_rec(const void *a, const void *b, void *nbp)
{
    size_t nb = *(const size_t *)nbp;
    int c = memcmp(a, b, nb);
    if (c)
        return c;
    return memcmp((const char *)a + nb, (const char *)b + nb, 4); /* by index */
}

static void put_rec(unsigned char *r, const unsigned char *fp, size_t nb, uint32_t idx)
{
    memcpy(r, fp, nb);
    r[nb] = (unsigned char)(idx >> 24);
    r[nb + 1] = (unsigned char)(idx >> 16);
    r[nb + 2] = (unsigned char)(idx >> 8);
    r[nb + 3] = (unsigned char)idx;
}

static struct wentry *build(struct weakpw *w, const char *user, uint64_t h)
{
    size_t ulen = strlen(user);
    size_t top = pwlist_count(w->list);
    if (top > w->o.top_n)
        top = w->o.top_n;
    struct pwcand_list cands = {0};
    struct pwctx ctx;
    pwcand_context(&ctx, user, NULL);
    pwcand_user(&cands, &ctx, w->o.year, w->o.user_guesses);
    size_t count = top + cands.n, rs = w->nb + 4;
    struct wentry *e = xcalloc(1, sizeof(*e) + ulen + 1);
    memcpy(e->user, user, ulen + 1);
    e->h = h;
    e->rec = xmalloc(count ? count * rs : 1);
    e->user_from = top;
    unsigned char fp[PWHASH_DIGEST_MAX];
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        const char *p;
        size_t plen;
        if (i < top) {
            p = pwlist_entry(w->list, i, &plen);
        } else {
            p = cands.s[i - top];
            plen = strlen(p);
        }
        int n = pwhash_raw(w->o.mech, w->nonce, user, p, plen, w->o.bits, fp);
        if (n == (int)w->nb)
            put_rec(e->rec + rs * k++, fp, w->nb, (uint32_t)i);
    }
    explicit_bzero(fp, sizeof(fp));
    pwcand_list_free(&cands);
    e->count = k;
    size_t nb = w->nb;
    qsort_r(e->rec, k, rs, cmp_rec, &nb);
    e->bytes = sizeof(*e) + ulen + 1 + count * rs;
    return e;
}

int weakpw_check(struct weakpw *w, const char *user, const char *pwhash, struct weakpw_match *m)
{
    unsigned char want[PWHASH_DIGEST_MAX];
    int n = pwhash_from_hex(pwhash, strlen(pwhash), want, sizeof(want));
    memset(m, 0, sizeof(*m));
    m->best = -1;
    if (n != (int)w->nb)
        return -1;
    if (!user)
        user = "";
    uint64_t h = user_hash(w, user);
    struct wentry *e = w->bucket[h & (w->nbucket - 1)];
    while (e && !(e->h == h && strcmp(e->user, user) == 0))
        e = e->hnext;
    if (e) {
        w->hits++;
        lru_unlink(w, e);
        lru_push(w, e);
    } else {
        w->misses++;
        e = build(w, user, h);
        if (w->users + 1 > w->nbucket)
            grow(w);
        e->hnext = w->bucket[h & (w->nbucket - 1)];
        w->bucket[h & (w->nbucket - 1)] = e;
        lru_push(w, e);
        w->users++;
        w->bytes += e->bytes;
        evict(w, e);
    }
    m->tried = e->count;
    /* first record >= want (records sort by fingerprint, then index) */
    size_t rs = w->nb + 4, lo = 0, hi = e->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(e->rec + mid * rs, want, w->nb) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < e->count && memcmp(e->rec + i * rs, want, w->nb) == 0; i++) {
        const unsigned char *r = e->rec + i * rs + w->nb;
        long idx = (long)((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]);
        if (!m->candidates)
            m->best = idx; /* the first of equal fingerprints has the lowest index */
        m->candidates++;
    }
    m->user_derived = m->best >= 0 && (size_t)m->best >= e->user_from;
    return m->candidates > 0;
}

void weakpw_get_stats(const struct weakpw *w, struct weakpw_stats *s)
{
    s->users = w->users;
    s->bytes = w->bytes;
    s->hits = w->hits;
    s->misses = w->misses;
    s->evictions = w->evictions;
}

void weakpw_free(struct weakpw *w)
{
    if (!w)
        return;
    for (struct wentry *e = w->head, *next; e; e = next) {
        next = e->next;
        entry_free(w, e);
    }
    free(w->bucket);
    free(w->nonce);
    free(w);
}
