/*
 * cli_common - what the commands share: parsing of sizes and zones, and the
 * options of every command that reads logs (--format, --year, --tz,
 * --max-line-length), handled in one place so they mean the same everywhere.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno)
        return -1;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    else if (*end)
        return -1;
    if (shift && end[1] && !(end[1] == 'B' && !end[2]) && !(end[1] == 'i' && end[2] == 'B' && !end[3]))
        return -1;
    if (v > (~0ull >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

int cli_parse_tz(const char *s, int *out)
{
    if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0 || strcmp(s, "utc") == 0) {
        *out = 0;
        return 0;
    }
    int sign = 1;
    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    } else {
        return -1;
    }
    int hh, mm = 0;
    char extra;
    if (sscanf(s, "%2d:%2d%c", &hh, &mm, &extra) == 2 ||
        (strlen(s) == 4 && sscanf(s, "%2d%2d%c", &hh, &mm, &extra) == 2) ||
        (strlen(s) == 2 && sscanf(s, "%2d%c", &hh, &extra) == 1)) {
        if (hh > 23 || mm > 59)
            return -1;
        *out = sign * (hh * 60 + mm);
        return 0;
    }
    return -1;
}

int cli_log_option(int c, const char *cmd, const char *arg, struct parser_opts *popts,
                   struct logscan_opts *sopts)
{
    char *end;
    long v;
    switch (c) {
    case LOGOPT_FORMAT: {
        int f = parser_format_from_name(arg);
        if (f < 0) {
            fprintf(stderr, "mailward %s: unknown --format '%s'; use one of %s\n", cmd, arg,
                    parser_format_list());
            return -1;
        }
        popts->format = (enum mw_format)f;
        return 1;
    }
    case LOGOPT_YEAR:
        v = strtol(arg, &end, 10);
        if (*end || v < 1970 || v > 9999) {
            fprintf(stderr, "mailward %s: --year wants a year like 2026, not '%s'\n", cmd, arg);
            return -1;
        }
        sopts->year = (int)v;
        return 1;
    case LOGOPT_TZ:
        if (cli_parse_tz(arg, &sopts->tz_min) < 0) {
            fprintf(stderr, "mailward %s: --tz wants +HH:MM, -HHMM or UTC, not '%s'\n", cmd, arg);
            return -1;
        }
        sopts->tz_set = true;
        return 1;
    case LOGOPT_MAXLINE:
        v = strtol(arg, &end, 10);
        if (*end || v < 256 || v > (64L << 20)) {
            fprintf(stderr, "mailward %s: --max-line-length wants 256..67108864 bytes, not '%s'\n", cmd, arg);
            return -1;
        }
        sopts->max_line = (size_t)v;
        return 1;
    default:
        return 0;
    }
}
