/* policy_load.c - load client for Postfix policy servers (mailward serve's
 * Postfix side, bench/policy_fixed.c, postfwd, ...).
 *
 * N connections over one epoll loop; each connection behaves like one
 * Postfix smtpd process: it sends one request block, waits for the whole
 * reply ("action=...\n\n"), then sends the next block on the same
 * connection. Measures requests/s and the latency of each request (send to
 * end of reply) in a log-linear histogram (1/64 relative resolution), and
 * prints p50, p90, p99, p99.9, max.
 *
 *   cc -O2 -o policy_load bench/policy_load.c
 *   policy_load HOST:PORT|unix:PATH CONNECTIONS SECONDS MIXFILE [WARMUP_SECONDS]
 *
 * MIXFILE holds request blocks as Postfix sends them (name=value lines, each
 * block ended by an empty line), e.g. tests/fixtures/policy/postfix-requests.txt;
 * connection i starts at block i and goes round the file. Targets: loopback
 * IPv4 or a unix socket only. Output: one human line and one JSON line
 * (prefix "json: ") for scripts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------- histogram */
#define SUB_BITS 6                      /* 64 sub-buckets per power of two */
#define SUB (1u << SUB_BITS)
#define MAG 40                          /* up to 2^40 ns: 18 minutes */
static uint64_t hist[MAG * SUB];
static uint64_t hist_n, hist_max, hist_sum;

static unsigned bucket_of(uint64_t ns)
{
    if (ns < SUB) return (unsigned)ns;
    unsigned mag = 63 - __builtin_clzll(ns);          /* >= SUB_BITS */
    unsigned shift = mag - SUB_BITS;
    unsigned b = (mag - SUB_BITS + 1) * SUB + (unsigned)((ns >> shift) - SUB);
    return b < MAG * SUB ? b : MAG * SUB - 1;
}

static uint64_t bucket_value(unsigned b)       /* upper edge of the bucket */
{
    if (b < SUB) return b;
    unsigned mag = b / SUB - 1 + SUB_BITS, sub = b % SUB;
    unsigned shift = mag - SUB_BITS;
    return ((uint64_t)(SUB + sub + 1) << shift) - 1;
}

static void hist_add(uint64_t ns)
{
    hist[bucket_of(ns)]++;
    hist_n++;
    hist_sum += ns;
    if (ns > hist_max) hist_max = ns;
}

static uint64_t hist_pct(double p)
{
    uint64_t want = (uint64_t)(p / 100.0 * (double)hist_n + 0.5), seen = 0;
    if (want == 0) want = 1;
    for (unsigned b = 0; b < MAG * SUB; b++) {
        seen += hist[b];
        if (seen >= want) {
            uint64_t v = bucket_value(b);
            return v < hist_max ? v : hist_max;
        }
    }
    return hist_max;
}

/* ---------------------------------------------------------- mix file */
struct block { const char *p; size_t len; };
static struct block *blocks;
static size_t nblocks;

static void load_mix(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    static char *data;
    size_t cap = 1 << 16, len = 0;
    data = malloc(cap);
    size_t r;
    while ((r = fread(data + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) data = realloc(data, cap *= 2);
    }
    fclose(f);
    /* Split on empty lines; drop comment lines starting with '#'. */
    size_t bcap = 64;
    blocks = malloc(bcap * sizeof *blocks);
    char *out = malloc(len + 2), *o = out, *start = out;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (ll && p[ll - 1] == '\r') ll--;
        if (ll == 0) {
            if (o > start) {
                *o++ = '\n';
                if (nblocks == bcap) blocks = realloc(blocks, (bcap *= 2) * sizeof *blocks);
                blocks[nblocks++] = (struct block){ start, (size_t)(o - start) };
                start = o;
            }
        } else if (p[0] != '#') {
            memcpy(o, p, ll);
            o += ll;
            *o++ = '\n';
        }
        p = nl ? nl + 1 : end;
    }
    if (o > start) {            /* last block without its empty line */
        *o++ = '\n';
        if (nblocks == bcap) blocks = realloc(blocks, (bcap *= 2) * sizeof *blocks);
        blocks[nblocks++] = (struct block){ start, (size_t)(o - start) };
    }
    free(data);
    if (nblocks == 0) { fprintf(stderr, "%s: no request blocks\n", path); exit(2); }
}

