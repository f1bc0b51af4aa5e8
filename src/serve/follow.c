/*
 * follow - tail mail logs into the engine, surviving rotation (see
 * follow.h).
 *
 * Each followed name has a current tail (an open file descriptor, how far
 * it was read, the partial line, the line number) and, for a short while
 * after a rotation, the old tail, still read until its writer has gone
 * quiet. Nothing here knows about serve: events go to the sink.
 */
#include "follow.h"

#include "serve.h"
#include "slog.h"
#include "../event/event.h"
#include "../sources/logline.h"
#include "../sources/parser.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OLD_QUIET_US 2000000          /* a rotated-away file is closed after 2 s without new bytes */
#define COUNT_LINES_MAX (64u << 20)   /* lines of an existing file counted at startup up to this size */
#define WARN_EVERY_S 60               /* after the first, one warning of a sort a minute per file */
#define HEAD_MAX 64                   /* first bytes of a file remembered to see it rewritten */

#define STR_(x) #x
#define STR(x) STR_(x)

enum fproblem { FP_TOO_LONG, FP_BINARY, FP_NO_TIME, FP_READ, FP__COUNT };

static const char *const fproblem_what[FP__COUNT] = {
    [FP_TOO_LONG] = "line longer than " STR(FOLLOW_MAX_LINE) " bytes; skipped",
    [FP_BINARY] = "binary data (NUL bytes); line skipped",
    [FP_NO_TIME] = "no timestamp recognised; line skipped",
    [FP_READ] = "read error",
};

struct tail {
    int fd;               /* -1: none */
    dev_t dev;
    ino_t ino;
    uint64_t pos;         /* bytes read from fd */
    char *part;           /* the partial line (no newline yet), at most FOLLOW_MAX_LINE bytes */
    size_t npart;
    bool skipping;        /* inside an over-long line: drop bytes up to the next newline */
    bool skip_quiet;      /* ... which is the tail of a line begun before we started: say nothing */
    uint64_t lineno;      /* lines completed */
    bool lineno_known;    /* false: the file was too large to count its lines at startup */
    struct logline_clock clock;
    int64_t last_data_us; /* old tail: when bytes last came */
    char head[HEAD_MAX];  /* the file's first bytes: other ones after a copytruncate refilled it */
    size_t nhead;
};

struct ffile {
    char *path;
    struct tail cur, old;
    bool told_missing;    /* "cannot open; waiting" said since the last successful open */
    struct {
        int64_t last;     /* when said last (s) */
        uint64_t quiet;   /* how many since, not said */
    } warn[FP__COUNT];
};

struct follow {
    struct ffile *files;
    size_t n;
    bool from_start;
    char *const *log_level;
    follow_sink sink;
    void *ctx;
    struct mw_parser *parser;
    char *chunk;
    struct event *timer;
    uint64_t lines;
    int tz_min;           /* the local zone's offset now (zone-less stamps) */
};

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void say(const struct follow *f, const char *level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slog_v(f->log_level ? *f->log_level : NULL, level, fmt, ap);
    va_end(ap);
}

/* "FILE:LINE: what" - the first of a sort at once, then one a minute */
static void problem(struct follow *f, struct ffile *ff, enum fproblem k, uint64_t line, const char *detail)
{
    int64_t now = wall_us() / 1000000;
    if (ff->warn[k].last && now - ff->warn[k].last < WARN_EVERY_S) {
        ff->warn[k].quiet++;
        return;
    }
    char more[80] = "";
    if (ff->warn[k].quiet)
        snprintf(more, sizeof(more), " (and %llu more since the last warning)",
                 (unsigned long long)ff->warn[k].quiet);
    ff->warn[k].last = now;
    ff->warn[k].quiet = 0;
    say(f, "warning", "%s:%llu: %s%s%s%s", ff->path, (unsigned long long)line, fproblem_what[k],
        detail ? ": " : "", detail ? detail : "", more);
}

/* minutes east of UTC of the local zone now (DST changes are followed) */
static int local_offset_min(void)
{
    time_t now = time(NULL);
    struct tm lt;
    if (!localtime_r(&now, &lt))
        return 0;
    return (int)(lt.tm_gmtoff / 60);
}

