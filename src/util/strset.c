/*
 * strset - bounded insertion-ordered string set (see strset.h).
 */
#include "strset.h"
#include "hash.h"
#include "xalloc.h"

#include <string.h>

void strset_init(struct strset *s, size_t cap)
{
    memset(s, 0, sizeof(*s));
    s->cap = cap ? cap : 1;
}

void strset_free(struct strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    free(s->items);
    free(s->lens);
    free(s->index);
    memset(s, 0, sizeof(*s));
}

static size_t slot_of(const struct strset *s, const char *str, size_t len, int *found)
{
    size_t mask = s->nindex - 1;
    for (size_t i = hash32(str, len) & mask;; i = (i + 1) & mask) {
        uint32_t v = s->index[i];
        if (!v) {
            *found = 0;
            return i;
        }
        if (s->lens[v - 1] == len && memcmp(s->items[v - 1], str, len) == 0) {
            *found = 1;
            return i;
        }
    }
}

int strset_has(const struct strset *s, const char *str, size_t len)
{
    if (!s->nindex)
        return 0;
    int found;
    slot_of(s, str, len, &found);
    return found;
}

int strset_add(struct strset *s, const char *str, size_t len)
{
    if (s->nindex && strset_has(s, str, len))
        return 0;
    if (s->n >= s->cap) {
        s->overflow++;
        return -1;
    }
    if (s->n + 1 > s->alloc) {
        s->alloc = s->alloc ? s->alloc * 2 : 8;
        s->items = xrealloc(s->items, s->alloc * sizeof(*s->items));
        s->lens = xrealloc(s->lens, s->alloc * sizeof(*s->lens));
    }
    if ((s->n + 1) * 2 > s->nindex) {
        size_t nn = s->nindex ? s->nindex * 2 : 16;
        free(s->index);
        s->index = xcalloc(nn, sizeof(*s->index));
        s->nindex = nn;
        for (size_t i = 0; i < s->n; i++) {
            int f;
            size_t at = slot_of(s, s->items[i], s->lens[i], &f);
            s->index[at] = (uint32_t)(i + 1);
        }
    }
    s->items[s->n] = xstrndup(str, len);
    s->lens[s->n] = (uint32_t)len;
    int f;
    size_t at = slot_of(s, str, len, &f);
    s->index[at] = (uint32_t)(s->n + 1);
    s->n++;
    return 1;
}
