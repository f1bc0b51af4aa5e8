/*
 * det_credential_stuffing - leaked user:password pairs tried from a wide
 * pool of addresses: each pair once or twice, many accounts that do not
 * exist, most addresses trying only one or two pairs.
 *
 * The campaign: an address is a stuffer when it failed on at least 3
 * accounts, at least one of them unknown, with a different password each
 * time (when the log has fingerprints: one password on many accounts is a
 * spray instead), and never logged in; or when its /24 (/64) holds 3+
 * addresses with unknown-user failures and no login. The campaign fires
 * when stuffing_min_ips such addresses are seen within an hour.
 *
 * While it is active (stuffing_min_ips stuffers within the last 6 hours),
 * the pool is named one address at a time, from a single failure:
 *  - an address that failed (unknown user, or an existing account with a
 *    baseline, 2+ logins, that never logged in from the address's /24 or
 *    /64), then did not log in within 20 minutes; for an existing account,
 *    its owner did not log in from elsewhere within 5 minutes either (a
 *    typo on one network, the right password on another) unless the
 *    failure came from where the campaign is and the account never was
 *    (see campaign_net: then any existing account, baseline or not); a
 *    client repeating a password is not trying pairs;
 *  - an address with such failures that then logs in to another account,
 *    one that never logged in from its /24 (/64), more than 5 minutes after
 *    its last failure (a mistyped user name followed by the right one is
 *    quicker): the login is the attacker's (a takeover, flagged at it);
 *  - an address that logs in for the first time to an account that never
 *    used its /24 (IPv6 /48) when the campaign named 2+ addresses there in
 *    the last 3 hours and no address there logs in of its own; or never
 *    used its network (ASN with a table, else /16, IPv6 /32) when the
 *    campaign named 3+ there in the last 3 hours and more than the
 *    addresses with logins of their own (a residential ISP's customers
 *    outnumber the proxies in it, a proxy provider has none);
 *  - an address whose one login was to an account new to its /24 (/64)
 *    and that later fails like the pool (an unknown user, or 2+ accounts):
 *    it is named, and that account is flagged as taken over then
 *    (takeover_flag_late, up to a day after the login).
 * Named addresses become attackers, so a success from one is a takeover
 * (det_account_takeover flags it at that login). A proxy in a spray's
 * network trying pairs (passwords that are not the spray's) is named here
 * too.
 *
 * State: bounded ktables by address, by /24 (/64), by account (where it
 * logs in), by network (ASN, /16, /32), and a bounded queue of failures
 * waiting out their 20 minutes; all counted by cs_memory_for.
 */
#include "detector.h"
#include "../util/hset.h"
#include "../util/ipaddr.h"
#include "../util/ktable.h"
#include "../util/window.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

#define SET 16
#define ACCT_NETS 8
#define WAIT_US (1200 * 1000000LL)     /* a failure waits this long for a login */
#define TYPO_US (300 * 1000000LL)      /* a failure this close before a login is a typo */
#define ACTIVE_WIDTH 2160              /* stuffers within 10 x 36 min = 6 h: active */
#define WIDE_WIDTH 1080                /* campaign addresses in a network within 3 h */
#define WIDE_MIN 3
#define OWNER_MIN_LOGINS 3             /* an account with this many logins has a baseline */
#define MID_MIN 2
#define FAIL_MIN_LOGINS 2              /* ... for judging a failure on it */
#define FRESH_US (24 * 3600 * 1000000LL) /* a login this long before naming is the campaign's */

struct cs_ip {
    uint32_t accounts[SET];
    uint16_t naccounts;
    uint32_t pws[SET];
    uint16_t npws;
    uint32_t unknown;       /* unknown-user failures */
    uint32_t failures, successes;
    int64_t last_fail_us;
    uint8_t stuffer;        /* counted as a stuffer */
    uint8_t named;          /* added to the campaign */
    uint8_t owned;          /* failed on an account that logs in from its /24 (/64) */
    uint8_t fresh_login;    /* its one login was to an account new to its /24 (/64) */
    uint8_t login_counted;  /* its first login counts in its networks' login_ips */
};

/* logins of its own: an address whose one login was a fresh one (a
 * takeover, if it then tries other pairs) may still be the campaign's */
static bool logs_in(const struct cs_ip *r)
{
    return r->successes > (r->fresh_login ? 1u : 0u);
}

