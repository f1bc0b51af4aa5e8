/* test_milter - the milter's content traits (milter_traits.c: Subject
 * decoding and comparison, MIME part choice, transfer decoding, HTML to
 * text, one-link and short-link bodies, the body cap) and serve_content
 * (serve.c) with a real SQLite store in a temporary directory and injected
 * time: a wave message alone passes, the second flags the account and is
 * held, held once per queue id, scores decay, legitimate mail never adds,
 * release starts over, flagged_action defer/reject, a flag from elsewhere
 * holds the mail too. No sockets, no threads, no sleeps. */
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
#include "../../src/serve/milter_traits.h"
#include "../../src/serve/serve.h"
#include "../../src/serve/store.h"

#define T0 1795400000000000LL /* 2026-11-23, microseconds */
#define SEC 1000000LL

/* ---- traits ---- */

static void traits_of(const char *account, const char *subject, const char *ctype, const char *cte,
                      const char *body, struct content_traits *t)
{
    struct content_msg m;
    content_msg_init(&m, 4096);
    snprintf(m.account, sizeof(m.account), "%s", account);
    snprintf(m.sender, sizeof(m.sender), "%s", account);
    m.rcpts = 1;
    if (subject)
        content_msg_header(&m, "Subject", subject);
    if (ctype)
        content_msg_header(&m, "Content-Type", ctype);
    if (cte)
        content_msg_header(&m, "Content-Transfer-Encoding", cte);
    content_msg_body(&m, (const unsigned char *)body, strlen(body));
    content_msg_traits(&m, t);
    content_msg_free(&m);
}

static void test_subject(void **state)
{
    (void)state;
    char out[128];
    content_decode_subject("  =?UTF-8?B?YWxpY2U=?=  ", out, sizeof(out));
    assert_string_equal(out, "alice");
    content_decode_subject("=?utf-8?q?al?= =?utf-8?q?ice?=", out, sizeof(out));
    assert_string_equal(out, "alice"); /* space between encoded words dropped */
    content_decode_subject("=?ISO-8859-1?Q?Hello_World?= now", out, sizeof(out));
    assert_string_equal(out, "Hello World now");
    content_decode_subject("Re:\r\n\tthe  plan", out, sizeof(out));
    assert_string_equal(out, "Re: the plan");
    content_decode_subject("=?bogus", out, sizeof(out));
    assert_string_equal(out, "=?bogus");
    content_decode_subject("abcdefgh", out, 4);
    assert_string_equal(out, "abc");

    assert_true(content_subject_is_user("alice", "alice@example.com", ""));
    assert_true(content_subject_is_user("ALICE", "alice@example.com", ""));
    assert_true(content_subject_is_user("Alice@Example.com", "alice@example.com", ""));
    assert_true(content_subject_is_user("a.smith", "alice", "a.smith@example.com")); /* the sender */
    assert_true(content_subject_is_user("bob", "bob", NULL));
    assert_false(content_subject_is_user("alice and bob", "alice@example.com", ""));
    assert_false(content_subject_is_user("", "alice@example.com", ""));
    assert_false(content_subject_is_user("example.com", "alice@example.com", ""));
}

