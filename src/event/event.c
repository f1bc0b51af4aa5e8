/*
 * event - names of kinds and services, and the JSON and table renderings of
 * an event (the `mailward events` output contract, docs/events.md).
 */
#include "event.h"

#include <string.h>

#include "../util/xalloc.h"

static const char *const kind_names[MW_KIND__COUNT] = {
    [MW_KIND_NONE] = "none",
    [MW_KIND_AUTH_FAILURE] = "auth_failure",
    [MW_KIND_AUTH_SUCCESS] = "auth_success",
    [MW_KIND_PLAINTEXT_LOGIN] = "plaintext_login",
    [MW_KIND_MESSAGE_QUEUED] = "message_queued",
    [MW_KIND_DELIVERY] = "delivery",
    [MW_KIND_DNSBL_LISTING] = "dnsbl_listing",
    [MW_KIND_CLIENT_LISTED] = "client_listed",
    [MW_KIND_PASSDB_MISS] = "passdb_miss",
};

static const char *const service_names[MW_SVC__COUNT] = {
    [MW_SVC_UNKNOWN] = NULL,
    [MW_SVC_SMTP] = "smtp",
    [MW_SVC_SUBMISSION] = "submission",
    [MW_SVC_IMAP] = "imap",
    [MW_SVC_POP3] = "pop3",
    [MW_SVC_SIEVE] = "sieve",
    [MW_SVC_LMTP] = "lmtp",
};

#define EVENT_SLICES(X) X(host) X(program) X(ip) X(account) X(method) X(reason) \
    X(pw_fingerprint) X(session) X(queue_id) X(sender) X(recipient) X(status) X(dsn) \
    X(relay) X(reply) X(dnsbl)

void event_copy(struct event_store *st, const struct mw_event *src)
{
    size_t need = 0;
#define SIZE_OF(f) need += src->f.n;
    EVENT_SLICES(SIZE_OF)
#undef SIZE_OF
    if (need > st->cap || !st->buf) {
        st->cap = need + 256;
        st->buf = xrealloc(st->buf, st->cap);
    }
    st->ev = *src;
    size_t off = 0;
#define COPY(f)                                              \
    if (src->f.p) {                                          \
        memcpy(st->buf + off, src->f.p, src->f.n);           \
        st->ev.f.p = st->buf + off;                          \
        off += src->f.n;                                     \
    }
    EVENT_SLICES(COPY)
#undef COPY
}

void event_store_free(struct event_store *st)
{
    free(st->buf);
    st->buf = NULL;
    st->cap = 0;
}

void event_reset(struct mw_event *ev)
{
    const char *file = ev->file;
    memset(ev, 0, sizeof(*ev));
    ev->file = file;
    ev->size = -1;
    ev->nrcpt = -1;
    ev->attempts = -1;
    ev->tls = -1;
}

const char *event_kind_name(enum mw_kind k)
{
    return (unsigned)k < MW_KIND__COUNT ? kind_names[k] : "none";
}

const char *event_service_name(enum mw_service s)
{
    return (unsigned)s < MW_SVC__COUNT ? service_names[s] : NULL;
}

void event_write_time(struct outbuf *ob, const struct mw_time *t)
{
    char b[40];
    int i = 0;
    unsigned y = (unsigned)t->year;
    b[i++] = (char)('0' + y / 1000 % 10);
    b[i++] = (char)('0' + y / 100 % 10);
    b[i++] = (char)('0' + y / 10 % 10);
    b[i++] = (char)('0' + y % 10);
    b[i++] = '-';
    b[i++] = (char)('0' + t->mon / 10);
    b[i++] = (char)('0' + t->mon % 10);
    b[i++] = '-';
    b[i++] = (char)('0' + t->mday / 10);
    b[i++] = (char)('0' + t->mday % 10);
    b[i++] = 'T';
    b[i++] = (char)('0' + t->hour / 10);
    b[i++] = (char)('0' + t->hour % 10);
    b[i++] = ':';
    b[i++] = (char)('0' + t->min / 10);
    b[i++] = (char)('0' + t->min % 10);
    b[i++] = ':';
    b[i++] = (char)('0' + t->sec / 10);
    b[i++] = (char)('0' + t->sec % 10);
    if (t->frac_digits) {
        b[i++] = '.';
        unsigned u = t->usec;
        char d[6];
        for (int k = 5; k >= 0; k--) {
            d[k] = (char)('0' + u % 10);
            u /= 10;
        }
        for (int k = 0; k < t->frac_digits && k < 6; k++)
            b[i++] = d[k];
    }
    if (t->has_tz) {
        int off = t->tz_min;
        if (off == 0) {
            b[i++] = 'Z';
        } else {
            b[i++] = off < 0 ? '-' : '+';
            if (off < 0)
                off = -off;
            b[i++] = (char)('0' + off / 600);
            b[i++] = (char)('0' + off / 60 % 10);
            b[i++] = ':';
            b[i++] = (char)('0' + off % 60 / 10);
            b[i++] = (char)('0' + off % 10);
        }
    }
    outbuf_put(ob, b, (size_t)i);
}

