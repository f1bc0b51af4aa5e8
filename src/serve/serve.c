/*
 * serve - decisions of the live daemon: requests -> events -> engine ->
 * findings -> bans and flags -> replies (see serve.h).
 */
#include "serve.h"
#include "slog.h"

#include "../engine/engine.h"
#include "../engine/engine_asn.h"
#include "../enrich/asn_table.h"
#include "../passwd/weakpw.h"
#include "../util/hash.h"
#include "../util/ipaddr.h"
#include "../util/ktable.h"
#include "../util/outbuf.h"
#include "../util/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SNAPSHOT_S 300        /* baselines written to the store this often */
#define FINDING_SAVE_S 10     /* a changing finding's JSON is saved at most this often */
#define BASELINE_BLOB "baselines"

/* Dovecot asks twice when auth_policy_check_after_auth is on: before the
 * password check and after a successful one. A refusal of a login whose
 * first check we allowed is the second check: the password was right. */
struct inflight {
    int64_t t;
    uint32_t allowed;
};

static double inflight_score(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct inflight *)v)->t;
}

static double audited_score(const void *v, void *ctx)
{
    (void)ctx;
    return (double)*(const int64_t *)v;
}

#define INFLIGHT_CAP 8192   /* logins between their first check and their report */

/* what serve did with each engine finding so far */
struct fstate {
    uint64_t store_id;
    size_t ips_done, nets_done, accts_done;
    uint64_t saved_ips, saved_accts;
    int64_t saved_at;
    bool dirty;
};

struct serve {
    struct serve_config cfg;
    struct store *st;
    const struct asn_table *asn;
    struct engine *eng;
    struct guard *guard;
    struct fstate *fs;        /* by engine finding id - 1 */
    size_t nfs;
    uint64_t seq;             /* requests seen: the "line" of their events */
    int64_t now_s;
    int64_t last_snapshot, last_expire, last_dirty;
    struct serve_metrics m;
    struct engine_config ec;  /* to renew the engine (serve_renew) */
    struct weakpw *weak;      /* pwhash against common passwords, or NULL */
    struct ktable *weak_told; /* accounts told weak_password (bounded) */
    struct ktable *inflight;  /* logins allowed by a first check, until their report */
    struct ktable *audited;   /* last audit time of a repeated reject/delay (audit_once) */
    struct ktable *content;   /* content score by account (serve_content; bounded by max_flags) */
    char held_ids[64][32];    /* queue ids recorded as held lately (milter and policy door alike) */
    unsigned held_pos;
    bool resync;              /* a ban or flag failed to save: write them all again */
    int64_t last_resync;
    void (*hook)(const char *json, size_t n, void *ctx);
    void *hook_ctx;
    void (*ban_hook)(const char *key, const struct guard_ban *b, int64_t now, void *ctx);
    void *ban_ctx;
    struct outbuf ob;
    bool pf_sasl_seen;        /* Postfix policy requests of authenticated clients arrived */
    bool warned_double_dovecot, warned_double_postfix; /* serve_log_event's double-counting warnings */
};

static void log_msg(const struct serve *s, const char *level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slog_v(s->cfg.log_level, level, fmt, ap);
    va_end(ap);
}

static void store_failed(struct serve *s, const char *what)
{
    s->m.store_errors++;
    log_msg(s, "error", "state store: %s: %s (the decision stands in memory; it is retried)", what,
            store_error(s->st));
}

static void time_of(int64_t us, struct mw_time *t)
{
    memset(t, 0, sizeof(*t));
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    t->epoch_us = us;
    t->year = (int16_t)(tm.tm_year + 1900);
    t->mon = (uint8_t)(tm.tm_mon + 1);
    t->mday = (uint8_t)tm.tm_mday;
    t->hour = (uint8_t)tm.tm_hour;
    t->min = (uint8_t)tm.tm_min;
    t->sec = (uint8_t)tm.tm_sec;
    t->usec = (uint32_t)(us % 1000000);
    t->frac_digits = 6;
    t->has_tz = true;
    t->valid = true;
}

static struct fstate *fstate_of(struct serve *s, uint64_t id)
{
    if (id > s->nfs) {
        size_t n = s->nfs ? s->nfs : 64;
        while (n < id)
            n *= 2;
        s->fs = xrealloc(s->fs, n * sizeof(*s->fs));
        memset(s->fs + s->nfs, 0, (n - s->nfs) * sizeof(*s->fs));
        s->nfs = n;
    }
    return &s->fs[id - 1];
}

static bool bans_of(enum finding_kind k)
{
    return k == FK_BRUTE_FORCE || k == FK_PASSWORD_SPRAY || k == FK_CREDENTIAL_STUFFING;
}

static bool flags_of(enum finding_kind k)
{
    return k == FK_ACCOUNT_TAKEOVER || k == FK_OUTBOUND_SPAM;
}

static void add_ban(struct serve *s, const char *key, const struct finding *f, uint64_t store_id)
{
    char k[64];
    struct guard_ban old;
    /* already banned (this key exactly, or a network holding it)? */
    if (guard_banned(s->guard, s->now_s, MW_SLICE(key, strcspn(key, "/")), k, &old) && !strchr(key, '/'))
        return;
    struct guard_ban b = {0};
    b.since = s->now_s;
    b.until = s->now_s + s->cfg.ban_seconds;
    b.finding = store_id;
    snprintf(b.kind, sizeof(b.kind), "%s", finding_kind_name(f->kind));
    if (guard_ban(s->guard, key, &b) < 0)
        return;
    s->m.bans_added++;
    if (s->ban_hook)
        s->ban_hook(key, &b, s->now_s, s->ban_ctx);
    if (store_put_ban(s->st, key, &b) < 0)
    {
        store_failed(s, "save ban");
        s->resync = true;
    }
    log_msg(s, "info", "ban %s for %us: %s #%llu", key, s->cfg.ban_seconds, b.kind, (unsigned long long)store_id);
}

static void add_flag(struct serve *s, struct mw_slice account, const char *kind, uint64_t finding,
                     const char *reason)
{
    if (guard_flagged(s->guard, account))
        return;
    struct guard_flag fl = {0};
    fl.since = s->now_s;
    fl.finding = finding;
    snprintf(fl.kind, sizeof(fl.kind), "%s", kind);
    snprintf(fl.reason, sizeof(fl.reason), "%s", reason);
    guard_flag(s->guard, account, &fl);
    s->m.flags_added++;
    char acct[256];
    snprintf(acct, sizeof(acct), "%.*s", (int)account.n, account.p);
    if (store_put_flag(s->st, acct, &fl) < 0) {
        store_failed(s, "save flag");
        s->resync = true;
    }
    log_msg(s, "info", "flag account %s: %s", acct, reason);
}

