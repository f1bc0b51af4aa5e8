/* policy_fixed.c - the simplest fast Postfix policy server, a reference for
 * mailward serve's Postfix side: single-threaded epoll, reads request blocks
 * (name=value lines ended by an empty line) and answers every block with
 * "action=DUNNO\n\n". Keeps connections open as Postfix expects.
 *
 *   cc -O2 -o policy_fixed bench/policy_fixed.c
 *   policy_fixed 127.0.0.1:8428 | unix:/path/to/socket   [seconds]
 *
 * Listens on loopback or a unix socket only; exits after SECONDS (default
 * 3600) or on SIGTERM/SIGINT, printing how many requests it answered.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536
#define BUFSZ 16384

struct conn {
    int state; /* 1 when the last byte read ended a line */
};

static struct conn conns[MAXFD];
static volatile sig_atomic_t stop;
static unsigned long long answered;

static void on_signal(int s) { (void)s; stop = 1; }

static int listen_on(const char *spec)
{
    int fd;
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un su = { .sun_family = AF_UNIX };
        if (strlen(spec + 5) >= sizeof su.sun_path) { fprintf(stderr, "path too long\n"); exit(2); }
        strcpy(su.sun_path, spec + 5);
        unlink(su.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&su, sizeof su) < 0) { perror("bind"); exit(1); }
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
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("bind"); exit(1); }
    }
    if (listen(fd, 1024) < 0) { perror("listen"); exit(1); }
    return fd;
}

static void drop(int ep, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    conns[fd].state = 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s HOST:PORT|unix:PATH [seconds]\n", argv[0]); return 2; }
    double seconds = argc > 2 ? atof(argv[2]) : 3600;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int lfd = listen_on(argv[1]);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    static const char reply[] = "action=DUNNO\n\n";
    static char out[BUFSZ * 2];
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct epoll_event evs[256];
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, 200);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > seconds) break;
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAXFD) { close(c); continue; }
                    int one = 1;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            char buf[BUFSZ];
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                drop(ep, fd);
                continue;
            }
            /* Count block ends ("\n\n", possibly split across reads); no
             * need to keep the text: the answer is fixed. */
            size_t olen = 0;
            int st = conns[fd].state;
            for (ssize_t k = 0; k < r; k++) {
                if (buf[k] == '\n') {
                    if (st) {
                        if (olen + sizeof reply - 1 > sizeof out) {
                            if (write(fd, out, olen) < 0) break;
                            olen = 0;
                        }
                        memcpy(out + olen, reply, sizeof reply - 1);
                        olen += sizeof reply - 1;
                        answered++;
                        st = 0;
                    } else {
                        st = 1;
                    }
                } else if (buf[k] != '\r') {
                    st = 0;
                }
            }
            conns[fd].state = st;
            if (olen && write(fd, out, olen) < 0) drop(ep, fd);
        }
    }
    fprintf(stderr, "policy_fixed: answered %llu requests\n", answered);
    return 0;
}
