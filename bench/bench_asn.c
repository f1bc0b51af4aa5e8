/*
 * bench_asn - speed of the ASN table (built and run by bench/run-asn.sh).
 *
 * Usage: bench_asn TABLE [--mmdb FILE] [--lookups N]
 * Prints Markdown table rows: table size and open time, lookups/s of random
 * IPv4 addresses, of random allocated IPv6 addresses, of text parsing plus
 * lookup, and (with --mmdb) of libmaxminddb country lookups on the same IPv4
 * addresses, to show why countries are merged into the table at build time.
 * One thread; pin it with taskset. Exit 1 if the table cannot be opened.
 */
#include "../src/enrich/asn_table.h"
#include "../src/util/ipaddr.h"
#include "../src/util/xalloc.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define NADDR (1u << 20)

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static volatile uint64_t sink;

/* rate - lookups/s over n lookups cycling through addrs, best of 3 */
static double rate(const struct asn_table *t, const struct ipaddr *addrs, uint64_t n,
                   uint64_t *found)
{
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        uint64_t acc = 0, hit = 0;
        double t0 = now();
        for (uint64_t i = 0; i < n; i++) {
            struct asn_info in;
            int r = asn_table_lookup(t, &addrs[i & (NADDR - 1)], &in);
            acc += in.asn;
            hit += (uint64_t)(r == 1);
        }
        double dt = now() - t0;
        sink += acc;
        *found = hit;
        if (n / dt > best)
            best = (double)n / dt;
    }
    return best;
}

static void fmt_rate(char *b, size_t n, double r)
{
    if (r >= 1e6)
        snprintf(b, n, "%.1f million/s", r / 1e6);
    else
        snprintf(b, n, "%.0f/s", r);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *mmdb = NULL;
    uint64_t n = 50000000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mmdb") && i + 1 < argc)
            mmdb = argv[++i];
        else if (!strcmp(argv[i], "--lookups") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: bench_asn TABLE [--mmdb FILE] [--lookups N]\n");
        return 2;
    }
    struct asn_err err;
    double opens[21];
    struct asn_table *t = NULL;
    for (int i = 0; i < 21; i++) {
        double t0 = now();
        t = asn_table_open(path, &err);
        opens[i] = now() - t0;
        if (!t) {
            fprintf(stderr, "bench_asn: %s\n", err.msg);
            return 1;
        }
        if (i < 20)
            asn_table_close(t);
    }
    qsort(opens, 21, sizeof(double), cmp_double);
    const struct asn_table_meta *m = asn_table_meta(t);
    printf("| table | %s: %.1f MB, %u IPv4 + %u IPv6 ranges, %u entries, %u organisations |\n",
           m->source, (double)m->file_size / 1e6, m->n_v4, m->n_v6, m->n_info, m->n_orgs);
    printf("| open (mmap + full check + bucket index), page cache warm | median %.1f ms, "
           "best %.1f ms (21 runs) |\n",
           opens[10] * 1e3, opens[0] * 1e3);

    struct ipaddr *a4 = xmalloc(NADDR * sizeof(struct ipaddr));
    struct ipaddr *a6 = xmalloc(NADDR * sizeof(struct ipaddr));
    for (uint32_t i = 0; i < NADDR; i++)
        ipaddr_from_v4(&a4[i], (uint32_t)next());
    /* IPv6: uniform in 2000::/3, kept when the table holds them (allocated space) */
    uint64_t tries = 0;
    for (uint32_t i = 0; i < NADDR;) {
        struct ipaddr x = {(next() >> 3) | (1ULL << 61), next()};
        struct asn_info in;
        tries++;
        if (asn_table_lookup(t, &x, &in) == 1)
            a6[i++] = x;
        if (tries > 4000ULL * NADDR)
            break;
    }
    char b[64];
    uint64_t found;
    double r4 = rate(t, a4, n, &found);
    fmt_rate(b, sizeof(b), r4);
    printf("| lookups, random IPv4 (uniform over 2^32), one core | **%s** (%.0f ns each; %.1f%% "
           "in a range) |\n",
           b, 1e9 / r4, 100.0 * (double)found / (double)n);
    double r6 = rate(t, a6, n, &found);
    fmt_rate(b, sizeof(b), r6);
    printf("| lookups, random allocated IPv6 (2000::/3 addresses the table holds), one core | "
           "**%s** (%.0f ns each) |\n",
           b, 1e9 / r6);
    /* text -> parse -> lookup, as the engine does per event */
    char (*txt)[IPADDR_STRLEN] = xmalloc(NADDR * IPADDR_STRLEN);
    uint8_t *tlen = xmalloc(NADDR);
    for (uint32_t i = 0; i < NADDR; i++)
        tlen[i] = (uint8_t)ipaddr_format(i & 7 ? &a4[i] : &a6[i], txt[i]);
    uint64_t np = n / 5;
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        uint64_t acc = 0;
        double t0 = now();
        for (uint64_t i = 0; i < np; i++) {
            uint32_t k = (uint32_t)(i & (NADDR - 1));
            struct ipaddr x;
            struct asn_info in;
            if (ipaddr_parse(txt[k], tlen[k], &x) == 0 && asn_table_lookup(t, &x, &in) == 1)
                acc += in.asn;
        }
        double dt = now() - t0;
        sink += acc;
        if ((double)np / dt > best)
            best = (double)np / dt;
    }
    fmt_rate(b, sizeof(b), best);
    printf("| ipaddr_parse + lookup from text (7/8 IPv4, 1/8 IPv6), one core | %s |\n", b);

    if (mmdb) {
        MMDB_s db;
        int rc = MMDB_open(mmdb, MMDB_MODE_MMAP, &db);
        if (rc != MMDB_SUCCESS) {
            fprintf(stderr, "bench_asn: %s: %s\n", mmdb, MMDB_strerror(rc));
            return 1;
        }
        uint64_t nm = 2000000, hit = 0;
        double bm = 0;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            for (uint64_t i = 0; i < nm; i++) {
                struct sockaddr_in sa;
                memset(&sa, 0, sizeof(sa));
                sa.sin_family = AF_INET;
                sa.sin_addr.s_addr = htonl(ipaddr_v4(&a4[i & (NADDR - 1)]));
                int e;
                MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&db, (struct sockaddr *)&sa, &e);
                if (e == MMDB_SUCCESS && res.found_entry) {
                    MMDB_entry_data_s d;
                    if (MMDB_get_value(&res.entry, &d, "country_code", NULL) == MMDB_SUCCESS &&
                        d.has_data)
                        hit++;
                }
            }
            double dt = now() - t0;
            if ((double)nm / dt > bm)
                bm = (double)nm / dt;
        }
        sink += hit;
        fmt_rate(b, sizeof(b), bm);
        printf("| for comparison: libmaxminddb country lookup (MMDB_lookup_sockaddr + "
               "MMDB_get_value), same IPv4 addresses, one core | %s: %.0fx slower than the "
               "table, which gives ASN, organisation and country at once |\n",
               b, r4 / bm);
        MMDB_close(&db);
    }
    asn_table_close(t);
    free(a4);
    free(a6);
    free(txt);
    free(tlen);
    return 0;
}
