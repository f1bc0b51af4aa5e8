/*
 * linereader - read lines from a file, stdin or a gzip file, fast.
 *
 * linereader_open() opens a path ("-" is stdin); a file whose first bytes are
 * the gzip magic is decompressed transparently (several members are fine).
 * linereader_next() hands out one line at a time, without its "\n" or "\r\n",
 * pointing into the reader's buffer: valid until the next call. Line numbers
 * are 1-based and count every line, including skipped ones.
 *
 * Problems are reported through lr->flags on the returned line and through
 * the return value; the message text is in lr->err (no output is printed):
 *   LR_TOO_LONG   the line exceeded max_line bytes; its text is not returned
 *                 (len 0) and the rest of it was skipped.
 *   LR_NO_NEWLINE the last line of the input had no final newline.
 *   returns -1    a read or decompression error (e.g. truncated gzip); the
 *                 line number of the failure is lr->lineno + 1.
 * The caller owns the reader and frees it with linereader_close().
 */
#ifndef MW_LINEREADER_H
#define MW_LINEREADER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LR_TOO_LONG 1u
#define LR_NO_NEWLINE 2u

struct linereader {
    const char *path;   /* as given; "-" for stdin */
    int fd;
    void *gz;           /* gzFile when compressed */
    int is_gz;
    char *buf;
    size_t cap, start, end;
    size_t max_line;
    uint64_t lineno;
    unsigned flags;     /* flags of the line last returned */
    int eof;
    time_t mtime;       /* modification time, or 0 for pipes */
    uint64_t size;      /* file size when known (for progress) */
    uint64_t consumed;  /* compressed/raw bytes read so far */
    char err[256];
};

/* linereader_open - 0 on success; -1 with lr->err set (file cannot be read). */
int linereader_open(struct linereader *lr, const char *path, size_t max_line);
/* linereader_next - 1 and a line, 0 at end of input, -1 on a read error. */
int linereader_next(struct linereader *lr, const char **line, size_t *len);
void linereader_close(struct linereader *lr);
/* linereader_position - bytes of the file read so far (compressed bytes for
 * gzip), to compare with lr->size for a progress display */
uint64_t linereader_position(const struct linereader *lr);

#endif
