/*
 * engine - the detection engine's core: attempts folding, the detector
 * table, findings and when they are reported (see engine.h).
 */
#include "engine.h"
#include "attempts.h"
#include "../detectors/detector.h"
#include "../util/ktable.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

/* The detectors, in the order they see each event. */
static const struct detector_ops *const detectors[] = {
    &det_brute_force,
    &det_password_spray,
    &det_credential_stuffing,
    &det_account_takeover,
    &det_outbound_spam,
    &det_cleartext_auth,
    &det_blocklisted,
};
#define NDETECTORS (sizeof(detectors) / sizeof(detectors[0]))
#define FINDING_INDEX_CAP (1u << 16) /* findings indexed; a run with more reuses keys */

struct engine {
    struct engine_config cfg;
    engine_sink_fn sink;
    void *sink_ctx;
    struct attempts *attempts;
    void *state[NDETECTORS];
    struct finding **findings;
    size_t nfindings, afindings;
    struct ktable *finding_index; /* "<kind>:<key>" -> size_t index+1 */
    struct ktable *attackers;     /* address or "net:CIDR" -> size_t index+1 */
    int64_t first_us;             /* first event's time */
};

void engine_config_defaults(struct engine_config *c)
{
    memset(c, 0, sizeof(*c));
    c->brute_failures = 10;
    c->brute_window_s = 600;
    c->brute_max_accounts = 3;
    c->brute_min_passwords = 3;
    c->spray_min_accounts = 5;
    c->spray_net_ips = 5;
    c->spray_net_accounts = 10;
    c->spray_asn_ips = 10;
    c->spray_asn_accounts = 20;
    c->spam_recipients_hour = 500;
    c->drip_domains_day = 100;
    c->stuffing_min_ips = 5;
    c->novel_recipients = 100;
    c->novel_domains = 12;
    c->max_keys = 200000;
}

static void on_attempt(const struct attempt *a, void *ctx)
{
    struct engine *e = ctx;
    for (size_t i = 0; i < NDETECTORS; i++)
        if (detectors[i]->on_attempt)
            detectors[i]->on_attempt(e->state[i], e, a);
}

struct engine *engine_create(const struct engine_config *c, engine_sink_fn sink, void *ctx)
{
    struct engine *e = xcalloc(1, sizeof(*e));
    if (c)
        e->cfg = *c;
    else
        engine_config_defaults(&e->cfg);
    e->sink = sink;
    e->sink_ctx = ctx;
    e->attempts = attempts_create(e->cfg.max_keys, on_attempt, e);
    /* findings are few; the index only needs to hold them all */
    e->finding_index = ktable_create(FINDING_INDEX_CAP, sizeof(size_t), NULL, NULL);
    e->attackers = ktable_create(e->cfg.max_keys, sizeof(size_t), NULL, NULL);
    for (size_t i = 0; i < NDETECTORS; i++)
        e->state[i] = detectors[i]->create(e);
    return e;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < NDETECTORS; i++)
        detectors[i]->destroy(e->state[i]);
    attempts_free(e->attempts);
    for (size_t i = 0; i < e->nfindings; i++) {
        finding_free(e->findings[i]);
        free(e->findings[i]);
    }
    free(e->findings);
    ktable_free(e->finding_index);
    ktable_free(e->attackers);
    free(e);
}

static size_t memory_for(const struct engine_config *c)
{
    size_t b = sizeof(struct engine) + attempts_memory_for(c->max_keys) +
               ktable_size(FINDING_INDEX_CAP, sizeof(size_t)) + ktable_size(c->max_keys, sizeof(size_t));
    for (size_t i = 0; i < NDETECTORS; i++)
        if (detectors[i]->memory_for)
            b += detectors[i]->memory_for(c->max_keys);
    return b;
}

size_t engine_memory(const struct engine *e)
{
    return memory_for(&e->cfg);
}

size_t engine_keys_for_memory(const struct engine_config *c, size_t bytes)
{
    struct engine_config probe = *c;
    /* memory grows linearly with max_keys: walk down from an upper bound */
    for (size_t keys = bytes / 64; keys >= 1000; keys = keys * 15 / 16) {
        probe.max_keys = keys;
        if (memory_for(&probe) <= bytes)
            return keys;
    }
    return 0;
}

const struct engine_config *engine_config(const struct engine *e)
{
    return &e->cfg;
}

int64_t engine_first_us(const struct engine *e)
{
    return e->first_us;
}

void engine_event(struct engine *e, const struct mw_event *ev)
{
    if (!e->first_us && ev->time.valid)
        e->first_us = ev->time.epoch_us;
    attempts_event(e->attempts, ev);
    for (size_t i = 0; i < NDETECTORS; i++)
        if (detectors[i]->on_event)
            detectors[i]->on_event(e->state[i], e, ev);
}

static void report(struct engine *e, struct finding *f, bool final)
{
    f->emitted = 1;
    f->emitted_changes = f->changes;
    f->emitted_ips = strset_total(&f->ips);
    f->emitted_accounts = strset_total(&f->accounts);
    if (e->sink)
        e->sink(f, final, e->sink_ctx);
}

