/*
 * pwlist - the ranked list of common and breached passwords that
 * `passwd check` rejects and `passwd audit` tries first.
 *
 * The file (data/passwords.txt, built by scripts/fetch-passwords.sh) has one
 * password a line, most common first, lowercase; lines starting with "#!"
 * (john's comment style) and empty lines are skipped, a final "\r" is
 * dropped. It is mmap'd read-only and indexed by an open-addressing hash
 * table of line numbers, built at open (about 20 ms for 100k lines).
 *
 * pwlist_open() returns NULL with a message in err; the caller owns the
 * list and frees it with pwlist_close(). Lookups are exact byte matches:
 * callers lowercase first. Read-only after open, so threads may share it.
 */
#ifndef MW_PWLIST_H
#define MW_PWLIST_H

#include <stddef.h>

struct pwlist;

struct pwlist *pwlist_open(const char *path, char *err, size_t errlen);
/* pwlist_from_memory - the same from a buffer (copied); never NULL */
struct pwlist *pwlist_from_memory(const char *data, size_t len);
void pwlist_close(struct pwlist *l);

size_t pwlist_count(const struct pwlist *l);
/* pwlist_entry - the password of a 0-based rank, not NUL-terminated */
const char *pwlist_entry(const struct pwlist *l, size_t rank, size_t *len);
/* pwlist_rank - 0-based rank of s, or -1 when it is not in the list */
long pwlist_rank(const struct pwlist *l, const char *s, size_t len);

#endif
