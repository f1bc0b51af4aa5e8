/*
 * det_password_spray - many addresses trying a few passwords across many
 * accounts, each address too slow for any per-address limit.
 *
 * Two signals, either one fires:
 *  - one password fingerprint (Dovecot's SHA1 of the given password) failing
 *    on at least spray_min_accounts different accounts: the same password
 *    on many accounts is never a user's typo;
 *  - one network (IPv4 /24, IPv6 /64) with at least spray_net_ips failing
 *    addresses on at least spray_net_accounts accounts and hardly any
 *    success (fewer than one per 20 failures): an office NAT or an ISP's
 *    customers succeed far more often than they fail;
 *  - with an ASN table, one ASN with at least spray_asn_ips failing
 *    addresses on spray_asn_accounts accounts, fewer than one success per
 *    20 failures, and at most half of them on unknown users (leaked lists
 *    of unknown users are credential stuffing's): a spray spread one or two
 *    addresses a /24 over a hosting or proxy provider's ranges, when the
 *    failures carry no password fingerprint (Postfix's SASL lines never do,
 *    Dovecot's only with auth_verbose_passwords).
 * A campaign is one finding: a firing fingerprint or network whose
 * addresses already belong to a spray joins that finding, and so does an
 * ASN firing within 6 hours of the last network- or ASN-fired spray. Every
 * address that later fails with a campaign's password, or from its
 * networks or ASNs on two or more accounts (for an ASN, mostly existing
 * ones), is added, and registered as an attacker (a success from it is
 * then a takeover, det_account_takeover). An ASN is never banned as a
 * whole: only its addresses are named.
 *
 * An address that logged in before it was named (the login can come first:
 * a slow spray's address may succeed on its first try, hours before it
 * fails with the campaign's password) took that account over: when it is
 * named within a day of its last login, if its logins were to at most
 * SUCC_MAX_ACCOUNTS accounts (not an office NAT) and that one came from a
 * /24 (/64) the account never logged in from, the account is flagged then
 * (takeover_flag_late; its mail from then on is held).
 *
 * State: bounded ktables by fingerprint, by network, by ASN, by address, by
 * address's last login, by account (the /24s and /64s it logs in from).
 */
#include "detector.h"
#include "../util/hset.h"
#include "../util/ipaddr.h"
#include "../util/ktable.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

#define ACCT_SET 32
#define IP_KEEP 4

/* distinct small hashes, exact up to ACCT_SET, then only counted */
struct hset {
    uint32_t h[ACCT_SET];
    uint16_t n;
};

static int hs_add(struct hset *s, uint32_t h)
{
    return hset_add(s->h, ACCT_SET, &s->n, h);
}

struct ipkeep {
    char ip[IP_KEEP][IPADDR_STRLEN];
    uint8_t len[IP_KEEP];
    uint8_t n;
};

static void ipkeep_add(struct ipkeep *k, struct mw_slice ip)
{
    if (ip.n >= IPADDR_STRLEN)
        return;
    for (uint8_t i = 0; i < k->n; i++)
        if (k->len[i] == ip.n && memcmp(k->ip[i], ip.p, ip.n) == 0)
            return;
    if (k->n < IP_KEEP) {
        memcpy(k->ip[k->n], ip.p, ip.n);
        k->len[k->n] = (uint8_t)ip.n;
        k->n++;
    }
}

/* the first accounts a password was tried on, by name, so the finding can
 * name them when it fires */
#define ACCT_KEEP 6
#define ACCT_NAME 64
struct acctkeep {
    char name[ACCT_KEEP][ACCT_NAME];
    uint8_t len[ACCT_KEEP];
    uint8_t n;
};

static void acctkeep_add(struct acctkeep *k, struct mw_slice a)
{
    if (!a.n || a.n >= ACCT_NAME || k->n >= ACCT_KEEP)
        return;
    for (uint8_t i = 0; i < k->n; i++)
        if (k->len[i] == a.n && memcmp(k->name[i], a.p, a.n) == 0)
            return;
    memcpy(k->name[k->n], a.p, a.n);
    k->len[k->n] = (uint8_t)a.n;
    k->n++;
}

