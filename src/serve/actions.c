/*
 * actions - the webhook, the command hook and the nftables sets of
 * `mailward serve`: bounded queues filled by the event loop, drained by one
 * worker thread (see actions.h).
 */
#include "actions.h"

#include "serve.h"
#include "../util/ipaddr.h"

#include <curl/curl.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define NFT_BATCH 1000          /* nftables updates in one `nft -f -` run */
#define BACKOFF_FIRST_MS 1000   /* webhook retries: 1 s, 2 s, 4 s ... */
#define BACKOFF_MAX_MS 60000
#define DROP_LOG_MS 10000       /* "queue full" at most this often per queue */

enum { Q_NFT, Q_CMD, Q_WEB, NQ };
static const char *const qname[NQ] = {"nftables", "hook_command", "webhook"};

enum { L_ERROR, L_WARNING, L_INFO, L_DEBUG };

struct job {
    struct job *next;
    unsigned tries;           /* webhook: attempts made */
    int64_t due_ms;           /* webhook retry: monotonic time of the next attempt */
    char op;                  /* nft: 'a' add, 'd' delete */
    int fam;                  /* nft: 4 or 6 */
    int64_t secs;             /* nft add: timeout */
    size_t n;
    char data[];              /* JSON (webhook, command) or nft element; NUL-terminated */
};

struct queue {
    struct job *head, *tail;
    size_t n;
    int64_t last_drop_log;
};

/* the settings the worker uses, swapped whole by actions_reconfigure */
struct act_cfg {
    int refs;                 /* under actions.mu */
    char *webhook, *header, *command;
    char nft4[200], nft6[200];  /* "FAMILY TABLE SET" or "" */
    uint32_t webhook_timeout, webhook_tries, hook_timeout, flush;
    size_t cap;               /* action_queue: webhook and command queues */
    size_t nft_cap;           /* max_bans (at least action_queue): the nftables queue */
};

struct actions {
    pthread_mutex_t mu;
    pthread_cond_t cv;        /* work or stop for the worker (monotonic clock) */
    pthread_cond_t done_cv;   /* the worker has finished (monotonic clock) */
    pthread_t thread;
    bool started, stopping, done;
    atomic_bool abort;        /* deadline passed: abandon the running POST or command */
    atomic_int level;
    struct act_cfg *cfg;
    struct queue q[NQ];
    struct job *retry;        /* webhook jobs waiting to be tried again, by due_ms */
    size_t nretry;
    bool told_v6;             /* "IPv6 bans not in nftables" said once */
    atomic_uint_fast64_t web_sent, web_retries, web_failed, hooks_run, hooks_failed, nft_updates, nft_failed,
        dropped[NQ];
};

/* ---- small things ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int level_of(const char *s)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, names[i]))
            return i;
    return L_INFO;
}

/* one write per line: the worker and the event loop both log */
static void alog(struct actions *a, int level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > atomic_load(&a->level))
        return;
    char line[1024];
    int k = snprintf(line, sizeof(line), "mailward serve: %s: ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + k, sizeof(line) - (size_t)k, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

static char *dupstr(const char *s)
{
    return strdup(s ? s : "");
}

/* "FAMILY TABLE SET" -> normalised into out; -1 with err */
static int parse_nft_set(const char *key, const char *spec, char *out, size_t outlen, char *err, size_t errlen)
{
    out[0] = 0;
    if (!spec || !*spec)
        return 0;
    char tok[3][64];
    int nt = 0;
    const char *p = spec;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " \t");
        if (nt == 3 || n >= sizeof(tok[0])) {
            snprintf(err, errlen, "%s: \"%s\" is not \"FAMILY TABLE SET\" (e.g. inet filter mailward_ban)", key,
                     spec);
            return -1;
        }
        memcpy(tok[nt], p, n);
        tok[nt][n] = 0;
        nt++;
        p += n;
    }
    static const char *const fams[] = {"ip", "ip6", "inet", "bridge", "netdev", NULL};
    bool famok = false;
    for (int i = 0; nt == 3 && fams[i]; i++)
        famok |= !strcmp(tok[0], fams[i]);
    /* table and set names reach nft's parser: letters, digits, _ - . only */
    for (int t = 1; famok && t < 3; t++) {
        if (!((tok[t][0] >= 'a' && tok[t][0] <= 'z') || (tok[t][0] >= 'A' && tok[t][0] <= 'Z')))
            famok = false;
        for (const char *c = tok[t]; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                  *c == '-' || *c == '.'))
                famok = false;
    }
    if (!famok) {
        snprintf(err, errlen,
                 "%s: \"%s\" is not \"FAMILY TABLE SET\" (family ip, ip6, inet, bridge or netdev; names of "
                 "letters, digits, _ - .)",
                 key, spec);
        return -1;
    }
    snprintf(out, outlen, "%s %s %s", tok[0], tok[1], tok[2]);
    return 0;
}

