/*
 * admin - /api/, /metrics, /healthz of `mailward serve` (see admin.h).
 */
#include "admin.h"

#include "serve.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <strings.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* one request being answered */
struct areq {
    const struct http_req *r;
    struct http_resp *resp;
};

static void reply_json(struct areq *req, int code, const char *reason, const char *body)
{
    (void)reason;
    req->resp->status = code;
    req->resp->content_type = "application/json";
    outbuf_puts(req->resp->body, body);
    outbuf_putc(req->resp->body, '\n');
}

static void reply_error(struct areq *req, int code, const char *reason, const char *msg)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *t = json_dumps(o, JSON_COMPACT);
    reply_json(req, code, reason, t);
    free(t);
    json_decref(o);
}

bool admin_token_ok(const struct admin_ctx *a, const struct http_req *r)
{
    const char *v = http_header(r, "Authorization");
    const char *tok = NULL;
    if (v && !strncasecmp(v, "Bearer ", 7))
        tok = v + 7;
    else
        tok = http_header(r, "X-Mailward-Token");
    if (!tok || !a->token || !*a->token)
        return false;
    size_t n = strlen(a->token), m = strlen(tok);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a->token[i] ^ (i < m ? tok[i] : 0));
    return diff == 0;
}

/* the request body as JSON (object), or NULL with an error sent */
static json_t *body_json(struct areq *req)
{
    size_t n = req->r->bodylen;
    const char *p = req->r->body;
    json_error_t je;
    json_t *o = n ? json_loadb(p, n, 0, &je) : NULL;
    if (!o || !json_is_object(o)) {
        reply_error(req, 400, "Bad Request", "the body must be a JSON object");
        json_decref(o);
        return NULL;
    }
    return o;
}

static int64_t query_num(struct areq *req, const char *name, int64_t def)
{
    const char *q = req->r->query;
    if (!q)
        return def;
    struct evkeyvalq kv;
    if (evhttp_parse_query_str(q, &kv) < 0)
        return def;
    const char *v = evhttp_find_header(&kv, name);
    int64_t r = v ? strtoll(v, NULL, 10) : def;
    evhttp_clear_headers(&kv);
    return r;
}

/* GET /api/status */
static void api_status(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)arg;
    const struct serve_metrics *m = serve_metrics(a->serve);
    struct guard *g = serve_guard(a->serve);
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "uptime_s", (json_int_t)((now - a->started_us) / 1000000),
                          "bans", (json_int_t)guard_nbans(g), "flagged_accounts", (json_int_t)guard_nflags(g),
                          "findings", (json_int_t)m->findings, "detector_memory_bytes",
                          (json_int_t)serve_memory(a->serve), "store_errors", (json_int_t)m->store_errors);
    char *t = json_dumps(o, JSON_COMPACT);
    reply_json(req, 200, "OK", t);
    free(t);
    json_decref(o);
}

static void ban_to_json(const char *key, const struct guard_ban *b, void *ctx)
{
    json_array_append_new(ctx, json_pack("{s:s,s:s,s:I,s:I,s:I}", "key", key, "kind", b->kind, "finding",
                                         (json_int_t)b->finding, "since", (json_int_t)b->since, "until",
                                         (json_int_t)b->until));
}

static void flag_to_json(const char *account, const struct guard_flag *f, void *ctx)
{
    json_array_append_new(ctx, json_pack("{s:s,s:s,s:I,s:I,s:s,s:I}", "account", account, "kind", f->kind,
                                         "finding", (json_int_t)f->finding, "since", (json_int_t)f->since,
                                         "reason", f->reason, "held", (json_int_t)f->held));
}

static void send_array(struct areq *req, json_t *arr)
{
    char *t = json_dumps(arr, JSON_COMPACT);
    reply_json(req, 200, "OK", t ? t : "[]");
    free(t);
    json_decref(arr);
}

