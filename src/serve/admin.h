/*
 * admin - the admin HTTP API of `mailward serve` under /api/ (JSON, with the
 * admin token), /metrics (Prometheus text) and /healthz. Routes, methods
 * and metrics come from tables in admin.c; handlers are short and call
 * serve.c for every change, so bans and flags made by hand are persisted
 * the same way as the detectors'.
 *
 * admin_handle() answers one request that daemon.c routed here (the path
 * starts with /api/, or is /metrics or /healthz). Authentication: the
 * header "Authorization: Bearer TOKEN" (or "X-Mailward-Token: TOKEN"),
 * compared in constant time; a missing or wrong token gets 401.
 */
#ifndef MW_SERVE_ADMIN_H
#define MW_SERVE_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "httpd.h"

struct serve;

struct admin_ctx {
    struct serve *serve;
    const char *token;
    bool metrics_public;
    int64_t started_us;
    uint64_t *open_http, *open_postfix;   /* gauges owned by the daemon */
};

void admin_handle(struct admin_ctx *a, const struct http_req *r, struct http_resp *resp, const char *path,
                  int64_t now_us);
/* admin_token_ok - constant-time check of the request's token */
bool admin_token_ok(const struct admin_ctx *a, const struct http_req *r);

#endif
