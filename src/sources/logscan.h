/*
 * logscan - read one log file (plain, gzip or stdin) and pull its events.
 *
 * logscan_open() opens a file and prepares year inference for it;
 * logscan_next() returns 1 with the next event, 0 at the end of the file.
 * Pull-style so several files can be merged by time later.
 *
 * Problems are reported on stderr as "mailward: FILE:LINE: what; what
 * happens" (at most opts->max_warnings of each sort per file, then a count),
 * and counted in ls->skipped: over-long lines, lines holding NUL bytes
 * (binary junk), lines without a recognisable timestamp, read and gzip
 * errors (the rest of that file is lost and said so). A file in which no
 * line at all had a timestamp is reported as an unknown format.
 * logscan_close() prints the per-file summaries and frees everything;
 * it returns the number of problems (0 = the whole file was understood).
 */
#ifndef MW_LOGSCAN_H
#define MW_LOGSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"
#include "../util/linereader.h"
#include "logline.h"
#include "parser.h"

struct logscan_opts {
    int year;            /* year of the first line of classic syslog, 0 = infer */
    bool tz_set;         /* apply tz_min to zone-less timestamps */
    int tz_min;
    size_t max_line;     /* longest line accepted, bytes */
    int max_warnings;    /* per sort and file */
};

enum logscan_problem {
    LSP_TOO_LONG,
    LSP_BINARY,
    LSP_NO_TIME,
    LSP_READ,
    LSP__COUNT
};

struct logscan {
    struct linereader lr;
    struct logline_clock clock;
    struct mw_parser *parser;
    const struct logscan_opts *opts;
    const char *path;
    bool open_failed;
    bool read_failed;
    uint64_t lines;
    uint64_t timed;       /* lines with a timestamp */
    uint64_t problems[LSP__COUNT];
};

/* logscan_open - 0 on success; -1 (message printed) when the file cannot be
 * opened. The struct is caller-owned. */
int logscan_open(struct logscan *ls, const char *path, struct mw_parser *p,
                 const struct logscan_opts *opts);
int logscan_next(struct logscan *ls, struct mw_event *ev);
uint64_t logscan_close(struct logscan *ls);

#endif
