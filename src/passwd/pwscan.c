/*
 * pwscan - passwd-file auditing driver: read, parse, batch, report (pwscan.h).
 */
#include "pwscan.h"

#include "pwcheck.h"
#include "pwlist.h"

#include "../util/linereader.h"
#include "../util/outbuf.h"
#include "../util/xalloc.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define LINE_MAX_BYTES 65536

struct scan {
    const struct pwscan_opts *o;
    FILE *out, *err;
    struct pwscan_summary *s;
    struct outbuf ob;
    struct pwaudit_item *items;
    size_t n;
    /* progress */
    uint64_t bytes_total, bytes_before, batch_bytes;
    struct timespec t0;
    int shown;
};

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
    struct scan *sc = arg;
    if (!sc->o->progress)
        return;
    double el = since(&sc->t0);
    double frac = total ? (double)done / (double)total : 1;
    uint64_t hashes = sc->s->hashes + done;
    char eta[48] = "";
    if (sc->bytes_total) {
        double all = ((double)sc->bytes_before + frac * (double)sc->batch_bytes) / (double)sc->bytes_total;
        if (all > 0.001 && all <= 1) {
            double rest = el / all - el;
            snprintf(eta, sizeof(eta), "%3.0f%%  ETA %d:%02d", all * 100, (int)(rest / 60), (int)rest % 60);
        }
    }
    fprintf(sc->err, "\r\033[K  passwd audit: %s  %llu accounts, %llu guesses (%.0f/s), %llu weak", eta,
            (unsigned long long)(sc->s->accounts), (unsigned long long)hashes, el > 0 ? (double)hashes / el : 0.0,
            (unsigned long long)sc->s->weak_accounts);
    fflush(sc->err);
    sc->shown = 1;
}

