/*
 * log_postfix - Postfix's log lines (smtpd, postscreen, qmgr, pickup and
 * the delivery agents smtp/lmtp/local/virtual/pipe/error), any syslog_name
 * ("postfix/submission/smtpd", "postfix-out/smtp").
 *
 * Events: auth_failure ("SASL <M> authentication failed", but not when the
 * auth server was unreachable or the mechanism unknown), auth_success /
 * plaintext_login ("<qid>: client=..., sasl_username=..." and, for a session
 * that authenticated but queued nothing, the disconnect summary "auth=1"),
 * message_queued (qmgr "from=, size=, nrcpt="), delivery ("to=, status="),
 * dnsbl_listing (a remote reply that says our address is listed),
 * client_listed (postscreen "DNSBL rank", an RBL reject of a client).
 *
 * Cross-line state: queue id -> client, account, method, sender (bounded
 * msglink table, forgotten on "removed"), and smtpd pid -> TLS seen in the
 * session (bounded, direct-mapped).
 */
#include "dnsbl.h"
#include "parser_int.h"

#include <stdlib.h>

bool log_postfix_match(const struct logline *ll)
{
    struct mw_slice prog = ll->program;
    return prog.n >= 7 && memcmp(prog.p, "postfix", 7) == 0;
}

static struct mw_slice daemon_of(struct mw_slice prog)
{
    const char *slash = NULL;
    for (const char *q = prog.p + prog.n - 1; q >= prog.p; q--)
        if (*q == '/') {
            slash = q;
            break;
        }
    if (!slash)
        return prog;
    return MW_SLICE(slash + 1, (size_t)(prog.p + prog.n - slash - 1));
}

static enum mw_service smtpd_service(struct mw_slice prog)
{
    if (SCAN_FIND(prog.p, prog.n, "/submission") || SCAN_FIND(prog.p, prog.n, "/smtps") ||
        SCAN_FIND(prog.p, prog.n, "/submissions"))
        return MW_SVC_SUBMISSION;
    return MW_SVC_SMTP;
}

/* a queue id ("3F2A1C0B4D", "4XyZ1w2k3Mz9Q8") followed by ": " */
static bool queue_id(const char *s, size_t n, struct mw_slice *qid, const char **rest)
{
    size_t i = 0;
    while (i < n && i < MSGLINK_KEY_MAX &&
           ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= 'a' && s[i] <= 'z')))
        i++;
    if (i < 5 || i + 1 >= n || s[i] != ':' || s[i + 1] != ' ')
        return false;
    *qid = MW_SLICE(s, i);
    *rest = s + i + 2;
    return true;
}

static int32_t number(struct mw_slice v)
{
    int32_t x = 0;
    for (uint32_t i = 0; i < v.n && i < 9 && v.p[i] >= '0' && v.p[i] <= '9'; i++)
        x = x * 10 + (v.p[i] - '0');
    return x;
}

/* "host[ip]" or "host[ip]:port" at s: the ip */
static bool client_ip(const char *s, const char *end, struct mw_slice *ip)
{
    const char *stop = s;
    while (stop < end && *stop != ' ' && *stop != ',')
        stop++;
    /* host names have no spaces; an IPv6 address in brackets has no spaces */
    if (!scan_host_ip(s, (size_t)(stop - s), NULL, ip))
        return false;
    *ip = scan_strip_v4mapped(*ip);
    return ip->n > 0 && !SLICE_EQ(*ip, "unknown");
}

