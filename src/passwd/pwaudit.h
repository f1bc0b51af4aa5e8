/*
 * pwaudit - try the likeliest passwords against a batch of stored hashes on
 * all cores: for each account its own guesses (pwcand.h) and then the top-N
 * of the common-password list. Work is split into (account, guesses) tasks
 * (4 guesses for the slow schemes, 512 for the fast digests) handed out
 * through an atomic counter to a pool of pthreads, so a few slow hashes
 * still keep every core busy; an account stops being tried once a guess
 * matched.
 *
 * The caller owns the items (struct pwaudit_item, filled with parsed
 * entries); pwaudit_run() fills their results and calls progress (from the
 * calling thread, about 10 times a second) with guesses done and total.
 * pwaudit_item_clear() wipes the found password and the guesses.
 */
#ifndef MW_PWAUDIT_H
#define MW_PWAUDIT_H

#include "pwfile.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct pwlist;

struct pwaudit_opts {
    const struct pwlist *list; /* may be NULL: only the account's own guesses */
    size_t top_n;              /* list entries tried per account (100) */
    size_t user_guesses;       /* guesses from the account's name (40) */
    int year;                  /* for guesses like Name2025 (the caller's clock) */
    unsigned threads;          /* workers (>= 1) */
};

enum pwaudit_source { PWA_NONE, PWA_USER, PWA_LIST };

struct pwaudit_item {
    struct pwentry e;
    const char *file;  /* borrowed, for reports */
    uint64_t line;
    /* results */
    long found;                 /* index of the matching guess, -1 */
    enum pwaudit_source source;
    long rank;                  /* list rank (0-based) when source is PWA_LIST */
    char *found_pw;             /* malloc'd copy of the guess that matched */
    uint64_t tried;             /* guesses hashed */
    int failed;                 /* the hash could not be checked: error says why */
    char error[160];
    /* internal */
    char **user;
    size_t nuser;
    _Atomic long best;
    atomic_uint_fast64_t tried_a;
    atomic_int failed_a;
};

typedef void (*pwaudit_progress_fn)(void *arg, uint64_t done, uint64_t total);

void pwaudit_defaults(struct pwaudit_opts *o);
/* pwaudit_run - returns the number of guesses hashed */
uint64_t pwaudit_run(const struct pwaudit_opts *o, struct pwaudit_item *items, size_t n,
                     pwaudit_progress_fn progress, void *arg);
void pwaudit_item_clear(struct pwaudit_item *it);

#endif
