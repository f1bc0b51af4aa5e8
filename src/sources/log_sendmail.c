/*
 * log_sendmail - Sendmail through syslog ("sm-mta[pid]: QID: ...",
 * "sendmail[pid]: ...", "sm-msp-queue[pid]: ...").
 *
 * Events: auth_failure ("AUTH failure (MECH): ... SASL(-13|-14|-20) ...,
 * user=U, relay=H [IP]"; SASL's generic failure (-1) is the server's trouble),
 * auth_success ("AUTH=server, relay=H [IP], authid=U, mech=M, bits=N"; TLS from
 * a "STARTTLS=server" line of the same process), message_queued ("from=<S>,
 * size=N, ..., nrcpts=N, ..., proto=ESMTPSA, relay=H [IP]"), delivery
 * ("to=<R>, ..., dsn=X, stat=Sent|Deferred|..."), dnsbl_listing (a refusal
 * naming a blocklist in stat=), client_listed (check_relay/check_rcpt
 * rejects naming a blocklist).
 */
#include "dnsbl.h"
#include "parser_int.h"

#include <stdlib.h>

bool log_sendmail_match(const struct logline *ll)
{
    struct mw_slice p = ll->program;
    return SLICE_EQ(p, "sm-mta") || SLICE_EQ(p, "sendmail") || SLICE_EQ(p, "sm-msp-queue");
}

/* "relay=host.example.net [192.0.2.1] (may be forged)" or "relay=[192.0.2.1]" */
static bool relay_ip(const char *s, size_t n, struct mw_slice *ip, struct mw_slice *relay)
{
    const char *end = s + n;
    /* the LAST "relay=": a user name can smuggle in a first one
     * ("user=x, relay=[192.0.2.100], relay=[real]") */
    const char *r = NULL;
    for (const char *q = s; (q = memmem(q, (size_t)(end - q), "relay=", 6)) != NULL; q += 6)
        if (q == s || q[-1] == ' ')
            r = q;
    if (!r)
        return false;
    const char *v = r + 6;
    const char *lb = memchr(v, '[', (size_t)(end - v));
    const char *comma = memchr(v, ',', (size_t)(end - v));
    if (!lb || (comma && comma < lb))
        return false;
    const char *rb = memchr(lb, ']', (size_t)(end - lb));
    if (!rb || !scan_looks_ip(lb + 1, (size_t)(rb - lb - 1)))
        return false;
    *ip = scan_strip_v4mapped(MW_SLICE(lb + 1, (size_t)(rb - lb - 1)));
    if (relay)
        *relay = MW_SLICE(v, (size_t)(rb + 1 - v));
    return true;
}

/* "5AN6A0Zx012345: " */
static bool sm_qid(const char *s, size_t n, struct mw_slice *qid, const char **rest)
{
    size_t i = 0;
    while (i < n && i < 20 &&
           ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= 'a' && s[i] <= 'z')))
        i++;
    if (i < 8 || i + 1 >= n || s[i] != ':' || s[i + 1] != ' ')
        return false;
    *qid = MW_SLICE(s, i);
    *rest = s + i + 2;
    return true;
}

static int auth_failure(const char *s, size_t n, struct mw_event *ev)
{
    /* "AUTH failure (LOGIN): authentication failure (-13) SASL(-13): ..., user=alice, relay=..." */
    const char *end = s + n;
    const char *lp = s + 14;
    const char *rp = memchr(lp, ')', (size_t)(end - lp));
    if (!rp)
        return 0;
    if (!SCAN_FIND(s, n, "(-13)") && !SCAN_FIND(s, n, "(-14)") && !SCAN_FIND(s, n, "(-20)"))
        return 0; /* generic failure, saslauthd down: server-side */
    if (!relay_ip(s, n, &ev->ip, NULL))
        return 0;
    ev->kind = MW_KIND_AUTH_FAILURE;
    ev->method = MW_SLICE(lp, (size_t)(rp - lp));
    ev->service = MW_SVC_SUBMISSION;
    ev->attempts = 1;
    struct mw_slice u = SCAN_KV(s, n, "user=", ",");
    if (u.n)
        ev->account = u;
    if (SCAN_FIND(s, n, "(-20)"))
        ev->reason = MW_SLICE_LIT("unknown_user");
    return 1;
}

static int32_t num(struct mw_slice v)
{
    int32_t x = 0;
    for (uint32_t i = 0; i < v.n && i < 9 && v.p[i] >= '0' && v.p[i] <= '9'; i++)
        x = x * 10 + (v.p[i] - '0');
    return x;
}

