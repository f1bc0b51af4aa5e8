/*
 * log_exim - Exim's main log (its own "2026-11-23 06:05:36 [pid] ..." lines)
 * and Exim through syslog ("exim[123]: ..." / "exim4[123]: ...").
 *
 * Events: auth_failure ("<driver> authenticator failed for ... 535 Incorrect
 * authentication data (set_id=user)"; 435/454 temporary failures are the
 * server's trouble and are not events), message_queued ("<=" lines, with
 * A=driver:user when authenticated, X= when TLS, P= protocol), delivery
 * ("=>", "->" sent; "**" bounced; "==" deferred), dnsbl_listing (a delivery
 * refused by a remote server naming a blocklist) and client_listed (our ACL
 * rejecting a client that "is in a black list at ..." ).
 *
 * Cross-line: message id -> client, account, sender (bounded msglink table,
 * forgotten at "Completed").
 */
#include "dnsbl.h"
#include "parser_int.h"

#include <stdlib.h>

bool log_exim_match(const struct logline *ll)
{
    if (ll->shape == LL_BARE)
        return ll->space_date;
    struct mw_slice prog = ll->program;
    return SLICE_EQ(prog, "exim") || SLICE_EQ(prog, "exim4");
}

/* an Exim message id: "1vABCD-000123-XY" (old 6-6-2) or "1vABCD-0001234567A-XYZW"
 * (4.97+ 6-11-4); base-62 groups joined by '-' */
static bool message_id(const char *s, size_t n, struct mw_slice *id)
{
    size_t i = 0;
    int groups = 1;
    while (i < n && s[i] != ' ') {
        char c = s[i];
        if (c == '-')
            groups++;
        else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return false;
        i++;
    }
    if (groups != 3 || i < 14 || i > 32 || s[6] != '-')
        return false;
    *id = MW_SLICE(s, i);
    return true;
}

/* " I=[198.51.100.1]:587" -> service from our port */
static enum mw_service service_of(const char *s, size_t n, bool authenticated)
{
    const char *i = SCAN_FIND(s, n, " I=[");
    if (i) {
        const char *rb = memchr(i, ']', (size_t)(s + n - i));
        if (rb && rb + 1 < s + n && rb[1] == ':') {
            if (SCAN_STARTS(rb + 2, (size_t)(s + n - rb - 2), "587") ||
                SCAN_STARTS(rb + 2, (size_t)(s + n - rb - 2), "465"))
                return MW_SVC_SUBMISSION;
            if (SCAN_STARTS(rb + 2, (size_t)(s + n - rb - 2), "25 ") ||
                (size_t)(s + n - rb - 2) == 2)
                return MW_SVC_SMTP;
        }
    }
    return authenticated ? MW_SVC_SUBMISSION : MW_SVC_SMTP;
}

static int auth_failed(const char *s, size_t n, struct mw_event *ev)
{
    /* "dovecot_plain authenticator failed for (helo) [192.0.2.1]:54321
     *  I=[198.51.100.1]:587: 535 Incorrect authentication data (set_id=alice)" */
    const char *end = s + n;
    const char *f = SCAN_FIND(s, n, " authenticator failed for ");
    if (!f)
        return 0;
    const char *rest = f + 26;
    size_t rl = (size_t)(end - rest);
    if (!SCAN_FIND(rest, rl, ": 535 ") && !SCAN_FIND(rest, rl, "Incorrect authentication data"))
        return 0; /* 435/454: the authenticator itself failed */
    if (!scan_bracket_ip(rest, end, &ev->ip))
        return 0;
    ev->kind = MW_KIND_AUTH_FAILURE;
    ev->method = MW_SLICE(s, (size_t)(f - s));
    ev->attempts = 1;
    ev->service = service_of(rest, rl, true);
    const char *sid = SCAN_FIND(rest, rl, "(set_id=");
    if (sid) {
        const char *v = sid + 8;
        const char *e = end;
        while (e > v && e[-1] != ')')
            e--;
        if (e > v)
            ev->account = MW_SLICE(v, (size_t)(e - 1 - v));
    }
    return 1;
}

/* the value of " K=" up to the next space */
static struct mw_slice field(const char *s, size_t n, const char *key, size_t keylen)
{
    return scan_kv(s, n, key, keylen, " ");
}
#define FIELD(s, n, k) field((s), (n), (k), sizeof(k) - 1)

