/*
 * attempts - folding duplicate login lines into attempts (see attempts.h).
 */
#include "attempts.h"
#include "../util/ktable.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <string.h>

#define PENDING_US (5 * 1000000LL)   /* a passdb line waits this long for its partner */
#define SAME_ATTEMPT_US 1000000LL    /* a success this soon after a miss is the same attempt */
#define QUEUE_CAP 65536

/* a passdb line not yet settled, with copies of what it said */
struct pend {
    bool active;
    bool miss;                   /* a passdb_miss: no verdict by itself */
    int64_t t_us;
    struct mw_time time;         /* of the line, to report the attempt */
    const char *file;            /* input name (lives as long as the run) */
    uint64_t line;
    char ip[46], account[128], fp[48], reason[24];
    uint8_t iplen, accountlen, fplen, reasonlen;
};

/* per Dovecot session (small: every failed login has one); a pending
 * passdb_miss lives apart, in spends, only for setups with several passdbs */
struct sess {
    uint32_t counted;            /* failures already emitted for this session */
    uint32_t seen;               /* order of the last line, for eviction */
    uint8_t has_pend;
};

struct qent {
    char key[KTABLE_KEY_MAX];
    uint8_t keylen;
    int64_t t_us;
};

struct attempts {
    struct ktable *sessions;     /* "s:<session>" -> struct sess */
    struct ktable *spends;       /* "s:<session>" -> struct pend (a passdb_miss) */
    uint32_t order;
    struct ktable *loose;        /* "a:<ip>|<account>" -> struct pend (no session id) */
    struct ktable *by_ip;        /* "i:<ip>" -> struct pend (latest loose from that ip) */
    struct qent *queue;          /* FIFO of loose pends by time */
    size_t qhead, qlen;
    int64_t now_us;
    attempts_emit_fn emit;
    void *ctx;
};

static double score_sess(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct sess *)v)->seen;
}

static double score_pend(const void *v, void *ctx)
{
    (void)ctx;
    return (double)((const struct pend *)v)->t_us;
}

struct attempts *attempts_create(size_t max_keys, attempts_emit_fn emit, void *ctx)
{
    struct attempts *t = xcalloc(1, sizeof(*t));
    size_t cap = max_keys ? max_keys : 200000;
    t->sessions = ktable_create(cap, sizeof(struct sess), score_sess, NULL);
    t->spends = ktable_create(cap / 4 + 16, sizeof(struct pend), score_pend, NULL);
    t->loose = ktable_create(cap / 4 + 16, sizeof(struct pend), score_pend, NULL);
    t->by_ip = ktable_create(cap / 4 + 16, sizeof(struct pend), score_pend, NULL);
    t->queue = xcalloc(QUEUE_CAP, sizeof(*t->queue));
    t->emit = emit;
    t->ctx = ctx;
    return t;
}

void attempts_free(struct attempts *t)
{
    if (!t)
        return;
    ktable_free(t->sessions);
    ktable_free(t->spends);
    ktable_free(t->loose);
    ktable_free(t->by_ip);
    free(t->queue);
    free(t);
}

static void copy_in(char *dst, uint8_t *len, size_t cap, struct mw_slice v)
{
    size_t n = v.p ? (v.n < cap ? v.n : cap) : 0;
    if (n)
        memcpy(dst, v.p, n);
    *len = (uint8_t)n;
}

static struct mw_slice out(const char *s, uint8_t n)
{
    return n ? MW_SLICE(s, n) : (struct mw_slice){NULL, 0};
}

static void pend_set(struct pend *p, const struct mw_event *ev)
{
    p->active = true;
    p->miss = ev->kind == MW_KIND_PASSDB_MISS;
    p->t_us = ev->time.epoch_us;
    p->time = ev->time;
    p->file = ev->file;
    p->line = ev->line;
    copy_in(p->ip, &p->iplen, sizeof(p->ip), ev->ip);
    copy_in(p->account, &p->accountlen, sizeof(p->account), ev->account);
    copy_in(p->fp, &p->fplen, sizeof(p->fp), ev->pw_fingerprint);
    copy_in(p->reason, &p->reasonlen, sizeof(p->reason), ev->reason);
}

/* an attempt from an event (slices straight from it) */
static void from_event(struct attempt *a, const struct mw_event *ev)
{
    memset(a, 0, sizeof(*a));
    a->ev = ev;
    a->time = ev->time;
    a->ip = ev->ip;
    a->account = ev->account;
    a->method = ev->method;
    a->pw_fingerprint = ev->pw_fingerprint;
    a->reason = ev->reason;
    a->service = ev->service;
    a->tls = ev->tls;
    a->secured = ev->secured;
}

