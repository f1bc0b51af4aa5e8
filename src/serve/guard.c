/*
 * guard - live verdicts: bans, flags, delays, stale passwords (see guard.h).
 */
#include "guard.h"

#include "../util/hash.h"
#include "../util/ipaddr.h"
#include "../util/ktable.h"
#include "../util/window.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

/* per address: failures and successes over the window */
struct addr_rec {
    struct window fail, ok;
    int64_t last;
};

/* per address+account: is it one password again and again? */
struct pair_rec {
    uint64_t pw;            /* hash of the last failing pwhash, 0 none */
    uint32_t same;          /* failures with that same pwhash in a row */
    uint32_t other;         /* failures with a different one */
    int64_t last;
    uint8_t told;           /* stale notice given */
};

struct flag_rec {
    struct guard_flag f;
    char account[256];
};

struct guard {
    struct guard_config cfg;
    struct ktable *bans;    /* normalised address or CIDR -> struct guard_ban */
    struct ktable *flags;   /* guard_key(account) -> struct flag_rec */
    struct ktable *addrs;   /* address -> addr_rec */
    struct ktable *pairs;   /* guard_key(address \t account) -> pair_rec */
    /* banned networks by prefix length, so lookups only try lengths in use */
    uint32_t v4_bits[33], v6_bits[129];
};

static double ban_score(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct guard_ban *)v)->until;
}

static double flag_score(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct flag_rec *)v)->f.since;
}

static double addr_score(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct addr_rec *)v)->last;
}

static double pair_score(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct pair_rec *)v)->last;
}

static size_t window_width(const struct guard *g)
{
    uint32_t w = g->cfg.window / WINDOW_BUCKETS;
    return w ? w : 1;
}

struct guard *guard_create(const struct guard_config *c)
{
    struct guard *g = xcalloc(1, sizeof(*g));
    g->cfg = *c;
    g->bans = ktable_create(c->max_bans, sizeof(struct guard_ban), ban_score, NULL);
    g->flags = ktable_create(c->max_flags, sizeof(struct flag_rec), flag_score, NULL);
    g->addrs = ktable_create(c->max_keys, sizeof(struct addr_rec), addr_score, NULL);
    g->pairs = ktable_create(c->max_keys, sizeof(struct pair_rec), pair_score, NULL);
    return g;
}

void guard_free(struct guard *g)
{
    if (!g)
        return;
    ktable_free(g->bans);
    ktable_free(g->flags);
    ktable_free(g->addrs);
    ktable_free(g->pairs);
    free(g);
}

size_t guard_memory_for(const struct guard_config *c)
{
    return sizeof(struct guard) + ktable_size(c->max_bans, sizeof(struct guard_ban)) +
           ktable_size(c->max_flags, sizeof(struct flag_rec)) +
           ktable_size(c->max_keys, sizeof(struct addr_rec)) +
           ktable_size(c->max_keys, sizeof(struct pair_rec));
}

size_t guard_keys_for_memory(size_t bytes)
{
    for (size_t keys = bytes / 32; keys >= 1000; keys = keys * 15 / 16)
        if (ktable_size(keys, sizeof(struct addr_rec)) + ktable_size(keys, sizeof(struct pair_rec)) <= bytes)
            return keys;
    return 1000;
}

size_t guard_key(char out[64], const char *s, size_t n)
{
    if (n <= KTABLE_KEY_MAX) {
        memcpy(out, s, n);
        return n;
    }
    /* 44 bytes of the text, '#', 16 hex digits of a 64-bit hash of all of it */
    uint64_t h = ((uint64_t)hash32(s, n) << 32) | hash32(s + n / 2, n - n / 2);
    memcpy(out, s, 44);
    out[44] = '#';
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        out[45 + i] = hx[(h >> (60 - 4 * i)) & 15];
    return 61;
}

/* normalise "192.0.2.7", "2001:DB8::1", "192.0.2.9/24" -> canonical text;
 * *bits = prefix length (32/128 for an address), *v4 */