static void json_str_field(struct outbuf *ob, const char *name, size_t nlen, struct mw_slice v)
{
    if (!v.p)
        return;
    outbuf_putc(ob, ',');
    outbuf_put(ob, name, nlen);
    outbuf_put_json_string(ob, v.p, v.n);
}

#define JSTR(ob, lit, v) json_str_field((ob), "\"" lit "\":", sizeof(lit) + 2, (v))

static void json_int_field(struct outbuf *ob, const char *name, size_t nlen, int64_t v)
{
    outbuf_putc(ob, ',');
    outbuf_put(ob, name, nlen);
    outbuf_put_i64(ob, v);
}

#define JINT(ob, lit, v) json_int_field((ob), "\"" lit "\":", sizeof(lit) + 2, (v))

void event_write_json(struct outbuf *ob, const struct mw_event *ev)
{
    outbuf_reserve(ob, 512);
    outbuf_puts_lit(ob, "{\"line\":");
    outbuf_put_u64(ob, ev->line);
    outbuf_puts_lit(ob, ",\"file\":");
    outbuf_put_json_string(ob, ev->file ? ev->file : "-", strlen(ev->file ? ev->file : "-"));
    if (ev->time.valid) {
        outbuf_puts_lit(ob, ",\"time\":\"");
        event_write_time(ob, &ev->time);
        outbuf_putc(ob, '"');
    }
    JSTR(ob, "host", ev->host);
    JSTR(ob, "program", ev->program);
    const char *svc = event_service_name(ev->service);
    if (svc) {
        outbuf_puts_lit(ob, ",\"service\":\"");
        outbuf_puts(ob, svc);
        outbuf_putc(ob, '"');
    }
    outbuf_puts_lit(ob, ",\"kind\":\"");
    outbuf_puts(ob, event_kind_name(ev->kind));
    outbuf_putc(ob, '"');
    JSTR(ob, "ip", ev->ip);
    JSTR(ob, "account", ev->account);
    JSTR(ob, "method", ev->method);
    if (ev->tls >= 0) {
        if (ev->tls)
            outbuf_puts_lit(ob, ",\"tls\":true");
        else
            outbuf_puts_lit(ob, ",\"tls\":false");
    }
    if (ev->secured)
        outbuf_puts_lit(ob, ",\"secured\":true");
    JSTR(ob, "reason", ev->reason);
    if (ev->attempts >= 0)
        JINT(ob, "attempts", ev->attempts);
    JSTR(ob, "pw_fingerprint", ev->pw_fingerprint);
    JSTR(ob, "session", ev->session);
    JSTR(ob, "queue_id", ev->queue_id);
    JSTR(ob, "sender", ev->sender);
    if (ev->nrcpt >= 0)
        JINT(ob, "nrcpt", ev->nrcpt);
    if (ev->size >= 0)
        JINT(ob, "size", ev->size);
    JSTR(ob, "recipient", ev->recipient);
    JSTR(ob, "status", ev->status);
    JSTR(ob, "dsn", ev->dsn);
    JSTR(ob, "relay", ev->relay);
    JSTR(ob, "dnsbl", ev->dnsbl);
    JSTR(ob, "reply", ev->reply);
    outbuf_puts_lit(ob, "}\n");
}

