/*
 * fuzz_http - libFuzzer target for the daemon's HTTP request parser
 * (httpd.c http_parse): any bytes, parsed as a stream of pipelined
 * requests with a small body limit, must give requests, "need more" or an
 * error status, never a crash or a read outside the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/serve/httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    size_t off = 0;
    while (off < size) {
        struct http_req r;
        size_t n = 0;
        bool keep;
        int status;
        const char *err;
        int rc = http_parse(buf + off, size - off, 4096, &r, &n, &keep, &status, &err);
        if (rc <= 0)
            break;
        /* touch what the handlers read */
        volatile size_t sink = strlen(r.path) + r.bodylen;
        if (r.query)
            sink += strlen(r.query);
        const char *h = http_header(&r, "Content-Type");
        if (h)
            sink += strlen(h);
        for (size_t i = 0; i < r.bodylen; i++)
            sink += (unsigned char)r.body[i];
        (void)sink;
        off += n;
    }
    free(buf);
    return 0;
}
