/* test_msglink - the bounded message-id table: put/get/del, FIFO eviction,
 * cut values, a flood of unique ids within the fixed size. */
#include "mwtest.h"
#include "../../src/sources/msglink.h"

static void test_basic(void **state)
{
    (void)state;
    struct msglink *ml = msglink_create(4);
    struct msglink_rec *r = msglink_put(ml, MW_SLICE_LIT("AAA"));
    assert_non_null(r);
    MSGLINK_SET(r, account, MW_SLICE_LIT("alice"));
    assert_ptr_equal(msglink_get(ml, MW_SLICE_LIT("AAA")), r);
    assert_slice(MSGLINK_SLICE(msglink_get(ml, MW_SLICE_LIT("AAA")), account), "alice");
    assert_null(msglink_get(ml, MW_SLICE_LIT("BBB")));
    msglink_del(ml, MW_SLICE_LIT("AAA"));
    assert_null(msglink_get(ml, MW_SLICE_LIT("AAA")));
    /* keys longer than the limit are refused, not cut */
    char longkey[80];
    memset(longkey, 'K', sizeof(longkey));
    assert_null(msglink_put(ml, MW_SLICE(longkey, sizeof(longkey))));
    msglink_free(ml);
}

static void test_fifo_flood(void **state)
{
    (void)state;
    struct msglink *ml = msglink_create(1000);
    char key[32];
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(key, sizeof(key), "Q%d", i);
        struct msglink_rec *r = msglink_put(ml, MW_SLICE(key, n));
        assert_non_null(r);
    }
    assert_int_equal(msglink_evictions(ml), 199000);
    int n = snprintf(key, sizeof(key), "Q%d", 199999);
    assert_non_null(msglink_get(ml, MW_SLICE(key, n)));
    n = snprintf(key, sizeof(key), "Q%d", 199000);
    assert_non_null(msglink_get(ml, MW_SLICE(key, n)));
    n = snprintf(key, sizeof(key), "Q%d", 198999);
    assert_null(msglink_get(ml, MW_SLICE(key, n)));
    msglink_free(ml);
}

static void test_cut_values(void **state)
{
    (void)state;
    struct msglink *ml = msglink_create(2);
    struct msglink_rec *r = msglink_put(ml, MW_SLICE_LIT("X"));
    char big[600];
    memset(big, 'a', sizeof(big));
    MSGLINK_SET(r, sender, MW_SLICE(big, sizeof(big)));
    assert_int_equal(r->senderlen, MSGLINK_SENDER_MAX);
    msglink_free(ml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_fifo_flood),
        cmocka_unit_test(test_cut_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