static struct act_cfg *cfg_new(const struct serve_config *c, char *err, size_t errlen)
{
    struct act_cfg *x = calloc(1, sizeof(*x));
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (parse_nft_set("nft_set", c->nft_set, x->nft4, sizeof(x->nft4), err, errlen) < 0 ||
        parse_nft_set("nft_set6", c->nft_set6, x->nft6, sizeof(x->nft6), err, errlen) < 0) {
        free(x);
        return NULL;
    }
    if (c->webhook_header && *c->webhook_header && !strchr(c->webhook_header, ':')) {
        snprintf(err, errlen, "webhook_header: expected \"Name: value\"");
        free(x);
        return NULL;
    }
    if (c->webhook_header && strpbrk(c->webhook_header, "\r\n")) {
        snprintf(err, errlen, "webhook_header: no line breaks");
        free(x);
        return NULL;
    }
    x->refs = 1;
    x->webhook = dupstr(c->webhook);
    x->header = dupstr(c->webhook_header);
    x->command = dupstr(c->hook_command);
    x->webhook_timeout = c->webhook_timeout ? c->webhook_timeout : 10;
    x->webhook_tries = c->webhook_tries ? c->webhook_tries : 1;
    x->hook_timeout = c->hook_timeout ? c->hook_timeout : 30;
    x->flush = c->action_flush;
    x->cap = c->action_queue ? c->action_queue : 1;
    x->nft_cap = c->max_bans > x->cap ? c->max_bans : x->cap;
    return x;
}

/* under a->mu (or before the thread starts) */
static void cfg_unref(struct act_cfg *x)
{
    if (!x || --x->refs > 0)
        return;
    free(x->webhook);
    free(x->header);
    free(x->command);
    free(x);
}

int actions_nft_element(const char *key, char *out, size_t outlen)
{
    if (!key)
        return -1;
    size_t n = strlen(key);
    const char *slash = memchr(key, '/', n);
    struct ipaddr a;
    if (ipaddr_parse(key, slash ? (size_t)(slash - key) : n, &a) != IPADDR_OK)
        return -1;
    bool v4 = ipaddr_is_v4(&a);
    unsigned max = v4 ? 32 : 128, bits = max;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3)
            return -1;
        bits = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            bits = bits * 10 + (unsigned)(*p - '0');
        }
        if (bits > max || bits == 0)
            return -1;
    }
    char buf[IPADDR_CIDRLEN];
    if (bits == max)
        ipaddr_format(&a, buf);
    else
        ipaddr_format_cidr(&a, bits, buf);
    if (strlen(buf) >= outlen)
        return -1;
    memcpy(out, buf, strlen(buf) + 1);
    return v4 ? 4 : 6;
}

/* ---- queues (under a->mu) ---- */

static struct job *job_new(const char *data, size_t n)
{
    struct job *j = malloc(sizeof(*j) + n + 1);
    if (!j)
        return NULL;
    memset(j, 0, sizeof(*j));
    memcpy(j->data, data, n);
    j->data[n] = 0;
    j->n = n;
    return j;
}

static struct job *pop(struct queue *q)
{
    struct job *j = q->head;
    if (!j)
        return NULL;
    q->head = j->next;
    if (!q->head)
        q->tail = NULL;
    q->n--;
    j->next = NULL;
    return j;
}

static size_t waiting(const struct actions *a, int qi)
{
    return a->q[qi].n + (qi == Q_WEB ? a->nretry : 0);
}

/* drop the oldest entries until one more fits; returns how many went and
 * whether to log (the caller logs outside the lock) */
static size_t make_room(struct actions *a, int qi, size_t cap, bool *tell)
{
    size_t gone = 0;
    while (waiting(a, qi) >= cap) {
        struct job *j = pop(&a->q[qi]);
        if (!j && qi == Q_WEB && a->retry) {
            j = a->retry;
            a->retry = j->next;
            a->nretry--;
        }
        if (!j)
            break;
        free(j);
        gone++;
    }
    if (gone) {
        atomic_fetch_add(&a->dropped[qi], gone);
        int64_t now = mono_ms();
        if (!a->q[qi].last_drop_log || now - a->q[qi].last_drop_log >= DROP_LOG_MS) {
            a->q[qi].last_drop_log = now;
            *tell = true;
        }
    }
    return gone;
}

static void push(struct queue *q, struct job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->n++;
}

static void retry_insert(struct actions *a, struct job *j)
{
    struct job **pp = &a->retry;
    while (*pp && (*pp)->due_ms <= j->due_ms)
        pp = &(*pp)->next;
    j->next = *pp;
    *pp = j;
    a->nretry++;
}

