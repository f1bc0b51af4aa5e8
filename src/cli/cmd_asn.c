/*
 * cmd_asn - `mailward asn`: the ASN, organisation and country of addresses
 * from the compiled table (aligned table or JSON lines), the table's own
 * description (--info), and `mailward asn build`, which compiles the public
 * CSV (+ country MMDB) data into that table.
 *
 * Exit status as every command: 0 all fine, 1 an address or row could not be
 * used (each reported on stderr) or the table is missing/corrupt, 2 usage.
 */
#include "cli.h"
#include "../enrich/asn_build.h"
#include "../enrich/asn_table.h"
#include "../util/ipaddr.h"
#include "../util/linereader.h"
#include "../util/outbuf.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SYSTEM_DB "/var/lib/mailward/asn.mwdb"
#define FETCH_HINT "run scripts/fetch-geodata.sh to fetch the public data and build it"

static void asn_help(FILE *f)
{
    fprintf(f,
"Usage: mailward asn [--db FILE] [--json] IP...\n"
"       mailward asn [--db FILE] [--json] -          (addresses on stdin, one a line)\n"
"       mailward asn [--db FILE] --info\n"
"       mailward asn build [--out FILE] [--country-mmdb FILE] CSV...\n"
"\n"
"Print, for each IPv4 or IPv6 address, the network range the ASN table holds\n"
"it in (as a CIDR when the range is one, else first-last), the autonomous\n"
"system number, its organisation and the country, from public data (the npm\n"
"packages @ip-location-db/asn and @ip-location-db/geo-whois-asn-country-mmdb,\n"
"compiled into one table by scripts/fetch-geodata.sh or 'mailward asn build').\n"
"IPv4-mapped IPv6 (::ffff:a.b.c.d) is looked up as IPv4.\n"
"\n"
"Options:\n"
"  --db FILE     the table (default: $MAILWARD_ASN_DB if set; else data/asn.mwdb\n"
"                in the source tree if it exists; else " SYSTEM_DB ")\n"
"  --json        one JSON object per address and line: ip, found, range,\n"
"                prefixes (the range as CIDRs), asn, org, country; an address\n"
"                that cannot be parsed gives {\"ip\":...,\"error\":...}\n"
"  --info        describe the table: data source and version, date, counts\n"
"  -h, --help    show this help ('mailward asn build --help' for the compiler)\n"
"\n"
"An address in no range prints '-' (JSON: \"found\":false). ASN 0 means the\n"
"data knows the country but no AS.\n"
"\n"
"Exit status: 0 all addresses looked up; 1 some text was not an address, or\n"
"the table is missing or corrupt; 2 usage error.\n"
"\n"
"Examples:\n"
"  mailward asn 8.8.8.8 2001:4860:4860::8888\n"
"  mailward events --json /var/log/mail.log | jq -r .ip | sort -u | mailward asn --json -\n");
}

static void build_help(FILE *f)
{
    fprintf(f,
"Usage: mailward asn build [--out FILE] [--country-mmdb FILE] [--source TEXT]\n"
"                          [--date DATE] [--max-warnings N] [--keep-special]\n"
"                          CSV...\n"
"\n"
"Compile ASN data into the table 'mailward asn' and the detection engine read.\n"
"Each CSV row is range_start,range_end,asn,organisation with the range given\n"
"as two addresses, inclusive (asn-ipv4.csv and asn-ipv6.csv of the npm package\n"
"@ip-location-db/asn; RFC 4180 quoting; .gz read transparently). Countries\n"
"come from a MaxMind-format database (e.g. geo-whois-asn-country.mmdb of\n"
"@ip-location-db/geo-whois-asn-country-mmdb) and are merged into the ranges,\n"
"so one lookup gives both. scripts/fetch-geodata.sh fetches the data and runs\n"
"this for you.\n"
"\n"
"Options:\n"
"  --out FILE           where to write (default: $MAILWARD_ASN_DB if set; else\n"
"                       data/asn.mwdb in the source tree if data/ exists; else\n"
"                       " SYSTEM_DB "); written to a temporary file\n"
"                       and renamed, so readers never see half a table\n"
"  --country-mmdb FILE  merge in countries from this MMDB\n"
"  --source TEXT        data source and version to record (default: file names)\n"
"  --date DATE          date of the data, YYYY-MM-DD[THH[:MM[:SS]]] UTC\n"
"                       (default: the MMDB's build time, if one is given)\n"
"  --max-warnings N     bad or overlapping rows shown per file (default 10)\n"
"  --keep-special       keep what the data says about private, loopback,\n"
"                       link-local, documentation, multicast and reserved\n"
"                       blocks (10/8, 192.168/16, fc00::/7, ...); by default\n"
"                       they are left out: the public data has no AS for\n"
"                       them and some bogus countries\n"
"  -h, --help           show this help\n"
"\n"
"Rows that cannot be used (wrong field count, not an address, start after end,\n"
"mixed families, ASN not a number, ...) are skipped and reported on stderr as\n"
"FILE:LINE with the reason, then counted. Overlapping ranges are kept and\n"
"reported: where two overlap, the one that starts later (the inner one) wins.\n"
"\n"
"Exit status: 0 table written from every row; 1 table written but some rows\n"
"were skipped, or nothing written (reason on stderr); 2 usage error.\n");
}

