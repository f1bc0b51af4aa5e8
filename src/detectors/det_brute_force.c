/*
 * det_brute_force - one address guessing the password of one or a few
 * accounts: at least brute_failures failed logins within brute_window_s,
 * against at most brute_max_accounts accounts, and, when the logs carry
 * password fingerprints, with at least brute_min_passwords different
 * passwords (a phone retrying one stale password is not a guesser).
 *
 * State: one record per address (bounded ktable; the addresses with the
 * fewest failures are evicted first). Finding key: the address.
 */
#include "detector.h"
#include "../util/hset.h"
#include "../util/ktable.h"
#include "../util/window.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

#define SMALL_SET 8

struct bf_ip {
    struct mw_time first;         /* first failure seen from this address */
    struct window fails;
    uint32_t total_failures;
    uint32_t successes;
    uint32_t accounts[SMALL_SET]; /* hashes; naccounts may exceed SMALL_SET */
    uint16_t naccounts;
    uint32_t pws[SMALL_SET];
    uint16_t npws;
    uint8_t fired;
};

struct bf {
    struct ktable *ips;
};

static double bf_score(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct bf_ip *)v)->total_failures;
}

static void *bf_create(struct engine *e)
{
    struct bf *b = xcalloc(1, sizeof(*b));
    b->ips = ktable_create(engine_config(e)->max_keys, sizeof(struct bf_ip), bf_score, NULL);
    return b;
}

static void bf_destroy(void *self)
{
    struct bf *b = self;
    ktable_free(b->ips);
    free(b);
}

static void bf_attempt(void *self, struct engine *e, const struct attempt *a)
{
    struct bf *b = self;
    const struct engine_config *c = engine_config(e);
    if (!a->ip.n)
        return;
    int64_t now = a->time.epoch_us / 1000000;
    uint32_t width = c->brute_window_s / WINDOW_BUCKETS;
    if (a->success) {
        struct bf_ip *r = ktable_get(b->ips, a->ip.p, a->ip.n);
        if (r && r->fired) {
            r->successes++;
            struct finding *f = engine_finding_get(e, FK_BRUTE_FORCE, a->ip.p, a->ip.n);
            if (f) {
                finding_set_num(f, "successes_after", r->successes);
                if (a->account.n)
                    strset_add(&f->labels, a->account.p, a->account.n);
                f->severity = SEV_CRITICAL;
                engine_finding_changed(e, f, true);
            }
        }
        return;
    }
    struct bf_ip *r = ktable_put(b->ips, a->ip.p, a->ip.n, NULL);
    if (!r->first.valid)
        r->first = a->time;
    window_add(&r->fails, now, width, a->failures);
    r->total_failures += a->failures;
    if (a->account.n)
        hset_add(r->accounts, SMALL_SET, &r->naccounts, hash32(a->account.p, a->account.n));
    if (a->pw_fingerprint.n)
        hset_add(r->pws, SMALL_SET, &r->npws, hash32(a->pw_fingerprint.p, a->pw_fingerprint.n));
    uint64_t recent = window_sum(&r->fails, now, width);
    if (!r->fired) {
        if (recent < c->brute_failures || r->naccounts > c->brute_max_accounts)
            return;
        if (r->npws > 0 && r->npws < c->brute_min_passwords)
            return; /* the same password again and again: a stale client */
    }
    bool created;
    struct finding *f = engine_finding(e, FK_BRUTE_FORCE, a->ip.p, a->ip.n, a->ev, &created);
    r->fired = 1;
    strset_add(&f->ips, a->ip.p, a->ip.n);
    if (created)
        engine_attacker_add(e, a->ip.p, a->ip.n, f);
    int added = a->account.n ? strset_add(&f->accounts, a->account.p, a->account.n) : 0;
    finding_seen(f, &r->first);
    finding_seen(f, &a->time);
    finding_set_num(f, "failures", r->total_failures);
    finding_set_num(f, "failures_in_window", (int64_t)recent);
    finding_set_num(f, "window_seconds", c->brute_window_s);
    finding_set_num(f, "distinct_passwords", r->npws);
    finding_add_example(f, a->ev);
    if (created) {
        f->severity = SEV_HIGH;
        snprintf(f->summary, sizeof(f->summary),
                 "%.*s failed %llu logins in %u minutes against %u account(s)", (int)a->ip.n,
                 a->ip.p, (unsigned long long)recent, c->brute_window_s / 60, r->naccounts);
    }
    engine_finding_changed(e, f, created || added == 1);
}

static size_t bf_memory_for(size_t k)
{
    return ktable_size(k, sizeof(struct bf_ip));
}

const struct detector_ops det_brute_force = {
    .name = "brute_force",
    .create = bf_create,
    .on_attempt = bf_attempt,
    .on_event = NULL,
    .memory_for = bf_memory_for,
    .destroy = bf_destroy,
};
