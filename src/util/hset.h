/*
 * hset - the small distinct-counters detectors keep per key: a fixed array
 * of 32-bit hashes, exact up to its capacity, then only counting (so "how
 * many distinct accounts has this address tried" stays a few bytes however
 * many there are; past the cap the count may overcount repeats); and the
 * same arrays kept as a ring of the most recent members (hset_keep: the
 * networks an account logs in from, the domains it mails).
 */
#ifndef MW_HSET_H
#define MW_HSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

/* hset_add - add h to set[0..cap) holding *n members; 1 if new, 0 if known */
static inline int hset_add(uint32_t *set, uint16_t cap, uint16_t *n, uint32_t h)
{
    uint16_t k = *n < cap ? *n : cap;
    for (uint16_t i = 0; i < k; i++)
        if (set[i] == h)
            return 0;
    if (*n < cap)
        set[*n] = h;
    if (*n < UINT16_MAX)
        (*n)++;
    return 1;
}

/* hset_has - is h among the members kept in set[0..cap) (*n may count past cap) */
static inline bool hset_has(const uint32_t *set, uint16_t n, uint16_t cap, uint32_t h)
{
    uint16_t k = n < cap ? n : cap;
    for (uint16_t i = 0; i < k; i++)
        if (set[i] == h)
            return true;
    return false;
}

/* hset_keep - add h if absent; once the set is full it replaces
 * set[seq % cap] (callers pass a counter that moves: the most recent
 * members stay) */
static inline void hset_keep(uint32_t *set, uint16_t *n, uint16_t cap, uint32_t h, uint32_t seq)
{
    if (hset_has(set, *n, cap, h))
        return;
    if (*n < cap)
        set[(*n)++] = h;
    else
        set[seq % cap] = h;
}

#endif
