/*
 * det_outbound_spam - an account of ours sending spam:
 *  - any message from an account that a takeover finding flagged (the
 *    attacker's mail: hold it from the first message);
 *  - or a burst: at least spam_recipients_hour recipients within an hour,
 *    at least 5 times the account's own busiest earlier hour, from an
 *    account with at least a day of history in the log, so a newsletter
 *    that always sends that much is left alone.
 *  - or a slow drip: about drip_domains_day distinct recipient domains in
 *    a day (a 64-register estimate), 5 times the account's busiest earlier
 *    day, for an account with a day of history: one message per contact
 *    stays under any hourly limit, but not under this.
 * One finding per account, growing with messages, recipients and the
 * addresses the mail came from.
 *
 * State: one record per sending account (bounded ktable; the quietest
 * accounts are evicted first).
 */
#include "detector.h"
#include "../util/hset.h"
#include "../util/ktable.h"
#include "../util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HLL_M 64 /* registers of the per-day distinct-domain estimate (~13%) */

struct sender {
    int64_t first_hour;     /* first hour this account was seen sending */
    int64_t hour;           /* hour (log time) of cur */
    uint32_t cur;           /* recipients in that hour */
    uint32_t max_before;    /* busiest earlier hour */
    uint64_t messages, recipients;
    int64_t day;            /* day (log time) of the domain estimate */
    uint16_t max_domains;   /* most distinct domains on an earlier day */
    uint8_t hll[HLL_M];     /* distinct recipient domains today */
    uint8_t fired;
};

static void hll_add(uint8_t *r, uint32_t h)
{
    uint32_t j = h & (HLL_M - 1);
    uint32_t w = h >> 6;
    uint8_t rank = (uint8_t)(w ? __builtin_clz(w) - 6 + 1 : 27);
    if (rank > r[j])
        r[j] = rank;
}

static uint32_t hll_estimate(const uint8_t *r)
{
    double sum = 0;
    int zeros = 0;
    for (int j = 0; j < HLL_M; j++) {
        sum += 1.0 / (double)(1u << r[j]);
        zeros += r[j] == 0;
    }
    double est = 0.709 * HLL_M * HLL_M / sum;
    if (est <= 2.5 * HLL_M && zeros)
        est = HLL_M * log((double)HLL_M / zeros); /* linear counting when small */
    return (uint32_t)(est + 0.5);
}

struct ospam {
    struct ktable *senders;
};

static double sender_score(const void *v, void *ctx)
{
    (void)ctx;
    const struct sender *s = v;
    return s->fired ? 1e18 : (double)s->recipients;
}

static void *os_create(struct engine *e)
{
    struct ospam *o = xcalloc(1, sizeof(*o));
    o->senders = ktable_create(engine_config(e)->max_keys, sizeof(struct sender), sender_score, NULL);
    return o;
}

static void os_destroy(void *self)
{
    struct ospam *o = self;
    ktable_free(o->senders);
    free(o);
}

/* a slow drip: one message per contact, to many distinct domains a day,
 * under any hourly limit; measured against the account's busiest day */
static void drip(struct ospam *o, struct engine *e, const struct mw_event *ev)
{
    const char *at = memchr(ev->recipient.p, '@', ev->recipient.n);
    if (!at)
        return;
    struct sender *s = ktable_get(o->senders, ev->account.p, ev->account.n);
    if (!s)
        return; /* the account's messages were never seen queued */
    int64_t day = ev->time.epoch_us / (86400 * 1000000LL);
    if (day != s->day) {
        uint32_t d = hll_estimate(s->hll);
        if (s->day && d > s->max_domains)
            s->max_domains = (uint16_t)(d > 65535 ? 65535 : d);
        s->day = day;
        memset(s->hll, 0, sizeof(s->hll));
    }
    size_t dl = (size_t)(ev->recipient.p + ev->recipient.n - at - 1);
    hll_add(s->hll, hash32(at + 1, dl));
    const struct engine_config *c = engine_config(e);
    if (s->fired)
        return;
    uint32_t today = hll_estimate(s->hll);
    if (today < c->drip_domains_day || today < 5u * s->max_domains ||
        ev->time.epoch_us / 3600000000LL - s->first_hour < 24)
        return;
    s->fired = 1;
    bool created;
    struct finding *f = engine_finding(e, FK_OUTBOUND_SPAM, ev->account.p, ev->account.n, ev, &created);
    f->severity = SEV_HIGH;
    snprintf(f->summary, sizeof(f->summary),
             "%.*s mailed about %u different domains today (its busiest day before: %u): a slow drip to "
             "every contact",
             (int)ev->account.n, ev->account.p, today, s->max_domains);
    strset_add(&f->accounts, ev->account.p, ev->account.n);
    finding_seen(f, &ev->time);
    finding_set_num(f, "domains_today", today);
    finding_set_num(f, "busiest_day_domains", s->max_domains);
    finding_add_example(f, ev);
    engine_finding_changed(e, f, true);
}

