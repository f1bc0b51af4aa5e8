/*
 * session - per-process SMTP session state for servers that fork one
 * process per connection (Postfix smtpd, Sendmail): what address the
 * session serves, whether TLS was established, whether its login was
 * already reported. Keyed by (host, pid) in a fixed table probed over a
 * small window of slots: bounded, and only when all of a window's slots
 * hold live sessions is the oldest forgotten.
 */
#ifndef MW_SESSION_H
#define MW_SESSION_H

#include <stdint.h>

#include "logline.h"
#include "msglink.h"

struct session {
    uint32_t pid;
    uint32_t hosthash;
    uint32_t started;    /* start order: the oldest goes when the window is full */
    uint8_t used;
    uint8_t tls;         /* TLS established in this session */
    uint8_t auth_logged; /* the session's login was already an event */
    uint8_t iplen;
    uint8_t accountlen, methodlen;
    char ip[MSGLINK_IP_MAX];
    char account[MSGLINK_ACCOUNT_MAX]; /* who authenticated in this session */
    char method[MSGLINK_METHOD_MAX];
};

#define SESSION_SLOTS 4096

struct session_table {
    struct session slot[SESSION_SLOTS];
    uint32_t clock;      /* counts session starts: the order, not time */
};

/* session_find - the live session of this line's (host, pid), or NULL */
struct session *session_find(struct session_table *table, const struct logline *ll);
/* session_start - a fresh session for this line's (host, pid) */
struct session *session_start(struct session_table *table, const struct logline *ll, struct mw_slice ip);
/* session_tls - the TLS state to report for an event from ip on this line's
 * session: 1 or 0 when the session is known and serves that address, else -1 */
int8_t session_tls(struct session_table *table, const struct logline *ll, struct mw_slice ip);

#endif
