/* test_ktable - the bounded table: get/put/remove, a flood of unique keys
 * stays within the cap and keeps the records that matter most. */
#include "mwtest.h"
#include "../../src/util/ktable.h"

struct rec {
    uint32_t weight;
};

static double weight(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct rec *)v)->weight;
}

static void test_basic(void **state)
{
    (void)state;
    struct ktable *t = ktable_create(100, sizeof(struct rec), weight, NULL);
    bool created;
    struct rec *r = ktable_put(t, "alpha", 5, &created);
    assert_true(created);
    r->weight = 7;
    r = ktable_put(t, "alpha", 5, &created);
    assert_false(created);
    assert_int_equal(r->weight, 7);
    assert_null(ktable_get(t, "beta", 4));
    ktable_remove(t, "alpha", 5);
    assert_null(ktable_get(t, "alpha", 5));
    assert_int_equal(ktable_count(t), 0);
    ktable_free(t);
}

/* 10 heavy keys survive a flood of 200,000 light ones in a 1,000-slot table */
static void test_flood_keeps_heavy(void **state)
{
    (void)state;
    struct ktable *t = ktable_create(1000, sizeof(struct rec), weight, NULL);
    char key[32];
    size_t before = ktable_bytes(t);
    for (int i = 0; i < 10; i++) {
        int n = snprintf(key, sizeof(key), "heavy-%d", i);
        ((struct rec *)ktable_put(t, key, (size_t)n, NULL))->weight = 1000000;
    }
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(key, sizeof(key), "light-%d", i);
        ((struct rec *)ktable_put(t, key, (size_t)n, NULL))->weight = 1;
        assert_true(ktable_count(t) <= 1000);
    }
    assert_int_equal(ktable_bytes(t), before); /* never grows */
    for (int i = 0; i < 10; i++) {
        int n = snprintf(key, sizeof(key), "heavy-%d", i);
        assert_non_null(ktable_get(t, key, (size_t)n));
    }
    assert_true(ktable_evictions(t) >= 199000);
    ktable_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_flood_keeps_heavy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