struct fp_rec {
    struct hset accounts;
    struct acctkeep names;
    struct ipkeep ips;
    struct mw_time first;
    uint32_t failures;
    uint64_t finding;   /* id, 0 = not fired */
};

struct net_rec {
    struct hset accounts;
    struct hset ips;
    struct ipkeep keep;
    struct mw_time first;
    uint32_t failures, successes;
    uint64_t finding;
};

struct ip_rec {
    uint32_t accounts[4];  /* accounts this address failed on (2 is what counts) */
    uint16_t naccounts;
    uint16_t failures, unknown; /* (saturating) failures, on unknown users */
};

/* an ASN: a spray spread thin over a provider's many /24s */
struct asn_rec {
    struct hset accounts;
    struct hset ips;
    struct ipkeep keep;
    struct mw_time first;
    uint32_t failures, unknown, successes;
    uint64_t finding;
};

#define ASN_JOIN_US (6 * 3600 * 1000000LL) /* an ASN firing this soon after joins that spray */

/* how many of a campaign's addresses a network holds */
struct cnet_rec {
    uint32_t addresses;
};

/* Networks holding this many addresses of a campaign, and no successful
 * login before, are attacking networks: a success from any address in them
 * is a takeover. */
#define CAMPAIGN_NET_MIN 3

/* an address's last login, while it is not an attacker */
#define SUCC_US (24 * 3600 * 1000000LL) /* a login this long before naming is the spray's */
#define SUCC_MAX_ACCOUNTS 2             /* more accounts from one address: a NAT */
struct succ_rec {
    int64_t t_us;
    const char *file;
    uint64_t line;
    uint32_t accounts[SUCC_MAX_ACCOUNTS + 1];
    uint16_t naccounts;
    uint8_t novel;          /* that login's /24 (/64) was new to the account */
    uint8_t acctlen;
    char acct[KTABLE_KEY_MAX];
};

/* the /24s (/64s) an account logged in from */
#define ACCT_NETS 8
struct acct_rec {
    uint32_t nets[ACCT_NETS];
    uint16_t nnets;
    uint32_t logins;
};

struct spray {
    struct ktable *fps, *nets, *ips, *asns;
    uint64_t wide_finding;  /* the last network- or ASN-fired spray */
    int64_t wide_us;        /* ... and when it last grew that way */
    struct ktable *cnets;  /* "<finding id>|<cidr>" -> struct cnet_rec */
    struct ktable *succ;   /* address -> struct succ_rec */
    struct ktable *accts;  /* account -> struct acct_rec */
};

static double fp_score(const void *v, void *ctx)
{
    (void)ctx;
    const struct fp_rec *r = v;
    return r->finding ? 1e12 : r->accounts.n * 1000.0 + r->failures;
}

static double net_score(const void *v, void *ctx)
{
    (void)ctx;
    const struct net_rec *r = v;
    return r->finding ? 1e12 : r->ips.n * 1000.0 + r->failures;
}

static double asn_score(const void *v, void *ctx)
{
    (void)ctx;
    const struct asn_rec *r = v;
    return r->finding ? 1e12 : r->ips.n * 1000.0 + r->failures;
}

static size_t asn_cap(size_t k)
{
    return k / 16 + 64;
}

static double ip_score(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct ip_rec *)v)->naccounts;
}

static double succ_score(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct succ_rec *)v)->t_us; /* the oldest goes first */
}

static double acct_score(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct acct_rec *)v)->logins;
}

static size_t succ_cap(size_t k)
{
    return k / 8 + 64;
}

static size_t acct_cap(size_t k)
{
    return k / 4 + 64;
}

static void *sp_create(struct engine *e)
{
    struct spray *s = xcalloc(1, sizeof(*s));
    size_t cap = engine_config(e)->max_keys;
    s->fps = ktable_create(cap / 4 + 64, sizeof(struct fp_rec), fp_score, NULL);
    s->nets = ktable_create(cap / 4 + 64, sizeof(struct net_rec), net_score, NULL);
    s->ips = ktable_create(cap, sizeof(struct ip_rec), ip_score, NULL);
    s->asns = ktable_create(asn_cap(cap), sizeof(struct asn_rec), asn_score, NULL);
    s->cnets = ktable_create(cap / 4 + 64, sizeof(struct cnet_rec), NULL, NULL);
    s->succ = ktable_create(succ_cap(cap), sizeof(struct succ_rec), succ_score, NULL);
    s->accts = ktable_create(acct_cap(cap), sizeof(struct acct_rec), acct_score, NULL);
    return s;
}

