/*
 * ktable - bounded hash table with sampled least-valuable eviction
 * (see ktable.h).
 */
#include "ktable.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>

struct slot_head {
    uint32_t hash; /* 0 = empty */
    uint8_t keylen;
    char key[KTABLE_KEY_MAX + 1];
};

struct ktable {
    unsigned char *slots; /* nslots * stride */
    size_t nslots;        /* power of two, >= cap / 0.75 */
    size_t stride;
    size_t cap, count;
    size_t value_size;
    ktable_score_fn score;
    void *ctx;
    uint64_t evictions;
    uint64_t rng;
};

static uint32_t kt_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    uint32_t r = (uint32_t)(h ^ (h >> 32));
    return r ? r : 1;
}

static struct slot_head *slot(const struct ktable *t, size_t i)
{
    return (struct slot_head *)(t->slots + i * t->stride);
}

/* values start 16-byte aligned after the head, whatever they hold */
#define KT_VALUE_OFF ((sizeof(struct slot_head) + 15) & ~(size_t)15)

static void *slot_value(struct slot_head *h)
{
    return (unsigned char *)h + KT_VALUE_OFF;
}

struct ktable *ktable_create(size_t cap, size_t value_size, ktable_score_fn score, void *ctx)
{
    struct ktable *t = xcalloc(1, sizeof(*t));
    t->cap = cap ? cap : 1;
    t->nslots = 8;
    while (t->nslots * 3 < t->cap * 4)
        t->nslots <<= 1;
    t->value_size = value_size;
    t->stride = (KT_VALUE_OFF + value_size + 15) & ~(size_t)15;
    t->slots = aligned_alloc(16, t->nslots * t->stride);
    if (!t->slots) {
        fprintf(stderr, "mailward: out of memory (table of %zu bytes)\n", t->nslots * t->stride);
        abort();
    }
    memset(t->slots, 0, t->nslots * t->stride);
    t->score = score;
    t->ctx = ctx;
    t->rng = 0x9e3779b97f4a7c15ull;
    return t;
}

void ktable_free(struct ktable *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t);
}

static size_t find(const struct ktable *t, const char *key, size_t keylen, uint32_t h, bool *found)
{
    size_t mask = t->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct slot_head *s = slot(t, i);
        if (s->hash == 0) {
            *found = false;
            return i;
        }
        if (s->hash == h && s->keylen == keylen && memcmp(s->key, key, keylen) == 0) {
            *found = true;
            return i;
        }
    }
}

void *ktable_get(struct ktable *t, const char *key, size_t keylen)
{
    if (keylen > KTABLE_KEY_MAX)
        keylen = KTABLE_KEY_MAX;
    bool found;
    size_t i = find(t, key, keylen, kt_hash(key, keylen), &found);
    return found ? slot_value(slot(t, i)) : NULL;
}

/* remove the record in slot i, shifting later records of its run back */
static void remove_at(struct ktable *t, size_t i)
{
    size_t mask = t->nslots - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        struct slot_head *s = slot(t, j);
        if (s->hash == 0)
            break;
        size_t home = s->hash & mask;
        /* can the record at j move to i? only if i lies cyclically in [home, j) */
        bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            memcpy(slot(t, i), s, t->stride);
            i = j;
        }
    }
    memset(slot(t, i), 0, t->stride);
    t->count--;
}

static uint64_t next_rand(struct ktable *t)
{
    /* xorshift64*: deterministic per table */
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    return t->rng * 2685821657736338717ull;
}

static void evict_one(struct ktable *t)
{
    size_t best = (size_t)-1;
    double best_score = 0;
    int seen = 0;
    for (int tries = 0; seen < KTABLE_SAMPLES && tries < KTABLE_SAMPLES * 64; tries++) {
        size_t i = next_rand(t) & (t->nslots - 1);
        struct slot_head *s = slot(t, i);
        if (s->hash == 0)
            continue;
        seen++;
        double sc = t->score ? t->score(slot_value(s), t->ctx) : 0;
        if (best == (size_t)-1 || sc < best_score) {
            best = i;
            best_score = sc;
        }
    }
    if (best == (size_t)-1) /* table nearly empty of samples: take the first */
        for (best = 0; best < t->nslots && slot(t, best)->hash == 0; best++)
            ;
    remove_at(t, best);
    t->evictions++;
}

void *ktable_put(struct ktable *t, const char *key, size_t keylen, bool *created)
{
    if (keylen > KTABLE_KEY_MAX)
        keylen = KTABLE_KEY_MAX;
    uint32_t h = kt_hash(key, keylen);
    bool found;
    size_t i = find(t, key, keylen, h, &found);
    if (found) {
        if (created)
            *created = false;
        return slot_value(slot(t, i));
    }
    if (t->count >= t->cap) {
        evict_one(t);
        i = find(t, key, keylen, h, &found);
    }
    struct slot_head *s = slot(t, i);
    memset(s, 0, t->stride);
    s->hash = h;
    s->keylen = (uint8_t)keylen;
    memcpy(s->key, key, keylen);
    t->count++;
    if (created)
        *created = true;
    return slot_value(s);
}

void ktable_remove(struct ktable *t, const char *key, size_t keylen)
{
    if (keylen > KTABLE_KEY_MAX)
        keylen = KTABLE_KEY_MAX;
    bool found;
    size_t i = find(t, key, keylen, kt_hash(key, keylen), &found);
    if (found)
        remove_at(t, i);
}

size_t ktable_count(const struct ktable *t)
{
    return t->count;
}

uint64_t ktable_evictions(const struct ktable *t)
{
    return t->evictions;
}

size_t ktable_bytes(const struct ktable *t)
{
    return sizeof(*t) + t->nslots * t->stride;
}

void ktable_foreach(struct ktable *t, void (*fn)(const char *key, size_t keylen, void *value, void *ctx),
                    void *ctx)
{
    for (size_t i = 0; i < t->nslots; i++) {
        struct slot_head *s = slot(t, i);
        if (s->hash)
            fn(s->key, s->keylen, slot_value(s), ctx);
    }
}
