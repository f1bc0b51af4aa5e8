/*
 * config - the daemon's settings table and the file parser (see config.h).
 */
#include "config.h"

#include "../util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum ctype { C_STR, C_U32, C_SIZE, C_BOOL, C_ENUM };

struct ckey {
    const char *name;
    enum ctype type;
    size_t off;
    const char *def;
    uint64_t min, max;       /* numbers */
    const char *const *enums; /* C_ENUM: NULL-terminated names */
    const char *doc;
};

static const char *const flagged_names[] = {"hold", "defer", "reject", NULL};
static const char *const level_names[] = {"error", "warning", "info", "debug", NULL};

#define OFF(f) offsetof(struct serve_config, f)

/* the one table: order is the order of `mailward config` */
static const struct ckey keys[] = {
    {"http", C_STR, OFF(http), "127.0.0.1:8427", 0, 0, NULL,
     "HTTP listener ADDR:PORT: Dovecot auth policy (POST /?command=allow|report), admin API /api/, /metrics, /healthz"},
    {"postfix", C_STR, OFF(postfix), "127.0.0.1:8428", 0, 0, NULL,
     "Postfix policy listener: ADDR:PORT or unix:PATH; empty turns it off"},
    {"state_dir", C_STR, OFF(state_dir), "/var/lib/mailward", 0, 0, NULL,
     "directory of the SQLite database (bans, flags, held mail, findings, audit), the admin token and baselines"},
    {"dovecot_api_header", C_STR, OFF(dovecot_api_header), "", 0, 0, NULL,
     "\"Name: value\" header Dovecot must send (its auth_policy_server_api_header); empty accepts any caller"},
    {"follow", C_STR, OFF(follow), "", 0, 0, NULL,
     "log files to tail into the engine, comma-separated (for servers without policy hooks: Exim, Courier, Postfix without the policy service); survives rotation; empty for none"},
    {"follow_from_start", C_BOOL, OFF(follow_from_start), "no", 0, 0, NULL,
     "read followed files from their start at startup (replay their history) instead of from their end"},
    {"ban_seconds", C_U32, OFF(ban_seconds), "3600", 1, 365u * 86400, NULL,
     "seconds an address or network named by a brute force, spray or stuffing finding is rejected"},
    {"delay_after", C_U32, OFF(delay_after), "3", 1, 1000000, NULL,
     "failed logins from one address within brute_window after which its logins are delayed"},
    {"delay_max", C_U32, OFF(delay_max), "5", 0, 60, NULL,
     "longest delay in seconds Dovecot is told to apply (the delay grows by 1 s a failure)"},
    {"stale_after", C_U32, OFF(stale_after), "3", 2, 1000000, NULL,
     "failures of one account from one address with one and the same password: a stale password, told, not banned"},
    {"flagged_action", C_ENUM, OFF(flagged_action), "hold", 0, 0, flagged_names,
     "what Postfix does with mail of a flagged account: hold (hold queue, released by an admin), defer, reject"},
    {"flag_banned_success", C_BOOL, OFF(flag_banned_success), "yes", 0, 0, NULL,
     "a successful login from a banned address or network flags the account at once"},
    {"brute_failures", C_U32, OFF(brute_failures), "10", 2, 1000000, NULL,
     "failures from one address within brute_window that make a brute force"},
    {"brute_window", C_U32, OFF(brute_window), "600", 10, 86400, NULL,
     "seconds of the brute-force and delay window"},
    {"spray_accounts", C_U32, OFF(spray_accounts), "5", 2, 1000000, NULL,
     "accounts one password fingerprint must fail on to be a spray"},
    {"spam_recipients", C_U32, OFF(spam_recipients), "500", 1, 100000000, NULL,
     "recipients of one account within an hour that make a burst (if also 5x its busiest hour)"},
    {"novel_domains", C_U32, OFF(novel_domains), "12", 2, 32, NULL,
     "recipient domains an account never mailed, mailed within the hour of a login from an address new to it: a takeover"},
    {"max_memory", C_SIZE, OFF(max_memory), "256M", 4u << 20, (uint64_t)1 << 40, NULL,
     "cap on all decision state: bans, flags, the detectors' and the delays' tables (e.g. 64M, 1G); what matters least is forgotten first"},
    {"max_bans", C_SIZE, OFF(max_bans), "100000", 16, 100000000, NULL,
     "addresses and networks banned at once (the oldest ban goes first when full)"},
    {"max_flags", C_SIZE, OFF(max_flags), "10000", 16, 100000000, NULL,
     "accounts flagged at once"},
    {"max_findings", C_SIZE, OFF(max_findings), "20000", 100, 10000000, NULL,
     "findings the detectors keep in memory; past it they start afresh from their baselines (bans, flags, findings in the store are kept)"},
    {"asn_db", C_STR, OFF(asn_db), "auto", 0, 0, NULL,
     "ASN table (scripts/fetch-geodata.sh): auto finds it, a path, or empty for none"},
    {"max_request", C_SIZE, OFF(max_request), "64K", 1024, 16u << 20, NULL,
     "largest HTTP body or Postfix policy request in bytes; larger ones get an error and are closed"},
    {"max_connections", C_U32, OFF(max_connections), "10000", 1, 1000000, NULL,
     "open client connections per door; beyond it new ones are closed at once"},
    {"idle_timeout", C_U32, OFF(idle_timeout), "300", 1, 86400, NULL,
     "seconds an idle client connection is kept open"},
    {"webhook", C_STR, OFF(webhook), "", 0, 0, NULL,
     "URL each new or grown finding is POSTed to as JSON (retried); empty for none"},
    {"hook_command", C_STR, OFF(hook_command), "", 0, 0, NULL,
     "shell command run for each new or grown finding, the finding's JSON on stdin; empty for none"},
    {"webhook_header", C_STR, OFF(webhook_header), "", 0, 0, NULL,
     "\"Name: value\" header sent with each webhook POST (e.g. \"Authorization: Bearer SECRET\"); empty for none"},
    {"webhook_timeout", C_U32, OFF(webhook_timeout), "10", 1, 300, NULL,
     "seconds one webhook POST may take, connecting included, before it counts as failed"},
    {"webhook_tries", C_U32, OFF(webhook_tries), "5", 1, 100, NULL,
     "attempts of one webhook POST on connection errors, timeouts, 429 and 5xx (waits 1 s, 2 s, 4 s... up to 60 s between)"},
    {"hook_timeout", C_U32, OFF(hook_timeout), "30", 1, 3600, NULL,
     "seconds hook_command may run before it and its process group are killed"},
    {"nft_set", C_STR, OFF(nft_set), "", 0, 0, NULL,
     "nftables set \"FAMILY TABLE SET\" (e.g. inet filter mailward_ban; type ipv4_addr, flags interval,timeout) banned IPv4 addresses and networks are added to for the ban's remaining time; empty: off"},
    {"nft_set6", C_STR, OFF(nft_set6), "", 0, 0, NULL,
     "the same for banned IPv6 addresses and networks (a set of type ipv6_addr); empty: IPv6 bans stay out of nftables"},
    {"action_queue", C_SIZE, OFF(action_queue), "1000", 1, 1000000, NULL,
     "webhook POSTs and hook commands waiting (each; nftables updates: max_bans); when full the oldest is dropped and counted"},
    {"action_flush", C_U32, OFF(action_flush), "5", 0, 300, NULL,
     "seconds SIGTERM or SIGINT waits for queued actions to finish before the daemon stops"},
    {"release_command", C_STR, OFF(release_command), "", 0, 0, NULL,
     "command run with a held message's queue id appended when its account is released (e.g. postsuper -H)"},
    {"metrics_public", C_BOOL, OFF(metrics_public), "no", 0, 0, NULL,
     "serve /metrics without the admin token (it is on loopback by default)"},
    {"pwhash_nonce", C_STR, OFF(pwhash_nonce), "", 0, 0, NULL,
     "Dovecot's auth_policy_hash_nonce, to test logins' pwhash against common passwords; empty: off"},
    {"pwhash_truncate", C_U32, OFF(pwhash_truncate), "12", 8, 256, NULL,
     "Dovecot's auth_policy_hash_truncate (bits of the pwhash)"},
    {"pwhash_mech", C_STR, OFF(pwhash_mech), "sha256", 0, 0, NULL,
     "Dovecot's auth_policy_hash_mech (md5, sha1, sha256, sha512, ...)"},
    {"passwords", C_STR, OFF(passwords), "auto", 0, 0, NULL,
     "common-password list for pwhash checks (scripts/fetch-passwords.sh): auto finds it, a path, or empty"},
    {"milter", C_STR, OFF(milter), "", 0, 0, NULL,
     "libmilter listener for Postfix's smtpd_milters: inet:PORT@ADDR or unix:PATH; empty: no milter (content traits of authenticated mail)"},
    {"milter_timeout", C_U32, OFF(milter_timeout), "2", 1, 60, NULL,
     "seconds a milter thread waits for the verdict before it accepts the message (fail-open)"},
    {"milter_body_max", C_SIZE, OFF(milter_body_max), "64K", 1024, 1u << 20, NULL,
     "bytes of each message body the milter looks at; a longer body never has a link trait"},
    {"milter_many_rcpts", C_U32, OFF(milter_many_rcpts), "20", 2, 1000000, NULL,
     "recipients of one message that make the many-recipients trait"},
    {"content_score_flag", C_U32, OFF(content_score_flag), "10", 1, 1000000, NULL,
     "content score of an account (sum of its messages' trait weights, decaying) that flags it; its mail is then held"},
    {"content_halflife", C_U32, OFF(content_halflife), "3600", 60, 30u * 86400, NULL,
     "seconds in which an account's content score halves"},
    {"content_subject_user", C_U32, OFF(content_subject_user), "4", 0, 1000, NULL,
     "weight of a Subject equal to the account's user name or local part"},
    {"content_one_link", C_U32, OFF(content_one_link), "4", 0, 1000, NULL,
     "weight of a body that is one link (HTML, whitespace, a closing line or two and the signature stripped)"},
    {"content_short_link", C_U32, OFF(content_short_link), "1", 0, 1000, NULL,
     "weight of a short body (at most 300 other characters) with one link"},
    {"content_empty_subject", C_U32, OFF(content_empty_subject), "1", 0, 1000, NULL,
     "weight of a missing or empty Subject"},
    {"content_many_rcpts", C_U32, OFF(content_many_rcpts), "2", 0, 1000, NULL,
     "weight of a message with milter_many_rcpts recipients or more"},
    {"log_level", C_ENUM, OFF(log_level), "info", 0, 0, level_names,
     "what is logged on stderr: error, warning, info, debug"},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct ckey *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || *s == '-')
        return -1;
    uint64_t mul = 1;
    if (*end) {
        switch (toupper((unsigned char)*end)) {
        case 'K': mul = 1ull << 10; break;
        case 'M': mul = 1ull << 20; break;
        case 'G': mul = 1ull << 30; break;
        default: return -1;
        }
        end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return -1;
    }
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int apply(struct serve_config *c, const struct ckey *k, const char *v, char *err, size_t errlen)
{
    char *field = (char *)c + k->off;
    switch (k->type) {
    case C_STR: {
        char **p = (char **)field;
        free(*p);
        *p = xstrdup(v);
        return 0;
    }
    case C_U32:
    case C_SIZE: {
        uint64_t n;
        if (parse_size(v, &n) < 0) {
            seterr(err, errlen, "%s: \"%s\" is not a number%s", k->name, v,
                   k->type == C_SIZE ? " (a size such as 65536, 64K, 256M)" : "");
            return -1;
        }
        if (n < k->min || n > k->max) {
            seterr(err, errlen, "%s: %s is out of range %llu..%llu", k->name, v,
                   (unsigned long long)k->min, (unsigned long long)k->max);
            return -1;
        }
        if (k->type == C_U32)
            *(uint32_t *)field = (uint32_t)n;
        else
            *(size_t *)field = (size_t)n;
        return 0;
    }
    case C_BOOL:
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
            *(bool *)field = true;
        else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
            *(bool *)field = false;
        else {
            seterr(err, errlen, "%s: \"%s\" is not yes or no", k->name, v);
            return -1;
        }
        return 0;
    case C_ENUM:
        for (int i = 0; k->enums[i]; i++)
            if (!strcmp(v, k->enums[i])) {
                if (k->off == OFF(log_level)) {
                    char **p = (char **)field;
                    free(*p);
                    *p = xstrdup(v);
                } else {
                    *(int *)field = i;
                }
                return 0;
            }
        {
            char list[128] = "";
            for (int i = 0; k->enums[i]; i++) {
                strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
                strncat(list, k->enums[i], sizeof(list) - strlen(list) - 1);
            }
            seterr(err, errlen, "%s: \"%s\" is not one of %s", k->name, v, list);
        }
        return -1;
    }
    return -1;
}

