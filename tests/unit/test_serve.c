/* test_serve - the live daemon's decisions without sockets: the Dovecot and
 * Postfix request parsers, the guard (bans, delays, stale passwords), and
 * serve.c end to end with a real SQLite store in a temporary directory and
 * injected time (no sleeps): brute force rejected, a NAT office allowed, a
 * stale password delayed and told, a takeover flagged and its mail held,
 * bans and flags restored after a restart, release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/serve/config.h"
#include "../../src/serve/guard.h"
#include "../../src/serve/serve.h"
#include "../../src/serve/store.h"
#include "../../src/passwd/pwhash.h"
#include "../../src/passwd/pwlist.h"

#define T0 1795400000000000LL /* 2026-11-23, microseconds */
#define SEC 1000000LL

static char *feed_pf(struct pfpol_req *r, const char *text, enum pfpol_rc *last)
{
    const char *p = text;
    *last = PFPOL_MORE;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        *last = pfpol_feed(r, p, n);
        if (*last != PFPOL_MORE)
            return (char *)(nl ? nl + 1 : p + n);
        p = nl ? nl + 1 : p + n;
    }
    return (char *)p;
}

static void test_postfix_parse(void **state)
{
    (void)state;
    struct pfpol_req r;
    pfpol_init(&r, 4096);
    enum pfpol_rc rc;
    feed_pf(&r,
            "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\r\n"
            "client_address=192.0.2.7\nsasl_username=alice@example.com\nsender=alice@example.com\n"
            "recipient=bob@example.net\nrecipient_count=0\ninstance=1a2b.3c\nqueue_id=4ABC\nfuture_attr=x\n\n",
            &rc);
    assert_int_equal(rc, PFPOL_DONE);
    assert_true(r.is_policy);
    assert_int_equal(r.state, PFPOL_STATE_RCPT);
    assert_int_equal(r.sasl_username.n, strlen("alice@example.com"));
    assert_memory_equal(r.client_address.p, "192.0.2.7", 9);
    assert_int_equal(r.recipient_count, 0);
    assert_memory_equal(r.protocol_name.p, "ESMTP", 5); /* \r dropped */

    pfpol_reset(&r);
    feed_pf(&r, "request=smtpd_access_policy\nnot an attribute\n\n", &rc);
    assert_int_equal(rc, PFPOL_ERROR);

    pfpol_reset(&r);
    char big[6000];
    memset(big, 'a', sizeof(big));
    memcpy(big, "sender=", 7);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = 0;
    feed_pf(&r, big, &rc);
    assert_int_equal(rc, PFPOL_ERROR); /* over max_request */

    pfpol_reset(&r);
    feed_pf(&r, "\n", &rc);
    assert_int_equal(rc, PFPOL_ERROR); /* an empty request */

    pfpol_reset(&r);
    feed_pf(&r, "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nrecipient_count=12x\n\n", &rc);
    assert_int_equal(rc, PFPOL_DONE);
    assert_int_equal(r.state, PFPOL_STATE_EOM);
    assert_int_equal(r.recipient_count, -1); /* not a number: unknown */
}

