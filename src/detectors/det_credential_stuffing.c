/*
 * det_credential_stuffing - leaked user:password pairs tried from a wide
 * pool of addresses: each pair once, many accounts that do not exist.
 *
 * An address is a stuffer when it failed on at least 3 accounts, at least
 * one of them unknown, with a different password each time (when the log
 * has fingerprints: one password on many accounts is a spray instead), and
 * never logged in. Pools too wide for that (one or two pairs per address)
 * show per network: at least 3 addresses of one /24 (/64) with unknown-user
 * failures and no login. A campaign fires when stuffing_min_ips such
 * addresses are seen within an hour, and names every such address after;
 * they become attackers, so a success from one is a takeover.
 *
 * State: bounded ktables by address and by network.
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

struct cs_ip {
    uint32_t accounts[SET];
    uint16_t naccounts;
    uint32_t pws[SET];
    uint16_t npws;
    uint32_t unknown;       /* unknown-user failures */
    uint32_t failures, successes;
    uint8_t stuffer;        /* counted as a stuffer */
    uint8_t named;          /* added to the campaign */
};

struct cs_net {
    uint32_t ips[SET];      /* addresses with unknown-user failures */
    uint16_t nips;
    uint32_t successes;
};

struct cs {
    struct ktable *ips, *nets;
    struct window stuffers; /* stuffers seen, by time */
    uint64_t finding;       /* the campaign, 0 = none yet */
};

static double ip_score(const void *v, void *ctx)
{
    (void)ctx;
    const struct cs_ip *r = v;
    return r->named ? 1e12 : r->failures + 10.0 * r->unknown;
}

static double net_score(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct cs_net *)v)->nips;
}

static void *cs_create(struct engine *e)
{
    struct cs *c = xcalloc(1, sizeof(*c));
    size_t cap = engine_config(e)->max_keys;
    c->ips = ktable_create(cap, sizeof(struct cs_ip), ip_score, NULL);
    c->nets = ktable_create(cap / 4 + 64, sizeof(struct cs_net), net_score, NULL);
    return c;
}

static void cs_destroy(void *self)
{
    struct cs *c = self;
    ktable_free(c->ips);
    ktable_free(c->nets);
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

static void name_ip(struct engine *e, struct finding *f, struct cs_ip *r, const struct attempt *a,
                    bool material)
{
    r->named = 1;
    int added = strset_add(&f->ips, a->ip.p, a->ip.n);
    if (added == 1)
        engine_attacker_add(e, a->ip.p, a->ip.n, f);
    char cidr[IPADDR_CIDRLEN];
    size_t cl = net_of(a->ip, cidr, sizeof(cidr));
    if (cl)
        strset_add(&f->networks, cidr, cl);
    if (a->account.n)
        strset_add(&f->accounts, a->account.p, a->account.n);
    finding_seen(f, &a->time);
    finding_set_num(f, "addresses", (int64_t)strset_total(&f->ips));
    finding_set_num(f, "accounts_tried", (int64_t)strset_total(&f->accounts));
    finding_set_num(f, "unknown_accounts", finding_get_num(f, "unknown_accounts") +
                                               (a->reason.n && a->reason.p[0] == 'u'));
    finding_add_example(f, a->ev);
    snprintf(f->summary, sizeof(f->summary),
             "%llu addresses in %llu networks tried %llu accounts, one password each, many unknown: "
             "leaked credentials being tested",
             (unsigned long long)strset_total(&f->ips), (unsigned long long)strset_total(&f->networks),
             (unsigned long long)strset_total(&f->accounts));
    engine_finding_changed(e, f, material);
}

static void cs_attempt(void *self, struct engine *e, const struct attempt *a)
{
    struct cs *c = self;
    if (!a->ip.n)
        return;
    char cidr[IPADDR_CIDRLEN];
    size_t cl = net_of(a->ip, cidr, sizeof(cidr));
    struct cs_net *net = cl ? ktable_put(c->nets, cidr, cl, NULL) : NULL;
    struct cs_ip *r = ktable_put(c->ips, a->ip.p, a->ip.n, NULL);
    if (a->success) {
        r->successes++;
        if (net)
            net->successes++;
        return;
    }
    /* a spray address is the spray detector's */
    const struct finding *known = engine_attacker_of(e, a->ip.p, a->ip.n);
    if (known && known->kind != FK_CREDENTIAL_STUFFING)
        return;
    r->failures += a->failures;
    bool unknown = a->reason.n && a->reason.p[0] == 'u'; /* unknown_user */
    if (unknown)
        r->unknown++;
    if (a->account.n)
        hset_add(r->accounts, SET, &r->naccounts, hash32(a->account.p, a->account.n));
    if (a->pw_fingerprint.n)
        hset_add(r->pws, SET, &r->npws, hash32(a->pw_fingerprint.p, a->pw_fingerprint.n));
    if (unknown && net && !r->successes)
        hset_add(net->ips, SET, &net->nips, hash32(a->ip.p, a->ip.n));

    bool pairs = r->npws == 0 || r->npws >= r->naccounts; /* a new password for each account */
    bool stuffer = !r->successes && r->unknown >= 1 &&
                   ((r->naccounts >= 3 && pairs) ||
                    (net && net->nips >= 3 && net->successes == 0));
    if (!stuffer)
        return;
    int64_t now = a->time.epoch_us / 1000000;
    if (!r->stuffer) {
        r->stuffer = 1;
        window_add(&c->stuffers, now, 360, 1);
    }
    const struct engine_config *cfg = engine_config(e);
    if (!c->finding) {
        if (window_sum(&c->stuffers, now, 360) < cfg->stuffing_min_ips)
            return;
        bool created;
        struct finding *f = engine_finding(e, FK_CREDENTIAL_STUFFING, "campaign", 8, a->ev, &created);
        f->severity = SEV_HIGH;
        c->finding = f->id;
        name_ip(e, f, r, a, true);
        return;
    }
    struct finding *f = (struct finding *)engine_finding_at(e, c->finding - 1);
    name_ip(e, f, r, a, false);
}

static size_t cs_memory_for(size_t k)
{
    return ktable_size(k, sizeof(struct cs_ip)) + ktable_size(k / 4 + 64, sizeof(struct cs_net));
}

const struct detector_ops det_credential_stuffing = {
    .name = "credential_stuffing",
    .create = cs_create,
    .on_attempt = cs_attempt,
    .on_event = NULL,
    .memory_for = cs_memory_for,
    .destroy = cs_destroy,
};