/* repo_path - "<source tree>/rel" if the tree is known, else NULL */
static const char *repo_path(char *buf, size_t n, const char *rel)
{
#ifdef MW_SOURCE_DIR
    snprintf(buf, n, "%s/%s", MW_SOURCE_DIR, rel);
    return buf;
#else
    (void)buf;
    (void)n;
    (void)rel;
    return NULL;
#endif
}

/* cli_asn_default_db - the table to read when none is given; NULL when
 * there is none (and a message unless quiet) */
const char *cli_asn_default_db(char *buf, size_t n, int quiet)
{
    const char *env = getenv("MAILWARD_ASN_DB");
    if (env && *env)
        return env;
    const char *repo = repo_path(buf, n, "data/asn.mwdb");
    if (repo && access(repo, F_OK) == 0)
        return repo;
    if (access(SYSTEM_DB, F_OK) == 0)
        return SYSTEM_DB;
    if (quiet)
        return NULL;
    fprintf(stderr,
            "mailward asn: no ASN table: MAILWARD_ASN_DB is not set%s%s%s and " SYSTEM_DB
            " does not exist; " FETCH_HINT " (or give --db FILE)\n",
            repo ? ", " : "", repo ? repo : "", repo ? " does not exist" : "");
    return NULL;
}

static const char *default_out(char *buf, size_t n)
{
    const char *env = getenv("MAILWARD_ASN_DB");
    if (env && *env)
        return env;
    char dir[4096];
    const char *d = repo_path(dir, sizeof(dir), "data");
    if (d && access(d, W_OK) == 0)
        return repo_path(buf, n, "data/asn.mwdb");
    return SYSTEM_DB;
}

/* ---- lookups ---- */

struct row {
    char addr[IPADDR_STRLEN];
    char prefix[2 * IPADDR_STRLEN + 2];
    char asn[16];
    char cc[3];
    const char *org;
    size_t org_len;
};

struct printer {
    const struct asn_table *t;
    struct outbuf ob;
    int json;
    struct row *rows;
    size_t nrows;
    size_t w_addr, w_prefix, w_asn;
    int header_done;
    uint64_t bad;
};

#define BATCH 1024

static void flush_rows(struct printer *p)
{
    struct outbuf *ob = &p->ob;
    for (size_t i = 0; i < p->nrows; i++) {
        const struct row *r = &p->rows[i];
        size_t a = strlen(r->addr), x = strlen(r->prefix), s = strlen(r->asn);
        if (a > p->w_addr)
            p->w_addr = a;
        if (x > p->w_prefix)
            p->w_prefix = x;
        if (s > p->w_asn)
            p->w_asn = s;
    }
    if (!p->header_done) {
        outbuf_put_text_padded(ob, "ADDRESS", 7, p->w_addr + 2);
        outbuf_put_text_padded(ob, "PREFIX", 6, p->w_prefix + 2);
        outbuf_put_text_padded(ob, "ASN", 3, p->w_asn + 2);
        outbuf_puts_lit(ob, "COUNTRY  ORGANISATION\n");
        p->header_done = 1;
    }
    for (size_t i = 0; i < p->nrows; i++) {
        const struct row *r = &p->rows[i];
        outbuf_put_text_padded(ob, r->addr, strlen(r->addr), p->w_addr + 2);
        outbuf_put_text_padded(ob, r->prefix, strlen(r->prefix), p->w_prefix + 2);
        outbuf_put_text_padded(ob, r->asn, strlen(r->asn), p->w_asn + 2);
        outbuf_put_text_padded(ob, r->cc, strlen(r->cc), 9);
        outbuf_put_text(ob, r->org, r->org_len);
        outbuf_putc(ob, '\n');
    }
    p->nrows = 0;
}

