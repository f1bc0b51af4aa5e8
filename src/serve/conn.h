/*
 * conn - the stream connections of the daemon's doors (the HTTP server of
 * httpd.c and the Postfix policy door of daemon.c): a set with a cap and
 * an idle timeout, an input buffer that grows up to a limit, an output
 * buffer written at once with the write event armed only when the socket
 * is full, and the set's pending list of connections whose replies wait
 * for the group commit (the writes they acknowledge are made durable
 * first, then connset_flush_pending() sends them).
 *
 * The owner embeds struct conn first in its own per-connection struct
 * (connset.size bytes are allocated, zeroed) and is called back:
 * on_data when bytes arrived (it consumes what it can from c->in and
 * queues replies with conn_out; returns -1 if it closed c), on_full when
 * the input buffer is at its limit and no request fits (it answers or
 * closes; c is closed after), on_free just before c's memory goes.
 */
#ifndef MW_SERVE_CONN_H
#define MW_SERVE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

struct event;
struct event_base;
struct conn;

struct connset {
    struct event_base *base;
    size_t size;                      /* bytes per connection, >= sizeof(struct conn) */
    uint32_t max;                     /* connections at once; more are closed at accept */
    uint32_t idle_s;                  /* idle timeout */
    size_t in_limit;                  /* the input buffer grows to this */
    size_t in_room;                   /* ... whenever less than this is free */
    int (*on_data)(struct conn *c);
    void (*on_full)(struct conn *c);
    void (*on_free)(struct conn *c);  /* may be NULL */
    void (*defer)(void *ctx);         /* NULL: replies are written at once */
    void *defer_ctx;
    void *ctx;                        /* the owner's */
    /* kept by conn.c */
    struct conn *all, *pending;
    uint64_t open;
};

struct conn {
    struct connset *set;
    evutil_socket_t fd;
    struct event *rev, *wev;
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outoff, outcap;
    bool closing;                     /* close once the output is written */
    bool queued;                      /* on the set's pending list */
    struct conn *prev, *next, *qnext;
};

/* connset_accept - a new connection on fd (TCP_NODELAY if nodelay), or
 * NULL with fd closed when the set is at its cap */
struct conn *connset_accept(struct connset *s, evutil_socket_t fd, bool nodelay);
/* conn_out - queue n bytes of reply */
void conn_out(struct conn *c, const char *p, size_t n);
/* conn_close - close and free c now (unsent output is dropped) */
void conn_close(struct conn *c);
/* connset_flush_pending - write the replies held for the commit */
void connset_flush_pending(struct connset *s);
/* connset_close_all - close every connection */
void connset_close_all(struct connset *s);

#endif
