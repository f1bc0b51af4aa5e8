/*
 * slog - the daemon's log lines on stderr: "mailward serve: LEVEL: text",
 * written when LEVEL is at or above the configured log_level (error,
 * warning, info, debug; an unknown or NULL setting means info).
 */
#ifndef MW_SERVE_SLOG_H
#define MW_SERVE_SLOG_H

#include <stdarg.h>

void slog_v(const char *configured, const char *level, const char *fmt, va_list ap);

#endif
