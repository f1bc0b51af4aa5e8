/*
 * cmd_events - `mailward events`: print the normalized events of mail logs,
 * as an aligned table or as JSON lines (the contract in docs/events.md).
 */
#include "cli.h"
#include "../event/event.h"
#include "../sources/logscan.h"
#include "../sources/parser.h"
#include "../util/outbuf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void events_help(FILE *f)
{
    fprintf(f,
"Usage: mailward events [OPTIONS] [FILE...]\n"
"\n"
"Read mail server logs and print one event for every line that is evidence of\n"
"something: a failed or successful login, a login without TLS, a queued\n"
"message, a delivery, a remote server refusing our mail because our address is\n"
"on a blocklist, a client refused for being on one. Other lines print nothing.\n"
"\n"
"FILEs are read in the order given; '-' or no FILE reads standard input. Files\n"
"compressed with gzip (rotated logs, *.gz) are read transparently. Postfix queue\n"
"ids are followed across files, so give rotated logs oldest first.\n"
"\n"
"Options:\n"
"  --json                 one JSON object per event and line of output; fields:\n"
"                         line, file, time, host, program, service, kind, ip,\n"
"                         account, method, tls, secured, reason, attempts,\n"
"                         pw_fingerprint, session, queue_id, sender, nrcpt, size,\n"
"                         recipient, status, dsn, relay, dnsbl, reply\n"
"                         (a field is left out when the line does not give it)\n"
"  --format FMT           which server wrote the logs: %s\n"
"                         (default auto: decided per line from the program name)\n"
"  --year YYYY            year of the first line for syslog timestamps that have\n"
"                         none (default: from the file's modification time; the\n"
"                         year steps forward when a log crosses New Year)\n"
"  --tz ±HH:MM|UTC        zone of timestamps that carry none (default: leave them\n"
"                         without a zone, as the log wrote them)\n"
"  --max-line-length N    longer lines are reported and skipped (default 65536)\n"
"  --stats                print counts per kind to stderr at the end\n"
"  -h, --help             show this help\n"
"\n"
"Kinds: auth_failure, auth_success, plaintext_login, message_queued, delivery,\n"
"dnsbl_listing, client_listed. See docs/events.md for what each line becomes.\n"
"\n"
"Problems in the input (unreadable or missing files, binary junk, over-long\n"
"lines, lines without a timestamp, truncated gzip) are reported on stderr as\n"
"FILE:LINE with what was skipped; reading goes on where that is safe.\n"
"\n"
"Exit status: 0 all input understood; 1 some input was skipped or unreadable;\n"
"2 usage error.\n"
"\n"
"Examples:\n"
"  mailward events /var/log/mail.log\n"
"  mailward events --json /var/log/mail.log.2.gz /var/log/mail.log.1 /var/log/mail.log\n"
"  journalctl -o short-iso -u postfix -u dovecot | mailward events --json -\n",
            parser_format_list());
}

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

int cmd_events(int argc, char **argv)
{
    enum { OPT_JSON = 1000, OPT_FORMAT, OPT_YEAR, OPT_TZ, OPT_MAXLINE, OPT_STATS };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"year", required_argument, NULL, OPT_YEAR},
        {"tz", required_argument, NULL, OPT_TZ},
        {"max-line-length", required_argument, NULL, OPT_MAXLINE},
        {"stats", no_argument, NULL, OPT_STATS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, stats = 0;
    struct parser_opts popts = {FMT_AUTO, 0};
    struct logscan_opts sopts = {0, false, 0, 65536, 5};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_JSON:
            json = 1;
            break;
        case OPT_FORMAT: {
            int f = parser_format_from_name(optarg);
            if (f < 0) {
                fprintf(stderr, "mailward events: unknown --format '%s'; use one of %s\n",
                        optarg, parser_format_list());
                return EXIT_USAGE;
            }
            popts.format = (enum mw_format)f;
            break;
        }
        case OPT_YEAR: {
            long y = strtol(optarg, &end, 10);
            if (*end || y < 1970 || y > 9999) {
                fprintf(stderr, "mailward events: --year wants a year like 2026, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            sopts.year = (int)y;
            break;
        }
        case OPT_TZ:
            if (cli_parse_tz(optarg, &sopts.tz_min) < 0) {
                fprintf(stderr, "mailward events: --tz wants +HH:MM, -HHMM or UTC, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            sopts.tz_set = true;
            break;
        case OPT_MAXLINE: {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 256 || v > (64L << 20)) {
                fprintf(stderr, "mailward events: --max-line-length wants 256..67108864 bytes, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            sopts.max_line = (size_t)v;
            break;
        }
        case OPT_STATS:
            stats = 1;
            break;
        case 'h':
            events_help(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "mailward events: unknown option '%s'; see 'mailward events --help'\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    char *stdin_only[] = {"-", NULL};
    char **files = optind < argc ? argv + optind : stdin_only;
    int nfiles = optind < argc ? argc - optind : 1;

    struct mw_parser *parser = parser_create(&popts);
    struct outbuf ob;
    outbuf_init(&ob, 1 << 18);
    if (!json)
        event_write_header(&ob);
    uint64_t problems = 0;
    int rc = EXIT_OK;
    struct mw_event ev;
    memset(&ev, 0, sizeof(ev));
    for (int i = 0; i < nfiles && rc == EXIT_OK; i++) {
        struct logscan ls;
        if (logscan_open(&ls, files[i], parser, &sopts) < 0) {
            problems++;
            continue;
        }
        uint64_t bad_utf8 = ob.invalid_utf8;
        uint64_t first_bad_line = 0;
        while (logscan_next(&ls, &ev)) {
            if (json)
                event_write_json(&ob, &ev);
            else
                event_write_row(&ob, &ev);
            if (ob.invalid_utf8 != bad_utf8 && !first_bad_line)
                first_bad_line = ev.line;
            if (ob.len > (1 << 17) && outbuf_flush(&ob, stdout) < 0) {
                fprintf(stderr, "mailward events: cannot write output: %s\n", strerror(errno));
                rc = EXIT_INPUT;
                break;
            }
        }
        if (first_bad_line)
            fprintf(stderr,
                    "mailward: %s:%llu: invalid UTF-8 in a field, shown as U+FFFD "
                    "(%llu in this file)\n",
                    files[i], (unsigned long long)first_bad_line,
                    (unsigned long long)(ob.invalid_utf8 - bad_utf8));
        problems += logscan_close(&ls);
    }
    if (outbuf_flush(&ob, stdout) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "mailward events: cannot write output: %s\n", strerror(errno));
        rc = EXIT_INPUT;
    }
    if (stats) {
        const struct parser_stats *st = parser_stats(parser);
        fprintf(stderr, "lines %llu, events %llu, lines without timestamp %llu\n",
                (unsigned long long)st->lines, (unsigned long long)st->events,
                (unsigned long long)st->no_time);
        for (int k = 1; k < MW_KIND__COUNT; k++)
            fprintf(stderr, "  %-16s %llu\n", event_kind_name((enum mw_kind)k),
                    (unsigned long long)st->by_kind[k]);
    }
    outbuf_free(&ob);
    parser_free(parser);
    if (rc == EXIT_OK && problems)
        rc = EXIT_INPUT;
    return rc;
}
