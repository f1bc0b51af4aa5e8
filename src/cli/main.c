/*
 * main - mailward's entry point: global options and the command table.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"events", cmd_events, "parse mail logs into normalized events (table or JSON lines)"},
    {"analyze", cmd_analyze, "find brute force, cleartext logins and blocklisting in mail logs"},
    {"serve", cmd_serve, "the live defence: Dovecot auth policy, Postfix policy, admin API"},
    {"config", cmd_config, "print the effective configuration of 'serve', every key documented"},
    {"ctl", cmd_ctl, "talk to a running 'serve': findings, bans, flagged and held accounts"},
    {"passwd", cmd_passwd, "check a new password; audit a Dovecot passwd-file for weak passwords"},
    {"asn", cmd_asn, "ASN, organisation and country of addresses; 'asn build' compiles the data"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: mailward [--help] [--version] COMMAND [ARGS...]\n"
            "\n"
            "mailward reads mail server logs (Postfix, Dovecot, Exim, Courier, Cyrus,\n"
            "Sendmail, ...) and finds account abuse: guessed, sprayed and stuffed\n"
            "passwords, hijacked accounts sending spam, blocklisted addresses and\n"
            "cleartext logins.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Run 'mailward COMMAND --help' for a command's options.\n"
            "\n"
            "Exit status: 0 success; 1 some input could not be read or was skipped\n"
            "(each case is reported on stderr with file and line); 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("mailward %s\n", MW_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return EXIT_OK;
        }
        cmd = argv[2];
        for (size_t i = 0; i < NCOMMANDS; i++) {
            if (strcmp(commands[i].name, cmd) == 0) {
                char *av[] = {argv[2], "--help", NULL};
                return commands[i].run(2, av);
            }
        }
        fprintf(stderr, "mailward: unknown command '%s'; run 'mailward --help' for the list\n", cmd);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, cmd) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mailward: unknown command '%s'; run 'mailward --help' for the list\n", cmd);
    return EXIT_USAGE;
}