static int arrival(struct mw_parser *p, struct mw_slice id, const char *s, size_t n,
                   struct mw_event *ev)
{
    /* "<= sender H=name (helo) [ip]:port I=[ip]:587 P=esmtpsa X=TLS1.3:... A=driver:user S=123 ..." */
    const char *end = s + n;
    struct mw_slice sender = scan_until(s + 3, end, " ");
    struct mw_slice auth = FIELD(s, n, "A=");
    struct mw_slice proto = FIELD(s, n, "P=");
    struct mw_slice tls = FIELD(s, n, "X=");
    struct mw_slice size = FIELD(s, n, "S=");
    const char *h = SCAN_FIND(s, n, " H=");
    if (h)
        scan_bracket_ip(h, end, &ev->ip);
    ev->kind = MW_KIND_MESSAGE_QUEUED;
    ev->queue_id = id;
    ev->sender = SLICE_EQ(sender, "<>") ? MW_SLICE(sender.p, 0) : sender;
    if (auth.n) {
        const char *colon = memchr(auth.p, ':', auth.n);
        if (colon) {
            ev->method = MW_SLICE(auth.p, (size_t)(colon - auth.p));
            ev->account = MW_SLICE(colon + 1, (size_t)(auth.p + auth.n - colon - 1));
        }
    }
    if (proto.n)
        ev->tls = (tls.n || (proto.n >= 2 && proto.p[proto.n - 1] == 's') ||
                   (proto.n >= 3 && proto.p[proto.n - 2] == 's' && proto.p[proto.n - 1] == 'a'))
                      ? 1
                      : 0;
    if (size.n)
        ev->size = strtoll(size.p, NULL, 10);
    ev->service = h ? service_of(s, n, ev->account.n > 0) : MW_SVC_UNKNOWN;
    /* with log_selector +received_recipients: "for a@b c@d" at the end */
    const char *f = SCAN_FIND(s, n, " for ");
    if (f) {
        int32_t cnt = 0;
        for (const char *q = f + 5; q < end;) {
            while (q < end && *q == ' ')
                q++;
            if (q < end)
                cnt++;
            while (q < end && *q != ' ')
                q++;
        }
        ev->nrcpt = cnt;
    }
    struct msglink_rec *r = msglink_put(p->exim_msgs, id);
    if (r) {
        MSGLINK_SET(r, ip, ev->ip);
        MSGLINK_SET(r, account, ev->account);
        MSGLINK_SET(r, method, ev->method);
        MSGLINK_SET(r, sender, ev->sender);
        r->service = (uint8_t)ev->service;
        r->tls = ev->tls;
    }
    return 1;
}

static int delivery(struct mw_parser *p, struct mw_slice id, const char *s, size_t n,
                    struct mw_event *ev)
{
    const char *end = s + n;
    char flag0 = s[0], flag1 = s[1];
    ev->kind = MW_KIND_DELIVERY;
    ev->queue_id = id;
    if (flag0 == '=' && flag1 == '>')
        ev->status = MW_SLICE_LIT("sent");
    else if (flag0 == '-' && flag1 == '>')
        ev->status = MW_SLICE_LIT("sent");
    else if (flag0 == '*' && flag1 == '*')
        ev->status = MW_SLICE_LIT("bounced");
    else
        ev->status = MW_SLICE_LIT("deferred");
    const char *r = s + 3;
    struct mw_slice rcpt = scan_until(r, end, " ");
    /* "rcpt <orig>" or "rcpt: reason" for bounces */
    if (rcpt.n && rcpt.p[rcpt.n - 1] == ':')
        rcpt.n--;
    ev->recipient = rcpt;
    const char *h = SCAN_FIND(s, n, " H=");
    if (h) {
        struct mw_slice host = scan_until(h + 3, end, " ");
        const char *lb = SCAN_FIND(h, (size_t)(end - h), " [");
        const char *rb = lb ? memchr(lb, ']', (size_t)(end - lb)) : NULL;
        ev->relay = rb ? MW_SLICE(host.p, (size_t)(rb + 1 - host.p)) : host;
    }
    const char *c = SCAN_FIND(s, n, " C=\"");
    if (c) {
        const char *q = c + 4;
        const char *e = memchr(q, '"', (size_t)(end - q));
        ev->reply = MW_SLICE(q, (size_t)((e ? e : end) - q));
    }
    const char *err = SCAN_FIND(s, n, "SMTP error from remote mail server after ");
    if (err) {
        const char *colon = memmem(err + 41, (size_t)(end - err - 41), ": ", 2);
        const char *t = colon ? colon + 2 : err;
        /* older Exim: "...: host mx.example.org [198.51.100.30]: 554 ..." */
        if (SCAN_STARTS(t, (size_t)(end - t), "host ")) {
            const char *hb = memmem(t, (size_t)(end - t), "]: ", 3);
            if (hb)
                t = hb + 3;
        }
        ev->reply = MW_SLICE(t, (size_t)(end - t));
        /* "550 5.7.1 ..." -> dsn 5.7.1 */
        if (ev->reply.n > 10 && ev->reply.p[3] == ' ' && ev->reply.p[5] == '.') {
            struct mw_slice dsn = scan_until(ev->reply.p + 4, end, " ");
            ev->dsn = dsn;
        }
    }
    struct msglink_rec *rec = msglink_get(p->exim_msgs, id);
    if (rec) {
        ev->ip = MSGLINK_SLICE(rec, ip);
        ev->account = MSGLINK_SLICE(rec, account);
        ev->sender = MSGLINK_SLICE(rec, sender);
        ev->service = (enum mw_service)rec->service;
    }
    if (ev->reply.n && ev->status.p[0] != 's') {
        struct mw_slice list, listed;
        if (dnsbl_match(ev->reply.p, ev->reply.n, &list, &listed)) {
            ev->kind = MW_KIND_DNSBL_LISTING;
            ev->dnsbl = list;
            ev->ip = listed;
        }
    }
    return 1;
}

