/*
 * pwcheck - password rules after NIST SP 800-63B (pwcheck.h). Every copy of
 * the password made here is wiped before returning.
 */
#include "pwcheck.h"

#include "pwbreach.h"
#include "pwcand.h"
#include "pwlist.h"

#include "../util/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zxcvbn.h>

#define ZXCVBN_MAX_BYTES 256 /* the estimate looks at this prefix (a lower bound) */

static const char *const code_names[] = {
    [PWC_INVALID_UTF8] = "invalid_utf8",
    [PWC_CONTROL] = "control_character",
    [PWC_TOO_SHORT] = "too_short",
    [PWC_TOO_LONG] = "too_long",
    [PWC_COMMON] = "common",
    [PWC_COMMON_VARIANT] = "common_variant",
    [PWC_CONTEXT] = "context",
    [PWC_REPETITIVE] = "repetitive",
    [PWC_SEQUENTIAL] = "sequential",
    [PWC_GUESSABLE] = "guessable",
    [PWC_BREACHED] = "breached",
    [PWC_SHORTER_THAN_RECOMMENDED] = "shorter_than_recommended",
    [PWC_NO_LIST] = "no_list",
    [PWC_BREACH_UNAVAILABLE] = "breach_unavailable",
};

const char *pwcheck_code_name(enum pwcheck_code c)
{
    return (size_t)c < sizeof(code_names) / sizeof(code_names[0]) && code_names[c] ? code_names[c] : "?";
}

void pwcheck_defaults(struct pwcheck_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->min_len = 8;
    o->recommend_len = 15;
    o->max_len = 1024;
    o->min_entropy = 30;
}

__attribute__((format(printf, 3, 4))) static void add(struct pwcheck_result *r, enum pwcheck_code c,
                                                      const char *fmt, ...)
{
    int warn = c >= PWC_SHORTER_THAN_RECOMMENDED;
    size_t *n = warn ? &r->nwarnings : &r->nreasons;
    struct pwcheck_reason *arr = warn ? r->warnings : r->reasons;
    if (*n >= PWCHECK_MAX_REASONS)
        return;
    for (size_t i = 0; i < *n; i++)
        if (arr[i].code == c)
            return; /* one of each kind */
    arr[*n].code = c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(arr[*n].msg, sizeof(arr[*n].msg), fmt, ap);
    va_end(ap);
    (*n)++;
}

/* decode one UTF-8 sequence strictly; length, or 0 if invalid */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xe0) == 0xc0) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

static int is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

long pwcheck_utf8_count(const char *s, size_t len, size_t *controls)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    size_t ctl = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, len - i, &cp);
        if (!k)
            return -1;
        ctl += is_control(cp);
        i += k;
        n++;
    }
    if (controls)
        *controls = ctl;
    return n;
}

static char lower_c(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }
static int is_letterish(unsigned char c)
{
    /* neither an ASCII digit, punctuation nor space: a letter (or any
     * non-ASCII byte, counted once per code point by the caller) */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* l33t back to letters; one_as is what '1' becomes ('i' or 'l') */
static void deleet(char *d, const char *s, size_t n, char one_as)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (c) {
        case '4': case '@': c = 'a'; break;
        case '8': c = 'b'; break;
        case '3': c = 'e'; break;
        case '9': c = 'g'; break;
        case '1': c = one_as; break;
        case '!': c = 'i'; break;
        case '0': c = 'o'; break;
        case '5': case '$': c = 's'; break;
        case '7': case '+': c = 't'; break;
        default: break;
        }
        d[i] = c;
    }
}

/* strip appended digits/years/symbols and prepended digits/symbols */
static void strip_affixes(const char *s, size_t n, size_t *start, size_t *end)
{
    size_t a = 0, b = n;
    while (b > a && (unsigned char)s[b - 1] < 0x80 && !is_letterish((unsigned char)s[b - 1]))
        b--;
    while (a < b && (unsigned char)s[a] < 0x80 && !is_letterish((unsigned char)s[a]))
        a++;
    *start = a;
    *end = b;
}

static long list_rank(const struct pwlist *l, const char *s, size_t n, size_t min)
{
    return n >= min ? pwlist_rank(l, s, n) : -1;
}