static void test_dovecot_parse(void **state)
{
    (void)state;
    assert_int_equal(dovecot_command("command=allow"), DOVECOT_ALLOW);
    assert_int_equal(dovecot_command("x=1&command=report"), DOVECOT_REPORT);
    assert_int_equal(dovecot_command("command=allowed"), DOVECOT_NONE);
    assert_int_equal(dovecot_command(NULL), DOVECOT_NONE);
    struct dovecot_req r;
    char err[200];
    const char *ok = "{\"login\":\"alice\",\"pwhash\":\"8a1f\",\"remote\":\"192.0.2.7\",\"device_id\":\"\","
                     "\"protocol\":\"imap\",\"session_id\":\"abc\",\"success\":true,\"policy_reject\":false,"
                     "\"unknown\":{\"x\":1},\"fail_type\":\"credentials\"}";
    assert_int_equal(dovecot_parse(&r, ok, strlen(ok), err, sizeof(err)), 0);
    assert_int_equal(r.login.n, 5);
    assert_memory_equal(r.remote.p, "192.0.2.7", 9);
    assert_true(r.success);
    assert_false(r.policy_reject);
    assert_int_equal(dovecot_service(r.protocol), MW_SVC_IMAP);
    const char *strbool = "{\"success\":\"true\",\"login\":\"a\"}";
    assert_int_equal(dovecot_parse(&r, strbool, strlen(strbool), err, sizeof(err)), 0);
    assert_true(r.success);
    assert_int_equal(dovecot_parse(&r, "{\"login\":", 9, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "malformed JSON"));
    assert_int_equal(dovecot_parse(&r, "[1,2]", 5, err, sizeof(err)), -1);
    assert_int_equal(dovecot_parse(&r, "{\"login\":5}", 11, err, sizeof(err)), -1);
    char longv[3000] = "{\"login\":\"";
    memset(longv + 10, 'x', 1500);
    strcpy(longv + 1510, "\"}");
    assert_int_equal(dovecot_parse(&r, longv, strlen(longv), err, sizeof(err)), -1);
    char reply[64];
    dovecot_reply(reply, sizeof(reply), -1, "say \"no\"");
    assert_string_equal(reply, "{\"status\":-1,\"msg\":\"say \\\"no\\\"\"}");
}

static struct guard *mkguard(void)
{
    struct guard_config c = {3600, 3, 5, 3, 600, 1000, 1000, 10000};
    return guard_create(&c);
}

#define S(lit) MW_SLICE(lit, sizeof(lit) - 1)

static void test_guard_bans(void **state)
{
    (void)state;
    struct guard *g = mkguard();
    struct guard_ban b = {100, 200, 7, "password_spray"};
    assert_int_equal(guard_ban(g, "192.0.2.9/24", &b), 0);
    assert_int_equal(guard_ban(g, "2001:db8:1:2::/64", &b), 0);
    assert_int_equal(guard_ban(g, "not an address", &b), -1);
    char key[64];
    struct guard_ban got;
    assert_true(guard_banned(g, 150, S("192.0.2.77"), key, &got));
    assert_string_equal(key, "192.0.2.0/24");
    assert_int_equal(got.finding, 7);
    assert_false(guard_banned(g, 150, S("192.0.3.1"), key, &got));
    assert_true(guard_banned(g, 150, S("2001:db8:1:2::99"), key, &got));
    assert_false(guard_banned(g, 150, S("2001:db8:1:3::99"), key, &got));
    assert_false(guard_banned(g, 250, S("192.0.2.77"), key, &got)); /* expired */
    assert_int_equal(guard_unban(g, "2001:db8:1:2::/64"), 1);
    assert_false(guard_banned(g, 150, S("2001:db8:1:2::99"), key, &got));
    assert_int_equal(guard_unban(g, "198.51.100.1"), 0);
    guard_free(g);
}

static void test_guard_delays(void **state)
{
    (void)state;
    struct guard *g = mkguard();
    struct guard_decision d;
    struct guard_notice n;
    /* a guesser: failures with different passwords, delays growing to delay_max */
    for (int i = 0; i < 10; i++) {
        char pw[8];
        snprintf(pw, sizeof(pw), "p%d", i);
        guard_report(g, 1000 + i, S("192.0.2.1"), S("victim"), MW_SLICE(pw, strlen(pw)), false, &n);
        assert_false(n.stale);
    }
    guard_login(g, 1011, S("192.0.2.1"), S("victim"), S("px"), &d);
    assert_int_equal(d.verdict, GUARD_DELAY);
    assert_int_equal(d.status, 5);
    /* a NAT office: many successes, a few typos: no delay */
    for (int i = 0; i < 40; i++)
        guard_report(g, 1000 + i, S("198.51.100.5"), S("user"), S(""), true, &n);
    for (int i = 0; i < 5; i++)
        guard_report(g, 1050 + i, S("198.51.100.5"), S("typo"), S("t1"), false, &n);
    guard_login(g, 1060, S("198.51.100.5"), S("someone"), S("zz"), &d);
    assert_int_equal(d.verdict, GUARD_ALLOW);
    /* a stale phone: one password again and again: told once, delayed */
    int told = 0;
    for (int i = 0; i < 6; i++) {
        guard_report(g, 2000 + 60 * i, S("203.0.113.8"), S("bob"), S("0a1b"), false, &n);
        told += n.stale;
    }
    assert_int_equal(told, 1);
    guard_login(g, 2400, S("203.0.113.8"), S("bob"), S("0a1b"), &d);
    assert_int_equal(d.verdict, GUARD_DELAY);
    assert_string_equal(d.why, "stale_password");
    /* the new password works: the record goes */
    guard_report(g, 2410, S("203.0.113.8"), S("bob"), S("ffff"), true, &n);
    guard_free(g);
}

