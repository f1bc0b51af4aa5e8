/*
 * parser_int - what the per-server parsers (log_<family>.c) share with the
 * dispatcher: the parser's state, and the signatures each family exports.
 * Not for use outside src/sources.
 */
#ifndef MW_PARSER_INT_H
#define MW_PARSER_INT_H

#include "msglink.h"
#include "parser.h"
#include "scan.h"

/* Per-process session state of Postfix smtpd (keyed by host and pid). */
struct pf_session {
    uint32_t pid;
    uint32_t hosthash;
    uint8_t used;
    uint8_t tls;          /* TLS established in this session */
    uint8_t auth_logged;  /* a client=... sasl_username line was seen */
    uint8_t iplen;
    char ip[MSGLINK_IP_MAX];
};

#define PF_SESSIONS 4096 /* direct-mapped by pid: bounded, collisions forget */

struct mw_parser {
    enum mw_format format;
    struct msglink *pf_queue;    /* Postfix queue id -> submission facts */
    struct msglink *exim_msgs;   /* Exim message id -> submission facts */
    struct pf_session *pf_sessions;
    struct parser_stats stats;
    struct logline ll;           /* the current line, split */
    /* a one-entry cache of the last program name's family */
    char last_prog[64];
    size_t last_prog_len;
    int last_family;             /* index into the family table, -1 none */
};

typedef bool (*log_match_fn)(const struct logline *ll);
typedef int (*log_parse_fn)(struct mw_parser *p, const struct logline *ll, struct mw_event *ev);

#define LOG_FAMILY(name)                                   \
    bool log_##name##_match(const struct logline *ll);     \
    int log_##name##_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)

LOG_FAMILY(postfix);
LOG_FAMILY(dovecot);
LOG_FAMILY(exim);

/* helpers shared by families */
enum mw_service parser_service_from_word(struct mw_slice w);

#endif
