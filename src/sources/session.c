/*
 * session - bounded per-process SMTP session table (see session.h).
 */
#include "session.h"
#include "../util/hash.h"

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
    return hash32(h.p, h.n);
}

/* Sessions live in a window of SESSION_PROBE slots from their hash; a new
 * session takes a free slot there or the least recently started one, so two
 * live processes whose pids collide in the hash do not evict each other. */
#define SESSION_PROBE 8

static size_t home(uint32_t pid, uint32_t hh)
{
    uint32_t x = (pid * 2654435761u) ^ hh;
    return x % SESSION_SLOTS;
}

struct session *session_find(struct session_table *table, const struct logline *ll)
{
    uint32_t pid = pid_of(ll->pid), hh = host_hash(ll->host);
    size_t h = home(pid, hh);
    for (size_t k = 0; k < SESSION_PROBE; k++) {
        struct session *s = &table->slot[(h + k) % SESSION_SLOTS];
        if (s->used && s->pid == pid && s->hosthash == hh)
            return s;
    }
    return NULL;
}

struct session *session_start(struct session_table *table, const struct logline *ll, struct mw_slice ip)
{
    uint32_t pid = pid_of(ll->pid), hh = host_hash(ll->host);
    size_t h = home(pid, hh);
    struct session *victim = NULL;
    for (size_t k = 0; k < SESSION_PROBE; k++) {
        struct session *s = &table->slot[(h + k) % SESSION_SLOTS];
        if (!s->used || (s->pid == pid && s->hosthash == hh)) {
            victim = s;
            break;
        }
        if (!victim || s->started < victim->started)
            victim = s;
    }
    memset(victim, 0, sizeof(*victim));
    victim->used = 1;
    victim->pid = pid;
    victim->hosthash = hh;
    victim->started = ++table->clock;
    msglink_set(victim->ip, &victim->iplen, sizeof(victim->ip), ip);
    return victim;
}

int8_t session_tls(struct session_table *table, const struct logline *ll, struct mw_slice ip)
{
    struct session *s = session_find(table, ll);
    if (s && ip.p && s->iplen == ip.n && memcmp(s->ip, ip.p, ip.n) == 0)
        return (int8_t)s->tls;
    return -1;
}