struct fixture {
    char dir[64];
    struct serve_config cfg;
    struct store *st;
    struct serve *s;
};

static void open_serve(struct fixture *f)
{
    char err[512];
    f->st = store_open(f->dir, err, sizeof(err));
    assert_non_null(f->st);
    f->s = serve_create(&f->cfg, f->st, NULL, err, sizeof(err));
    if (!f->s)
        fail_msg("serve_create: %s", err);
}

static void close_serve(struct fixture *f)
{
    serve_free(f->s);
    store_close(f->st);
    f->s = NULL;
    f->st = NULL;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/mw-test-serve-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    config_defaults(&f->cfg);
    char err[200];
    config_set(&f->cfg, "max_memory", "64M", err, sizeof(err));
    config_set(&f->cfg, "max_bans", "1000", err, sizeof(err));
    config_set(&f->cfg, "max_flags", "100", err, sizeof(err));
    config_set(&f->cfg, "log_level", "error", err, sizeof(err));
    open_serve(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->s)
        close_serve(f);
    config_free(&f->cfg);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static int dovecot(struct serve *s, int64_t t, enum dovecot_cmd cmd, const char *ip, const char *login,
                   const char *pw, int success)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"login\":\"%s\",\"pwhash\":\"%s\",\"remote\":\"%s\",\"protocol\":\"imap\",\"session_id\":\"s%lld\","
             "\"success\":%s,\"policy_reject\":false}",
             login, pw, ip, (long long)t, success ? "true" : "false");
    struct dovecot_req r;
    r.command = cmd;
    char err[200], reply[256];
    assert_int_equal(dovecot_parse(&r, body, strlen(body), err, sizeof(err)), 0);
    serve_dovecot(s, t, &r, reply, sizeof(reply));
    int status;
    assert_int_equal(sscanf(reply, "{\"status\":%d", &status), 1);
    return status;
}

static const char *postfix(struct serve *s, int64_t t, struct pf_session *ps, const char *text)
{
    static char reply[512];
    struct pfpol_req r;
    pfpol_init(&r, 65536);
    enum pfpol_rc rc;
    feed_pf(&r, text, &rc);
    assert_int_equal(rc, PFPOL_DONE);
    serve_postfix(s, t, ps, &r, reply, sizeof(reply));
    return reply;
}

static void count_held(const char *queue_id, void *ctx)
{
    assert_string_equal(queue_id, "ABCDEF123");
    (*(int *)ctx)++;
}