static void os_event(void *self, struct engine *e, const struct mw_event *ev)
{
    struct ospam *o = self;
    if ((ev->kind == MW_KIND_DELIVERY || ev->kind == MW_KIND_DNSBL_LISTING) && ev->account.n &&
        ev->recipient.n) {
        drip(o, e, ev);
        return;
    }
    if (ev->kind != MW_KIND_MESSAGE_QUEUED || !ev->account.n)
        return;
    const struct engine_config *c = engine_config(e);
    uint32_t n = ev->nrcpt > 0 ? (uint32_t)ev->nrcpt : 1;
    struct sender *s = ktable_put(o->senders, ev->account.p, ev->account.n, NULL);
    int64_t hour = ev->time.epoch_us / 3600000000LL;
    if (!s->messages)
        s->first_hour = hour;
    if (hour != s->hour) {
        if (s->cur > s->max_before && s->hour)
            s->max_before = s->cur;
        s->hour = hour;
        s->cur = 0;
    }
    s->cur += n;
    s->messages++;
    s->recipients += n;

    char key[160];
    int kl = snprintf(key, sizeof(key), "acct:%.*s", (int)(ev->account.n > 140 ? 140 : ev->account.n),
                      ev->account.p);
    const struct finding *takeover = engine_attacker_of(e, key, (size_t)kl);
    /* a burst counts only against a day of the account's own history: a
     * newsletter first seen this hour has none yet, and is left alone */
    bool burst = s->cur >= c->spam_recipients_hour && s->cur >= 5 * (uint64_t)s->max_before &&
                 hour - s->first_hour >= 24;
    if (!s->fired && !takeover && !burst)
        return;
    bool created;
    struct finding *f = engine_finding(e, FK_OUTBOUND_SPAM, ev->account.p, ev->account.n, ev, &created);
    if (!s->fired) {
        s->fired = 1;
        f->severity = takeover ? SEV_CRITICAL : SEV_HIGH;
        if (takeover)
            snprintf(f->summary, sizeof(f->summary),
                     "%.*s, taken over (finding #%llu), is sending mail: hold it", (int)ev->account.n,
                     ev->account.p, (unsigned long long)takeover->id);
        else
            snprintf(f->summary, sizeof(f->summary),
                     "%.*s sent %u recipients within an hour (its busiest hour before: %u)",
                     (int)ev->account.n, ev->account.p, s->cur, s->max_before);
        finding_set_num(f, "first_messages", (int64_t)s->messages);
    }
    strset_add(&f->accounts, ev->account.p, ev->account.n);
    int new_ip = ev->ip.n ? strset_add(&f->ips, ev->ip.p, ev->ip.n) : 0;
    finding_seen(f, &ev->time);
    int64_t msgs = finding_get_num(f, "messages") + 1;
    int64_t rcpts = finding_get_num(f, "recipients") + n;
    finding_set_num(f, "messages", msgs);
    finding_set_num(f, "recipients", rcpts);
    finding_set_num(f, "recipients_this_hour", s->cur);
    finding_set_num(f, "busiest_hour_before", s->max_before);
    finding_add_example(f, ev);
    /* report growth by tenfold steps of recipients */
    bool step = rcpts >= 10 && (rcpts / 10) != ((rcpts - n) / 10) && (rcpts == 10 || rcpts % 1000 < n);
    engine_finding_changed(e, f, created || new_ip == 1 || step);
}

static void save_one(const char *key, size_t keylen, void *value, void *ctx)
{
    const struct sender *s = value;
    for (size_t i = 0; i < keylen; i++)
        if (key[i] == '\t' || key[i] == '\n' || key[i] == '\r' || !key[i])
            return;
    uint32_t best = s->cur > s->max_before ? s->cur : s->max_before;
    uint32_t d = hll_estimate(s->hll);
    uint32_t best_day = d > s->max_domains ? d : s->max_domains;
    fprintf(ctx, "outbound_spam\t%.*s\t%lld\t%u\t%llu\t%llu\t%u\n", (int)keylen, key, (long long)s->first_hour,
            best, (unsigned long long)s->messages, (unsigned long long)s->recipients, best_day);
}

static void os_save(void *self, FILE *f)
{
    struct ospam *o = self;
    ktable_foreach(o->senders, save_one, f);
}

/* "ACCOUNT\tfirst_hour\tbusiest_hour\tmessages\trecipients[\tbusiest_day_domains]" */
static int os_load(void *self, const char *line)
{
    struct ospam *o = self;
    const char *t1 = strchr(line, '\t');
    if (!t1 || t1 == line)
        return -1;
    long long first;
    unsigned best;
    unsigned long long msgs, rcpts;
    unsigned days = 0;
    int got = sscanf(t1 + 1, "%lld\t%u\t%llu\t%llu\t%u", &first, &best, &msgs, &rcpts, &days);
    if (got != 4 && got != 5)
        return -1;
    struct sender *s = ktable_put(o->senders, line, (size_t)(t1 - line), NULL);
    memset(s, 0, sizeof(*s));
    s->first_hour = first;
    s->max_before = best;
    s->messages = msgs;
    s->recipients = rcpts;
    s->max_domains = (uint16_t)(days > 65535 ? 65535 : days);
    return 0;
}

static size_t os_memory_for(size_t k)
{
    return ktable_size(k, sizeof(struct sender));
}

const struct detector_ops det_outbound_spam = {
    .name = "outbound_spam",
    .create = os_create,
    .on_attempt = NULL,
    .on_event = os_event,
    .save = os_save,
    .load = os_load,
    .memory_for = os_memory_for,
    .destroy = os_destroy,
};
