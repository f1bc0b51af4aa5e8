/*
 * cmd_ctl - `mailward ctl`: the admin API of a running `mailward serve`
 * from the command line (libcurl). Lists print one JSON object a line;
 * changes print what the daemon answered. The token is read from the
 * state directory the daemon uses (or --token-file).
 */
#include "cli.h"
#include "../serve/config.h"
#include "../serve/daemon.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ctl_help(FILE *f)
{
    fprintf(f,
"Usage: mailward ctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Talk to a running 'mailward serve' through its admin API.\n"
"\n"
"Commands:\n"
"  status                 bans, flagged accounts, findings, memory\n"
"  findings [AFTER]       findings (and stale-password notices), one JSON a line\n"
"  bans                   banned addresses and networks\n"
"  flags                  flagged accounts (their mail is held)\n"
"  held [AFTER]           messages held for review\n"
"  audit [AFTER]          the decisions taken (rejects, delays, holds, flags)\n"
"  ban KEY [SECONDS]      ban an address or network by hand\n"
"  unban KEY              lift a ban\n"
"  flag ACCOUNT [REASON]  flag an account by hand (its mail is held)\n"
"  release ACCOUNT        clear an account's flag (and run release_command\n"
"                         for its held messages)\n"
"\n"
"Options:\n"
"  --url URL              the daemon (default: http://<http key> of the config)\n"
"  --config FILE          the daemon's config file (for http and state_dir)\n"
"  --state-dir DIR        where admin.token is (default /var/lib/mailward)\n"
"  --token-file FILE      the token file itself\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 done; 1 the daemon said no (not found, bad request) or\n"
"cannot be reached; 2 usage error.\n");
}

struct body {
    char *p;
    size_t n;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct body *b = ud;
    size_t n = size * nmemb;
    char *np = realloc(b->p, b->n + n + 1);
    if (!np)
        return 0;
    b->p = np;
    memcpy(b->p + b->n, ptr, n);
    b->n += n;
    b->p[b->n] = 0;
    return n;
}

static int request(const char *url, const char *token, const char *post, struct body *out, long *code)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char auth[200];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    if (post)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fprintf(stderr, "mailward ctl: %s: %s (is 'mailward serve' running? --url)\n", url, curl_easy_strerror(rc));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

enum { OPT_URL = 1000, OPT_CONFIG, OPT_STATE, OPT_TOKENFILE };

int cmd_ctl(int argc, char **argv)
{
    static const struct option longopts[] = {{"url", required_argument, NULL, OPT_URL},
                                             {"config", required_argument, NULL, OPT_CONFIG},
                                             {"state-dir", required_argument, NULL, OPT_STATE},
                                             {"token-file", required_argument, NULL, OPT_TOKENFILE},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *url = NULL, *config = NULL, *state = NULL, *tokfile = NULL;
    int opt;
    optind = 1;
    /* stop at the first non-option: the command */
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': ctl_help(stdout); return EXIT_OK;
        case OPT_URL: url = optarg; break;
        case OPT_CONFIG: config = optarg; break;
        case OPT_STATE: state = optarg; break;
        case OPT_TOKENFILE: tokfile = optarg; break;
        default: fprintf(stderr, "Try 'mailward ctl --help'.\n"); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "mailward ctl: no COMMAND; try --help\n");
        return EXIT_USAGE;
    }
    const char *cmd = argv[optind];
    char **args = argv + optind + 1;
    int nargs = argc - optind - 1;

    struct serve_config c;
    config_defaults(&c);
    char err[512];
    if (config && config_load(&c, config, err, sizeof(err)) < 0) {
        fprintf(stderr, "mailward ctl: %s\n", err);
        config_free(&c);
        return EXIT_USAGE;
    }
    if (state)
        config_set(&c, "state_dir", state, err, sizeof(err));
    char token[128];
    int rc = EXIT_OK;
    if (tokfile) {
        FILE *f = fopen(tokfile, "r");
        if (!f || !fgets(token, sizeof(token), f)) {
            fprintf(stderr, "mailward ctl: %s: cannot read the token\n", tokfile);
            if (f)
                fclose(f);
            config_free(&c);
            return EXIT_INPUT;
        }
        fclose(f);
        token[strcspn(token, "\r\n")] = 0;
    } else if (daemon_token(c.state_dir, 0, token, sizeof(token), err, sizeof(err)) < 0) {
        fprintf(stderr, "mailward ctl: %s\n", err);
        config_free(&c);
        return EXIT_INPUT;
    }
    char base[600];
    if (url)
        snprintf(base, sizeof(base), "%s", url);
    else
        snprintf(base, sizeof(base), "http://%s", c.http);
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        base[--bl] = 0;
    config_free(&c);

    char full[1200];
    char *post = NULL;
    bool list = false;
    json_t *o = NULL;
    if (!strcmp(cmd, "status")) {
        snprintf(full, sizeof(full), "%s/api/status", base);
    } else if (!strcmp(cmd, "findings") || !strcmp(cmd, "held") || !strcmp(cmd, "audit") || !strcmp(cmd, "bans") ||
               !strcmp(cmd, "flags")) {
        list = true;
        long after = nargs > 0 ? strtol(args[0], NULL, 10) : 0;
        snprintf(full, sizeof(full), "%s/api/%s?after=%ld&limit=100000", base, cmd, after);
    } else if (!strcmp(cmd, "ban") && (nargs == 1 || nargs == 2)) {
        o = json_pack("{s:s,s:I}", "key", args[0], "seconds", (json_int_t)(nargs == 2 ? atol(args[1]) : 0));
        snprintf(full, sizeof(full), "%s/api/ban", base);
    } else if (!strcmp(cmd, "unban") && nargs == 1) {
        o = json_pack("{s:s}", "key", args[0]);
        snprintf(full, sizeof(full), "%s/api/unban", base);
    } else if (!strcmp(cmd, "flag") && (nargs == 1 || nargs == 2)) {
        o = json_pack("{s:s,s:s}", "account", args[0], "reason", nargs == 2 ? args[1] : "");
        snprintf(full, sizeof(full), "%s/api/flag", base);
    } else if (!strcmp(cmd, "release") && nargs == 1) {
        o = json_pack("{s:s}", "account", args[0]);
        snprintf(full, sizeof(full), "%s/api/release", base);
    } else {
        fprintf(stderr, "mailward ctl: unknown command or wrong arguments: %s; try --help\n", cmd);
        return EXIT_USAGE;
    }
    if (o) {
        post = json_dumps(o, JSON_COMPACT);
        json_decref(o);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct body b = {NULL, 0};
    long code = 0;
    if (request(full, token, post, &b, &code) < 0) {
        rc = EXIT_INPUT;
    } else if (code != 200) {
        fprintf(stderr, "mailward ctl: %s: HTTP %ld: %s", cmd, code, b.p ? b.p : "\n");
        rc = EXIT_INPUT;
    } else if (list) {
        json_error_t je;
        json_t *arr = json_loadb(b.p ? b.p : "", b.n, 0, &je);
        if (!json_is_array(arr)) {
            fprintf(stderr, "mailward ctl: the daemon's answer is not a JSON list\n");
            rc = EXIT_INPUT;
        } else {
            size_t i;
            json_t *v;
            json_array_foreach(arr, i, v)
            {
                char *t = json_dumps(v, JSON_COMPACT);
                puts(t);
                free(t);
            }
        }
        json_decref(arr);
    } else {
        fputs(b.p ? b.p : "", stdout);
    }
    free(b.p);
    free(post);
    curl_global_cleanup();
    return rc;
}
