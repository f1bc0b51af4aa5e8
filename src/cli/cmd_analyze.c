/*
 * cmd_analyze - `mailward analyze`: replay mail logs through the detection
 * engine and print findings, as JSON lines (the contract in docs/analyze.md)
 * or as a report a person reads in a minute. Several files are merged by
 * event time (e.g. the MX's log and the IMAP server's).
 */
#include "cli.h"
#include "../engine/engine.h"
#include "../engine/engine_asn.h"
#include "../enrich/asn_table.h"
#include "../util/ipaddr.h"
#include "../sources/logscan.h"
#include "../sources/parser.h"
#include "../util/outbuf.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void analyze_help(FILE *f)
{
    fprintf(f,
"Usage: mailward analyze [OPTIONS] FILE...\n"
"\n"
"Replay mail logs through mailward's detectors and say what is going on:\n"
"which addresses guess passwords, which accounts log in without TLS, which of\n"
"our sending addresses remote servers say are blocklisted. Events of all\n"
"FILEs are merged by time, so give the MX's and the IMAP server's logs\n"
"together; '-' reads standard input; *.gz is read transparently.\n"
"\n"
"Detectors: brute_force, password_spray, account_takeover, outbound_spam,\n"
"cleartext_auth, blocklisted (docs/analyze.md says when each fires).\n"
"credential_stuffing is being built: see the README's status.\n"
"\n"
"Options:\n"
"  --json                 one finding per line, JSON (kind, id, detected_at,\n"
"                         first_seen, last_seen, severity, ips, networks,\n"
"                         accounts, labels, evidence, summary); a finding that\n"
"                         grows is printed again with the same id\n"
"  --format FMT           as for 'mailward events' (default auto)\n"
"  --year YYYY            year of the first syslog line without a year\n"
"  --tz ±HH:MM|UTC        zone of timestamps that carry none\n"
"  --max-line-length N    longer lines are reported and skipped (65536)\n"
"  --brute-failures N     failures from one address that make a brute force (10)\n"
"  --brute-window S       ... within S seconds (600)\n"
"  --spray-accounts N     accounts one password fingerprint must fail on to\n"
"                         be a spray (5)\n"
"  --spam-recipients N    recipients within an hour that make a burst (500),\n"
"                         if also 5x the account's own busiest hour\n"
"  --novel-domains N      domains an account never mailed, mailed within the\n"
"                         hour of a login from an address new to it, that\n"
"                         make it a takeover (12; at most 32)\n"
"  --max-memory SIZE      cap on the detectors' state, e.g. 64M, 1G (default\n"
"                         256M); when full, what matters least (the address\n"
"                         with the fewest failures, ...) is forgotten first\n"
"  --max-keys N           or set the keys per table directly (overrides)\n"
"  --state FILE           per-account baselines (networks of logins, sending\n"
"                         history) from an earlier run, if FILE exists, and\n"
"                         written back at the end: yesterday's log teaches\n"
"                         today's run what is usual\n"
"  --asn-db FILE          ASN table for the networks of findings (default:\n"
"                         $MAILWARD_ASN_DB, data/asn.mwdb, /var/lib/mailward/\n"
"                         asn.mwdb; none: findings carry no ASNs; build one\n"
"                         with scripts/fetch-geodata.sh)\n"
"  --no-progress          no progress line on a terminal (stderr)\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 all input understood; 1 some input was skipped or unreadable;\n"
"2 usage error. Findings do not change the exit status.\n");
}

struct run {
    int json;
    struct outbuf ob;
    struct asn_table *asn; /* NULL: no enrichment */
};

/* the ASNs of a finding's addresses, most addresses first */
struct asn_count {
    uint32_t asn;
    const char *org;
    const char *country;
    uint32_t addresses;
};

#define ASN_TOP 10

static int by_addresses(const void *a, const void *b)
{
    const struct asn_count *x = a, *y = b;
    if (x->addresses != y->addresses)
        return x->addresses < y->addresses ? 1 : -1;
    return x->asn < y->asn ? -1 : x->asn > y->asn;
}