static void tell_dropped(struct actions *a, int qi, size_t cap)
{
    alog(a, L_WARNING,
         "actions: the %s queue is full (%s %zu): dropped the oldest; %llu dropped so far (the "
         "worker cannot keep up: a slow webhook or command?)",
         qname[qi], qi == Q_NFT ? "max_bans" : "action_queue", cap, (unsigned long long)atomic_load(&a->dropped[qi]));
}

/* ---- running a program ---- */

enum { RUN_SPAWN_FAILED = -1, RUN_TIMED_OUT = -2, RUN_ABORTED = -3 };

/* what a program printed: grows up to max, the rest is dropped */
struct capture {
    char *p;
    size_t len, cap, max;
};

static void capture_add(struct capture *c, const char *s, size_t n)
{
    if (c->len + n + 1 > c->cap && c->cap < c->max) {
        size_t want = c->cap ? c->cap : 4096;
        while (want < c->len + n + 1 && want < c->max)
            want *= 2;
        char *q = realloc(c->p, want);
        if (q) {
            c->p = q;
            c->cap = want;
        }
    }
    if (!c->p || c->len + 1 >= c->cap)
        return;
    size_t take = n < c->cap - 1 - c->len ? n : c->cap - 1 - c->len;
    memcpy(c->p + c->len, s, take);
    c->len += take;
    c->p[c->len] = 0;
}

/* read what is there now; false at end of file or error */
static bool capture_read(int fd, struct capture *c)
{
    char tmp[4096];
    for (;;) {
        ssize_t r = read(fd, tmp, sizeof(tmp));
        if (r > 0) {
            capture_add(c, tmp, (size_t)r);
            continue;
        }
        return r < 0 && (errno == EAGAIN || errno == EINTR);
    }
}

/* argv[0] run (searched in PATH if search) with in[0..n) on its stdin, in
 * its own process group; its stdout and stderr into out (else inherited). The exit
 * status (>= 0; 128 + signal if killed by one), or RUN_*. */
