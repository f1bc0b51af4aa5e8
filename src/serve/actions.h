/*
 * actions - what `mailward serve` does beyond its replies when something
 * is found (issue 5): a webhook (the finding's JSON POSTed with libcurl,
 * retried with backoff), a command hook (`/bin/sh -c hook_command`, the
 * JSON on its stdin, killed after hook_timeout), and nftables sets that
 * banned addresses and networks are added to for the ban's remaining time
 * (`nft add element FAMILY TABLE SET { ADDR timeout Ns }`).
 *
 * The event loop never waits for any of it: actions_finding() and
 * actions_ban() copy their argument into a bounded queue (one per kind of
 * action: action_queue entries for the webhook and the command, max_bans
 * for nftables; when full the oldest entry is dropped, counted and logged)
 * and return. ONE worker thread (pthreads) drains the
 * queues: all pending nftables updates in one `nft` run, then one hook
 * command, then one webhook attempt, round and round; a webhook that failed
 * with a connection error, a timeout, 429 or 5xx waits in a retry list
 * (1 s, 2 s, 4 s ... up to 60 s) without holding up the other actions, and
 * is given up after webhook_tries attempts with a log line.
 * Being one thread, an nftables update can wait for one running command
 * (hook_timeout at most) or one webhook attempt (webhook_timeout).
 *
 * Threads: actions_create, actions_finding, actions_ban, actions_restore_bans,
 * actions_reconfigure, actions_metrics and actions_destroy are called from
 * the daemon's thread; the worker shares only the queues (a mutex), the
 * settings (reference counted, swapped by actions_reconfigure) and atomic
 * counters. Nothing is logged that could hold a secret: not the webhook's
 * URL or header, not the command, not the JSON.
 */
#ifndef MW_SERVE_ACTIONS_H
#define MW_SERVE_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "guard.h"

struct actions;
struct serve_metrics;

/* actions_create - NULL with err set if a setting is unusable (nft_set not
 * "FAMILY TABLE SET", the thread cannot start); with no webhook, command
 * or set configured it still succeeds (SIGHUP may add one later) */
struct actions *actions_create(const struct serve_config *cfg, char *err, size_t errlen);
/* actions_destroy - stop taking work, give the queued actions up to
 * cfg.action_flush seconds (a POST or command still running then is
 * aborted/killed), log what was left undone, join the thread, free */
void actions_destroy(struct actions *a);
/* actions_reconfigure - new settings (SIGHUP); -1 with err if unusable
 * (the old ones stay) */
int actions_reconfigure(struct actions *a, const struct serve_config *cfg, char *err, size_t errlen);

/* actions_finding - a finding's JSON (n bytes) for the webhook and the
 * command; the signature of serve_on_finding's hook (ctx = actions) */
void actions_finding(const char *json, size_t n, void *ctx);
/* actions_ban - an address or network banned until b->until (seconds; now
 * is the decision's time), or unbanned (b NULL): the nftables update;
 * the signature of serve_on_ban's hook (ctx = actions) */
void actions_ban(const char *key, const struct guard_ban *b, int64_t now, void *ctx);
/* actions_restore_bans - queue an nftables add for every ban the guard
 * holds that lasts past now (at start: the sets may be gone after a
 * reboot; an element already there keeps its timeout) */
void actions_restore_bans(struct actions *a, struct guard *g, int64_t now);

/* actions_metrics - copy the counters into the webhook_*, hooks_*, nft_*
 * fields of m */
void actions_metrics(struct actions *a, struct serve_metrics *m);

/* actions_nft_element - the nftables text of a ban key ("192.0.2.7",
 * "2001:db8::/64", host bits cleared) into out; 4 or 6 (its family), or -1
 * if key is no address or network (exposed for tests) */
int actions_nft_element(const char *key, char *out, size_t outlen);

#endif
