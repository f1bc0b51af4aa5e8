/*
 * detector - the one small interface every detector implements, one
 * detector per file (det_<name>.c). A detector keeps its own bounded state
 * (util/ktable), reads attempts and raw events, and creates or grows
 * findings through the engine. It never reads the clock: time is the
 * event's. The table of detectors is in engine.c.
 */
#ifndef MW_DETECTOR_H
#define MW_DETECTOR_H

#include <stdio.h>

#include "../engine/engine.h"

struct detector_ops {
    const char *name;
    void *(*create)(struct engine *e);
    /* a login attempt (success or failure), duplicates already folded */
    void (*on_attempt)(void *self, struct engine *e, const struct attempt *a);
    /* every event (mail flow, listings, ...); may be NULL */
    void (*on_event)(void *self, struct engine *e, const struct mw_event *ev);
    void (*destroy)(void *self);
    /* bytes of state it will hold for a max_keys (its tables), for --max-memory */
    size_t (*memory_for)(size_t max_keys);
    /* baselines kept across runs (--state): save writes lines "<name>\t...",
     * load takes one such line (after "<name>\t"); -1 if malformed. NULL if none */
    void (*save)(void *self, FILE *f);
    int (*load)(void *self, const char *line);
};

/* takeover_flag_late - det_account_takeover's finding for an account whose
 * earlier login (file:line of `login`) came from an address an attack
 * finding named only later (at login->time); det_credential_stuffing */
void takeover_flag_late(struct engine *e, const struct mw_event *login, struct mw_slice account,
                        struct mw_slice ip, const struct finding *attack);

extern const struct detector_ops det_brute_force;
extern const struct detector_ops det_password_spray;
extern const struct detector_ops det_credential_stuffing;
extern const struct detector_ops det_account_takeover;
extern const struct detector_ops det_outbound_spam;
extern const struct detector_ops det_cleartext_auth;
extern const struct detector_ops det_blocklisted;

#endif