static int client_listed(const char *s, size_t n, struct mw_event *ev)
{
    /* "H=(helo) [192.0.2.1]:123 rejected RCPT <x>: rejected because 192.0.2.1
     *  is in a black list at zen.spamhaus.org" */
    const char *end = s + n;
    const char *bl = SCAN_FIND(s, n, " is in a black list at ");
    size_t skip = 23;
    if (!bl) {
        bl = SCAN_FIND(s, n, " is in a block list at ");
        skip = 23;
    }
    if (!bl || !scan_bracket_ip(s, end, &ev->ip))
        return 0;
    ev->kind = MW_KIND_CLIENT_LISTED;
    ev->service = MW_SVC_SMTP;
    const char *l = bl + skip;
    ev->dnsbl = scan_until(l, end, " \n");
    while (ev->dnsbl.n && (ev->dnsbl.p[ev->dnsbl.n - 1] == '.' || ev->dnsbl.p[ev->dnsbl.n - 1] == ':'))
        ev->dnsbl.n--;
    const char *r = SCAN_FIND(s, n, ": ");
    if (r)
        ev->reply = MW_SLICE(r + 2, (size_t)(end - r - 2));
    return 1;
}

int log_exim_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    /* syslog form may repeat the date; the main log may carry "[pid] " */
    if (ll->shape != LL_BARE && n > 20 && s[4] == '-' && s[10] == ' ' && s[13] == ':') {
        const char *sp = memchr(s + 11, ' ', n - 11);
        if (!sp)
            return 0;
        n -= (size_t)(sp + 1 - s);
        s = sp + 1;
    }
    if (n > 2 && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (rb && rb + 1 < s + n && rb[1] == ' ') {
            n -= (size_t)(rb + 2 - s);
            s = rb + 2;
        }
    }
    if (n < 4)
        return 0;
    struct mw_slice id;
    if (message_id(s, n, &id)) {
        const char *r = s + id.n + 1;
        size_t rl = n - id.n - 1;
        if (id.n + 1 >= n)
            return 0;
        if (rl >= 3 && r[2] == ' ') {
            if (r[0] == '<' && r[1] == '=')
                return arrival(p, id, r, rl, ev);
            if ((r[0] == '=' && r[1] == '>') || (r[0] == '-' && r[1] == '>') ||
                (r[0] == '*' && r[1] == '*') || (r[0] == '=' && r[1] == '='))
                return delivery(p, id, r, rl, ev);
        }
        if (SCAN_STARTS(r, rl, "Completed"))
            msglink_del(p->exim_msgs, id);
        if (SCAN_FIND(r, rl, " authenticator failed for "))
            return auth_failed(r, rl, ev);
        return 0;
    }
    if (SCAN_FIND(s, n, " authenticator failed for "))
        return auth_failed(s, n, ev);
    if (s[0] == 'H' && s[1] == '=' && SCAN_FIND(s, n, " list at "))
        return client_listed(s, n, ev);
    return 0;
}