static int run_child(struct actions *a, char *const argv[], bool search, const char *in, size_t n,
                     uint32_t timeout_s, struct capture *out)
{
    int inp[2] = {-1, -1}, errp[2] = {-1, -1};
    if (pipe2(inp, O_CLOEXEC) < 0)
        return RUN_SPAWN_FAILED;
    if (out && pipe2(errp, O_CLOEXEC) < 0) {
        close(inp[0]);
        close(inp[1]);
        return RUN_SPAWN_FAILED;
    }
    if (out) {
        out->len = 0;
        if (out->p)
            out->p[0] = 0;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
    if (out) {
        posix_spawn_file_actions_adddup2(&fa, errp[1], 1);
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    }
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t none, def;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    sigemptyset(&def);
    int defs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        sigaddset(&def, defs[i]);
    posix_spawnattr_setsigdefault(&at, &def);
    pid_t pid;
    int rc = search ? posix_spawnp(&pid, argv[0], &fa, &at, argv, environ)
                    : posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(inp[0]);
    if (out)
        close(errp[1]);
    int wfd = inp[1], efd = errp[0];
    if (rc != 0) {
        close(wfd);
        if (efd >= 0)
            close(efd);
        errno = rc;
        return RUN_SPAWN_FAILED;
    }
    fcntl(wfd, F_SETFL, O_NONBLOCK);
    if (efd >= 0)
        fcntl(efd, F_SETFL, O_NONBLOCK);
    /* a pidfd wakes poll when the child exits; without one, poll ticks */
    int pfd = -1;
#ifdef SYS_pidfd_open
    pfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    int64_t deadline = mono_ms() + (int64_t)timeout_s * 1000;
    size_t off = 0;
    int status = 0, result = 0;
    bool exited = false;
    if (n == 0) {
        close(wfd);
        wfd = -1;
    }
    for (;;) {
        if (!exited && waitpid(pid, &status, WNOHANG) == pid)
            exited = true;
        if (exited) {
            if (wfd >= 0)
                close(wfd); /* nobody reads the rest */
            wfd = -1;
            /* what it wrote to stderr is in the pipe; a child of its own
             * that keeps the pipe open is not waited for */
            if (efd >= 0)
                capture_read(efd, out);
            break;
        }
        int64_t now = mono_ms();
        if (now >= deadline || atomic_load(&a->abort)) {
            result = now >= deadline ? RUN_TIMED_OUT : RUN_ABORTED;
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        struct pollfd pf[3];
        int np = 0, iw = -1, ie = -1;
        if (wfd >= 0) {
            iw = np;
            pf[np++] = (struct pollfd){wfd, POLLOUT, 0};
        }
        if (efd >= 0) {
            ie = np;
            pf[np++] = (struct pollfd){efd, POLLIN, 0};
        }
        if (pfd >= 0)
            pf[np++] = (struct pollfd){pfd, POLLIN, 0};
        int64_t wait = deadline - now;
        int cap_ms = pfd >= 0 ? 100 : 10; /* the abort flag is looked at this often */
        if (wait > cap_ms)
            wait = cap_ms;
        if (poll(pf, (nfds_t)np, (int)wait) < 0 && errno != EINTR)
            (void)0;
        if (iw >= 0 && pf[iw].revents) {
            ssize_t w = write(wfd, in + off, n - off);
            if (w > 0)
                off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == n) {
                close(wfd); /* all of it, or the child closed its stdin */
                wfd = -1;
            }
        }
        if (ie >= 0 && pf[ie].revents && !capture_read(efd, out)) {
            close(efd);
            efd = -1;
        }
    }
    if (wfd >= 0)
        close(wfd);
    if (efd >= 0)
        close(efd);
    if (pfd >= 0)
        close(pfd);
    if (result < 0)
        return result;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

/* ---- the three actions (worker thread, a->mu not held) ---- */

static void run_hook(struct actions *a, const struct act_cfg *c, struct job *j)
{
    if (!c->command[0])
        return; /* turned off by a reload since */
    char *argv[] = {"/bin/sh", "-c", c->command, NULL};
    /* the JSON and a newline: `cat >> file` makes a JSON Lines file */
    j->data[j->n] = '\n';
    int rc = run_child(a, argv, false, j->data, j->n + 1, c->hook_timeout, NULL);
    j->data[j->n] = 0;
    atomic_fetch_add(&a->hooks_run, 1);
    if (rc == 0) {
        alog(a, L_DEBUG, "hook_command: done");
        return;
    }
    atomic_fetch_add(&a->hooks_failed, 1);
    if (rc == RUN_SPAWN_FAILED)
        alog(a, L_ERROR, "hook_command: cannot start /bin/sh: %s", strerror(errno));
    else if (rc == RUN_TIMED_OUT)
        alog(a, L_WARNING, "hook_command: still running after hook_timeout (%us): killed", c->hook_timeout);
    else if (rc == RUN_ABORTED)
        alog(a, L_WARNING, "hook_command: still running at shutdown (action_flush): killed");
    else if (rc > 128)
        alog(a, L_WARNING, "hook_command: killed by signal %d", rc - 128);
    else
        alog(a, L_WARNING, "hook_command: exited with status %d", rc);
}

static void nft_line(const struct act_cfg *c, const struct job *j, char *out, size_t cap)
{
    const char *set = j->fam == 4 ? c->nft4 : c->nft6;
    if (j->op == 'a')
        snprintf(out, cap, "add element %s { %s timeout %llds }\n", set, j->data, (long long)j->secs);
    else
        snprintf(out, cap, "delete element %s { %s }\n", set, j->data);
}

/* nft with args, script (if any) on stdin, its output into out (if
 * any); 0 done, else its status with its first error line in why */
static int nft_exec(struct actions *a, const char *const *args, size_t nargs, const char *script, size_t n,
                    struct capture *out, char *why, size_t whylen)
{
    char *argv[12];
    argv[0] = "nft";
    for (size_t i = 0; i < nargs && i < 10; i++)
        argv[i + 1] = (char *)args[i];
    argv[nargs < 10 ? nargs + 1 : 11] = NULL;
    struct capture own = {NULL, 0, 0, 8192};
    struct capture *cap = out ? out : &own;
    int rc = run_child(a, argv, true, script, n, 30, cap);
    if (rc == RUN_SPAWN_FAILED && errno == ENOENT) {
        argv[0] = "/usr/sbin/nft";
        rc = run_child(a, argv, false, script, n, 30, cap);
    }
    if (rc == 0) {
        free(own.p);
        return 0;
    }
    if (rc == RUN_SPAWN_FAILED)
        snprintf(why, whylen, "cannot run nft: %s (is the nftables package installed?)", strerror(errno));
    else if (rc == RUN_TIMED_OUT || rc == RUN_ABORTED)
        snprintf(why, whylen, "nft did not finish: killed");
    else {
        /* "/dev/stdin:2:35-43: Error: element does not exist" */
        const char *e = cap->p ? strstr(cap->p, "Error:") : NULL;
        if (!e)
            e = cap->p ? cap->p : "";
        snprintf(why, whylen, "%.*s", (int)strcspn(e, "\n"), e);
        if (!why[0])
            snprintf(why, whylen, "nft exited with status %d", rc);
    }
    free(own.p);
    return rc ? rc : 1;
}

static int nft_script(struct actions *a, const char *script, size_t n, char *why, size_t whylen)
{
    static const char *const args[] = {"-f", "-"};
    return nft_exec(a, args, 2, script, n, NULL, why, whylen);
}

/* "192.0.2.0/24" -> address and prefix length; false if not one */
static bool parse_net(const char *s, size_t n, struct ipaddr *addr, unsigned *bits)
{
    const char *slash = memchr(s, '/', n);
    if (ipaddr_parse(s, slash ? (size_t)(slash - s) : n, addr) != IPADDR_OK)
        return false;
    unsigned max = ipaddr_is_v4(addr) ? 32 : 128;
    *bits = max;
    if (slash) {
        char *end;
        unsigned long v = strtoul(slash + 1, &end, 10);
        if (end != s + n || v > max)
            return false;
        *bits = (unsigned)v;
    }
    return true;
}

static bool inside(const struct ipaddr *a, unsigned abits, const struct ipaddr *net, unsigned nbits)
{
    if (abits < nbits || ipaddr_is_v4(a) != ipaddr_is_v4(net))
        return false;
    struct ipaddr m, n;
    ipaddr_mask(a, nbits, &m);
    ipaddr_mask(net, nbits, &n);
    return ipaddr_cmp(&m, &n) == 0;
}

/* a network whose add overlaps elements of the set (its addresses, banned
 * before it, in the usual order of a spray): delete those and add the
 * network in one transaction; a larger network already there covers it.
 * 0 done (why: what was done), else why holds the reason */
static int nft_add_network(struct actions *a, const struct act_cfg *c, const struct job *j, char *why, size_t whylen)
{
    const char *set = j->fam == 4 ? c->nft4 : c->nft6;
    char fam[16], tab[64], name[64];
    if (sscanf(set, "%15s %63s %63s", fam, tab, name) != 3)
        return 1;
    struct ipaddr net;
    unsigned nbits;
    if (!parse_net(j->data, j->n, &net, &nbits))
        return 1;
    const char *args[] = {"-j", "list", "set", fam, tab, name};
    struct capture out = {NULL, 0, 0, (size_t)64 << 20};
    int rc = nft_exec(a, args, 6, NULL, 0, &out, why, whylen);
    json_t *root = rc == 0 && out.p ? json_loadb(out.p, out.len, 0, NULL) : NULL;
    free(out.p);
    if (!root) {
        if (rc == 0)
            snprintf(why, whylen, "cannot read the set (nft -j list set)");
        return 1;
    }
    struct capture script = {NULL, 0, 0, (size_t)64 << 20};
    size_t ndel = 0;
    bool covered = false;
    json_t *list = json_object_get(root, "nftables"), *item;
    size_t i;
    json_array_foreach(list, i, item) {
        json_t *elems = json_object_get(json_object_get(item, "set"), "elem"), *e;
        size_t k;
        json_array_foreach(elems, k, e) {
            json_t *v = json_is_object(e) && json_object_get(e, "elem") ? json_object_get(json_object_get(e, "elem"), "val") : e;
            char text[IPADDR_CIDRLEN + 8];
            if (json_is_string(v)) {
                snprintf(text, sizeof(text), "%s", json_string_value(v));
            } else {
                json_t *pfx = json_object_get(v, "prefix");
                const char *addr = json_string_value(json_object_get(pfx, "addr"));
                json_int_t len = json_integer_value(json_object_get(pfx, "len"));
                if (!addr || len < 0 || len > 128)
                    continue; /* a range: not ours */
                snprintf(text, sizeof(text), "%s/%d", addr, (int)len);
            }
            struct ipaddr ea;
            unsigned ebits;
            if (!parse_net(text, strlen(text), &ea, &ebits))
                continue;
            if (inside(&net, nbits, &ea, ebits)) {
                covered = true;
            } else if (inside(&ea, ebits, &net, nbits)) {
                capture_add(&script, ndel ? ", " : "delete element ", ndel ? 2 : 15);
                if (!ndel) {
                    capture_add(&script, set, strlen(set));
                    capture_add(&script, " { ", 3);
                }
                capture_add(&script, text, strlen(text));
                ndel++;
            }
        }
    }
    json_decref(root);
    if (covered) {
        free(script.p);
        snprintf(why, whylen, "inside a larger network of the set");
        return 0;
    }
    if (!ndel || !script.p) {
        free(script.p);
        return 1;
    }
    char line[400];
    nft_line(c, j, line, sizeof(line));
    capture_add(&script, " }\n", 3);
    capture_add(&script, line, strlen(line));
    rc = nft_script(a, script.p, script.len, why, whylen);
    free(script.p);
    if (rc == 0)
        snprintf(why, whylen, "replaced %zu addresses or networks inside it", ndel);
    return rc;
}

static void run_nft(struct actions *a, const struct act_cfg *c, struct job *list)
{
    struct capture script = {NULL, 0, 0, (size_t)64 << 20};
    size_t count = 0;
    for (struct job *j = list; j; j = j->next) {
        if (!(j->fam == 4 ? c->nft4 : c->nft6)[0])
            continue; /* turned off by a reload since */
        char line[400];
        nft_line(c, j, line, sizeof(line));
        capture_add(&script, line, strlen(line));
        count++;
    }
    char why[300];
    if (!count || nft_script(a, script.p, script.len, why, sizeof(why)) == 0) {
        atomic_fetch_add(&a->nft_updates, count);
        if (count)
            alog(a, L_DEBUG, "nftables: %zu updates", count);
        free(script.p);
        return;
    }
    free(script.p);
    /* one transaction: a single bad element fails all; a missing set fails
     * every one alike, so that is said once */
    if (strstr(why, "No such file or directory") || strstr(why, "cannot run nft") || strstr(why, "killed")) {
        atomic_fetch_add(&a->nft_failed, count);
        alog(a, L_ERROR, "nftables: %zu updates failed: %s (does the set of nft_set/nft_set6 exist? see "
                         "docs/serve.md, Actions)", count, why);
        return;
    }
    for (struct job *j = list; j; j = j->next) {
        if (!(j->fam == 4 ? c->nft4 : c->nft6)[0])
            continue;
        char line[400];
        nft_line(c, j, line, sizeof(line));
        if (count > 1 && nft_script(a, line, strlen(line), why, sizeof(why)) == 0) {
            atomic_fetch_add(&a->nft_updates, 1);
            continue;
        }
        if (j->op == 'd' && strstr(why, "does not exist")) {
            /* expired already, or an address replaced by its network */
            alog(a, L_DEBUG, "nftables: delete %s: not in the set", j->data);
            atomic_fetch_add(&a->nft_updates, 1);
            continue;
        }
        if (j->op == 'a' && strstr(why, "overlap")) {
            if (!strchr(j->data, '/')) {
                /* an address inside a network of the set: covered */
                alog(a, L_DEBUG, "nftables: add %s: inside a network of the set already", j->data);
                atomic_fetch_add(&a->nft_updates, 1);
                continue;
            }
            if (nft_add_network(a, c, j, why, sizeof(why)) == 0) {
                alog(a, L_DEBUG, "nftables: add %s: %s", j->data, why);
                atomic_fetch_add(&a->nft_updates, 1);
                continue;
            }
        }
        atomic_fetch_add(&a->nft_failed, 1);
        alog(a, L_WARNING, "nftables: %s %s: %s", j->op == 'a' ? "add" : "delete", j->data, why);
    }
}

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    (void)ud;
    return size * nmemb;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return atomic_load(&((struct actions *)ud)->abort) ? 1 : 0;
}

enum { POST_SENT, POST_AGAIN, POST_GIVE_UP };

/* one attempt; the URL and the header are never logged (credentials) */
static int post_once(struct actions *a, const struct act_cfg *c, CURL **hp, const struct job *j, char *why,
                     size_t whylen)
{
    if (!*hp)
        *hp = curl_easy_init();
    CURL *h = *hp;
    if (!h) {
        snprintf(why, whylen, "cannot initialise libcurl");
        return POST_AGAIN;
    }
    curl_easy_reset(h); /* keeps the connection cache */
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (hdr && c->header[0])
        hdr = curl_slist_append(hdr, c->header);
    if (hdr)
        hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, c->webhook);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    const char *body = j->data;
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)j->n);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mailward");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->webhook_timeout * 1000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->webhook_timeout * 1000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(why, whylen, "still running at shutdown (action_flush)");
        return POST_GIVE_UP;
    }
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s", curl_easy_strerror(rc));
        if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT)
            return POST_GIVE_UP;
        return POST_AGAIN;
    }
    if (code >= 200 && code < 300)
        return POST_SENT;
    snprintf(why, whylen, "HTTP status %ld", code);
    return code >= 500 || code == 429 || code == 408 ? POST_AGAIN : POST_GIVE_UP;
}

