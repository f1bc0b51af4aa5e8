/*
 * pwcheck - the rules a new password must pass (NIST SP 800-63B 5.1.1.2):
 * length counted in Unicode code points (minimum 8 by default, 15
 * recommended, long passphrases and any printable Unicode accepted), not in
 * the list of common/breached passwords (also after undoing case, l33t,
 * appended digits, years and symbols, or reversal), not built from the user
 * name, the domain or mail service words, not repetitive or sequential,
 * a zxcvbn strength estimate above a floor, and optionally absent from an
 * offline breach corpus (pwbreach.h).
 *
 * pwcheck_run() fills a result struct the caller owns (no allocation kept);
 * reasons and warnings never contain the password or a word of it, only the
 * kind of weakness. Thread-safe; the list is shared read-only.
 */
#ifndef MW_PWCHECK_H
#define MW_PWCHECK_H

#include <stddef.h>

struct pwlist;

struct pwcheck_opts {
    size_t min_len;       /* code points (default 8) */
    size_t recommend_len; /* below this: a warning, not a rejection (15) */
    size_t max_len;       /* code points (default 1024) */
    double min_entropy;   /* zxcvbn bits (default 30); 0 turns the estimate off */
    const struct pwlist *list; /* NULL: no list rule (a warning says so) */
    const char *breach_path;   /* NULL: no breach corpus */
    const char *user;          /* may be NULL */
    const char *domain;        /* NULL: the part of user after '@' */
};

enum pwcheck_code {
    PWC_INVALID_UTF8,
    PWC_CONTROL,
    PWC_TOO_SHORT,
    PWC_TOO_LONG,
    PWC_COMMON,
    PWC_COMMON_VARIANT,
    PWC_CONTEXT,
    PWC_REPETITIVE,
    PWC_SEQUENTIAL,
    PWC_GUESSABLE,
    PWC_BREACHED,
    /* warnings */
    PWC_SHORTER_THAN_RECOMMENDED,
    PWC_NO_LIST,
    PWC_BREACH_UNAVAILABLE,
};

#define PWCHECK_MAX_REASONS 16

struct pwcheck_reason {
    enum pwcheck_code code;
    char msg[200];
};

struct pwcheck_result {
    int ok;                  /* 1 acceptable, 0 not */
    size_t codepoints;
    double entropy;          /* zxcvbn bits; -1 when not estimated */
    long rank;               /* rank in the list (exact or variant); -1 */
    long long breach_count;  /* -1 when not looked up */
    size_t nreasons, nwarnings;
    struct pwcheck_reason reasons[PWCHECK_MAX_REASONS];
    struct pwcheck_reason warnings[PWCHECK_MAX_REASONS];
};

void pwcheck_defaults(struct pwcheck_opts *o);
/* pwcheck_run - apply every rule to pw[0..len); returns r->ok */
int pwcheck_run(const struct pwcheck_opts *o, const char *pw, size_t len, struct pwcheck_result *r);
/* pwcheck_code_name - "too_short", "common", ... (stable, for --json) */
const char *pwcheck_code_name(enum pwcheck_code c);

/* pwcheck_utf8_count - code points of s, or -1 if not valid UTF-8;
 * *controls counts C0/C1 control characters and DEL */
long pwcheck_utf8_count(const char *s, size_t len, size_t *controls);

#endif
