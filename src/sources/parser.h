/*
 * parser - turn log lines of any supported mail server into events.
 *
 * parser_create() makes a parser for one format (or FMT_AUTO: decide per
 * line from the program name and the line's shape). parser_line() takes
 * one raw line plus its clock (year inference state of its file) and fills
 * *ev when the line is evidence of something; it returns 1 then, 0 for a
 * line that is not evidence (most lines), and never fails: unparseable
 * input is simply not evidence. Lines without a recognisable timestamp are
 * counted in stats.no_time.
 *
 * The parser keeps bounded cross-line state (Postfix queue ids and smtpd
 * sessions, Exim message ids) shared by all files it reads, so a rotated
 * log read in order links messages across the files. Event slices point
 * into the line or the parser's tables: valid until the next call.
 *
 * Each server family lives in its own file (log_<family>.c) exporting
 * log_<family>_match() and log_<family>_parse(); parser.c holds the table.
 */
#ifndef MW_PARSER_H
#define MW_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"
#include "logline.h"

enum mw_format {
    FMT_AUTO = 0,
    FMT_POSTFIX,
    FMT_DOVECOT,
    FMT_EXIM,
    FMT_COURIER,
    FMT_CYRUS,
    FMT_SENDMAIL,
    FMT_UWIMAP,
    FMT_SOLIDPOP3D,
    FMT_PERDITION,
    FMT_VPOPMAIL,
    FMT__COUNT
};

struct parser_stats {
    uint64_t lines;
    uint64_t events;
    uint64_t by_kind[MW_KIND__COUNT];
    uint64_t no_time;   /* lines without a recognisable timestamp */
};

struct mw_parser;

struct parser_opts {
    enum mw_format format;
    size_t link_cap;    /* messages remembered for linking (default 32768) */
};

struct mw_parser *parser_create(const struct parser_opts *opts);
void parser_free(struct mw_parser *p);
int parser_line(struct mw_parser *p, const char *line, size_t len,
                struct logline_clock *clock, struct mw_event *ev);
const struct parser_stats *parser_stats(const struct mw_parser *p);

/* parser_format_from_name - FMT_* for "auto", "postfix", ...; -1 if unknown. */
int parser_format_from_name(const char *name);
const char *parser_format_name(enum mw_format f);
/* parser_format_list - "auto|postfix|dovecot|..." for help texts. */
const char *parser_format_list(void);

#endif