static void sp_destroy(void *self)
{
    struct spray *s = self;
    ktable_free(s->fps);
    ktable_free(s->nets);
    ktable_free(s->ips);
    ktable_free(s->asns);
    ktable_free(s->cnets);
    ktable_free(s->succ);
    ktable_free(s->accts);
    free(s);
}

/* "net:198.51.100.0/24" for an address; 0 if it does not parse */
static size_t net_key(struct mw_slice ip, char *buf, size_t cap, char *cidr, size_t *cidrlen)
{
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK)
        return 0;
    char c[IPADDR_CIDRLEN];
    size_t cl = ipaddr_format_net(&a, c);
    memcpy(cidr, c, cl + 1);
    *cidrlen = cl;
    int n = snprintf(buf, cap, "net:%s", c);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* add one attacking address to a campaign finding; a network that comes to
 * hold CAMPAIGN_NET_MIN of its addresses is registered as attacking */
static bool add_ip(struct spray *s, struct engine *e, struct finding *f, const char *ip, size_t n,
                   const struct mw_time *now)
{
    if (strset_add(&f->ips, ip, n) != 1)
        return false;
    bool attacker_before = engine_attacker_of(e, ip, n) != NULL;
    engine_attacker_add(e, ip, n, f);
    /* it logged in before: that login was the spray's */
    struct succ_rec *sr = ktable_get(s->succ, ip, n);
    if (sr) {
        struct succ_rec r = *sr;
        ktable_remove(s->succ, ip, n);
        if (!attacker_before && r.novel && r.naccounts <= SUCC_MAX_ACCOUNTS && now->epoch_us - r.t_us <= SUCC_US &&
            now->epoch_us >= r.t_us && !engine_finding_get(e, FK_ACCOUNT_TAKEOVER, r.acct, r.acctlen)) {
            struct mw_event login;
            memset(&login, 0, sizeof(login));
            login.file = r.file;
            login.line = r.line;
            login.time = *now;
            takeover_flag_late(e, &login, MW_SLICE(r.acct, r.acctlen), MW_SLICE(ip, n), f);
        }
    }
    char key[64], cidr[IPADDR_CIDRLEN];
    size_t cl;
    size_t kl = net_key(MW_SLICE(ip, n), key, sizeof(key), cidr, &cl);
    if (kl) {
        strset_add(&f->networks, cidr, cl);
        char ck[80];
        int ckl = snprintf(ck, sizeof(ck), "%llu|%s", (unsigned long long)f->id, cidr);
        struct cnet_rec *c = ktable_put(s->cnets, ck, (size_t)ckl, NULL);
        /* only a network without logins of its own: a university /24 with
         * one infected host and many real users is not an attacker's */
        struct net_rec *nr = ktable_get(s->nets, key, kl);
        if (++c->addresses == CAMPAIGN_NET_MIN && (!nr || nr->successes == 0))
            engine_attacker_add(e, key, kl, f);
    }
    return true;
}

/* the campaign a set of addresses already belongs to, if any */
static struct finding *campaign_of(struct engine *e, const struct ipkeep *k, struct mw_slice also)
{
    const struct finding *f = NULL;
    if (also.n)
        f = engine_attacker_of(e, also.p, also.n);
    for (uint8_t i = 0; (!f || f->kind != FK_PASSWORD_SPRAY) && i < k->n; i++)
        f = engine_attacker_of(e, k->ip[i], k->len[i]);
    return f && f->kind == FK_PASSWORD_SPRAY ? (struct finding *)f : NULL;
}

/* "wide:198.51.0.0/16" / "wide:2001:db8::/48": networks firing close
 * together in one of these are one campaign (an ASN would be better) */