/* true: try again at j->due_ms */
static bool run_webhook(struct actions *a, const struct act_cfg *c, CURL **hp, struct job *j)
{
    if (!c->webhook[0])
        return false; /* turned off by a reload since */
    char why[256];
    j->tries++;
    int rc = post_once(a, c, hp, j, why, sizeof(why));
    if (rc == POST_SENT) {
        atomic_fetch_add(&a->web_sent, 1);
        alog(a, L_DEBUG, "webhook: sent (try %u)", j->tries);
        return false;
    }
    if (rc == POST_AGAIN && j->tries < c->webhook_tries && !atomic_load(&a->abort)) {
        int64_t wait = BACKOFF_FIRST_MS;
        for (unsigned i = 1; i < j->tries && wait < BACKOFF_MAX_MS; i++)
            wait *= 2;
        if (wait > BACKOFF_MAX_MS)
            wait = BACKOFF_MAX_MS;
        j->due_ms = mono_ms() + wait;
        atomic_fetch_add(&a->web_retries, 1);
        alog(a, L_INFO, "webhook: %s (try %u of %u); again in %llds", why, j->tries, c->webhook_tries,
             (long long)(wait / 1000));
        return true;
    }
    atomic_fetch_add(&a->web_failed, 1);
    alog(a, L_WARNING, "webhook: %s (try %u of %u): given up, the finding is not delivered", why, j->tries,
         c->webhook_tries);
    return false;
}

