/*
 * serve_flood - the live daemon's decisions under a flood of distinct
 * addresses, without sockets: N Dovecot failure reports from N distinct
 * addresses (IPv4 and IPv6, random accounts) go through serve.c with a
 * memory cap, while one brute-forcer and one ordinary user keep coming
 * back. Passes if the brute-forcer is rejected at the end, the ordinary
 * user is allowed, and the peak RSS stays under the cap plus the fixed
 * overhead of the process (libraries, SQLite's cache, buffers).
 *
 * Usage: serve_flood N MAX_MEMORY_MB STATE_DIR   (prints a JSON line)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../../src/serve/serve.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int report(struct serve *s, int64_t t, const char *ip, const char *login, const char *pw, int success,
                  enum dovecot_cmd cmd)
{
    char body[512], reply[256], err[200];
    snprintf(body, sizeof(body),
             "{\"login\":\"%s\",\"pwhash\":\"%s\",\"remote\":\"%s\",\"protocol\":\"imap\",\"session_id\":\"\","
             "\"success\":%s,\"policy_reject\":false,\"tls\":true}",
             login, pw, ip, success ? "true" : "false");
    struct dovecot_req r;
    r.command = cmd;
    if (dovecot_parse(&r, body, strlen(body), err, sizeof(err)) < 0) {
        fprintf(stderr, "serve_flood: %s\n", err);
        exit(2);
    }
    serve_dovecot(s, t, &r, reply, sizeof(reply));
    int status = 0;
    sscanf(reply, "{\"status\":%d", &status);
    return status;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: serve_flood N MAX_MEMORY_MB STATE_DIR\n");
        return 2;
    }
    long n = atol(argv[1]);
    long mb = atol(argv[2]);
    char err[512];
    struct store *st = store_open(argv[3], err, sizeof(err));
    if (!st) {
        fprintf(stderr, "serve_flood: %s\n", err);
        return 2;
    }
    struct serve_config c;
    config_defaults(&c);
    char v[32];
    snprintf(v, sizeof(v), "%ldM", mb);
    config_set(&c, "max_memory", v, err, sizeof(err));
    config_set(&c, "max_bans", "20000", err, sizeof(err));
    config_set(&c, "max_flags", "2000", err, sizeof(err));
    config_set(&c, "log_level", "error", err, sizeof(err));
    struct serve *s = serve_create(&c, st, NULL, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "serve_flood: %s\n", err);
        return 2;
    }
    int64_t t = 1795400000000000LL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int brute_rejected = 0, user_rejected = 0;
    for (long i = 0; i < n; i++) {
        uint64_t r = next();
        char ip[64], login[32], pw[16];
        if (r & 1)
            snprintf(ip, sizeof(ip), "%u.%u.%u.%u", (unsigned)(11 + (r >> 8) % 200), (unsigned)(r >> 16) & 255,
                     (unsigned)(r >> 24) & 255, (unsigned)(r >> 32) & 255);
        else
            snprintf(ip, sizeof(ip), "2001:db8:%x:%x::%x", (unsigned)(r >> 8) & 0xffff, (unsigned)(r >> 24) & 0xffff,
                     (unsigned)(r >> 40) & 0xffff);
        snprintf(login, sizeof(login), "u%u", (unsigned)(r >> 48) % 50000);
        snprintf(pw, sizeof(pw), "%08x", (unsigned)(r >> 20));
        report(s, t, ip, login, pw, 0, DOVECOT_REPORT);
        if (i % 50000 == 0) {
            /* the brute-forcer: 10 guesses within a minute, every so often */
            for (int k = 0; k < 10; k++) {
                snprintf(pw, sizeof(pw), "bf%06x", (unsigned)(next() & 0xffffff));
                report(s, t, "192.0.2.66", "victim", pw, 0, DOVECOT_REPORT);
            }
            /* the ordinary user logs in */
            report(s, t, "198.51.100.20", "alice", "a1a1a1a1", 1, DOVECOT_REPORT);
        }
        if (i % 1000 == 0)
            serve_tick(s, t);
        t += 20; /* 50,000 requests a second of log time */
    }
    for (int k = 0; k < 10; k++) {
        char pw[16];
        snprintf(pw, sizeof(pw), "bf%06x", k);
        report(s, t, "192.0.2.66", "victim", pw, 0, DOVECOT_REPORT);
    }
    brute_rejected = report(s, t, "192.0.2.66", "victim", "x", 0, DOVECOT_ALLOW) < 0;
    user_rejected = report(s, t, "198.51.100.20", "alice", "a1a1a1a1", 0, DOVECOT_ALLOW) < 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("{\"requests\":%ld,\"seconds\":%.2f,\"requests_per_s\":%.0f,\"max_memory_mb\":%ld,\"peak_rss_mb\":%.1f,"
           "\"brute_force_rejected\":%s,\"ordinary_user_allowed\":%s,\"detector_memory_mb\":%.1f}\n",
           n, secs, (double)n / secs, mb, (double)ru.ru_maxrss / 1024.0, brute_rejected ? "true" : "false",
           user_rejected ? "false" : "true", (double)serve_memory(s) / 1048576.0);
    serve_free(s);
    store_close(st);
    config_free(&c);
    return brute_rejected && !user_rejected ? 0 : 1;
}