static void save_finding(struct serve *s, const struct finding *f, struct fstate *fs)
{
    s->ob.len = 0;
    finding_write_json(&s->ob, f, NULL, NULL);
    if (s->ob.len && s->ob.p[s->ob.len - 1] == '\n')
        s->ob.len--;
    outbuf_putc(&s->ob, 0);
    if (store_put_finding(s->st, &fs->store_id, s->now_s, finding_kind_name(f->kind), s->ob.p) < 0)
        store_failed(s, "save finding");
    fs->saved_ips = strset_total(&f->ips);
    fs->saved_accts = strset_total(&f->accounts);
    fs->saved_at = s->now_s;
    fs->dirty = false;
    if (s->hook)
        s->hook(s->ob.p, s->ob.len - 1, s->hook_ctx);
}

/* the engine reports a finding at each change (report_every_change) */
static void on_finding(const struct finding *f, bool final, void *ctx)
{
    (void)final;
    struct serve *s = ctx;
    struct fstate *fs = fstate_of(s, f->id);
    bool fresh = !fs->store_id && !fs->saved_at;
    if (fresh) {
        s->m.findings++;
        log_msg(s, "info", "finding #%llu %s: %s", (unsigned long long)f->id, finding_kind_name(f->kind),
                f->summary);
    }
    /* the JSON first: bans and flags name its store id */
    uint64_t ips = strset_total(&f->ips), accts = strset_total(&f->accounts);
    if (fresh || ips >= 2 * (fs->saved_ips ? fs->saved_ips : 1) ||
        accts >= 2 * (fs->saved_accts ? fs->saved_accts : 1) || s->now_s - fs->saved_at >= FINDING_SAVE_S)
        save_finding(s, f, fs);
    else
        fs->dirty = true;
    if (bans_of(f->kind)) {
        for (; fs->ips_done < f->ips.n; fs->ips_done++)
            add_ban(s, f->ips.items[fs->ips_done], f, fs->store_id);
        /* networks only where the detector found no logins of their own
         * (it registered them as attacking) */
        /* a network may be registered after the finding named it: look at
         * all of them each time (a spray's networks are few) */
        for (size_t i = 0; i < f->networks.n; i++) {
            char key[80];
            int kl = snprintf(key, sizeof(key), "net:%s", f->networks.items[i]);
            const struct finding *by = engine_attacker_of(s->eng, key, (size_t)kl);
            if (by && by->id == f->id && !guard_has_ban(s->guard, f->networks.items[i]))
                add_ban(s, f->networks.items[i], f, fs->store_id);
        }
    }
    if (flags_of(f->kind)) {
        for (; fs->accts_done < f->accounts.n; fs->accts_done++) {
            const char *a = f->accounts.items[fs->accts_done];
            add_flag(s, MW_SLICE(a, f->accounts.lens[fs->accts_done]), finding_kind_name(f->kind), fs->store_id,
                     f->summary);
        }
    }
}

static void engine_cfg(const struct serve_config *c, const struct asn_table *asn, size_t budget,
                       struct engine_config *ec)
{
    engine_config_defaults(ec);
    ec->brute_failures = c->brute_failures;
    ec->brute_window_s = c->brute_window;
    ec->spray_min_accounts = c->spray_accounts;
    ec->spam_recipients_hour = c->spam_recipients;
    ec->novel_domains = c->novel_domains;
    ec->report_every_change = true;
    engine_config_use_asn(ec, asn);
    ec->max_keys = engine_keys_for_memory(ec, budget);
}

static void guard_cfg(const struct serve_config *c, size_t keys, struct guard_config *g)
{
    memset(g, 0, sizeof(*g));
    g->ban_seconds = c->ban_seconds;
    g->delay_after = c->delay_after;
    g->delay_max = c->delay_max;
    g->stale_after = c->stale_after;
    g->window = c->brute_window;
    g->max_bans = c->max_bans;
    g->max_flags = c->max_flags;
    g->max_keys = keys;
}

static void load_ban(const char *key, const struct guard_ban *b, void *ctx)
{
    struct serve *s = ctx;
    if (guard_ban(s->guard, key, b) < 0)
        log_msg(s, "warning", "state store: ban of \"%s\" is not an address or network; ignored", key);
}

static void load_flag(const char *account, const struct guard_flag *f, void *ctx)
{
    struct serve *s = ctx;
    guard_flag(s->guard, MW_SLICE(account, strlen(account)), f);
}

struct serve *serve_create(const struct serve_config *cfg, struct store *st, const struct asn_table *asn,
                           char *err, size_t errlen)
{
    struct serve *s = xcalloc(1, sizeof(*s));
    config_copy(&s->cfg, cfg);
    s->st = st;
    s->asn = asn;
    /* the memory cap: the ban and flag tables first (max_bans, max_flags),
     * then 3/4 of the rest to the detectors, 1/4 to the guard's windows */
    struct guard_config gc;
    guard_cfg(cfg, 0, &gc);
    size_t fixed = guard_memory_for(&gc) + ktable_size(INFLIGHT_CAP, sizeof(struct inflight)) +
                   ktable_size(INFLIGHT_CAP, sizeof(int64_t));
    if (fixed + (8u << 20) > cfg->max_memory) {
        snprintf(err, errlen, "max_memory %zu leaves too little for the detectors after max_bans and max_flags "
                 "(%zu bytes): raise max_memory or lower them", cfg->max_memory, fixed);
        config_free(&s->cfg);
        free(s);
        return NULL;
    }
    size_t rest = cfg->max_memory - fixed;
    struct engine_config ec;
    engine_cfg(cfg, asn, rest / 4 * 3, &ec);
    if (!ec.max_keys) {
        snprintf(err, errlen, "max_memory %zu is too small for any state", cfg->max_memory);
        config_free(&s->cfg);
        free(s);
        return NULL;
    }
    size_t keys = guard_keys_for_memory(rest / 4);
    guard_cfg(cfg, keys, &gc);
    s->guard = guard_create(&gc);
    s->ec = ec;
    s->eng = engine_create(&ec, on_finding, s);
    s->inflight = ktable_create(INFLIGHT_CAP, sizeof(struct inflight), inflight_score, NULL);
    s->audited = ktable_create(INFLIGHT_CAP, sizeof(int64_t), audited_score, NULL);
    outbuf_init(&s->ob, 1 << 16);
    struct store_load_cb cb = {load_ban, load_flag, s};
    if (store_load(st, &cb) < 0) {
        snprintf(err, errlen, "cannot restore bans and flags: %s", store_error(st));
        serve_free(s);
        return NULL;
    }
    void *blob;
    size_t n;
    if (store_get_blob(st, BASELINE_BLOB, &blob, &n) == 0 && blob) {
        FILE *f = fmemopen(blob, n, "r");
        char why[256];
        if (f && engine_load_state(s->eng, f, why, sizeof(why)) < 0)
            log_msg(s, "warning", "saved baselines: %s (kept what was read before)", why);
        if (f)
            fclose(f);
        free(blob);
    }
    log_msg(s, "info", "restored %zu bans and %zu flagged accounts; detector state %zu keys a table",
            guard_nbans(s->guard), guard_nflags(s->guard), ec.max_keys);
    return s;
}

