/* resp_store, the in-memory kind: replace, delete, and the count and byte
 * bounds dropping the oldest first; spec parsing for both kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <string.h>

#include "server/resp_store.h"

typedef struct got {
    int calls, rc;
    char data[64];
} got;

static void on_answer(void *user, int rc, const char *data, size_t len)
{
    got *g = user;
    g->calls++;
    g->rc = rc;
    g->data[0] = '\0';
    if (data && len < sizeof g->data) {
        memcpy(g->data, data, len);
        g->data[len] = '\0';
    }
}

static got get(cx_resp_store *s, const char *id)
{
    got g = {0};
    cx__resp_store_get(s, id, on_answer, &g);
    assert_int_equal(g.calls, 1); /* the memory kind answers at once */
    return g;
}

static void put_get_replace_delete(void **state)
{
    (void)state;
    cx_error err;
    cx_resp_store *s = cx__resp_store_new(NULL, NULL, NULL, &err);
    assert_non_null(s);
    assert_string_equal(cx__resp_store_kind(s), "memory");
    cx__resp_store_put(s, "a", "{\"v\":1}", 7);
    assert_string_equal(get(s, "a").data, "{\"v\":1}");
    cx__resp_store_put(s, "a", "{\"v\":2}", 7);
    assert_string_equal(get(s, "a").data, "{\"v\":2}");
    assert_int_equal(get(s, "b").rc, CX_ENOTFOUND);
    got g = {0};
    cx__resp_store_del(s, "a", on_answer, &g);
    assert_int_equal(g.rc, 0);
    cx__resp_store_del(s, "a", on_answer, &g);
    assert_int_equal(g.rc, CX_ENOTFOUND);
    assert_int_equal(get(s, "a").rc, CX_ENOTFOUND);
    cx__resp_store_free(s);
}

static void bounds_drop_the_oldest(void **state)
{
    (void)state;
    cx_error err;
    cx_resp_store_limits lim = {.max_count = 3, .max_bytes = 10};
    cx_resp_store *s = cx__resp_store_new(NULL, "memory", &lim, &err);
    assert_non_null(s);
    cx__resp_store_put(s, "1", "aa", 2);
    cx__resp_store_put(s, "2", "bb", 2);
    cx__resp_store_put(s, "3", "cc", 2);
    cx__resp_store_put(s, "4", "dd", 2); /* count: 1 goes */
    assert_int_equal(get(s, "1").rc, CX_ENOTFOUND);
    assert_int_equal(get(s, "2").rc, 0);
    cx__resp_store_put(s, "5", "eeeeee", 6); /* bytes: 6+6 > 10, so 2 goes; 3, 4, 5 make 10 */
    assert_int_equal(get(s, "2").rc, CX_ENOTFOUND);
    assert_int_equal(get(s, "3").rc, 0);
    cx__resp_store_put(s, "7", "fff", 3); /* 13 > 10: 3 and 4 go */
    assert_int_equal(get(s, "4").rc, CX_ENOTFOUND);
    assert_string_equal(get(s, "5").data, "eeeeee");
    cx__resp_store_put(s, "6", "01234567890", 11); /* never fits: not kept, 5 stays */
    assert_int_equal(get(s, "6").rc, CX_ENOTFOUND);
    assert_int_equal(get(s, "5").rc, 0);
    cx__resp_store_free(s);
}

static void specs(void **state)
{
    (void)state;
    cx_error err;
    assert_null(cx__resp_store_new(NULL, "disk", NULL, &err));
    assert_non_null(strstr(err.msg, "unknown store 'disk'"));
    static const char *const bad[] = {"redis://",    "redis://:6379",    "redis://h:0",
                                      "redis://h:x", "redis://h:6379/x", "redis://h:99999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_null(cx__resp_store_new(NULL, bad[i], NULL, &err));
        assert_non_null(strstr(err.msg, "invalid Redis URL"));
    }
    /* a valid address is accepted even with nothing listening: operations
       fail (and reconnect) later; pending ones are cancelled on free */
    struct event_base *base = event_base_new();
    cx_resp_store *s = cx__resp_store_new(base, "redis://127.0.0.1:1/3", NULL, &err);
    assert_non_null(s);
    assert_string_equal(cx__resp_store_kind(s), "redis");
    got g = {0};
    cx__resp_store_get(s, "x", on_answer, &g);
    cx__resp_store_free(s);
    assert_int_equal(g.calls, 1);
    assert_true(g.rc == CX_ECANCELED || g.rc == CX_EIO);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_replace_delete),
        cmocka_unit_test(bounds_drop_the_oldest),
        cmocka_unit_test(specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