static size_t asn_counts(const struct asn_table *t, const struct finding *f, struct asn_count *out,
                         size_t max, struct asn_count **all_out)
{
    struct asn_count *all = xcalloc(f->ips.n + 1, sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; i < f->ips.n; i++) {
        struct ipaddr a;
        struct asn_info info;
        if (ipaddr_parse(f->ips.items[i], f->ips.lens[i], &a) != IPADDR_OK ||
            asn_table_lookup(t, &a, &info) != 1 || !info.asn)
            continue;
        size_t k = 0;
        while (k < n && all[k].asn != info.asn)
            k++;
        if (k == n) {
            all[n].asn = info.asn;
            all[n].org = info.org;
            all[n].country = NULL;
            n++;
        }
        all[k].addresses++;
    }
    qsort(all, n, sizeof(*all), by_addresses);
    size_t m = n < max ? n : max;
    memcpy(out, all, m * sizeof(*all));
    *all_out = all;
    return m;
}

static void json_asns(struct outbuf *ob, const struct finding *f, void *ctx)
{
    const struct run *r = ctx;
    if (!r->asn || !f->ips.n || f->kind == FK_BLOCKLISTED)
        return;
    struct asn_count top[ASN_TOP], *all;
    size_t n = asn_counts(r->asn, f, top, ASN_TOP, &all);
    free(all);
    if (!n)
        return;
    outbuf_puts_lit(ob, ",\"asns\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            outbuf_putc(ob, ',');
        outbuf_puts_lit(ob, "{\"asn\":");
        outbuf_put_u64(ob, top[i].asn);
        outbuf_puts_lit(ob, ",\"org\":");
        outbuf_put_json_string(ob, top[i].org, strlen(top[i].org));
        outbuf_puts_lit(ob, ",\"addresses\":");
        outbuf_put_u64(ob, top[i].addresses);
        outbuf_putc(ob, '}');
    }
    outbuf_putc(ob, ']');
}

/* the ASN of an address for the engine's per-account baselines */
static void sink(const struct finding *f, bool final, void *ctx)
{
    struct run *r = ctx;
    (void)final;
    if (!r->json)
        return;
    finding_write_json(&r->ob, f, json_asns, r);
    if (r->ob.len > (1 << 16))
        outbuf_flush(&r->ob, stdout);
}

static void print_set(FILE *out, const char *label, const struct strset *s, size_t max)
{
    if (!s->n)
        return;
    fprintf(out, "    %s:", label);
    for (size_t i = 0; i < s->n && i < max; i++)
        fprintf(out, "%s %s", i ? "," : "", s->items[i]);
    if (strset_total(s) > max)
        fprintf(out, " ... (%llu in all)", (unsigned long long)strset_total(s));
    fputc('\n', out);
}

#define REPORT_DETAILED 5 /* findings of one kind shown in full */
#define REPORT_LISTED 25  /* ... then one line each up to this many */

static const char *const advice[FK__COUNT] = {
    [FK_BRUTE_FORCE] = "block these addresses (firewall or 'mailward serve'); check the targeted accounts' recent logins",
    [FK_PASSWORD_SPRAY] = "block the addresses and networks; the passwords they tried are common ones: make every account that uses them change it",
    [FK_ACCOUNT_TAKEOVER] = "lock these accounts now, end their sessions, reset their passwords with the owners, and hold their outgoing mail",
    [FK_OUTBOUND_SPAM] = "hold these accounts' outgoing mail (Postfix hold queue) and lock them until the owner has a new password",
    [FK_CLEARTEXT_AUTH] = "ask these users to switch their mail client to TLS (IMAPS 993 / POP3S 995 / submission with STARTTLS), then disable plaintext auth",
    [FK_BLOCKLISTED] = "find what sent the spam (the accounts listed sent the refused mail), stop it, then request delisting from each list",
};