static int smtpd_sasl_failure(struct mw_parser *p, const struct logline *ll, const char *s,
                              const char *end, struct mw_event *ev)
{
    /* "warning: host[ip]: SASL LOGIN authentication failed: reason[, sasl_username=u]" */
    if (!client_ip(s, end, &ev->ip))
        return 0;
    const char *m = memmem(s, (size_t)(end - s), "]: SASL ", 8);
    if (!m)
        m = memmem(s, (size_t)(end - s), ": SASL ", 7), m = m ? m - 1 : NULL;
    if (!m)
        return 0;
    const char *meth = m + 8;
    const char *sp = memchr(meth, ' ', (size_t)(end - meth));
    if (!sp || !SCAN_STARTS(sp, (size_t)(end - sp), " authentication failed"))
        return 0;
    const char *why = sp + 22;
    if (why < end && *why == ':')
        why++;
    while (why < end && *why == ' ')
        why++;
    size_t wl = (size_t)(end - why);
    if (SCAN_STARTS(why, wl, "Connection lost to authentication server") ||
        SCAN_STARTS(why, wl, "Invalid authentication mechanism") ||
        SCAN_STARTS(why, wl, "authentication server") ||
        SCAN_STARTS(why, wl, "no mechanism available") ||
        SCAN_STARTS(why, wl, "Internal authentication server error"))
        return 0; /* the server failed, not the client */
    ev->method = MW_SLICE(meth, (size_t)(sp - meth));
    ev->kind = MW_KIND_AUTH_FAILURE;
    ev->service = smtpd_service(ll->program);
    ev->attempts = 1;
    struct mw_slice u = SCAN_KV(why, wl, "sasl_username=", ",");
    if (u.n && !SLICE_EQ(u, "(unavailable)"))
        ev->account = u;
    ev->tls = session_tls(p->sessions, ll, ev->ip);
    return 1;
}

static int smtpd_client(struct mw_parser *p, const struct logline *ll, struct mw_slice qid,
                        const char *s, const char *end, struct mw_event *ev)
{
    /* "client=host[ip][:port][, sasl_method=M, sasl_username=U[, sasl_sender=S]]" */
    struct mw_slice ip;
    if (!client_ip(s + 7, end, &ip))
        ip = (struct mw_slice){NULL, 0};
    struct mw_slice method = SCAN_KV(s, (size_t)(end - s), "sasl_method=", ",");
    struct mw_slice user = SCAN_KV(s, (size_t)(end - s), "sasl_username=", ",");
    struct msglink_rec *r = msglink_put(p->pf_queue, qid);
    enum mw_service svc = smtpd_service(ll->program);
    if (r) {
        MSGLINK_SET(r, ip, ip);
        MSGLINK_SET(r, method, method);
        MSGLINK_SET(r, account, user);
        r->service = (uint8_t)svc;
    }
    if (!user.n)
        return 0;
    struct session *sess = session_find(p->sessions, ll);
    if (sess)
        sess->auth_logged = 1;
    ev->kind = MW_KIND_AUTH_SUCCESS;
    ev->service = svc;
    ev->ip = ip;
    ev->account = user;
    ev->method = method.n ? method : (struct mw_slice){NULL, 0};
    ev->queue_id = qid;
    ev->tls = session_tls(p->sessions, ll, ev->ip);
    /* like Dovecot's "secured": a client on the host itself (webmail) */
    ev->secured = SLICE_EQ(ip, "127.0.0.1") || SLICE_EQ(ip, "::1");
    if (ev->tls == 0 && !ev->secured &&
        (!method.n || SLICE_EQ(method, "PLAIN") || SLICE_EQ(method, "LOGIN")))
        ev->kind = MW_KIND_PLAINTEXT_LOGIN;
    if (r)
        r->tls = ev->tls;
    return 1;
}

/* "disconnect from host[ip] ehlo=1 auth=1 mail=1 ... commands=N":
 * a session that authenticated but logged no client= line still logged in */
static int smtpd_disconnect(struct mw_parser *p, const struct logline *ll, const char *s,
                            const char *end, struct mw_event *ev)
{
    struct session *sess = session_find(p->sessions, ll);
    int logged = sess ? sess->auth_logged : 0;
    int tls = sess ? sess->tls : -1;
    if (sess)
        sess->used = 0;
    struct mw_slice auth = SCAN_KV(s, (size_t)(end - s), "auth=", " ");
    if (!auth.n || logged || auth.p[0] == '0')
        return 0;
    if (!client_ip(s + 16, end, &ev->ip))
        return 0;
    ev->kind = MW_KIND_AUTH_SUCCESS;
    ev->service = smtpd_service(ll->program);
    ev->reason = MW_SLICE_LIT("session_summary");
    ev->tls = (int8_t)tls;
    return 1;
}

