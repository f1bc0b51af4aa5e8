/*
 * milter - the content door of `mailward serve`: a libmilter filter that
 * Postfix (smtpd_milters) hands each message to. Authenticated messages
 * (the {auth_authen} macro) are collected (Subject, the first
 * milter_body_max bytes of the body, recipients) and their content traits
 * computed (milter_traits.h) on libmilter's own threads; unauthenticated
 * messages are accepted untouched at MAIL FROM.
 *
 * The decision is serve's (serve_content), and serve is single-threaded:
 * it lives on the daemon's libevent loop. So a milter thread never calls
 * serve. At end of message it posts a small request (the traits and the
 * envelope, never the body) into a mutex-protected queue (at most 1024
 * waiting; beyond that it accepts at once), wakes the loop through an
 * eventfd the loop watches, and waits on the request's condition variable
 * for the verdict, at most milter_timeout seconds; then it accepts
 * (fail-open, counted). The loop takes all queued requests, asks
 * serve_content for each and hands the verdicts back under the mutex. A
 * request whose waiter gave up is still decided (its score still counts)
 * and freed by whichever side lets go of it last (two references).
 *
 * Verdicts: accept; quarantine (smfi_quarantine with the reason: Postfix
 * puts the message into its hold queue); tempfail 4.7.1 or reject 5.7.1
 * when flagged_action is defer or reject.
 *
 * libmilter allows one filter per process and its smfi_main() blocks, so
 * milter_start() runs it in a thread of its own (all signals blocked
 * there: the loop keeps SIGTERM and SIGHUP). milter_stop() answers every
 * waiting thread "accept", calls smfi_stop() and joins that thread; call
 * it after the loop has stopped and before serve_free() and
 * event_base_free(). A stopped milter cannot be started again in the same
 * process (libmilter's rule).
 */
#ifndef MW_SERVE_MILTER_H
#define MW_SERVE_MILTER_H

#include <stddef.h>

#include "config.h"

struct event_base;
struct serve;
struct milter;

/* milter_start - listen on cfg->milter (libmilter syntax: inet:PORT@ADDR,
 * inet6:PORT@ADDR, unix:PATH) and serve verdicts from s on base; NULL with
 * err set if it cannot listen or a milter already ran in this process */
struct milter *milter_start(const struct serve_config *cfg, struct event_base *base, struct serve *s, char *err,
                            size_t errlen);
/* milter_stop - stop and free (NULL is fine) */
void milter_stop(struct milter *m);

#endif