void engine_finish(struct engine *e)
{
    attempts_flush(e->attempts);
    for (size_t i = 0; i < e->nfindings; i++) {
        struct finding *f = e->findings[i];
        if (f->detected_at.valid && (!f->emitted || f->changes != f->emitted_changes))
            report(e, f, true);
    }
}

static int index_key(char *buf, size_t cap, enum finding_kind kind, const char *key, size_t keylen)
{
    int n = snprintf(buf, cap, "%d:%.*s", (int)kind, (int)(keylen > 56 ? 56 : keylen), key);
    return n < (int)cap ? n : (int)cap - 1;
}

struct finding *engine_finding_get(struct engine *e, enum finding_kind kind, const char *key,
                                   size_t keylen)
{
    char k[KTABLE_KEY_MAX + 1];
    int kl = index_key(k, sizeof(k), kind, key, keylen);
    size_t *idx = ktable_get(e->finding_index, k, (size_t)kl);
    return idx ? e->findings[*idx - 1] : NULL;
}

struct finding *engine_finding(struct engine *e, enum finding_kind kind, const char *key,
                               size_t keylen, const struct mw_event *ev, bool *created)
{
    char k[KTABLE_KEY_MAX + 1];
    int kl = index_key(k, sizeof(k), kind, key, keylen);
    bool fresh;
    size_t *idx = ktable_put(e->finding_index, k, (size_t)kl, &fresh);
    if (created)
        *created = fresh;
    if (!fresh)
        return e->findings[*idx - 1];
    if (e->nfindings == e->afindings) {
        e->afindings = e->afindings ? e->afindings * 2 : 64;
        e->findings = xrealloc(e->findings, e->afindings * sizeof(*e->findings));
    }
    struct finding *f = xmalloc(sizeof(*f));
    finding_init(f, kind, e->nfindings + 1);
    if (ev) {
        f->detected_at = ev->time;
        finding_seen(f, &ev->time);
    }
    e->findings[e->nfindings++] = f;
    *idx = e->nfindings;
    return f;
}

/* report a grown finding when its addresses or accounts doubled, or when
 * the detector says the change matters */
void engine_finding_changed(struct engine *e, struct finding *f, bool material)
{
    f->changes++;
    if (!f->detected_at.valid)
        return;
    uint64_t ips = strset_total(&f->ips), accts = strset_total(&f->accounts);
    if (!f->emitted || material || e->cfg.report_every_change || ips >= 2 * (f->emitted_ips ? f->emitted_ips : 1) ||
        accts >= 2 * (f->emitted_accounts ? f->emitted_accounts : 1))
        report(e, f, false);
}

void engine_attacker_add(struct engine *e, const char *key, size_t keylen, const struct finding *f)
{
    size_t *idx = ktable_put(e->attackers, key, keylen, NULL);
    *idx = (size_t)f->id; /* ids are index + 1 */
}

const struct finding *engine_attacker_of(struct engine *e, const char *key, size_t keylen)
{
    size_t *idx = ktable_get(e->attackers, key, keylen);
    return idx && *idx && *idx <= e->nfindings ? e->findings[*idx - 1] : NULL;
}

#define STATE_MAGIC "mailward-state 1\n"

int engine_save_state(struct engine *e, FILE *f)
{
    fputs(STATE_MAGIC, f);
    for (size_t i = 0; i < NDETECTORS; i++)
        if (detectors[i]->save)
            detectors[i]->save(e->state[i], f);
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int engine_load_state(struct engine *e, FILE *f, char *err, size_t errlen)
{
    char line[1024];
    unsigned long n = 0;
    while (fgets(line, sizeof(line), f)) {
        n++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(f)) {
            snprintf(err, errlen, "%lu: line too long", n);
            return -1;
        }
        if (n == 1) {
            if (strcmp(line, "mailward-state 1") != 0) {
                snprintf(err, errlen, "1: not a mailward state file (version 1)");
                return -1;
            }
            continue;
        }
        const char *tab = strchr(line, '\t');
        size_t i = 0;
        for (; tab && i < NDETECTORS; i++)
            if (detectors[i]->load && strlen(detectors[i]->name) == (size_t)(tab - line) &&
                memcmp(detectors[i]->name, line, (size_t)(tab - line)) == 0)
                break;
        if (!tab || i == NDETECTORS) {
            snprintf(err, errlen, "%lu: unknown record", n);
            return -1;
        }
        if (detectors[i]->load(e->state[i], tab + 1) < 0) {
            snprintf(err, errlen, "%lu: malformed %s record", n, detectors[i]->name);
            return -1;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%lu: read error", n);
        return -1;
    }
    if (n == 0) {
        snprintf(err, errlen, "1: empty file");
        return -1;
    }
    return 0;
}

size_t engine_nfindings(const struct engine *e)
{
    return e->nfindings;
}

const struct finding *engine_finding_at(const struct engine *e, size_t i)
{
    return i < e->nfindings ? e->findings[i] : NULL;
}