static void api_bans(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)now;
    (void)arg;
    json_t *arr = json_array();
    guard_foreach_ban(serve_guard(a->serve), ban_to_json, arr);
    send_array(req, arr);
}

static void api_flags(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)now;
    (void)arg;
    json_t *arr = json_array();
    guard_foreach_flag(serve_guard(a->serve), flag_to_json, arr);
    send_array(req, arr);
}

static void row_to_array(const char *json, void *ctx)
{
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    if (o)
        json_array_append_new(ctx, o);
}

static void api_rows(struct admin_ctx *a, struct areq *req, const char *what)
{
    int64_t after = query_num(req, "after", 0), limit = query_num(req, "limit", 1000);
    if (limit < 1 || limit > 100000)
        limit = 1000;
    json_t *arr = json_array();
    if (store_query_json(serve_store(a->serve), what, after, (int)limit, row_to_array, arr) < 0) {
        json_decref(arr);
        reply_error(req, 503, "Service Unavailable", store_error(serve_store(a->serve)));
        return;
    }
    send_array(req, arr);
}

static void api_findings(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)arg;
    (void)now;
    api_rows(a, req, "findings");
}

static void api_held(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)arg;
    (void)now;
    api_rows(a, req, "held");
}

static void api_audit(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)arg;
    (void)now;
    api_rows(a, req, "audit");
}

static void done(struct areq *req, int rc, const char *what, const char *none)
{
    if (rc < 0)
        reply_error(req, 400, "Bad Request", what);
    else if (rc == 0)
        reply_error(req, 404, "Not Found", none);
    else
        reply_json(req, 200, "OK", "{\"ok\":true}");
}

/* POST /api/ban {"key":"192.0.2.7"|"192.0.2.0/24","seconds":N} */
static void api_ban(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)arg;
    json_t *o = body_json(req);
    if (!o)
        return;
    const char *key = json_string_value(json_object_get(o, "key"));
    json_int_t secs = json_integer_value(json_object_get(o, "seconds"));
    if (!key || secs < 0 || secs > 365 * 86400)
        reply_error(req, 400, "Bad Request", "need {\"key\": address or CIDR, \"seconds\": 0..31536000}");
    else
        done(req, serve_ban(a->serve, now, key, (uint32_t)secs), "key is not an address or network, or the store failed",
             "");
    json_decref(o);
}

/* POST /api/unban {"key":...} */
static void api_unban(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)arg;
    (void)now;
    json_t *o = body_json(req);
    if (!o)
        return;
    const char *key = json_string_value(json_object_get(o, "key"));
    if (!key)
        reply_error(req, 400, "Bad Request", "need {\"key\": address or CIDR}");
    else
        done(req, serve_unban(a->serve, key), "key is not an address or network, or the store failed",
             "not banned");
    json_decref(o);
}

/* POST /api/flag {"account":...,"reason":...} */
static void api_flag(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)arg;
    json_t *o = body_json(req);
    if (!o)
        return;
    const char *acct = json_string_value(json_object_get(o, "account"));
    const char *why = json_string_value(json_object_get(o, "reason"));
    if (!acct || !*acct || strlen(acct) > 255)
        reply_error(req, 400, "Bad Request", "need {\"account\": name}");
    else
        done(req, serve_flag(a->serve, now, acct, why), "bad account", "already flagged");
    json_decref(o);
}

/* POST /api/release {"account":...} */
static void api_release(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now)
{
    (void)arg;
    json_t *o = body_json(req);
    if (!o)
        return;
    const char *acct = json_string_value(json_object_get(o, "account"));
    if (!acct || !*acct)
        reply_error(req, 400, "Bad Request", "need {\"account\": name}");
    else
        done(req, serve_release(a->serve, now, acct), "the store failed", "not flagged");
    json_decref(o);
}

struct route {
    enum http_method method;
    const char *path;
    void (*fn)(struct admin_ctx *a, struct areq *req, const char *arg, int64_t now);
};