static void test_bodies(void **state)
{
    (void)state;
    struct content_traits t;
    /* the wave: Subject = user name, the body one link */
    traits_of("alice@example.com", "alice", NULL, NULL, "http://evil.example/a?b=1\r\n", &t);
    assert_true(t.subject_is_user);
    assert_false(t.subject_empty);
    assert_true(t.body_one_link);
    assert_false(t.body_short_link);
    assert_int_equal(t.links, 1);

    /* whitespace, a closing line and a signature do not hide it */
    traits_of("alice@example.com", "=?UTF-8?B?YWxpY2U=?=", NULL, NULL,
              "\r\n\r\n   https://evil.example/x   \r\n\r\nAlice\r\n-- \r\nAlice Smith, ACME\r\n+1 555 0100\r\n", &t);
    assert_true(t.subject_is_user);
    assert_true(t.body_one_link);

    /* one link and a sentence: short, not "one link" */
    traits_of("alice@example.com", "the report", NULL, NULL,
              "Hi Bob,\r\nhere is the report we talked about: https://docs.example/r/1\r\nCheers\r\n", &t);
    assert_false(t.subject_is_user);
    assert_false(t.body_one_link);
    assert_true(t.body_short_link);

    /* a letter with two links: no link trait */
    traits_of("alice@example.com", "links", NULL, NULL, "see https://a.example/ and https://b.example/\r\n", &t);
    assert_int_equal(t.links, 2);
    assert_false(t.body_one_link);
    assert_false(t.body_short_link);

    /* the same URL twice is one link */
    traits_of("alice@example.com", "x", NULL, NULL, "https://a.example/p\r\n<https://a.example/p>\r\n", &t);
    assert_int_equal(t.links, 1);
    assert_true(t.body_one_link);

    /* a long letter with one link */
    char longbody[2000];
    memset(longbody, 'w', sizeof(longbody));
    for (size_t i = 9; i < sizeof(longbody); i += 10)
        longbody[i] = ' ';
    memcpy(longbody, "https://x", 9);
    longbody[sizeof(longbody) - 1] = 0;
    traits_of("alice@example.com", "x", NULL, NULL, longbody, &t);
    assert_false(t.body_one_link);
    assert_false(t.body_short_link);

    /* no Subject at all; an empty one */
    traits_of("alice@example.com", NULL, NULL, NULL, "hello\r\n", &t);
    assert_true(t.subject_empty);
    traits_of("alice@example.com", "   ", NULL, NULL, "hello\r\n", &t);
    assert_true(t.subject_empty);
    assert_int_equal(t.links, 0);
}

static void test_mime(void **state)
{
    (void)state;
    struct content_traits t;
    /* HTML: the link's text is the link; tags, styles and entities go */
    traits_of("bob@example.com", "bob", "text/html; charset=utf-8", NULL,
              "<html><head><title>x</title><style>p{color:red}</style></head><body>"
              "<p><a href=\"https://evil.example/?a=1&amp;b=2\">Click here to see</a></p>&nbsp;</body></html>\r\n",
              &t);
    assert_true(t.subject_is_user);
    assert_true(t.body_one_link);

    /* multipart/alternative, quoted-printable plain part, base64 html part */
    traits_of("bob@example.com", "bob", "multipart/alternative;\r\n boundary=\"==b1==\"", NULL,
              "This is a multi-part message in MIME format.\r\n"
              "--==b1==\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
              "https://evil.example/a-very-long-path-that-is-wrapped-by-the-qp-enco=\r\nder\r\n"
              "--==b1==\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              "PGEgaHJlZj0iaHR0cHM6Ly9ldmlsLmV4YW1wbGUvIj54PC9hPg==\r\n"
              "--==b1==--\r\n",
              &t);
    assert_true(t.body_one_link);
    assert_int_equal(t.links, 1);

    /* mixed > alternative > html only, base64 */
    traits_of("bob@example.com", "hi", "multipart/mixed; boundary=outer", NULL,
              "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
              "--inner\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              "PGEgaHJlZj0iaHR0cHM6Ly9ldmlsLmV4YW1wbGUvIj54PC9hPg==\r\n"
              "--inner--\r\n"
              "--outer\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
              "--outer--\r\n",
              &t);
    assert_true(t.body_one_link);

    /* a photo without text: no link, no text */
    traits_of("bob@example.com", "", "multipart/mixed; boundary=b", NULL,
              "--b\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--b--\r\n", &t);
    assert_int_equal(t.links, 0);
    assert_true(t.subject_empty);

    /* the body cap: a longer body has no link trait */
    struct content_msg m;
    content_msg_init(&m, 1024);
    snprintf(m.account, sizeof(m.account), "carol");
    content_msg_header(&m, "Subject", "carol");
    const char *link = "https://evil.example/\r\n";
    content_msg_body(&m, (const unsigned char *)link, strlen(link));
    char pad[2048];
    memset(pad, ' ', sizeof(pad));
    content_msg_body(&m, (const unsigned char *)pad, sizeof(pad));
    assert_int_equal(m.body_n, 1024);
    content_msg_traits(&m, &t);
    assert_true(t.truncated);
    assert_false(t.body_one_link);
    assert_true(t.subject_is_user);
    content_msg_reset(&m);
    assert_int_equal(m.body_n, 0);
    assert_int_equal(m.body_max, 1024);
    content_msg_free(&m);

    char txt[200];
    struct content_traits all = {.subject_is_user = true, .body_one_link = true, .rcpts = 30};
    content_traits_text(&all, 20, txt, sizeof(txt));
    assert_string_equal(txt, "subject is the user name, body is one link, many recipients");
    content_traits_text(&all, 20, txt, 12);
    assert_int_equal(strlen(txt), 11);
}

