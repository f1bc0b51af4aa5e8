/*
 * milter - libmilter callbacks and the thread-safe handoff of their
 * requests to serve on the event loop (see milter.h).
 *
 * One filter per process (libmilter's rule), so the shared state is one
 * static struct: its mutex guards the request queue, the counters and the
 * closing flag. Each request has its own condition variable (monotonic
 * clock) so a verdict wakes only its waiter. Nothing here logs a message
 * body or a Subject.
 */
#include "milter.h"

#include "milter_traits.h"
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <event2/event.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX 1024
#define REASON_MAX 200

struct mreq {
    struct mreq *next;
    pthread_cond_t cv;
    int refs;                         /* the waiter and the queue/loop */
    bool done;
    struct content_traits t;
    char account[CONTENT_ACCOUNT_MAX], sender[CONTENT_ACCOUNT_MAX], queue_id[32], client[64];
    enum content_verdict verdict;
    char reason[REASON_MAX];
    char decided[REASON_MAX]; /* the loop's reason before it is handed over */
};

struct milter {
    struct event_base *base;
    struct serve *serve;
    struct event *wake, *timer;
    pthread_t thread;
    bool thread_started;
    char spec[512];                   /* the listen spec, to wake the listener at stop */
};

static struct {
    pthread_mutex_t mu;
    bool started;                     /* milter_start ran once in this process */
    bool closing;                     /* milter_stop: answer "accept" from now on */
    bool stop_asked;                  /* smfi_stop was ours */
    struct mreq *head, *tail;
    size_t queued;
    uint64_t unauth, timeouts, full;
    uint32_t timeout_s;
    size_t body_max;
    int efd;
} G = {.mu = PTHREAD_MUTEX_INITIALIZER, .efd = -1};

/* per SMTP connection (smfi_setpriv) */
struct mconn {
    char client[64];
    bool active;                      /* an authenticated message is being collected */
    struct content_msg msg;
};

/* ---- the milter threads' side ---- */

static void req_unref(struct mreq *r)
{
    /* G.mu held */
    if (--r->refs == 0) {
        pthread_cond_destroy(&r->cv);
        free(r);
    }
}

/* ask the loop; fail-open: CONTENT_ACCEPT on timeout, a full queue or stop */
static enum content_verdict ask_loop(const struct mconn *c, const char *queue_id, char *reason, size_t cap)
{
    struct mreq *r = calloc(1, sizeof(*r));
    if (!r)
        return CONTENT_ACCEPT;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    content_msg_traits(&c->msg, &r->t);
    snprintf(r->account, sizeof(r->account), "%s", c->msg.account);
    snprintf(r->sender, sizeof(r->sender), "%s", c->msg.sender);
    snprintf(r->queue_id, sizeof(r->queue_id), "%s", queue_id ? queue_id : "");
    snprintf(r->client, sizeof(r->client), "%s", c->client);
    r->refs = 2;

