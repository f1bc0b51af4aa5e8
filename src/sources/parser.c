/*
 * parser - the dispatcher: splits a line, finds the server family that
 * wrote it (from the program name, cached), and hands it to that family's
 * parser (see parser.h). The family table is the one place to add a server.
 */
#include "parser_int.h"
#include "../util/xalloc.h"

#include <string.h>

struct family {
    enum mw_format fmt;
    const char *name;
    log_match_fn match;
    log_parse_fn parse;
};

static const struct family families[] = {
    {FMT_POSTFIX, "postfix", log_postfix_match, log_postfix_parse},
    {FMT_DOVECOT, "dovecot", log_dovecot_match, log_dovecot_parse},
    {FMT_EXIM, "exim", log_exim_match, log_exim_parse},
    {FMT_SENDMAIL, "sendmail", log_sendmail_match, log_sendmail_parse},
    /* courier before uwimap: both answer to "imapd"; courier hands UW lines on */
    {FMT_COURIER, "courier", log_courier_match, log_courier_parse},
    {FMT_UWIMAP, "uwimap", log_uwimap_match, log_uwimap_parse},
    {FMT_CYRUS, "cyrus", log_cyrus_match, log_cyrus_parse},
    {FMT_SOLIDPOP3D, "solid-pop3d", log_solidpop3d_match, log_solidpop3d_parse},
    {FMT_PERDITION, "perdition", log_perdition_match, log_perdition_parse},
    {FMT_VPOPMAIL, "vpopmail", log_vpopmail_match, log_vpopmail_parse},
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

static const char *const format_names[FMT__COUNT] = {
    [FMT_AUTO] = "auto",         [FMT_POSTFIX] = "postfix",   [FMT_DOVECOT] = "dovecot",
    [FMT_EXIM] = "exim",         [FMT_COURIER] = "courier",   [FMT_CYRUS] = "cyrus",
    [FMT_SENDMAIL] = "sendmail", [FMT_UWIMAP] = "uwimap",     [FMT_SOLIDPOP3D] = "solid-pop3d",
    [FMT_PERDITION] = "perdition", [FMT_VPOPMAIL] = "vpopmail",
};

int parser_format_from_name(const char *name)
{
    for (int i = 0; i < FMT__COUNT; i++)
        if (format_names[i] && strcmp(format_names[i], name) == 0)
            return i;
    return -1;
}

const char *parser_format_name(enum mw_format f)
{
    return (unsigned)f < FMT__COUNT ? format_names[f] : "?";
}

const char *parser_format_list(void)
{
    static char buf[256];
    if (!buf[0]) {
        for (int i = 0; i < FMT__COUNT; i++) {
            if (i)
                strcat(buf, "|");
            strcat(buf, format_names[i]);
        }
    }
    return buf;
}

struct mw_parser *parser_create(const struct parser_opts *opts)
{
    struct mw_parser *p = xcalloc(1, sizeof(*p));
    p->format = opts ? opts->format : FMT_AUTO;
    size_t cap = opts && opts->link_cap ? opts->link_cap : 32768;
    p->pf_queue = msglink_create(cap);
    p->exim_msgs = msglink_create(cap);
    p->sessions = xcalloc(1, sizeof(*p->sessions));
    return p;
}

void parser_free(struct mw_parser *p)
{
    if (!p)
        return;
    msglink_free(p->pf_queue);
    msglink_free(p->exim_msgs);
    free(p->sessions);
    free(p);
}

const struct parser_stats *parser_stats(const struct mw_parser *p)
{
    return &p->stats;
}

enum mw_service parser_service_from_word(struct mw_slice w)
{
    if (SLICE_EQ(w, "imap") || SLICE_EQ(w, "imaps") || SLICE_EQ(w, "IMAP"))
        return MW_SVC_IMAP;
    if (SLICE_EQ(w, "pop3") || SLICE_EQ(w, "pop3s") || SLICE_EQ(w, "POP3"))
        return MW_SVC_POP3;
    if (SLICE_EQ(w, "submission") || SLICE_EQ(w, "smtps") || SLICE_EQ(w, "submissions"))
        return MW_SVC_SUBMISSION;
    if (SLICE_EQ(w, "smtp") || SLICE_EQ(w, "SMTP"))
        return MW_SVC_SMTP;
    if (SLICE_EQ(w, "sieve") || SLICE_EQ(w, "managesieve"))
        return MW_SVC_SIEVE;
    if (SLICE_EQ(w, "lmtp"))
        return MW_SVC_LMTP;
    return MW_SVC_UNKNOWN;
}

/* which family wrote this line; -1 if none */
static int find_family(struct mw_parser *p, const struct logline *ll)
{
    struct mw_slice prog = ll->program;
    struct prog_cache *pc = NULL;
    if (prog.n && prog.n <= sizeof(pc->name)) {
        unsigned h = (unsigned)prog.n * 31u + (unsigned char)prog.p[0] * 7u +
                     (unsigned char)prog.p[prog.n - 1] + (unsigned char)prog.p[prog.n / 2] * 3u;
        pc = &p->prog_cache[h % (sizeof(p->prog_cache) / sizeof(p->prog_cache[0]))];
        if (pc->len == prog.n && memcmp(pc->name, prog.p, prog.n) == 0)
            return pc->family;
    }
    int found = -1;
    for (size_t i = 0; i < NFAMILIES; i++) {
        if (p->format != FMT_AUTO && families[i].fmt != p->format)
            continue;
        if (families[i].match(ll)) {
            found = (int)i;
            break;
        }
    }
    /* cached by program name only: bare lines have none, and their match
     * depends on the line's shape */
    if (pc) {
        memcpy(pc->name, prog.p, prog.n);
        pc->len = (uint8_t)prog.n;
        pc->family = (int8_t)found;
    }
    return found;
}

int parser_line(struct mw_parser *p, const char *line, size_t len,
                struct logline_clock *clock, struct mw_event *ev)
{
    struct logline *ll = &p->ll;
    p->stats.lines++;
    if (!logline_split(line, len, ll, clock)) {
        p->stats.no_time++;
        return 0;
    }
    int fam = find_family(p, ll);
    if (fam < 0)
        return 0;
    event_reset(ev);
    ev->time = ll->time;
    ev->host = ll->host;
    ev->program = ll->program;
    if (!families[fam].parse(p, ll, ev))
        return 0;
    p->stats.events++;
    p->stats.by_kind[ev->kind]++;
    return 1;
}