/* Column widths of the table form; wider values push the row, never cut. */
#define COL_TIME 21
#define COL_KIND 16
#define COL_SVC 11
#define COL_IP 16
#define COL_ACCOUNT 24

void event_write_header(struct outbuf *ob)
{
    outbuf_put_text_padded(ob, "TIME", 4, COL_TIME);
    outbuf_put_text_padded(ob, "KIND", 4, COL_KIND);
    outbuf_put_text_padded(ob, "SERVICE", 7, COL_SVC);
    outbuf_put_text_padded(ob, "IP", 2, COL_IP);
    outbuf_put_text_padded(ob, "ACCOUNT", 7, COL_ACCOUNT);
    outbuf_puts_lit(ob, "DETAILS\n");
}

static void row_detail(struct outbuf *ob, int *first, const char *key, struct mw_slice v)
{
    if (!v.p)
        return;
    if (!*first)
        outbuf_putc(ob, ' ');
    *first = 0;
    outbuf_puts(ob, key);
    outbuf_putc(ob, '=');
    outbuf_put_text(ob, v.p, v.n);
}

void event_write_row(struct outbuf *ob, const struct mw_event *ev)
{
    /* the table shows the log's wall time to the second: "2026-11-23 06:05:36" */
    char tb[48];
    struct outbuf tmp = {tb, 0, sizeof(tb), 0};
    size_t tlen = 1;
    tb[0] = '-';
    if (ev->time.valid) {
        struct mw_time t = ev->time;
        t.frac_digits = 0;
        t.has_tz = false;
        event_write_time(&tmp, &t);
        tb[10] = ' ';
        tlen = tmp.len;
    }
    outbuf_put_text_padded(ob, tb, tlen, COL_TIME - 1);
    outbuf_putc(ob, ' ');
    const char *k = event_kind_name(ev->kind);
    outbuf_put_text_padded(ob, k, strlen(k), COL_KIND - 1);
    outbuf_putc(ob, ' ');
    const char *svc = event_service_name(ev->service);
    if (!svc)
        svc = "-";
    outbuf_put_text_padded(ob, svc, strlen(svc), COL_SVC - 1);
    outbuf_putc(ob, ' ');
    if (ev->ip.p)
        outbuf_put_text_padded(ob, ev->ip.p, ev->ip.n, COL_IP - 1);
    else
        outbuf_put_text_padded(ob, "-", 1, COL_IP - 1);
    outbuf_putc(ob, ' ');
    if (ev->account.p)
        outbuf_put_text_padded(ob, ev->account.p, ev->account.n, COL_ACCOUNT - 1);
    else
        outbuf_put_text_padded(ob, "-", 1, COL_ACCOUNT - 1);
    outbuf_putc(ob, ' ');
    int first = 1;
    row_detail(ob, &first, "method", ev->method);
    if (ev->tls >= 0)
        row_detail(ob, &first, "tls", ev->tls ? MW_SLICE_LIT("yes") : MW_SLICE_LIT("no"));
    if (ev->secured)
        row_detail(ob, &first, "secured", MW_SLICE_LIT("yes"));
    row_detail(ob, &first, "reason", ev->reason);
    if (ev->attempts > 1) {
        char n[16];
        int l = snprintf(n, sizeof(n), "%d", (int)ev->attempts);
        row_detail(ob, &first, "attempts", MW_SLICE(n, l));
    }
    row_detail(ob, &first, "pw", ev->pw_fingerprint);
    row_detail(ob, &first, "queue", ev->queue_id);
    row_detail(ob, &first, "from", ev->sender);
    if (ev->nrcpt >= 0) {
        char n[16];
        int l = snprintf(n, sizeof(n), "%d", (int)ev->nrcpt);
        row_detail(ob, &first, "nrcpt", MW_SLICE(n, l));
    }
    row_detail(ob, &first, "to", ev->recipient);
    row_detail(ob, &first, "status", ev->status);
    row_detail(ob, &first, "dsn", ev->dsn);
    row_detail(ob, &first, "dnsbl", ev->dnsbl);
    row_detail(ob, &first, "relay", ev->relay);
    if (first)
        outbuf_putc(ob, '-');
    outbuf_putc(ob, '\n');
}