void serve_free(struct serve *s)
{
    if (!s)
        return;
    weakpw_free(s->weak);
    ktable_free(s->weak_told);
    ktable_free(s->inflight);
    ktable_free(s->audited);
    ktable_free(s->content);
    engine_free(s->eng);
    guard_free(s->guard);
    free(s->fs);
    outbuf_free(&s->ob);
    config_free(&s->cfg);
    free(s);
}

void serve_reconfigure(struct serve *s, const struct serve_config *cfg)
{
    /* decision settings apply at once; table sizes need a restart */
    struct serve_config old = s->cfg;
    config_copy(&s->cfg, cfg);
    config_free(&old);
}

static void recall_weak(const char *json, void *ctx)
{
    struct serve *s = ctx;
    if (!strstr(json, "\"kind\":\"weak_password\""))
        return;
    const char *a = strstr(json, "\"accounts\":[\"");
    if (!a)
        return;
    a += 13;
    /* the account as written by outbuf_put_json_string: stop at the
     * closing quote; an escaped name is rare and is then told again */
    const char *end = a;
    while (*end && *end != '"' && *end != '\\')
        end++;
    if (*end != '"')
        return;
    char key[64];
    size_t kl = guard_key(key, a, (size_t)(end - a));
    ktable_put(s->weak_told, key, kl, NULL);
}

int serve_set_passwords(struct serve *s, const struct pwlist *list, char *err, size_t errlen)
{
    if (!s->cfg.pwhash_nonce || !*s->cfg.pwhash_nonce) {
        snprintf(err, errlen, "pwhash_nonce is not set (Dovecot's auth_policy_hash_nonce)");
        return -1;
    }
    struct weakpw_opts o;
    weakpw_defaults(&o);
    if (pwhash_mech_parse(s->cfg.pwhash_mech, &o.mech) < 0) {
        snprintf(err, errlen, "pwhash_mech \"%s\" is not one of Dovecot's hash names", s->cfg.pwhash_mech);
        return -1;
    }
    o.nonce = s->cfg.pwhash_nonce;
    o.bits = s->cfg.pwhash_truncate;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    o.year = tm.tm_year + 1900;
    o.max_bytes = s->cfg.max_memory / 16;
    struct weakpw *w = weakpw_create(&o, list);
    if (!w) {
        snprintf(err, errlen, "pwhash_truncate %u is larger than %s's digest", s->cfg.pwhash_truncate,
                 s->cfg.pwhash_mech);
        return -1;
    }
    weakpw_free(s->weak);
    s->weak = w;
    if (!s->weak_told) {
        s->weak_told = ktable_create(s->cfg.max_flags, 1, NULL, NULL);
        /* accounts told before a restart are not told again */
        store_query_json(s->st, "findings", 0, 1000000, recall_weak, s);
    }
    return 0;
}

/* notice_open - the head of a finding serve raises itself (not the
 * engine's): kind, detected_at (now), severity, the address and account */
static void notice_open(struct serve *s, struct outbuf *ob, const char *kind, const char *severity,
                        struct mw_slice ip, struct mw_slice account)
{
    outbuf_init(ob, 512);
    struct mw_time t;
    time_of((int64_t)s->now_s * 1000000, &t);
    outbuf_puts(ob, "{\"kind\":\"");
    outbuf_puts(ob, kind);
    outbuf_puts(ob, "\",\"detected_at\":\"");
    event_write_time(ob, &t);
    outbuf_puts(ob, "\",\"severity\":\"");
    outbuf_puts(ob, severity);
    outbuf_puts(ob, "\",\"ips\":[");
    if (ip.n)
        outbuf_put_json_string(ob, ip.p, ip.n);
    outbuf_puts(ob, "],\"accounts\":[");
    outbuf_put_json_string(ob, account.p, account.n);
    outbuf_puts(ob, "],\"evidence\":{");
}

/* notice_close - end the summary's object, store it as a finding row, hand
 * it to the actions; returns its store id (0 if the store failed) */
static uint64_t notice_close(struct serve *s, struct outbuf *ob, const char *kind)
{
    outbuf_putc(ob, 0);
    uint64_t id = 0;
    if (store_put_finding(s->st, &id, s->now_s, kind, ob->p) < 0)
        store_failed(s, "save notice");
    if (s->hook)
        s->hook(ob->p, ob->len - 1, s->hook_ctx);
    outbuf_free(ob);
    return id;
}

static void weak_notice(struct serve *s, const struct dovecot_req *r, const struct weakpw_match *m)
{
    char key[64];
    size_t kl = guard_key(key, r->login.p, r->login.n);
    bool fresh;
    ktable_put(s->weak_told, key, kl, &fresh);
    if (!fresh)
        return;
    s->m.weak_passwords++;
    struct outbuf ob;
    notice_open(s, &ob, "weak_password", "medium", r->remote, r->login);
    outbuf_puts(&ob, "\"guess\":");
    outbuf_puts(&ob, m->user_derived ? "\"built from the user name\"" : "\"common password\"");
    if (!m->user_derived) {
        outbuf_puts(&ob, ",\"list_rank\":");
        outbuf_put_u64(&ob, (uint64_t)m->best + 1);
    }
    outbuf_puts(&ob, ",\"pwhash_bits\":");
    outbuf_put_u64(&ob, s->cfg.pwhash_truncate);
    outbuf_puts(&ob, "},\"summary\":\"the account logged in with a common or guessable password: tell the owner, "
                     "force a change\"}");
    notice_close(s, &ob, "weak_password");
    log_msg(s, "info", "weak password: %.*s logged in with a %s", (int)r->login.n, r->login.p,
            m->user_derived ? "password built from the user name" : "common password");
}

