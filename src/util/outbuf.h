/*
 * outbuf - a growable byte buffer with fast appenders, flushed to a FILE.
 *
 * API: outbuf_init/outbuf_free own the buffer memory. Appenders never fail
 * (memory comes from xalloc). outbuf_put_json_string() writes a JSON string
 * literal: quotes, backslashes and control characters are escaped, and bytes
 * that are not valid UTF-8 become U+FFFD (the count is kept in
 * ob->invalid_utf8 so the caller can warn). outbuf_flush() writes to a FILE
 * and returns -1 with errno set on a write error (e.g. ENOSPC, EPIPE).
 */
#ifndef MW_OUTBUF_H
#define MW_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct outbuf {
    char *p;
    size_t len;
    size_t cap;
    uint64_t invalid_utf8; /* invalid UTF-8 sequences replaced so far */
};

void outbuf_init(struct outbuf *ob, size_t cap);
void outbuf_free(struct outbuf *ob);
void outbuf_reserve(struct outbuf *ob, size_t extra);
int outbuf_flush(struct outbuf *ob, FILE *f);

static inline void outbuf_put(struct outbuf *ob, const char *s, size_t n)
{
    if (ob->len + n > ob->cap)
        outbuf_reserve(ob, n);
    memcpy(ob->p + ob->len, s, n);
    ob->len += n;
}

static inline void outbuf_putc(struct outbuf *ob, char c)
{
    if (ob->len + 1 > ob->cap)
        outbuf_reserve(ob, 1);
    ob->p[ob->len++] = c;
}

#define outbuf_puts_lit(ob, lit) outbuf_put((ob), (lit), sizeof(lit) - 1)

void outbuf_puts(struct outbuf *ob, const char *s);
void outbuf_put_u64(struct outbuf *ob, uint64_t v);
void outbuf_put_i64(struct outbuf *ob, int64_t v);
/* Zero-padded decimal of exactly `width` digits. */
void outbuf_put_pad(struct outbuf *ob, unsigned v, int width);
void outbuf_put_json_string(struct outbuf *ob, const char *s, size_t n);
/* Like json_string, without quotes and escaping only what a terminal needs:
 * control characters become '?', invalid UTF-8 becomes U+FFFD. */
void outbuf_put_text(struct outbuf *ob, const char *s, size_t n);
/* Append s padded with spaces to `width` display columns (UTF-8 aware). */
void outbuf_put_text_padded(struct outbuf *ob, const char *s, size_t n, size_t width);

/* utf8_valid_prefix - length of the longest valid UTF-8 sequence at s
 * (1..4), or 0 if s[0] starts an invalid or truncated sequence. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
