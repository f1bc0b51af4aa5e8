/*
 * httpd - the daemon's small HTTP/1.1 server (see httpd.h).
 */
#include "httpd.h"

#include "conn.h"

#include "../util/xalloc.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>


struct httpd {
    struct evconnlistener *lst;
    struct httpd_opts o;
    http_handler_fn fn;
    void *ctx;
    struct connset set;       /* the connections (conn.c) */
    struct outbuf body;
};

const char *http_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

const char *http_header(const struct http_req *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

static void respond(struct conn *c, int status, const char *ctype, const char *body, size_t n, bool close_after)
{
    char head[256];
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
                      http_status_text(status), ctype, n, close_after ? "Connection: close\r\n" : "");
    conn_out(c, head, (size_t)hl);
    conn_out(c, body, n);
    if (close_after)
        c->closing = true;
}

static void respond_error(struct conn *c, int status, const char *msg)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"status\":0,\"msg\":\"%s\"}", msg);
    respond(c, status, "application/json", body, (size_t)n, true);
}

/* parse the head in c->in[0..hlen) (hlen includes the blank line) in place */
static int parse_head(size_t max_body, char *start, size_t hlen, struct http_req *r, size_t *clen,
                      bool *keep_alive, const char **err, int *status)
{
    char *p = start, *end = start + hlen;
    memset(r, 0, sizeof(*r));
    *clen = 0;
    char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) {
        *err = "no request line";
        return -1;
    }
    *eol = 0;
    if (eol > p && eol[-1] == '\r')
        eol[-1] = 0;
    /* METHOD SP target SP HTTP/1.x */
    char *sp1 = strchr(p, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7)) {
        *err = "malformed request line";
        return -1;
    }
    *sp1 = *sp2 = 0;
    r->method = !strcmp(p, "GET") ? HTTP_GET : !strcmp(p, "POST") ? HTTP_POST : HTTP_OTHER;
    bool http10 = sp2[8] == '0';
    *keep_alive = !http10;
    char *target = sp1 + 1;
    char *q = strchr(target, '?');
    if (q) {
        *q = 0;
        r->query = q + 1;
    }
    r->path = target;
    p = eol + 1;
    bool chunked = false;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            break;
        *eol = 0;
        if (eol > p && eol[-1] == '\r')
            eol[-1] = 0;
        if (!*p)
            break; /* the blank line */
        char *colon = strchr(p, ':');
        if (!colon || colon == p) {
            *err = "malformed header line";
            return -1;
        }
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = 0;
        if (r->nheaders == HTTPD_MAX_HEADERS) {
            *err = "too many headers";
            *status = 431;
            return -1;
        }
        r->headers[r->nheaders].name = p;
        r->headers[r->nheaders].value = v;
        r->nheaders++;
        if (!strcasecmp(p, "Content-Length")) {
            char *e;
            errno = 0;
            unsigned long long n = strtoull(v, &e, 10);
            if (*e || errno || !*v) {
                *err = "bad Content-Length";
                return -1;
            }
            if (n > max_body) {
                *err = "body larger than max_request";
                *status = 413;
                return -1;
            }
            *clen = (size_t)n;
        } else if (!strcasecmp(p, "Transfer-Encoding")) {
            chunked = true;
        } else if (!strcasecmp(p, "Connection")) {
            if (!strcasecmp(v, "close"))
                *keep_alive = false;
            else if (!strcasecmp(v, "keep-alive"))
                *keep_alive = true;
        }
        p = eol + 1;
    }
    if (chunked) {
        *err = "chunked bodies are not supported: send Content-Length";
        *status = 411;
        return -1;
    }
    return 0;
}

/* Content-Length of a head without changing it: -1 none or not a number */
static long long peek_content_length(const char *p, size_t n)
{
    static const char name[] = "content-length:";
    const char *end = p + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > sizeof(name) - 1 && !strncasecmp(p, name, sizeof(name) - 1)) {
            const char *v = p + sizeof(name) - 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            long long x = 0;
            int digits = 0;
            while (v < eol && *v >= '0' && *v <= '9' && digits < 18) {
                x = x * 10 + (*v++ - '0');
                digits++;
            }
            return digits ? x : -1;
        }
        p = eol + 1;
    }
    return -1;
}