static void print_asns(FILE *out, const struct run *r, const struct finding *f)
{
    if (!r->asn || !f->ips.n || f->kind == FK_BLOCKLISTED)
        return;
    struct asn_count top[5], *all;
    size_t n = asn_counts(r->asn, f, top, 5, &all);
    free(all);
    if (!n)
        return;
    fprintf(out, "    networks:");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s AS%u %s (%u)", i ? "," : "", top[i].asn, top[i].org, top[i].addresses);
    fputc('\n', out);
}

static void report(const struct engine *e, const struct run *r, uint64_t lines, uint64_t events, FILE *out)
{
    size_t n = engine_nfindings(e);
    fprintf(out, "mailward analyze: %llu lines, %llu events, %zu findings\n",
            (unsigned long long)lines, (unsigned long long)events, n);
    if (!n) {
        fprintf(out, "\nNothing to report: no attack, no takeover, no spam burst, no cleartext login, no blocklisting seen.\n");
        return;
    }
    for (int k = 0; k < FK__COUNT; k++) {
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            cnt += engine_finding_at(e, i)->kind == (enum finding_kind)k;
        if (!cnt)
            continue;
        fprintf(out, "\n== %s (%zu)\n", finding_kind_name((enum finding_kind)k), cnt);
        size_t shown = 0;
        for (size_t i = 0; i < n; i++) {
            const struct finding *f = engine_finding_at(e, i);
            if (f->kind != (enum finding_kind)k)
                continue;
            if (cnt > REPORT_DETAILED && shown >= REPORT_DETAILED) {
                /* many of a kind: one line each for a while, then a count */
                if (shown < REPORT_LISTED)
                    fprintf(out, "  - %s\n", f->summary);
                else if (shown == REPORT_LISTED)
                    fprintf(out, "  ... and %zu more (use --json for all)\n", cnt - REPORT_LISTED);
                shown++;
                continue;
            }
            shown++;
            char t1[48], t2[48];
            struct outbuf a = {t1, 0, sizeof(t1) - 1, 0}, b = {t2, 0, sizeof(t2) - 1, 0};
            event_write_time(&a, &f->first_seen);
            event_write_time(&b, &f->last_seen);
            t1[a.len] = t2[b.len] = '\0';
            fprintf(out, "  [%s] %s\n    from %s to %s\n", finding_severity_name(f->severity),
                    f->summary, t1, t2);
            print_set(out, "addresses", &f->ips, 8);
            print_asns(out, r, f);
            print_set(out, "accounts", &f->accounts, 8);
            print_set(out, k == FK_BLOCKLISTED ? "lists" : k == FK_PASSWORD_SPRAY ? "passwords (SHA1 prefixes)"
                           : k == FK_CLEARTEXT_AUTH ? "services" : "also", &f->labels, 8);
            if (f->nexamples)
                fprintf(out, "    see %s:%llu\n", f->examples[0].file,
                        (unsigned long long)f->examples[0].line);
        }
        if (advice[k])
            fprintf(out, "  what to do: %s\n", advice[k]);
    }
}

