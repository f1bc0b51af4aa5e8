/*
 * follow - `mailward serve --follow FILE`: tail mail logs into the engine,
 * for servers without policy hooks (Exim, Courier, a Postfix without the
 * policy service).
 *
 * Each file is polled (a libevent timer, every FOLLOW_POLL_MS) for new
 * bytes; only complete lines are parsed (a partial last line waits for its
 * newline), with the same parser as `analyze` (formats detected per line;
 * the year of classic syslog stamps from the current clock, and zone-less
 * stamps in the local zone, as the log's writer on this host wrote them).
 * Each event goes to the sink (the daemon: serve_log_event) with the file's
 * name and its line number in that file.
 *
 * At startup an existing file is read from its end (no replay of history)
 * unless from_start; a missing file is waited for (said once) and read from
 * its start when it appears. Rotation is survived: a rename (or removal)
 * and a new file under the name is seen by the inode: the old file is read
 * to its end (and a little longer, for lines its writer adds before it
 * reopens), then the new one from its start; a copytruncate is seen by the
 * size shrinking below what was read, or by the file's first 64 bytes
 * changing (refilled past that size before the next poll): reading starts
 * again at 0. A line
 * longer than FOLLOW_MAX_LINE, a line holding NUL bytes (binary junk) and a
 * line without a timestamp are skipped with a warning "FILE:LINE: what"
 * (the first of each sort, then at most one a minute per file, with a
 * count). Reading is bounded per poll (FOLLOW_BUDGET bytes per file) so a
 * large backlog never holds up Dovecot's and Postfix's replies: the rest is
 * read on the next turn of the loop.
 */
#ifndef MW_SERVE_FOLLOW_H
#define MW_SERVE_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FOLLOW_POLL_MS 250
#define FOLLOW_MAX_LINE 65536          /* as analyze's --max-line-length default */
#define FOLLOW_BUDGET (1u << 20)       /* bytes of one file read per poll */

struct event_base;
struct mw_event;
struct follow;

typedef void (*follow_sink)(const struct mw_event *ev, void *ctx);

/* follow_create - the files of list (comma-separated paths; blanks around
 * them are trimmed, repeats ignored); existing files are opened now (at
 * their end unless from_start). *log_level ("error" ... "debug") is read at
 * each message, so a reload that changes it applies. NULL with err set if
 * list names no file. */
struct follow *follow_create(const char *list, bool from_start, char *const *log_level, follow_sink sink,
                             void *ctx, char *err, size_t errlen);
/* follow_start - poll on base's timer until follow_free; -1 if the timer
 * cannot be made */
int follow_start(struct follow *f, struct event_base *base);
/* follow_poll - read what is new in every file now (the timer's work;
 * tests call it directly); returns true when a file has more than one
 * poll's budget waiting */
bool follow_poll(struct follow *f);
/* follow_lines - complete lines read so far in all files */
uint64_t follow_lines(const struct follow *f);
void follow_free(struct follow *f);
/* follow_to_serve - the daemon's sink: serve_log_event(ctx, ev), ctx a
 * struct serve */
void follow_to_serve(const struct mw_event *ev, void *ctx);

#endif
