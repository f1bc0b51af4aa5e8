/*
 * pwbreach - offline Pwned Passwords lookups by binary search (pwbreach.h).
 */
#include "pwbreach.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int pwbreach_sha1_hex(const char *pw, size_t len, char out[41])
{
    unsigned char d[20];
    unsigned int dl = 0;
    static const char hexd[] = "0123456789ABCDEF";
    if (EVP_Digest(pw, len, d, &dl, EVP_sha1(), NULL) != 1 || dl != 20)
        return -1;
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hexd[d[i] >> 4];
        out[2 * i + 1] = hexd[d[i] & 15];
    }
    out[40] = '\0';
    return 0;
}

/* compare the key (uppercase hex, klen digits) with the line at p */
static int cmp_line(const char *key, size_t klen, const char *p, size_t avail)
{
    for (size_t i = 0; i < klen; i++) {
        int c = i < avail ? toupper((unsigned char)p[i]) : -1;
        if ((unsigned char)key[i] != c)
            return (unsigned char)key[i] < c ? -1 : 1;
    }
    return 0;
}

static long long count_after(const char *p, const char *end)
{
    if (p >= end || *p != ':')
        return 1; /* present without a count */
    long long v = 0;
    for (p++; p < end && *p >= '0' && *p <= '9'; p++)
        v = v < 1000000000000LL ? v * 10 + (*p - '0') : v;
    return v > 0 ? v : 1;
}

static long long search_file(const char *path, const char *key, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        close(fd);
        return 0;
    }
    const char *d = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (d == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return -1;
    }
    madvise((void *)d, size, MADV_RANDOM);
    size_t lo = 0, hi = size;
    long long found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, s = mid;
        if (s > lo)
            while (s < hi && d[s - 1] != '\n')
                s++;
        if (s >= hi) {
            hi = mid;
            continue;
        }
        int c = cmp_line(key, 40, d + s, size - s);
        if (c == 0) {
            found = count_after(d + s + 40, d + size);
            break;
        }
        if (c < 0) {
            hi = s;
        } else {
            const char *nl = memchr(d + s, '\n', size - s);
            lo = nl ? (size_t)(nl - d) + 1 : size;
        }
    }
    munmap((void *)d, size);
    return found;
}

static long long search_range_dir(const char *dir, const char *key, char *err, size_t errlen)
{
    char path[4096];
    FILE *f = NULL;
    const char *suffixes[] = {"", ".txt"};
    for (int i = 0; i < 2 && !f; i++) {
        snprintf(path, sizeof(path), "%s/%.5s%s", dir, key, suffixes[i]);
        f = fopen(path, "r");
    }
    if (!f) {
        snprintf(err, errlen, "%s: no range file %.5s in the directory", dir, key);
        return -1;
    }
    char line[256];
    long long found = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t n = strcspn(line, "\r\n");
        if (n >= 35 && cmp_line(key + 5, 35, line, n) == 0) {
            found = count_after(line + 35, line + n);
            break;
        }
    }
    fclose(f);
    return found;
}

long long pwbreach_lookup(const char *path, const char *pw, size_t len, char *err, size_t errlen)
{
    char key[41];
    if (pwbreach_sha1_hex(pw, len, key) < 0) {
        snprintf(err, errlen, "SHA-1 unavailable");
        return -1;
    }
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    long long r = S_ISDIR(st.st_mode) ? search_range_dir(path, key, err, errlen)
                                      : search_file(path, key, err, errlen);
    explicit_bzero(key, sizeof(key));
    return r;
}