void config_defaults(struct serve_config *c)
{
    memset(c, 0, sizeof(*c));
    char err[256];
    for (size_t i = 0; i < NKEYS; i++)
        if (apply(c, &keys[i], keys[i].def, err, sizeof(err)) < 0)
        {
            fprintf(stderr, "mailward: config: bad default of %s: %s\n", keys[i].name, err);
            abort();
        }
}

void config_free(struct serve_config *c)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].type == C_STR || keys[i].off == OFF(log_level)) {
            char **p = (char **)((char *)c + keys[i].off);
            free(*p);
            *p = NULL;
        }
}

void config_copy(struct serve_config *dst, const struct serve_config *src)
{
    *dst = *src;
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].type == C_STR || keys[i].off == OFF(log_level)) {
            char **p = (char **)((char *)dst + keys[i].off);
            if (*p)
                *p = xstrdup(*p);
        }
}

int config_set(struct serve_config *c, const char *key, const char *value, char *err, size_t errlen)
{
    const struct ckey *k = find_key(key);
    if (!k) {
        seterr(err, errlen, "unknown key \"%s\" (mailward config lists them)", key);
        return -1;
    }
    return apply(c, k, value, err, errlen);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

int config_load(struct serve_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct serve_config tmp;
    config_copy(&tmp, c);
    char line[4096];
    unsigned long lineno = 0;
    int rc = 0;
    char why[256];
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            seterr(err, errlen, "%s:%lu: line longer than %zu bytes", path, lineno, sizeof(line) - 2);
            rc = -1;
            break;
        }
        /* a '#' outside quotes starts a comment */
        bool q = false;
        for (char *p = line; *p; p++) {
            if (*p == '"')
                q = !q;
            else if (*p == '#' && !q) {
                *p = 0;
                break;
            }
        }
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            seterr(err, errlen, "%s:%lu: expected \"key = value\"", path, lineno);
            rc = -1;
            break;
        }
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = 0;
            val++;
        } else if (memchr(val, '"', vl)) {
            seterr(err, errlen, "%s:%lu: unbalanced quote in the value of %s", path, lineno, key);
            rc = -1;
            break;
        }
        if (config_set(&tmp, key, val, why, sizeof(why)) < 0) {
            seterr(err, errlen, "%s:%lu: %s", path, lineno, why);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        seterr(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    if (rc == 0) {
        config_free(c);
        *c = tmp;
    } else {
        config_free(&tmp);
    }
    return rc;
}

static void value_text(const struct serve_config *c, const struct ckey *k, char *buf, size_t n)
{
    const char *field = (const char *)c + k->off;
    switch (k->type) {
    case C_STR:
        snprintf(buf, n, "\"%s\"", *(char *const *)field ? *(char *const *)field : "");
        break;
    case C_U32:
        snprintf(buf, n, "%u", *(const uint32_t *)field);
        break;
    case C_SIZE: {
        size_t v = *(const size_t *)field;
        if (v && v % (1u << 30) == 0)
            snprintf(buf, n, "%zuG", v >> 30);
        else if (v && v % (1u << 20) == 0)
            snprintf(buf, n, "%zuM", v >> 20);
        else if (v && v % 1024 == 0)
            snprintf(buf, n, "%zuK", v >> 10);
        else
            snprintf(buf, n, "%zu", v);
        break;
    }
    case C_BOOL:
        snprintf(buf, n, "%s", *(const bool *)field ? "yes" : "no");
        break;
    case C_ENUM:
        if (k->off == OFF(log_level))
            snprintf(buf, n, "%s", *(char *const *)field);
        else
            snprintf(buf, n, "%s", k->enums[*(const int *)field]);
        break;
    }
}

void config_write(const struct serve_config *c, FILE *f)
{
    fprintf(f, "# mailward serve: effective configuration (mailward config).\n"
               "# Every key, its value now, and what it does; a file with a subset of\n"
               "# these lines is a valid --config.\n");
    for (size_t i = 0; i < NKEYS; i++) {
        char v[1024];
        value_text(c, &keys[i], v, sizeof(v));
        fprintf(f, "\n# %s (default: %s)\n%s = %s\n", keys[i].doc, keys[i].def[0] ? keys[i].def : "empty",
                keys[i].name, v);
    }
}

void config_write_docs(FILE *f)
{
    fprintf(f, "| key | default | meaning |\n|---|---|---|\n");
    for (size_t i = 0; i < NKEYS; i++)
        fprintf(f, "| `%s` | `%s` | %s |\n", keys[i].name, keys[i].def, keys[i].doc);
}