/* say - a message about the input on err, bytes from the file made safe */
static void say(struct scan *sc, const char *file, uint64_t line, const char *msg)
{
    if (sc->shown) {
        fprintf(sc->err, "\r\033[K");
        sc->shown = 0;
    }
    char safe[1024];
    size_t k = 0;
    for (const char *p = msg; *p && k + 1 < sizeof(safe); p++)
        safe[k++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    safe[k] = '\0';
    if (line)
        fprintf(sc->err, "mailward passwd audit: %s:%llu: %s\n", file, (unsigned long long)line, safe);
    else
        fprintf(sc->err, "mailward passwd audit: %s: %s\n", file, safe);
}

static void finding(struct scan *sc, const struct pwaudit_item *it, const char *reason, const char *detail,
                    const char *pw)
{
    struct outbuf *ob = &sc->ob;
    const char *scheme = pwfile_scheme_name(it->e.scheme);
    sc->s->findings++;
    if (sc->o->json) {
        outbuf_puts_lit(ob, "{\"file\":");
        outbuf_put_json_string(ob, it->file, strlen(it->file));
        outbuf_puts_lit(ob, ",\"line\":");
        outbuf_put_u64(ob, it->line);
        outbuf_puts_lit(ob, ",\"account\":");
        outbuf_put_json_string(ob, it->e.user, strlen(it->e.user));
        outbuf_puts_lit(ob, ",\"scheme\":");
        outbuf_put_json_string(ob, scheme, strlen(scheme));
        outbuf_puts_lit(ob, ",\"reason\":");
        outbuf_put_json_string(ob, reason, strlen(reason));
        outbuf_puts_lit(ob, ",\"detail\":");
        outbuf_put_json_string(ob, detail, strlen(detail));
        if (pw && sc->o->show) {
            outbuf_puts_lit(ob, ",\"password\":");
            outbuf_put_json_string(ob, pw, strlen(pw));
        }
        outbuf_puts_lit(ob, "}\n");
    } else {
        outbuf_puts(ob, it->file);
        outbuf_putc(ob, ':');
        outbuf_put_u64(ob, it->line);
        outbuf_putc(ob, ' ');
        outbuf_put_text(ob, it->e.user, strlen(it->e.user));
        outbuf_puts_lit(ob, " {");
        outbuf_puts(ob, scheme);
        outbuf_puts_lit(ob, "} ");
        outbuf_puts(ob, reason);
        outbuf_puts_lit(ob, ": ");
        outbuf_puts(ob, detail);
        if (pw && sc->o->show) {
            outbuf_puts_lit(ob, " password: ");
            outbuf_put_text(ob, pw, strlen(pw));
        }
        outbuf_putc(ob, '\n');
    }
}

static void report(struct scan *sc, struct pwaudit_item *it)
{
    char detail[400];
    int weak = 0;
    const char *why = pwfile_scheme_weakness(it->e.scheme);
    if (why) {
        finding(sc, it, "weak_scheme", why, NULL);
        sc->s->weak_schemes++;
        weak = 1;
    }
    if (it->failed) {
        char msg[PWFILE_USER_MAX + 240];
        snprintf(msg, sizeof(msg), "account %s: the hash could not be checked: %s", it->e.user, it->error);
        say(sc, it->file, it->line, msg);
        sc->s->bad = 1;
    }
    if (it->found >= 0) {
        if (it->source == PWA_LIST)
            snprintf(detail, sizeof(detail), "the password is one of the most common (rank %ld of the list)",
                     it->rank + 1);
        else
            snprintf(detail, sizeof(detail), "the password is built from the account name");
        finding(sc, it, "guessed", detail, it->found_pw);
        sc->s->guessed++;
        weak = 1;
    } else if (it->e.scheme == PWS_PLAIN) {
        /* readable: judge it by the same rules as a new password */
        struct pwcheck_opts co;
        pwcheck_defaults(&co);
        co.list = sc->o->audit.list;
        co.user = it->e.user;
        struct pwcheck_result r;
        if (!pwcheck_run(&co, it->e.hash, it->e.hash_len, &r)) {
            size_t k = 0;
            k += (size_t)snprintf(detail, sizeof(detail), "the password fails the rules:");
            for (size_t i = 0; i < r.nreasons && k < sizeof(detail); i++)
                k += (size_t)snprintf(detail + k, sizeof(detail) - k, "%s%s", i ? ", " : " ",
                                      pwcheck_code_name(r.reasons[i].code));
            finding(sc, it, "weak_password", detail, it->e.hash);
            sc->s->weak_plain++;
            weak = 1;
        }
    }
    sc->s->weak_accounts += (uint64_t)weak;
}

static void flush_batch(struct scan *sc)
{
    if (!sc->n)
        return;
    sc->s->hashes += pwaudit_run(&sc->o->audit, sc->items, sc->n, progress, sc);
    for (size_t i = 0; i < sc->n; i++) {
        report(sc, &sc->items[i]);
        pwaudit_item_clear(&sc->items[i]);
    }
    if (sc->shown) {
        fprintf(sc->err, "\r\033[K");
        sc->shown = 0;
    }
    if (outbuf_flush(&sc->ob, sc->out) < 0)
        sc->s->bad = 1;
    fflush(sc->out);
    sc->n = 0;
    sc->bytes_before += sc->batch_bytes;
    sc->batch_bytes = 0;
}

static void scan_file(struct scan *sc, const char *file)
{
    struct linereader lr;
    if (linereader_open(&lr, file, LINE_MAX_BYTES) < 0) {
        say(sc, file, 0, lr.err);
        sc->s->bad = 1;
        return;
    }
    const char *line;
    size_t len;
    uint64_t accounts = 0, pos = 0;
    char err[300];
    int rc;
    while ((rc = linereader_next(&lr, &line, &len)) > 0) {
        if (lr.flags & LR_TOO_LONG) {
            snprintf(err, sizeof(err), "line longer than %d bytes, skipped", LINE_MAX_BYTES);
            say(sc, file, lr.lineno, err);
            sc->s->bad_lines++;
            sc->s->bad = 1;
            continue;
        }
        struct pwaudit_item *it = &sc->items[sc->n];
        int p = pwfile_parse(line, len, &it->e, err, sizeof(err));
        if (p < 0) {
            say(sc, file, lr.lineno, err);
            sc->s->bad_lines++;
            sc->s->bad = 1;
            continue;
        }
        if (p == 0)
            continue;
        it->file = file;
        it->line = lr.lineno;
        sc->n++;
        accounts++;
        sc->s->accounts++;
        if (sc->n == sc->o->batch) {
            uint64_t now = linereader_position(&lr);
            sc->batch_bytes = now - pos;
            pos = now;
            flush_batch(sc);
        }
    }
    if (rc < 0) {
        say(sc, file, lr.lineno + 1, lr.err);
        sc->s->bad = 1;
    }
    sc->batch_bytes = linereader_position(&lr) - pos;
    flush_batch(sc); /* before the file name goes away */
    if (!accounts && rc >= 0) {
        say(sc, file, 0, lr.lineno ? "no accounts in the file" : "empty file: no accounts");
        sc->s->bad = 1;
    }
    linereader_close(&lr);
}

int pwscan_run(const struct pwscan_opts *o, char *const *files, int nfiles, FILE *out, FILE *err,
               struct pwscan_summary *s)
{
    struct scan sc;
    memset(&sc, 0, sizeof(sc));
    memset(s, 0, sizeof(*s));
    struct pwscan_opts oo = *o;
    if (!oo.batch)
        oo.batch = 1024;
    sc.o = &oo;
    sc.out = out;
    sc.err = err;
    sc.s = s;
    outbuf_init(&sc.ob, 1 << 16);
    sc.items = xcalloc(oo.batch, sizeof(*sc.items));
    for (int i = 0; i < nfiles; i++) {
        struct stat st;
        if (strcmp(files[i], "-") != 0 && stat(files[i], &st) == 0 && S_ISREG(st.st_mode))
            sc.bytes_total += (uint64_t)st.st_size;
    }
    clock_gettime(CLOCK_MONOTONIC, &sc.t0);
    for (int i = 0; i < nfiles; i++)
        scan_file(&sc, files[i]);
    s->seconds = since(&sc.t0);
    outbuf_free(&sc.ob);
    free(sc.items);
    return s->bad ? -1 : 0;
}