static void tail_reset(struct follow *f, struct tail *t)
{
    t->pos = 0;
    t->npart = 0;
    t->skipping = t->skip_quiet = false;
    t->lineno = 0;
    t->lineno_known = true;
    t->nhead = 0;
    /* the year of classic syslog stamps from the clock: stepped back when
     * the first line's month lies after this month (a file from last year) */
    logline_clock_init(&t->clock, 0, time(NULL), true, f->tz_min);
}

static void tail_close(struct tail *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->npart = 0;
}

/* one complete line (without its newline) */
static void one_line(struct follow *f, struct ffile *ff, struct tail *t, const char *line, size_t len)
{
    f->lines++;
    if (len && line[len - 1] == '\r')
        len--;
    if (!len)
        return;
    if (memchr(line, '\0', len)) {
        problem(f, ff, FP_BINARY, t->lineno, NULL);
        return;
    }
    struct mw_event ev;
    memset(&ev, 0, sizeof(ev));
    t->clock.default_tz_min = f->tz_min;
    uint64_t before = parser_stats(f->parser)->no_time;
    int got = parser_line(f->parser, line, len, &t->clock, &ev);
    if (parser_stats(f->parser)->no_time != before) {
        /* journald's "-- Boot ... --" markers are not a problem */
        if (!(len > 3 && line[0] == '-' && line[1] == '-' && line[2] == ' '))
            problem(f, ff, FP_NO_TIME, t->lineno, NULL);
        return;
    }
    if (!got)
        return;
    ev.file = ff->path;
    ev.line = t->lineno;
    f->sink(&ev, f->ctx);
}

/* bytes read from a file: complete lines are handled, the rest is kept */
static void feed(struct follow *f, struct ffile *ff, struct tail *t, const char *p, size_t n)
{
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        size_t step = nl ? seg + 1 : n;
        if (t->skipping) {
            if (nl) {
                t->skipping = t->skip_quiet = false;
                t->lineno++;
            }
        } else if (t->npart + seg > FOLLOW_MAX_LINE) {
            t->lineno++;
            problem(f, ff, FP_TOO_LONG, t->lineno, NULL);
            t->npart = 0;
            if (!nl) {
                t->skipping = true;
                t->lineno--; /* counted when its newline comes */
            }
        } else if (nl) {
            t->lineno++;
            if (t->npart) {
                memcpy(t->part + t->npart, p, seg);
                one_line(f, ff, t, t->part, t->npart + seg);
                t->npart = 0;
            } else {
                one_line(f, ff, t, p, seg);
            }
        } else {
            if (!t->part)
                t->part = xmalloc(FOLLOW_MAX_LINE);
            memcpy(t->part + t->npart, p, seg);
            t->npart += seg;
        }
        p += step;
        n -= step;
    }
}

/* a tail that ends for good: its last line, if it had no newline, counts */
static void tail_finish(struct follow *f, struct ffile *ff, struct tail *t)
{
    if (t->fd >= 0 && t->npart && !t->skipping) {
        t->lineno++;
        one_line(f, ff, t, t->part, t->npart);
    }
    tail_close(t);
}

/* read what is new, at most budget bytes; returns the bytes read, or
 * (size_t)-1 on a read error */
static size_t drain(struct follow *f, struct ffile *ff, struct tail *t, size_t budget)
{
    size_t got = 0;
    while (got < budget) {
        size_t want = budget - got < FOLLOW_MAX_LINE ? budget - got : FOLLOW_MAX_LINE;
        ssize_t r = read(t->fd, f->chunk, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            problem(f, ff, FP_READ, t->lineno + 1, strerror(errno));
            return (size_t)-1;
        }
        if (r == 0)
            break;
        t->pos += (uint64_t)r;
        got += (size_t)r;
        feed(f, ff, t, f->chunk, (size_t)r);
    }
    return got;
}