static void json_lookup(struct outbuf *ob, const char *addr, int found, const struct asn_info *in)
{
    outbuf_puts_lit(ob, "{\"ip\":");
    outbuf_put_json_string(ob, addr, strlen(addr));
    if (!found) {
        outbuf_puts_lit(ob, ",\"found\":false}\n");
        return;
    }
    char a[IPADDR_STRLEN], b[IPADDR_STRLEN], c[IPADDR_CIDRLEN];
    ipaddr_format(&in->first, a);
    ipaddr_format(&in->last, b);
    outbuf_puts_lit(ob, ",\"found\":true,\"range\":\"");
    outbuf_puts(ob, a);
    outbuf_putc(ob, '-');
    outbuf_puts(ob, b);
    outbuf_puts_lit(ob, "\",\"prefixes\":[");
    struct ipaddr_cidr cidrs[256];
    size_t n = ipaddr_range_cidrs(&in->first, &in->last, cidrs, 256);
    for (size_t i = 0; i < n && i < 256; i++) {
        if (i)
            outbuf_putc(ob, ',');
        outbuf_putc(ob, '"');
        ipaddr_format_cidr(&cidrs[i].addr, cidrs[i].bits, c);
        outbuf_puts(ob, c);
        outbuf_putc(ob, '"');
    }
    outbuf_puts_lit(ob, "],\"asn\":");
    if (in->asn)
        outbuf_put_u64(ob, in->asn);
    else
        outbuf_puts_lit(ob, "null");
    outbuf_puts_lit(ob, ",\"org\":");
    if (in->org_len)
        outbuf_put_json_string(ob, in->org, in->org_len);
    else
        outbuf_puts_lit(ob, "null");
    outbuf_puts_lit(ob, ",\"country\":");
    if (in->country[0]) {
        outbuf_putc(ob, '"');
        outbuf_put(ob, in->country, 2);
        outbuf_putc(ob, '"');
    } else {
        outbuf_puts_lit(ob, "null");
    }
    outbuf_puts_lit(ob, "}\n");
}

/* one - look up one address given as text (trimmed; brackets allowed) */
static void one(struct printer *p, const char *s, size_t n, const char *where)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    struct ipaddr a;
    int rc = ipaddr_parse(s, n, &a);
    if (rc < 0) {
        p->bad++;
        fprintf(stderr, "mailward asn: %s'%.*s': %s\n", where, (int)(n > 80 ? 80 : n), s,
                ipaddr_strerror(rc));
        if (p->json) {
            outbuf_puts_lit(&p->ob, "{\"ip\":");
            outbuf_put_json_string(&p->ob, s, n > 80 ? 80 : n);
            outbuf_puts_lit(&p->ob, ",\"error\":");
            const char *e = ipaddr_strerror(rc);
            outbuf_put_json_string(&p->ob, e, strlen(e));
            outbuf_puts_lit(&p->ob, "}\n");
        }
        return;
    }
    struct asn_info in;
    int found = asn_table_lookup(p->t, &a, &in) == 1;
    char addr[IPADDR_STRLEN];
    ipaddr_format(&a, addr);
    if (p->json) {
        json_lookup(&p->ob, addr, found, &in);
        return;
    }
    struct row *r = &p->rows[p->nrows++];
    memcpy(r->addr, addr, sizeof(addr));
    if (!found) {
        strcpy(r->prefix, "-");
        strcpy(r->asn, "-");
        strcpy(r->cc, "-");
        r->org = "-";
        r->org_len = 1;
    } else {
        struct ipaddr_cidr c;
        if (ipaddr_range_cidrs(&in.first, &in.last, &c, 1) == 1) {
            ipaddr_format_cidr(&c.addr, c.bits, r->prefix);
        } else {
            size_t k = ipaddr_format(&in.first, r->prefix);
            r->prefix[k++] = '-';
            ipaddr_format(&in.last, r->prefix + k);
        }
        if (in.asn)
            snprintf(r->asn, sizeof(r->asn), "AS%u", in.asn);
        else
            strcpy(r->asn, "-");
        strcpy(r->cc, in.country[0] ? in.country : "-");
        r->org = in.org_len ? in.org : "-";
        r->org_len = in.org_len ? in.org_len : 1;
    }
    if (p->nrows == BATCH)
        flush_rows(p);
}