static int client_listed(const struct logline *ll, const char *s, const char *end,
                         struct mw_event *ev)
{
    /* "reject: RCPT from host[ip]: 554 5.7.1 Service unavailable; Client host
     * [ip] blocked using zen.spamhaus.org; ..." */
    const char *from = SCAN_FIND(s, (size_t)(end - s), " from ");
    if (!from || !client_ip(from + 6, end, &ev->ip))
        return 0;
    struct mw_slice list, listed;
    /* "Client host [ip] blocked" (smtpd) / "client [ip] blocked" (postscreen);
     * "Sender address [..] blocked using dbl..." lists a domain, not the client */
    if (!SCAN_FIND(from, (size_t)(end - from), "Client host [") &&
        !SCAN_FIND(from, (size_t)(end - from), "client ["))
        return 0;
    if (!dnsbl_match(from, (size_t)(end - from), &list, &listed))
        return 0;
    ev->kind = MW_KIND_CLIENT_LISTED;
    ev->dnsbl = list;
    ev->service = MW_SVC_SMTP;
    /* "from host[ip]: 554 ..." (smtpd) or "from [ip]:port: 550 ..." (postscreen) */
    const char *rb = memchr(from, ']', (size_t)(end - from));
    const char *colon = rb ? memmem(rb, (size_t)(end - rb), ": ", 2) : NULL;
    if (colon)
        ev->reply = MW_SLICE(colon + 2, (size_t)(end - colon - 2));
    (void)ll;
    return 1;
}

static int parse_smtpd(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    const char *end = s + n;
    struct mw_slice qid;
    const char *rest;
    switch (s[0]) {
    case 'c':
        if (SCAN_STARTS(s, n, "connect from ")) {
            struct mw_slice ip;
            if (client_ip(s + 13, end, &ip))
                session_start(p->sessions, ll, ip);
            return 0;
        }
        break;
    case 'd':
        if (SCAN_STARTS(s, n, "disconnect from "))
            return smtpd_disconnect(p, ll, s, end, ev);
        break;
    case 'w':
        if (SCAN_STARTS(s, n, "warning: ")) {
            if (SCAN_FIND(s, n, " authentication failed"))
                return smtpd_sasl_failure(p, ll, s + 9, end, ev);
            return 0;
        }
        break;
    case 'N':
        if (SCAN_STARTS(s, n, "NOQUEUE: reject: "))
            return client_listed(ll, s + 17, end, ev);
        return 0;
    default:
        break;
    }
    if (SCAN_FIND(s, n, " TLS connection established from ")) {
        struct session *sess = session_find(p->sessions, ll);
        if (sess)
            sess->tls = 1;
        return 0;
    }
    if (queue_id(s, n, &qid, &rest)) {
        size_t rl = (size_t)(end - rest);
        if (SCAN_STARTS(rest, rl, "client="))
            return smtpd_client(p, ll, qid, rest, end, ev);
        if (SCAN_STARTS(rest, rl, "reject: "))
            return client_listed(ll, rest + 8, end, ev);
    }
    return 0;
}

static int parse_postscreen(const struct logline *ll, struct mw_event *ev)
{
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    const char *end = s + n;
    if (SCAN_STARTS(s, n, "DNSBL rank ")) {
        /* "DNSBL rank 3 for [192.0.2.1]:52342" */
        const char *f = SCAN_FIND(s, n, " for [");
        if (!f)
            return 0;
        const char *ip = f + 6;
        const char *rb = memchr(ip, ']', (size_t)(end - ip));
        if (!rb)
            return 0;
        ev->ip = scan_strip_v4mapped(MW_SLICE(ip, (size_t)(rb - ip)));
        ev->kind = MW_KIND_CLIENT_LISTED;
        ev->service = MW_SVC_SMTP;
        ev->reason = MW_SLICE(s, (size_t)(f - s));
        return 1;
    }
    if (SCAN_STARTS(s, n, "NOQUEUE: reject: "))
        return client_listed(ll, s + 17, end, ev);
    return 0;
}