    pthread_mutex_lock(&G.mu);
    if (G.closing || G.efd < 0 || G.queued >= QUEUE_MAX) {
        if (!G.closing && G.efd >= 0)
            G.full++;
        r->refs = 1;
        req_unref(r);
        pthread_mutex_unlock(&G.mu);
        return CONTENT_ACCEPT;
    }
    if (G.tail)
        G.tail->next = r;
    else
        G.head = r;
    G.tail = r;
    G.queued++;
    uint32_t wait_s = G.timeout_s;
    int efd = G.efd;
    uint64_t one = 1;
    /* under the mutex: milter_stop closes efd only while holding it */
    if (write(efd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        /* the loop will still see the queue on its next wake or timer */
    }
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += wait_s;
    while (!r->done && !G.closing) {
        if (pthread_cond_timedwait(&r->cv, &G.mu, &dl) == ETIMEDOUT)
            break;
    }
    enum content_verdict v = CONTENT_ACCEPT;
    if (r->done) {
        v = r->verdict;
        snprintf(reason, cap, "%s", r->reason);
    } else if (!G.closing) {
        G.timeouts++;
    }
    req_unref(r);
    pthread_mutex_unlock(&G.mu);
    return v;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
    (void)host;
    struct mconn *c = calloc(1, sizeof(*c));
    if (!c)
        return SMFIS_ACCEPT;
    pthread_mutex_lock(&G.mu);
    size_t body_max = G.body_max;
    pthread_mutex_unlock(&G.mu);
    content_msg_init(&c->msg, body_max);
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, c->client, sizeof(c->client));
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, c->client, sizeof(c->client));
    smfi_setpriv(ctx, c);
    return SMFIS_CONTINUE;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    struct mconn *c = smfi_getpriv(ctx);
    if (!c)
        return SMFIS_ACCEPT;
    content_msg_reset(&c->msg);
    c->active = false;
    const char *auth = smfi_getsymval(ctx, "{auth_authen}");
    if (!auth || !*auth) {
        /* not one of our accounts submitting: not ours to judge */
        pthread_mutex_lock(&G.mu);
        G.unauth++;
        pthread_mutex_unlock(&G.mu);
        return SMFIS_ACCEPT;
    }
    c->active = true;
    snprintf(c->msg.account, sizeof(c->msg.account), "%s", auth);
    const char *from = argv && argv[0] ? argv[0] : "";
    size_t n = strlen(from);
    if (n >= 2 && from[0] == '<' && from[n - 1] == '>')
        snprintf(c->msg.sender, sizeof(c->msg.sender), "%.*s", (int)(n - 2), from + 1);
    else
        snprintf(c->msg.sender, sizeof(c->msg.sender), "%s", from);
    return SMFIS_CONTINUE;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    (void)argv;
    struct mconn *c = smfi_getpriv(ctx);
    if (c && c->active && c->msg.rcpts < UINT32_MAX)
        c->msg.rcpts++;
    return SMFIS_CONTINUE;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
    struct mconn *c = smfi_getpriv(ctx);
    if (c && c->active)
        content_msg_header(&c->msg, name, value);
    return SMFIS_CONTINUE;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
    struct mconn *c = smfi_getpriv(ctx);
    if (c && c->active)
        content_msg_body(&c->msg, p, n);
    return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
    struct mconn *c = smfi_getpriv(ctx);
    if (!c || !c->active)
        return SMFIS_CONTINUE;
    c->active = false;
    char reason[REASON_MAX] = "";
    enum content_verdict v = ask_loop(c, smfi_getsymval(ctx, "i"), reason, sizeof(reason));
    content_msg_reset(&c->msg);
    switch (v) {
    case CONTENT_QUARANTINE:
        smfi_quarantine(ctx, reason);
        return SMFIS_ACCEPT;
    case CONTENT_TEMPFAIL:
        smfi_setreply(ctx, "451", "4.7.1", "account under review, try later");
        return SMFIS_TEMPFAIL;
    case CONTENT_REJECT:
        smfi_setreply(ctx, "550", "5.7.1", "account locked, contact support");
        return SMFIS_REJECT;
    default:
        return SMFIS_CONTINUE;
    }
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    struct mconn *c = smfi_getpriv(ctx);
    if (c) {
        c->active = false;
        content_msg_reset(&c->msg);
    }
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    struct mconn *c = smfi_getpriv(ctx);
    if (c) {
        content_msg_free(&c->msg);
        free(c);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "mailward",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_QUARANTINE,
    .xxfi_connect = cb_connect,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
};

static void *milter_thread(void *arg)
{
    (void)arg;
    /* the loop's thread takes SIGTERM, SIGINT, SIGHUP; libmilter's threads
     * (all started from here) inherit this mask */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    int rc = smfi_main();
    pthread_mutex_lock(&G.mu);
    bool asked = G.stop_asked;
    pthread_mutex_unlock(&G.mu);
    if (!asked)
        fprintf(stderr, "mailward serve: milter: libmilter stopped by itself (%s); mail passes the milter "
                        "unchecked until mailward restarts\n",
                rc == MI_SUCCESS ? "it took a signal meant for the daemon" : "listener error");
    return NULL;
}