void serve_on_finding(struct serve *s, void (*fn)(const char *json, size_t n, void *ctx), void *ctx)
{
    s->hook = fn;
    s->hook_ctx = ctx;
}

void serve_on_ban(struct serve *s,
                  void (*fn)(const char *key, const struct guard_ban *b, int64_t now, void *ctx), void *ctx)
{
    s->ban_hook = fn;
    s->ban_ctx = ctx;
}

static void set_now(struct serve *s, int64_t now_us)
{
    s->now_s = now_us / 1000000;
    s->seq++;
}

/* renew - the detectors' memory of findings grows with every brute-forcer;
 * past max_findings the engine starts afresh from its saved baselines.
 * Bans, flags, held mail and findings stay (guard and store); what is
 * lost is the detectors' half-filled windows, so an attack in progress is
 * found again from its next attempts. */
/* snapshot - the findings changed since their last save go to the store,
 * then the detectors' baselines as text into *buf (malloc'd, *buf NULL if
 * there was no memory for it); engine_save_state's result */
static int snapshot(struct serve *s, char **buf, size_t *n)
{
    size_t nf = engine_nfindings(s->eng);
    for (size_t i = 0; i < nf && i < s->nfs; i++)
        if (s->fs[i].dirty)
            save_finding(s, engine_finding_at(s->eng, i), &s->fs[i]);
    *buf = NULL;
    *n = 0;
    FILE *f = open_memstream(buf, n);
    if (!f)
        return -1;
    int rc = engine_save_state(s->eng, f);
    fclose(f);
    return rc;
}

static void renew(struct serve *s)
{
    size_t nf = engine_nfindings(s->eng);
    char *buf;
    size_t n;
    snapshot(s, &buf, &n);
    engine_free(s->eng);
    free(s->fs);
    s->fs = NULL;
    s->nfs = 0;
    s->eng = engine_create(&s->ec, on_finding, s);
    if (buf) {
        FILE *in = fmemopen(buf, n, "r");
        char why[256];
        if (in && engine_load_state(s->eng, in, why, sizeof(why)) < 0)
            log_msg(s, "warning", "renewing the detectors: baselines: %s", why);
        if (in)
            fclose(in);
        free(buf);
    }
    s->m.engine_renewals++;
    log_msg(s, "info", "detectors renewed after %zu findings (max_findings); bans, flags and baselines kept", nf);
}

/* feed - one event to the detectors */
static void feed(struct serve *s, const struct mw_event *ev)
{
    engine_event(s->eng, ev);
    if (engine_nfindings(s->eng) >= s->cfg.max_findings)
        renew(s);
}

#define AUDIT_REPEAT_S 60   /* the same reject/delay of one address is audited once a minute */

static void audit(struct serve *s, const char *door, struct mw_slice subject, const char *decision,
                  const char *reason);

/* audit_once - rejects and delays repeat thousands of times a second under
 * attack: audit each (decision, reason, address) once a minute (the
 * metrics count all) */
static void audit_once(struct serve *s, const char *door, struct mw_slice subject, const char *decision,
                       const char *reason)
{
    char buf[200], key[64];
    int n = snprintf(buf, sizeof(buf), "%s|%.60s|%.*s", decision, reason ? reason : "",
                     (int)(subject.n > 120 ? 120 : subject.n), subject.p);
    size_t kl = guard_key(key, buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1));
    bool fresh;
    int64_t *last = ktable_put(s->audited, key, kl, &fresh);
    if (!fresh && s->now_s - *last < AUDIT_REPEAT_S)
        return;
    *last = s->now_s;
    audit(s, door, subject, decision, reason);
}

static void audit(struct serve *s, const char *door, struct mw_slice subject, const char *decision,
                  const char *reason)
{
    char subj[300];
    snprintf(subj, sizeof(subj), "%.*s", (int)(subject.n > 290 ? 290 : subject.n), subject.p);
    if (store_audit(s->st, s->now_s, door, subj, decision, reason) < 0)
        store_failed(s, "audit");
}

static void stale_notice(struct serve *s, const struct dovecot_req *r, uint32_t failures)
{
    s->m.stale_notices++;
    struct outbuf ob;
    notice_open(s, &ob, "stale_password", "low", r->remote, r->login);
    outbuf_puts(&ob, "\"same_password_failures\":");
    outbuf_put_u64(&ob, failures);
    outbuf_puts(&ob, "},\"summary\":\"a client keeps trying one old password: tell the owner to update the "
                     "device; not banned\"}");
    notice_close(s, &ob, "stale_password");
    log_msg(s, "info", "stale password: %.*s from %.*s (%u failures with one password)", (int)r->login.n,
            r->login.p, (int)r->remote.n, r->remote.p, failures);
}

static size_t inflight_key(char out[64], const struct dovecot_req *r)
{
    char buf[600];
    int n;
    if (r->session_id.n)
        n = snprintf(buf, sizeof(buf), "s%.*s", (int)(r->session_id.n > 200 ? 200 : r->session_id.n),
                     r->session_id.p);
    else
        n = snprintf(buf, sizeof(buf), "a%.*s|%.*s|%.*s", (int)(r->remote.n > 64 ? 64 : r->remote.n), r->remote.p,
                     (int)(r->login.n > 256 ? 256 : r->login.n), r->login.p,
                     (int)(r->pwhash.n > 128 ? 128 : r->pwhash.n), r->pwhash.p);
    return guard_key(out, buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1));
}

