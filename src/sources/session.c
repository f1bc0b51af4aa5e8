/*
 * session - bounded per-process SMTP session table (see session.h).
 */
#include "session.h"

#include <string.h>

static uint32_t pid_of(struct mw_slice pid)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < pid.n && i < 10; i++)
        v = v * 10 + (uint32_t)(pid.p[i] - '0');
    return v;
}

static uint32_t host_hash(struct mw_slice h)
{
    uint32_t x = 2166136261u;
    for (uint32_t i = 0; i < h.n; i++)
        x = (x ^ (unsigned char)h.p[i]) * 16777619u;
    return x;
}

static struct session *slot(struct session *table, uint32_t pid, uint32_t hh)
{
    return &table[(pid ^ hh) % SESSION_SLOTS];
}

struct session *session_find(struct session *table, const struct logline *ll)
{
    uint32_t pid = pid_of(ll->pid), hh = host_hash(ll->host);
    struct session *s = slot(table, pid, hh);
    if (s->used && s->pid == pid && s->hosthash == hh)
        return s;
    return NULL;
}

struct session *session_start(struct session *table, const struct logline *ll, struct mw_slice ip)
{
    uint32_t pid = pid_of(ll->pid), hh = host_hash(ll->host);
    struct session *s = slot(table, pid, hh);
    memset(s, 0, sizeof(*s));
    s->used = 1;
    s->pid = pid;
    s->hosthash = hh;
    msglink_set(s->ip, &s->iplen, sizeof(s->ip), ip);
    return s;
}

int8_t session_tls(struct session *table, const struct logline *ll, struct mw_slice ip)
{
    struct session *s = session_find(table, ll);
    if (s && ip.p && s->iplen == ip.n && memcmp(s->ip, ip.p, ip.n) == 0)
        return (int8_t)s->tls;
    return -1;
}