static int norm_key(const char *key, size_t n, char out[IPADDR_CIDRLEN], unsigned *bits, bool *v4)
{
    const char *slash = memchr(key, '/', n);
    struct ipaddr a;
    if (ipaddr_parse(key, slash ? (size_t)(slash - key) : n, &a) != IPADDR_OK)
        return -1;
    *v4 = ipaddr_is_v4(&a);
    unsigned max = *v4 ? 32 : 128, b = max;
    if (slash) {
        b = 0;
        const char *p = slash + 1;
        if (p == key + n)
            return -1;
        for (; p < key + n; p++) {
            if (*p < '0' || *p > '9' || b > 128)
                return -1;
            b = b * 10 + (unsigned)(*p - '0');
        }
        if (b > max)
            return -1;
    }
    *bits = b;
    if (b == max)
        return (int)ipaddr_format(&a, out);
    struct ipaddr m;
    ipaddr_mask(&a, b, &m);
    return (int)ipaddr_format_cidr(&m, b, out);
}

int guard_ban(struct guard *g, const char *key, const struct guard_ban *b)
{
    char k[IPADDR_CIDRLEN];
    unsigned bits;
    bool v4;
    int kl = norm_key(key, strlen(key), k, &bits, &v4);
    if (kl < 0)
        return -1;
    bool created;
    struct guard_ban *v = ktable_put(g->bans, k, (size_t)kl, &created);
    if (created) {
        if (v4)
            g->v4_bits[bits]++;
        else
            g->v6_bits[bits]++;
        *v = *b;
    } else {
        /* keep the longest ban, the first finding */
        if (b->until > v->until)
            v->until = b->until;
        if (!v->finding) {
            v->finding = b->finding;
            memcpy(v->kind, b->kind, sizeof(v->kind));
        }
    }
    v->kind[GUARD_KIND_MAX - 1] = 0;
    return 0;
}

static void forget_bits(struct guard *g, const char *k, size_t kl)
{
    char tmp[IPADDR_CIDRLEN];
    unsigned bits;
    bool v4;
    if (norm_key(k, kl, tmp, &bits, &v4) < 0)
        return;
    uint32_t *slot = v4 ? &g->v4_bits[bits] : &g->v6_bits[bits];
    if (*slot)
        (*slot)--;
}

bool guard_has_ban(struct guard *g, const char *key)
{
    char k[IPADDR_CIDRLEN];
    unsigned bits;
    bool v4;
    int kl = norm_key(key, strlen(key), k, &bits, &v4);
    return kl >= 0 && ktable_get(g->bans, k, (size_t)kl) != NULL;
}

int guard_unban(struct guard *g, const char *key)
{
    char k[IPADDR_CIDRLEN];
    unsigned bits;
    bool v4;
    int kl = norm_key(key, strlen(key), k, &bits, &v4);
    if (kl < 0)
        return -1;
    if (!ktable_get(g->bans, k, (size_t)kl))
        return 0;
    ktable_remove(g->bans, k, (size_t)kl);
    forget_bits(g, k, (size_t)kl);
    return 1;
}

bool guard_banned(struct guard *g, int64_t now, struct mw_slice ip, char key[64], struct guard_ban *b)
{
    struct ipaddr a;
    if (!ip.n || ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK)
        return false;
    bool v4 = ipaddr_is_v4(&a);
    unsigned max = v4 ? 32 : 128;
    const uint32_t *used = v4 ? g->v4_bits : g->v6_bits;
    for (int bits = (int)max; bits >= 0; bits--) {
        if (!used[bits])
            continue;
        char k[IPADDR_CIDRLEN];
        size_t kl;
        if ((unsigned)bits == max) {
            kl = ipaddr_format(&a, k);
        } else {
            struct ipaddr m;
            ipaddr_mask(&a, (unsigned)bits, &m);
            kl = ipaddr_format_cidr(&m, (unsigned)bits, k);
        }
        struct guard_ban *v = ktable_get(g->bans, k, kl);
        if (!v)
            continue;
        if (v->until <= now) {
            ktable_remove(g->bans, k, kl);
            forget_bits(g, k, kl);
            continue;
        }
        if (key)
            memcpy(key, k, kl + 1);
        if (b)
            *b = *v;
        return true;
    }
    return false;
}