static void *stop_thread(void *arg)
{
    (void)arg;
    smfi_stop();
    return NULL;
}

/* connect to our own listener and hang up (wakes libmilter's select) */
static void poke(const char *spec)
{
    const char *colon = strchr(spec, ':');
    bool is_inet = !strncmp(spec, "inet:", 5) || !strncmp(spec, "inet6:", 6);
    if (!is_inet) {
        struct sockaddr_un un = {0};
        un.sun_family = AF_UNIX;
        const char *path = colon ? colon + 1 : spec;
        if (strlen(path) >= sizeof(un.sun_path))
            return;
        strcpy(un.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0) {
            connect(fd, (struct sockaddr *)&un, sizeof(un));
            close(fd);
        }
        return;
    }
    char port[16], host[256];
    const char *at = strchr(colon + 1, '@');
    snprintf(port, sizeof(port), "%.*s", (int)(at ? at - colon - 1 : (long)strlen(colon + 1)), colon + 1);
    bool v6 = !strncmp(spec, "inet6:", 6);
    snprintf(host, sizeof(host), "%s", at && at[1] ? at + 1 : (v6 ? "::1" : "127.0.0.1"));
    if (!strcmp(host, "0.0.0.0"))
        snprintf(host, sizeof(host), "127.0.0.1");
    else if (!strcmp(host, "::"))
        snprintf(host, sizeof(host), "::1");
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = v6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
        return;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0) {
        connect(fd, ai->ai_addr, ai->ai_addrlen);
        close(fd);
    }
    freeaddrinfo(ai);
}

/* ---- the loop's side ---- */

static void copy_metrics(struct milter *m)
{
    struct serve_metrics *sm = (struct serve_metrics *)serve_metrics(m->serve);
    pthread_mutex_lock(&G.mu);
    sm->milter_unauth = G.unauth;
    sm->milter_timeouts = G.timeouts;
    sm->milter_queue_full = G.full;
    pthread_mutex_unlock(&G.mu);
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct milter *m = arg;
    uint64_t n;
    if (fd >= 0 && read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        /* nothing to reset; the queue below is what counts */
    }
    pthread_mutex_lock(&G.mu);
    struct mreq *list = G.head;
    G.head = G.tail = NULL;
    G.queued = 0;
    pthread_mutex_unlock(&G.mu);
    /* decide all, commit the store once (flags and held mail durable),
     * then answer the waiting milter threads */
    for (struct mreq *r = list; r; r = r->next) {
        /* the waiter never changes these fields: read them without the lock */
        struct content_envelope env = {r->account, r->queue_id, r->sender, r->client};
        r->verdict = serve_content(m->serve, wall_us(), &r->t, &env, r->decided, sizeof(r->decided));
    }
    if (list)
        serve_commit_durable(m->serve);
    while (list) {
        struct mreq *r = list;
        list = r->next;
        pthread_mutex_lock(&G.mu);
        snprintf(r->reason, sizeof(r->reason), "%s", r->decided);
        r->done = true;
        pthread_cond_signal(&r->cv);
        req_unref(r);
        pthread_mutex_unlock(&G.mu);
    }
    copy_metrics(m);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    copy_metrics(arg);
}