/* ---- the worker ---- */

static void free_list(struct job *j)
{
    while (j) {
        struct job *next = j->next;
        free(j);
        j = next;
    }
}

static void *worker(void *arg)
{
    struct actions *a = arg;
    CURL *curl = NULL;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        if (atomic_load(&a->abort))
            break;
        struct job *nft = NULL, **tail = &nft;
        for (size_t i = 0; i < NFT_BATCH && a->q[Q_NFT].head; i++) {
            *tail = pop(&a->q[Q_NFT]);
            tail = &(*tail)->next;
        }
        struct job *cmd = pop(&a->q[Q_CMD]);
        struct job *web = NULL;
        int64_t now = mono_ms();
        if (a->retry && a->retry->due_ms <= now) {
            web = a->retry;
            a->retry = web->next;
            web->next = NULL;
            a->nretry--;
        } else {
            web = pop(&a->q[Q_WEB]);
        }
        if (!nft && !cmd && !web) {
            if (a->stopping && !a->retry)
                break;
            if (a->retry) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                int64_t ms = a->retry->due_ms - now;
                ts.tv_sec += ms / 1000;
                ts.tv_nsec += (ms % 1000) * 1000000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&a->cv, &a->mu, &ts);
            } else {
                pthread_cond_wait(&a->cv, &a->mu);
            }
            continue;
        }
        struct act_cfg *c = a->cfg;
        c->refs++;
        pthread_mutex_unlock(&a->mu);
        if (nft)
            run_nft(a, c, nft);
        free_list(nft);
        if (cmd)
            run_hook(a, c, cmd);
        free(cmd);
        bool again = web && run_webhook(a, c, &curl, web);
        pthread_mutex_lock(&a->mu);
        if (again) {
            bool tell = false;
            size_t cap = a->cfg->cap;
            make_room(a, Q_WEB, cap, &tell);
            retry_insert(a, web);
            if (tell) {
                pthread_mutex_unlock(&a->mu);
                tell_dropped(a, Q_WEB, cap);
                pthread_mutex_lock(&a->mu);
            }
        } else {
            free(web);
        }
        cfg_unref(c);
    }
    /* stopped: what is left is not done */
    size_t left[NQ];
    for (int qi = 0; qi < NQ; qi++) {
        left[qi] = a->q[qi].n;
        free_list(a->q[qi].head);
        a->q[qi].head = a->q[qi].tail = NULL;
        a->q[qi].n = 0;
    }
    left[Q_WEB] += a->nretry;
    free_list(a->retry);
    a->retry = NULL;
    a->nretry = 0;
    a->done = true;
    pthread_cond_broadcast(&a->done_cv);
    pthread_mutex_unlock(&a->mu);
    if (left[Q_NFT] || left[Q_CMD] || left[Q_WEB])
        alog(a, L_WARNING,
             "actions: stopping with %zu webhook POSTs, %zu hook commands and %zu nftables updates not done "
             "(action_flush)",
             left[Q_WEB], left[Q_CMD], left[Q_NFT]);
    if (curl)
        curl_easy_cleanup(curl);
    return NULL;
}