static void test_serve_brute_and_takeover(void **state)
{
    struct fixture *f = *state;
    int64_t t = T0;
    /* 10 guesses with different passwords from one address (brute_failures) */
    for (int i = 0; i < 10; i++) {
        char pw[16];
        snprintf(pw, sizeof(pw), "%04x", i);
        int st = dovecot(f->s, t, DOVECOT_ALLOW, "192.0.2.66", "carol", pw, 0);
        assert_true(st >= 0); /* not yet banned: at most delayed */
        dovecot(f->s, t + SEC / 2, DOVECOT_REPORT, "192.0.2.66", "carol", pw, 0);
        t += 5 * SEC;
    }
    /* now banned */
    assert_int_equal(dovecot(f->s, t, DOVECOT_ALLOW, "192.0.2.66", "carol", "9999", 0), -1);
    /* others are not */
    assert_int_equal(dovecot(f->s, t, DOVECOT_ALLOW, "198.51.100.3", "dave", "1234", 0), 0);
    /* the attacker's guess worked (Dovecot did not ask, or asked before the
     * ban): a success from a banned address flags the account */
    dovecot(f->s, t + SEC, DOVECOT_REPORT, "192.0.2.66", "carol", "beef", 1);
    struct pf_session ps = {0};
    const char *rcpt = "request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=carol\n"
                       "client_address=192.0.2.66\nsender=carol@example.com\nrecipient=x@spam.test\n"
                       "instance=i1\nqueue_id=ABCDEF123\n\n";
    const char *reply = postfix(f->s, t + 2 * SEC, &ps, rcpt);
    assert_non_null(strstr(reply, "action=HOLD"));
    reply = postfix(f->s, t + 3 * SEC, &ps,
                    "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nsasl_username=carol\n"
                    "client_address=192.0.2.66\nsender=carol@example.com\nrecipient_count=1\n"
                    "instance=i1\nqueue_id=ABCDEF123\n\n");
    assert_non_null(strstr(reply, "action=HOLD"));
    /* someone else's mail passes */
    struct pf_session ps2 = {0};
    reply = postfix(f->s, t + 3 * SEC, &ps2,
                    "request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=dave\n"
                    "client_address=198.51.100.3\nrecipient=friend@example.org\ninstance=i2\n\n");
    assert_string_equal(reply, "action=DUNNO\n\n");
    /* unauthenticated (port 25) mail is not ours to judge */
    reply = postfix(f->s, t + 3 * SEC, &ps2,
                    "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.66\n"
                    "recipient=postmaster@example.com\ninstance=i3\n\n");
    assert_string_equal(reply, "action=DUNNO\n\n");

    /* restart: the ban and the flag come back from SQLite */
    close_serve(f);
    open_serve(f);
    assert_int_equal(dovecot(f->s, t + 10 * SEC, DOVECOT_ALLOW, "192.0.2.66", "carol", "1", 0), -1);
    struct pf_session ps3 = {0};
    reply = postfix(f->s, t + 11 * SEC, &ps3, rcpt);
    assert_non_null(strstr(reply, "action=HOLD"));
    /* the held message was recorded with its queue id */
    int held = 0;
    assert_int_equal(store_held_of(f->st, "carol", count_held, &held), 0);
    assert_int_equal(held, 1);
    /* release: mail flows again; unban: the address may log in */
    assert_int_equal(serve_release(f->s, t + 12 * SEC, "carol"), 1);
    struct pf_session ps4 = {0};
    reply = postfix(f->s, t + 13 * SEC, &ps4, rcpt);
    assert_string_equal(reply, "action=DUNNO\n\n");
    assert_int_equal(serve_unban(f->s, "192.0.2.66"), 1);
    assert_true(dovecot(f->s, t + 14 * SEC, DOVECOT_ALLOW, "192.0.2.66", "carol", "1", 0) >= 0);
    /* the ban expires by itself after ban_seconds */
    assert_int_equal(serve_ban(f->s, t, "203.0.113.0/24", 60), 1);
    assert_int_equal(dovecot(f->s, t + 30 * SEC, DOVECOT_ALLOW, "203.0.113.9", "x", "1", 0), -1);
    assert_int_equal(dovecot(f->s, t + 61 * SEC, DOVECOT_ALLOW, "203.0.113.9", "x", "1", 0), 0);
}

/* Dovecot's second check (auth_policy_check_after_auth) refused: the
 * password was right, from a banned address: the account is flagged */
static void test_serve_after_auth_refusal(void **state)
{
    struct fixture *f = *state;
    int64_t t = T0;
    assert_int_equal(dovecot(f->s, t, DOVECOT_ALLOW, "192.0.2.99", "frank", "abcd", 0), 0);
    assert_int_equal(serve_ban(f->s, t, "192.0.2.0/24", 600), 1);
    /* same session (dovecot() derives the session from the time) */
    assert_int_equal(dovecot(f->s, t, DOVECOT_ALLOW, "192.0.2.99", "frank", "abcd", 0), -1);
    assert_non_null(guard_flagged(serve_guard(f->s), S("frank")));
    /* a first check refused (no earlier allow) flags nobody */
    assert_int_equal(dovecot(f->s, t + SEC, DOVECOT_ALLOW, "192.0.2.98", "grace", "abcd", 0), -1);
    assert_null(guard_flagged(serve_guard(f->s), S("grace")));
    /* an allowed login whose report came (wrong password), then a refused retry: nobody */
    assert_int_equal(dovecot(f->s, t + 2 * SEC, DOVECOT_ALLOW, "198.51.100.77", "heidi", "0001", 0), 0);
    dovecot(f->s, t + 2 * SEC, DOVECOT_REPORT, "198.51.100.77", "heidi", "0001", 0);
    assert_int_equal(serve_ban(f->s, t + 2 * SEC, "198.51.100.77", 600), 1);
    assert_int_equal(dovecot(f->s, t + 2 * SEC, DOVECOT_ALLOW, "198.51.100.77", "heidi", "0001", 0), -1);
    assert_null(guard_flagged(serve_guard(f->s), S("heidi")));
}