size_t guard_nbans(const struct guard *g)
{
    return ktable_count(g->bans);
}

struct foreach_ban_ctx {
    void (*fn)(const char *key, const struct guard_ban *b, void *ctx);
    void *ctx;
};

static void each_ban(const char *key, size_t keylen, void *value, void *ctx)
{
    struct foreach_ban_ctx *c = ctx;
    char k[KTABLE_KEY_MAX + 1];
    memcpy(k, key, keylen);
    k[keylen] = 0;
    c->fn(k, value, c->ctx);
}

void guard_foreach_ban(struct guard *g, void (*fn)(const char *key, const struct guard_ban *b, void *ctx),
                       void *ctx)
{
    struct foreach_ban_ctx c = {fn, ctx};
    ktable_foreach(g->bans, each_ban, &c);
}

struct expire_ctx {
    int64_t now;
    char (*keys)[KTABLE_KEY_MAX + 1];
    size_t n, cap;
};

static void find_expired(const char *key, size_t keylen, void *value, void *ctx)
{
    struct expire_ctx *c = ctx;
    if (((struct guard_ban *)value)->until > c->now)
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->keys = xrealloc(c->keys, c->cap * sizeof(*c->keys));
    }
    memcpy(c->keys[c->n], key, keylen);
    c->keys[c->n][keylen] = 0;
    c->n++;
}

size_t guard_expire(struct guard *g, int64_t now, void (*fn)(const char *key, void *ctx), void *ctx)
{
    struct expire_ctx c = {now, NULL, 0, 0};
    ktable_foreach(g->bans, find_expired, &c);
    for (size_t i = 0; i < c.n; i++) {
        size_t kl = strlen(c.keys[i]);
        ktable_remove(g->bans, c.keys[i], kl);
        forget_bits(g, c.keys[i], kl);
        if (fn)
            fn(c.keys[i], ctx);
    }
    free(c.keys);
    return c.n;
}

void guard_flag(struct guard *g, struct mw_slice account, const struct guard_flag *f)
{
    char k[64];
    size_t kl = guard_key(k, account.p, account.n);
    bool created;
    struct flag_rec *r = ktable_put(g->flags, k, kl, &created);
    if (created) {
        r->f = *f;
        size_t n = account.n < sizeof(r->account) - 1 ? account.n : sizeof(r->account) - 1;
        memcpy(r->account, account.p, n);
        r->account[n] = 0;
    } else if (!r->f.finding && f->finding) {
        r->f.finding = f->finding;
    }
    r->f.kind[GUARD_KIND_MAX - 1] = 0;
    r->f.reason[GUARD_REASON_MAX - 1] = 0;
}

struct guard_flag *guard_flagged(struct guard *g, struct mw_slice account)
{
    if (!account.n || !ktable_count(g->flags))
        return NULL;
    char k[64];
    size_t kl = guard_key(k, account.p, account.n);
    struct flag_rec *r = ktable_get(g->flags, k, kl);
    return r ? &r->f : NULL;
}

int guard_release(struct guard *g, struct mw_slice account)
{
    char k[64];
    size_t kl = guard_key(k, account.p, account.n);
    if (!ktable_get(g->flags, k, kl))
        return 0;
    ktable_remove(g->flags, k, kl);
    return 1;
}

size_t guard_nflags(const struct guard *g)
{
    return ktable_count(g->flags);
}

struct foreach_flag_ctx {
    void (*fn)(const char *account, const struct guard_flag *f, void *ctx);
    void *ctx;
};

static void each_flag(const char *key, size_t keylen, void *value, void *ctx)
{
    (void)key;
    (void)keylen;
    struct foreach_flag_ctx *c = ctx;
    struct flag_rec *r = value;
    c->fn(r->account, &r->f, c->ctx);
}

void guard_foreach_flag(struct guard *g, void (*fn)(const char *account, const struct guard_flag *f, void *ctx),
                        void *ctx)
{
    struct foreach_flag_ctx c = {fn, ctx};
    ktable_foreach(g->flags, each_flag, &c);
}

