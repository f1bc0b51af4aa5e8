/*
 * weakpw - "is this login's password one of the common ones?", answered
 * from Dovecot's auth-policy fingerprint alone (pwhash.h), for the daemon.
 *
 * For a user, the fingerprints H(nonce, user, p) of the top-N passwords of
 * the list and of the user's own guesses (pwcand.h: name, name123, Name2025,
 * ...) are computed on first sight and kept, sorted, in a cache bounded by a
 * byte cap; the least recently used users are dropped first. With Dovecot's
 * default 12-bit truncation a fingerprint is shared by 1 in 4096 passwords,
 * so a match means "possibly weak": m->candidates says how many guesses
 * share it (with top 1000, about 1 in 4 random passwords matches one); the
 * signal gets strong with more bits (auth_policy_hash_truncate) or when the
 * same account keeps matching.
 *
 * One struct weakpw holds all state (no globals); it is not thread-safe:
 * use one per thread or a lock. weakpw_create copies the options and
 * borrows the list (which must outlive it); weakpw_free releases all.
 */
#ifndef MW_WEAKPW_H
#define MW_WEAKPW_H

#include "pwhash.h"

#include <stddef.h>
#include <stdint.h>

struct pwlist;
struct weakpw;

struct weakpw_opts {
    enum pwhash_mech mech; /* auth_policy_hash_mech (sha256) */
    const char *nonce;     /* auth_policy_hash_nonce (copied) */
    unsigned bits;         /* auth_policy_hash_truncate (12; 0 = whole digest) */
    size_t top_n;          /* common passwords fingerprinted per user (1000) */
    size_t user_guesses;   /* guesses from the user's own name (40) */
    int year;              /* for the guesses Name2025 (the caller's clock) */
    size_t max_bytes;      /* cache cap (16 MiB); at least one user is kept */
};

struct weakpw_match {
    long best;          /* lowest-numbered guess with this fingerprint: a list
                           rank (0-based) if < top_n, else a user guess */
    int user_derived;   /* the best guess is built from the user name */
    size_t candidates;  /* how many guesses share the fingerprint */
    size_t tried;       /* guesses fingerprinted for this user */
};

struct weakpw_stats {
    size_t users, bytes;
    uint64_t hits, misses, evictions;
};

void weakpw_defaults(struct weakpw_opts *o);
/* weakpw_create - NULL (with nothing allocated) when the options are
 * invalid: bits larger than the digest */
struct weakpw *weakpw_create(const struct weakpw_opts *o, const struct pwlist *list);
/* weakpw_check - 1 when pwhash (hex, as Dovecot sends it) equals the
 * fingerprint of a guess for user (m filled), 0 when it does not, -1 when
 * pwhash is not hex of the configured length */
int weakpw_check(struct weakpw *w, const char *user, const char *pwhash, struct weakpw_match *m);
void weakpw_get_stats(const struct weakpw *w, struct weakpw_stats *s);
void weakpw_free(struct weakpw *w);

#endif
