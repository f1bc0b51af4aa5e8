/*
 * httpd - a small HTTP/1.1 server for the daemon's HTTP listener (Dovecot
 * auth policy, admin API): keep-alive, pipelining, Content-Length bodies,
 * bounded buffers, an idle timeout and a connection cap, on a libevent
 * base. It exists because the policy door is the hot path: libevent's
 * evhttp spent most of its time in per-request allocations and in
 * epoll_ctl calls re-arming write events (bench/RESULTS.md); here a reply
 * is written at once and the write event is armed only when the socket is
 * full.
 *
 * Requests are parsed in place: path, query, header names and values are
 * NUL-terminated strings inside the connection's buffer, valid during the
 * handler call only. Chunked bodies are refused (411; Dovecot and curl
 * send Content-Length); a head over HTTPD_MAX_HEAD or a body over
 * max_body gets 431/413 and the connection is closed. The handler fills a
 * struct http_resp; httpd adds the status line, Content-Type,
 * Content-Length and Connection headers.
 *
 * httpd_create() returns NULL with errno set if it cannot listen;
 * httpd_free() closes every connection.
 */
#ifndef MW_SERVE_HTTPD_H
#define MW_SERVE_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/outbuf.h"

#define HTTPD_MAX_HEAD 16384
#define HTTPD_MAX_HEADERS 64

enum http_method { HTTP_GET = 1, HTTP_POST = 2, HTTP_OTHER = 4 };

struct http_req {
    enum http_method method;
    const char *path;    /* "/api/bans" (no query) */
    const char *query;   /* after '?', or NULL */
    const char *body;
    size_t bodylen;
    struct {
        const char *name, *value;
    } headers[HTTPD_MAX_HEADERS];
    int nheaders;
};

struct http_resp {
    int status;
    const char *content_type;   /* static; default application/json */
    struct outbuf *body;        /* owned by httpd, empty on entry */
};

typedef void (*http_handler_fn)(void *ctx, const struct http_req *req, struct http_resp *resp);

struct event_base;
struct httpd;

struct httpd_opts {
    size_t max_body;
    uint32_t max_connections;
    uint32_t idle_timeout_s;
};

/* httpd_create - listen on host:port (numeric address) */
struct httpd *httpd_create(struct event_base *base, const char *host, unsigned port, const struct httpd_opts *o,
                           http_handler_fn fn, void *ctx);
void httpd_free(struct httpd *h);
/* httpd_set_defer - hold replies until httpd_flush_pending(): after each
 * read that produced replies, fn(ctx) is called (the daemon commits its
 * store once, then flushes: group commit) */
void httpd_set_defer(struct httpd *h, void (*fn)(void *ctx), void *ctx);
void httpd_flush_pending(struct httpd *h);
void httpd_set_opts(struct httpd *h, const struct httpd_opts *o);
/* httpd_open - connections open now */
uint64_t httpd_open(const struct httpd *h);

/* http_parse - one request from buf[0..n) (modified in place): 1 with *r
 * and *consumed set, 0 when more bytes are needed, -1 with an HTTP status
 * and a reason (the connection is then answered and closed) */
int http_parse(char *buf, size_t n, size_t max_body, struct http_req *r, size_t *consumed, bool *keep,
               int *status, const char **err);
/* http_header - the value of a header (case-insensitive name), or NULL */
const char *http_header(const struct http_req *r, const char *name);
/* http_status_text - "OK", "Bad Request", ... */
const char *http_status_text(int status);

#endif