static size_t pair_key(char out[64], struct mw_slice ip, struct mw_slice account)
{
    char buf[512];
    size_t n = 0;
    size_t il = ip.n < 64 ? ip.n : 64, al = account.n < 400 ? account.n : 400;
    memcpy(buf, ip.p, il);
    n = il;
    buf[n++] = '\t';
    memcpy(buf + n, account.p, al);
    n += al;
    return guard_key(out, buf, n);
}

static uint64_t pw_hash(struct mw_slice pw)
{
    if (!pw.n)
        return 0;
    uint64_t h = ((uint64_t)hash32(pw.p, pw.n) << 32) | (uint32_t)(pw.n * 2654435761u);
    return h ? h : 1;
}

void guard_login(struct guard *g, int64_t now, struct mw_slice ip, struct mw_slice account,
                 struct mw_slice pwhash, struct guard_decision *d)
{
    memset(d, 0, sizeof(*d));
    if (guard_banned(g, now, ip, d->key, &d->ban)) {
        d->verdict = GUARD_REJECT;
        d->status = -1;
        d->why = "banned";
        return;
    }
    d->why = "";
    if (!ip.n)
        return;
    /* a client retrying the password that failed before: delay it (it is
     * told, not banned; the delay spares the auth backend) */
    if (account.n && pwhash.n) {
        char k[64];
        size_t kl = pair_key(k, ip, account);
        struct pair_rec *p = ktable_get(g->pairs, k, kl);
        if (p && p->pw == pw_hash(pwhash) && p->same >= g->cfg.stale_after &&
            now - p->last < (int64_t)g->cfg.window) {
            d->verdict = GUARD_DELAY;
            d->status = (int)(g->cfg.delay_max ? g->cfg.delay_max : 0);
            d->why = "stale_password";
            if (!d->status)
                d->verdict = GUARD_ALLOW;
            return;
        }
    }
    struct addr_rec *a = ktable_get(g->addrs, ip.p, ip.n > KTABLE_KEY_MAX ? KTABLE_KEY_MAX : ip.n);
    if (!a)
        return;
    uint32_t w = (uint32_t)window_width(g);
    uint64_t fails = window_sum(&a->fail, now, w), oks = window_sum(&a->ok, now, w);
    /* a busy NAT with its share of typos has more successes than failures */
    if (fails >= g->cfg.delay_after && fails > oks) {
        uint64_t delay = fails - g->cfg.delay_after + 1;
        if (delay > g->cfg.delay_max)
            delay = g->cfg.delay_max;
        if (delay) {
            d->verdict = GUARD_DELAY;
            d->status = (int)delay;
            d->why = "failures";
        }
    }
}

void guard_report(struct guard *g, int64_t now, struct mw_slice ip, struct mw_slice account,
                  struct mw_slice pwhash, bool success, struct guard_notice *n)
{
    memset(n, 0, sizeof(*n));
    if (!ip.n)
        return;
    struct addr_rec *a = ktable_put(g->addrs, ip.p, ip.n > KTABLE_KEY_MAX ? KTABLE_KEY_MAX : ip.n, NULL);
    uint32_t w = (uint32_t)window_width(g);
    window_add(success ? &a->ok : &a->fail, now, w, 1);
    a->last = now;
    if (success && guard_banned(g, now, ip, n->key, &n->ban))
        n->banned_success = true;
    if (!account.n)
        return;
    char k[64];
    size_t kl = pair_key(k, ip, account);
    if (success) {
        ktable_remove(g->pairs, k, kl); /* the right password came: not stale */
        return;
    }
    if (!pwhash.n)
        return;
    struct pair_rec *p = ktable_put(g->pairs, k, kl, NULL);
    uint64_t h = pw_hash(pwhash);
    if (now - p->last >= (int64_t)g->cfg.window * 6) {
        /* long quiet: start over (a stale phone retries within minutes) */
        p->same = 0;
        p->other = 0;
        p->pw = 0;
    }
    if (p->pw == h) {
        p->same++;
    } else {
        if (p->pw)
            p->other++;
        p->pw = h;
        p->same = 1;
    }
    p->last = now;
    if (p->same >= g->cfg.stale_after && p->other == 0 && !p->told) {
        p->told = 1;
        n->stale = true;
        n->failures = p->same;
    }
}