static void test_serve_stale_not_banned(void **state)
{
    struct fixture *f = *state;
    int64_t t = T0;
    int delayed = 0;
    /* a phone with an old password: 40 failures in an hour, one pwhash */
    for (int i = 0; i < 40; i++) {
        int st = dovecot(f->s, t, DOVECOT_ALLOW, "203.0.113.50", "erin", "5a5a", 0);
        assert_true(st >= 0); /* never rejected */
        delayed += st > 0;
        dovecot(f->s, t + SEC, DOVECOT_REPORT, "203.0.113.50", "erin", "5a5a", 0);
        t += 90 * SEC;
    }
    assert_true(delayed > 30);
    assert_int_equal(guard_nbans(serve_guard(f->s)), 0);
    assert_int_equal(serve_metrics(f->s)->stale_notices, 1);
}

static void keep_spray(const char *json, void *ctx)
{
    if (strstr(json, "\"password_spray\""))
        snprintf(ctx, 4096, "%s", json);
}

static void test_serve_spray_vs_office(void **state)
{
    struct fixture *f = *state;
    int64_t t = T0;
    /* an office NAT: 60 users log in, 6 mistype once */
    for (int i = 0; i < 60; i++) {
        char u[16];
        snprintf(u, sizeof(u), "staff%d", i);
        if (i % 10 == 0) {
            dovecot(f->s, t, DOVECOT_ALLOW, "198.51.100.20", u, "bad", 0);
            dovecot(f->s, t + SEC, DOVECOT_REPORT, "198.51.100.20", u, "bad", 0);
        }
        dovecot(f->s, t + 2 * SEC, DOVECOT_ALLOW, "198.51.100.20", u, "good", 0);
        dovecot(f->s, t + 3 * SEC, DOVECOT_REPORT, "198.51.100.20", u, "good", 1);
        t += 7 * SEC;
    }
    /* a spray: 8 addresses of one /24 try 30 accounts, one try each */
    for (int a = 0; a < 30; a++)
        for (int ip = 0; ip < 8; ip++) {
            char addr[32], u[16], pw[8];
            snprintf(addr, sizeof(addr), "192.0.2.%d", 10 + ip);
            snprintf(u, sizeof(u), "user%d", a);
            snprintf(pw, sizeof(pw), "%x", ip * 97 + a);
            dovecot(f->s, t, DOVECOT_ALLOW, addr, u, pw, 0);
            dovecot(f->s, t + SEC / 2, DOVECOT_REPORT, addr, u, pw, 0);
            t += 3 * SEC;
        }
    int rejected = 0;
    for (int ip = 0; ip < 8; ip++) {
        char addr[32];
        snprintf(addr, sizeof(addr), "192.0.2.%d", 10 + ip);
        rejected += dovecot(f->s, t, DOVECOT_ALLOW, addr, "user99", "x", 0) < 0;
    }
    assert_int_equal(rejected, 8);
    /* the spray finding carries the network's evidence, not one attempt's */
    char found[4096] = "";
    assert_int_equal(store_query_json(f->st, "findings", 0, 10, keep_spray, found), 0);
    assert_non_null(strstr(found, "\"password_spray\""));
    long accts = 0;
    const char *at = strstr(found, "\"accounts_tried\":");
    assert_non_null(at);
    accts = strtol(at + 17, NULL, 10);
    assert_true(accts >= 10);
    char key[64];
    struct guard_ban b;
    if (guard_banned(serve_guard(f->s), t / SEC, S("198.51.100.20"), key, &b))
        fail_msg("the office is banned: %s by %s #%llu", key, b.kind, (unsigned long long)b.finding);
    assert_int_equal(dovecot(f->s, t, DOVECOT_ALLOW, "198.51.100.20", "staff1", "good", 0), 0);
}

