/*
 * det_blocklisted - our own sending addresses on blocklists, as remote
 * servers say when they refuse or defer our mail (dnsbl_listing events).
 * One finding per listed address (or per list when the reply names no
 * address), growing with the lists named and the accounts whose mail was
 * refused; a newly named list is a material change.
 */
#include "detector.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

static void *bl_create(struct engine *e)
{
    (void)e;
    return xcalloc(1, 1);
}

static void bl_destroy(void *self)
{
    free(self);
}

static void bl_event(void *self, struct engine *e, const struct mw_event *ev)
{
    (void)self;
    if (ev->kind != MW_KIND_DNSBL_LISTING)
        return;
    struct mw_slice list = ev->dnsbl.n ? ev->dnsbl : MW_SLICE_LIT("unknown");
    struct mw_slice key = ev->ip.n ? ev->ip : list;
    bool created;
    struct finding *f = engine_finding(e, FK_BLOCKLISTED, key.p, key.n, ev, &created);
    if (ev->ip.n)
        strset_add(&f->ips, ev->ip.p, ev->ip.n);
    int new_list = strset_add(&f->labels, list.p, list.n);
    if (ev->account.n)
        strset_add(&f->accounts, ev->account.p, ev->account.n);
    finding_seen(f, &ev->time);
    bool bounced = ev->status.n && ev->status.p[0] == 'b';
    finding_set_num(f, "refusals", finding_get_num(f, "refusals") + 1);
    if (bounced)
        finding_set_num(f, "bounced", finding_get_num(f, "bounced") + 1);
    else
        finding_set_num(f, "deferred", finding_get_num(f, "deferred") + 1);
    finding_add_example(f, ev);
    if (created) {
        f->severity = SEV_HIGH;
        snprintf(f->summary, sizeof(f->summary), "%s%.*s is listed on %.*s: remote servers refuse our mail",
                 ev->ip.n ? "our address " : "one of our addresses", (int)ev->ip.n,
                 ev->ip.p ? ev->ip.p : "", (int)list.n, list.p);
    }
    engine_finding_changed(e, f, created || new_list == 1);
}

static size_t bl_memory_for(size_t k)
{
    (void)k;
    return 0;
}

const struct detector_ops det_blocklisted = {
    .name = "blocklisted",
    .create = bl_create,
    .on_attempt = NULL,
    .on_event = bl_event,
    .memory_for = bl_memory_for,
    .destroy = bl_destroy,
};
