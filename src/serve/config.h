/*
 * config - the daemon's settings: one table (name, type, default, bounds,
 * one line of docs, offset into struct serve_config) drives the config file
 * parser, command-line overrides, `mailward config` (the effective config
 * with every key documented) and docs/serve.md's key list.
 *
 * File syntax: `key = value` lines; `#` starts a comment; blank lines are
 * ignored; values may be quoted with "...". Unknown keys and bad values are
 * errors reported as "FILE:LINE: what" (config_load returns -1 and leaves
 * the config as it was before the call). Strings are owned by the config
 * (config_free releases them).
 */
#ifndef MW_SERVE_CONFIG_H
#define MW_SERVE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum flagged_action { FLAGGED_HOLD, FLAGGED_DEFER, FLAGGED_REJECT };

struct serve_config {
    /* doors */
    char *http;                  /* ADDR:PORT of the HTTP listener (Dovecot policy, admin API) */
    char *postfix;               /* ADDR:PORT or unix:PATH of the Postfix policy listener; "" = off */
    char *state_dir;             /* SQLite database, admin token, saved baselines */
    char *dovecot_api_header;    /* "Name: value" Dovecot must send; "" = none */
    char *follow;                /* log files to tail, comma-separated (follow.c); "" = none */
    bool follow_from_start;      /* read followed files from their start, not their end */
    /* decisions */
    uint32_t ban_seconds;        /* how long an attacking address or network stays rejected */
    uint32_t delay_after;        /* failures from one address (in brute_window) before delays */
    uint32_t delay_max;          /* longest delay in seconds */
    uint32_t stale_after;        /* failures with one and the same password before "stale" */
    int flagged_action;          /* enum flagged_action */
    bool flag_banned_success;    /* a success from a banned address flags the account */
    /* detection (as for analyze) */
    uint32_t brute_failures;
    uint32_t brute_window;
    uint32_t spray_accounts;
    uint32_t spam_recipients;
    uint32_t novel_domains;
    size_t max_memory;           /* cap on the detectors' state */
    size_t max_bans;             /* addresses/networks banned at once */
    size_t max_flags;            /* accounts flagged at once */
    size_t max_findings;         /* findings the detectors keep before they are renewed */
    char *asn_db;                /* "auto", a path, or "" for none */
    /* limits of the doors */
    size_t max_request;          /* bytes of one HTTP body or Postfix request */
    uint32_t max_connections;    /* open client connections of each door */
    uint32_t idle_timeout;       /* seconds an idle connection is kept */
    /* actions */
    char *webhook;               /* URL a finding is POSTed to as JSON; "" = none */
    char *hook_command;          /* command run with a finding on stdin; "" = none */
    char *webhook_header;        /* "Name: value" sent with each webhook POST; "" = none */
    uint32_t webhook_timeout;    /* seconds one POST may take */
    uint32_t webhook_tries;      /* attempts of one POST before it is given up */
    uint32_t hook_timeout;       /* seconds hook_command may run before it is killed */
    char *nft_set;               /* "FAMILY TABLE SET" for banned IPv4 addresses/networks; "" = off */
    char *nft_set6;              /* the same for IPv6; "" = off */
    size_t action_queue;         /* pending actions of each kind kept (drop-oldest) */
    uint32_t action_flush;       /* seconds at shutdown to finish queued actions */
    char *release_command;       /* run with a held queue id when an account is released */
    bool metrics_public;         /* /metrics without the admin token */
    /* Dovecot's pwhash (weak passwords at login) */
    char *pwhash_nonce;          /* auth_policy_hash_nonce of Dovecot; "" = unknown */
    uint32_t pwhash_truncate;    /* auth_policy_hash_truncate of Dovecot (bits) */
    char *pwhash_mech;           /* auth_policy_hash_mech of Dovecot */
    char *passwords;             /* common-password list: "auto", a path, "" none */
    /* milter: content traits of the hijack waves (milter.c, serve_content) */
    char *milter;                /* libmilter listen spec (inet:PORT@ADDR, unix:PATH); "" = off */
    uint32_t milter_timeout;     /* seconds a milter thread waits for the verdict (then accepts) */
    size_t milter_body_max;      /* bytes of each body looked at */
    uint32_t milter_many_rcpts;  /* recipients of one message that count as many */
    uint32_t content_score_flag; /* an account's content score that flags it */
    uint32_t content_halflife;   /* seconds in which a content score halves */
    uint32_t content_subject_user, content_one_link, content_short_link, content_empty_subject,
        content_many_rcpts;      /* trait weights */
    char *log_level;             /* error, warning, info, debug */
};

void config_defaults(struct serve_config *c);
void config_free(struct serve_config *c);
/* config_copy - deep copy (for reload: parse into a copy, swap on success) */
void config_copy(struct serve_config *dst, const struct serve_config *src);
/* config_load - read FILE over c; -1 with "FILE:LINE: what" in err */
int config_load(struct serve_config *c, const char *path, char *err, size_t errlen);
/* config_set - one key from text (command line, file); -1 with a reason in err */
int config_set(struct serve_config *c, const char *key, const char *value, char *err, size_t errlen);
/* config_write - every key, its value and its documentation, as a valid file */
void config_write(const struct serve_config *c, FILE *f);
/* config_write_docs - the key list as Markdown (docs/serve.md) */
void config_write_docs(FILE *f);

#endif