/* ---------------------------------------------------------- connections */
struct conn {
    int fd;
    size_t next;        /* next block index */
    size_t sent;        /* bytes of the current block written */
    int nl;             /* last reply byte was '\n' */
    int reply_bad;      /* reply did not start with action= */
    size_t reply_len;
    uint64_t t_send;
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int connect_to(const char *spec)
{
    int fd;
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un su = { .sun_family = AF_UNIX };
        if (strlen(spec + 5) >= sizeof su.sun_path) { fprintf(stderr, "path too long\n"); exit(2); }
        strcpy(su.sun_path, spec + 5);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&su, sizeof su) < 0) { perror(spec); exit(1); }
    } else {
        char host[64];
        const char *colon = strrchr(spec, ':');
        if (!colon || (size_t)(colon - spec) >= sizeof host) { fprintf(stderr, "bad address %s\n", spec); exit(2); }
        memcpy(host, spec, colon - spec);
        host[colon - spec] = 0;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
            fprintf(stderr, "loopback IPv4 only: %s\n", spec); exit(2);
        }
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror(spec); exit(1); }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static int send_some(struct conn *c)       /* 1 = block fully sent, 0 = later, -1 = error */
{
    const struct block *b = &blocks[c->next % nblocks];
    while (c->sent < b->len) {
        ssize_t w = write(c->fd, b->p + c->sent, b->len - c->sent);
        if (w < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
        c->sent += (size_t)w;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s HOST:PORT|unix:PATH CONNECTIONS SECONDS MIXFILE [WARMUP_SECONDS]\n", argv[0]);
        return 2;
    }
    const char *target = argv[1];
    int nconn = atoi(argv[2]);
    double seconds = atof(argv[3]);
    double warmup = argc > 5 ? atof(argv[5]) : 1.0;
    if (nconn < 1 || nconn > 10000 || seconds <= 0) { fprintf(stderr, "bad arguments\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    load_mix(argv[4]);

    int ep = epoll_create1(0);
    struct conn *cs = calloc(nconn, sizeof *cs);
    for (int i = 0; i < nconn; i++) {
        cs[i].fd = connect_to(target);
        cs[i].next = (size_t)i;
        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = &cs[i] };
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    uint64_t t_start = now_ns();
    uint64_t t_measure = t_start + (uint64_t)(warmup * 1e9);
    uint64_t t_end = t_measure + (uint64_t)(seconds * 1e9);
    uint64_t done = 0, bad = 0, errors = 0;
    for (int i = 0; i < nconn; i++) {
        cs[i].t_send = now_ns();
        if (send_some(&cs[i]) < 0) { errors++; }
    }
    struct epoll_event evs[512];
    char buf[4096];
    int open_conns = nconn;
    uint64_t t = now_ns();
    while (t < t_end && open_conns > 0) {
        int n = epoll_wait(ep, evs, 512, 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->fd < 0) continue;
            if (evs[i].events & EPOLLOUT) {
                const struct block *b = &blocks[c->next % nblocks];
                if (c->sent < b->len && send_some(c) < 0) goto dead;
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                ssize_t r = read(c->fd, buf, sizeof buf);
                if (r == 0) goto dead;
                if (r < 0) {
                    if (errno == EAGAIN || errno == EINTR) break;
                    goto dead;
                }
                for (ssize_t k = 0; k < r; k++) {
                    if (c->reply_len < 7 && buf[k] != "action="[c->reply_len]) c->reply_bad = 1;
                    c->reply_len++;
                    if (buf[k] == '\n') {
                        if (c->nl) {                   /* reply complete */
                            uint64_t tn = now_ns();
                            if (c->t_send >= t_measure && tn <= t_end) {
                                hist_add(tn - c->t_send);
                                done++;
                                if (c->reply_bad) bad++;
                            }
                            c->nl = 0;
                            c->reply_len = 0;
                            c->reply_bad = 0;
                            c->next++;
                            c->sent = 0;
                            c->t_send = tn;
                            if (send_some(c) < 0) goto dead;
                        } else {
                            c->nl = 1;
                        }
                    } else if (buf[k] != '\r') {
                        c->nl = 0;
                    }
                }
            }
            continue;
        dead:
            errors++;
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            close(c->fd);
            c->fd = -1;
            open_conns--;
        }
        t = now_ns();
    }
    double secs = (double)((t < t_end ? t : t_end) - t_measure) / 1e9;
    if (secs <= 0) secs = seconds;
    double rps = (double)done / secs;
    double us = 1e-3;
    printf("policy_load %s: %d connections, %.1f s (after %.1f s warm-up), %zu request blocks in mix: "
           "%llu requests, %.0f requests/s; latency us: mean %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f; "
           "bad replies %llu, connection errors %llu\n",
           target, nconn, secs, warmup, nblocks, (unsigned long long)done, rps,
           hist_n ? (double)hist_sum / (double)hist_n * us : 0.0,
           hist_pct(50) * us, hist_pct(90) * us, hist_pct(99) * us, hist_pct(99.9) * us, hist_max * us,
           (unsigned long long)bad, (unsigned long long)errors);
    printf("json: {\"target\":\"%s\",\"connections\":%d,\"seconds\":%.3f,\"requests\":%llu,\"rps\":%.0f,"
           "\"mean_us\":%.2f,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,\"max_us\":%.2f,"
           "\"bad_replies\":%llu,\"errors\":%llu}\n",
           target, nconn, secs, (unsigned long long)done, rps,
           hist_n ? (double)hist_sum / (double)hist_n * us : 0.0,
           hist_pct(50) * us, hist_pct(90) * us, hist_pct(99) * us, hist_pct(99.9) * us, hist_max * us,
           (unsigned long long)bad, (unsigned long long)errors);
    for (int i = 0; i < nconn; i++)
        if (cs[i].fd >= 0) close(cs[i].fd);
    return (errors || bad) ? 1 : 0;
}
