/*
 * cmd_serve - `mailward serve` (the live daemon: Dovecot auth policy,
 * Postfix policy, admin API) and `mailward config` (its effective
 * configuration, every key documented). Both take the same options, so
 * `mailward config --config F --http X` shows what `serve` would run with.
 */
#include "cli.h"
#include "../serve/config.h"
#include "../serve/daemon.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void serve_help(FILE *f, const char *cmd)
{
    if (!strcmp(cmd, "config")) {
        fprintf(f,
"Usage: mailward config [OPTIONS]\n"
"\n"
"Print the configuration `mailward serve` would run with (embedded\n"
"defaults, then --config FILE, then the options below), every key with its\n"
"documentation. The output is itself a valid --config file.\n"
"\n"
"Options: as for 'mailward serve', plus\n"
"  --docs               the key list as a Markdown table instead\n");
        return;
    }
    fprintf(f,
"Usage: mailward serve [OPTIONS]\n"
"\n"
"Run the live defence: Dovecot asks before each login (auth policy over\n"
"HTTP) and reports the outcome; Postfix asks at RCPT and END-OF-MESSAGE of\n"
"each submission (policy delegation). The same detectors as 'analyze' decide:\n"
"addresses and networks that brute-force, spray or stuff are rejected for\n"
"ban_seconds; addresses with recent failures are delayed; a client retrying\n"
"one stale password is delayed and reported, not banned; an account taken\n"
"over or sending a burst is flagged and its mail is held (Postfix hold\n"
"queue) until an admin releases it. Bans, flags, held mail, findings and an\n"
"audit trail live in SQLite under the state directory and survive restarts.\n"
"Runs with no config file; 'mailward config' prints every key.\n"
"\n"
"Options:\n"
"  --config FILE        read settings from FILE (key = value lines)\n"
"  --http ADDR:PORT     HTTP listener (default 127.0.0.1:8427)\n"
"  --postfix ADDR:PORT|unix:PATH\n"
"                       Postfix policy listener (default 127.0.0.1:8428;\n"
"                       empty turns it off)\n"
"  --state-dir DIR      state directory (default /var/lib/mailward)\n"
"  --follow FILE        tail the mail log FILE into the same detectors\n"
"                       (repeatable; survives rotation; from its end unless\n"
"                       --follow-from-start): for servers without policy\n"
"                       hooks (Exim, Courier, Postfix without the policy\n"
"                       service); not together with the Dovecot hook for the\n"
"                       same logins, which would count each twice\n"
"  --follow-from-start  read followed files from their start (replay)\n"
"  --set KEY=VALUE      any config key (repeatable)\n"
"  -h, --help           this help\n"
"\n"
"Signals: SIGHUP re-reads --config (decision settings; listeners and\n"
"--follow need a restart); SIGTERM and SIGINT save the baselines and stop.\n"
"The admin token is generated into STATE_DIR/admin.token on first start;\n"
"'mailward ctl' uses it. See docs/serve.md for the Dovecot and Postfix\n"
"settings (docs/examples/).\n");
}

enum { OPT_CONFIG = 1000, OPT_HTTP, OPT_POSTFIX, OPT_STATE, OPT_SET, OPT_DOCS, OPT_FOLLOW, OPT_FOLLOW_START };

static int parse_args(int argc, char **argv, struct serve_config *c, const char **config_path, int *docs)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, OPT_CONFIG}, {"http", required_argument, NULL, OPT_HTTP},
        {"postfix", required_argument, NULL, OPT_POSTFIX}, {"state-dir", required_argument, NULL, OPT_STATE},
        {"set", required_argument, NULL, OPT_SET},       {"docs", no_argument, NULL, OPT_DOCS},
        {"follow", required_argument, NULL, OPT_FOLLOW}, {"follow-from-start", no_argument, NULL, OPT_FOLLOW_START},
        {"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0}};
    const char *cmd = argv[0];
    /* the file first, then the options over it, whatever their order */
    struct {
        const char *key, *value;
    } sets[64];
    int nsets = 0;
    /* --follow FILE, repeated: one comma-separated follow list (it replaces
     * the config file's, as other options do) */
    const char *follows[64];
    int nfollows = 0;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        const char *key = NULL;
        switch (opt) {
        case 'h':
            serve_help(stdout, cmd);
            return 1;
        case OPT_CONFIG:
            *config_path = optarg;
            continue;
        case OPT_DOCS:
            if (!docs) {
                fprintf(stderr, "mailward %s: unknown option --docs\n", cmd);
                return -1;
            }
            *docs = 1;
            continue;
        case OPT_HTTP: key = "http"; break;
        case OPT_POSTFIX: key = "postfix"; break;
        case OPT_STATE: key = "state_dir"; break;
        case OPT_FOLLOW:
            if (!*optarg || strchr(optarg, ',')) {
                fprintf(stderr, "mailward %s: --follow wants one file name (without a comma)\n", cmd);
                return -1;
            }
            if (nfollows == 64) {
                fprintf(stderr, "mailward %s: too many --follow files\n", cmd);
                return -1;
            }
            follows[nfollows++] = optarg;
            continue;
        case OPT_FOLLOW_START: key = "follow_from_start"; optarg = "yes"; break;
        case OPT_SET: {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "mailward %s: --set needs KEY=VALUE\n", cmd);
                return -1;
            }
            *eq = 0;
            key = optarg;
            optarg = eq + 1;
            break;
        }
        default:
            fprintf(stderr, "Try 'mailward %s --help'.\n", cmd);
            return -1;
        }
        if (nsets == 64) {
            fprintf(stderr, "mailward %s: too many settings\n", cmd);
            return -1;
        }
        sets[nsets].key = key;
        sets[nsets].value = optarg;
        nsets++;
    }
    if (optind < argc) {
        fprintf(stderr, "mailward %s: unexpected argument \"%s\"; try --help\n", cmd, argv[optind]);
        return -1;
    }
    char err[512];
    if (*config_path && config_load(c, *config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "mailward %s: %s\n", cmd, err);
        return -1;
    }
    for (int i = 0; i < nsets; i++)
        if (config_set(c, sets[i].key, sets[i].value, err, sizeof(err)) < 0) {
            fprintf(stderr, "mailward %s: %s\n", cmd, err);
            return -1;
        }
    if (nfollows) {
        size_t len = 0;
        for (int i = 0; i < nfollows; i++)
            len += strlen(follows[i]) + 1;
        char *list = malloc(len);
        if (!list)
            return -1;
        size_t at = 0;
        for (int i = 0; i < nfollows; i++) {
            size_t n = strlen(follows[i]);
            memcpy(list + at, follows[i], n);
            at += n;
            list[at++] = ',';
        }
        list[at - 1] = 0; /* the last comma */
        int r = config_set(c, "follow", list, err, sizeof(err));
        free(list);
        if (r < 0)
            return -1;
    }
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    struct serve_config c;
    config_defaults(&c);
    const char *path = NULL;
    int rc = parse_args(argc, argv, &c, &path, NULL);
    if (rc != 0) {
        config_free(&c);
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    rc = daemon_run(&c, path);
    config_free(&c);
    return rc;
}

int cmd_config(int argc, char **argv)
{
    struct serve_config c;
    config_defaults(&c);
    const char *path = NULL;
    int docs = 0;
    int rc = parse_args(argc, argv, &c, &path, &docs);
    if (rc == 0) {
        if (docs)
            config_write_docs(stdout);
        else
            config_write(&c, stdout);
    }
    config_free(&c);
    return rc > 0 ? EXIT_OK : rc < 0 ? EXIT_USAGE : EXIT_OK;
}
