/*
 * asn_table - open, check and search a compiled ASN table (see asn_table.h).
 *
 * Checking is all done at open, in one pass over the file (about 10 ms for
 * the full public data set): after that a lookup trusts every offset and
 * index, which is what keeps it at tens of millions a second.
 */
#include "asn_table.h"
#include "asn_format.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

_Static_assert(ASN_TABLE_SOURCE_MAX == ASN_SOURCE_MAX, "source size");

#define NBUCKET 65536

struct asn_table {
    const uint8_t *base;
    size_t len;
    bool mapped;               /* munmap, else free */
    const uint32_t *v4s, *v4i;
    const uint64_t *v6hi, *v6lo;
    const uint32_t *v6i;
    const struct asn_file_info *info;
    const char *str;
    uint32_t n4, n6;
    /* idx[b] = first range whose start has top 16 bits >= b; idx[NBUCKET] = n */
    uint32_t idx4[NBUCKET + 1];
    uint32_t idx6[NBUCKET + 1];
    struct asn_table_meta meta;
};

static void seterr(struct asn_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void seterr(struct asn_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

/* section_ok - [off, off + count * size) lies after the header, inside the
 * file, and off is aligned to `align` */
static bool section_ok(uint64_t off, uint64_t count, uint64_t size, uint64_t align,
                       uint64_t hdr, uint64_t len)
{
    if (off % align || off < hdr || off > len)
        return false;
    /* count < 2^32 and size <= 16, so the product cannot overflow */
    return count * size <= len - off;
}

static uint32_t crc_of(const uint8_t *p, uint64_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

static bool cc_ok(const char cc[2])
{
    if (cc[0] == 0 && cc[1] == 0)
        return true;
    return cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z';
}

static void build_index4(struct asn_table *t)
{
    uint32_t i = 0;
    for (uint32_t b = 0; b < NBUCKET; b++) {
        while (i < t->n4 && (t->v4s[i] >> 16) < b)
            i++;
        t->idx4[b] = i;
    }
    t->idx4[NBUCKET] = t->n4;
}

static void build_index6(struct asn_table *t)
{
    uint32_t i = 0;
    for (uint32_t b = 0; b < NBUCKET; b++) {
        while (i < t->n6 && (t->v6hi[i] >> 48) < b)
            i++;
        t->idx6[b] = i;
    }
    t->idx6[NBUCKET] = t->n6;
}

/* check - every byte the lookups will trust; 0 or -1 with err set */
static int check(struct asn_table *t, const char *name, struct asn_err *err)
{
    const uint8_t *b = t->base;
    uint64_t len = t->len;
    struct asn_file_header h;
    if (len < sizeof(h)) {
        seterr(err, "%s: not an ASN table: %llu bytes, shorter than the %zu-byte header",
               name, (unsigned long long)len, sizeof(h));
        return -1;
    }
    memcpy(&h, b, sizeof(h));
    if (memcmp(h.magic, ASN_FILE_MAGIC, 8) != 0) {
        seterr(err, "%s: not an ASN table (bad magic); build one with 'mailward asn build' "
               "or scripts/fetch-geodata.sh", name);
        return -1;
    }
    if (h.byte_order != ASN_BYTE_ORDER) {
        seterr(err, "%s: written on a machine of the other byte order; rebuild it here", name);
        return -1;
    }
    if (h.version != ASN_FILE_VERSION) {
        seterr(err, "%s: table format version %u, this mailward reads version %u; rebuild it",
               name, h.version, ASN_FILE_VERSION);
        return -1;
    }
    if (h.header_size != sizeof(h)) {
        seterr(err, "%s: corrupt header (header size %u)", name, h.header_size);
        return -1;
    }
    if (h.file_size != len) {
        seterr(err, "%s: %s: %llu bytes, the header says %llu", name,
               len < h.file_size ? "truncated" : "trailing bytes", (unsigned long long)len,
               (unsigned long long)h.file_size);
        return -1;
    }
    uint32_t crc = crc_of(b + sizeof(h), len - sizeof(h));
    if (crc != h.crc32) {
        seterr(err, "%s: corrupt: checksum %08x, the header says %08x", name, crc, h.crc32);
        return -1;
    }
    uint64_t hs = sizeof(h);
    if (!section_ok(h.off_v4_start, h.n_v4, 4, 8, hs, len) ||
        !section_ok(h.off_v4_info, h.n_v4, 4, 8, hs, len) ||
        !section_ok(h.off_v6_hi, h.n_v6, 8, 8, hs, len) ||
        !section_ok(h.off_v6_lo, h.n_v6, 8, 8, hs, len) ||
        !section_ok(h.off_v6_info, h.n_v6, 4, 8, hs, len) ||
        !section_ok(h.off_info, h.n_info, sizeof(struct asn_file_info), 8, hs, len) ||
        !section_ok(h.off_strings, h.strings_size, 1, 8, hs, len)) {
        seterr(err, "%s: corrupt: a section lies outside the file or is misaligned", name);
        return -1;
    }
    if (h.n_v4 == 0 || h.n_v6 == 0 || h.strings_size == 0) {
        seterr(err, "%s: corrupt: empty range list or string table", name);
        return -1;
    }
    if (memchr(h.source, '\0', sizeof(h.source)) == NULL) {
        seterr(err, "%s: corrupt header (source not terminated)", name);
        return -1;
    }
    t->v4s = (const uint32_t *)(b + h.off_v4_start);
    t->v4i = (const uint32_t *)(b + h.off_v4_info);
    t->v6hi = (const uint64_t *)(b + h.off_v6_hi);
    t->v6lo = (const uint64_t *)(b + h.off_v6_lo);
    t->v6i = (const uint32_t *)(b + h.off_v6_info);
    t->info = (const struct asn_file_info *)(b + h.off_info);
    t->str = (const char *)(b + h.off_strings);
    t->n4 = h.n_v4;
    t->n6 = h.n_v6;
    if (t->str[0] != '\0' || t->str[h.strings_size - 1] != '\0') {
        seterr(err, "%s: corrupt string table", name);
        return -1;
    }
    if (t->v4s[0] != 0 || t->v6hi[0] != 0 || t->v6lo[0] != 0) {
        seterr(err, "%s: corrupt: ranges do not start at address 0", name);
        return -1;
    }
    for (uint32_t i = 0; i < h.n_v4; i++) {
        if ((i && t->v4s[i] <= t->v4s[i - 1]) ||
            (t->v4i[i] != ASN_NO_INFO && t->v4i[i] >= h.n_info)) {
            seterr(err, "%s: corrupt: IPv4 range %u out of order or bad index", name, i);
            return -1;
        }
    }
    for (uint32_t i = 0; i < h.n_v6; i++) {
        const uint64_t *hi = &t->v6hi[i], *lo = &t->v6lo[i];
        if ((i && (hi[0] < hi[-1] || (hi[0] == hi[-1] && lo[0] <= lo[-1]))) ||
            (t->v6i[i] != ASN_NO_INFO && t->v6i[i] >= h.n_info)) {
            seterr(err, "%s: corrupt: IPv6 range %u out of order or bad index", name, i);
            return -1;
        }
    }
    for (uint32_t i = 0; i < h.n_info; i++) {
        const struct asn_file_info *f = &t->info[i];
        if ((uint64_t)f->org_off + f->org_len >= h.strings_size ||
            t->str[f->org_off + f->org_len] != '\0' ||
            memchr(t->str + f->org_off, '\0', f->org_len) != NULL || !cc_ok(f->cc)) {
            seterr(err, "%s: corrupt: entry %u has a bad name or country", name, i);
            return -1;
        }
    }
    build_index4(t);
    build_index6(t);
    struct asn_table_meta *m = &t->meta;
    m->version = h.version;
    m->file_size = h.file_size;
    m->n_v4 = h.n_v4;
    m->n_v6 = h.n_v6;
    m->n_info = h.n_info;
    m->n_orgs = h.n_orgs;
    m->strings_size = h.strings_size;
    m->data_time = h.data_time;
    m->has_country = (h.flags & ASN_F_COUNTRY) != 0;
    memcpy(m->source, h.source, sizeof(m->source));
    return 0;
}

struct asn_table *asn_table_open(const char *path, struct asn_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        seterr(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        seterr(err, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        seterr(err, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size < sizeof(struct asn_file_header)) {
        seterr(err, "%s: not an ASN table: %llu bytes, shorter than the %zu-byte header", path,
               (unsigned long long)st.st_size, sizeof(struct asn_file_header));
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        seterr(err, "%s: cannot map: %s", path, strerror(e));
        return NULL;
    }
    struct asn_table *t = xcalloc(1, sizeof(*t));
    t->base = p;
    t->len = (size_t)st.st_size;
    t->mapped = true;
    if (check(t, path, err) < 0) {
        asn_table_close(t);
        return NULL;
    }
    return t;
}

struct asn_table *asn_table_open_mem(const void *buf, size_t len, struct asn_err *err)
{
    struct asn_table *t = xcalloc(1, sizeof(*t));
    /* a private, 8-aligned copy: the caller's buffer may be unaligned */
    uint8_t *copy = xmalloc(len);
    memcpy(copy, buf, len);
    t->base = copy;
    t->len = len;
    if (check(t, "(memory)", err) < 0) {
        asn_table_close(t);
        return NULL;
    }
    return t;
}

void asn_table_close(struct asn_table *t)
{
    if (!t)
        return;
    if (t->mapped)
        munmap((void *)t->base, t->len);
    else
        free((void *)t->base);
    free(t);
}

const struct asn_table_meta *asn_table_meta(const struct asn_table *t)
{
    return &t->meta;
}

static int fill(const struct asn_table *t, uint32_t ix, struct asn_info *out)
{
    if (ix == ASN_NO_INFO) {
        out->asn = 0;
        out->org = "";
        out->org_len = 0;
        out->country[0] = '\0';
        return 0;
    }
    const struct asn_file_info *f = &t->info[ix];
    out->asn = f->asn;
    out->org = t->str + f->org_off;
    out->org_len = f->org_len;
    out->country[0] = f->cc[0];
    out->country[1] = f->cc[1];
    out->country[2] = '\0';
    return out->asn || f->cc[0] || f->org_len ? 1 : 0;
}

int asn_table_lookup(const struct asn_table *t, const struct ipaddr *a, struct asn_info *out)
{
    if (!t || !a || !out)
        return -1;
    if (ipaddr_is_v4(a)) {
        uint32_t k = ipaddr_v4(a);
        uint32_t b = k >> 16;
        uint32_t lo = t->idx4[b], hi = t->idx4[b + 1];
        uint32_t base = lo ? lo - 1 : 0; /* start[base] <= k always */
        const uint32_t *p = t->v4s + base;
        uint32_t n = hi - base;
        while (n > 1) {
            uint32_t half = n / 2;
            p = p[half] <= k ? p + half : p;
            n -= half;
        }
        uint32_t i = (uint32_t)(p - t->v4s);
        ipaddr_from_v4(&out->first, t->v4s[i]);
        ipaddr_from_v4(&out->last, i + 1 < t->n4 ? t->v4s[i + 1] - 1 : 0xffffffffu);
        return fill(t, t->v4i[i], out);
    }
    uint64_t khi = a->hi, klo = a->lo;
    uint32_t b = (uint32_t)(khi >> 48);
    uint32_t lo = t->idx6[b], hi = t->idx6[b + 1];
    uint32_t base = lo ? lo - 1 : 0;
    const uint64_t *p = t->v6hi + base;
    uint32_t n = hi - base;
    while (n > 1) { /* the last start whose top half is <= the address's */
        uint32_t half = n / 2;
        p = p[half] <= khi ? p + half : p;
        n -= half;
    }
    uint32_t i = (uint32_t)(p - t->v6hi);
    /* starts within the same /64 (rare): back to the last one <= the address;
     * entry 0 is :: so this stops */
    while (t->v6hi[i] == khi && t->v6lo[i] > klo)
        i--;
    out->first.hi = t->v6hi[i];
    out->first.lo = t->v6lo[i];
    if (i + 1 < t->n6) {
        out->last.hi = t->v6hi[i + 1] - (t->v6lo[i + 1] == 0);
        out->last.lo = t->v6lo[i + 1] - 1;
    } else {
        out->last.hi = out->last.lo = ~0ULL;
    }
    return fill(t, t->v6i[i], out);
}
