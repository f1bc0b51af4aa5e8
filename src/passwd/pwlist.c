/*
 * pwlist - ranked common-password list, mmap'd and hash-indexed (pwlist.h).
 */
#include "pwlist.h"

#include "../util/hash.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PWLIST_MAX_BYTES ((size_t)1 << 31) /* offsets are 32-bit */

struct pwent {
    uint32_t off, len;
};

struct pwlist {
    const char *data;
    size_t size;
    int mapped;       /* data is an mmap (else malloc'd) */
    struct pwent *ent; /* by rank */
    size_t n;
    uint32_t *slot;   /* rank + 1, 0 = empty */
    size_t mask;
};

static void build(struct pwlist *l)
{
    size_t cap = 1024;
    l->ent = xmalloc(cap * sizeof(*l->ent));
    const char *p = l->data, *end = l->data + l->size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        size_t len = (size_t)(e - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len && !(len >= 2 && p[0] == '#' && p[1] == '!')) {
            if (l->n == cap) {
                cap *= 2;
                l->ent = xrealloc(l->ent, cap * sizeof(*l->ent));
            }
            l->ent[l->n].off = (uint32_t)(p - l->data);
            l->ent[l->n].len = (uint32_t)len;
            l->n++;
        }
        p = nl ? nl + 1 : end;
    }
    size_t sz = 16;
    while (sz < 2 * l->n)
        sz *= 2;
    l->mask = sz - 1;
    l->slot = xcalloc(sz, sizeof(*l->slot));
    for (size_t i = 0; i < l->n; i++) {
        const char *s = l->data + l->ent[i].off;
        size_t h = hash32(s, l->ent[i].len) & l->mask;
        for (;; h = (h + 1) & l->mask) {
            uint32_t r = l->slot[h];
            if (!r) {
                l->slot[h] = (uint32_t)(i + 1);
                break;
            }
            /* a duplicate keeps its best (first) rank */
            if (l->ent[r - 1].len == l->ent[i].len && memcmp(l->data + l->ent[r - 1].off, s, l->ent[i].len) == 0)
                break;
        }
    }
}

struct pwlist *pwlist_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if ((size_t)st.st_size >= PWLIST_MAX_BYTES) {
        snprintf(err, errlen, "%s: too large for a password list (%lld bytes)", path, (long long)st.st_size);
        close(fd);
        return NULL;
    }
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s: empty password list", path);
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return NULL;
    }
    struct pwlist *l = xcalloc(1, sizeof(*l));
    l->data = m;
    l->size = (size_t)st.st_size;
    l->mapped = 1;
    build(l);
    if (l->n == 0) {
        snprintf(err, errlen, "%s: no passwords in the file", path);
        pwlist_close(l);
        return NULL;
    }
    return l;
}

struct pwlist *pwlist_from_memory(const char *data, size_t len)
{
    struct pwlist *l = xcalloc(1, sizeof(*l));
    if (len >= PWLIST_MAX_BYTES)
        len = PWLIST_MAX_BYTES - 1;
    char *copy = xmalloc(len ? len : 1);
    memcpy(copy, data, len);
    l->data = copy;
    l->size = len;
    build(l);
    return l;
}

void pwlist_close(struct pwlist *l)
{
    if (!l)
        return;
    if (l->mapped)
        munmap((void *)l->data, l->size);
    else
        free((void *)l->data);
    free(l->ent);
    free(l->slot);
    free(l);
}

size_t pwlist_count(const struct pwlist *l) { return l ? l->n : 0; }

const char *pwlist_entry(const struct pwlist *l, size_t rank, size_t *len)
{
    if (!l || rank >= l->n) {
        *len = 0;
        return NULL;
    }
    *len = l->ent[rank].len;
    return l->data + l->ent[rank].off;
}

long pwlist_rank(const struct pwlist *l, const char *s, size_t len)
{
    if (!l || !l->n)
        return -1;
    for (size_t h = hash32(s, len) & l->mask;; h = (h + 1) & l->mask) {
        uint32_t r = l->slot[h];
        if (!r)
            return -1;
        const struct pwent *e = &l->ent[r - 1];
        if (e->len == len && memcmp(l->data + e->off, s, len) == 0)
            return (long)(r - 1);
    }
}