int log_sendmail_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    const char *end = s + n;
    struct mw_slice qid = {NULL, 0};
    const char *rest;
    if (sm_qid(s, n, &qid, &rest) || (SCAN_STARTS(s, n, "NOQUEUE: ") && (rest = s + 9))) {
        n = (size_t)(end - rest);
        s = rest;
    }
    if (SCAN_STARTS(s, n, "STARTTLS=server, ")) {
        struct mw_slice ip;
        if (relay_ip(s, n, &ip, NULL)) {
            struct session *sess = session_start(p->sessions, ll, ip);
            sess->tls = 1;
        }
        return 0;
    }
    if (SCAN_STARTS(s, n, "AUTH failure ("))
        return auth_failure(s, n, ev);
    if (SCAN_STARTS(s, n, "AUTH=server, ")) {
        if (!relay_ip(s, n, &ev->ip, NULL))
            return 0;
        ev->kind = MW_KIND_AUTH_SUCCESS;
        ev->service = MW_SVC_SUBMISSION;
        ev->account = SCAN_KV(s, n, "authid=", ",");
        ev->method = SCAN_KV(s, n, "mech=", ",");
        ev->queue_id = qid.n ? qid : (struct mw_slice){NULL, 0};
        ev->tls = session_tls(p->sessions, ll, ev->ip);
        struct session *sess = session_find(p->sessions, ll);
        if (!sess)
            sess = session_start(p->sessions, ll, ev->ip);
        MSGLINK_SET(sess, account, ev->account);
        MSGLINK_SET(sess, method, ev->method);
        if (qid.n) {
            struct msglink_rec *r = msglink_put(p->pf_queue, qid);
            if (r) {
                MSGLINK_SET(r, ip, ev->ip);
                MSGLINK_SET(r, account, ev->account);
                MSGLINK_SET(r, method, ev->method);
                r->service = MW_SVC_SUBMISSION;
            }
        }
        return 1;
    }
    {
        if (SCAN_STARTS(s, n, "ruleset=") && SCAN_FIND(s, n, "reject=")) {
            const char *rj = SCAN_FIND(s, n, "reject=");
            struct mw_slice list, listed;
            if (!dnsbl_match(rj, (size_t)(end - rj), &list, &listed) ||
                !relay_ip(s, n, &ev->ip, NULL))
                return 0;
            ev->kind = MW_KIND_CLIENT_LISTED;
            ev->service = MW_SVC_SMTP;
            ev->dnsbl = list;
            ev->reply = MW_SLICE(rj + 7, (size_t)(end - rj - 7));
            return 1;
        }
        if (!qid.n)
            return 0;
    }
    if (SCAN_STARTS(s, n, "from=")) {
        struct mw_slice nrcpts = SCAN_KV(s, n, "nrcpts=", ",");
        if (!nrcpts.n)
            return 0;
        ev->kind = MW_KIND_MESSAGE_QUEUED;
        ev->queue_id = qid;
        ev->sender = scan_until(s + 5, end, ",");
        if (ev->sender.n >= 2 && ev->sender.p[0] == '<' && ev->sender.p[ev->sender.n - 1] == '>') {
            ev->sender.p++;
            ev->sender.n -= 2;
        }
        ev->nrcpt = num(nrcpts);
        struct mw_slice size = SCAN_KV(s, n, "size=", ",");
        if (size.n)
            ev->size = strtoll(size.p, NULL, 10);
        struct mw_slice proto = SCAN_KV(s, n, "proto=", ",");
        relay_ip(s, n, &ev->ip, NULL);
        if (proto.n)
            ev->tls = (proto.n >= 6 && (proto.p[5] == 'S' || proto.p[5] == 's')) ? 1 : 0;
        struct msglink_rec *r = msglink_get(p->pf_queue, qid);
        if (!r) {
            /* AUTH=server is logged without a queue id: the session has it */
            r = msglink_put(p->pf_queue, qid);
            struct session *sess = session_find(p->sessions, ll);
            if (r && sess && sess->accountlen && sess->iplen == ev->ip.n &&
                memcmp(sess->ip, ev->ip.p, ev->ip.n) == 0) {
                MSGLINK_SET(r, account, MSGLINK_SLICE(sess, account));
                MSGLINK_SET(r, method, MSGLINK_SLICE(sess, method));
                r->service = MW_SVC_SUBMISSION;
            }
            if (r)
                MSGLINK_SET(r, ip, ev->ip);
        }
        if (r) {
            ev->account = MSGLINK_SLICE(r, account);
            ev->service = (enum mw_service)r->service;
            MSGLINK_SET(r, sender, ev->sender);
        }
        if (!ev->service)
            ev->service = MW_SVC_SMTP;
        return 1;
    }
    if (SCAN_STARTS(s, n, "to=")) {
        struct mw_slice stat = SCAN_KV(s, n, "stat=", "");
        if (!stat.n)
            return 0;
        ev->kind = MW_KIND_DELIVERY;
        ev->queue_id = qid;
        ev->recipient = scan_until(s + 3, end, ",");
        if (ev->recipient.n >= 2 && ev->recipient.p[0] == '<') {
            ev->recipient.p++;
            ev->recipient.n -= 2;
        }
        ev->dsn = SCAN_KV(s, n, "dsn=", ",");
        struct mw_slice relay;
        struct mw_slice rip;
        if (relay_ip(s, n, &rip, &relay))
            ev->relay = relay;
        /* 8.17 logs the remote's words in "reply=...", older ones only in stat= */
        const char *rp = SCAN_FIND(s, n, ", reply=");
        const char *st = SCAN_FIND(s, n, ", stat=");
        ev->reply = (rp && st && st > rp) ? MW_SLICE(rp + 8, (size_t)(st - rp - 8)) : stat;
        if (SCAN_STARTS(stat.p, stat.n, "Sent"))
            ev->status = MW_SLICE_LIT("sent");
        else if (SCAN_STARTS(stat.p, stat.n, "Deferred"))
            ev->status = MW_SLICE_LIT("deferred");
        else
            ev->status = MW_SLICE_LIT("bounced");
        struct msglink_rec *r = msglink_get(p->pf_queue, qid);
        if (r) {
            ev->ip = MSGLINK_SLICE(r, ip);
            ev->account = MSGLINK_SLICE(r, account);
            ev->sender = MSGLINK_SLICE(r, sender);
            ev->service = (enum mw_service)r->service;
        }
        struct mw_slice list, listed;
        if (ev->status.p[0] != 's' && dnsbl_match(ev->reply.p, ev->reply.n, &list, &listed)) {
            ev->kind = MW_KIND_DNSBL_LISTING;
            ev->dnsbl = list;
            ev->ip = listed;
        }
        return 1;
    }
    return 0;
}
