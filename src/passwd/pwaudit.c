/*
 * pwaudit - the multi-threaded guessing engine of `passwd audit` (pwaudit.h).
 */
#include "pwaudit.h"

#include "pwcand.h"
#include "pwlist.h"
#include "pwverify.h"

#include "../util/xalloc.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* guesses a task: few for slow hashes, so they spread over the cores; many
 * for the fast digests, so the shared counters are not touched per guess */
static size_t chunk_of(enum pwscheme s)
{
    switch (s) {
    case PWS_SSHA512: case PWS_SSHA256: case PWS_SSHA: case PWS_SMD5: case PWS_SHA512:
    case PWS_SHA256: case PWS_SHA1: case PWS_MD5: case PWS_PLAIN:
        return 512;
    case PWS_MD5_CRYPT: case PWS_DES_CRYPT:
        return 16;
    default:
        return 4;
    }
}

struct task {
    uint32_t item, from, to;
};

struct run {
    const struct pwaudit_opts *o;
    struct pwaudit_item *items;
    struct task *tasks;
    size_t ntasks;
    atomic_size_t next;
    atomic_uint_fast64_t done;
    pthread_mutex_t mu;  /* guards finished, signals cv when a worker ends */
    pthread_cond_t cv;
    unsigned finished;
};

void pwaudit_defaults(struct pwaudit_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->top_n = 100;
    o->user_guesses = 40;
    o->year = 2025;
    o->threads = 1;
}

static size_t top_of(const struct pwaudit_opts *o)
{
    size_t n = pwlist_count(o->list);
    return n < o->top_n ? n : o->top_n;
}

static const char *guess_at(const struct run *r, const struct pwaudit_item *it, size_t i, size_t *len)
{
    if (i < it->nuser) {
        *len = strlen(it->user[i]);
        return it->user[i];
    }
    return pwlist_entry(r->o->list, i - it->nuser, len);
}

static void *worker(void *arg)
{
    struct run *r = arg;
    struct pwverify *v = pwverify_create();
    for (;;) {
        size_t t = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
        if (t >= r->ntasks)
            break;
        const struct task *tk = &r->tasks[t];
        struct pwaudit_item *it = &r->items[tk->item];
        uint64_t tried = 0;
        for (uint32_t i = tk->from; i < tk->to; i++) {
            if (atomic_load_explicit(&it->best, memory_order_relaxed) < (long)i ||
                atomic_load_explicit(&it->failed_a, memory_order_relaxed))
                break;
            size_t len;
            const char *g = guess_at(r, it, i, &len);
            int m = pwverify_check(v, &it->e, g, len);
            tried++;
            if (m < 0) {
                int expected = 0;
                if (atomic_compare_exchange_strong(&it->failed_a, &expected, 1))
                    snprintf(it->error, sizeof(it->error), "%s", pwverify_error(v));
                break;
            }
            if (m == 1) {
                long cur = atomic_load(&it->best);
                while ((long)i < cur && !atomic_compare_exchange_weak(&it->best, &cur, (long)i))
                    ;
                break;
            }
        }
        atomic_fetch_add_explicit(&it->tried_a, tried, memory_order_relaxed);
        /* skipped guesses count as done for the progress display */
        atomic_fetch_add_explicit(&r->done, tk->to - tk->from, memory_order_relaxed);
    }
    pwverify_free(v);
    pthread_mutex_lock(&r->mu);
    r->finished++;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

uint64_t pwaudit_run(const struct pwaudit_opts *o, struct pwaudit_item *items, size_t n,
                     pwaudit_progress_fn progress, void *arg)
{
    struct run r;
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.items = items;
    size_t top = top_of(o), cap = 0;
    uint64_t total = 0;
    for (size_t k = 0; k < n; k++) {
        struct pwaudit_item *it = &items[k];
        it->found = -1;
        it->source = PWA_NONE;
        it->rank = -1;
        it->found_pw = NULL;
        it->tried = 0;
        it->failed = 0;
        it->error[0] = '\0';
        atomic_init(&it->best, LONG_MAX);
        atomic_init(&it->tried_a, 0);
        atomic_init(&it->failed_a, 0);
        it->user = NULL;
        it->nuser = 0;
        if (it->e.scheme == PWS_NOPASSWORD)
            continue;
        struct pwctx ctx;
        struct pwcand_list l = {0};
        pwcand_context(&ctx, it->e.user, NULL);
        pwcand_user(&l, &ctx, o->year, o->user_guesses);
        it->user = l.s;
        it->nuser = l.n;
        size_t guesses = it->nuser + top;
        size_t chunk = chunk_of(it->e.scheme);
        for (size_t from = 0; from < guesses; from += chunk) {
            if (r.ntasks == cap) {
                cap = cap ? 2 * cap : 1024;
                r.tasks = xrealloc(r.tasks, cap * sizeof(*r.tasks));
            }
            size_t to = from + chunk < guesses ? from + chunk : guesses;
            r.tasks[r.ntasks++] = (struct task){(uint32_t)k, (uint32_t)from, (uint32_t)to};
        }
        total += guesses;
    }
    unsigned nth = o->threads ? o->threads : 1;
    if (nth > r.ntasks)
        nth = r.ntasks ? (unsigned)r.ntasks : 1;
    pthread_t *th = xcalloc(nth, sizeof(*th));
    pthread_mutex_init(&r.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r.cv, &ca);
    pthread_condattr_destroy(&ca);
    unsigned started = 0;
    for (unsigned i = 0; i < nth; i++)
        if (pthread_create(&th[i], NULL, worker, &r) == 0)
            started++;
        else
            break;
    if (!started) { /* no threads to be had: do it here */
        worker(&r);
        r.finished = 0;
    }
    /* wake when a worker ends, or every 100 ms for the progress line */
    pthread_mutex_lock(&r.mu);
    while (r.finished < started) {
        if (progress) {
            pthread_mutex_unlock(&r.mu);
            progress(arg, atomic_load(&r.done), total);
            pthread_mutex_lock(&r.mu);
            if (r.finished >= started)
                break;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += 100 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&r.cv, &r.mu, &ts);
        } else {
            pthread_cond_wait(&r.cv, &r.mu);
        }
    }
    pthread_mutex_unlock(&r.mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    free(r.tasks);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
    if (progress)
        progress(arg, total, total);
    uint64_t hashed = 0;
    for (size_t k = 0; k < n; k++) {
        struct pwaudit_item *it = &items[k];
        it->tried = atomic_load(&it->tried_a);
        hashed += it->tried;
        it->failed = atomic_load(&it->failed_a);
        long b = atomic_load(&it->best);
        if (b != LONG_MAX) {
            size_t len;
            const char *g = guess_at(&r, it, (size_t)b, &len);
            it->found = b;
            it->found_pw = xstrndup(g, len);
            it->source = (size_t)b < it->nuser ? PWA_USER : PWA_LIST;
            it->rank = it->source == PWA_LIST ? b - (long)it->nuser : -1;
        }
    }
    return hashed;
}

void pwaudit_item_clear(struct pwaudit_item *it)
{
    if (it->found_pw) {
        explicit_bzero(it->found_pw, strlen(it->found_pw));
        free(it->found_pw);
        it->found_pw = NULL;
    }
    struct pwcand_list l = {it->user, it->nuser, it->nuser};
    pwcand_list_free(&l);
    it->user = NULL;
    it->nuser = 0;
    explicit_bzero(&it->e, sizeof(it->e));
}
