/*
 * attempts - fold raw login events into attempts, once each.
 *
 * A failed Dovecot login is logged by the auth process (passdb line, with
 * the password fingerprint) and by the login process (the "auth failed, N
 * attempts" line, with protocol and TLS); Postfix SASL failures are logged by
 * Dovecot's auth (no session id) and by Postfix ~2 s later. With several
 * passdbs a "trying the next passdb" line (passdb_miss) is a failure only if
 * no success follows within a second on the same session. attempts_event()
 * takes raw events and calls `emit` for each settled attempt; some settle
 * later (a pending passdb line waits for its partner at most PENDING_S
 * seconds of log time) and are emitted by a later call or attempts_flush().
 * State is bounded (ktable), keyed by session id or by (address, account).
 */
#ifndef MW_ATTEMPTS_H
#define MW_ATTEMPTS_H

#include "engine.h"

typedef void (*attempts_emit_fn)(const struct attempt *a, void *ctx);

struct attempts;

struct attempts *attempts_create(size_t max_keys, attempts_emit_fn emit, void *ctx);
void attempts_free(struct attempts *t);
void attempts_event(struct attempts *t, const struct mw_event *ev);
/* attempts_memory_for - bytes of state attempts_create(max_keys) holds */
size_t attempts_memory_for(size_t max_keys);
/* attempts_flush - settle everything still pending (end of input) */
void attempts_flush(struct attempts *t);

#endif