static void rule_list(const struct pwcheck_opts *o, const char *low, size_t n, char *tmp,
                      struct pwcheck_result *r)
{
    size_t total = pwlist_count(o->list);
    long rk = pwlist_rank(o->list, low, n);
    if (rk >= 0) {
        r->rank = rk;
        add(r, PWC_COMMON, "one of the most common passwords (rank %ld of %zu in the list)", rk + 1, total);
        return;
    }
    long best = -1;
    size_t a, b;
    strip_affixes(low, n, &a, &b);
    long v = list_rank(o->list, low + a, b - a, 4);
    if (v >= 0)
        best = v;
    for (int k = 0; k < 2; k++) {
        char one = k ? 'l' : 'i';
        deleet(tmp, low, n, one);
        v = list_rank(o->list, tmp, n, 4);
        if (v >= 0 && (best < 0 || v < best))
            best = v;
        deleet(tmp, low + a, b - a, one);
        v = list_rank(o->list, tmp, b - a, 4);
        if (v >= 0 && (best < 0 || v < best))
            best = v;
    }
    int ascii = 1;
    for (size_t i = 0; i < n; i++)
        ascii &= (unsigned char)low[i] < 0x80;
    if (ascii) { /* reversed, whole and without the affixes */
        for (size_t i = 0; i < n; i++)
            tmp[i] = low[n - 1 - i];
        v = list_rank(o->list, tmp, n, 4);
        if (v >= 0 && (best < 0 || v < best))
            best = v;
        for (size_t i = a; i < b; i++)
            tmp[i - a] = low[b - 1 - (i - a)];
        v = list_rank(o->list, tmp, b - a, 4);
        if (v >= 0 && (best < 0 || v < best))
            best = v;
    }
    if (best >= 0) {
        r->rank = best;
        add(r, PWC_COMMON_VARIANT,
            "a common password (rank %ld of %zu in the list) with simple changes "
            "(case, l33t, added digits, years or symbols, or reversed)",
            best + 1, total);
    }
}

/* mark every occurrence of w in s; returns how many */
static int mark_word(const char *s, size_t n, const char *w, unsigned char *mark)
{
    size_t wl = strlen(w);
    int hits = 0;
    if (wl < 3 || wl > n)
        return 0;
    for (size_t i = 0; i + wl <= n; i++)
        if (memcmp(s + i, w, wl) == 0) {
            memset(mark + i, 1, wl);
            hits++;
        }
    return hits;
}

static void rule_context(const struct pwcheck_opts *o, const struct pwctx *ctx, const char *low,
                         size_t n, char *tmp, unsigned char *mark, struct pwcheck_result *r)
{
    for (int variant = 0; variant < 3; variant++) {
        const char *s = low;
        if (variant) {
            deleet(tmp, low, n, variant == 1 ? 'i' : 'l');
            s = tmp;
        }
        memset(mark, 0, n);
        int user = 0, domain = 0, service = 0;
        for (size_t i = 0; i < ctx->n; i++) {
            int h = mark_word(s, n, ctx->w[i], mark);
            if (ctx->kind[i] == PWCAND_USER)
                user += h;
            else
                domain += h;
        }
        for (size_t i = 0; pwcand_service_words[i]; i++)
            service += mark_word(s, n, pwcand_service_words[i], mark);
        if (!user && !domain && !service)
            continue;
        size_t letters = 0;
        for (size_t i = 0; i < n; i++)
            if (!mark[i] && is_letterish((unsigned char)s[i]) && ((unsigned char)s[i] & 0xc0) != 0x80)
                letters++;
        if (letters < 4) {
            char what[120];
            snprintf(what, sizeof(what), "%s%s%s%s%s", user ? "the user name" : "",
                     user && (domain || service) ? ", " : "", domain ? "the domain name" : "",
                     domain && service ? ", " : "", service ? "mail service words (mail, imap, webmail, ...)" : "");
            add(r, PWC_CONTEXT, "built from %s with few other letters", what);
            return;
        }
    }
}

/* keyboard rows, for sequences like qwerty and asdf */
static int kb_pos(uint32_t c, int *row)
{
    static const char *const rows[] = {"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"};
    for (int i = 0; i < 4; i++) {
        const char *p = c < 0x80 && c ? strchr(rows[i], (int)c) : NULL;
        if (p) {
            *row = i;
            return (int)(p - rows[i]);
        }
    }
    return -1;
}

