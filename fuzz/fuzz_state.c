/*
 * fuzz_state - libFuzzer target for the --state file reader
 * (engine_load_state): any bytes must load or be refused with a message,
 * never crash; what loads must save again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct engine_config c;
    engine_config_defaults(&c);
    c.max_keys = 1000;
    struct engine *e = engine_create(&c, NULL, NULL);
    FILE *f = fmemopen((void *)data, size, "r");
    if (f) {
        char err[128];
        engine_load_state(e, f, err, sizeof(err));
        fclose(f);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (out) {
        engine_save_state(e, out);
        fclose(out);
        free(buf);
    }
    engine_free(e);
    return 0;
}
