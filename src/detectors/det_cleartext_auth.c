/*
 * det_cleartext_auth - successful logins whose password crossed the network
 * in clear (no TLS, not a trusted path, a cleartext mechanism): one finding
 * per account, growing with the addresses and services it used. Reported,
 * never blocked: the owner's client needs fixing (THREATS.md).
 */
#include "detector.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

static void *ca_create(struct engine *e)
{
    (void)e;
    return xcalloc(1, 1);
}

static void ca_destroy(void *self)
{
    free(self);
}

static void ca_attempt(void *self, struct engine *e, const struct attempt *a)
{
    (void)self;
    if (!a->success || !a->cleartext)
        return;
    struct mw_slice who = a->account.n ? a->account : MW_SLICE_LIT("(unknown account)");
    bool created;
    struct finding *f = engine_finding(e, FK_CLEARTEXT_AUTH, who.p, who.n, a->ev, &created);
    int new_ip = a->ip.n ? strset_add(&f->ips, a->ip.p, a->ip.n) : 0;
    if (a->account.n)
        strset_add(&f->accounts, a->account.p, a->account.n);
    const char *svc = event_service_name(a->service);
    int new_svc = svc ? strset_add(&f->labels, svc, strlen(svc)) : 0;
    finding_seen(f, &a->time);
    finding_set_num(f, "logins", finding_get_num(f, "logins") + 1);
    finding_add_example(f, a->ev);
    if (created) {
        f->severity = SEV_MEDIUM;
        snprintf(f->summary, sizeof(f->summary), "%.*s logs in without TLS%s%s: the password crosses the network in clear",
                 (int)who.n, who.p, svc ? " over " : "", svc ? svc : "");
    }
    engine_finding_changed(e, f, created || new_svc == 1 || (new_ip == 1 && f->ips.n <= 4));
}

static size_t ca_memory_for(size_t k)
{
    (void)k;
    return 0;
}

const struct detector_ops det_cleartext_auth = {
    .name = "cleartext_auth",
    .create = ca_create,
    .on_attempt = ca_attempt,
    .on_event = NULL,
    .memory_for = ca_memory_for,
    .destroy = ca_destroy,
};
