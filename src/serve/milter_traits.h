/*
 * milter_traits - the content traits of the hijack waves, computed from
 * one message as a milter sees it: the envelope (account, sender,
 * recipients), the Subject header and the first milter_body_max bytes of
 * the body. Pure functions, no libmilter, no threads: the milter threads
 * (milter.c) compute traits with these, serve_content() (serve.c) turns
 * them into a score on the event loop, and tests/unit/test_milter.c tests
 * both without sockets.
 *
 * The waves (the project's threat notes, THREATS.md): a hijacked account mails each of its
 * contacts a message whose Subject is the account's own user name and whose
 * body is one link. Traits:
 *   subject_is_user  Subject (RFC 2047 decoded, trimmed) equals the login,
 *                    its local part, the envelope sender or its local part,
 *                    ignoring ASCII case
 *   subject_empty    no Subject header or an empty one
 *   body_one_link    the text (first text/plain part, else text/html with
 *                    tags stripped and a link's text replaced by its URL;
 *                    quoted-printable and base64 decoded; the signature
 *                    after "-- " and up to two short closing lines dropped)
 *                    is one URL and at most 20 other characters
 *   body_short_link  one distinct URL and at most 300 other characters
 *                    (set only when body_one_link is not)
 *   rcpts            envelope recipients (serve_content compares it with
 *                    milter_many_rcpts, so a SIGHUP changes it)
 * A body longer than what was kept (truncated) never has a link trait.
 *
 * struct content_msg collects one message (bounded: the body buffer never
 * grows past body_max; the Subject is cut at CONTENT_SUBJECT_MAX).
 * content_msg_init/content_msg_free own its memory (the body buffer is
 * allocated with the first body chunk); content_msg_reset
 * starts the next message of the same connection. Nothing here logs, and
 * the body never leaves this module: only the traits do.
 */
#ifndef MW_SERVE_MILTER_TRAITS_H
#define MW_SERVE_MILTER_TRAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTENT_SUBJECT_MAX 512
#define CONTENT_ACCOUNT_MAX 256

struct content_traits {
    bool subject_is_user;
    bool subject_empty;
    bool body_one_link;
    bool body_short_link;
    bool truncated;          /* the body was longer than body_max */
    uint32_t rcpts;          /* envelope recipients */
    uint32_t links;          /* distinct URLs in the text (capped at 16) */
    uint32_t other_chars;    /* non-space characters that are not a URL (capped) */
};

struct content_msg {
    char account[CONTENT_ACCOUNT_MAX];    /* {auth_authen} */
    char sender[CONTENT_ACCOUNT_MAX];     /* MAIL FROM, without <> */
    char subject[CONTENT_SUBJECT_MAX];
    bool has_subject;
    char ctype[256];                      /* top Content-Type */
    char cte[64];                         /* top Content-Transfer-Encoding */
    uint32_t rcpts;
    char *body;
    size_t body_n, body_max;
    uint64_t body_total;                  /* bytes offered, kept or not */
};

void content_msg_init(struct content_msg *m, size_t body_max);
void content_msg_free(struct content_msg *m);
/* content_msg_reset - forget the message, keep the buffer */
void content_msg_reset(struct content_msg *m);
/* content_msg_header - one header (name without the colon); only Subject,
 * Content-Type and Content-Transfer-Encoding are kept */
void content_msg_header(struct content_msg *m, const char *name, const char *value);
/* content_msg_body - a chunk of the body; kept up to body_max */
void content_msg_body(struct content_msg *m, const unsigned char *p, size_t n);
/* content_msg_traits - the traits of the collected message */
void content_msg_traits(const struct content_msg *m, struct content_traits *t);

/* the parts, for tests */
/* content_decode_subject - RFC 2047 encoded words decoded (B and Q; the
 * charset is not converted), folding and outer space removed; out is
 * NUL-terminated, cut at cap - 1 bytes */
void content_decode_subject(const char *in, char *out, size_t cap);
/* content_subject_is_user - see subject_is_user above */
bool content_subject_is_user(const char *subject, const char *account, const char *sender);
/* content_body - links, other_chars, body_one_link, body_short_link of a
 * body with its top Content-Type and Content-Transfer-Encoding (either
 * may be NULL or empty: text/plain, 7bit) */
void content_body(const char *ctype, const char *cte, const char *body, size_t n, struct content_traits *t);
/* content_traits_text - the set traits as "subject is the user name, body
 * is one link" (or "no trait"); returns the length */
size_t content_traits_text(const struct content_traits *t, uint32_t many_rcpts, char *out, size_t cap);

#endif
