/*
 * xalloc - allocation that never returns NULL.
 *
 * Every allocation in mailward goes through these wrappers. On out-of-memory
 * they print one message and abort(), so callers never check for NULL.
 * Memory returned is owned by the caller and released with free().
 */
#ifndef MW_XALLOC_H
#define MW_XALLOC_H

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