/* lines of the first size bytes (startup at the end of a file) */
static bool count_lines(struct follow *f, int fd, uint64_t size, uint64_t *lines, bool *ends_in_newline)
{
    *lines = 0;
    *ends_in_newline = true;
    if (size > COUNT_LINES_MAX)
        return false;
    uint64_t off = 0;
    char last = '\n';
    while (off < size) {
        size_t want = size - off < FOLLOW_MAX_LINE ? (size_t)(size - off) : FOLLOW_MAX_LINE;
        ssize_t r = pread(fd, f->chunk, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        for (const char *p = f->chunk, *e = f->chunk + r; (p = memchr(p, '\n', (size_t)(e - p))); p++)
            (*lines)++;
        last = f->chunk[r - 1];
        off += (uint64_t)r;
    }
    *ends_in_newline = last == '\n';
    return true;
}

/* open ff's file into its current tail; at_end: skip what is there now */
static bool open_cur(struct follow *f, struct ffile *ff, bool at_end)
{
    int fd = open(ff->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        fd = -1;
        errno = e;
    } else if (fd >= 0 && !S_ISREG(st.st_mode)) {
        close(fd);
        fd = -1;
        errno = EINVAL;
    }
    if (fd < 0) {
        if (!ff->told_missing) {
            ff->told_missing = true;
            if (errno == ENOENT)
                say(f, "info", "follow %s: does not exist (yet); waiting for it", ff->path);
            else if (errno == EINVAL)
                say(f, "warning", "follow %s: not a regular file; waiting for one", ff->path);
            else
                say(f, "warning", "follow %s: cannot open: %s; trying again", ff->path, strerror(errno));
        }
        return false;
    }
    struct tail *t = &ff->cur;
    t->fd = fd;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    tail_reset(f, t);
    if (at_end) {
        uint64_t lines;
        bool nl;
        t->lineno_known = count_lines(f, fd, (uint64_t)st.st_size, &lines, &nl);
        t->lineno = lines;
        if (lseek(fd, st.st_size, SEEK_SET) < 0) {
            say(f, "warning", "follow %s: cannot seek to its end: %s; reading it from its start", ff->path,
                strerror(errno));
            tail_reset(f, t);
        } else {
            t->pos = (uint64_t)st.st_size;
            /* a line being written as we start: its rest is not a line of its own */
            if (!nl)
                t->skipping = t->skip_quiet = true;
            if (t->lineno_known)
                say(f, "info", "follow %s: reading new lines from its end (line %llu)", ff->path,
                    (unsigned long long)t->lineno);
            else
                say(f, "info", "follow %s: reading new lines from its end (%llu bytes; its line numbers count "
                    "from there)", ff->path, (unsigned long long)st.st_size);
        }
    } else {
        say(f, "info", "follow %s: reading from its start%s", ff->path,
            ff->told_missing ? " (it appeared)" : "");
    }
    ff->told_missing = false;
    return true;
}

/* was the file truncated since the last look? Its size below what was read
 * (copytruncate), or, when the writer refilled it past that within one
 * poll, its first bytes not the ones seen before (a new first line) */
static bool truncated(struct tail *t)
{
    struct stat st;
    if (fstat(t->fd, &st) < 0)
        return false;
    uint64_t size = (uint64_t)st.st_size;
    if (size < t->pos || size < t->nhead)
        return true;
    size_t want = size < HEAD_MAX ? (size_t)size : HEAD_MAX;
    if (!want)
        return false;
    char now[HEAD_MAX];
    ssize_t r = pread(t->fd, now, want, 0);
    if (r <= 0)
        return false;
    if (t->nhead && memcmp(now, t->head, t->nhead < (size_t)r ? t->nhead : (size_t)r))
        return true;
    if ((size_t)r > t->nhead) {
        memcpy(t->head, now, (size_t)r);
        t->nhead = (size_t)r;
    }
    return false;
}

/* one name: rotation, truncation, new bytes; true if more is waiting */
static bool poll_file(struct follow *f, struct ffile *ff, int64_t now_us)
{
    bool backlog = false;
    /* the file rotated away: read what its writer still adds, then close */
    if (ff->old.fd >= 0) {
        size_t got = drain(f, ff, &ff->old, FOLLOW_BUDGET);
        if (got == FOLLOW_BUDGET)
            backlog = true;
        if (got && got != (size_t)-1)
            ff->old.last_data_us = now_us;
        else if (got == (size_t)-1 || now_us - ff->old.last_data_us >= OLD_QUIET_US)
            tail_finish(f, ff, &ff->old);
    }
    if (ff->cur.fd < 0 && !open_cur(f, ff, false))
        return backlog;
    struct tail *t = &ff->cur;
    if (truncated(t)) {
        /* copytruncate: the writer goes on at the start of the same file */
        say(f, "info", "follow %s: truncated (copytruncate?); reading it from its start", ff->path);
        if (lseek(t->fd, 0, SEEK_SET) < 0) {
            tail_close(t);
            return backlog;
        }
        tail_reset(f, t);
    }
    size_t got = drain(f, ff, t, FOLLOW_BUDGET);
    if (got == FOLLOW_BUDGET)
        return true; /* the rest of this file first; rotation is looked at after */
    if (got == (size_t)-1)
        return backlog; /* tried again on the next poll (warned at most once a minute) */
    struct stat sp;
    bool same = stat(ff->path, &sp) == 0 && sp.st_dev == t->dev && sp.st_ino == t->ino;
    if (!same) {
        /* renamed or removed: this tail was read to its end just now; keep
         * reading it a little (its writer reopens after a signal), and take
         * the new file from its start */
        if (ff->old.fd >= 0)
            tail_finish(f, ff, &ff->old);
        free(ff->old.part);
        ff->old = *t;
        ff->old.last_data_us = now_us;
        t->fd = -1;
        t->part = NULL;
        t->npart = 0;
        say(f, "info", "follow %s: rotated (renamed or removed); finishing the old file, reading the new one",
            ff->path);
        if (open_cur(f, ff, false) && drain(f, ff, t, FOLLOW_BUDGET) == FOLLOW_BUDGET)
            backlog = true;
    }
    return backlog;
}

bool follow_poll(struct follow *f)
{
    int64_t now = wall_us();
    f->tz_min = local_offset_min();
    bool backlog = false;
    for (size_t i = 0; i < f->n; i++)
        backlog |= poll_file(f, &f->files[i], now);
    return backlog;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct follow *f = arg;
    bool more = follow_poll(f);
    /* a backlog: again at once, after what else the loop has to do */
    struct timeval tv = {0, more ? 0 : FOLLOW_POLL_MS * 1000};
    event_add(f->timer, &tv);
}

struct follow *follow_create(const char *list, bool from_start, char *const *log_level, follow_sink sink,
                             void *ctx, char *err, size_t errlen)
{
    struct follow *f = xcalloc(1, sizeof(*f));
    f->from_start = from_start;
    f->log_level = log_level;
    f->sink = sink;
    f->ctx = ctx;
    f->tz_min = local_offset_min();
    const char *p = list ? list : "";
    while (*p) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        const char *b = p;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        const char *z = e;
        while (z > b && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        p = comma ? comma + 1 : e;
        if (z == b)
            continue;
        bool dup = false;
        for (size_t i = 0; i < f->n; i++)
            dup |= strlen(f->files[i].path) == (size_t)(z - b) && !memcmp(f->files[i].path, b, (size_t)(z - b));
        if (dup)
            continue;
        f->files = xrealloc(f->files, (f->n + 1) * sizeof(*f->files));
        struct ffile *ff = &f->files[f->n++];
        memset(ff, 0, sizeof(*ff));
        ff->path = xmalloc((size_t)(z - b) + 1);
        memcpy(ff->path, b, (size_t)(z - b));
        ff->path[z - b] = 0;
        ff->cur.fd = ff->old.fd = -1;
    }
    if (!f->n) {
        snprintf(err, errlen, "follow: no file named in \"%s\"", list ? list : "");
        free(f);
        return NULL;
    }
    struct parser_opts po = {FMT_AUTO, 0};
    f->parser = parser_create(&po);
    f->chunk = xmalloc(FOLLOW_MAX_LINE);
    for (size_t i = 0; i < f->n; i++)
        open_cur(f, &f->files[i], !from_start);
    return f;
}

int follow_start(struct follow *f, struct event_base *base)
{
    f->timer = evtimer_new(base, on_timer, f);
    if (!f->timer)
        return -1;
    struct timeval tv = {0, 0};
    return event_add(f->timer, &tv);
}

uint64_t follow_lines(const struct follow *f)
{
    return f->lines;
}

void follow_free(struct follow *f)
{
    if (!f)
        return;
    if (f->timer)
        event_free(f->timer);
    for (size_t i = 0; i < f->n; i++) {
        tail_close(&f->files[i].cur);
        tail_close(&f->files[i].old);
        free(f->files[i].cur.part);
        free(f->files[i].old.part);
        free(f->files[i].path);
    }
    free(f->files);
    free(f->chunk);
    if (f->parser)
        parser_free(f->parser);
    free(f);
}

void follow_to_serve(const struct mw_event *ev, void *ctx)
{
    serve_log_event(ctx, ev);
}
