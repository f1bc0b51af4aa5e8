/*
 * hash - the one string hash the tables share: FNV-1a, 32 bits, never 0
 * (so 0 can mean "empty slot"). Not for untrusted keys where collisions
 * matter for security; every table here compares whole keys.
 */
#ifndef MW_HASH_H
#define MW_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t hash32(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h ? h : 1;
}

#endif