static void test_serve_cleartext(void **state)
{
    struct fixture *f = *state;
    /* as Dovecot 2.3.19 sends them with the docs/examples attributes */
    const char *clear = "{\"device_id\":\"\",\"local\":\"127.0.0.1\",\"local_port\":\"143\",\"login\":\"alice\","
                        "\"mech\":\"PLAIN\",\"protocol\":\"imap\",\"pwhash\":\"f6312fac\",\"remote\":\"127.0.0.5\","
                        "\"secured\":\"\",\"session_id\":\"qq\",\"success\":true,\"policy_reject\":false,\"tls\":false}";
    const char *sasl = "{\"login\":\"bob\",\"protocol\":\"smtp\",\"pwhash\":\"0a0a0a0a\",\"remote\":\"127.0.0.6\","
                       "\"secured\":\"secured\",\"session_id\":\"rr\",\"success\":true,\"policy_reject\":false,\"tls\":false}";
    struct dovecot_req r;
    char err[200], reply[256];
    r.command = DOVECOT_REPORT;
    assert_int_equal(dovecot_parse(&r, clear, strlen(clear), err, sizeof(err)), 0);
    serve_dovecot(f->s, T0, &r, reply, sizeof(reply));
    r.command = DOVECOT_REPORT;
    assert_int_equal(dovecot_parse(&r, sasl, strlen(sasl), err, sizeof(err)), 0);
    serve_dovecot(f->s, T0 + SEC, &r, reply, sizeof(reply));
    /* one cleartext_auth finding, for alice only */
    assert_int_equal(serve_metrics(f->s)->findings, 1);
}

/* with Dovecot's nonce and 32-bit pwhash: a success with a common password
 * is a weak_password notice; common passwords failing on many accounts are
 * one password sprayed (pwhash alone is per user and cannot show it) */
static void test_serve_weak_passwords(void **state)
{
    struct fixture *f = *state;
    char err[200];
    config_set(&f->cfg, "pwhash_nonce", "test-nonce", err, sizeof(err));
    config_set(&f->cfg, "pwhash_truncate", "32", err, sizeof(err));
    close_serve(f);
    open_serve(f);
    const char list[] = "123456\npassword\nqwerty\nwinter2025\nletmein\n";
    struct pwlist *pl = pwlist_from_memory(list, sizeof(list) - 1);
    assert_int_equal(serve_set_passwords(f->s, pl, err, sizeof(err)), 0);
    char h[PWHASH_HEX_MAX];
    /* a strong password: nothing */
    assert_true(pwhash_compute(PWHASH_SHA256, "test-nonce", "alice", "correct horse battery", 32, h) == 8);
    dovecot(f->s, T0, DOVECOT_REPORT, "198.51.100.7", "alice", h, 1);
    assert_int_equal(serve_metrics(f->s)->weak_passwords, 0);
    /* a common one */
    pwhash_compute(PWHASH_SHA256, "test-nonce", "bob", "qwerty", 32, h);
    dovecot(f->s, T0 + SEC, DOVECOT_REPORT, "198.51.100.8", "bob", h, 1);
    assert_int_equal(serve_metrics(f->s)->weak_passwords, 1);
    dovecot(f->s, T0 + 2 * SEC, DOVECOT_REPORT, "198.51.100.8", "bob", h, 1);
    assert_int_equal(serve_metrics(f->s)->weak_passwords, 1); /* told once */
    /* ... also after a restart */
    close_serve(f);
    open_serve(f);
    assert_int_equal(serve_set_passwords(f->s, pl, err, sizeof(err)), 0);
    dovecot(f->s, T0 + 3 * SEC, DOVECOT_REPORT, "198.51.100.8", "bob", h, 1);
    assert_int_equal(serve_metrics(f->s)->weak_passwords, 0);
    /* "letmein" tried on 6 accounts from 6 addresses of different networks */
    uint64_t before = serve_metrics(f->s)->findings;
    for (int i = 0; i < 6; i++) {
        char user[16], ip[32];
        snprintf(user, sizeof(user), "user%d", i);
        snprintf(ip, sizeof(ip), "203.0.%d.9", 10 + 20 * i);
        pwhash_compute(PWHASH_SHA256, "test-nonce", user, "letmein", 32, h);
        dovecot(f->s, T0 + (10 + i) * SEC, DOVECOT_REPORT, ip, user, h, 0);
    }
    assert_true(serve_metrics(f->s)->findings > before);
    char key[64];
    struct guard_ban b;
    assert_true(guard_banned(serve_guard(f->s), T0 / SEC + 20, S("203.0.10.9"), key, &b));
    assert_string_equal(b.kind, "password_spray");
    close_serve(f); /* serve borrows the list */
    pwlist_close(pl);
}