/* the steps from a to b, as a set: 1/2 up/down the alphabet or digits,
 * 4 the same, 8/16 right/left along a keyboard row; 0 none */
static unsigned steps(uint32_t a, uint32_t b)
{
    unsigned m = 0;
    if (a == b)
        return 4;
    int alnum_a = (a >= 'a' && a <= 'z') || (a >= '0' && a <= '9');
    int alnum_b = (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9');
    if (alnum_a && alnum_b && ((a >= 'a') == (b >= 'a'))) {
        if (b == a + 1)
            m |= 1;
        if (a == b + 1)
            m |= 2;
    }
    int ra = -1, rb = -2;
    int pa = kb_pos(a, &ra), pb = kb_pos(b, &rb);
    if (pa >= 0 && pb >= 0 && ra == rb) {
        if (pb == pa + 1)
            m |= 8;
        if (pa == pb + 1)
            m |= 16;
    }
    return m;
}

static void rule_shape(const struct pwcheck_opts *o, const struct pwctx *ctx, const uint32_t *cp,
                       size_t n, const char *low, size_t nbytes, const size_t *byte_at,
                       struct pwcheck_result *r)
{
    if (n < 2)
        return;
    /* few distinct characters: aaaaaaaa, abababab, 11112222 */
    uint32_t d[3];
    size_t nd = 0;
    for (size_t i = 0; i < n && nd <= 2; i++) {
        size_t j = 0;
        while (j < nd && d[j] != cp[i])
            j++;
        if (j == nd) {
            if (nd == 2) {
                nd = 3;
                break;
            }
            d[nd++] = cp[i];
        }
    }
    if (nd <= 2) {
        add(r, PWC_REPETITIVE, "repetitive: only %zu different character%s", nd, nd == 1 ? "" : "s");
        return;
    }
    /* a repeated unit: abcabcabc, passwordpassword */
    for (size_t p = 1; p <= n / 2; p++) {
        if (n % p)
            continue;
        size_t i = p;
        while (i < n && cp[i] == cp[i - p])
            i++;
        if (i < n)
            continue;
        size_t ub = byte_at[p]; /* bytes of the unit */
        int weak = p <= 4 || (o->list && pwlist_rank(o->list, low, ub) >= 0);
        for (size_t k = 0; k < ctx->n && !weak; k++)
            weak = strlen(ctx->w[k]) == ub && memcmp(ctx->w[k], low, ub) == 0;
        if (weak) {
            add(r, PWC_REPETITIVE, "repetitive: the same %s repeated %zu times",
                p <= 4 ? "short sequence" : "common word", n / p);
            return;
        }
        break;
    }
    (void)nbytes;
    /* sequences: 12345678, abcd1234, qwerty123, 98765432 */
    size_t runs = 0;
    for (size_t i = 0; i < n;) {
        unsigned st = i + 1 < n ? steps(cp[i], cp[i + 1]) : 0;
        if (!st)
            return;
        size_t j = i + 1;
        while (j + 1 < n && (st & steps(cp[j], cp[j + 1]))) {
            st &= steps(cp[j], cp[j + 1]);
            j++;
        }
        if (j - i + 1 < 3)
            return;
        runs++;
        i = j + 1;
    }
    if (runs && runs <= 3)
        add(r, PWC_SEQUENTIAL, "sequential: made of %zu run%s of consecutive or repeated characters "
                               "(like 1234, abcd, qwerty, aaaa)",
            runs, runs == 1 ? "" : "s");
}

static void rule_strength(const struct pwcheck_opts *o, const struct pwctx *ctx, const char *pw,
                          size_t len, struct pwcheck_result *r)
{
    const char *dict[PWCAND_WORDS + 40];
    size_t nd = 0;
    for (size_t i = 0; i < ctx->n; i++)
        dict[nd++] = ctx->w[i];
    for (size_t i = 0; pwcand_service_words[i] && nd + 1 < sizeof(dict) / sizeof(dict[0]); i++)
        dict[nd++] = pwcand_service_words[i];
    dict[nd] = NULL;
    size_t n = len < ZXCVBN_MAX_BYTES ? len : ZXCVBN_MAX_BYTES;
    char buf[ZXCVBN_MAX_BYTES + 1];
    memcpy(buf, pw, n);
    buf[n] = '\0';
    double bits = ZxcvbnMatch(buf, dict, NULL);
    explicit_bzero(buf, sizeof(buf));
    r->entropy = bits;
    if (o->min_entropy > 0 && bits < o->min_entropy)
        add(r, PWC_GUESSABLE,
            "easy to guess: about 10^%.1f guesses (zxcvbn estimate %.1f bits; at least %.0f needed)",
            bits * log10(2.0), bits, o->min_entropy);
}

int pwcheck_run(const struct pwcheck_opts *o, const char *pw, size_t len, struct pwcheck_result *r)
{
    memset(r, 0, sizeof(*r));
    r->entropy = -1;
    r->rank = -1;
    r->breach_count = -1;
    size_t controls = 0;
    long ncp = pwcheck_utf8_count(pw, len, &controls);
    if (ncp < 0) {
        add(r, PWC_INVALID_UTF8, "not valid UTF-8 text");
        r->codepoints = len;
    } else {
        r->codepoints = (size_t)ncp;
    }
    if (controls)
        add(r, PWC_CONTROL, "contains %zu control character%s (tab, newline, ...)", controls,
            controls == 1 ? "" : "s");
    if (r->codepoints < o->min_len)
        add(r, PWC_TOO_SHORT, "too short: %zu characters; at least %zu needed (%zu recommended)",
            r->codepoints, o->min_len, o->recommend_len > o->min_len ? o->recommend_len : o->min_len);
    else if (r->codepoints < o->recommend_len)
        add(r, PWC_SHORTER_THAN_RECOMMENDED, "%zu characters; %zu or more are recommended",
            r->codepoints, o->recommend_len);
    if (o->max_len && r->codepoints > o->max_len) {
        add(r, PWC_TOO_LONG, "too long: %zu characters; at most %zu", r->codepoints, o->max_len);
        r->ok = 0;
        return 0; /* not worth estimating */
    }

    struct pwctx ctx;
    pwcand_context(&ctx, o->user, o->domain);
    char *low = xmalloc(len + 1), *tmp = xmalloc(len + 1);
    unsigned char *mark = xmalloc(len + 1);
    uint32_t *cp = xmalloc((len + 1) * sizeof(*cp));
    size_t *byte_at = xmalloc((len + 2) * sizeof(*byte_at));
    for (size_t i = 0; i < len; i++)
        low[i] = lower_c(pw[i]);
    low[len] = '\0';

    if (o->list)
        rule_list(o, low, len, tmp, r);
    else
        add(r, PWC_NO_LIST, "no list of common passwords was available: that rule was not applied "
                            "(run scripts/fetch-passwords.sh or give --list FILE)");
    rule_context(o, &ctx, low, len, tmp, mark, r);
    if (ncp >= 0) {
        size_t n = 0;
        for (size_t i = 0; i < len;) {
            size_t k = utf8_decode((const unsigned char *)low + i, len - i, &cp[n]);
            byte_at[n++] = i;
            i += k;
        }
        byte_at[n] = len;
        rule_shape(o, &ctx, cp, n, low, len, byte_at, r);
    }
    if (o->min_entropy > 0)
        rule_strength(o, &ctx, pw, len, r);
    if (o->breach_path) {
        char err[300];
        long long c = pwbreach_lookup(o->breach_path, pw, len, err, sizeof(err));
        if (c < 0) {
            add(r, PWC_BREACH_UNAVAILABLE, "breach corpus not searched: %s", err);
        } else {
            r->breach_count = c;
            if (c > 0)
                add(r, PWC_BREACHED, "found in the breach corpus (seen %lld time%s)", c, c == 1 ? "" : "s");
        }
    }
    explicit_bzero(low, len + 1);
    explicit_bzero(tmp, len + 1);
    explicit_bzero(mark, len + 1);
    explicit_bzero(cp, (len + 1) * sizeof(*cp));
    free(low);
    free(tmp);
    free(mark);
    free(cp);
    free(byte_at);
    r->ok = r->nreasons == 0;
    return r->ok;
}
