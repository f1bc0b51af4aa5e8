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

int cmd_events(int argc, char **argv)
{
    enum { OPT_JSON = 1000, OPT_STATS };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        LOGOPTS_LONG,
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
        switch (c) {
        case OPT_JSON:
            json = 1;
            break;
        case OPT_STATS:
            stats = 1;
            break;
        case 'h':
            events_help(stdout);
            return EXIT_OK;
        default:
            switch (cli_log_option(c, "events", optarg, &popts, &sopts)) {
            case 1:
                continue;
            case -1:
                return EXIT_USAGE;
            }
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