/* many brute-forcers: past max_findings the detectors start afresh; bans
 * made before stay, and brute-forcers after are still found */
static void test_serve_renewal(void **state)
{
    struct fixture *f = *state;
    char err[200];
    config_set(&f->cfg, "max_findings", "100", err, sizeof(err));
    close_serve(f);
    open_serve(f);
    int64_t t = T0;
    for (int b = 0; b < 250; b++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "10.%d.%d.1", b / 200, b % 200);
        for (int i = 0; i < 10; i++) {
            char pw[16];
            snprintf(pw, sizeof(pw), "%d-%d", b, i);
            dovecot(f->s, t, DOVECOT_REPORT, ip, "root", pw, 0);
            t += SEC / 10;
        }
    }
    assert_true(serve_metrics(f->s)->engine_renewals >= 2);
    assert_int_equal(dovecot(f->s, t, DOVECOT_ALLOW, "10.0.0.1", "root", "x", 0), -1);   /* the first */
    assert_int_equal(dovecot(f->s, t, DOVECOT_ALLOW, "10.1.49.1", "root", "x", 0), -1);  /* the last */
    assert_int_equal(guard_nbans(serve_guard(f->s)), 250);
}

/* the live path of account_takeover's new-address rule: a day of logins
 * from home (Dovecot reports), then a login from an address new to the
 * account and one message per contact, each at its own domain, through the
 * Postfix door: the 12th domain flags the account, and that message and
 * the next are held */
static void test_serve_drip_from_new_address(void **state)
{
    struct fixture *f = *state;
    int64_t t = T0;
    for (int i = 0; i < 8; i++) {
        dovecot(f->s, t, DOVECOT_REPORT, "198.51.100.20", "erin@example.com", "aaaa", 1);
        t += 2 * 3600 * SEC;
    }
    dovecot(f->s, t, DOVECOT_REPORT, "203.0.113.50", "erin@example.com", "aaaa", 1);
    for (int i = 1; i <= 13; i++) {
        char req[512];
        struct pf_session ps = {0};
        snprintf(req, sizeof(req),
                 "request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=erin@example.com\n"
                 "client_address=203.0.113.50\nsender=erin@example.com\nrecipient=contact%d@shop%d.example\n"
                 "instance=d%d\n\n",
                 i, i, i);
        const char *reply = postfix(f->s, t + i * 60 * SEC, &ps, req);
        if (i < 12)
            assert_string_equal(reply, "action=DUNNO\n\n");
        else
            assert_non_null(strstr(reply, "action=HOLD"));
    }
    /* a colleague's ordinary mail from her usual address passes */
    struct pf_session ps2 = {0};
    const char *reply = postfix(f->s, t + 20 * 60 * SEC, &ps2,
                                "request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=dave\n"
                                "client_address=198.51.100.3\nrecipient=friend@example.org\ninstance=x1\n\n");
    assert_string_equal(reply, "action=DUNNO\n\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_postfix_parse),
        cmocka_unit_test(test_dovecot_parse),
        cmocka_unit_test(test_guard_bans),
        cmocka_unit_test(test_guard_delays),
        cmocka_unit_test_setup_teardown(test_serve_brute_and_takeover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_stale_not_banned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_after_auth_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_spray_vs_office, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_cleartext, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_weak_passwords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_renewal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_drip_from_new_address, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