static size_t wide_key(struct mw_slice ip, char *buf, size_t cap)
{
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK)
        return 0;
    char c[IPADDR_CIDRLEN];
    ipaddr_format_cidr(&a, ipaddr_net_bits(&a) == 24 ? 16 : 48, c);
    int n = snprintf(buf, cap, "wide:%s", c);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static struct finding *fire(struct spray *s, struct engine *e, const struct attempt *a, const char *key,
                            size_t keylen, const struct ipkeep *k, bool by_network, bool *created)
{
    struct finding *f = campaign_of(e, k, a->ip);
    char wk[80];
    size_t wkl = by_network ? wide_key(a->ip, wk, sizeof(wk)) : 0;
    if (!f && wkl) {
        const struct finding *w = engine_attacker_of(e, wk, wkl);
        if (w && w->kind == FK_PASSWORD_SPRAY)
            f = (struct finding *)w;
    }
    *created = false;
    if (!f) {
        f = engine_finding(e, FK_PASSWORD_SPRAY, key, keylen, a->ev, created);
        f->severity = SEV_HIGH;
    }
    if (wkl)
        engine_attacker_add(e, wk, wkl, f);
    for (uint8_t i = 0; i < k->n; i++)
        add_ip(s, e, f, k->ip[i], k->len[i], &a->time);
    return f;
}

static void update(struct spray *s, struct engine *e, struct finding *f, const struct attempt *a, bool material)
{
    bool new_ip = a->ip.n && add_ip(s, e, f, a->ip.p, a->ip.n, &a->time);
    if (a->account.n)
        strset_add(&f->accounts, a->account.p, a->account.n);
    finding_seen(f, &a->time);
    finding_set_num(f, "failures", finding_get_num(f, "failures") + a->failures);
    finding_set_num(f, "addresses", (int64_t)strset_total(&f->ips));
    /* a finding fired by the network rule knows more accounts than names */
    int64_t accts = (int64_t)strset_total(&f->accounts);
    if (finding_get_num(f, "accounts_tried") > accts)
        accts = finding_get_num(f, "accounts_tried");
    finding_set_num(f, "accounts_tried", accts);
    finding_set_num(f, "networks", (int64_t)strset_total(&f->networks));
    if (a->pw_fingerprint.n)
        finding_set_num(f, "passwords", (int64_t)f->labels.n);
    finding_add_example(f, a->ev);
    snprintf(f->summary, sizeof(f->summary),
             "%llu addresses in %llu networks tried %llu accounts with %zu shared password(s)",
             (unsigned long long)strset_total(&f->ips), (unsigned long long)strset_total(&f->networks),
             (unsigned long long)accts, f->labels.n);
    engine_finding_changed(e, f, material || (new_ip && strset_total(&f->ips) <= 2));
}

/* a login: the account's networks, and the address's last login while it
 * is not an attacker */
static void note_success(struct spray *s, struct engine *e, const struct attempt *a, uint32_t neth)
{
    struct acct_rec *ar = ktable_put(s->accts, a->account.p, a->account.n, NULL);
    bool novel = neth != 0 && !hset_has(ar->nets, ar->nnets, ACCT_NETS, neth);
    ar->logins++;
    if (novel)
        hset_keep(ar->nets, &ar->nnets, ACCT_NETS, neth, ar->logins);
    if (engine_attacker_of(e, a->ip.p, a->ip.n) || a->account.n > KTABLE_KEY_MAX || !a->ev)
        return;
    struct succ_rec *r = ktable_put(s->succ, a->ip.p, a->ip.n, NULL);
    hset_add(r->accounts, SUCC_MAX_ACCOUNTS + 1, &r->naccounts, hash32(a->account.p, a->account.n));
    r->t_us = a->time.epoch_us;
    r->file = a->ev->file;
    r->line = a->ev->line;
    r->novel = novel;
    r->acctlen = (uint8_t)a->account.n;
    memcpy(r->acct, a->account.p, a->account.n);
}