struct cs_net {
    uint32_t ips[SET];      /* addresses with unknown-user failures */
    uint16_t nips;
    uint32_t successes;
};

/* where an account logs in */
struct cs_acct {
    uint32_t nets[ACCT_NETS];   /* /24, /64 */
    uint32_t mids[ACCT_NETS];   /* /24, /48 */
    uint32_t wides[ACCT_NETS];  /* ASN, or /16, /32 */
    uint16_t nnets, nmids, nwides;
    uint32_t logins;
    int64_t fail_us;        /* last failure from an address not its own */
    int64_t excused_us;     /* ... that a login from elsewhere soon after excused */
};

/* a network (ASN, or /16, /32) */
struct cs_wide {
    struct window named;    /* campaign addresses named, by time */
    uint32_t named_total;
    uint32_t login_ips;     /* addresses with a login of their own (no attacker's) */
};

/* an address's first login, to an account new to its /24 (/64): if the
 * address turns out to be the campaign's, the account was taken over */
struct cs_fresh {
    int64_t t_us;
    const char *file;
    uint64_t line;
    uint8_t acctlen;
    char acct[KTABLE_KEY_MAX];
};

/* a failure waiting out WAIT_US */
struct cs_wait {
    int64_t t_us;
    struct mw_time time;
    const char *file;
    uint64_t line;
    uint8_t iplen, acctlen, unknown, fplen;
    char fp[16];
    char ip[IPADDR_STRLEN];
    char acct[KTABLE_KEY_MAX];
};

struct cs {
    struct ktable *ips, *nets, *accts, *wides;
    struct ktable *fresh;   /* address -> struct cs_fresh */
    struct cs_wait *wait;   /* ring */
    size_t wait_cap, wait_head, wait_n;
    struct window stuffers; /* stuffers seen, by time (1 h) */
    struct window active;   /* the same over 6 h */
    uint64_t finding;       /* the campaign, 0 = none yet */
};

static double ip_score(const void *v, void *ctx)
{
    (void)ctx;
    const struct cs_ip *r = v;
    return r->named ? 1e12 : r->failures + 10.0 * r->unknown + 100.0 * r->successes;
}

static double net_score(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct cs_net *)v)->nips;
}

static double acct_score(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct cs_acct *)v)->logins;
}

static double wide_score(const void *v, void *ctx)
{
    (void)ctx;
    const struct cs_wide *w = v;
    return (double)w->named_total + w->login_ips;
}

static double fresh_score(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct cs_fresh *)v)->t_us; /* the oldest goes first */
}

static size_t wait_cap_for(size_t k)
{
    return k / 16 + 64;
}

static void *cs_create(struct engine *e)
{
    struct cs *c = xcalloc(1, sizeof(*c));
    size_t cap = engine_config(e)->max_keys;
    c->ips = ktable_create(cap, sizeof(struct cs_ip), ip_score, NULL);
    c->nets = ktable_create(cap / 4 + 64, sizeof(struct cs_net), net_score, NULL);
    c->accts = ktable_create(cap / 2 + 64, sizeof(struct cs_acct), acct_score, NULL);
    c->wides = ktable_create(cap / 8 + 64, sizeof(struct cs_wide), wide_score, NULL);
    c->fresh = ktable_create(cap / 8 + 64, sizeof(struct cs_fresh), fresh_score, NULL);
    c->wait_cap = wait_cap_for(cap);
    c->wait = xcalloc(c->wait_cap, sizeof(*c->wait));
    return c;
}

static void cs_destroy(void *self)
{
    struct cs *c = self;
    ktable_free(c->ips);
    ktable_free(c->nets);
    ktable_free(c->accts);
    ktable_free(c->wides);
    ktable_free(c->fresh);
    free(c->wait);
    free(c);
}

static size_t net_of(struct mw_slice ip, char *buf, size_t cap)
{
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK)
        return 0;
    char c[IPADDR_CIDRLEN];
    size_t n = ipaddr_format_net(&a, c);
    if (n >= cap)
        return 0;
    memcpy(buf, c, n + 1);
    return n;
}

/* the network of an address: "asn:N" with a table, else its /16 (/32) */
static size_t wide_of(const struct engine_config *cfg, struct mw_slice ip, char *buf, size_t cap)
{
    if (cfg->network_of) {
        uint32_t asn = cfg->network_of(cfg->network_ctx, ip);
        if (asn) {
            int n = snprintf(buf, cap, "asn:%u", asn);
            return n > 0 && (size_t)n < cap ? (size_t)n : 0;
        }
    }
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK)
        return 0;
    char c[IPADDR_CIDRLEN];
    size_t n = ipaddr_format_cidr(&a, ipaddr_net_bits(&a) == 24 ? 16 : 32, c);
    if (n >= cap)
        return 0;
    memcpy(buf, c, n + 1);
    return n;
}

