/* test_outbuf - JSON string escaping, UTF-8 validation, number output. */
#include "mwtest.h"

static void check_json(const char *in, size_t n, const char *want, uint64_t bad)
{
    struct outbuf ob;
    outbuf_init(&ob, 4);
    outbuf_put_json_string(&ob, in, n);
    if (ob.len != strlen(want) || memcmp(ob.p, want, ob.len) != 0)
        fail_msg("json of '%.*s': got '%.*s' want '%s'", (int)n, in, (int)ob.len, ob.p, want);
    assert_int_equal(ob.invalid_utf8, bad);
    outbuf_free(&ob);
}

static void test_json_escape(void **state)
{
    (void)state;
    check_json("plain", 5, "\"plain\"", 0);
    check_json("a\"b\\c", 5, "\"a\\\"b\\\\c\"", 0);
    check_json("t\tn\x01", 4, "\"t\\tn\\u0001\"", 0);
    check_json("\x7f", 1, "\"\\u007f\"", 0);
    check_json("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", 0);          /* valid 2-byte */
    check_json("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"", 0);        /* euro sign */
    check_json("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"", 0); /* emoji */
    check_json("a\xff" "b", 3, "\"a\xef\xbf\xbd" "b\"", 1);       /* invalid byte */
    check_json("\xc3", 1, "\"\xef\xbf\xbd\"", 1);                /* truncated */
    check_json("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"", 2); /* overlong */
    check_json("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", 3); /* surrogate */
    check_json("", 0, "\"\"", 0);
}

static void test_numbers(void **state)
{
    (void)state;
    struct outbuf ob;
    outbuf_init(&ob, 1);
    outbuf_put_u64(&ob, 0);
    outbuf_putc(&ob, ' ');
    outbuf_put_u64(&ob, 18446744073709551615ull);
    outbuf_putc(&ob, ' ');
    outbuf_put_i64(&ob, -42);
    outbuf_putc(&ob, ' ');
    outbuf_put_pad(&ob, 7, 3);
    const char *want = "0 18446744073709551615 -42 007";
    assert_int_equal(ob.len, strlen(want));
    assert_memory_equal(ob.p, want, ob.len);
    outbuf_free(&ob);
}

static void test_text_padding(void **state)
{
    (void)state;
    struct outbuf ob;
    outbuf_init(&ob, 8);
    outbuf_put_text_padded(&ob, "\xc3\xa9t\xc3\xa9", 5, 5); /* 3 columns + 2 spaces */
    outbuf_put_text(&ob, "a\nb", 3);                     /* control -> ? */
    const char *want = "\xc3\xa9t\xc3\xa9  a?b";
    assert_int_equal(ob.len, strlen(want));
    assert_memory_equal(ob.p, want, ob.len);
    outbuf_free(&ob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_text_padding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
