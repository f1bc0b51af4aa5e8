/*
 * pwcand - the words a password must not be built from (user name, domain,
 * service words) and the guesses an audit or a fingerprint cache tries for
 * one account: the user's own words with the usual decorations
 * (Capitalised, digits, years, '!'), breadth first so the likeliest come
 * first.
 *
 * pwcand_context() fills a fixed-size struct (no allocation). A pwcand_list
 * owns its strings; pwcand_list_free() wipes and frees them. The current
 * year comes in as a parameter (nothing here reads the clock).
 */
#ifndef MW_PWCAND_H
#define MW_PWCAND_H

#include <stddef.h>

#define PWCAND_WORD_MAX 96
#define PWCAND_WORDS 16

enum pwcand_kind { PWCAND_USER, PWCAND_DOMAIN };

struct pwctx {
    size_t n;
    char w[PWCAND_WORDS][PWCAND_WORD_MAX]; /* lowercase, NUL-terminated */
    unsigned char kind[PWCAND_WORDS];      /* enum pwcand_kind */
};

/* service words a mail password must not be built from: "mail", "imap", ... */
extern const char *const pwcand_service_words[];

/* pwcand_context - words of user (its local part, the part pieces split at
 * . _ - +, the name without separators) and of domain (NULL: the part of
 * user after '@'): the domain and its labels but the last; only words of
 * 3 or more bytes, lowercase, each once */
void pwcand_context(struct pwctx *c, const char *user, const char *domain);

struct pwcand_list {
    char **s;
    size_t n, cap;
};

void pwcand_list_add(struct pwcand_list *l, const char *s, size_t len);
/* pwcand_list_has - 1 if s is already in the list (linear; lists are short) */
int pwcand_list_has(const struct pwcand_list *l, const char *s, size_t len);
void pwcand_list_free(struct pwcand_list *l);

/* pwcand_user - append up to max guesses built from the account's words
 * (not already in l) */
void pwcand_user(struct pwcand_list *l, const struct pwctx *c, int year, size_t max);

#endif