/* emit a pending passdb line as one failed attempt */
static void emit_pend(struct attempts *t, struct pend *p)
{
    if (!p->active)
        return;
    p->active = false;
    struct mw_event ev;
    event_reset(&ev);
    ev.kind = MW_KIND_AUTH_FAILURE;
    ev.time = p->time;
    ev.file = p->file;
    ev.line = p->line;
    ev.ip = out(p->ip, p->iplen);
    ev.account = out(p->account, p->accountlen);
    ev.pw_fingerprint = out(p->fp, p->fplen);
    ev.reason = out(p->reason, p->reasonlen);
    struct attempt a;
    from_event(&a, &ev);
    a.failures = 1;
    t->emit(&a, t->ctx);
}

static int key_of(char *buf, size_t cap, char tag, struct mw_slice a, struct mw_slice b)
{
    int n = snprintf(buf, cap, "%c:%.*s|%.*s", tag, (int)(a.n > 46 ? 46 : a.n), a.p ? a.p : "",
                     (int)(b.n > 64 ? 64 : b.n), b.p ? b.p : "");
    return n < (int)cap ? n : (int)cap - 1;
}

/* a loose passdb line nobody claimed: a final "no" was a failed attempt
 * (a SASL client that logs nothing itself); a miss that no SASL client
 * reported as failed was accepted by the next passdb */
static void settle_loose(struct attempts *t, struct pend *p)
{
    if (p->miss)
        p->active = false;
    else
        emit_pend(t, p);
}

/* settle loose pends older than PENDING_US */
static void expire(struct attempts *t, bool all)
{
    while (t->qlen) {
        struct qent *q = &t->queue[t->qhead];
        if (!all && q->t_us + PENDING_US > t->now_us)
            break;
        struct pend *p = ktable_get(t->loose, q->key, q->keylen);
        if (p && p->active && p->t_us == q->t_us)
            settle_loose(t, p);
        t->qhead = (t->qhead + 1) % QUEUE_CAP;
        t->qlen--;
    }
}

static void loose_add(struct attempts *t, const struct mw_event *ev)
{
    char key[KTABLE_KEY_MAX];
    int kl = key_of(key, sizeof(key), 'a', ev->ip, ev->account);
    struct pend *p = ktable_put(t->loose, key, (size_t)kl, NULL);
    if (p->active)
        settle_loose(t, p); /* an earlier one from the same client */
    pend_set(p, ev);
    char ikey[KTABLE_KEY_MAX];
    int il = key_of(ikey, sizeof(ikey), 'i', ev->ip, (struct mw_slice){NULL, 0});
    struct pend *ip = ktable_put(t->by_ip, ikey, (size_t)il, NULL);
    pend_set(ip, ev);
    if (t->qlen == QUEUE_CAP) {
        /* full: settle the oldest now */
        struct qent *q = &t->queue[t->qhead];
        struct pend *old = ktable_get(t->loose, q->key, q->keylen);
        if (old && old->active && old->t_us == q->t_us)
            settle_loose(t, old);
        t->qhead = (t->qhead + 1) % QUEUE_CAP;
        t->qlen--;
    }
    struct qent *q = &t->queue[(t->qhead + t->qlen) % QUEUE_CAP];
    memcpy(q->key, key, (size_t)kl);
    q->keylen = (uint8_t)kl;
    q->t_us = ev->time.epoch_us;
    t->qlen++;
}

/* the loose pend a Postfix/other SASL line refers to, or NULL */
static struct pend *loose_match(struct attempts *t, const struct mw_event *ev)
{
    char key[KTABLE_KEY_MAX];
    struct pend *p = NULL;
    if (ev->account.n) {
        int kl = key_of(key, sizeof(key), 'a', ev->ip, ev->account);
        p = ktable_get(t->loose, key, (size_t)kl);
    } else {
        int il = key_of(key, sizeof(key), 'i', ev->ip, (struct mw_slice){NULL, 0});
        struct pend *ip = ktable_get(t->by_ip, key, (size_t)il);
        if (ip && ip->active) {
            int kl = key_of(key, sizeof(key), 'a', out(ip->ip, ip->iplen),
                            out(ip->account, ip->accountlen));
            p = ktable_get(t->loose, key, (size_t)kl);
        }
    }
    if (p && p->active && ev->time.epoch_us - p->t_us <= PENDING_US &&
        ev->time.epoch_us >= p->t_us - SAME_ATTEMPT_US)
        return p;
    return NULL;
}

static bool is_passdb_line(const struct mw_event *ev)
{
    /* Dovecot auth/auth-worker lines carry no service; login lines do */
    return ev->service == MW_SVC_UNKNOWN && !ev->queue_id.p;
}

