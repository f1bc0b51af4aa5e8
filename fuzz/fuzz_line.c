/*
 * fuzz_line - libFuzzer target for the log line path: the timestamp and
 * header splitter, every server family's parser (auto dispatch and each
 * forced --format), the cross-line tables, the DNSBL reply reader, the
 * JSON and table writers, and the detection engine fed with every event
 * (state bounded by a small max_keys, kept across inputs like a long log).
 * The input is split into lines like a log file.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../src/engine/engine.h"
#include "../src/event/event.h"
#include "../src/sources/dnsbl.h"
#include "../src/sources/parser.h"
#include "../src/util/outbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mw_parser *parsers[FMT__COUNT];
    static struct outbuf ob;
    static struct engine *engine;
    if (!parsers[0]) {
        struct engine_config c;
        engine_config_defaults(&c);
        c.max_keys = 2000;
        engine = engine_create(&c, NULL, NULL);
        for (int f = 0; f < FMT__COUNT; f++) {
            struct parser_opts o = {(enum mw_format)f, 128};
            parsers[f] = parser_create(&o);
        }
        outbuf_init(&ob, 1 << 16);
    }
    /* the first byte picks the parser so every family gets forced input */
    int which = size ? data[0] % FMT__COUNT : 0;
    struct mw_parser *p = parsers[which];
    struct logline_clock clock;
    logline_clock_init(&clock, size > 1 ? 1970 + data[1] % 100 : 0, 0, size > 2 && (data[2] & 1), 60);

    const char *s = (const char *)data;
    const char *end = s + size;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        struct mw_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.file = "fuzz";
        if (parser_line(p, s, len, &clock, &ev)) {
            event_write_json(&ob, &ev);
            event_write_row(&ob, &ev);
            engine_event(engine, &ev);
        }
        struct mw_slice list, listed;
        dnsbl_match(s, len, &list, &listed);
        ob.len = 0;
        s += len + 1;
    }
    return 0;
}
