/* test_linereader - line splitting, CRLF, over-long lines, gzip, errors. */
#include "mwtest.h"
#include "../../src/util/linereader.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

static char tmpl[64];

static const char *write_tmp(const void *data, size_t n)
{
    snprintf(tmpl, sizeof(tmpl), "/tmp/mwtest-lr-XXXXXX");
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    return tmpl;
}

static void expect_line(struct linereader *lr, const char *want, unsigned flags)
{
    const char *l;
    size_t n;
    assert_int_equal(linereader_next(lr, &l, &n), 1);
    if (n != strlen(want) || memcmp(l, want, n) != 0)
        fail_msg("line %llu: got '%.*s' want '%s'", (unsigned long long)lr->lineno, (int)n, l, want);
    assert_int_equal(lr->flags, flags);
}

static void test_lines(void **state)
{
    (void)state;
    const char data[] = "one\r\ntwo\n\nthree";
    const char *path = write_tmp(data, sizeof(data) - 1);
    struct linereader lr;
    assert_int_equal(linereader_open(&lr, path, 1024), 0);
    expect_line(&lr, "one", 0);
    expect_line(&lr, "two", 0);
    expect_line(&lr, "", 0);
    expect_line(&lr, "three", LR_NO_NEWLINE);
    assert_int_equal(lr.lineno, 4);
    const char *l;
    size_t n;
    assert_int_equal(linereader_next(&lr, &l, &n), 0);
    linereader_close(&lr);
    unlink(path);
}

static void test_too_long(void **state)
{
    (void)state;
    /* a 3 MB line between two short ones, with a 64 KiB limit */
    size_t big = 3u << 20;
    char *data = malloc(big + 32);
    size_t k = 0;
    memcpy(data, "a\n", 2);
    k = 2;
    memset(data + k, 'x', big);
    k += big;
    memcpy(data + k, "\nb\n", 3);
    k += 3;
    const char *path = write_tmp(data, k);
    free(data);
    struct linereader lr;
    assert_int_equal(linereader_open(&lr, path, 65536), 0);
    expect_line(&lr, "a", 0);
    expect_line(&lr, "", LR_TOO_LONG);
    assert_int_equal(lr.lineno, 2);
    expect_line(&lr, "b", 0);
    assert_int_equal(lr.lineno, 3);
    linereader_close(&lr);
    unlink(path);
}

static void test_gzip(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/mwtest-gz-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    gzFile gz = gzdopen(fd, "wb");
    for (int i = 0; i < 10000; i++)
        gzprintf(gz, "line %d\n", i);
    gzclose(gz);

    struct linereader lr;
    assert_int_equal(linereader_open(&lr, path, 1024), 0);
    assert_true(lr.is_gz);
    const char *l;
    size_t n;
    int count = 0;
    while (linereader_next(&lr, &l, &n) == 1)
        count++;
    assert_int_equal(count, 10000);
    linereader_close(&lr);

    /* truncate: the reader must report an error, not invent lines */
    FILE *f = fopen(path, "r+");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_int_equal(truncate(path, size / 2), 0);
    assert_int_equal(linereader_open(&lr, path, 1024), 0);
    int r;
    count = 0;
    while ((r = linereader_next(&lr, &l, &n)) == 1)
        count++;
    assert_int_equal(r, -1);
    assert_true(count > 0 && count < 10000);
    assert_non_null(strstr(lr.err, "gzip"));
    linereader_close(&lr);
    unlink(path);
}

static void test_missing(void **state)
{
    (void)state;
    struct linereader lr;
    assert_int_equal(linereader_open(&lr, "/nonexistent/mail.log", 1024), -1);
    assert_non_null(strstr(lr.err, "No such file"));
    assert_int_equal(linereader_open(&lr, "/tmp", 1024), -1);
    assert_non_null(strstr(lr.err, "directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
