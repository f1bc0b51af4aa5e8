/*
 * hset - the small distinct-counters detectors keep per key: a fixed array
 * of 32-bit hashes, exact up to its capacity, then only counting (so "how
 * many distinct accounts has this address tried" stays a few bytes however
 * many there are; past the cap the count may overcount repeats).
 */
#ifndef MW_HSET_H
#define MW_HSET_H

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

#endif