/* the middle network of an address: its /24, or its IPv6 /48 (a site) */
static size_t mid_of(struct mw_slice ip, char *buf, size_t cap)
{
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK)
        return 0;
    char c[IPADDR_CIDRLEN];
    size_t n = ipaddr_format_cidr(&a, ipaddr_net_bits(&a) == 24 ? 24 : 48, c);
    if (n >= cap)
        return 0;
    memcpy(buf, c, n + 1);
    return n;
}

static bool active(struct cs *c, struct engine *e, int64_t now_us)
{
    return c->finding &&
           window_sum(&c->active, now_us / 1000000, ACTIVE_WIDTH) >= engine_config(e)->stuffing_min_ips;
}

/* add one address to the campaign */
static void name_ip(struct cs *c, struct engine *e, struct finding *f, struct cs_ip *r, struct mw_slice ip,
                    struct mw_slice account, bool unknown, const struct mw_time *t, const struct mw_event *ev,
                    bool material)
{
    r->named = 1;
    int added = strset_add(&f->ips, ip.p, ip.n);
    if (added == 1) {
        engine_attacker_add(e, ip.p, ip.n, f);
        /* it logged in before: that account is the campaign's now */
        struct cs_fresh *fr = ktable_get(c->fresh, ip.p, ip.n);
        if (fr && t->epoch_us - fr->t_us <= FRESH_US) {
            struct mw_event login;
            memset(&login, 0, sizeof(login));
            login.file = fr->file;
            login.line = fr->line;
            login.time = *t;
            char acct[KTABLE_KEY_MAX];
            size_t al = fr->acctlen;
            memcpy(acct, fr->acct, al);
            ktable_remove(c->fresh, ip.p, ip.n);
            takeover_flag_late(e, &login, MW_SLICE(acct, al), ip, f);
        } else if (fr) {
            ktable_remove(c->fresh, ip.p, ip.n);
        }
        char wk[64];
        for (int level = 0; level < 2; level++) {
            size_t wl = level ? mid_of(ip, wk, sizeof(wk)) : wide_of(engine_config(e), ip, wk, sizeof(wk));
            if (!wl)
                continue;
            struct cs_wide *w = ktable_put(c->wides, wk, wl, NULL);
            window_add(&w->named, t->epoch_us / 1000000, WIDE_WIDTH, 1);
            w->named_total++;
            if (r->login_counted && w->login_ips)
                w->login_ips--; /* its login was the campaign's, not one of its own */
        }
        r->login_counted = 0;
    }
    char cidr[IPADDR_CIDRLEN];
    size_t cl = net_of(ip, cidr, sizeof(cidr));
    if (cl)
        strset_add(&f->networks, cidr, cl);
    if (account.n)
        strset_add(&f->accounts, account.p, account.n);
    finding_seen(f, t);
    finding_set_num(f, "addresses", (int64_t)strset_total(&f->ips));
    finding_set_num(f, "accounts_tried", (int64_t)strset_total(&f->accounts));
    finding_set_num(f, "unknown_accounts", finding_get_num(f, "unknown_accounts") + unknown);
    finding_add_example(f, ev);
    snprintf(f->summary, sizeof(f->summary),
             "%llu addresses in %llu networks tried %llu accounts, one password each, many unknown: "
             "leaked credentials being tested",
             (unsigned long long)strset_total(&f->ips), (unsigned long long)strset_total(&f->networks),
             (unsigned long long)strset_total(&f->accounts));
    engine_finding_changed(e, f, material);
}

static struct finding *campaign(struct cs *c, struct engine *e)
{
    return (struct finding *)engine_finding_at(e, c->finding - 1);
}

/* a client repeating its passwords is not trying pairs; without
 * fingerprints, one that fails on one account again and again (a phone
 * with a stale password: a stuffer tries each pair once) */
static bool repeats(const struct cs_ip *r)
{
    if (r->npws)
        return r->failures > r->npws;
    return r->naccounts == 1 && r->failures >= 2;
}

/* an address another attack finding named, doing that attack: a brute
 * force's, or a spray's with one of the spray's passwords (a proxy of a
 * spray's network trying leaked pairs is ours too) */
