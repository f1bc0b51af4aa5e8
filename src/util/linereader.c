/*
 * linereader - buffered line reading for plain and gzip input
 * (see linereader.h for the contract).
 */
#include "linereader.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define LR_CHUNK (1u << 20)

int linereader_open(struct linereader *lr, const char *path, size_t max_line)
{
    memset(lr, 0, sizeof(*lr));
    lr->path = path;
    lr->max_line = max_line ? max_line : 65536;
    if (strcmp(path, "-") == 0) {
        lr->fd = STDIN_FILENO;
    } else {
        lr->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (lr->fd < 0) {
            snprintf(lr->err, sizeof(lr->err), "%s", strerror(errno));
            return -1;
        }
    }
    struct stat st;
    memset(&st, 0, sizeof(st));
    if (fstat(lr->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(lr->err, sizeof(lr->err), "is a directory");
            if (lr->fd != STDIN_FILENO)
                close(lr->fd);
            return -1;
        }
        if (S_ISREG(st.st_mode)) {
            lr->mtime = st.st_mtime;
            lr->size = (uint64_t)st.st_size;
        }
    }
    lr->cap = lr->max_line + LR_CHUNK + 1;
    lr->buf = xmalloc(lr->cap);

    /* A regular file is sniffed for the gzip magic and read directly when it
     * is plain; anything else (a pipe) goes through zlib, which passes plain
     * input through unchanged. */
    int use_gz = 1;
    if (S_ISREG(st.st_mode)) {
        unsigned char magic[2];
        ssize_t m = pread(lr->fd, magic, 2, 0);
        use_gz = (m == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
    }
    if (use_gz) {
        int fd2 = dup(lr->fd);
        gzFile gz = fd2 >= 0 ? gzdopen(fd2, "rb") : NULL;
        if (!gz) {
            if (fd2 >= 0)
                close(fd2);
            snprintf(lr->err, sizeof(lr->err), "cannot start decompression: %s",
                     strerror(errno ? errno : ENOMEM));
            linereader_close(lr);
            return -1;
        }
        gzbuffer(gz, 256 * 1024);
        lr->gz = gz;
        lr->is_gz = 1;
    }
    return 0;
}

/* fill - read more bytes after lr->end; returns bytes read, 0 at EOF, -1 on error */
static ssize_t lr_fill(struct linereader *lr)
{
    size_t room = lr->cap - 1 - lr->end;
    if (room > LR_CHUNK)
        room = LR_CHUNK;
    if (lr->is_gz) {
        int n = gzread((gzFile)lr->gz, lr->buf + lr->end, (unsigned)room);
        if (n < 0) {
            int zerr;
            const char *m = gzerror((gzFile)lr->gz, &zerr);
            snprintf(lr->err, sizeof(lr->err), "gzip: %s", m && *m ? m : "read error");
            return -1;
        }
        if (n == 0) {
            int zerr;
            const char *m = gzerror((gzFile)lr->gz, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                snprintf(lr->err, sizeof(lr->err), "gzip: %s", m && *m ? m : "read error");
                return -1;
            }
        }
        return n;
    }
    ssize_t n;
    do {
        n = read(lr->fd, lr->buf + lr->end, room);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(lr->err, sizeof(lr->err), "%s", strerror(errno));
        return -1;
    }
    lr->consumed += (uint64_t)n;
    return n;
}

int linereader_next(struct linereader *lr, const char **line, size_t *len)
{
    int skipping = 0; /* inside an over-long line */
    for (;;) {
        char *s = lr->buf + lr->start;
        size_t avail = lr->end - lr->start;
        char *nl = avail ? memchr(s, '\n', avail) : NULL;
        if (nl) {
            size_t l = (size_t)(nl - s);
            lr->start += l + 1;
            lr->lineno++;
            if (skipping || l > lr->max_line) {
                lr->flags = LR_TOO_LONG;
                *line = s;
                *len = 0;
                return 1;
            }
            if (l && s[l - 1] == '\r')
                l--;
            lr->flags = 0;
            *line = s;
            *len = l;
            return 1;
        }
        if (lr->eof) {
            if (avail == 0 && !skipping)
                return 0;
            /* last line without a newline */
            lr->start = lr->end;
            lr->lineno++;
            lr->flags = LR_NO_NEWLINE;
            if (skipping || avail > lr->max_line) {
                lr->flags |= LR_TOO_LONG;
                avail = 0;
            } else if (avail && s[avail - 1] == '\r') {
                avail--;
            }
            *line = s;
            *len = avail;
            return 1;
        }
        if (avail > lr->max_line) {
            /* drop what we have of the over-long line, keep reading */
            skipping = 1;
            lr->start = lr->end = 0;
            avail = 0;
        } else if (lr->start > 0) {
            memmove(lr->buf, s, avail);
            lr->start = 0;
            lr->end = avail;
        }
        ssize_t n = lr_fill(lr);
        if (n < 0) {
            return -1;
        }
        if (n == 0)
            lr->eof = 1;
        lr->end += (size_t)n;
    }
}

uint64_t linereader_position(const struct linereader *lr)
{
    if (lr->is_gz && lr->gz) {
        z_off_t o = gzoffset((gzFile)lr->gz);
        return o > 0 ? (uint64_t)o : 0;
    }
    return lr->consumed;
}

void linereader_close(struct linereader *lr)
{
    if (lr->gz) {
        gzclose((gzFile)lr->gz);
        lr->gz = NULL;
    }
    if (lr->fd > STDIN_FILENO)
        close(lr->fd);
    lr->fd = -1;
    free(lr->buf);
    lr->buf = NULL;
}
