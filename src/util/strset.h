/*
 * strset - a set of short strings that remembers insertion order, with a
 * cap: past `cap` members new strings are only counted (strset_total), not
 * kept, so a finding that grows to a million addresses stays bounded.
 * strset_add() returns 1 if the string is new and kept, 0 if already there,
 * -1 if new but over the cap. Strings are copied; strset_free releases all.
 */
#ifndef MW_STRSET_H
#define MW_STRSET_H

#include <stddef.h>
#include <stdint.h>

struct strset {
    char **items;
    uint32_t *lens;
    size_t n, alloc, cap;
    uint32_t *index;    /* open addressing over items, 0 = empty, else i+1 */
    size_t nindex;
    uint64_t overflow;  /* distinct-looking strings not kept (approximate) */
};

void strset_init(struct strset *s, size_t cap);
void strset_free(struct strset *s);
int strset_add(struct strset *s, const char *str, size_t len);
int strset_has(const struct strset *s, const char *str, size_t len);
/* strset_total - members kept plus those refused for the cap */
static inline uint64_t strset_total(const struct strset *s)
{
    return s->n + s->overflow;
}

#endif
