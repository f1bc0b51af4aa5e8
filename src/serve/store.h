/*
 * store - durable state of `mailward serve` behind one interface: bans,
 * flagged accounts, held messages, findings, the audit trail of decisions,
 * and blobs (the detectors' baselines).
 *
 * These functions are the interface; store_sqlite.c implements them with
 * SQLite in WAL mode (one file in the state directory), the embedded
 * default. (A shared backend for a fleet, Redis, will implement the same
 * calls behind a table of function pointers.) Writes of bans and flags are committed before they return
 * (so a ban the daemon acknowledged survives kill -9); audit rows are
 * batched and committed by store_flush() (the daemon calls it often) or
 * when the batch is full. Every function returns 0 on success and -1 on an
 * error with a message in store_error(); a failing store never stops the
 * daemon from answering (it logs and retries on the next write).
 * store_load() calls back for every ban and flag in the database.
 */
#ifndef MW_SERVE_STORE_H
#define MW_SERVE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "guard.h"

struct store;

struct store_load_cb {
    void (*ban)(const char *key, const struct guard_ban *b, void *ctx);
    void (*flag)(const char *account, const struct guard_flag *f, void *ctx);
    void *ctx;
};

struct store_held {
    int64_t time;
    char account[256];
    char queue_id[32];
    char sender[256];
    uint32_t recipients;
    char reason[GUARD_REASON_MAX];
};

/* store_open - open or create the database in dir; NULL with err set */
struct store *store_open(const char *dir, char *err, size_t errlen);
void store_close(struct store *s);
const char *store_error(const struct store *s);

int store_load(struct store *s, const struct store_load_cb *cb);
int store_put_ban(struct store *s, const char *key, const struct guard_ban *b);
int store_del_ban(struct store *s, const char *key);
int store_put_flag(struct store *s, const char *account, const struct guard_flag *f);
int store_del_flag(struct store *s, const char *account);
/* store_add_held - a message held for review; returns its row id (>0) or -1 */
int64_t store_add_held(struct store *s, const struct store_held *h);
/* store_held_of - queue ids held for account and not yet released: fn for each */
int store_held_of(struct store *s, const char *account, void (*fn)(const char *queue_id, void *ctx), void *ctx);
int store_release_held(struct store *s, const char *account, int64_t when);
/* store_put_finding - insert (id 0: a new row id is returned in *id) or update */
int store_put_finding(struct store *s, uint64_t *id, int64_t time, const char *kind, const char *json);
/* store_audit - one decision, batched */
int store_audit(struct store *s, int64_t time, const char *door, const char *subject, const char *decision,
                const char *reason);
int store_flush(struct store *s);
/* store_set_group - group commit: every write joins one open transaction
 * that store_flush() commits (the daemon commits once per turn of its
 * event loop, before it sends the replies that depend on the writes) */
void store_set_group(struct store *s, int on);
/* store_commit_needed - the open transaction holds a ban, flag or held
 * message (audit rows and findings may wait for the next store_flush) */
int store_commit_needed(const struct store *s);
int store_put_blob(struct store *s, const char *key, const void *data, size_t n);
/* store_get_blob - malloc'd copy in *data (NULL, 0 if absent) */
int store_get_blob(struct store *s, const char *key, void **data, size_t *n);

/* queries for the admin API: fn gets each row as a JSON object text */
int store_query_json(struct store *s, const char *what, int64_t after, int limit,
                     void (*fn)(const char *json, void *ctx), void *ctx);

#endif