static const struct route routes[] = {
    {HTTP_GET, "/api/status", api_status},
    {HTTP_GET, "/api/findings", api_findings},
    {HTTP_GET, "/api/bans", api_bans},
    {HTTP_GET, "/api/flags", api_flags},
    {HTTP_GET, "/api/held", api_held},
    {HTTP_GET, "/api/audit", api_audit},
    {HTTP_POST, "/api/ban", api_ban},
    {HTTP_POST, "/api/unban", api_unban},
    {HTTP_POST, "/api/flag", api_flag},
    {HTTP_POST, "/api/release", api_release},
};

/* metrics: name, help, type, offset into struct serve_metrics */
struct metric {
    const char *name, *labels, *help;
    size_t off;
};

#define M(f) offsetof(struct serve_metrics, f)
static const struct metric metrics[] = {
    {"mailward_dovecot_decisions_total", "decision=\"allow\"", "Dovecot auth policy decisions", M(dovecot_allow)},
    {"mailward_dovecot_decisions_total", "decision=\"delay\"", NULL, M(dovecot_delay)},
    {"mailward_dovecot_decisions_total", "decision=\"reject\"", NULL, M(dovecot_reject)},
    {"mailward_dovecot_reports_total", "result=\"success\"", "Dovecot authentication reports", M(dovecot_report_ok)},
    {"mailward_dovecot_reports_total", "result=\"failure\"", NULL, M(dovecot_report_fail)},
    {"mailward_dovecot_bad_requests_total", "", "malformed Dovecot requests", M(dovecot_bad)},
    {"mailward_postfix_decisions_total", "action=\"dunno\"", "Postfix policy decisions", M(postfix_dunno)},
    {"mailward_postfix_decisions_total", "action=\"hold\"", NULL, M(postfix_hold)},
    {"mailward_postfix_decisions_total", "action=\"defer\"", NULL, M(postfix_defer)},
    {"mailward_postfix_decisions_total", "action=\"reject\"", NULL, M(postfix_reject)},
    {"mailward_postfix_bad_requests_total", "", "malformed Postfix policy requests", M(postfix_bad)},
    {"mailward_findings_total", "", "findings raised", M(findings)},
    {"mailward_bans_added_total", "", "addresses and networks banned", M(bans_added)},
    {"mailward_flags_added_total", "", "accounts flagged", M(flags_added)},
    {"mailward_stale_password_notices_total", "", "clients found retrying one old password", M(stale_notices)},
    {"mailward_detector_renewals_total", "", "times the detectors started afresh (max_findings)", M(engine_renewals)},
    {"mailward_weak_password_notices_total", "", "accounts seen logging in with a common password", M(weak_passwords)},
    {"mailward_store_errors_total", "", "failed writes to the state store", M(store_errors)},
    /* milter (milter.c, serve_content) */
    {"mailward_milter_decisions_total", "action=\"accept\"", "milter verdicts on authenticated mail",
     M(milter_accept)},
    {"mailward_milter_decisions_total", "action=\"quarantine\"", NULL, M(milter_quarantine)},
    {"mailward_milter_decisions_total", "action=\"defer\"", NULL, M(milter_defer)},
    {"mailward_milter_decisions_total", "action=\"reject\"", NULL, M(milter_reject)},
    {"mailward_milter_unauthenticated_total", "", "messages without {auth_authen}, accepted untouched",
     M(milter_unauth)},
    {"mailward_milter_failopen_total", "reason=\"timeout\"", "messages accepted without a verdict (fail-open)",
     M(milter_timeouts)},
    {"mailward_milter_failopen_total", "reason=\"queue_full\"", NULL, M(milter_queue_full)},
    {"mailward_content_flags_total", "", "accounts flagged for the content traits of the hijack waves",
     M(content_flags)},
    /* actions (actions.c) */
    {"mailward_webhook_posts_total", "result=\"sent\"", "findings POSTed to the webhook", M(webhook_sent)},
    {"mailward_webhook_posts_total", "result=\"failed\"", NULL, M(webhook_failed)},
    {"mailward_webhook_posts_total", "result=\"dropped\"", NULL, M(webhook_dropped)},
    {"mailward_webhook_retries_total", "", "webhook POSTs tried again after a failure", M(webhook_retries)},
    {"mailward_hook_commands_total", "result=\"run\"", "hook_command runs (failed: non-zero exit, killed, "
     "not started; dropped: never run, the queue was full)", M(hooks_run)},
    {"mailward_hook_commands_total", "result=\"failed\"", NULL, M(hooks_failed)},
    {"mailward_hook_commands_total", "result=\"dropped\"", NULL, M(hooks_dropped)},
    {"mailward_nft_updates_total", "result=\"done\"", "nftables set elements added or deleted", M(nft_updates)},
    {"mailward_nft_updates_total", "result=\"failed\"", NULL, M(nft_failed)},
    {"mailward_nft_updates_total", "result=\"dropped\"", NULL, M(nft_dropped)},
};

