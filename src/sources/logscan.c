/*
 * logscan - one input file to events, with problems reported by file and
 * line (see logscan.h).
 */
#include "logscan.h"

#include <stdio.h>
#include <string.h>

static const char *const problem_what[LSP__COUNT] = {
    [LSP_TOO_LONG] = "line longer than the limit (--max-line-length)",
    [LSP_BINARY] = "binary data (NUL bytes)",
    [LSP_NO_TIME] = "no timestamp recognised",
    [LSP_READ] = "read error",
};

static void problem(struct logscan *ls, enum logscan_problem k, uint64_t line, const char *detail)
{
    ls->problems[k]++;
    if (ls->problems[k] > (uint64_t)ls->opts->max_warnings)
        return;
    fprintf(stderr, "mailward: %s:%llu: %s%s%s\n", ls->path, (unsigned long long)line,
            problem_what[k], detail ? ": " : "", detail ? detail : "");
}

int logscan_open(struct logscan *ls, const char *path, struct mw_parser *p,
                 const struct logscan_opts *opts)
{
    memset(ls, 0, sizeof(*ls));
    ls->path = path;
    ls->parser = p;
    ls->opts = opts;
    if (linereader_open(&ls->lr, path, opts->max_line) < 0) {
        fprintf(stderr, "mailward: %s: cannot read: %s; skipping this file\n", path, ls->lr.err);
        ls->open_failed = true;
        return -1;
    }
    logline_clock_init(&ls->clock, opts->year, ls->lr.mtime, opts->tz_set, opts->tz_min);
    return 0;
}

int logscan_next(struct logscan *ls, struct mw_event *ev)
{
    if (ls->open_failed || ls->read_failed)
        return 0;
    const char *line;
    size_t len;
    for (;;) {
        int r = linereader_next(&ls->lr, &line, &len);
        if (r == 0)
            return 0;
        if (r < 0) {
            ls->read_failed = true;
            problem(ls, LSP_READ, ls->lr.lineno + 1, ls->lr.err);
            fprintf(stderr, "mailward: %s: the rest of this file is not read\n", ls->path);
            return 0;
        }
        ls->lines++;
        if (ls->lr.flags & LR_TOO_LONG) {
            problem(ls, LSP_TOO_LONG, ls->lr.lineno, "skipped");
            continue;
        }
        if (len == 0)
            continue;
        if (memchr(line, '\0', len)) {
            problem(ls, LSP_BINARY, ls->lr.lineno, "skipped");
            continue;
        }
        ev->file = ls->path;
        uint64_t before = parser_stats(ls->parser)->no_time;
        int got = parser_line(ls->parser, line, len, &ls->clock, ev);
        if (parser_stats(ls->parser)->no_time != before) {
            /* journald's "-- Boot ... --" / "-- No entries --" markers */
            if (!(len > 3 && line[0] == '-' && line[1] == '-' && line[2] == ' '))
                problem(ls, LSP_NO_TIME, ls->lr.lineno, "skipped");
            continue;
        }
        ls->timed++;
        if (got) {
            ev->line = ls->lr.lineno;
            return 1;
        }
    }
}

uint64_t logscan_close(struct logscan *ls)
{
    uint64_t total = 0;
    if (ls->open_failed)
        return 1;
    for (int k = 0; k < LSP__COUNT; k++) {
        total += ls->problems[k];
        if (ls->problems[k] > (uint64_t)ls->opts->max_warnings)
            fprintf(stderr, "mailward: %s: %llu lines in all: %s (only the first %d shown)\n",
                    ls->path, (unsigned long long)ls->problems[k], problem_what[k],
                    ls->opts->max_warnings);
    }
    if (ls->lines > 0 && ls->timed == 0)
        fprintf(stderr,
                "mailward: %s: unknown format: no line has a timestamp mailward knows "
                "(syslog, RFC 3339, journalctl short-iso/short-full, Exim, TAI64N); "
                "is this a mail log?\n",
                ls->path);
    if (ls->clock.year_rollovers > 1)
        fprintf(stderr,
                "mailward: %s: the month went backwards %d times; years were inferred "
                "as consecutive: check the order of lines or give --year\n",
                ls->path, ls->clock.year_rollovers);
    linereader_close(&ls->lr);
    return total;
}