struct milter *milter_start(const struct serve_config *cfg, struct event_base *base, struct serve *s, char *err,
                            size_t errlen)
{
    pthread_mutex_lock(&G.mu);
    bool again = G.started;
    G.started = true;
    G.closing = G.stop_asked = false;
    G.timeout_s = cfg->milter_timeout ? cfg->milter_timeout : 2;
    G.body_max = cfg->milter_body_max ? cfg->milter_body_max : 65536;
    pthread_mutex_unlock(&G.mu);
    if (again) {
        snprintf(err, errlen, "milter: libmilter runs one filter per process, and it ran already");
        return NULL;
    }
    const char *spec = cfg->milter;
    if (smfi_register(desc) != MI_SUCCESS || smfi_setconn((char *)spec) != MI_SUCCESS) {
        snprintf(err, errlen, "milter \"%s\": libmilter refused it (expected inet:PORT@ADDR or unix:PATH)", spec);
        return NULL;
    }
    smfi_setbacklog(128);
    if (smfi_opensocket(true) != MI_SUCCESS) {
        snprintf(err, errlen, "milter: cannot listen on %s (taken? a bad address? libmilter logs why to syslog)",
                 spec);
        return NULL;
    }
    /* Postfix's smtpd (user postfix) must be able to connect to a socket file */
    if (!strncmp(spec, "unix:", 5) || !strncmp(spec, "local:", 6))
        chmod(strchr(spec, ':') + 1, 0666);
    struct milter *m = calloc(1, sizeof(*m));
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!m || efd < 0) {
        snprintf(err, errlen, "milter: %s", strerror(errno));
        free(m);
        if (efd >= 0)
            close(efd);
        return NULL;
    }
    m->base = base;
    m->serve = s;
    snprintf(m->spec, sizeof(m->spec), "%s", spec);
    m->wake = event_new(base, efd, EV_READ | EV_PERSIST, on_wake, m);
    m->timer = event_new(base, -1, EV_PERSIST, on_timer, m);
    struct timeval sec = {1, 0};
    if (!m->wake || !m->timer || event_add(m->wake, NULL) < 0 || event_add(m->timer, &sec) < 0) {
        snprintf(err, errlen, "milter: cannot watch the wake-up eventfd");
        if (m->wake)
            event_free(m->wake);
        if (m->timer)
            event_free(m->timer);
        close(efd);
        free(m);
        return NULL;
    }
    pthread_mutex_lock(&G.mu);
    G.efd = efd;
    pthread_mutex_unlock(&G.mu);
    if (pthread_create(&m->thread, NULL, milter_thread, NULL) != 0) {
        snprintf(err, errlen, "milter: cannot start its thread");
        milter_stop(m);
        return NULL;
    }
    m->thread_started = true;
    fprintf(stderr, "mailward serve: milter listening on %s (authenticated mail: content traits)\n", spec);
    return m;
}

void milter_stop(struct milter *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&G.mu);
    G.closing = true;
    G.stop_asked = true;
    /* requests never taken by the loop: their waiters accept */
    for (struct mreq *r = G.head, *next; r; r = next) {
        next = r->next;
        pthread_cond_signal(&r->cv);
        req_unref(r);
    }
    G.head = G.tail = NULL;
    G.queued = 0;
    int efd = G.efd;
    G.efd = -1;
    pthread_mutex_unlock(&G.mu);
    if (m->thread_started) {
        /* smfi_stop() waits for libmilter's listener, which sits in select()
         * for up to 5 s holding its lock: stop from a helper thread and
         * wake the listener with a connection of our own until it is gone */
        pthread_t stopper;
        bool helper = pthread_create(&stopper, NULL, stop_thread, NULL) == 0;
        if (!helper)
            smfi_stop();
        for (int i = 0; i < 200; i++) {
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_nsec += 50 * 1000000;
            if (dl.tv_nsec >= 1000000000) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000;
            }
            if (pthread_timedjoin_np(m->thread, NULL, &dl) == 0) {
                m->thread_started = false;
                break;
            }
            poke(m->spec);
        }
        if (m->thread_started)
            pthread_join(m->thread, NULL);
        if (helper)
            pthread_join(stopper, NULL);
    }
    /* libmilter leaves a socket file behind when running as root */
    if (!strncmp(m->spec, "unix:", 5) || !strncmp(m->spec, "local:", 6)) {
        struct stat sb;
        const char *path = strchr(m->spec, ':') + 1;
        if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
            unlink(path);
    }
    event_free(m->wake);
    event_free(m->timer);
    if (efd >= 0)
        close(efd);
    free(m);
}