size_t serve_dovecot(struct serve *s, int64_t now_us, const struct dovecot_req *r, char *reply, size_t cap)
{
    set_now(s, now_us);
    if (r->command == DOVECOT_ALLOW) {
        struct guard_decision d;
        guard_login(s->guard, s->now_s, r->remote, r->login, r->pwhash, &d);
        char msg[200] = "";
        char ik[64];
        size_t ikl = inflight_key(ik, r);
        struct inflight *in = ktable_get(s->inflight, ik, ikl);
        if (d.verdict == GUARD_REJECT) {
            s->m.dovecot_reject++;
            snprintf(msg, sizeof(msg), "blocked: %s %s", d.ban.kind, d.key);
            audit_once(s, "dovecot", r->remote, "reject", msg);
            if (in && in->allowed && now_us - in->t < 300 * 1000000LL && s->cfg.flag_banned_success && r->login.n) {
                /* the second check of a login whose password was right */
                char why[GUARD_REASON_MAX];
                snprintf(why, sizeof(why), "the right password from %s, banned for %s", d.key, d.ban.kind);
                add_flag(s, r->login, "account_takeover", d.ban.finding, why);
                audit(s, "dovecot", r->login, "flag", why);
            }
            if (in)
                ktable_remove(s->inflight, ik, ikl);
        } else if (d.verdict == GUARD_DELAY) {
            s->m.dovecot_delay++;
            snprintf(msg, sizeof(msg), "delayed %ds: %s", d.status, d.why);
            audit_once(s, "dovecot", r->remote, "delay", msg);
        } else {
            s->m.dovecot_allow++;
        }
        if (d.verdict != GUARD_REJECT) {
            in = ktable_put(s->inflight, ik, ikl, NULL);
            in->t = now_us;
            in->allowed++;
        }
        /* Dovecot shows msg to the client on reject: keep it generic there */
        return dovecot_reply(reply, cap, d.status, d.verdict == GUARD_REJECT ? "Authentication failed" : "");
    }
    /* report: the outcome of an authentication; the login is no longer in flight */
    {
        char ik[64];
        size_t ikl = inflight_key(ik, r);
        ktable_remove(s->inflight, ik, ikl);
    }
    if (r->policy_reject) {
        /* we refused it: the password was never checked, nothing to learn */
        return dovecot_reply(reply, cap, 0, "");
    }
    struct guard_notice n;
    guard_report(s->guard, s->now_s, r->remote, r->login, r->pwhash, r->success, &n);
    if (r->success)
        s->m.dovecot_report_ok++;
    else
        s->m.dovecot_report_fail++;

    struct mw_event ev;
    event_reset(&ev);
    ev.kind = r->success ? MW_KIND_AUTH_SUCCESS : MW_KIND_AUTH_FAILURE;
    /* the password crossed in clear: Dovecot says tls false and, when the
     * "secured" attribute is configured (docs/examples), an empty one
     * (Postfix's SASL over STARTTLS and loopback say "secured") */
    if (r->success && r->tls == 0 && r->secured.p && r->secured.n == 0)
        ev.kind = MW_KIND_PLAINTEXT_LOGIN;
    if (r->secured.n)
        ev.secured = true;
    ev.service = dovecot_service(r->protocol);
    time_of(now_us, &ev.time);
    ev.file = "dovecot-policy";
    ev.line = s->seq;
    ev.program = MW_SLICE_LIT("dovecot");
    ev.ip = r->remote;
    ev.account = r->login;
    /* Dovecot's pwhash is per user (nonce, user, password) and only a few
     * bits long: equal values on two accounts are chance, not one password.
     * The engine compares fingerprints across accounts (the spray rule of
     * logs' unsalted SHA1), so give it one that cannot match across them. */
    char fp[24];
    struct weakpw_match wm;
    int weak = 0;
    if (s->weak && r->pwhash.n && r->login.n && r->login.n < 256 && r->pwhash.n < PWHASH_HEX_MAX) {
        char user[256], hx[PWHASH_HEX_MAX];
        memcpy(user, r->login.p, r->login.n);
        user[r->login.n] = 0;
        memcpy(hx, r->pwhash.p, r->pwhash.n);
        hx[r->pwhash.n] = 0;
        weak = weakpw_check(s->weak, user, hx, &wm) == 1;
    }
    if (weak && !r->success && !wm.user_derived && s->cfg.pwhash_truncate >= 24) {
        /* a common password: the same fingerprint on every account it is
         * tried on, so the spray rule sees one password on many accounts */
        int fl = snprintf(fp, sizeof(fp), "common-%ld", wm.best);
        ev.pw_fingerprint = MW_SLICE(fp, (size_t)fl);
    } else if (r->pwhash.n) {
        uint32_t h1 = hash32(r->login.p, r->login.n), h2 = hash32(r->pwhash.p, r->pwhash.n);
        snprintf(fp, sizeof(fp), "%08x%08x", h1, h2 ^ (h1 * 2654435761u));
        ev.pw_fingerprint = MW_SLICE(fp, 16);
    }
    char sess[32];
    if (r->session_id.n) {
        ev.session = r->session_id;
    } else {
        int sl = snprintf(sess, sizeof(sess), "mw-%llu", (unsigned long long)s->seq);
        ev.session = MW_SLICE(sess, (size_t)sl);
    }
    if (!r->success) {
        ev.attempts = 1;
        if (r->fail_type.n == 7 && !memcmp(r->fail_type.p, "account", 7))
            ev.reason = MW_SLICE_LIT("unknown_user");
        else
            ev.reason = MW_SLICE_LIT("password_mismatch");
    }
    ev.tls = (int8_t)r->tls;
    feed(s, &ev);

    if (n.stale)
        stale_notice(s, r, n.failures);
    if (weak && r->success && wm.candidates == 1 && s->cfg.pwhash_truncate >= 20)
        weak_notice(s, r, &wm);
    if (n.banned_success && s->cfg.flag_banned_success && r->login.n) {
        char why[GUARD_REASON_MAX];
        snprintf(why, sizeof(why), "logged in from %s, banned for %s", n.key, n.ban.kind);
        add_flag(s, r->login, "account_takeover", n.ban.finding, why);
        audit(s, "dovecot", r->login, "flag", why);
    }
    return dovecot_reply(reply, cap, 0, "");
}

