/*
 * daemon - the sockets of `mailward serve` (libevent): the HTTP listener
 * (Dovecot auth policy, admin API under /api/, /metrics, /healthz), the
 * Postfix policy listener (TCP or unix socket), signals (SIGHUP reloads the
 * config file, SIGTERM/SIGINT save and stop), and a housekeeping timer.
 * Decisions are made in serve.c; this file only moves bytes and reads the
 * wall clock (the one place that does).
 *
 * daemon_run() returns the process exit status: 0 after a clean stop, 1 if
 * a listener or the state could not be set up (said on stderr with what to
 * do).
 */
#ifndef MW_SERVE_DAEMON_H
#define MW_SERVE_DAEMON_H

#include "config.h"

/* config_path may be NULL (no file: SIGHUP then only re-reads nothing) */
int daemon_run(const struct serve_config *cfg, const char *config_path);

/* daemon_token - read (or, if create, generate into state_dir/admin.token
 * with mode 0600) the admin token; 0 ok, -1 with err set */
int daemon_token(const char *state_dir, int create, char *out, size_t outlen, char *err, size_t errlen);

#endif
