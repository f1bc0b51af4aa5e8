/*
 * msglink - bounded FIFO hash table from message id to submission facts
 * (see msglink.h). Slots are reused in ring order, so the oldest message
 * is the one forgotten when the table is full.
 */
#include "msglink.h"
#include "../util/hash.h"
#include "../util/xalloc.h"

#include <string.h>

struct msglink {
    struct msglink_rec *recs;
    int32_t *buckets;
    size_t cap;
    size_t nbuckets; /* power of two */
    size_t ring;     /* next slot to fill */
    uint64_t evictions;
};

struct msglink *msglink_create(size_t cap)
{
    struct msglink *ml = xcalloc(1, sizeof(*ml));
    ml->cap = cap ? cap : 1;
    ml->nbuckets = 1;
    while (ml->nbuckets < ml->cap * 2)
        ml->nbuckets <<= 1;
    ml->recs = xcalloc(ml->cap, sizeof(*ml->recs));
    ml->buckets = xmalloc(ml->nbuckets * sizeof(int32_t));
    for (size_t i = 0; i < ml->nbuckets; i++)
        ml->buckets[i] = -1;
    return ml;
}

void msglink_free(struct msglink *ml)
{
    if (!ml)
        return;
    free(ml->recs);
    free(ml->buckets);
    free(ml);
}

static void ml_unlink(struct msglink *ml, int32_t idx)
{
    struct msglink_rec *r = &ml->recs[idx];
    int32_t *pp = &ml->buckets[r->hash & (ml->nbuckets - 1)];
    while (*pp >= 0) {
        if (*pp == idx) {
            *pp = r->next;
            break;
        }
        pp = &ml->recs[*pp].next;
    }
    r->used = 0;
}

struct msglink_rec *msglink_get(struct msglink *ml, struct mw_slice key)
{
    if (key.n == 0 || key.n > MSGLINK_KEY_MAX)
        return NULL;
    uint32_t h = hash32(key.p, key.n);
    for (int32_t i = ml->buckets[h & (ml->nbuckets - 1)]; i >= 0; i = ml->recs[i].next) {
        struct msglink_rec *r = &ml->recs[i];
        if (r->hash == h && r->keylen == key.n && memcmp(r->key, key.p, key.n) == 0)
            return r;
    }
    return NULL;
}

struct msglink_rec *msglink_put(struct msglink *ml, struct mw_slice key)
{
    if (key.n == 0 || key.n > MSGLINK_KEY_MAX)
        return NULL;
    struct msglink_rec *r = msglink_get(ml, key);
    if (r)
        return r;
    int32_t idx = (int32_t)ml->ring;
    ml->ring = (ml->ring + 1) % ml->cap;
    r = &ml->recs[idx];
    if (r->used) {
        ml_unlink(ml, idx);
        ml->evictions++;
    }
    memset(r, 0, sizeof(*r));
    r->used = 1;
    r->tls = -1;
    r->hash = hash32(key.p, key.n);
    memcpy(r->key, key.p, key.n);
    r->keylen = (uint8_t)key.n;
    uint32_t b = r->hash & (ml->nbuckets - 1);
    r->next = ml->buckets[b];
    ml->buckets[b] = idx;
    return r;
}

void msglink_del(struct msglink *ml, struct mw_slice key)
{
    struct msglink_rec *r = msglink_get(ml, key);
    if (r)
        ml_unlink(ml, (int32_t)(r - ml->recs));
}

uint64_t msglink_evictions(const struct msglink *ml)
{
    return ml->evictions;
}

void msglink_set(char *dst, uint8_t *dstlen, size_t cap, struct mw_slice v)
{
    size_t n = v.n < cap ? v.n : cap;
    if (n > 255)
        n = 255;
    if (v.p)
        memcpy(dst, v.p, n);
    *dstlen = (uint8_t)n;
}