static bool other_attacker(struct engine *e, struct mw_slice ip, struct mw_slice fp)
{
    const struct finding *known = engine_attacker_of(e, ip.p, ip.n);
    if (!known || known->kind == FK_CREDENTIAL_STUFFING)
        return false;
    if (known->kind == FK_PASSWORD_SPRAY && fp.n && !strset_has(&known->labels, fp.p, fp.n))
        return false;
    return true;
}

/* the hashes of an address's /24 (/64), /24 (/48) and ASN (/16, /32), and
 * the records of the last two */
struct where {
    uint32_t net, mid, wide;
    struct cs_wide *midr, *wider;
    char midk[IPADDR_CIDRLEN], widek[64];
    size_t midl, widel;
};

static void where_of(struct cs *c, struct engine *e, struct mw_slice ip, uint32_t neth, struct where *w)
{
    memset(w, 0, sizeof(*w));
    w->net = neth;
    w->midl = mid_of(ip, w->midk, sizeof(w->midk));
    w->widel = wide_of(engine_config(e), ip, w->widek, sizeof(w->widek));
    if (w->midl) {
        w->mid = hash32(w->midk, w->midl);
        w->midr = ktable_get(c->wides, w->midk, w->midl);
    }
    if (w->widel) {
        w->wide = hash32(w->widek, w->widel);
        w->wider = ktable_get(c->wides, w->widek, w->widel);
    }
}

/* the campaign is where the address is, in a /24 (/48) or network the
 * account (NULL: no logins seen) never used: it named 2+ addresses in that
 * /24 (/48) in the last 3 hours and no address there logs in of its own, or
 * 3+ in that network (ASN, /16, /32) and more than the addresses there that
 * log in (a residential ISP's customers outnumber the proxies in it) */
static bool campaign_net(const struct cs_acct *acct, const struct where *w, int64_t now_s, bool failure)
{
    if (w->midr && !(acct && hset_has(acct->mids, acct->nmids, ACCT_NETS, w->mid)) && w->midr->login_ips == 0 &&
        window_sum(&w->midr->named, now_s, WIDE_WIDTH) >= MID_MIN)
        return true;
    if (!w->wider || (acct && hset_has(acct->wides, acct->nwides, ACCT_NETS, w->wide)))
        return false;
    if (w->wider->named_total <= w->wider->login_ips)
        return false;
    /* for a failure, 3+ named there since the campaign began will do (a
     * slow campaign names fewer than 3 in 3 hours in one network) */
    return window_sum(&w->wider->named, now_s, WIDE_WIDTH) >= WIDE_MIN ||
           (failure && w->wider->named_total >= WIDE_MIN);
}

/* a waiting failure whose WAIT_US are over */
static void settle(struct cs *c, struct engine *e, const struct cs_wait *w, int64_t now_us)
{
    struct mw_slice ip = MW_SLICE(w->ip, w->iplen), acct = MW_SLICE(w->acct, w->acctlen);
    struct cs_ip *r = ktable_get(c->ips, ip.p, ip.n);
    if (!r || r->named || logs_in(r) || r->owned || repeats(r) || !active(c, e, now_us) ||
        (r->fresh_login && !r->unknown && r->naccounts < 2) ||
        other_attacker(e, ip, MW_SLICE(w->fp, w->fplen)))
        return;
    if (!w->unknown) {
        /* an existing account: one with a baseline, whose owner did not log
         * in since (a typo on one network, the right password on another);
         * or any account, when the failure came from where the campaign is,
         * a place the account never used (the owner's login elsewhere soon
         * after is then a coincidence, not the typo's correction) */
        struct cs_acct *a = acct.n ? ktable_get(c->accts, acct.p, acct.n) : NULL;
        if (!a || a->logins < FAIL_MIN_LOGINS || a->excused_us == w->t_us) {
            struct where wh;
            where_of(c, e, ip, 0, &wh);
            if (!campaign_net(a, &wh, now_us / 1000000, true))
                return;
        }
    }
    struct mw_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.file = w->file;
    ev.line = w->line;
    ev.time = w->time;
    name_ip(c, e, campaign(c, e), r, ip, acct, w->unknown, &w->time, &ev, false);
}