/* ---- serve_content ---- */

struct fixture {
    char dir[64];
    struct serve_config cfg;
    struct store *st;
    struct serve *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/mw-test-milter-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    config_defaults(&f->cfg);
    char err[512];
    config_set(&f->cfg, "max_memory", "64M", err, sizeof(err));
    config_set(&f->cfg, "max_bans", "1000", err, sizeof(err));
    config_set(&f->cfg, "max_flags", "100", err, sizeof(err));
    config_set(&f->cfg, "log_level", "error", err, sizeof(err));
    f->st = store_open(f->dir, err, sizeof(err));
    if (!f->st)
        return -1;
    f->s = serve_create(&f->cfg, f->st, NULL, err, sizeof(err));
    if (!f->s)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    serve_free(f->s);
    store_close(f->st);
    config_free(&f->cfg);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static const struct content_traits WAVE = {.subject_is_user = true, .body_one_link = true, .rcpts = 1, .links = 1};
static const struct content_traits PLAIN = {.rcpts = 3};
static const struct content_traits SUBJECTLESS_LIST = {.subject_empty = true, .rcpts = 200};

static enum content_verdict judge(struct serve *s, int64_t t, const char *acct, const char *qid,
                                  const struct content_traits *tr, char *reason)
{
    struct content_envelope env = {acct, qid, acct, "192.0.2.10"};
    char r[200];
    return serve_content(s, t, tr, &env, reason ? reason : r, 200);
}

static void count_row(const char *json, void *ctx)
{
    (void)json;
    (*(int *)ctx)++;
}

static int rows(struct store *st, const char *what)
{
    int n = 0;
    store_query_json(st, what, 0, 1000, count_row, &n);
    return n;
}

static void test_content_wave(void **state)
{
    struct fixture *f = *state;
    struct serve *s = f->s;
    char reason[200];
    /* the first wave message alone: 8 < 10, accepted */
    assert_int_equal(judge(s, T0, "alice@example.com", "Q1", &WAVE, reason), CONTENT_ACCEPT);
    assert_null(guard_flagged(serve_guard(s), MW_SLICE_LIT("alice@example.com")));
    /* the second a minute later: 8 * 2^(-60/3600) + 8 >= 10: flagged, held */
    assert_int_equal(judge(s, T0 + 60 * SEC, "alice@example.com", "Q2", &WAVE, reason), CONTENT_QUARANTINE);
    assert_string_equal(reason, "mailward: account flagged (content_traits)");
    struct guard_flag *fl = guard_flagged(serve_guard(s), MW_SLICE_LIT("alice@example.com"));
    assert_non_null(fl);
    assert_string_equal(fl->kind, "content_traits");
    assert_non_null(strstr(fl->reason, "subject is the user name, body is one link"));
    assert_int_equal(fl->held, 1);
    assert_int_equal(rows(f->st, "held"), 1);
    assert_int_equal(rows(f->st, "findings"), 1);
    /* any later message of the account is held, each queue id once */
    assert_int_equal(judge(s, T0 + 61 * SEC, "alice@example.com", "Q3", &PLAIN, NULL), CONTENT_QUARANTINE);
    assert_int_equal(judge(s, T0 + 62 * SEC, "alice@example.com", "Q3", &PLAIN, NULL), CONTENT_QUARANTINE);
    assert_int_equal(rows(f->st, "held"), 2);
    const struct serve_metrics *m = serve_metrics(s);
    assert_int_equal(m->milter_accept, 1);
    assert_int_equal(m->milter_quarantine, 3);
    assert_int_equal(m->content_flags, 1);
    /* an admin releases it: the score starts over */
    assert_int_equal(serve_release(s, T0 + 100 * SEC, "alice@example.com"), 1);
    assert_int_equal(judge(s, T0 + 101 * SEC, "alice@example.com", "Q4", &WAVE, NULL), CONTENT_ACCEPT);
    /* unauthenticated (no account): accepted, nothing kept */
    assert_int_equal(judge(s, T0 + 102 * SEC, "", "Q5", &WAVE, NULL), CONTENT_ACCEPT);
}

static void test_content_decay_and_traps(void **state)
{
    struct fixture *f = *state;
    struct serve *s = f->s;
    /* two wave messages 4 hours apart: 8/16 + 8 = 8.5 < 10 */
    assert_int_equal(judge(s, T0, "bob", "B1", &WAVE, NULL), CONTENT_ACCEPT);
    assert_int_equal(judge(s, T0 + 4 * 3600 * SEC, "bob", "B2", &WAVE, NULL), CONTENT_ACCEPT);
    /* subjectless mail to a list, ordinary mail: never adds, however much */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(judge(s, T0 + i * SEC, "carol", "", &SUBJECTLESS_LIST, NULL), CONTENT_ACCEPT);
        assert_int_equal(judge(s, T0 + i * SEC, "dave", "", &PLAIN, NULL), CONTENT_ACCEPT);
    }
    assert_int_equal(guard_nflags(serve_guard(s)), 0);
    /* a short link now and then: 1 each, 10 within a minute flag */
    struct content_traits shortl = {.body_short_link = true, .rcpts = 1, .links = 1};
    int flagged_at = -1;
    for (int i = 0; i < 12 && flagged_at < 0; i++)
        if (judge(s, T0 + i * 6 * SEC, "erin", "", &shortl, NULL) == CONTENT_QUARANTINE)
            flagged_at = i;
    assert_int_equal(flagged_at, 10);
    /* weights and the threshold follow the config (SIGHUP) */
    char err[200];
    config_set(&f->cfg, "content_score_flag", "8", err, sizeof(err));
    serve_reconfigure(s, &f->cfg);
    assert_int_equal(judge(s, T0 + 5 * 3600 * SEC, "frank", "F1", &WAVE, NULL), CONTENT_QUARANTINE);
    config_set(&f->cfg, "content_score_flag", "10", err, sizeof(err));
    config_set(&f->cfg, "content_subject_user", "0", err, sizeof(err));
    config_set(&f->cfg, "content_one_link", "0", err, sizeof(err));
    serve_reconfigure(s, &f->cfg);
    for (int i = 0; i < 10; i++)
        assert_int_equal(judge(s, T0 + 6 * 3600 * SEC + i * SEC, "gina", "", &WAVE, NULL), CONTENT_ACCEPT);
}