int http_parse(char *start, size_t avail, size_t max_body, struct http_req *r, size_t *consumed, bool *keep,
               int *status, const char **err)
{
    char *hend = NULL;
    for (char *p = start; p + 1 < start + avail; p++) {
        p = memchr(p, '\n', (size_t)(start + avail - p));
        if (!p)
            break;
        if (p + 1 < start + avail && p[1] == '\n') {
            hend = p + 2;
            break;
        }
        if (p + 2 < start + avail && p[1] == '\r' && p[2] == '\n') {
            hend = p + 3;
            break;
        }
    }
    if (!hend) {
        if (avail > HTTPD_MAX_HEAD) {
            *status = 431;
            *err = "request head too large";
            return -1;
        }
        return 0;
    }
    size_t hlen = (size_t)(hend - start);
    /* the whole body must be here before the head is parsed (in place) */
    long long want = peek_content_length(start, hlen);
    if (want > (long long)max_body) {
        *status = 413;
        *err = "body larger than max_request";
        return -1;
    }
    if (want > 0 && avail < hlen + (size_t)want)
        return 0;
    size_t clen;
    *status = 400;
    if (parse_head(max_body, start, hlen, r, &clen, keep, err, status) < 0)
        return -1;
    if (avail < hlen + clen) {
        *err = "bad Content-Length";
        return -1;
    }
    r->body = start + hlen;
    r->bodylen = clen;
    *consumed = hlen + clen;
    return 1;
}

/* handle every complete request in the buffer */
static int process(struct conn *c)
{
    struct httpd *h = c->set->ctx;
    size_t used = 0;
    while (!c->closing && used < c->inlen) {
        struct http_req r;
        size_t n;
        bool keep;
        int status;
        const char *err = NULL;
        int rc = http_parse(c->in + used, c->inlen - used, h->o.max_body, &r, &n, &keep, &status, &err);
        if (rc < 0) {
            respond_error(c, status, err);
            break;
        }
        if (rc == 0)
            break;
        h->body.len = 0;
        struct http_resp resp = {200, "application/json", &h->body};
        h->fn(h->ctx, &r, &resp);
        respond(c, resp.status, resp.content_type ? resp.content_type : "application/json", h->body.p,
                h->body.len, !keep);
        used += n;
    }
    if (used) {
        memmove(c->in, c->in + used, c->inlen - used);
        c->inlen -= used;
    }
    return 0;
}

/* the buffer holds HTTPD_MAX_HEAD + max_body: process() answers 413/431
 * before it is full */
static void on_full(struct conn *c)
{
    conn_close(c);
}

void httpd_set_defer(struct httpd *h, void (*fn)(void *ctx), void *ctx)
{
    h->set.defer = fn;
    h->set.defer_ctx = ctx;
}

void httpd_flush_pending(struct httpd *h)
{
    connset_flush_pending(&h->set);
}

static void set_limits(struct httpd *h)
{
    h->set.max = h->o.max_connections;
    h->set.idle_s = h->o.idle_timeout_s;
    h->set.in_limit = HTTPD_MAX_HEAD + h->o.max_body + 1;
    h->set.in_room = 4096;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    struct httpd *h = arg;
    connset_accept(&h->set, fd, true);
}

struct httpd *httpd_create(struct event_base *base, const char *host, unsigned port, const struct httpd_opts *o,
                           http_handler_fn fn, void *ctx)
{
    char spec[300];
    snprintf(spec, sizeof(spec), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sl) < 0) {
        errno = EINVAL;
        return NULL;
    }
    struct httpd *h = xcalloc(1, sizeof(*h));
    h->o = *o;
    h->fn = fn;
    h->ctx = ctx;
    h->set.base = base;
    h->set.size = sizeof(struct conn);
    h->set.on_data = process;
    h->set.on_full = on_full;
    h->set.ctx = h;
    set_limits(h);
    outbuf_init(&h->body, 4096);
    h->lst = evconnlistener_new_bind(base, on_accept, h,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
                                     (struct sockaddr *)&ss, sl);
    if (!h->lst) {
        int e = errno;
        outbuf_free(&h->body);
        free(h);
        errno = e;
        return NULL;
    }
    return h;
}

void httpd_set_opts(struct httpd *h, const struct httpd_opts *o)
{
    h->o = *o;
    set_limits(h);
}

uint64_t httpd_open(const struct httpd *h)
{
    return h->set.open;
}

void httpd_free(struct httpd *h)
{
    if (!h)
        return;
    connset_close_all(&h->set);
    evconnlistener_free(h->lst);
    outbuf_free(&h->body);
    free(h);
}
