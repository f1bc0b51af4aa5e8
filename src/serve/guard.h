/*
 * guard - the live verdicts of `mailward serve`: which addresses and
 * networks are banned, which accounts are flagged, which addresses are
 * merely suspicious (delayed), and which clients retry one stale password.
 *
 * The detectors (src/engine) decide what is an attack; the guard turns
 * their findings into bans and flags (guard_ban, guard_flag) and answers
 * the doors quickly: guard_login() before a Dovecot authentication,
 * guard_report() after it, guard_flagged() for Postfix. Time is passed in
 * (seconds), never read from the clock. All tables are bounded (ktable):
 * bans by max_bans (the one expiring first goes), flags by max_flags, the
 * per-address and per-address+account windows by max_keys (least active
 * first). guard_create/guard_free own all memory; nothing is persisted
 * here (the daemon writes bans and flags to the store before answering).
 */
#ifndef MW_SERVE_GUARD_H
#define MW_SERVE_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"

struct guard_config {
    uint32_t ban_seconds;
    uint32_t delay_after;   /* failures in window before delays */
    uint32_t delay_max;     /* seconds */
    uint32_t stale_after;   /* same-password failures that make a stale password */
    uint32_t window;        /* seconds */
    size_t max_bans, max_flags, max_keys;
};

#define GUARD_KIND_MAX 24
#define GUARD_REASON_MAX 160

struct guard_ban {
    int64_t since, until;             /* seconds */
    uint64_t finding;                 /* finding id (store), 0 = by hand */
    char kind[GUARD_KIND_MAX];        /* brute_force, password_spray, ... */
};

struct guard_flag {
    int64_t since;
    uint64_t finding;
    uint32_t held;                    /* messages held since the flag */
    char kind[GUARD_KIND_MAX];
    char reason[GUARD_REASON_MAX];
};

enum guard_verdict { GUARD_ALLOW = 0, GUARD_DELAY, GUARD_REJECT };

struct guard_decision {
    enum guard_verdict verdict;
    int status;                       /* Dovecot: <0 reject, 0 allow, >0 delay seconds */
    char key[64];                     /* the banned address or network that matched */
    struct guard_ban ban;             /* when rejected */
    const char *why;                  /* static: "banned", "failures", "stale_password" */
};

/* what a report changed that the daemon should tell someone about */
struct guard_notice {
    bool stale;                       /* this address+account now looks like a stale password */
    bool banned_success;              /* a success from a banned address or network */
    uint32_t failures;                /* same-password failures so far (stale) */
    char key[64];                     /* the ban that matched (banned_success) */
    struct guard_ban ban;
};

struct guard;

struct guard *guard_create(const struct guard_config *c);
void guard_free(struct guard *g);
/* guard_keys_for_memory - max_keys whose per-address and per-pair windows
 * fit in bytes (at least 1000) */
size_t guard_keys_for_memory(size_t bytes);
/* guard_memory_for - bytes guard_create(c) holds */
size_t guard_memory_for(const struct guard_config *c);

/* guard_login - before authentication: reject a banned address or one in a
 * banned network, delay an address with recent failures (more failures
 * than successes) or a stale-password client, allow the rest */
void guard_login(struct guard *g, int64_t now, struct mw_slice ip, struct mw_slice account,
                 struct mw_slice pwhash, struct guard_decision *d);
/* guard_report - after authentication: count it; fills *n */
void guard_report(struct guard *g, int64_t now, struct mw_slice ip, struct mw_slice account,
                  struct mw_slice pwhash, bool success, struct guard_notice *n);

/* bans: key is an address ("192.0.2.7", "2001:db8::1") or a network
 * ("192.0.2.0/24"); it is normalised. -1 if key is neither. */
int guard_ban(struct guard *g, const char *key, const struct guard_ban *b);
/* guard_has_ban - this exact address or network is banned (expired or not) */
bool guard_has_ban(struct guard *g, const char *key);
/* guard_unban - 1 removed, 0 not banned, -1 bad key */
int guard_unban(struct guard *g, const char *key);
/* guard_banned - the ban covering ip (itself or a banned network), if any */
bool guard_banned(struct guard *g, int64_t now, struct mw_slice ip, char key[64], struct guard_ban *b);
size_t guard_nbans(const struct guard *g);
void guard_foreach_ban(struct guard *g, void (*fn)(const char *key, const struct guard_ban *b, void *ctx),
                       void *ctx);
/* guard_expire - drop bans whose time is over; returns how many */
size_t guard_expire(struct guard *g, int64_t now, void (*fn)(const char *key, void *ctx), void *ctx);

/* flags */
void guard_flag(struct guard *g, struct mw_slice account, const struct guard_flag *f);
/* guard_flagged - the flag of account, or NULL (pointer valid until the next flag/unflag) */
struct guard_flag *guard_flagged(struct guard *g, struct mw_slice account);
/* guard_release - 1 released, 0 not flagged */
int guard_release(struct guard *g, struct mw_slice account);
size_t guard_nflags(const struct guard *g);
void guard_foreach_flag(struct guard *g, void (*fn)(const char *account, const struct guard_flag *f, void *ctx),
                        void *ctx);

/* guard_key - a table key for text longer than a ktable key: the first
 * bytes and a hash of the rest, so long accounts never collide by prefix */
size_t guard_key(char out[64], const char *s, size_t n);

#endif
