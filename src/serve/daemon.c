/*
 * daemon - listeners, signals and the timer of `mailward serve` (see daemon.h).
 */
#include "daemon.h"

#include "actions.h"
#include "admin.h"
#include "conn.h"
#include "milter.h"
#include "follow.h"
#include "httpd.h"
#include "serve.h"
#include "store.h"
#include "../enrich/asn_table.h"
#include "../util/xalloc.h"
#include "../passwd/pwlist.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct daemon {
    struct serve_config cfg;
    const char *config_path;
    struct event_base *base;
    struct httpd *http;
    struct evconnlistener *pf;
    struct connset pfset;        /* the Postfix door's connections (conn.c) */
    struct event *commit_ev;     /* group commit: once per turn of the loop */
    struct serve *serve;
    struct actions *actions;     /* webhook, hook command, nftables (actions.c) */
    struct follow *follow;       /* --follow: logs tailed into the engine (follow.c), or NULL */
    struct milter *milter;       /* libmilter content door (milter.c), or NULL */
    struct store *store;
    struct asn_table *asn;
    struct pwlist *pwlist;
    struct admin_ctx admin;
    char token[80];
    char api_name[128], api_value[512];  /* dovecot_api_header split */
    uint64_t open_http;
    char unix_path[108];
};

struct pfconn {
    struct conn c;               /* first: conn.c allocates and frees it */
    struct pfpol_req req;
    struct pf_session sess;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void say(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "mailward serve: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
}

/* ---- Dovecot auth policy over HTTP ---- */

/* errors to Dovecot as JSON too (its log shows the body) */
static void json_error(struct http_resp *resp, int code, const char *msg)
{
    char body[400];
    size_t n = dovecot_reply(body, sizeof(body), 0, msg);
    resp->status = code;
    outbuf_put(resp->body, body, n);
}

static void dovecot_request(struct daemon *d, const struct http_req *req, struct http_resp *resp)
{
    if (req->method != HTTP_POST) {
        json_error(resp, 405, "Dovecot policy requests are POSTs");
        return;
    }
    if (d->api_name[0]) {
        const char *v = http_header(req, d->api_name);
        if (!v || strcmp(v, d->api_value)) {
            json_error(resp, 401, "missing or wrong API header (dovecot_api_header)");
            return;
        }
    }
    struct dovecot_req r;
    r.command = dovecot_command(req->query);
    char err[200];
    struct serve_metrics *m = (struct serve_metrics *)serve_metrics(d->serve);
    if (r.command == DOVECOT_NONE) {
        m->dovecot_bad++;
        json_error(resp, 400, "need ?command=allow or ?command=report");
        return;
    }
    if (dovecot_parse(&r, req->bodylen ? req->body : "", req->bodylen, err, sizeof(err)) < 0) {
        m->dovecot_bad++;
        if (strcmp(d->cfg.log_level, "debug") == 0)
            say("dovecot request: %s%s", err, "");
        json_error(resp, 400, err);
        return;
    }
    char reply[256];
    size_t rn = serve_dovecot(d->serve, now_us(), &r, reply, sizeof(reply));
    outbuf_put(resp->body, reply, rn);
}

static void http_cb(void *arg, const struct http_req *req, struct http_resp *resp)
{
    struct daemon *d = arg;
    const char *path = req->path && *req->path ? req->path : "/";
    if (!strncmp(path, "/api/", 5) || !strcmp(path, "/metrics") || !strcmp(path, "/healthz")) {
        d->open_http = httpd_open(d->http);
        admin_handle(&d->admin, req, resp, path, now_us());
        return;
    }
    dovecot_request(d, req, resp);
}

/* ---- Postfix policy delegation ---- */

static void pf_bad(struct conn *c, const char *why)
{
    struct daemon *d = c->set->ctx;
    struct serve_metrics *m = (struct serve_metrics *)serve_metrics(d->serve);
    m->postfix_bad++;
    fprintf(stderr, "mailward serve: postfix request: %s; connection closed (Postfix applies its default_action)\n",
            why);
    conn_close(c);
}

static void pf_full(struct conn *c)
{
    pf_bad(c, "a line longer than max_request");
}

/* every complete line of the buffer into the request; a reply per request */
static int pf_data(struct conn *cn)
{
    struct pfconn *c = (struct pfconn *)cn;
    struct daemon *d = cn->set->ctx;
    size_t used = 0;
    char *nl;
    while ((nl = memchr(cn->in + used, '\n', cn->inlen - used))) {
        size_t len = (size_t)(nl - (cn->in + used));
        enum pfpol_rc rc = pfpol_feed(&c->req, cn->in + used, len);
        used += len + 1;
        if (rc == PFPOL_ERROR) {
            char why[160];
            snprintf(why, sizeof(why), "%s", c->req.err);
            pf_bad(cn, why);
            return -1;
        }
        if (rc == PFPOL_DONE) {
            char reply[512];
            size_t rn = serve_postfix(d->serve, now_us(), &c->sess, &c->req, reply, sizeof(reply));
            conn_out(cn, reply, rn);
            pfpol_reset(&c->req);
        }
    }
    if (used) {
        memmove(cn->in, cn->in + used, cn->inlen - used);
        cn->inlen -= used;
    }
    return 0;
}

/* group commit: after the loop has read what was ready and decided it,
 * the store commits once (bans and flags become durable), then the
 * replies that depend on them go out */
static void on_commit(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct daemon *d = arg;
    serve_commit_durable(d->serve);
    if (d->http)
        httpd_flush_pending(d->http);
    connset_flush_pending(&d->pfset);
}

static void defer_replies(void *arg)
{
    struct daemon *d = arg;
    event_active(d->commit_ev, EV_TIMEOUT, 0);
}

static void pf_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)l;
    (void)salen;
    struct daemon *d = arg;
    struct pfconn *c = (struct pfconn *)connset_accept(&d->pfset, fd, sa && sa->sa_family != AF_UNIX);
    if (c)
        pfpol_init(&c->req, d->cfg.max_request);
}