static void drain(struct cs *c, struct engine *e, int64_t now_us)
{
    while (c->wait_n && c->wait[c->wait_head].t_us + WAIT_US <= now_us) {
        struct cs_wait w = c->wait[c->wait_head];
        c->wait_head = (c->wait_head + 1) % c->wait_cap;
        c->wait_n--;
        settle(c, e, &w, now_us);
    }
}

static void enqueue(struct cs *c, const struct attempt *a, bool unknown)
{
    if (a->ip.n >= IPADDR_STRLEN)
        return;
    if (c->wait_n == c->wait_cap) { /* full: the oldest goes unjudged */
        c->wait_head = (c->wait_head + 1) % c->wait_cap;
        c->wait_n--;
    }
    struct cs_wait *w = &c->wait[(c->wait_head + c->wait_n) % c->wait_cap];
    c->wait_n++;
    memset(w, 0, sizeof(*w));
    w->t_us = a->time.epoch_us;
    w->time = a->time;
    w->file = a->ev ? a->ev->file : NULL;
    w->line = a->ev ? a->ev->line : 0;
    w->iplen = (uint8_t)a->ip.n;
    memcpy(w->ip, a->ip.p, a->ip.n);
    size_t al = a->account.n < sizeof(w->acct) ? a->account.n : sizeof(w->acct);
    w->acctlen = (uint8_t)al;
    if (al)
        memcpy(w->acct, a->account.p, al);
    w->unknown = unknown;
    if (a->pw_fingerprint.n && a->pw_fingerprint.n <= sizeof(w->fp)) {
        memcpy(w->fp, a->pw_fingerprint.p, a->pw_fingerprint.n);
        w->fplen = (uint8_t)a->pw_fingerprint.n;
    }
}

/* a login from an address that is not (yet) named: is it the campaign's? */
static bool campaign_login(struct cs *c, struct engine *e, const struct attempt *a, struct cs_ip *r,
                           const struct cs_acct *acct, const struct where *w)
{
    if (r->named || r->successes || r->owned || !active(c, e, a->time.epoch_us) ||
        other_attacker(e, a->ip, MW_SLICE("", 0)))
        return false;
    if (!acct || acct->logins < OWNER_MIN_LOGINS || (w->net && hset_has(acct->nets, acct->nnets, ACCT_NETS, w->net)))
        return false;
    /* failures on other accounts, not just before: not a typo */
    uint32_t ah = hash32(a->account.p, a->account.n);
    if (r->failures && !repeats(r) && !hset_has(r->accounts, r->naccounts, ACCT_NETS, ah) &&
        a->time.epoch_us - r->last_fail_us > TYPO_US)
        return true;
    /* a first login from where the campaign is, new to the account */
    return campaign_net(acct, w, a->time.epoch_us / 1000000, false);
}

