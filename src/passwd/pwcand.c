/*
 * pwcand - context words and per-account guesses (pwcand.h).
 */
#include "pwcand.h"

#include "../util/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *const pwcand_service_words[] = {
    "mail",     "email",     "e-mail",  "imap",    "pop3",     "smtp",  "webmail",
    "roundcube", "dovecot",  "postfix", "postmaster", "mailbox", "inbox", "login",
    "admin",    "outlook",   "exchange", "zimbra",  "horde",    "sogo",  "rainloop",
    "thunderbird", "password", "passwort", "welcome", "changeme", NULL};

static void add_word(struct pwctx *c, const char *s, size_t len, enum pwcand_kind kind)
{
    if (len < 3 || len >= PWCAND_WORD_MAX || c->n >= PWCAND_WORDS)
        return;
    char w[PWCAND_WORD_MAX];
    for (size_t i = 0; i < len; i++)
        w[i] = (char)tolower((unsigned char)s[i]);
    w[len] = '\0';
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->w[i], w) == 0)
            return;
    memcpy(c->w[c->n], w, len + 1);
    c->kind[c->n++] = (unsigned char)kind;
}

static int is_sep(char ch) { return ch == '.' || ch == '_' || ch == '-' || ch == '+'; }

void pwcand_context(struct pwctx *c, const char *user, const char *domain)
{
    c->n = 0;
    const char *at = user ? strchr(user, '@') : NULL;
    if (user && *user) {
        size_t llen = at ? (size_t)(at - user) : strlen(user);
        add_word(c, user, llen, PWCAND_USER);
        /* without separators: john.smith -> johnsmith */
        char joined[PWCAND_WORD_MAX];
        size_t j = 0;
        for (size_t i = 0; i < llen && j + 1 < sizeof(joined); i++)
            if (!is_sep(user[i]))
                joined[j++] = user[i];
        add_word(c, joined, j, PWCAND_USER);
        size_t start = 0;
        for (size_t i = 0; i <= llen; i++)
            if (i == llen || is_sep(user[i])) {
                add_word(c, user + start, i - start, PWCAND_USER);
                start = i + 1;
            }
        if (at)
            add_word(c, user, strlen(user), PWCAND_USER);
    }
    if (!domain && at)
        domain = at + 1;
    if (domain && *domain) {
        size_t dlen = strlen(domain);
        /* labels but the last (the TLD): mail.example.co -> mail, example */
        const char *last = strrchr(domain, '.');
        size_t start = 0;
        for (size_t i = 0; i <= dlen; i++)
            if (i == dlen || domain[i] == '.') {
                if (last && domain + i <= last)
                    add_word(c, domain + start, i - start, PWCAND_DOMAIN);
                start = i + 1;
            }
        add_word(c, domain, dlen, PWCAND_DOMAIN);
    }
}

int pwcand_list_has(const struct pwcand_list *l, const char *s, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        if (strncmp(l->s[i], s, len) == 0 && l->s[i][len] == '\0')
            return 1;
    return 0;
}

void pwcand_list_add(struct pwcand_list *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->s = xrealloc(l->s, l->cap * sizeof(*l->s));
    }
    l->s[l->n++] = xstrndup(s, len);
}

void pwcand_list_free(struct pwcand_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        explicit_bzero(l->s[i], strlen(l->s[i]));
        free(l->s[i]);
    }
    free(l->s);
    l->s = NULL;
    l->n = l->cap = 0;
}

/* the decorations, likeliest first; %Y is the year, %y-1 the year before,
 * %2 the two-digit year; 'C' in front means Capitalised */
static const char *const decor[] = {
    "",    "C",    "1",    "C1",    "123",  "%Y",   "C%Y", "!",     "C1!",   "C!",
    "12",  "1234", "C123", "%P",    "C%P",  "%2",   "01",  "C%Y!",  "123!",  "C123!",
    "2",   "12345", "%Y!", "C12345", "%P!", "C%P!", "11",  "99",    "007",   "C2",
    "@1",  "#1",   "C@1",  "1@",    "00",   "321",  NULL};

#define DOMAIN_DECOR 8 /* decorations tried on domain words */

static size_t decorate(char *out, size_t cap, const char *base, const char *d, int year)
{
    int cap1 = 0;
    if (*d == 'C') {
        cap1 = 1;
        d++;
    }
    char suffix[32];
    if (strcmp(d, "%Y") == 0)
        snprintf(suffix, sizeof(suffix), "%d", year);
    else if (strcmp(d, "%Y!") == 0)
        snprintf(suffix, sizeof(suffix), "%d!", year);
    else if (strcmp(d, "%P") == 0)
        snprintf(suffix, sizeof(suffix), "%d", year - 1);
    else if (strcmp(d, "%P!") == 0)
        snprintf(suffix, sizeof(suffix), "%d!", year - 1);
    else if (strcmp(d, "%2") == 0)
        snprintf(suffix, sizeof(suffix), "%02d", ((year % 100) + 100) % 100);
    else
        snprintf(suffix, sizeof(suffix), "%s", d);
    int n = snprintf(out, cap, "%s%s", base, suffix);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    if (cap1)
        out[0] = (char)toupper((unsigned char)out[0]);
    return (size_t)n;
}

void pwcand_user(struct pwcand_list *l, const struct pwctx *c, int year, size_t max)
{
    size_t added = 0;
    char buf[PWCAND_WORD_MAX + 32];
    for (size_t d = 0; decor[d] && added < max; d++)
        for (size_t i = 0; i < c->n && added < max; i++) {
            /* the full address and the domain with dots only as they are;
             * the domain's words with the first few decorations only */
            if (decor[d][0] != '\0' && strchr(c->w[i], '.'))
                continue;
            if (c->kind[i] == PWCAND_DOMAIN && d >= DOMAIN_DECOR)
                continue;
            size_t n = decorate(buf, sizeof(buf), c->w[i], decor[d], year);
            if (n && !pwcand_list_has(l, buf, n)) {
                pwcand_list_add(l, buf, n);
                added++;
            }
        }
    explicit_bzero(buf, sizeof(buf));
}