/* the Postfix door's limits, from the configuration (again after SIGHUP) */
static void pf_limits(struct daemon *d)
{
    d->pfset.max = d->cfg.max_connections;
    d->pfset.idle_s = d->cfg.idle_timeout;
    d->pfset.in_limit = d->cfg.max_request + 1;
    d->pfset.in_room = 1024;
}

/* "ADDR:PORT", "[V6]:PORT", ":PORT" -> host, port */
static int split_hostport(const char *s, char *host, size_t hostlen, unsigned *port)
{
    const char *colon;
    if (s[0] == '[') {
        const char *close_b = strchr(s, ']');
        if (!close_b || close_b[1] != ':')
            return -1;
        snprintf(host, hostlen, "%.*s", (int)(close_b - s - 1), s + 1);
        colon = close_b + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        snprintf(host, hostlen, "%.*s", (int)(colon - s), s);
        if (!host[0])
            snprintf(host, hostlen, "127.0.0.1");
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535)
        return -1;
    *port = (unsigned)p;
    return 0;
}

static int listen_postfix(struct daemon *d)
{
    const char *spec = d->cfg.postfix;
    if (!spec || !*spec)
        return 0;
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    if (!strncmp(spec, "unix:", 5)) {
        struct sockaddr_un un = {0};
        un.sun_family = AF_UNIX;
        if (strlen(spec + 5) >= sizeof(un.sun_path)) {
            say("postfix %s: the socket path is too long%s", spec, "");
            return -1;
        }
        strcpy(un.sun_path, spec + 5);
        struct stat sb;
        if (lstat(un.sun_path, &sb) == 0 && S_ISSOCK(sb.st_mode))
            unlink(un.sun_path); /* a stale socket of an earlier run */
        d->pf = evconnlistener_new_bind(d->base, pf_accept, d, flags, 1024, (struct sockaddr *)&un, sizeof(un));
        if (d->pf) {
            chmod(un.sun_path, 0666);
            snprintf(d->unix_path, sizeof(d->unix_path), "%s", un.sun_path);
        }
    } else {
        char host[256];
        unsigned port;
        if (split_hostport(spec, host, sizeof(host), &port) < 0) {
            say("postfix \"%s\": expected ADDR:PORT or unix:PATH%s", spec, "");
            return -1;
        }
        struct sockaddr_storage ss;
        int sl = sizeof(ss);
        char full[300];
        snprintf(full, sizeof(full), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
        if (evutil_parse_sockaddr_port(full, (struct sockaddr *)&ss, &sl) < 0) {
            say("postfix \"%s\": not a numeric address%s", spec, "");
            return -1;
        }
        d->pf = evconnlistener_new_bind(d->base, pf_accept, d, flags, 1024, (struct sockaddr *)&ss, sl);
    }
    if (!d->pf) {
        fprintf(stderr, "mailward serve: cannot listen on %s for Postfix: %s (another mailward running? set "
                        "--postfix)\n", spec, strerror(errno));
        return -1;
    }
    return 0;
}

static int listen_http(struct daemon *d)
{
    char host[256];
    unsigned port;
    if (split_hostport(d->cfg.http, host, sizeof(host), &port) < 0) {
        say("http \"%s\": expected ADDR:PORT%s", d->cfg.http, "");
        return -1;
    }
    struct httpd_opts o = {d->cfg.max_request, d->cfg.max_connections, d->cfg.idle_timeout};
    d->http = httpd_create(d->base, host, port, &o, http_cb, d);
    if (!d->http) {
        fprintf(stderr, "mailward serve: cannot listen on %s for HTTP: %s (another mailward running? set --http)\n",
                d->cfg.http, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- signals, timer ---- */

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct daemon *d = arg;
    fprintf(stderr, "mailward serve: %s: saving state and stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_base_loopbreak(d->base);
}

static void apply_api_header(struct daemon *d)
{
    d->api_name[0] = d->api_value[0] = 0;
    const char *h = d->cfg.dovecot_api_header;
    const char *colon = h ? strchr(h, ':') : NULL;
    if (!colon)
        return;
    snprintf(d->api_name, sizeof(d->api_name), "%.*s", (int)(colon - h), h);
    const char *v = colon + 1;
    while (*v == ' ')
        v++;
    snprintf(d->api_value, sizeof(d->api_value), "%s", v);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    struct daemon *d = arg;
    if (!d->config_path) {
        fprintf(stderr, "mailward serve: SIGHUP: no --config file to reload\n");
        return;
    }
    struct serve_config c;
    config_copy(&c, &d->cfg);
    char err[512];
    if (config_load(&c, d->config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "mailward serve: SIGHUP: %s; keeping the running configuration\n", err);
        config_free(&c);
        return;
    }
    if (strcmp(c.http, d->cfg.http) || strcmp(c.postfix, d->cfg.postfix) || strcmp(c.state_dir, d->cfg.state_dir))
        fprintf(stderr, "mailward serve: SIGHUP: listeners and state_dir change only on restart\n");
    if (d->actions && actions_reconfigure(d->actions, &c, err, sizeof(err)) < 0)
        fprintf(stderr, "mailward serve: SIGHUP: %s; the actions keep their settings\n", err);
    serve_reconfigure(d->serve, &c);
    config_free(&d->cfg);
    d->cfg = c;
    apply_api_header(d);
    struct httpd_opts ho = {d->cfg.max_request, d->cfg.max_connections, d->cfg.idle_timeout};
    httpd_set_opts(d->http, &ho);
    pf_limits(d);
    d->admin.metrics_public = d->cfg.metrics_public;
    fprintf(stderr, "mailward serve: SIGHUP: reloaded %s\n", d->config_path);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct daemon *d = arg;
    serve_tick(d->serve, now_us());
    actions_metrics(d->actions, (struct serve_metrics *)serve_metrics(d->serve));
}

int daemon_token(const char *state_dir, int create, char *out, size_t outlen, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/admin.token", state_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char buf[128] = "";
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = 0;
        fclose(f);
        buf[strcspn(buf, "\r\n")] = 0;
        if (strlen(buf) < 16) {
            snprintf(err, errlen, "%s: the token is shorter than 16 characters; delete the file to make a new one",
                     path);
            return -1;
        }
        snprintf(out, outlen, "%s", buf);
        return 0;
    }
    if (!create) {
        snprintf(err, errlen, "%s: %s (is the daemon's --state-dir the same? does this user may read it?)", path,
                 strerror(errno));
        return -1;
    }
    unsigned char raw[24];
    int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (rfd < 0 || read(rfd, raw, sizeof(raw)) != (ssize_t)sizeof(raw)) {
        snprintf(err, errlen, "cannot read /dev/urandom for the admin token");
        if (rfd >= 0)
            close(rfd);
        return -1;
    }
    close(rfd);
    static const char hx[] = "0123456789abcdef";
    char tok[sizeof(raw) * 2 + 1];
    for (size_t i = 0; i < sizeof(raw); i++) {
        tok[2 * i] = hx[raw[i] >> 4];
        tok[2 * i + 1] = hx[raw[i] & 15];
    }
    tok[sizeof(tok) - 1] = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, tok, strlen(tok)) != (ssize_t)strlen(tok) || write(fd, "\n", 1) != 1) {
        snprintf(err, errlen, "%s: cannot write the admin token: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    snprintf(out, outlen, "%s", tok);
    return 0;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static const char *asn_path(const struct serve_config *c, char *buf, size_t n)
{
    if (!c->asn_db || !*c->asn_db)
        return NULL;
    if (strcmp(c->asn_db, "auto"))
        return c->asn_db;
    const char *env = getenv("MAILWARD_ASN_DB");
    const char *cands[] = {env, MW_SOURCE_DIR "/data/asn.mwdb", "/var/lib/mailward/asn.mwdb"};
    for (size_t i = 0; i < 3; i++)
        if (cands[i] && access(cands[i], R_OK) == 0) {
            snprintf(buf, n, "%s", cands[i]);
            return buf;
        }
    return NULL;
}

static const char *passwords_path(const struct serve_config *c, char *buf, size_t n)
{
    if (!c->passwords || !*c->passwords)
        return NULL;
    if (strcmp(c->passwords, "auto"))
        return c->passwords;
    const char *env = getenv("MAILWARD_PASSWORDS");
    const char *cands[] = {env, MW_SOURCE_DIR "/data/passwords.txt", "/var/lib/mailward/passwords.txt"};
    for (size_t i = 0; i < 3; i++)
        if (cands[i] && access(cands[i], R_OK) == 0) {
            snprintf(buf, n, "%s", cands[i]);
            return buf;
        }
    return NULL;
}

int daemon_run(const struct serve_config *cfg, const char *config_path)
{
    struct daemon d;
    memset(&d, 0, sizeof(d));
    config_copy(&d.cfg, cfg);
    d.config_path = config_path;
    apply_api_header(&d);
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    int rc = 1;
    char err[1024];
    d.store = store_open(d.cfg.state_dir, err, sizeof(err));
    if (!d.store) {
        fprintf(stderr, "mailward serve: %s\n", err);
        goto out;
    }
    if (daemon_token(d.cfg.state_dir, 1, d.token, sizeof(d.token), err, sizeof(err)) < 0) {
        fprintf(stderr, "mailward serve: %s\n", err);
        goto out;
    }
    char abuf[4096];
    const char *ap = asn_path(&d.cfg, abuf, sizeof(abuf));
    if (ap) {
        struct asn_err aerr;
        d.asn = asn_table_open(ap, &aerr);
        if (!d.asn)
            fprintf(stderr, "mailward serve: %s: %s; running without ASNs\n", ap, aerr.msg);
    }
    d.serve = serve_create(&d.cfg, d.store, d.asn, err, sizeof(err));
    if (!d.serve) {
        fprintf(stderr, "mailward serve: %s\n", err);
        goto out;
    }
    d.actions = actions_create(&d.cfg, err, sizeof(err));
    if (!d.actions) {
        fprintf(stderr, "mailward serve: %s\n", err);
        goto out;
    }
    serve_on_finding(d.serve, actions_finding, d.actions);
    serve_on_ban(d.serve, actions_ban, d.actions);
    actions_restore_bans(d.actions, serve_guard(d.serve), now_us() / 1000000);
    if (d.cfg.pwhash_nonce && *d.cfg.pwhash_nonce) {
        char pbuf[4096];
        const char *pp = passwords_path(&d.cfg, pbuf, sizeof(pbuf));
        if (!pp) {
            fprintf(stderr, "mailward serve: pwhash_nonce is set but there is no password list (run "
                            "scripts/fetch-passwords.sh or set passwords); weak passwords are not checked\n");
        } else if (!(d.pwlist = pwlist_open(pp, err, sizeof(err)))) {
            fprintf(stderr, "mailward serve: %s; weak passwords are not checked\n", err);
        } else if (serve_set_passwords(d.serve, d.pwlist, err, sizeof(err)) < 0) {
            fprintf(stderr, "mailward serve: %s; weak passwords are not checked\n", err);
        }
    }
    d.base = event_base_new();
    /* three priorities: sockets and timers at the default (1), the group
     * commit after them (2) in the same turn of the loop */
    if (d.base && event_base_priority_init(d.base, 3) == 0) {
        d.commit_ev = event_new(d.base, -1, 0, on_commit, &d);
        event_priority_set(d.commit_ev, 2);
        store_set_group(d.store, 1);
    }
    if (!d.base) {
        fprintf(stderr, "mailward serve: cannot create the event loop\n");
        goto out;
    }
    d.admin.serve = d.serve;
    d.admin.token = d.token;
    d.admin.metrics_public = d.cfg.metrics_public;
    d.admin.started_us = now_us();
    d.admin.open_http = &d.open_http;
    d.admin.open_postfix = &d.pfset.open;
    d.pfset.base = d.base;
    d.pfset.size = sizeof(struct pfconn);
    d.pfset.on_data = pf_data;
    d.pfset.on_full = pf_full;
    d.pfset.ctx = &d;
    pf_limits(&d);
    if (listen_http(&d) < 0 || listen_postfix(&d) < 0)
        goto out;
    if (d.commit_ev) {
        httpd_set_defer(d.http, defer_replies, &d);
        d.pfset.defer = defer_replies;
        d.pfset.defer_ctx = &d;
    }
    if (d.cfg.follow && *d.cfg.follow) {
        d.follow = follow_create(d.cfg.follow, d.cfg.follow_from_start, &d.cfg.log_level, follow_to_serve, d.serve,
                                 err, sizeof(err));
        if (!d.follow || follow_start(d.follow, d.base) < 0) {
            fprintf(stderr, "mailward serve: %s\n", d.follow ? "follow: cannot start its timer" : err);
            goto out;
        }
    }
    if (d.cfg.milter && *d.cfg.milter && !(d.milter = milter_start(&d.cfg, d.base, d.serve, err, sizeof(err)))) {
        fprintf(stderr, "mailward serve: %s\n", err);
        goto out;
    }
    struct event *ev_term = evsignal_new(d.base, SIGTERM, on_stop, &d);
    struct event *ev_int = evsignal_new(d.base, SIGINT, on_stop, &d);
    struct event *ev_hup = evsignal_new(d.base, SIGHUP, on_hup, &d);
    struct event *tick = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
    struct timeval tv = {0, 200000};
    evsignal_add(ev_term, NULL);
    evsignal_add(ev_int, NULL);
    evsignal_add(ev_hup, NULL);
    event_add(tick, &tv);
    fprintf(stderr, "mailward serve: listening: http %s (Dovecot policy, /api/, /metrics), postfix %s; state %s\n",
            d.cfg.http, *d.cfg.postfix ? d.cfg.postfix : "(off)", d.cfg.state_dir);
    event_base_dispatch(d.base);
    serve_save(d.serve);
    store_flush(d.store);
    event_free(ev_term);
    event_free(ev_int);
    event_free(ev_hup);
    event_free(tick);
    rc = 0;
out:
    if (d.commit_ev)
        event_free(d.commit_ev);
    milter_stop(d.milter); /* waiting milter threads accept; before the serve and the loop it uses */
    httpd_free(d.http);
    if (d.pf)
        evconnlistener_free(d.pf);
    connset_close_all(&d.pfset);
    if (d.unix_path[0])
        unlink(d.unix_path);
    actions_destroy(d.actions); /* finishes queued actions (action_flush seconds at most) */
    serve_free(d.serve);
    follow_free(d.follow); /* after the serve (its findings point at the file names), before the loop */
    if (d.base)
        event_base_free(d.base);
    store_close(d.store);
    if (d.pwlist)
        pwlist_close(d.pwlist);
    if (d.asn)
        asn_table_close(d.asn);
    config_free(&d.cfg);
    return rc;
}