static void print_time(char *buf, size_t n, int64_t t)
{
    if (!t) {
        snprintf(buf, n, "unknown");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void info(const char *path, const struct asn_table_meta *m, int json)
{
    char when[64];
    print_time(when, sizeof(when), m->data_time);
    if (json) {
        struct outbuf ob;
        outbuf_init(&ob, 1024);
        outbuf_puts_lit(&ob, "{\"table\":");
        outbuf_put_json_string(&ob, path, strlen(path));
        outbuf_puts_lit(&ob, ",\"source\":");
        outbuf_put_json_string(&ob, m->source, strlen(m->source));
        outbuf_puts_lit(&ob, ",\"data_time\":");
        outbuf_put_json_string(&ob, when, strlen(when));
        outbuf_puts_lit(&ob, ",\"version\":");
        outbuf_put_u64(&ob, m->version);
        outbuf_puts_lit(&ob, ",\"bytes\":");
        outbuf_put_u64(&ob, m->file_size);
        outbuf_puts_lit(&ob, ",\"ranges_v4\":");
        outbuf_put_u64(&ob, m->n_v4);
        outbuf_puts_lit(&ob, ",\"ranges_v6\":");
        outbuf_put_u64(&ob, m->n_v6);
        outbuf_puts_lit(&ob, ",\"entries\":");
        outbuf_put_u64(&ob, m->n_info);
        outbuf_puts_lit(&ob, ",\"orgs\":");
        outbuf_put_u64(&ob, m->n_orgs);
        outbuf_puts_lit(&ob, ",\"countries\":");
        if (m->has_country)
            outbuf_puts_lit(&ob, "true}\n");
        else
            outbuf_puts_lit(&ob, "false}\n");
        outbuf_flush(&ob, stdout);
        outbuf_free(&ob);
        return;
    }
    printf("table      %s\n"
           "source     %s\n"
           "data date  %s\n"
           "format     version %u, %llu bytes\n"
           "ranges     %u IPv4, %u IPv6 (gaps included)\n"
           "entries    %u (asn, organisation, country) tuples, %u organisations\n"
           "countries  %s\n",
           path, m->source[0] ? m->source : "unknown", when, m->version,
           (unsigned long long)m->file_size, m->n_v4, m->n_v6, m->n_info, m->n_orgs,
           m->has_country ? "yes" : "no");
}

static int lookup_main(int argc, char **argv)
{
    enum { OPT_DB = 1000, OPT_JSON, OPT_INFO };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"json", no_argument, NULL, OPT_JSON},
        {"info", no_argument, NULL, OPT_INFO},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int json = 0, want_info = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_INFO:
            want_info = 1;
            break;
        case 'h':
            asn_help(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "mailward asn: unknown option '%s'; see 'mailward asn --help'\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc && !want_info) {
        fprintf(stderr, "mailward asn: give addresses, or '-' to read them from stdin; see "
                        "'mailward asn --help'\n");
        return EXIT_USAGE;
    }
    char buf[4096];
    if (!db && !(db = cli_asn_default_db(buf, sizeof(buf), 0)))
        return EXIT_INPUT;
    struct asn_err err;
    struct asn_table *t = asn_table_open(db, &err);
    if (!t) {
        fprintf(stderr, "mailward asn: %s; %s (or give --db FILE)\n", err.msg, FETCH_HINT);
        return EXIT_INPUT;
    }
    if (want_info) {
        info(db, asn_table_meta(t), json);
        asn_table_close(t);
        return EXIT_OK;
    }
    struct printer p;
    memset(&p, 0, sizeof(p));
    p.t = t;
    p.json = json;
    p.rows = xmalloc(BATCH * sizeof(struct row));
    outbuf_init(&p.ob, 1 << 16);
    int rc = EXIT_OK;
    for (int i = optind; i < argc && rc == EXIT_OK; i++) {
        if (strcmp(argv[i], "-") != 0) {
            one(&p, argv[i], strlen(argv[i]), "");
            continue;
        }
        struct linereader lr;
        if (linereader_open(&lr, "-", 4096) < 0) {
            fprintf(stderr, "mailward asn: %s\n", lr.err);
            p.bad++;
            continue;
        }
        const char *line;
        size_t len;
        int r;
        char where[64];
        while ((r = linereader_next(&lr, &line, &len)) > 0) {
            if (lr.flags & LR_TOO_LONG) {
                fprintf(stderr, "mailward asn: -:%llu: line too long, skipped\n",
                        (unsigned long long)lr.lineno);
                p.bad++;
                continue;
            }
            size_t k = 0;
            while (k < len && (line[k] == ' ' || line[k] == '\t'))
                k++;
            if (k == len || line[k] == '#' || (len - k == 1 && line[k] == '\r'))
                continue;
            snprintf(where, sizeof(where), "-:%llu: ", (unsigned long long)lr.lineno);
            one(&p, line, len, where);
            if (p.ob.len > (1 << 15) && outbuf_flush(&p.ob, stdout) < 0) {
                fprintf(stderr, "mailward asn: cannot write output: %s\n", strerror(errno));
                rc = EXIT_INPUT;
                break;
            }
        }
        if (r < 0) {
            fprintf(stderr, "mailward asn: -:%llu: %s\n", (unsigned long long)lr.lineno + 1,
                    lr.err);
            p.bad++;
        }
        linereader_close(&lr);
    }
    if (!json)
        flush_rows(&p);
    if (outbuf_flush(&p.ob, stdout) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "mailward asn: cannot write output: %s\n", strerror(errno));
        rc = EXIT_INPUT;
    }
    outbuf_free(&p.ob);
    free(p.rows);
    asn_table_close(t);
    if (rc == EXIT_OK && p.bad)
        rc = EXIT_INPUT;
    return rc;
}

