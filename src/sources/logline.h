/*
 * logline - split a log line into time, host, program and message.
 *
 * Understands the timestamp forms mail logs carry: classic syslog
 * ("Mar  9 00:00:00", also with a fraction as journalctl short-precise
 * writes it), RFC 3339 / journalctl short-iso ("2026-11-23T06:05:36.277060+00:00",
 * "...+0000"), journalctl short-full ("Mon 2026-11-23 06:05:36 UTC"),
 * space-separated dates as Exim and Dovecot's own log file write them
 * ("2026-11-23 06:05:36[.123] [+0100]"), and TAI64N labels ("@4000...").
 * After the time comes either "host program[pid]: message" (syslog),
 * "program[pid]: message" (no host: Dovecot's own log, multilog), or a bare
 * message (Exim's main log).
 *
 * Classic syslog has no year: struct logline_clock carries the inference
 * (the year given with --year, else the year of the file's mtime, stepped
 * back if the first line's month lies after the mtime's month, and stepped
 * forward whenever the month goes backwards, i.e. at New Year).
 *
 * All slices point into the caller's line. logline_split() returns 1 when a
 * timestamp was recognised, 0 when the line has none (ll->msg is then the
 * whole line).
 */
#ifndef MW_LOGLINE_H
#define MW_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../event/event.h"

enum logline_shape {
    LL_NONE = 0,  /* no timestamp recognised */
    LL_SYSLOG,    /* time host program[pid]: msg */
    LL_NOHOST,    /* time program[pid]: msg */
    LL_BARE,      /* time msg */
};

struct logline {
    struct mw_time time;
    struct mw_slice host;
    struct mw_slice program; /* without [pid] */
    struct mw_slice pid;     /* digits between [ ], or empty */
    struct mw_slice msg;
    enum logline_shape shape;
    bool space_date;         /* "YYYY-MM-DD HH:MM:SS" form (Exim, Dovecot file) */
};

struct logline_clock {
    int year;          /* year of the current classic-syslog line */
    int last_mon;      /* month of the previous classic line, 0 = none yet */
    int start_year;    /* --year, or 0 */
    time_t mtime;      /* file mtime used when start_year is 0 (0 = now unknown) */
    int default_tz_min;  /* offset applied to zone-less times when tz_set */
    bool tz_set;
    int year_rollovers;  /* how many times the year was stepped forward */
};

/* logline_clock_init - prepare year inference for one input file. */
void logline_clock_init(struct logline_clock *c, int start_year, time_t mtime,
                        bool tz_set, int tz_min);

int logline_split(const char *s, size_t n, struct logline *ll, struct logline_clock *c);

/* logline_days_from_civil - days since 1970-01-01 of a proleptic Gregorian date. */
long logline_days_from_civil(int y, unsigned m, unsigned d);

#endif