void serve_log_event(struct serve *s, const struct mw_event *ev)
{
    /* the decision time (bans' since/until) is now, not the line's time:
     * a log read late or from its start still bans for ban_seconds */
    int64_t now = (int64_t)time(NULL);
    if (now > s->now_s)
        s->now_s = now;
    bool auth = ev->kind == MW_KIND_AUTH_FAILURE || ev->kind == MW_KIND_AUTH_SUCCESS ||
                ev->kind == MW_KIND_PLAINTEXT_LOGIN || ev->kind == MW_KIND_PASSDB_MISS;
    if (auth && !s->warned_double_dovecot && s->m.dovecot_report_ok + s->m.dovecot_report_fail > 0) {
        s->warned_double_dovecot = true;
        log_msg(s, "warning", "logins arrive both from Dovecot's policy requests and from a followed log (%s): "
                "each login is counted twice; follow logs only of servers without the policy hook", ev->file);
    }
    if ((ev->kind == MW_KIND_MESSAGE_QUEUED || ev->kind == MW_KIND_DELIVERY) && ev->account.n &&
        !s->warned_double_postfix && s->pf_sasl_seen) {
        s->warned_double_postfix = true;
        log_msg(s, "warning", "submissions arrive both from Postfix's policy requests and from a followed log "
                "(%s): each message is counted twice; follow the log only of a Postfix without the policy "
                "service", ev->file);
    }
    feed(s, ev);
    /* a success from a banned address (banned before this login happened) */
    if ((ev->kind == MW_KIND_AUTH_SUCCESS || ev->kind == MW_KIND_PLAINTEXT_LOGIN) && s->cfg.flag_banned_success &&
        ev->ip.n && ev->account.n) {
        char key[64];
        struct guard_ban b;
        if (guard_banned(s->guard, s->now_s, ev->ip, key, &b) && b.since <= ev->time.epoch_us / 1000000 &&
            !guard_flagged(s->guard, ev->account)) {
            char why[GUARD_REASON_MAX];
            snprintf(why, sizeof(why), "logged in from %s, banned for %s (%s:%llu)", key, b.kind, ev->file,
                     (unsigned long long)ev->line);
            add_flag(s, ev->account, "account_takeover", b.finding, why);
            audit(s, "log", ev->account, "flag", why);
        }
    }
}

/* held_once - true the first time a queue id is recorded as held lately
 * (the milter and the Postfix policy door may both hold one message);
 * an empty queue id is always new */
static bool held_once(struct serve *s, struct mw_slice qid)
{
    if (!qid.n)
        return true;
    size_t n = qid.n < sizeof(s->held_ids[0]) - 1 ? qid.n : sizeof(s->held_ids[0]) - 1;
    for (size_t i = 0; i < sizeof(s->held_ids) / sizeof(s->held_ids[0]); i++)
        if (!strncmp(s->held_ids[i], qid.p, n) && !s->held_ids[i][n])
            return false;
    char *slot = s->held_ids[s->held_pos++ % (sizeof(s->held_ids) / sizeof(s->held_ids[0]))];
    memcpy(slot, qid.p, n);
    slot[n] = 0;
    return true;
}

/* ---- the milter's content traits ---- */

struct cscore {
    double score;
    int64_t t_us;          /* last message */
    uint32_t msgs;         /* messages with a trait counted */
};

static double decayed(const struct serve *s, const struct cscore *c, int64_t now_us)
{
    if (now_us <= c->t_us)
        return c->score;
    double hl = s->cfg.content_halflife ? (double)s->cfg.content_halflife : 3600.0;
    return c->score * exp2(-(double)(now_us - c->t_us) / 1e6 / hl);
}

/* eviction: the account with the lowest score now goes first */
static double cscore_value(const void *v, void *ctx)
{
    const struct serve *s = ctx;
    return decayed(s, v, (int64_t)s->now_s * 1000000);
}

static uint32_t content_weight(const struct serve_config *c, const struct content_traits *t)
{
    uint32_t w = 0;
    if (t->subject_is_user)
        w += c->content_subject_user;
    if (t->body_one_link)
        w += c->content_one_link;
    else if (t->body_short_link)
        w += c->content_short_link;
    if (!w)
        return 0; /* an empty subject or many recipients alone: photos, mailing lists */
    if (t->subject_empty)
        w += c->content_empty_subject;
    if (c->milter_many_rcpts && t->rcpts >= c->milter_many_rcpts)
        w += c->content_many_rcpts;
    return w;
}

static uint64_t content_finding(struct serve *s, const struct content_envelope *env, const char *traits,
                                double score, uint32_t msgs)
{
    struct outbuf ob;
    const char *client = env->client ? env->client : "";
    notice_open(s, &ob, "content_traits", "high", MW_SLICE(client, strlen(client)),
                MW_SLICE(env->account, strlen(env->account)));
    outbuf_puts(&ob, "\"traits\":");
    outbuf_put_json_string(&ob, traits, strlen(traits));
    outbuf_puts(&ob, ",\"score\":");
    outbuf_put_u64(&ob, (uint64_t)(score + 0.5));
    outbuf_puts(&ob, ",\"messages\":");
    outbuf_put_u64(&ob, msgs);
    if (env->queue_id && *env->queue_id) {
        outbuf_puts(&ob, ",\"queue_id\":");
        outbuf_put_json_string(&ob, env->queue_id, strlen(env->queue_id));
    }
    outbuf_puts(&ob, "},\"summary\":\"the account sends mail with the content traits of the hijack waves "
                     "(Subject = user name, a one-link body): flagged, its mail held\"}");
    s->m.findings++;
    return notice_close(s, &ob, "content_traits");
}