/* ---- the daemon's side ---- */

struct actions *actions_create(const struct serve_config *cfg, char *err, size_t errlen)
{
    struct act_cfg *c = cfg_new(cfg, err, errlen);
    if (!c)
        return NULL;
    struct actions *a = calloc(1, sizeof(*a));
    if (!a) {
        cfg_unref(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->cfg = c;
    atomic_init(&a->level, level_of(cfg->log_level));
    atomic_init(&a->abort, false);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl");
        cfg_unref(c);
        free(a);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, &ca);
    pthread_cond_init(&a->done_cv, &ca);
    pthread_condattr_destroy(&ca);
    /* signals are the event loop's: the worker blocks them all */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&a->thread, NULL, worker, a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the actions thread: %s", strerror(rc));
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        pthread_cond_destroy(&a->done_cv);
        cfg_unref(c);
        free(a);
        curl_global_cleanup();
        return NULL;
    }
    a->started = true;
    alog(a, L_INFO, "actions: webhook %s, hook_command %s, nftables %s%s%s", c->webhook[0] ? "on" : "off",
         c->command[0] ? "on" : "off", c->nft4[0] ? c->nft4 : "off", c->nft6[0] ? ", IPv6 " : "",
         c->nft6[0] ? c->nft6 : "");
    return a;
}

