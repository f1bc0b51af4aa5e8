/* test_takeover - det_account_takeover's baselines and watches, with the
 * time injected by the log lines themselves (no sleeps): a drip from an
 * address new to the account, the traveller it must leave alone, a new
 * country plus a new protocol, webmail on loopback, the sister domain, and
 * the --state format (old and new lines). */
#include "mwtest.h"
#include "../../src/engine/engine.h"

#include <stdarg.h>
#include <stdlib.h>

struct run {
    struct mw_parser *p;
    struct engine *e;
    int64_t t;           /* seconds since 2026-11-20T00:00:00Z */
    int qid, pid;
    char why[256];       /* the labels of the takeover finding of the account asked */
};

#define DAY (24 * 3600)

static uint16_t cc(const char *s)
{
    return (uint16_t)((uint8_t)s[0] << 8 | (uint8_t)s[1]);
}

/* the test's geography: 203.0.113.0/24 is abroad (FR), the rest at home */
static uint16_t country_of(void *ctx, struct mw_slice ip)
{
    (void)ctx;
    return ip.n > 11 && memcmp(ip.p, "203.0.113.", 10) == 0 ? cc("FR") : cc("DE");
}

static void line(struct run *r, const char *fmt, ...)
{
    char body[512], l[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    int64_t s = r->t;
    snprintf(l, sizeof(l), "2026-11-%02lldT%02lld:%02lld:%02lld.000000+00:00 mail %s", (long long)(20 + s / DAY),
             (long long)((s % DAY) / 3600), (long long)((s % 3600) / 60), (long long)(s % 60), body);
    struct mw_event ev;
    if (mwtest_parse(r->p, l, &ev))
        engine_event(r->e, &ev);
}

static void imap_login(struct run *r, const char *acct, const char *ip)
{
    r->pid++;
    line(r, "dovecot: imap-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=192.0.2.10, mpid=%d, TLS, "
            "session=<s%d>",
         acct, ip, r->pid, r->pid);
}

/* an authenticated submission from ip, one message to each of rcpts */
static void submit(struct run *r, const char *acct, const char *ip, const char *const *rcpts, int n)
{
    for (int i = 0; i < n; i++) {
        int q = ++r->qid;
        line(r, "postfix/submission/smtpd[%d]: 0000B%05X: client=unknown[%s], sasl_method=PLAIN, sasl_username=%s",
             100 + q % 50, q, ip, acct);
        line(r, "postfix/qmgr[10]: 0000B%05X: from=<%s>, size=2000, nrcpt=1 (queue active)", q, acct);
        line(r, "postfix/smtp[20]: 0000B%05X: to=<%s>, relay=mx.x.example[192.0.2.50]:25, delay=1, "
                "delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)",
             q, rcpts[i]);
        r->t += 60;
    }
}

static void labels_of(const struct finding *f, struct run *r)
{
    size_t n = 0;
    r->why[0] = 0;
    for (size_t i = 0; i < f->labels.n; i++)
        n += (size_t)snprintf(r->why + n, sizeof(r->why) - n, "%s%.*s", i ? "," : "", (int)f->labels.lens[i],
                              f->labels.items[i]);
}

/* the labels of acct's takeover finding, "" if none */
static const char *takeover(struct run *r, const char *acct)
{
    const struct finding *f = engine_finding_get(r->e, FK_ACCOUNT_TAKEOVER, acct, strlen(acct));
    r->why[0] = 0;
    if (f)
        labels_of(f, r);
    return r->why;
}

static void start(struct run *r, bool countries)
{
    memset(r, 0, sizeof(*r));
    struct parser_opts o = {FMT_AUTO, 64};
    r->p = parser_create(&o);
    struct engine_config c;
    engine_config_defaults(&c);
    if (countries)
        c.country_of = country_of;
    r->e = engine_create(&c, NULL, NULL);
}

static void stop(struct run *r)
{
    engine_free(r->e);
    parser_free(r->p);
}

/* a day and a half of ordinary use: logins from home, mail to two
 * correspondents, a colleague at the sister domain */
static void history(struct run *r, const char *acct)
{
    static const char *const usual[] = {"friend@usual.example", "boss@work.example", "colleague@example.net"};
    line(r, "dovecot: imap-login: Login: user=<someone@example.net>, method=PLAIN, rip=198.51.100.9, "
            "lip=192.0.2.10, mpid=1, TLS, session=<s0>");
    for (int i = 0; i < 12; i++) {
        imap_login(r, acct, "198.51.100.7");
        submit(r, acct, "198.51.100.7", usual, 3);
        r->t += 3 * 3600;
    }
}

static const char *const *drip_rcpts(void)
{
    static char buf[40][64];
    static const char *ptr[40];
    for (int i = 0; i < 40; i++) {
        snprintf(buf[i], sizeof(buf[i]), "contact%d@shop%d.example", i, i);
        ptr[i] = buf[i];
    }
    return ptr;
}

/* a login from an address new to the account, then one message per
 * contact, each at its own domain: flagged at the 12th domain */
static void test_drip_from_new_address(void **state)
{
    (void)state;
    struct run r;
    start(&r, false);
    history(&r, "bob@example.com");
    assert_string_equal(takeover(&r, "bob@example.com"), "");
    submit(&r, "bob@example.com", "198.18.44.9", drip_rcpts(), 11);
    assert_string_equal(takeover(&r, "bob@example.com"), "");
    submit(&r, "bob@example.com", "198.18.44.9", drip_rcpts() + 11, 1);
    assert_string_equal(takeover(&r, "bob@example.com"), "new_address_then_new_domains");
    stop(&r);
}

/* the same contacts mailed from the account's usual address: no watch */
static void test_drip_from_usual_address(void **state)
{
    (void)state;
    struct run r;
    start(&r, false);
    history(&r, "bob@example.com");
    submit(&r, "bob@example.com", "198.51.100.7", drip_rcpts(), 30);
    assert_string_equal(takeover(&r, "bob@example.com"), "");
    stop(&r);
}

/* the watch lasts an hour: 8 domains, a pause, 8 more is not 12 in an hour */
static void test_watch_expires(void **state)
{
    (void)state;
    struct run r;
    start(&r, false);
    history(&r, "bob@example.com");
    submit(&r, "bob@example.com", "198.18.44.9", drip_rcpts(), 8);
    r.t += 2 * 3600;
    submit(&r, "bob@example.com", "198.18.44.9", drip_rcpts() + 8, 8);
    assert_string_equal(takeover(&r, "bob@example.com"), "");
    stop(&r);
}

/* too little history: an account first seen an hour ago is not judged */
static void test_needs_history(void **state)
{
    (void)state;
    struct run r;
    start(&r, false);
    for (int i = 0; i < 6; i++) {
        imap_login(&r, "new@example.com", "198.51.100.7");
        r.t += 600;
    }
    submit(&r, "new@example.com", "198.18.44.9", drip_rcpts(), 30);
    assert_string_equal(takeover(&r, "new@example.com"), "");
    stop(&r);
}

/* a traveller: a correct first login abroad, then ordinary mail */
static void test_traveller(void **state)
{
    (void)state;
    struct run r;
    start(&r, true);
    history(&r, "ann@example.com");
    imap_login(&r, "ann@example.com", "203.0.113.5");
    static const char *const home[] = {"friend@usual.example", "boss@work.example", "mum@family.example",
                                       "hotel@booking.example"};
    submit(&r, "ann@example.com", "203.0.113.5", home, 4);
    assert_string_equal(takeover(&r, "ann@example.com"), "");
    stop(&r);
}

/* a new country and a protocol the account never used (it only read mail
 * over IMAP; now SMTP AUTH): a quarter of novel_recipients is enough */
static void test_new_country_and_protocol(void **state)
{
    (void)state;
    struct run r;
    start(&r, true);
    for (int i = 0; i < 12; i++) {
        imap_login(&r, "cid@example.com", "198.51.100.7");
        r.t += 3 * 3600;
    }
    static char buf[30][48];
    static const char *rc[30];
    for (int i = 0; i < 30; i++) {
        snprintf(buf[i], sizeof(buf[i]), "victim%d@bigmail.example", i);
        rc[i] = buf[i];
    }
    submit(&r, "cid@example.com", "203.0.113.77", rc, 24);
    assert_string_equal(takeover(&r, "cid@example.com"), "");
    submit(&r, "cid@example.com", "203.0.113.77", rc + 24, 1);
    const char *why = takeover(&r, "cid@example.com");
    assert_non_null(strstr(why, "new_country_then_mass_mail"));
    assert_non_null(strstr(why, "new_protocol"));
    stop(&r);
}

/* webmail on the host itself logs in from 127.0.0.1: not a new place */
static void test_loopback_is_no_new_address(void **state)
{
    (void)state;
    struct run r;
    start(&r, true);
    history(&r, "dan@example.com");
    imap_login(&r, "dan@example.com", "127.0.0.1");
    submit(&r, "dan@example.com", "127.0.0.1", drip_rcpts(), 30);
    assert_string_equal(takeover(&r, "dan@example.com"), "");
    stop(&r);
}

/* --state: what is saved loads back, and a line of the older format
 * (networks only) still loads; junk is refused with its line */
static void test_state_roundtrip(void **state)
{
    (void)state;
    struct run r;
    start(&r, true);
    history(&r, "bob@example.com");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(engine_save_state(r.e, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "account_takeover\tbob@example.com\t"));
    assert_non_null(strstr(buf, "\tDE\t"));
    stop(&r);

    struct run r2;
    start(&r2, true);
    f = fmemopen(buf, len, "r");
    char err[128];
    assert_int_equal(engine_load_state(r2.e, f, err, sizeof(err)), 0);
    fclose(f);
    /* the loaded baseline alone is history: the drip is caught at once */
    r2.t = 2 * DAY;
    submit(&r2, "bob@example.com", "198.18.44.9", drip_rcpts(), 12);
    assert_string_equal(takeover(&r2, "bob@example.com"), "new_address_then_new_domains");
    stop(&r2);
    free(buf);

    struct run r3;
    start(&r3, false);
    static const char old[] = "mailward-state 1\naccount_takeover\told@example.com\t1763600000000000\t9\t0a0b0c0d,01020304\n";
    f = fmemopen((void *)old, sizeof(old) - 1, "r");
    assert_int_equal(engine_load_state(r3.e, f, err, sizeof(err)), 0);
    fclose(f);
    static const char bad[] = "mailward-state 1\naccount_takeover\tx@example.com\t1\t9\t0a0b0c0d\tzz\n";
    f = fmemopen((void *)bad, sizeof(bad) - 1, "r");
    assert_int_equal(engine_load_state(r3.e, f, err, sizeof(err)), -1);
    assert_string_equal(err, "2: malformed account_takeover record");
    fclose(f);
    stop(&r3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drip_from_new_address),
        cmocka_unit_test(test_drip_from_usual_address),
        cmocka_unit_test(test_watch_expires),
        cmocka_unit_test(test_needs_history),
        cmocka_unit_test(test_traveller),
        cmocka_unit_test(test_new_country_and_protocol),
        cmocka_unit_test(test_loopback_is_no_new_address),
        cmocka_unit_test(test_state_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