static void ob_printf(struct outbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ob_printf(struct outbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        outbuf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void send_metrics(struct admin_ctx *a, struct areq *req)
{
    struct outbuf *b = req->resp->body;
    const struct serve_metrics *m = serve_metrics(a->serve);
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
        const struct metric *x = &metrics[i];
        if (x->help)
            ob_printf(b, "# HELP %s %s\n# TYPE %s counter\n", x->name, x->help, x->name);
        uint64_t v = *(const uint64_t *)((const char *)m + x->off);
        if (*x->labels)
            ob_printf(b, "%s{%s} %llu\n", x->name, x->labels, (unsigned long long)v);
        else
            ob_printf(b, "%s %llu\n", x->name, (unsigned long long)v);
    }
    struct guard *g = serve_guard(a->serve);
    ob_printf(b, "# HELP mailward_bans active bans\n# TYPE mailward_bans gauge\nmailward_bans %zu\n",
                        guard_nbans(g));
    ob_printf(b,
                        "# HELP mailward_flagged_accounts accounts flagged now\n# TYPE mailward_flagged_accounts "
                        "gauge\nmailward_flagged_accounts %zu\n",
                        guard_nflags(g));
    ob_printf(b,
                        "# HELP mailward_connections open client connections\n# TYPE mailward_connections gauge\n"
                        "mailward_connections{door=\"http\"} %llu\nmailward_connections{door=\"postfix\"} %llu\n",
                        (unsigned long long)(a->open_http ? *a->open_http : 0),
                        (unsigned long long)(a->open_postfix ? *a->open_postfix : 0));
    req->resp->status = 200;
    req->resp->content_type = "text/plain; version=0.0.4";
}

void admin_handle(struct admin_ctx *a, const struct http_req *r, struct http_resp *resp, const char *path,
                  int64_t now_us)
{
    struct areq areq = {r, resp}, *req = &areq;
    enum http_method method = r->method;
    if (!strcmp(path, "/healthz")) {
        reply_json(req, 200, "OK", "{\"ok\":true}");
        return;
    }
    if (!strcmp(path, "/metrics")) {
        if (!a->metrics_public && !admin_token_ok(a, r)) {
            reply_error(req, 401, "Unauthorized", "the admin token is needed (Authorization: Bearer TOKEN)");
            return;
        }
        send_metrics(a, req);
        return;
    }
    if (!admin_token_ok(a, r)) {
        reply_error(req, 401, "Unauthorized",
                    "the admin token is needed (Authorization: Bearer TOKEN; it is in STATE_DIR/admin.token)");
        return;
    }
    bool path_known = false;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, path))
            continue;
        path_known = true;
        if (routes[i].method == method) {
            routes[i].fn(a, req, NULL, now_us);
            return;
        }
    }
    if (path_known)
        reply_error(req, 405, "Method Not Allowed", "wrong method for this path");
    else
        reply_error(req, 404, "Not Found", "no such API path (see docs/serve.md)");
}
