/*
 * event - the one normalized record every source produces.
 *
 * Parsers and network handlers fill a struct mw_event and never decide
 * anything; the engine and the output writers read it. String fields are
 * slices (pointer + length) into memory owned by the producer (usually the
 * current input line or a parser table) and stay valid only until the
 * producer is called again: copy what you keep.
 *
 * event_write_json() and event_write_row() render one event into an outbuf
 * in the `mailward events` output contract (see docs/events.md).
 */
#ifndef MW_EVENT_H
#define MW_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/outbuf.h"

struct mw_slice {
    const char *p;
    uint32_t n;
};

#define MW_SLICE(s, len) ((struct mw_slice){(s), (uint32_t)(len)})
#define MW_SLICE_LIT(lit) ((struct mw_slice){(lit), sizeof(lit) - 1})

enum mw_kind {
    MW_KIND_NONE = 0,
    MW_KIND_AUTH_FAILURE,    /* a client failed to authenticate */
    MW_KIND_AUTH_SUCCESS,    /* a client authenticated (over TLS or a trusted path) */
    MW_KIND_PLAINTEXT_LOGIN, /* a client authenticated and the password crossed in clear */
    MW_KIND_MESSAGE_QUEUED,  /* a message entered the queue (sender, nrcpt) */
    MW_KIND_DELIVERY,        /* a delivery attempt: sent, deferred, bounced, expired */
    MW_KIND_DNSBL_LISTING,   /* a remote server refused our mail: our address is listed */
    MW_KIND_CLIENT_LISTED,   /* we refused a client whose address is on a DNSBL */
    MW_KIND_PASSDB_MISS,     /* one passdb rejected the password, the next is tried:
                              * no verdict yet (same session), but a fingerprint */
    MW_KIND__COUNT
};

enum mw_service {
    MW_SVC_UNKNOWN = 0,
    MW_SVC_SMTP,       /* port 25 / MX */
    MW_SVC_SUBMISSION, /* 587 / 465 */
    MW_SVC_IMAP,
    MW_SVC_POP3,
    MW_SVC_SIEVE,
    MW_SVC_LMTP,
    MW_SVC__COUNT
};

/* Time of an event as the log wrote it, plus its absolute value. */
struct mw_time {
    int64_t epoch_us;   /* UTC microseconds since 1970 (offset applied when known) */
    int16_t year;
    uint8_t mon, mday, hour, min, sec;
    uint8_t frac_digits; /* 0, or digits of fraction shown in the log (max 6) */
    uint32_t usec;
    int16_t tz_min;     /* offset east of UTC in minutes, valid if has_tz */
    bool has_tz;
    bool valid;
};

struct mw_event {
    enum mw_kind kind;
    enum mw_service service;
    struct mw_time time;
    const char *file;   /* input name as given ("-" for stdin) */
    uint64_t line;      /* 1-based line number in its file */

    struct mw_slice host;     /* syslog host */
    struct mw_slice program;  /* e.g. postfix/submission/smtpd, dovecot */
    struct mw_slice ip;       /* client address; for dnsbl_listing our listed address */
    struct mw_slice account;  /* user name as the client gave it */
    struct mw_slice method;   /* PLAIN, LOGIN, ... */
    struct mw_slice reason;   /* password_mismatch, unknown_user, ... */
    struct mw_slice pw_fingerprint;
    struct mw_slice session;
    struct mw_slice queue_id;
    struct mw_slice sender;
    struct mw_slice recipient;
    struct mw_slice status;   /* sent, deferred, bounced, expired */
    struct mw_slice dsn;
    struct mw_slice relay;
    struct mw_slice reply;    /* remote server's reply text */
    struct mw_slice dnsbl;    /* the blocklist named */
    int64_t size;             /* message size, -1 unknown */
    int32_t nrcpt;            /* -1 unknown */
    int32_t attempts;         /* failed attempts a line stands for, -1 unknown */
    int8_t tls;               /* 1 yes, 0 no, -1 unknown */
    bool secured;             /* Dovecot "secured": trusted path without TLS */
};

/* Owned storage for an event copy (event_copy). */
struct event_store {
    struct mw_event ev;
    char *buf;
    size_t cap;
};

/* event_copy - copy src and every string it points to into st (grown as
 * needed); st->ev is then independent of the parser and the input buffer.
 * Free with event_store_free. */
void event_copy(struct event_store *st, const struct mw_event *src);
void event_store_free(struct event_store *st);

/* event_reset - clear an event to "nothing known". */
void event_reset(struct mw_event *ev);

const char *event_kind_name(enum mw_kind k);
const char *event_service_name(enum mw_service s);

/* event_write_time - ISO-8601 rendering of a time (as the log gave it). */
void event_write_time(struct outbuf *ob, const struct mw_time *t);
/* event_write_json - one JSON object and a newline. */
void event_write_json(struct outbuf *ob, const struct mw_event *ev);
/* event_write_row / event_write_header - one aligned text row. */
void event_write_header(struct outbuf *ob);
void event_write_row(struct outbuf *ob, const struct mw_event *ev);

#endif