/* "addr 192.0.2.1 listed by domain zen.spamhaus.org as 127.0.0.4" */
static int parse_dnsblog(const struct logline *ll, struct mw_event *ev)
{
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    const char *end = s + n;
    if (!SCAN_STARTS(s, n, "addr "))
        return 0;
    const char *by = SCAN_FIND(s, n, " listed by domain ");
    if (!by)
        return 0;
    ev->ip = MW_SLICE(s + 5, (size_t)(by - s - 5));
    if (!scan_looks_ip(ev->ip.p, ev->ip.n))
        return 0;
    ev->dnsbl = scan_until(by + 18, end, " ");
    ev->kind = MW_KIND_CLIENT_LISTED;
    ev->service = MW_SVC_SMTP;
    const char *as = SCAN_FIND(by, (size_t)(end - by), " as ");
    if (as)
        ev->reply = MW_SLICE(as + 4, (size_t)(end - as - 4));
    return 1;
}

static void fill_from_link(struct msglink_rec *r, struct mw_event *ev)
{
    if (!r)
        return;
    if (!ev->ip.p)
        ev->ip = MSGLINK_SLICE(r, ip);
    ev->account = MSGLINK_SLICE(r, account);
    if (!ev->sender.p)
        ev->sender = MSGLINK_SLICE(r, sender);
    if (r->service)
        ev->service = (enum mw_service)r->service;
}

static int parse_qmgr(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    struct mw_slice qid;
    const char *rest;
    if (!queue_id(s, n, &qid, &rest))
        return 0;
    const char *end = s + n;
    size_t rl = (size_t)(end - rest);
    if (SCAN_STARTS(rest, rl, "removed")) {
        msglink_del(p->pf_queue, qid);
        return 0;
    }
    if (!SCAN_STARTS(rest, rl, "from=<"))
        return 0;
    struct mw_slice sender = SCAN_ANGLE(rest, rl, "from=<");
    struct mw_slice status = SCAN_KV(rest, rl, "status=", ", ");
    if (status.n) {
        /* "from=<s>, status=expired, returned to sender" */
        ev->kind = MW_KIND_DELIVERY;
        ev->status = status;
    } else {
        struct mw_slice nrcpt = SCAN_KV(rest, rl, "nrcpt=", ", ");
        struct mw_slice size = SCAN_KV(rest, rl, "size=", ", ");
        if (!nrcpt.n)
            return 0;
        ev->kind = MW_KIND_MESSAGE_QUEUED;
        ev->nrcpt = number(nrcpt);
        ev->size = size.n ? (int64_t)strtoll(size.p, NULL, 10) : -1;
    }
    ev->queue_id = qid;
    ev->sender = sender;
    struct msglink_rec *r = msglink_get(p->pf_queue, qid);
    if (!r && ev->kind == MW_KIND_MESSAGE_QUEUED)
        r = msglink_put(p->pf_queue, qid);
    if (r && ev->kind == MW_KIND_MESSAGE_QUEUED)
        MSGLINK_SET(r, sender, sender);
    fill_from_link(r, ev);
    ev->sender = sender;
    return 1;
}

static int parse_pickup(struct mw_parser *p, const struct logline *ll)
{
    /* "QID: uid=1000 from=<user>": local submission, no client address */
    struct mw_slice qid;
    const char *rest;
    if (!queue_id(ll->msg.p, ll->msg.n, &qid, &rest))
        return 0;
    const char *end = ll->msg.p + ll->msg.n;
    struct mw_slice from = SCAN_ANGLE(rest, (size_t)(end - rest), "from=<");
    struct msglink_rec *r = msglink_put(p->pf_queue, qid);
    if (r && from.p)
        MSGLINK_SET(r, sender, from);
    return 0;
}

/* a delivery agent's line: "QID: to=<r>, relay=..., dsn=..., status=X (text)"
 * or "QID: host H[ip] said: ..." / "refused to talk to me: ..." */
