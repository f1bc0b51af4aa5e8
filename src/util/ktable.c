/*
 * ktable - bounded hash table with sampled least-valuable eviction
 * (see ktable.h).
 */
#include "ktable.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct slot_head {
    uint32_t hash; /* 0 = empty */
    uint8_t keylen;
    char key[KTABLE_KEY_MAX + 1];
};

struct ktable {
    uint32_t *hashes;     /* per slot, 0 = empty: probing reads only these */
    unsigned char *slots; /* nslots * stride */
    size_t nslots;        /* cap / 0.75: any size, hashes mapped by multiply-shift */
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

static size_t nslots_for(size_t cap)
{
    return cap + cap * 2 / 3 + 8; /* load at most 0.6: short probe runs */
}

static size_t stride_for(size_t value_size)
{
    return (KT_VALUE_OFF + value_size + 15) & ~(size_t)15;
}

size_t ktable_size(size_t cap, size_t value_size)
{
    cap = cap ? cap : 1;
    return sizeof(struct ktable) + nslots_for(cap) * (stride_for(value_size) + sizeof(uint32_t));
}

struct ktable *ktable_create(size_t cap, size_t value_size, ktable_score_fn score, void *ctx)
{
    struct ktable *t = xcalloc(1, sizeof(*t));
    t->cap = cap ? cap : 1;
    t->nslots = nslots_for(t->cap);
    t->value_size = value_size;
    t->stride = stride_for(value_size);
    /* anonymous pages: page-aligned, zero, resident only once a slot is used
     * (calloc may memset a recycled heap and make the whole cap resident) */
    size_t bytes = t->nslots * (t->stride + sizeof(uint32_t));
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        fprintf(stderr, "mailward: out of memory (table of %zu bytes)\n", bytes);
        abort();
    }
    t->slots = m;
    t->hashes = (uint32_t *)(t->slots + t->nslots * t->stride);
    t->score = score;
    t->ctx = ctx;
    t->rng = 0x9e3779b97f4a7c15ull;
    return t;
}

void ktable_free(struct ktable *t)
{
    if (!t)
        return;
    munmap(t->slots, t->nslots * (t->stride + sizeof(uint32_t)));
    free(t);
}

/* home slot of a hash: multiply-shift onto [0, nslots) */
static size_t home_of(const struct ktable *t, uint32_t h)
{
    return (size_t)(((uint64_t)h * t->nslots) >> 32);
}

static size_t next_slot(const struct ktable *t, size_t i)
{
    return i + 1 == t->nslots ? 0 : i + 1;
}

static size_t find(const struct ktable *t, const char *key, size_t keylen, uint32_t h, bool *found)
{
    for (size_t i = home_of(t, h);; i = next_slot(t, i)) {
        uint32_t sh = t->hashes[i];
        if (sh == 0) {
            *found = false;
            return i;
        }
        if (sh == h) {
            struct slot_head *s = slot(t, i);
            if (s->keylen == keylen && memcmp(s->key, key, keylen) == 0) {
                *found = true;
                return i;
            }
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
    size_t j = i;
    for (;;) {
        j = next_slot(t, j);
        uint32_t hj = t->hashes[j];
        if (hj == 0)
            break;
        size_t home = home_of(t, hj);
        /* can the record at j move to i? only if i lies cyclically in [home, j) */
        bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            memcpy(slot(t, i), slot(t, j), KT_VALUE_OFF + t->value_size);
            t->hashes[i] = hj;
            i = j;
        }
    }
    memset(slot(t, i), 0, t->stride);
    t->hashes[i] = 0;
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
        size_t i = (size_t)(next_rand(t) % t->nslots);
        if (t->hashes[i] == 0)
            continue;
        struct slot_head *s = slot(t, i);
        seen++;
        double sc = t->score ? t->score(slot_value(s), t->ctx) : 0;
        if (best == (size_t)-1 || sc < best_score) {
            best = i;
            best_score = sc;
        }
    }
    if (best == (size_t)-1) /* table nearly empty of samples: take the first */
        for (best = 0; best < t->nslots && t->hashes[best] == 0; best++)
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
    memset(s, 0, KT_VALUE_OFF + t->value_size);
    s->hash = h;
    t->hashes[i] = h;
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
    return sizeof(*t) + t->nslots * (t->stride + sizeof(uint32_t));
}

void ktable_foreach(struct ktable *t, void (*fn)(const char *key, size_t keylen, void *value, void *ctx),
                    void *ctx)
{
    for (size_t i = 0; i < t->nslots; i++) {
        if (t->hashes[i]) {
            struct slot_head *s = slot(t, i);
            fn(s->key, s->keylen, slot_value(s), ctx);
        }
    }
}