/* ---- build ---- */

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* parse_date - YYYY-MM-DD[THH[:MM[:SS]]][Z] as UTC seconds; -1 if not */
static int parse_date(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, k = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &k) != 3 || k != 10)
        return -1;
    s += k;
    if (*s == 'T' || *s == ' ') {
        s++;
        k = 0;
        if (sscanf(s, "%2d%n", &h, &k) != 1 || k != 2)
            return -1;
        s += 2;
        if (*s == ':') {
            if (sscanf(s + 1, "%2d%n", &mi, &k) != 1 || k != 2)
                return -1;
            s += 3;
            if (*s == ':') {
                if (sscanf(s + 1, "%2d%n", &se, &k) != 1 || k != 2)
                    return -1;
                s += 3;
            }
        }
    }
    if (*s == 'Z')
        s++;
    if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

static int build_main(int argc, char **argv)
{
    enum { OPT_OUT = 1000, OPT_MMDB, OPT_SOURCE, OPT_DATE, OPT_MAXW, OPT_KEEP };
    static const struct option longopts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"country-mmdb", required_argument, NULL, OPT_MMDB},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"date", required_argument, NULL, OPT_DATE},
        {"max-warnings", required_argument, NULL, OPT_MAXW},
        {"keep-special", no_argument, NULL, OPT_KEEP},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct asn_build_opts o;
    memset(&o, 0, sizeof(o));
    o.diag = stderr;
    o.max_warnings = 10;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_OUT:
            o.out = optarg;
            break;
        case OPT_MMDB:
            o.country_mmdb = optarg;
            break;
        case OPT_SOURCE:
            o.source = optarg;
            break;
        case OPT_DATE:
            if (parse_date(optarg, &o.data_time) < 0) {
                fprintf(stderr, "mailward asn build: --date wants YYYY-MM-DD[THH[:MM[:SS]]], "
                                "not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_MAXW: {
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 1000000) {
                fprintf(stderr, "mailward asn build: --max-warnings wants 0..1000000, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            o.max_warnings = (int)v;
            break;
        }
        case OPT_KEEP:
            o.keep_special = true;
            break;
        case 'h':
            build_help(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr,
                    "mailward asn build: unknown option '%s'; see 'mailward asn build --help'\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "mailward asn build: give the CSV files (asn-ipv4.csv asn-ipv6.csv); "
                        "see 'mailward asn build --help'\n");
        return EXIT_USAGE;
    }
    char buf[4096];
    if (!o.out)
        o.out = default_out(buf, sizeof(buf));
    o.csv = (const char *const *)(argv + optind);
    o.ncsv = (size_t)(argc - optind);
    struct asn_build_stats st;
    struct asn_err err;
    if (asn_build(&o, &st, &err) < 0) {
        fprintf(stderr, "mailward asn build: %s; no table written\n", err.msg);
        return EXIT_INPUT;
    }
    printf("wrote %s: %u IPv4 and %u IPv6 ranges, %u (asn, organisation, country) entries, "
           "%u organisations, %llu bytes\n"
           "read %llu rows: %llu bad rows skipped, %llu overlapping kept",
           o.out, st.n_v4, st.n_v6, st.n_info, st.n_orgs, (unsigned long long)st.file_size,
           (unsigned long long)st.rows, (unsigned long long)st.bad_rows,
           (unsigned long long)st.overlaps);
    if (o.country_mmdb)
        printf("; %llu country networks from %s", (unsigned long long)st.country_nets,
               o.country_mmdb);
    printf("\n");
    return st.bad_rows ? EXIT_INPUT : EXIT_OK;
}

int cmd_asn(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "build") == 0)
        return build_main(argc - 1, argv + 1);
    return lookup_main(argc, argv);
}