static int parse_delivery(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    struct mw_slice qid;
    const char *rest;
    if (!queue_id(s, n, &qid, &rest))
        return 0;
    const char *end = s + n;
    size_t rl = (size_t)(end - rest);
    struct msglink_rec *r;
    if (SCAN_STARTS(rest, rl, "to=<")) {
        ev->kind = MW_KIND_DELIVERY;
        ev->queue_id = qid;
        ev->recipient = SCAN_ANGLE(rest, rl, "to=<");
        ev->relay = SCAN_KV(rest, rl, "relay=", ", ");
        ev->dsn = SCAN_KV(rest, rl, "dsn=", ", ");
        ev->status = SCAN_KV(rest, rl, "status=", " ,");
        if (!ev->status.n)
            return 0;
        const char *txt = ev->status.p + ev->status.n;
        if (txt + 2 < end && txt[0] == ' ' && txt[1] == '(' && end[-1] == ')')
            ev->reply = MW_SLICE(txt + 2, (size_t)(end - 1 - txt - 2));
        r = msglink_get(p->pf_queue, qid);
        fill_from_link(r, ev);
        if (ev->reply.n && !SLICE_EQ(ev->status, "sent")) {
            struct mw_slice list, listed;
            const char *said = SCAN_FIND(ev->reply.p, ev->reply.n, " said: ");
            const char *t = said ? said + 7 : ev->reply.p;
            if (!said && (said = SCAN_FIND(ev->reply.p, ev->reply.n, " refused to talk to me: ")))
                t = said + 24;
            size_t tl = (size_t)(ev->reply.p + ev->reply.n - t);
            if (dnsbl_match(t, tl, &list, &listed)) {
                ev->kind = MW_KIND_DNSBL_LISTING;
                ev->dnsbl = list;
                ev->ip = listed;
            }
        }
        return 1;
    }
    if (SCAN_STARTS(rest, rl, "host ")) {
        const char *said = SCAN_FIND(rest, rl, " said: ");
        size_t skip = 7;
        if (!said) {
            said = SCAN_FIND(rest, rl, " refused to talk to me: ");
            skip = 24;
        }
        if (!said)
            return 0;
        const char *t = said + skip;
        struct mw_slice list, listed;
        if (!dnsbl_match(t, (size_t)(end - t), &list, &listed))
            return 0;
        ev->kind = MW_KIND_DNSBL_LISTING;
        ev->queue_id = qid;
        ev->relay = MW_SLICE(rest + 5, (size_t)(said - rest - 5));
        ev->reply = MW_SLICE(t, (size_t)(end - t));
        ev->dnsbl = list;
        r = msglink_get(p->pf_queue, qid);
        fill_from_link(r, ev);
        ev->ip = listed;
        return 1;
    }
    return 0;
}

int log_postfix_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    if (ll->msg.n == 0)
        return 0;
    struct mw_slice d = daemon_of(ll->program);
    switch (d.p[0]) {
    case 's':
        if (SLICE_EQ(d, "smtpd"))
            return parse_smtpd(p, ll, ev);
        if (SLICE_EQ(d, "smtp"))
            return parse_delivery(p, ll, ev);
        return 0;
    case 'q':
        return SLICE_EQ(d, "qmgr") ? parse_qmgr(p, ll, ev) : 0;
    case 'p':
        if (SLICE_EQ(d, "postscreen"))
            return parse_postscreen(ll, ev);
        if (SLICE_EQ(d, "pickup"))
            return parse_pickup(p, ll);
        if (SLICE_EQ(d, "pipe"))
            return parse_delivery(p, ll, ev);
        return 0;
    case 'l':
        return (SLICE_EQ(d, "lmtp") || SLICE_EQ(d, "local")) ? parse_delivery(p, ll, ev) : 0;
    case 'v':
        return SLICE_EQ(d, "virtual") ? parse_delivery(p, ll, ev) : 0;
    case 'e':
        return SLICE_EQ(d, "error") ? parse_delivery(p, ll, ev) : 0;
    case 'r':
        return (SLICE_EQ(d, "relay") || SLICE_EQ(d, "retry")) ? parse_delivery(p, ll, ev) : 0;
    case 'd':
        if (SLICE_EQ(d, "dnsblog"))
            return parse_dnsblog(ll, ev);
        return SLICE_EQ(d, "discard") ? parse_delivery(p, ll, ev) : 0;
    default:
        return 0;
    }
}