void attempts_event(struct attempts *t, const struct mw_event *ev)
{
    if (ev->time.epoch_us > t->now_us)
        t->now_us = ev->time.epoch_us;
    expire(t, false);

    bool fail = ev->kind == MW_KIND_AUTH_FAILURE;
    bool miss = ev->kind == MW_KIND_PASSDB_MISS;
    bool ok = ev->kind == MW_KIND_AUTH_SUCCESS || ev->kind == MW_KIND_PLAINTEXT_LOGIN;
    if (!fail && !miss && !ok)
        return;

    struct attempt a;
    from_event(&a, ev);
    a.success = ok;
    a.cleartext = ev->kind == MW_KIND_PLAINTEXT_LOGIN;

    if (ev->session.n) {
        char key[KTABLE_KEY_MAX];
        int kl = key_of(key, sizeof(key), 's', ev->session, (struct mw_slice){NULL, 0});
        struct sess *s = ktable_put(t->sessions, key, (size_t)kl, NULL);
        s->seen = ++t->order;
        struct pend *sp = s->has_pend ? ktable_get(t->spends, key, (size_t)kl) : NULL;
        bool pending = sp && sp->active;
        if (miss) {
            if (pending) {
                emit_pend(t, sp); /* a previous miss got no success: it failed */
                s->counted++;
            }
            sp = ktable_put(t->spends, key, (size_t)kl, NULL);
            pend_set(sp, ev);
            s->has_pend = 1;
            return;
        }
        if (fail && is_passdb_line(ev)) {
            /* the final passdb said no: one failed attempt (merging a miss just before) */
            if (pending && ev->time.epoch_us - sp->t_us <= SAME_ATTEMPT_US) {
                if (!a.pw_fingerprint.n)
                    a.pw_fingerprint = out(sp->fp, sp->fplen);
                sp->active = false;
            } else if (pending) {
                emit_pend(t, sp);
                s->counted++;
            }
            a.failures = 1;
            s->counted++;
            t->emit(&a, t->ctx);
            return;
        }
        if (fail) {
            /* the login process's verdict: N attempts in all */
            if (pending) {
                emit_pend(t, sp);
                s->counted++;
            }
            uint32_t n = ev->attempts > 0 ? (uint32_t)ev->attempts : 1;
            if (n > s->counted) {
                a.failures = n - s->counted;
                t->emit(&a, t->ctx);
            }
            if (s->has_pend)
                ktable_remove(t->spends, key, (size_t)kl);
            ktable_remove(t->sessions, key, (size_t)kl);
            return;
        }
        /* success */
        if (pending) {
            if (ev->time.epoch_us - sp->t_us > SAME_ATTEMPT_US)
                emit_pend(t, sp); /* a wrong password, then the right one */
            else
                sp->active = false; /* the next passdb accepted that same attempt */
        }
        if (s->has_pend)
            ktable_remove(t->spends, key, (size_t)kl);
        ktable_remove(t->sessions, key, (size_t)kl);
        t->emit(&a, t->ctx);
        return;
    }

    /* no session id */
    if ((fail || miss) && is_passdb_line(ev) && ev->ip.n) {
        loose_add(t, ev); /* wait for the SASL client's own line (Postfix) */
        return;
    }
    struct pend *p = ev->ip.n ? loose_match(t, ev) : NULL;
    if (fail) {
        if (p) {
            if (!a.pw_fingerprint.n)
                a.pw_fingerprint = out(p->fp, p->fplen);
            if (!a.account.n)
                a.account = out(p->account, p->accountlen);
            if (!a.reason.n)
                a.reason = out(p->reason, p->reasonlen);
            p->active = false;
        }
        a.failures = ev->attempts > 0 ? (uint32_t)ev->attempts : 1;
        t->emit(&a, t->ctx);
        return;
    }
    if (ok && p)
        p->active = false; /* the login the passdb lines were about succeeded */
    if (fail || miss)
        return;
    t->emit(&a, t->ctx);
}

static void flush_pend(const char *key, size_t keylen, void *value, void *ctx)
{
    (void)key;
    (void)keylen;
    struct pend *p = value;
    if (p->active)
        emit_pend(ctx, p); /* the verdict line never came: it was no success */
}

size_t attempts_memory_for(size_t max_keys)
{
    size_t cap = max_keys ? max_keys : 200000;
    return sizeof(struct attempts) + ktable_size(cap, sizeof(struct sess)) +
           3 * ktable_size(cap / 4 + 16, sizeof(struct pend)) + QUEUE_CAP * sizeof(struct qent);
}

void attempts_flush(struct attempts *t)
{
    expire(t, true);
    ktable_foreach(t->spends, flush_pend, t);
}