void actions_destroy(struct actions *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->stopping = true;
    pthread_cond_broadcast(&a->cv);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += a->cfg->flush;
    while (!a->done) {
        if (pthread_cond_timedwait(&a->done_cv, &a->mu, &ts) == ETIMEDOUT)
            break;
    }
    if (!a->done) {
        atomic_store(&a->abort, true);
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    cfg_unref(a->cfg);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    pthread_cond_destroy(&a->done_cv);
    free(a);
    curl_global_cleanup();
}

int actions_reconfigure(struct actions *a, const struct serve_config *cfg, char *err, size_t errlen)
{
    struct act_cfg *c = cfg_new(cfg, err, errlen);
    if (!c)
        return -1;
    atomic_store(&a->level, level_of(cfg->log_level));
    pthread_mutex_lock(&a->mu);
    struct act_cfg *old = a->cfg;
    a->cfg = c;
    cfg_unref(old);
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

/* queue j (NULL: out of memory) on qi; bounded unless nocap */
static void enqueue(struct actions *a, int qi, struct job *j, bool nocap)
{
    if (!j) {
        atomic_fetch_add(&a->dropped[qi], 1);
        return;
    }
    bool tell = false;
    size_t cap = qi == Q_NFT ? a->cfg->nft_cap : a->cfg->cap;
    if (!nocap)
        make_room(a, qi, cap, &tell);
    push(&a->q[qi], j);
    pthread_cond_signal(&a->cv);
    if (tell) {
        pthread_mutex_unlock(&a->mu);
        tell_dropped(a, qi, cap);
        pthread_mutex_lock(&a->mu);
    }
}

void actions_finding(const char *json, size_t n, void *ctx)
{
    struct actions *a = ctx;
    if (!a || !json)
        return;
    pthread_mutex_lock(&a->mu);
    if (!a->stopping) {
        if (a->cfg->webhook[0])
            enqueue(a, Q_WEB, job_new(json, n), false);
        if (a->cfg->command[0])
            enqueue(a, Q_CMD, job_new(json, n), false);
    }
    pthread_mutex_unlock(&a->mu);
}

static void ban_job(struct actions *a, const char *key, const struct guard_ban *b, int64_t now, bool nocap)
{
    char el[IPADDR_CIDRLEN];
    int fam = actions_nft_element(key, el, sizeof(el));
    if (fam < 0) {
        alog(a, L_DEBUG, "nftables: \"%s\" is no address or network; not added", key);
        return;
    }
    int64_t secs = b ? b->until - now : 0;
    if (b && secs <= 0)
        return;
    bool tell_v6 = false;
    pthread_mutex_lock(&a->mu);
    const char *set = fam == 4 ? a->cfg->nft4 : a->cfg->nft6;
    if (set[0] && !a->stopping) {
        struct job *j = job_new(el, strlen(el));
        if (j) {
            j->op = b ? 'a' : 'd';
            j->fam = fam;
            j->secs = secs;
        }
        enqueue(a, Q_NFT, j, nocap);
    } else if (fam == 6 && a->cfg->nft4[0] && !a->told_v6) {
        a->told_v6 = tell_v6 = true;
    }
    pthread_mutex_unlock(&a->mu);
    if (tell_v6)
        alog(a, L_INFO, "nftables: nft_set6 is empty: IPv6 bans (such as %s) stay out of nftables", el);
}

void actions_ban(const char *key, const struct guard_ban *b, int64_t now, void *ctx)
{
    if (ctx)
        ban_job(ctx, key, b, now, false);
}

struct restore_ctx {
    struct actions *a;
    int64_t now;
};

static void restore_one(const char *key, const struct guard_ban *b, void *ctx)
{
    struct restore_ctx *r = ctx;
    /* all of them (at most max_bans): the cap is for a flood of new ones */
    ban_job(r->a, key, b, r->now, true);
}

void actions_restore_bans(struct actions *a, struct guard *g, int64_t now)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    bool on = a->cfg->nft4[0] || a->cfg->nft6[0];
    pthread_mutex_unlock(&a->mu);
    if (!on)
        return;
    struct restore_ctx r = {a, now};
    guard_foreach_ban(g, restore_one, &r);
}

void actions_metrics(struct actions *a, struct serve_metrics *m)
{
    if (!a || !m)
        return;
    m->webhook_sent = atomic_load(&a->web_sent);
    m->webhook_retries = atomic_load(&a->web_retries);
    m->webhook_failed = atomic_load(&a->web_failed);
    m->webhook_dropped = atomic_load(&a->dropped[Q_WEB]);
    m->hooks_run = atomic_load(&a->hooks_run);
    m->hooks_failed = atomic_load(&a->hooks_failed);
    m->hooks_dropped = atomic_load(&a->dropped[Q_CMD]);
    m->nft_updates = atomic_load(&a->nft_updates);
    m->nft_failed = atomic_load(&a->nft_failed);
    m->nft_dropped = atomic_load(&a->dropped[Q_NFT]);
}