enum content_verdict serve_content(struct serve *s, int64_t now_us, const struct content_traits *t,
                                   const struct content_envelope *env, char *reason, size_t cap)
{
    set_now(s, now_us);
    if (cap)
        reason[0] = 0;
    const char *account = env->account ? env->account : "";
    struct mw_slice acct = MW_SLICE(account, strlen(account));
    if (!acct.n) {
        s->m.milter_accept++;
        return CONTENT_ACCEPT;
    }
    char traits[GUARD_REASON_MAX];
    content_traits_text(t, s->cfg.milter_many_rcpts, traits, sizeof(traits));
    uint32_t w = content_weight(&s->cfg, t);
    double score = 0;
    uint32_t msgs = 0;
    if (w) {
        if (!s->content)
            s->content = ktable_create(s->cfg.max_flags, sizeof(struct cscore), cscore_value, s);
        char key[64];
        size_t kl = guard_key(key, acct.p, acct.n);
        bool fresh;
        struct cscore *c = ktable_put(s->content, key, kl, &fresh);
        c->score = decayed(s, c, now_us) + w;
        c->t_us = now_us;
        c->msgs++;
        score = c->score;
        msgs = c->msgs;
        log_msg(s, "debug", "content: %s: %s (+%u, score %.1f)", account, traits, w, score);
    }
    struct guard_flag *fl = guard_flagged(s->guard, acct);
    if (!fl && w && score >= (double)s->cfg.content_score_flag) {
        uint64_t id = content_finding(s, env, traits, score, msgs);
        char why[GUARD_REASON_MAX + 64]; /* the traits' text is far shorter; the flag keeps GUARD_REASON_MAX */
        snprintf(why, sizeof(why), "content of the hijack waves: %s (score %.0f >= %u)", traits, score,
                 s->cfg.content_score_flag);
        add_flag(s, acct, "content_traits", id, why);
        s->m.content_flags++;
        audit(s, "milter", acct, "flag", why);
        fl = guard_flagged(s->guard, acct);
    }
    if (!fl) {
        s->m.milter_accept++;
        return CONTENT_ACCEPT;
    }
    enum content_verdict v = CONTENT_QUARANTINE;
    const char *act = "hold";
    if (s->cfg.flagged_action == FLAGGED_DEFER) {
        v = CONTENT_TEMPFAIL;
        act = "defer";
        s->m.milter_defer++;
    } else if (s->cfg.flagged_action == FLAGGED_REJECT) {
        v = CONTENT_REJECT;
        act = "reject";
        s->m.milter_reject++;
    } else {
        s->m.milter_quarantine++;
    }
    snprintf(reason, cap, "mailward: account flagged (%s)", fl->kind);
    const char *qid = env->queue_id ? env->queue_id : "";
    if (v == CONTENT_QUARANTINE && held_once(s, MW_SLICE(qid, strlen(qid)))) {
        struct store_held h = {0};
        h.time = s->now_s;
        snprintf(h.account, sizeof(h.account), "%s", account);
        snprintf(h.queue_id, sizeof(h.queue_id), "%.30s", qid);
        snprintf(h.sender, sizeof(h.sender), "%.250s", env->sender ? env->sender : "");
        h.recipients = t->rcpts;
        snprintf(h.reason, sizeof(h.reason), "%s", fl->reason);
        if (store_add_held(s->st, &h) < 0)
            store_failed(s, "save held message");
        fl->held++;
    }
    audit(s, "milter", acct, act, w ? traits : fl->reason);
    return v;
}

static const char *held_text(const struct serve *s)
{
    switch (s->cfg.flagged_action) {
    case FLAGGED_DEFER:
        return "DEFER_IF_PERMIT";
    case FLAGGED_REJECT:
        return "REJECT";
    default:
        return "HOLD";
    }
}

size_t serve_postfix(struct serve *s, int64_t now_us, struct pf_session *ps, const struct pfpol_req *r,
                     char *reply, size_t cap)
{
    set_now(s, now_us);
    s->m.postfix_requests++;
    struct mw_slice acct = r->sasl_username;
    if (!r->is_policy || !acct.n) {
        /* not a submission by an authenticated client: not ours to judge */
        s->m.postfix_dunno++;
        return (size_t)snprintf(reply, cap, "action=DUNNO\n\n");
    }
    s->pf_sasl_seen = true;
    /* a new message (instance) starts a new count */
    if (r->instance.n && (r->instance.n != strlen(ps->instance) || memcmp(ps->instance, r->instance.p, r->instance.n))) {
        size_t n = r->instance.n < sizeof(ps->instance) - 1 ? r->instance.n : sizeof(ps->instance) - 1;
        memcpy(ps->instance, r->instance.p, n);
        ps->instance[n] = 0;
        ps->rcpts = 0;
        ps->held = false;
    }
    struct mw_event ev;
    event_reset(&ev);
    time_of(now_us, &ev.time);
    ev.file = "postfix-policy";
    ev.line = s->seq;
    ev.program = MW_SLICE_LIT("postfix/submission/smtpd");
    ev.service = MW_SVC_SUBMISSION;
    ev.ip = r->client_address;
    ev.account = acct;
    ev.sender = r->sender;
    ev.queue_id = r->queue_id;
    if (r->state == PFPOL_STATE_RCPT && r->recipient.n) {
        /* each recipient as the detectors see a delivery of the account's mail */
        ps->rcpts++;
        ev.kind = MW_KIND_DELIVERY;
        ev.recipient = r->recipient;
        ev.status = MW_SLICE_LIT("submitted");
        feed(s, &ev);
    } else if (r->state == PFPOL_STATE_EOM) {
        ev.kind = MW_KIND_MESSAGE_QUEUED;
        ev.nrcpt = r->recipient_count >= 0 ? (int32_t)(r->recipient_count > INT32_MAX ? INT32_MAX : r->recipient_count)
                                           : (int32_t)ps->rcpts;
        ev.size = r->size;
        feed(s, &ev);
    }
    struct guard_flag *fl = guard_flagged(s->guard, acct);
    if (!fl) {
        s->m.postfix_dunno++;
        return (size_t)snprintf(reply, cap, "action=DUNNO\n\n");
    }
    const char *act = held_text(s);
    if (s->cfg.flagged_action == FLAGGED_HOLD)
        s->m.postfix_hold++;
    else if (s->cfg.flagged_action == FLAGGED_DEFER)
        s->m.postfix_defer++;
    else
        s->m.postfix_reject++;
    /* the message is recorded once, at END-OF-MESSAGE (queue id and count
     * known); a client that gives up before it queued nothing */
    if (r->state == PFPOL_STATE_EOM && held_once(s, r->queue_id)) {
        struct store_held h = {0};
        h.time = s->now_s;
        snprintf(h.account, sizeof(h.account), "%.*s", (int)acct.n, acct.p);
        snprintf(h.queue_id, sizeof(h.queue_id), "%.*s", (int)(r->queue_id.n > 30 ? 30 : r->queue_id.n),
                 r->queue_id.p);
        snprintf(h.sender, sizeof(h.sender), "%.*s", (int)(r->sender.n > 250 ? 250 : r->sender.n), r->sender.p);
        h.recipients = r->recipient_count >= 0 ? (uint32_t)r->recipient_count : ps->rcpts;
        snprintf(h.reason, sizeof(h.reason), "%s", fl->reason);
        if (store_add_held(s->st, &h) < 0)
            store_failed(s, "save held message");
        fl->held++;
        audit(s, "postfix", acct, act, fl->reason);
    }
    ps->held = true;
    if (s->cfg.flagged_action == FLAGGED_DEFER)
        return (size_t)snprintf(reply, cap, "action=DEFER_IF_PERMIT 4.7.1 account under review, try later\n\n");
    if (s->cfg.flagged_action == FLAGGED_REJECT)
        return (size_t)snprintf(reply, cap, "action=REJECT 5.7.1 account locked, contact support\n\n");
    return (size_t)snprintf(reply, cap, "action=%s mailward: account %s (%s)\n\n", act, "flagged", fl->kind);
}