static void cs_attempt(void *self, struct engine *e, const struct attempt *a)
{
    struct cs *c = self;
    drain(c, e, a->time.epoch_us);
    if (!a->ip.n)
        return;
    const struct engine_config *cfg = engine_config(e);
    char cidr[IPADDR_CIDRLEN];
    size_t cl = net_of(a->ip, cidr, sizeof(cidr));
    struct cs_net *net = cl ? ktable_put(c->nets, cidr, cl, NULL) : NULL;
    uint32_t neth = cl ? hash32(cidr, cl) : 0;
    struct cs_ip *r = ktable_put(c->ips, a->ip.p, a->ip.n, NULL);
    if (a->success) {
        struct where w;
        where_of(c, e, a->ip, neth, &w);
        struct cs_acct *acct = a->account.n ? ktable_get(c->accts, a->account.p, a->account.n) : NULL;
        if (a->account.n && campaign_login(c, e, a, r, acct, &w)) {
            name_ip(c, e, campaign(c, e), r, a->ip, a->account, false, &a->time, a->ev, true);
            return; /* an attacker's login teaches nothing */
        }
        if (r->named)
            return;
        if (!r->successes++) {
            /* an address's first login, to an account that knows better */
            if (acct && acct->logins && !(neth && hset_has(acct->nets, acct->nnets, ACCT_NETS, neth)) &&
                a->account.n <= KTABLE_KEY_MAX && a->ev) {
                struct cs_fresh *fr = ktable_put(c->fresh, a->ip.p, a->ip.n, NULL);
                r->fresh_login = 1;
                fr->t_us = a->time.epoch_us;
                fr->file = a->ev->file;
                fr->line = a->ev->line;
                fr->acctlen = (uint8_t)a->account.n;
                memcpy(fr->acct, a->account.p, a->account.n);
            }
            /* a login of the network's own, unless an attack finding named
             * the address (a spray's or brute force's takeover login) */
            if (!engine_attacker_of(e, a->ip.p, a->ip.n)) {
                r->login_counted = 1;
                for (int level = 0; level < 2; level++) {
                    size_t kl = level ? w.widel : w.midl;
                    if (kl)
                        ((struct cs_wide *)ktable_put(c->wides, level ? w.widek : w.midk, kl, NULL))->login_ips++;
                }
            }
        }
        if (net)
            net->successes++;
        if (a->account.n) {
            acct = ktable_put(c->accts, a->account.p, a->account.n, NULL);
            acct->logins++;
            if (acct->fail_us && a->time.epoch_us - acct->fail_us <= TYPO_US)
                acct->excused_us = acct->fail_us;
            if (neth)
                hset_keep(acct->nets, &acct->nnets, ACCT_NETS, neth, acct->logins);
            if (w.mid)
                hset_keep(acct->mids, &acct->nmids, ACCT_NETS, w.mid, acct->logins);
            if (w.wide)
                hset_keep(acct->wides, &acct->nwides, ACCT_NETS, w.wide, acct->logins);
        }
        return;
    }
    /* a spray address is the spray detector's */
    if (other_attacker(e, a->ip, a->pw_fingerprint))
        return;
    r->failures += a->failures;
    r->last_fail_us = a->time.epoch_us;
    bool unknown = a->reason.n && a->reason.p[0] == 'u'; /* unknown_user */
    if (unknown)
        r->unknown++;
    if (a->account.n) {
        hset_add(r->accounts, SET, &r->naccounts, hash32(a->account.p, a->account.n));
        struct cs_acct *acct = ktable_get(c->accts, a->account.p, a->account.n);
        if (acct && neth && hset_has(acct->nets, acct->nnets, ACCT_NETS, neth))
            r->owned = 1; /* the account's own network: its owner, or a colleague */
        else if (acct)
            acct->fail_us = a->time.epoch_us;
    }
    if (a->pw_fingerprint.n)
        hset_add(r->pws, SET, &r->npws, hash32(a->pw_fingerprint.p, a->pw_fingerprint.n));
    if (unknown && net && !r->successes)
        hset_add(net->ips, SET, &net->nips, hash32(a->ip.p, a->ip.n));

    bool pairs = r->npws == 0 || r->npws >= r->naccounts; /* a new password for each account */
    bool stuffer = !r->successes && !r->owned && r->unknown >= 1 &&
                   ((r->naccounts >= 3 && pairs) || (net && net->nips >= 3 && net->successes == 0));
    if (!stuffer) {
        if (!r->named && !logs_in(r) && !r->owned && c->finding)
            enqueue(c, a, unknown);
        return;
    }
    int64_t now = a->time.epoch_us / 1000000;
    if (!r->stuffer) {
        r->stuffer = 1;
        window_add(&c->stuffers, now, 360, 1);
        window_add(&c->active, now, ACTIVE_WIDTH, 1);
    }
    if (!c->finding) {
        if (window_sum(&c->stuffers, now, 360) < cfg->stuffing_min_ips)
            return;
        bool created;
        struct finding *f = engine_finding(e, FK_CREDENTIAL_STUFFING, "campaign", 8, a->ev, &created);
        f->severity = SEV_HIGH;
        c->finding = f->id;
        name_ip(c, e, f, r, a->ip, a->account, unknown, &a->time, a->ev, true);
        return;
    }
    if (!r->named || a->account.n)
        name_ip(c, e, campaign(c, e), r, a->ip, a->account, unknown, &a->time, a->ev, false);
}

static size_t cs_memory_for(size_t k)
{
    return ktable_size(k, sizeof(struct cs_ip)) + ktable_size(k / 4 + 64, sizeof(struct cs_net)) +
           ktable_size(k / 2 + 64, sizeof(struct cs_acct)) + ktable_size(k / 8 + 64, sizeof(struct cs_wide)) +
           ktable_size(k / 8 + 64, sizeof(struct cs_fresh)) +
           wait_cap_for(k) * sizeof(struct cs_wait);
}

const struct detector_ops det_credential_stuffing = {
    .name = "credential_stuffing",
    .create = cs_create,
    .on_attempt = cs_attempt,
    .on_event = NULL,
    .memory_for = cs_memory_for,
    .destroy = cs_destroy,
};
