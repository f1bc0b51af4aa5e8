/*
 * slog - the daemon's leveled log lines (see slog.h).
 */
#include "slog.h"

#include <stdio.h>
#include <string.h>

static int rank(const char *level, int dflt)
{
    static const char *const order[] = {"error", "warning", "info", "debug"};
    for (int i = 0; level && i < 4; i++)
        if (!strcmp(level, order[i]))
            return i;
    return dflt;
}

void slog_v(const char *configured, const char *level, const char *fmt, va_list ap)
{
    if (rank(level, 0) > rank(configured, 2))
        return;
    fprintf(stderr, "mailward serve: %s: ", level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}
