/*
 * cli - the command table shared by main.c and the cmd_*.c files.
 * Each command is a function (argc, argv) -> exit status, with argv[0]
 * being the command name; each prints its own --help.
 */
#ifndef MW_CLI_H
#define MW_CLI_H

#include <stddef.h>

#define MW_VERSION "0.1.0"

/* Exit statuses of every command. */
#define EXIT_OK 0
#define EXIT_INPUT 1  /* some input could not be read or was skipped */
#define EXIT_USAGE 2  /* bad arguments */

int cmd_events(int argc, char **argv);
int cmd_analyze(int argc, char **argv);

#include "../sources/logscan.h"
#include "../sources/parser.h"

/* The options of every command that reads logs; add LOGOPTS_LONG to the
 * command's getopt_long table and pass each option to cli_log_option(). */
enum { LOGOPT_FORMAT = 900, LOGOPT_YEAR, LOGOPT_TZ, LOGOPT_MAXLINE };
#define LOGOPTS_LONG                                              \
    {"format", required_argument, NULL, LOGOPT_FORMAT},           \
        {"year", required_argument, NULL, LOGOPT_YEAR},           \
        {"tz", required_argument, NULL, LOGOPT_TZ},               \
        {"max-line-length", required_argument, NULL, LOGOPT_MAXLINE}

/* cli_log_option - 1 handled, 0 not a log option, -1 bad value (said on stderr) */
int cli_log_option(int c, const char *cmd, const char *arg, struct parser_opts *popts,
                   struct logscan_opts *sopts);

/* cli_parse_tz - "UTC", "Z", "+01:00", "-0500", "+02" -> minutes east; -1 if not */
int cli_parse_tz(const char *s, int *out);
/* cli_parse_size - "65536", "64K", "64M", "1G" -> bytes; -1 if not */
int cli_parse_size(const char *s, size_t *out);
int cmd_asn(int argc, char **argv);
int cmd_passwd(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
/* cli_asn_default_db - $MAILWARD_ASN_DB, data/asn.mwdb of the source tree,
 * /var/lib/mailward/asn.mwdb: the first that exists; NULL if none (with a
 * hint on stderr unless quiet) */
const char *cli_asn_default_db(char *buf, size_t n, int quiet);

#endif