/* write the state next to the file, then rename it over: never half a file */
static int save_state(struct engine *e, const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "mailward analyze: %s: cannot write state: %s\n", tmp, strerror(errno));
        return -1;
    }
    int rc = engine_save_state(e, f);
    if (fclose(f) != 0)
        rc = -1;
    if (rc < 0 || rename(tmp, path) < 0) {
        fprintf(stderr, "mailward analyze: %s: cannot write state: %s; the old state is kept\n", path,
                strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

struct source {
    struct logscan ls;
    struct event_store st;
    int has;      /* a pending event in st */
    int open;
};

/* one line on the terminal: how far through the input, and what was found */
static void show_progress(const struct source *src, int nsrc, uint64_t events, const struct engine *e)
{
    uint64_t done = 0, total = 0;
    for (int i = 0; i < nsrc; i++) {
        if (!src[i].open || !src[i].ls.lr.size)
            continue;
        total += src[i].ls.lr.size;
        done += linereader_position(&src[i].ls.lr);
    }
    if (total)
        fprintf(stderr, "\r\033[K  %3.0f%%  %llu events, %zu findings", 100.0 * (double)done / (double)total,
                (unsigned long long)events, engine_nfindings(e));
    else
        fprintf(stderr, "\r\033[K  %llu events, %zu findings", (unsigned long long)events, engine_nfindings(e));
    fflush(stderr);
}

static int next_of(struct source *s)
{
    struct mw_event ev;
    memset(&ev, 0, sizeof(ev));
    if (!s->open || !logscan_next(&s->ls, &ev)) {
        s->has = 0;
        return 0;
    }
    event_copy(&s->st, &ev);
    s->has = 1;
    return 1;
}

int cmd_analyze(int argc, char **argv)
{
    enum { OPT_JSON = 1000, OPT_BF, OPT_BW, OPT_KEYS, OPT_SA, OPT_SR, OPT_ND,
           OPT_MEM, OPT_NOPROG, OPT_ASNDB, OPT_STATE };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        LOGOPTS_LONG,
        {"brute-failures", required_argument, NULL, OPT_BF},
        {"brute-window", required_argument, NULL, OPT_BW},
        {"max-keys", required_argument, NULL, OPT_KEYS},
        {"max-memory", required_argument, NULL, OPT_MEM},
        {"no-progress", no_argument, NULL, OPT_NOPROG},
        {"asn-db", required_argument, NULL, OPT_ASNDB},
        {"state", required_argument, NULL, OPT_STATE},
        {"spray-accounts", required_argument, NULL, OPT_SA},
        {"spam-recipients", required_argument, NULL, OPT_SR},
        {"novel-domains", required_argument, NULL, OPT_ND},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct run run = {0};
    struct parser_opts popts = {FMT_AUTO, 0};
    struct logscan_opts sopts = {0, false, 0, 65536, 5};
    struct engine_config cfg;
    engine_config_defaults(&cfg);
    size_t max_memory = 256u << 20;
    int progress = isatty(STDERR_FILENO);
    const char *asn_path = NULL;
    const char *state_path = NULL;
    int keys_given = 0;
    optind = 1;
    opterr = 0;
    int c, li = -1;
    while ((c = getopt_long(argc, argv, "+h", longopts, &li)) != -1) {
        char *end;
        long v;
        switch (c) {
        case OPT_JSON:
            run.json = 1;
            break;
        case OPT_BF:
        case OPT_BW:
        case OPT_KEYS:
        case OPT_SA:
        case OPT_SR:
        case OPT_ND:
            v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 100000000) {
                fprintf(stderr, "mailward analyze: --%s wants a positive number, not '%s'\n",
                        li >= 0 ? longopts[li].name : "?", optarg);
                return EXIT_USAGE;
            }
            if (c == OPT_BF)
                cfg.brute_failures = (uint32_t)v;
            else if (c == OPT_BW)
                cfg.brute_window_s = (uint32_t)(v < 10 ? 10 : v);
            else if (c == OPT_SA)
                cfg.spray_min_accounts = (uint32_t)(v < 2 ? 2 : v);
            else if (c == OPT_SR)
                cfg.spam_recipients_hour = (uint32_t)v;
            else if (c == OPT_ND)
                cfg.novel_domains = (uint32_t)(v > 32 ? 32 : v);
            else if (c == OPT_KEYS) {
                cfg.max_keys = (size_t)v;
                keys_given = 1;
            }
            break;
        case OPT_MEM:
            if (cli_parse_size(optarg, &max_memory) < 0 || max_memory < (16u << 20)) {
                fprintf(stderr, "mailward analyze: --max-memory wants a size of at least 16M "
                                "(e.g. 64M, 1G), not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_NOPROG:
            progress = 0;
            break;
        case OPT_ASNDB:
            asn_path = optarg;
            break;
        case OPT_STATE:
            state_path = optarg;
            break;
        case 'h':
            analyze_help(stdout);
            return EXIT_OK;
        default:
            switch (cli_log_option(c, "analyze", optarg, &popts, &sopts)) {
            case 1:
                continue;
            case -1:
                return EXIT_USAGE;
            }
            fprintf(stderr, "mailward analyze: unknown option '%s'; see 'mailward analyze --help'\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "mailward analyze: no FILE given; use '-' for standard input\n");
        return EXIT_USAGE;
    }
    if (!keys_given) {
        cfg.max_keys = engine_keys_for_memory(&cfg, max_memory);
        if (!cfg.max_keys) {
            fprintf(stderr, "mailward analyze: --max-memory is too small for any state\n");
            return EXIT_USAGE;
        }
    }
    char asn_buf[4096];
    if (!asn_path)
        asn_path = cli_asn_default_db(asn_buf, sizeof(asn_buf), 1);
    if (asn_path) {
        struct asn_err aerr;
        run.asn = asn_table_open(asn_path, &aerr);
        if (!run.asn)
            fprintf(stderr, "mailward analyze: %s: %s; findings will carry no ASNs\n", asn_path, aerr.msg);
    }
    engine_config_use_asn(&cfg, run.asn);
    int nsrc = argc - optind;
    struct source *src = xcalloc((size_t)nsrc, sizeof(*src));
    struct mw_parser *parser = parser_create(&popts);
    outbuf_init(&run.ob, 1 << 16);
    struct engine *eng = engine_create(&cfg, sink, &run);
    uint64_t problems = 0, events = 0, backwards = 0;
    if (state_path) {
        FILE *sf = fopen(state_path, "r");
        if (sf) {
            char err[128];
            if (engine_load_state(eng, sf, err, sizeof(err)) < 0) {
                fprintf(stderr, "mailward analyze: %s:%s; the rest of the state is not used\n", state_path, err);
                problems++;
            }
            fclose(sf);
        } else if (errno != ENOENT) {
            fprintf(stderr, "mailward analyze: %s: cannot read: %s; starting without state\n", state_path,
                    strerror(errno));
            problems++;
        }
    }
    for (int i = 0; i < nsrc; i++) {
        if (logscan_open(&src[i].ls, argv[optind + i], parser, &sopts) < 0) {
            problems++;
            continue;
        }
        src[i].open = 1;
        next_of(&src[i]);
    }
    int64_t last_us = INT64_MIN;
    for (;;) {
        int best = -1;
        for (int i = 0; i < nsrc; i++)
            if (src[i].has && (best < 0 || src[i].st.ev.time.epoch_us < src[best].st.ev.time.epoch_us))
                best = i;
        if (best < 0)
            break;
        const struct mw_event *ev = &src[best].st.ev;
        if (ev->time.epoch_us + 60 * 1000000LL < last_us && backwards++ < 5)
            fprintf(stderr, "mailward: %s:%llu: time goes backwards by %lld s (clock jump or unsorted log); "
                    "windows may undercount\n", ev->file, (unsigned long long)ev->line,
                    (long long)((last_us - ev->time.epoch_us) / 1000000));
        if (ev->time.epoch_us > last_us)
            last_us = ev->time.epoch_us;
        engine_event(eng, ev);
        events++;
        next_of(&src[best]);
        if (progress && (events & 0x3ffff) == 0)
            show_progress(src, nsrc, events, eng);
    }
    if (progress && events >= 0x40000)
        fputs("\r\033[K", stderr);
    engine_finish(eng);
    if (state_path && save_state(eng, state_path) < 0)
        problems++;
    uint64_t lines = parser_stats(parser)->lines;
    for (int i = 0; i < nsrc; i++) {
        if (src[i].open)
            problems += logscan_close(&src[i].ls);
        event_store_free(&src[i].st);
    }
    int rc = EXIT_OK;
    if (!run.json)
        report(eng, &run, lines, events, stdout);
    if (outbuf_flush(&run.ob, stdout) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "mailward analyze: cannot write output: %s\n", strerror(errno));
        rc = EXIT_INPUT;
    }
    engine_free(eng);
    if (run.asn)
        asn_table_close(run.asn);
    parser_free(parser);
    outbuf_free(&run.ob);
    free(src);
    if (rc == EXIT_OK && problems)
        rc = EXIT_INPUT;
    return rc;
}
