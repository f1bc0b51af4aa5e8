/*
 * mwtest - shared helpers for the cmocka unit tests: parse one line with a
 * fresh parser and compare slices with C strings.
 */
#ifndef MW_TEST_H
#define MW_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/event/event.h"
#include "../../src/sources/parser.h"

/* assert_slice - the slice equals s (NULL: the field is absent) */
#define assert_slice(sl, s)                                                        \
    do {                                                                           \
        struct mw_slice _sl = (sl);                                                \
        const char *_s = (s);                                                      \
        if (!_s) {                                                                 \
            if (_sl.p)                                                             \
                fail_msg("expected absent, got '%.*s'", (int)_sl.n, _sl.p);        \
        } else {                                                                   \
            if (!_sl.p)                                                            \
                fail_msg("expected '%s', got absent", _s);                         \
            if (_sl.n != strlen(_s) || memcmp(_sl.p, _s, _sl.n) != 0)              \
                fail_msg("expected '%s', got '%.*s'", _s, (int)_sl.n, _sl.p);      \
        }                                                                          \
    } while (0)

/* mwtest_parse - run one line through parser p (year 2026); returns 1 if an event */
static inline int mwtest_parse(struct mw_parser *p, const char *line, struct mw_event *ev)
{
    struct logline_clock c;
    logline_clock_init(&c, 2026, 0, false, 0);
    memset(ev, 0, sizeof(*ev));
    return parser_line(p, line, strlen(line), &c, ev);
}

#endif

/* One table row: a line and the event it must give (kind NONE = no event).
 * String fields NULL = must be absent; "*" = not checked. */
struct ev_case {
    const char *line;
    enum mw_kind kind;
    const char *service;
    const char *ip;
    const char *account;
    int tls;            /* -1 unknown, 0, 1, 9 not checked */
    const char *reason;
    const char *extra_key;  /* one more field: "method", "pw", "queue", "sender",
                               "recipient", "status", "dsn", "dnsbl", "nrcpt",
                               "attempts", "session" */
    const char *extra_val;
};

static inline struct mw_slice ev_field(const struct mw_event *ev, const char *key, char *tmp)
{
    if (!strcmp(key, "method")) return ev->method;
    if (!strcmp(key, "pw")) return ev->pw_fingerprint;
    if (!strcmp(key, "queue")) return ev->queue_id;
    if (!strcmp(key, "sender")) return ev->sender;
    if (!strcmp(key, "recipient")) return ev->recipient;
    if (!strcmp(key, "status")) return ev->status;
    if (!strcmp(key, "dsn")) return ev->dsn;
    if (!strcmp(key, "dnsbl")) return ev->dnsbl;
    if (!strcmp(key, "session")) return ev->session;
    if (!strcmp(key, "relay")) return ev->relay;
    if (!strcmp(key, "nrcpt") || !strcmp(key, "attempts")) {
        int v = !strcmp(key, "nrcpt") ? ev->nrcpt : ev->attempts;
        if (v < 0)
            return (struct mw_slice){NULL, 0};
        int l = snprintf(tmp, 16, "%d", v);
        return MW_SLICE(tmp, l);
    }
    fail_msg("unknown key %s", key);
    return (struct mw_slice){NULL, 0};
}

static inline void ev_check_str(size_t i, const char *what, struct mw_slice got, const char *want)
{
    if (want && !strcmp(want, "*"))
        return;
    if (!want && !got.p)
        return;
    if (!want)
        fail_msg("row %zu %s: expected absent, got '%.*s'", i, what, (int)got.n, got.p);
    if (!got.p)
        fail_msg("row %zu %s: expected '%s', got absent", i, what, want);
    if (got.n != strlen(want) || memcmp(got.p, want, got.n))
        fail_msg("row %zu %s: expected '%s', got '%.*s'", i, what, want, (int)got.n, got.p);
}

/* ev_run_cases - every row through ONE parser, in order (rows may depend on
 * earlier rows, e.g. Postfix queue ids). */
static inline void ev_run_cases(const struct ev_case *rows, size_t n, enum mw_format fmt)
{
    struct parser_opts o = {fmt, 64};
    struct mw_parser *p = parser_create(&o);
    for (size_t i = 0; i < n; i++) {
        const struct ev_case *c = &rows[i];
        struct mw_event ev;
        int r = mwtest_parse(p, c->line, &ev);
        if (c->kind == MW_KIND_NONE) {
            if (r)
                fail_msg("row %zu: expected no event, got %s for '%s'", i,
                         event_kind_name(ev.kind), c->line);
            continue;
        }
        if (!r)
            fail_msg("row %zu: expected %s, got no event for '%s'", i,
                     event_kind_name(c->kind), c->line);
        if (ev.kind != c->kind)
            fail_msg("row %zu: expected %s, got %s", i, event_kind_name(c->kind),
                     event_kind_name(ev.kind));
        const char *svc = event_service_name(ev.service);
        ev_check_str(i, "service", svc ? MW_SLICE(svc, strlen(svc)) : (struct mw_slice){NULL, 0},
                     c->service);
        ev_check_str(i, "ip", ev.ip, c->ip);
        ev_check_str(i, "account", ev.account, c->account);
        if (c->tls != 9 && ev.tls != c->tls)
            fail_msg("row %zu: tls %d, expected %d", i, ev.tls, c->tls);
        ev_check_str(i, "reason", ev.reason, c->reason);
        if (c->extra_key) {
            char tmp[16];
            ev_check_str(i, c->extra_key, ev_field(&ev, c->extra_key, tmp), c->extra_val);
        }
    }
    parser_free(p);
}
#define EV_RUN(rows, fmt) ev_run_cases((rows), sizeof(rows) / sizeof((rows)[0]), (fmt))
