/*
 * det_account_takeover - a successful login from an address (or network)
 * that an attack finding (brute force, spray) has named: the attacker got
 * in. One finding per account, critical, at the log time of that login, so
 * the sending path can hold the account's mail from that moment on.
 */
#include "detector.h"
#include "../util/ipaddr.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

static void *to_create(struct engine *e)
{
    (void)e;
    return xcalloc(1, 1);
}

static void to_destroy(void *self)
{
    free(self);
}

static void to_attempt(void *self, struct engine *e, const struct attempt *a)
{
    (void)self;
    if (!a->success || !a->ip.n || !a->account.n)
        return;
    const struct finding *attack = engine_attacker_of(e, a->ip.p, a->ip.n);
    if (!attack) {
        struct ipaddr ip;
        char cidr[IPADDR_CIDRLEN], key[64];
        if (ipaddr_parse(a->ip.p, a->ip.n, &ip) == IPADDR_OK) {
            ipaddr_format_net(&ip, cidr);
            int n = snprintf(key, sizeof(key), "net:%s", cidr);
            attack = engine_attacker_of(e, key, (size_t)n);
        }
    }
    if (!attack || attack->kind == FK_ACCOUNT_TAKEOVER)
        return;
    bool created;
    struct finding *f = engine_finding(e, FK_ACCOUNT_TAKEOVER, a->account.p, a->account.n, a->ev, &created);
    int new_ip = strset_add(&f->ips, a->ip.p, a->ip.n);
    strset_add(&f->accounts, a->account.p, a->account.n);
    const char *how = finding_kind_name(attack->kind);
    strset_add(&f->labels, how, strlen(how));
    finding_seen(f, &a->time);
    finding_set_num(f, "logins_from_attackers", finding_get_num(f, "logins_from_attackers") + 1);
    finding_set_num(f, "attack_finding", (int64_t)attack->id);
    finding_add_example(f, a->ev);
    if (created) {
        /* the account's mail from now on is the attacker's (det_outbound_spam) */
        char key[160];
        int kl = snprintf(key, sizeof(key), "acct:%.*s", (int)(a->account.n > 140 ? 140 : a->account.n),
                          a->account.p);
        engine_attacker_add(e, key, (size_t)kl, f);
        f->severity = SEV_CRITICAL;
        snprintf(f->summary, sizeof(f->summary),
                 "%.*s logged in from %.*s, an address of %s finding #%llu: the account is compromised",
                 (int)a->account.n, a->account.p, (int)a->ip.n, a->ip.p, how,
                 (unsigned long long)attack->id);
    }
    engine_finding_changed(e, f, created || new_ip == 1);
}

static size_t to_memory_for(size_t k)
{
    (void)k;
    return 0;
}

const struct detector_ops det_account_takeover = {
    .name = "account_takeover",
    .create = to_create,
    .on_attempt = to_attempt,
    .on_event = NULL,
    .memory_for = to_memory_for,
    .destroy = to_destroy,
};
