/*
 * fuzz_milter - libFuzzer target for the milter's message reading
 * (milter_traits.c): headers (Subject with RFC 2047 words, Content-Type
 * with boundaries, Content-Transfer-Encoding) and a body in MIME parts,
 * quoted-printable, base64 and HTML, all from arbitrary bytes; and the
 * config file parser (config.c), fed the same bytes as a file.
 * Input: three NUL-separated fields SUBJECT \0 CONTENT-TYPE \0 CTE, then
 * the body; missing fields are empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/serve/config.h"
#include "../src/serve/milter_traits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *field(const uint8_t **p, const uint8_t *end, char *buf, size_t cap)
{
    size_t n = 0;
    while (*p < end && **p && n + 1 < cap)
        buf[n++] = (char)*(*p)++;
    buf[n] = 0;
    while (*p < end && **p)
        (*p)++; /* the rest of an overlong field */
    if (*p < end)
        (*p)++;
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char subject[1024], ctype[512], cte[128];
    field(&p, end, subject, sizeof(subject));
    field(&p, end, ctype, sizeof(ctype));
    field(&p, end, cte, sizeof(cte));
    struct content_msg m;
    content_msg_init(&m, 4096);
    content_msg_header(&m, "Subject", subject);
    content_msg_header(&m, "Content-Type", ctype);
    content_msg_header(&m, "Content-Transfer-Encoding", cte);
    size_t half = (size_t)(end - p) / 2;
    content_msg_body(&m, p, half);           /* the body in two chunks, as libmilter gives it */
    content_msg_body(&m, p + half, (size_t)(end - p) - half);
    struct content_traits t;
    content_msg_traits(&m, &t);
    char text[256];
    content_traits_text(&t, 20, text, sizeof(text));
    content_subject_is_user(subject, "user@example.com", "user@example.com");
    content_msg_free(&m);

    /* the same bytes as a config file */
    char path[] = "/tmp/mw-fuzz-config-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        if (write(fd, data, size) == (ssize_t)size) {
            struct serve_config c;
            config_defaults(&c);
            char err[512];
            config_load(&c, path, err, sizeof(err));
            config_free(&c);
        }
        close(fd);
        unlink(path);
    }
    return 0;
}
