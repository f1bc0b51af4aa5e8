/*
 * conn - the daemon's stream connections (see conn.h).
 */
#include "conn.h"

#include "../util/xalloc.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

void conn_close(struct conn *c)
{
    struct connset *s = c->set;
    if (c->queued) {
        struct conn **pp = &s->pending;
        while (*pp && *pp != c)
            pp = &(*pp)->qnext;
        if (*pp)
            *pp = c->qnext;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        s->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    event_free(c->rev);
    event_free(c->wev);
    evutil_closesocket(c->fd);
    free(c->in);
    free(c->out);
    if (s->on_free)
        s->on_free(c);
    free(c);
    s->open--;
}

void conn_out(struct conn *c, const char *p, size_t n)
{
    if (c->outlen + n > c->outcap) {
        if (c->outoff) {
            memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
            c->outlen -= c->outoff;
            c->outoff = 0;
        }
        if (c->outlen + n > c->outcap) {
            size_t cap = c->outcap ? c->outcap : 1024;
            while (cap < c->outlen + n)
                cap *= 2;
            c->out = xrealloc(c->out, cap);
            c->outcap = cap;
        }
    }
    memcpy(c->out + c->outlen, p, n);
    c->outlen += n;
}

/* write what is pending at once; arm the write event only when the socket
 * is full. 0: written or waiting for EV_WRITE; -1: c is gone */
static int flush(struct conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (w > 0) {
            c->outoff += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_add(c->wev, NULL);
            return 0;
        }
        conn_close(c);
        return -1;
    }
    c->outoff = c->outlen = 0;
    if (c->closing) {
        conn_close(c);
        return -1;
    }
    return 0;
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    flush(arg);
}

/* replies are ready: hold them for the commit, or write them now */
static void replies_ready(struct conn *c)
{
    struct connset *s = c->set;
    if (c->outlen <= c->outoff || event_pending(c->wev, EV_WRITE, NULL))
        return;
    if (!s->defer) {
        flush(c);
        return;
    }
    if (c->queued)
        return; /* the commit it waits for is already on its way */
    c->queued = true;
    c->qnext = s->pending;
    s->pending = c;
    s->defer(s->defer_ctx);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    struct connset *s = c->set;
    if (what & EV_TIMEOUT) {
        conn_close(c);
        return;
    }
    if (c->incap - c->inlen < s->in_room && c->incap < s->in_limit) {
        size_t cap = c->incap * 2 < s->in_limit ? c->incap * 2 : s->in_limit;
        c->in = xrealloc(c->in, cap);
        c->incap = cap;
    }
    if (c->inlen == c->incap) {
        s->on_full(c);
        return;
    }
    ssize_t n = recv(fd, c->in + c->inlen, c->incap - c->inlen, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        conn_close(c);
        return;
    }
    if (n < 0)
        return;
    c->inlen += (size_t)n;
    if (s->on_data(c) < 0)
        return;
    replies_ready(c);
}

struct conn *connset_accept(struct connset *s, evutil_socket_t fd, bool nodelay)
{
    if (s->open >= s->max) {
        evutil_closesocket(fd);
        return NULL;
    }
    if (nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    struct conn *c = xcalloc(1, s->size);
    c->set = s;
    c->fd = fd;
    c->incap = 4096;
    c->in = xmalloc(c->incap);
    c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->wev = event_new(s->base, fd, EV_WRITE, on_write, c);
    struct timeval tv = {(time_t)s->idle_s, 0};
    event_add(c->rev, &tv);
    c->next = s->all;
    if (s->all)
        s->all->prev = c;
    s->all = c;
    s->open++;
    return c;
}

void connset_flush_pending(struct connset *s)
{
    while (s->pending) {
        struct conn *c = s->pending;
        s->pending = c->qnext;
        c->queued = false;
        if (!event_pending(c->wev, EV_WRITE, NULL))
            flush(c); /* may free c */
    }
}

void connset_close_all(struct connset *s)
{
    while (s->all)
        conn_close(s->all);
}
