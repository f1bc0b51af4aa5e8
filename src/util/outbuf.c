/*
 * outbuf - growable output buffer and JSON/text escapers (see outbuf.h).
 */
#include "outbuf.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>

void outbuf_init(struct outbuf *ob, size_t cap)
{
    ob->cap = cap ? cap : 4096;
    ob->p = xmalloc(ob->cap);
    ob->len = 0;
    ob->invalid_utf8 = 0;
}

void outbuf_free(struct outbuf *ob)
{
    free(ob->p);
    ob->p = NULL;
    ob->len = ob->cap = 0;
}

void outbuf_reserve(struct outbuf *ob, size_t extra)
{
    if (ob->len + extra <= ob->cap)
        return;
    size_t cap = ob->cap * 2;
    while (cap < ob->len + extra)
        cap *= 2;
    ob->p = xrealloc(ob->p, cap);
    ob->cap = cap;
}

int outbuf_flush(struct outbuf *ob, FILE *f)
{
    if (ob->len == 0)
        return 0;
    size_t want = ob->len;
    size_t w = fwrite(ob->p, 1, want, f);
    ob->len = 0;
    if (w != want || ferror(f)) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

void outbuf_puts(struct outbuf *ob, const char *s)
{
    outbuf_put(ob, s, strlen(s));
}

void outbuf_put_u64(struct outbuf *ob, uint64_t v)
{
    char tmp[24];
    int i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    outbuf_put(ob, tmp + i, sizeof(tmp) - (size_t)i);
}

void outbuf_put_i64(struct outbuf *ob, int64_t v)
{
    if (v < 0) {
        outbuf_putc(ob, '-');
        outbuf_put_u64(ob, (uint64_t)0 - (uint64_t)v);
    } else {
        outbuf_put_u64(ob, (uint64_t)v);
    }
}

void outbuf_put_pad(struct outbuf *ob, unsigned v, int width)
{
    char tmp[16];
    if (width > 15)
        width = 15;
    for (int i = width - 1; i >= 0; i--) {
        tmp[i] = (char)('0' + v % 10);
        v /= 10;
    }
    outbuf_put(ob, tmp, (size_t)width);
}

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

static const char hexd[] = "0123456789abcdef";

void outbuf_put_json_string(struct outbuf *ob, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    outbuf_reserve(ob, n + 2);
    outbuf_putc(ob, '"');
    size_t run = 0; /* start of a run of bytes copied verbatim */
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t l = utf8_seq_len(u + i, n - i);
            if (l) {
                i += l;
                continue;
            }
        }
        outbuf_put(ob, s + run, i - run);
        if (c == '"') {
            outbuf_puts_lit(ob, "\\\"");
        } else if (c == '\\') {
            outbuf_puts_lit(ob, "\\\\");
        } else if (c == '\t') {
            outbuf_puts_lit(ob, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
            outbuf_put(ob, e, 6);
        } else {
            outbuf_puts_lit(ob, "\xEF\xBF\xBD"); /* U+FFFD */
            ob->invalid_utf8++;
        }
        i++;
        run = i;
    }
    outbuf_put(ob, s + run, n - run);
    outbuf_putc(ob, '"');
}

void outbuf_put_text(struct outbuf *ob, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c >= 0x20 && c < 0x7f) {
            outbuf_putc(ob, (char)c);
            i++;
        } else if (c >= 0x80) {
            size_t l = utf8_seq_len(u + i, n - i);
            if (l) {
                outbuf_put(ob, s + i, l);
                i += l;
            } else {
                outbuf_puts_lit(ob, "\xEF\xBF\xBD");
                ob->invalid_utf8++;
                i++;
            }
        } else {
            outbuf_putc(ob, '?');
            i++;
        }
    }
}

void outbuf_put_text_padded(struct outbuf *ob, const char *s, size_t n, size_t width)
{
    size_t cols = 0;
    for (size_t i = 0; i < n; i++)
        if ((((const unsigned char *)s)[i] & 0xC0) != 0x80)
            cols++;
    outbuf_put_text(ob, s, n);
    while (cols++ < width)
        outbuf_putc(ob, ' ');
}
