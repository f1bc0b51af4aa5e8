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
#include "session.h"

struct mw_parser {
    enum mw_format format;
    struct msglink *pf_queue;    /* Postfix / Sendmail queue id -> submission facts */
    struct msglink *exim_msgs;   /* Exim message id -> submission facts */
    struct session_table *sessions; /* smtpd / sendmail processes */
    struct parser_stats stats;
    struct logline ll;           /* the current line, split */
    /* program name -> family, direct-mapped: logs interleave a handful
     * of programs, each looked up once */
    struct prog_cache {
        char name[48];
        uint8_t len;             /* 0 = empty slot */
        int8_t family;           /* index into the family table, -1 none */
    } prog_cache[64];
};

typedef bool (*log_match_fn)(const struct logline *ll);
typedef int (*log_parse_fn)(struct mw_parser *p, const struct logline *ll, struct mw_event *ev);

#define LOG_FAMILY(name)                                   \
    bool log_##name##_match(const struct logline *ll);     \
    int log_##name##_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)

LOG_FAMILY(postfix);
LOG_FAMILY(dovecot);
LOG_FAMILY(exim);
LOG_FAMILY(sendmail);
LOG_FAMILY(courier);
LOG_FAMILY(cyrus);
LOG_FAMILY(uwimap);
LOG_FAMILY(solidpop3d);
LOG_FAMILY(perdition);
LOG_FAMILY(vpopmail);

/* helpers shared by families */
enum mw_service parser_service_from_word(struct mw_slice w);

#endif