static void test_content_actions(void **state)
{
    struct fixture *f = *state;
    struct serve *s = f->s;
    char err[200];
    /* flagged by something else (an admin, a takeover): held too */
    assert_int_equal(serve_flag(s, T0, "henry", "by hand"), 1);
    assert_int_equal(judge(s, T0 + SEC, "henry", "H1", &PLAIN, NULL), CONTENT_QUARANTINE);
    /* the Postfix policy door holding the same message does not record it twice */
    struct pf_session ps = {0};
    struct pfpol_req r;
    pfpol_init(&r, 4096);
    const char *req = "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nsasl_username=henry\n"
                      "queue_id=H1\ninstance=i1\nrecipient_count=1\n\n";
    for (const char *p = req; *p;) {
        const char *nl = strchr(p, '\n');
        pfpol_feed(&r, p, (size_t)(nl - p));
        p = nl + 1;
    }
    char reply[256];
    serve_postfix(s, T0 + 2 * SEC, &ps, &r, reply, sizeof(reply));
    assert_non_null(strstr(reply, "HOLD"));
    assert_int_equal(rows(f->st, "held"), 1);
    /* flagged_action defer / reject */
    config_set(&f->cfg, "flagged_action", "defer", err, sizeof(err));
    serve_reconfigure(s, &f->cfg);
    assert_int_equal(judge(s, T0 + 3 * SEC, "henry", "H2", &PLAIN, NULL), CONTENT_TEMPFAIL);
    config_set(&f->cfg, "flagged_action", "reject", err, sizeof(err));
    serve_reconfigure(s, &f->cfg);
    assert_int_equal(judge(s, T0 + 4 * SEC, "henry", "H3", &PLAIN, NULL), CONTENT_REJECT);
    assert_int_equal(rows(f->st, "held"), 1);
    const struct serve_metrics *m = serve_metrics(s);
    assert_int_equal(m->milter_defer, 1);
    assert_int_equal(m->milter_reject, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_mime),
        cmocka_unit_test_setup_teardown(test_content_wave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_decay_and_traps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_actions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
