/*
 * engine - events in time order -> login attempts -> detectors -> findings.
 *
 * The engine is pure and deterministic: time comes only from the events it
 * is fed (engine_event), never from the clock, so replaying a log and the
 * live daemon reach the same findings at the same log times. Raw events are
 * first folded into login attempts (attempts.c: one failed login that
 * Dovecot logs twice, or that Dovecot and Postfix both log, counts once);
 * detectors (src/detectors/det_*.c) see both the attempts and the raw events.
 *
 * Findings are created by detectors through engine_finding() and reported
 * through the sink given at creation: once when they fire, then again when
 * they have grown (each doubling of their addresses or accounts, or a
 * detector's material change), and a last time at engine_finish() if they
 * changed since. All memory is owned by the engine; engine_free() releases it.
 */
#ifndef MW_ENGINE_H
#define MW_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../event/event.h"
#include "finding.h"

/* One login attempt (or a run of N failed ones) after folding duplicates. */
struct attempt {
    const struct mw_event *ev;   /* the line that settled it (file, line, time) */
    struct mw_time time;
    struct mw_slice ip, account, method, pw_fingerprint, reason;
    enum mw_service service;
    int8_t tls;                  /* -1 unknown */
    bool secured;
    bool success;
    bool cleartext;              /* a success whose password crossed in clear */
    uint32_t failures;           /* failed attempts this stands for (0 for a success) */
};

struct engine_config {
    /* brute force: failures from one address within the window */
    uint32_t brute_failures;         /* default 10 */
    uint32_t brute_window_s;         /* default 600 */
    uint32_t brute_max_accounts;     /* default 3: more accounts is not "one target" */
    uint32_t brute_min_passwords;    /* default 3 distinct fingerprints, when known */
    /* password spray: one password fingerprint failing on this many accounts */
    uint32_t spray_min_accounts;     /* default 5 */
    /* ... or one network: this many failing addresses on this many accounts */
    uint32_t spray_net_ips;          /* default 5 */
    uint32_t spray_net_accounts;     /* default 10 */
    /* ... or one ASN (with a table): this many failing addresses on this
     * many accounts, hardly any success, mostly existing accounts */
    uint32_t spray_asn_ips;          /* default 10 */
    uint32_t spray_asn_accounts;     /* default 20 */
    /* outbound spam: recipients within an hour (and 5x the account's record) */
    uint32_t spam_recipients_hour;   /* default 500 */
    uint32_t drip_domains_day;       /* distinct recipient domains a day, default 100 */
    /* credential stuffing: stuffing addresses within an hour */
    uint32_t stuffing_min_ips;       /* default 5 */
    /* takeover: a login from a network the account never used, then this
     * many recipients within the hour after it */
    uint32_t novel_recipients;       /* default 100 */
    /* takeover: a login from an address (/24, IPv6 /64) new to the
     * account, then mail from such addresses to this many distinct
     * recipient domains the account never mailed, within the hour */
    uint32_t novel_domains;          /* default 12 */
    size_t max_keys;                 /* cap on tracked keys per table (default 200000) */
    /* the network an address belongs to for per-account baselines: an ASN
     * when the caller has a table (deterministic lookups only), else NULL
     * and the engine uses the address's /16 (IPv6 /32) */
    uint32_t (*network_of)(void *ctx, struct mw_slice ip);
    void *network_ctx;
    /* the country of an address ("US" packed as 'U' << 8 | 'S'), 0 when
     * unknown; NULL: no countries in the baselines */
    uint16_t (*country_of)(void *ctx, struct mw_slice ip);
    /* live mode (mailward serve): report a finding at every change, so
     * each address it gains can be acted on at once (replay reports only
     * when it doubles or changes materially) */
    bool report_every_change;
};

typedef void (*engine_sink_fn)(const struct finding *f, bool final, void *ctx);

struct engine;

void engine_config_defaults(struct engine_config *c);
struct engine *engine_create(const struct engine_config *c, engine_sink_fn sink, void *ctx);
void engine_free(struct engine *e);
/* engine_memory - bytes of state the engine holds (tables of the folding
 * and of every detector; findings are extra, bounded by their sets) */
size_t engine_memory(const struct engine *e);
/* engine_keys_for_memory - the largest max_keys whose engine stays within
 * `bytes` of state (probing, deterministic); 0 if even 1000 keys do not fit */
size_t engine_keys_for_memory(const struct engine_config *c, size_t bytes);
/* engine_save_state - the detectors' baselines (per-account networks,
 * sending history) as text; -1 on a write error (errno set) */
int engine_save_state(struct engine *e, FILE *f);
/* engine_load_state - read what engine_save_state wrote; -1 with
 * "LINE: what" in err for a malformed or foreign file (state loaded up to
 * there is kept) */
int engine_load_state(struct engine *e, FILE *f, char *err, size_t errlen);
/* engine_event - feed one event (events should come in time order) */
void engine_event(struct engine *e, const struct mw_event *ev);
/* engine_finish - flush pending attempts and report findings changed since
 * their last report */
void engine_finish(struct engine *e);

/* for detectors */
const struct engine_config *engine_config(const struct engine *e);
/* engine_first_us - log time of the first event fed (0 before any): how
 * long the engine has been watching, for baselines that want a day */
int64_t engine_first_us(const struct engine *e);
/* engine_finding - the finding of this kind and key, created if absent */
struct finding *engine_finding(struct engine *e, enum finding_kind kind, const char *key,
                               size_t keylen, const struct mw_event *ev, bool *created);
struct finding *engine_finding_get(struct engine *e, enum finding_kind kind, const char *key,
                                   size_t keylen);
/* engine_finding_changed - the detector changed f; material = report now */
void engine_finding_changed(struct engine *e, struct finding *f, bool material);
/* attackers: addresses (and networks, as "net:CIDR") named by attack
 * findings, so a later successful login from one of them is a takeover */
void engine_attacker_add(struct engine *e, const char *key, size_t keylen, const struct finding *f);
const struct finding *engine_attacker_of(struct engine *e, const char *key, size_t keylen);

/* engine_findings - all findings, in order of detection */
size_t engine_nfindings(const struct engine *e);
const struct finding *engine_finding_at(const struct engine *e, size_t i);

#endif