int serve_unban(struct serve *s, const char *key)
{
    int rc = guard_unban(s->guard, key);
    if (rc == 1 && store_del_ban(s->st, key) < 0) {
        store_failed(s, "delete ban");
        return -1;
    }
    if (rc == 1 && s->ban_hook)
        s->ban_hook(key, NULL, 0, s->ban_ctx);
    if (rc == 1)
        log_msg(s, "info", "unban %s (by an admin)", key);
    return rc;
}

int serve_ban(struct serve *s, int64_t now_us, const char *key, uint32_t seconds)
{
    struct guard_ban b = {0};
    b.since = now_us / 1000000;
    b.until = b.since + (seconds ? seconds : s->cfg.ban_seconds);
    snprintf(b.kind, sizeof(b.kind), "admin");
    if (guard_ban(s->guard, key, &b) < 0)
        return -1;
    if (s->ban_hook)
        s->ban_hook(key, &b, b.since, s->ban_ctx);
    if (store_put_ban(s->st, key, &b) < 0) {
        store_failed(s, "save ban");
        return -1;
    }
    return 1;
}

struct release_ctx {
    struct serve *s;
    int ran;
};

static void run_release(const char *queue_id, void *ctx)
{
    struct release_ctx *rc = ctx;
    /* queue ids are hex/alnum from Postfix; refuse anything else before
     * it reaches a shell */
    for (const char *p = queue_id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            return;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s %s", rc->s->cfg.release_command, queue_id);
    int st = system(cmd);
    if (st != 0)
        log_msg(rc->s, "warning", "release: \"%s\" exited with %d", cmd, st);
    rc->ran++;
}

int serve_release(struct serve *s, int64_t now_us, const char *account)
{
    struct mw_slice a = MW_SLICE(account, strlen(account));
    int rc = guard_release(s->guard, a);
    if (s->content) {
        /* a released account starts over (its old score would flag it again) */
        char key[64];
        ktable_remove(s->content, key, guard_key(key, a.p, a.n));
    }
    if (rc == 1) {
        if (store_del_flag(s->st, account) < 0) {
            store_failed(s, "delete flag");
            return -1;
        }
        if (s->cfg.release_command && *s->cfg.release_command) {
            struct release_ctx c = {s, 0};
            store_held_of(s->st, account, run_release, &c);
        }
        store_release_held(s->st, account, now_us / 1000000);
        log_msg(s, "info", "release account %s (by an admin)", account);
    }
    return rc;
}

int serve_flag(struct serve *s, int64_t now_us, const char *account, const char *reason)
{
    s->now_s = now_us / 1000000;
    if (!*account)
        return -1;
    if (guard_flagged(s->guard, MW_SLICE(account, strlen(account))))
        return 0;
    add_flag(s, MW_SLICE(account, strlen(account)), "admin", 0, reason && *reason ? reason : "flagged by an admin");
    return 1;
}

static void forget_ban(const char *key, void *ctx)
{
    struct serve *s = ctx;
    if (store_del_ban(s->st, key) < 0)
        store_failed(s, "delete expired ban");
}

int serve_save(struct serve *s)
{
    char *buf;
    size_t n;
    int rc = snapshot(s, &buf, &n);
    if (!buf)
        return -1;
    if (rc == 0 && store_put_blob(s->st, BASELINE_BLOB, buf, n) < 0) {
        store_failed(s, "save baselines");
        rc = -1;
    }
    free(buf);
    return rc;
}

struct resync_ctx {
    struct serve *s;
    int failed;
};

static void resync_ban(const char *key, const struct guard_ban *b, void *ctx)
{
    struct resync_ctx *c = ctx;
    if (!c->failed && store_put_ban(c->s->st, key, b) < 0)
        c->failed = 1;
}

static void resync_flag(const char *account, const struct guard_flag *f, void *ctx)
{
    struct resync_ctx *c = ctx;
    if (!c->failed && store_put_flag(c->s->st, account, f) < 0)
        c->failed = 1;
}

/* after a failed write (locked database, full disk): write every ban and
 * flag held in memory again, once a second until it works */
static void resync(struct serve *s, int64_t now)
{
    if (!s->resync || now - s->last_resync < 1)
        return;
    s->last_resync = now;
    struct resync_ctx c = {s, 0};
    guard_foreach_ban(s->guard, resync_ban, &c);
    if (!c.failed)
        guard_foreach_flag(s->guard, resync_flag, &c);
    if (c.failed) {
        store_failed(s, "re-save bans and flags");
        return;
    }
    s->resync = false;
    log_msg(s, "info", "state store: bans and flags saved again after the earlier error");
}

void serve_tick(struct serve *s, int64_t now_us)
{
    int64_t now = now_us / 1000000;
    s->now_s = now;
    resync(s, now);
    if (now - s->last_expire >= 10) {
        s->last_expire = now;
        guard_expire(s->guard, now, forget_ban, s);
    }
    if (now - s->last_dirty >= FINDING_SAVE_S) {
        s->last_dirty = now;
        size_t nf = engine_nfindings(s->eng);
        for (size_t i = 0; i < nf && i < s->nfs; i++)
            if (s->fs[i].dirty)
                save_finding(s, engine_finding_at(s->eng, i), &s->fs[i]);
    }
    if (!s->last_snapshot)
        s->last_snapshot = now;
    if (now - s->last_snapshot >= SNAPSHOT_S) {
        s->last_snapshot = now;
        serve_save(s);
    }
    serve_commit(s);
}

int serve_commit_durable(struct serve *s)
{
    return store_commit_needed(s->st) ? serve_commit(s) : 0;
}

int serve_commit(struct serve *s)
{
    if (store_flush(s->st) == 0)
        return 0;
    /* the group's bans and flags were rolled back: write them all again */
    store_failed(s, "commit");
    s->resync = true;
    return -1;
}

const struct serve_metrics *serve_metrics(const struct serve *s)
{
    return &s->m;
}

struct guard *serve_guard(struct serve *s)
{
    return s->guard;
}

struct store *serve_store(struct serve *s)
{
    return s->st;
}

size_t serve_memory(const struct serve *s)
{
    return engine_memory(s->eng);
}