/* "asn:64500" for an address, with a table; 0 without one or if unknown */
static size_t asn_key(const struct engine_config *c, struct mw_slice ip, char *buf, size_t cap)
{
    uint32_t asn = c->network_of ? c->network_of(c->network_ctx, ip) : 0;
    if (!asn)
        return 0;
    int n = snprintf(buf, cap, "asn:%u", asn);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* an address trying existing accounts, as a spray does (a stuffer's
 * leaked list is mostly unknown users) */
static bool sprays(const struct ip_rec *r)
{
    return r && r->failures && r->unknown * 3u <= r->failures;
}

/* an ASN fired: its spray is the campaign its first addresses belong to,
 * else the network- or ASN-fired spray of the last 6 hours, else new */
static void fire_asn(struct spray *s, struct engine *e, const struct attempt *a, struct asn_rec *ar,
                     const char *key, size_t keylen, const struct ip_rec *ipr)
{
    struct finding *f = campaign_of(e, &ar->keep, sprays(ipr) ? a->ip : MW_SLICE("", 0));
    if (!f && s->wide_finding && a->time.epoch_us - s->wide_us <= ASN_JOIN_US) {
        struct finding *w = (struct finding *)engine_finding_at(e, s->wide_finding - 1);
        if (w && w->kind == FK_PASSWORD_SPRAY)
            f = w;
    }
    bool created = false;
    if (!f) {
        f = engine_finding(e, FK_PASSWORD_SPRAY, key, keylen, a->ev, &created);
        f->severity = SEV_HIGH;
        finding_seen(f, &ar->first);
    }
    ar->finding = f->id;
    engine_attacker_add(e, key, keylen, f);
    s->wide_finding = f->id;
    s->wide_us = a->time.epoch_us;
    for (uint8_t i = 0; i < ar->keep.n; i++)
        if (sprays(ktable_get(s->ips, ar->keep.ip[i], ar->keep.len[i])))
            add_ip(s, e, f, ar->keep.ip[i], ar->keep.len[i], &a->time);
    finding_set_num(f, "asns", finding_get_num(f, "asns") + 1);
    if (created) {
        /* the evidence is the ASN's, not only this attempt's */
        finding_set_num(f, "failures", (int64_t)ar->failures - a->failures);
        finding_set_num(f, "accounts_tried", (int64_t)ar->accounts.n);
    }
    if (sprays(ipr)) {
        update(s, e, f, a, created);
    } else {
        finding_seen(f, &a->time);
        engine_finding_changed(e, f, created);
    }
}

static void sp_attempt(void *self, struct engine *e, const struct attempt *a)
{
    struct spray *s = self;
    const struct engine_config *c = engine_config(e);
    if (!a->ip.n)
        return;
    char nk[64], cidr[IPADDR_CIDRLEN];
    size_t cidrlen = 0;
    size_t nkl = net_key(a->ip, nk, sizeof(nk), cidr, &cidrlen);
    struct net_rec *net = nkl ? ktable_put(s->nets, nk, nkl, NULL) : NULL;
    char ak[32];
    size_t akl = asn_key(c, a->ip, ak, sizeof(ak));
    if (a->success) {
        if (net)
            net->successes++;
        if (akl)
            ((struct asn_rec *)ktable_put(s->asns, ak, akl, NULL))->successes++;
        if (a->account.n)
            note_success(s, e, a, nkl ? hash32(nk, nkl) : 0);
        return;
    }
    uint32_t acct = a->account.n ? hash32(a->account.p, a->account.n) : 0;
    struct ip_rec *ipr = ktable_put(s->ips, a->ip.p, a->ip.n, NULL);
    if (acct)
        hset_add(ipr->accounts, 4, &ipr->naccounts, acct);
    bool unknown = a->reason.n && a->reason.p[0] == 'u'; /* unknown_user */
    if (ipr->failures < UINT16_MAX) {
        ipr->failures++;
        ipr->unknown += unknown;
    }

    /* 1. the shared password */
    if (a->pw_fingerprint.n) {
        struct fp_rec *r = ktable_put(s->fps, a->pw_fingerprint.p, a->pw_fingerprint.n, NULL);
        if (!r->first.valid)
            r->first = a->time;
        r->failures += a->failures;
        if (acct)
            hs_add(&r->accounts, acct);
        acctkeep_add(&r->names, a->account);
        ipkeep_add(&r->ips, a->ip);
        if (!r->finding && r->accounts.n >= c->spray_min_accounts) {
            bool created;
            char key[80];
            int kl = snprintf(key, sizeof(key), "pw:%.*s", (int)a->pw_fingerprint.n, a->pw_fingerprint.p);
            struct finding *f = fire(s, e, a, key, (size_t)kl, &r->ips, false, &created);
            r->finding = f->id;
            finding_seen(f, &r->first);
            for (uint8_t i = 0; i < r->names.n; i++)
                strset_add(&f->accounts, r->names.name[i], r->names.len[i]);
            int new_pw = strset_add(&f->labels, a->pw_fingerprint.p, a->pw_fingerprint.n);
            if (created && r->failures > a->failures)
                /* the failures counted before it fired are its evidence too */
                finding_set_num(f, "failures", (int64_t)(r->failures - a->failures));
            update(s, e, f, a, created || new_pw == 1);
            return;
        }
        if (r->finding) {
            struct finding *f = (struct finding *)engine_finding_at(e, r->finding - 1);
            update(s, e, f, a, false);
            return;
        }
    }

    /* 2. the network */
    if (net) {
        if (!net->first.valid)
            net->first = a->time;
        net->failures += a->failures;
        hs_add(&net->ips, hash32(a->ip.p, a->ip.n));
        if (acct)
            hs_add(&net->accounts, acct);
        ipkeep_add(&net->keep, a->ip);
        if (!net->finding && net->ips.n >= c->spray_net_ips &&
            net->accounts.n >= c->spray_net_accounts && net->successes * 20 <= net->failures) {
            bool created;
            struct finding *f = fire(s, e, a, nk, nkl, &net->keep, true, &created);
            net->finding = f->id;
            finding_seen(f, &net->first);
            strset_add(&f->networks, cidr, cidrlen);
            engine_attacker_add(e, nk, nkl, f);
            s->wide_finding = f->id;
            s->wide_us = a->time.epoch_us;
            if (created) {
                /* the evidence is the network's, not only this attempt's */
                finding_set_num(f, "failures", (int64_t)net->failures - a->failures);
                finding_set_num(f, "accounts_tried", (int64_t)net->accounts.n);
            }
            update(s, e, f, a, created);
            return;
        }
    }

    /* 2b. the ASN */
    if (akl) {
        struct asn_rec *ar = ktable_put(s->asns, ak, akl, NULL);
        if (!ar->first.valid)
            ar->first = a->time;
        ar->failures += a->failures;
        if (unknown)
            ar->unknown += a->failures;
        hs_add(&ar->ips, hash32(a->ip.p, a->ip.n));
        if (acct)
            hs_add(&ar->accounts, acct);
        ipkeep_add(&ar->keep, a->ip);
        if (!ar->finding && ar->ips.n >= c->spray_asn_ips && ar->accounts.n >= c->spray_asn_accounts &&
            (uint64_t)ar->successes * 20 <= ar->failures && (uint64_t)ar->unknown * 2 <= ar->failures &&
            !engine_attacker_of(e, a->ip.p, a->ip.n)) {
            fire_asn(s, e, a, ar, ak, akl, ipr);
            return;
        }
    }

    /* 3. an address of a campaign's network failing on several accounts
     * (of its ASN: on several accounts, mostly existing ones) */
    const struct finding *known = engine_attacker_of(e, a->ip.p, a->ip.n);
    if (!known && nkl && ipr->naccounts >= 2)
        known = engine_attacker_of(e, nk, nkl);
    if (!known && akl && ipr->naccounts >= 2 && sprays(ipr)) {
        known = engine_attacker_of(e, ak, akl);
        if (known && known->kind == FK_PASSWORD_SPRAY && known->id == s->wide_finding)
            s->wide_us = a->time.epoch_us;
    }
    if (known && known->kind == FK_PASSWORD_SPRAY)
        update(s, e, (struct finding *)known, a, false);
}

static size_t sp_memory_for(size_t k)
{
    return ktable_size(k / 4 + 64, sizeof(struct fp_rec)) + ktable_size(k / 4 + 64, sizeof(struct net_rec)) +
           ktable_size(k, sizeof(struct ip_rec)) + ktable_size(k / 4 + 64, sizeof(struct cnet_rec)) +
           ktable_size(asn_cap(k), sizeof(struct asn_rec)) +
           ktable_size(succ_cap(k), sizeof(struct succ_rec)) + ktable_size(acct_cap(k), sizeof(struct acct_rec));
}

const struct detector_ops det_password_spray = {
    .name = "password_spray",
    .create = sp_create,
    .on_attempt = sp_attempt,
    .on_event = NULL,
    .memory_for = sp_memory_for,
    .destroy = sp_destroy,
};
