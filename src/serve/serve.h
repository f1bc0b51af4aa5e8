/*
 * serve - the decisions of `mailward serve`, without any networking: a
 * Dovecot policy request or a Postfix policy request in, a reply out, with
 * the time of the request passed in (microseconds), so tests need no
 * sockets and no sleeps.
 *
 * It owns the detection engine (the same one `analyze` replays logs
 * through) and the guard (bans, flags, delays). Requests become events for
 * the engine; the engine's findings become bans (brute force, spray,
 * stuffing: their addresses and networks) and flags (takeover, outbound
 * spam: their accounts), written to the store before the reply that
 * depends on them is returned. The daemon (daemon.c) owns the sockets and
 * calls in here; serve_create/serve_free own everything else except the
 * store and the ASN table, which the caller keeps open while serve lives.
 */
#ifndef MW_SERVE_SERVE_H
#define MW_SERVE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dovecot_policy.h"
#include "guard.h"
#include "milter_traits.h"
#include "postfix_policy.h"
#include "store.h"

struct asn_table;
struct mw_event;
struct pwlist;
struct serve;

/* per Postfix connection: the message being submitted (instance) */
struct pf_session {
    char instance[64];
    uint32_t rcpts;           /* RCPTs of this message seen */
    bool held;                /* this message was told HOLD */
};

struct serve_metrics {
    uint64_t dovecot_allow, dovecot_reject, dovecot_delay, dovecot_report_ok, dovecot_report_fail,
        dovecot_bad, postfix_requests, postfix_dunno, postfix_hold, postfix_defer, postfix_reject,
        postfix_bad, findings, bans_added, flags_added, stale_notices, weak_passwords, engine_renewals, store_errors;
    /* milter (serve_content counts its decisions; milter.c copies the rest here) */
    uint64_t milter_accept, milter_quarantine, milter_defer, milter_reject, content_flags, milter_unauth,
        milter_timeouts, milter_queue_full;
    /* actions (actions.c counts them; the daemon copies them here on its timer) */
    uint64_t webhook_sent, webhook_retries, webhook_failed, webhook_dropped, hooks_run, hooks_failed, hooks_dropped,
        nft_updates, nft_failed, nft_dropped;
};

/* serve_create - NULL with err set if the state cannot be restored */
struct serve *serve_create(const struct serve_config *cfg, struct store *st, const struct asn_table *asn,
                           char *err, size_t errlen);
void serve_free(struct serve *s);
/* serve_set_passwords - test logins' pwhash against the common passwords
 * of list (borrowed; must outlive serve). Needs pwhash_nonce; returns 0,
 * or -1 with err set (bad pwhash_mech/pwhash_truncate). A success with a
 * common password raises weak_password for the account (only when the
 * fingerprint has >= 20 bits and one guess owns it: at Dovecot's default 12
 * bits a quarter of all passwords match some guess); failures with common
 * passwords become one fingerprint per password (>= 24 bits), so the spray
 * rule links the accounts they were tried on. */
int serve_set_passwords(struct serve *s, const struct pwlist *list, char *err, size_t errlen);
/* serve_reconfigure - take new decision settings (SIGHUP) */
void serve_reconfigure(struct serve *s, const struct serve_config *cfg);

/* serve_dovecot - decide a Dovecot request; the reply body goes into
 * reply (NUL-terminated), its length is returned */
size_t serve_dovecot(struct serve *s, int64_t now_us, const struct dovecot_req *r, char *reply, size_t cap);
/* serve_postfix - decide a Postfix policy request: "action=...\n\n" */
size_t serve_postfix(struct serve *s, int64_t now_us, struct pf_session *ps, const struct pfpol_req *r,
                     char *reply, size_t cap);
/* serve_log_event - an event parsed from a followed log (follow.c) into the
 * same engine as the doors, at the event's own (log line's) time; findings
 * become bans and flags as for requests, decided now (bans run
 * ban_seconds from the wall clock). A success from an address banned
 * before the login flags the account (flag_banned_success). Warns once
 * when logins also arrive from Dovecot (or submissions from Postfix):
 * both doors and the log would count each login twice. */
void serve_log_event(struct serve *s, const struct mw_event *ev);

/* what the milter does with a message: accept it, put it into Postfix's
 * hold queue (smfi_quarantine), tempfail or reject it (flagged_action) */
enum content_verdict { CONTENT_ACCEPT = 0, CONTENT_QUARANTINE, CONTENT_TEMPFAIL, CONTENT_REJECT };

/* the envelope of a message the milter judged (strings may be "") */
struct content_envelope {
    const char *account;      /* {auth_authen} */
    const char *queue_id;     /* macro i */
    const char *sender;       /* MAIL FROM */
    const char *client;       /* the client's address */
};

/* serve_content - the content traits of one authenticated message (see
 * milter_traits.h): their weights (content_* keys; an empty subject and
 * many recipients count only with another trait) are added to the
 * account's content score (a bounded table of max_flags accounts, halving
 * every content_halflife seconds). When the score reaches
 * content_score_flag the account is flagged (kind content_traits, a
 * finding stored and sent to the actions, the reason naming the traits).
 * A flagged account's message (flagged now or before, by anything) gets
 * flagged_action: CONTENT_QUARANTINE for hold (recorded as held, once per
 * queue id even if the Postfix policy door holds it too), TEMPFAIL for
 * defer, REJECT for reject; reason (NUL-terminated) says why. Everything
 * else is CONTENT_ACCEPT. Call it on the event loop only. */
enum content_verdict serve_content(struct serve *s, int64_t now_us, const struct content_traits *t,
                                   const struct content_envelope *env, char *reason, size_t cap);

/* administration: 1 done, 0 nothing to do, -1 bad argument / store error */
int serve_unban(struct serve *s, const char *key);
int serve_ban(struct serve *s, int64_t now_us, const char *key, uint32_t seconds);
int serve_release(struct serve *s, int64_t now_us, const char *account);
int serve_flag(struct serve *s, int64_t now_us, const char *account, const char *reason);

/* serve_tick - housekeeping (expired bans, store batch, baseline snapshot
 * every snapshot_s seconds); call a few times a second */
void serve_tick(struct serve *s, int64_t now_us);
/* serve_commit - commit the store's open group of writes (group commit);
 * on failure the bans and flags in memory are written again later */
int serve_commit(struct serve *s);
/* serve_commit_durable - commit only if the open group holds a ban, flag or
 * held message (before replies that acknowledge them); the rest (audit
 * rows, findings) is committed by serve_tick a few times a second */
int serve_commit_durable(struct serve *s);
/* serve_save - write changed findings and the detectors' baselines to the store now */
int serve_save(struct serve *s);

const struct serve_metrics *serve_metrics(const struct serve *s);
struct guard *serve_guard(struct serve *s);
struct store *serve_store(struct serve *s);
size_t serve_memory(const struct serve *s);

/* the hook for actions (webhook, command): called with each finding's
 * JSON when it is new or grown */
void serve_on_finding(struct serve *s, void (*fn)(const char *json, size_t n, void *ctx), void *ctx);
/* the hook for the firewall (actions.c, nftables): called when an address
 * or network is banned (by a finding or an admin; b->until is when it
 * ends, now the time of the decision, both in seconds) and with b NULL
 * when an admin lifts a ban; key as given to the guard */
void serve_on_ban(struct serve *s,
                  void (*fn)(const char *key, const struct guard_ban *b, int64_t now, void *ctx), void *ctx);

#endif
