/* Unit tests for cx_buf, the JSON wrapper and uuid7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/uuid.h"

static void buf_grows_and_formats(void **state)
{
    (void)state;
    cx_buf b = CX_BUF_INIT;
    assert_string_equal(cx__buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        cx__buf_printf(&b, "%d,", i);
    assert_false(cx__buf_failed(&b));
    assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
    size_t len = b.len;
    cx__buf_consume(&b, 2);
    assert_int_equal(b.len, len - 2);
    assert_int_equal(b.data[0], '1');
    cx__buf_truncate(&b, 1);
    assert_string_equal(cx__buf_str(&b), "1");
    char *s = cx__buf_steal(&b);
    assert_string_equal(s, "1");
    assert_null(b.data);
    free(s);
}

static void json_dump_is_compact_without_slash_escape(void **state)
{
    (void)state;
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "path", "a/b");
    cx__json_set_str(o, "ctl", "\x1f");
    cx__json_set(o, "n", json_object_new_int(3));
    char *s = cx__json_to_string(o);
    assert_string_equal(s, "{\"path\":\"a/b\",\"ctl\":\"\\u001f\",\"n\":3}");
    free(s);
    json_object_put(o);
}

static void json_repairs_invalid_utf8(void **state)
{
    (void)state;
    json_object *s = cx__json_string("ok\xff\xc3(end");
    assert_string_equal(json_object_get_string(s), "ok\xEF\xBF\xBD\xEF\xBF\xBD(end");
    json_object_put(s);
    assert_true(cx__utf8_valid("h\xc3\xa9", 3));
    assert_false(cx__utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(cx__utf8_valid("\xc0\xaf", 2));     /* overlong */
}

static void json_parse_errors_have_line_and_column(void **state)
{
    (void)state;
    json_object *o = NULL;
    cx_error err;
    const char *bad = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    assert_int_equal(cx__json_parse(bad, strlen(bad), &o, &err), CX_EPARSE);
    assert_null(o);
    assert_non_null(strstr(err.msg, "3:"));
    const char *trail = "{} x";
    assert_int_equal(cx__json_parse(trail, strlen(trail), &o, &err), CX_EPARSE);
    assert_non_null(strstr(err.msg, "1:4"));
    const char *cut = "{\"a\":";
    assert_int_equal(cx__json_parse(cut, strlen(cut), &o, &err), CX_EPARSE);
    const char *ok = " {\"a\": [1, 2.5, \"x\"]} \n";
    assert_int_equal(cx__json_parse(ok, strlen(ok), &o, &err), 0);
    int64_t n = 0;
    assert_false(cx__json_get_int(o, "a", &n));
    assert_int_equal(json_object_array_length(cx__json_get(o, "a")), 3);
    json_object_put(o);
}

static void uuid7_has_version_and_time_order(void **state)
{
    (void)state;
    char a[37], b[37];
    assert_int_equal(cx__uuid7_at(a, 1000), 0);
    assert_int_equal(cx__uuid7_at(b, 2000), 0);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '7');
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_true(strcmp(a, b) < 0);
    assert_int_equal(strncmp(a, "00000000-03e8", 13), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_grows_and_formats),
        cmocka_unit_test(json_dump_is_compact_without_slash_escape),
        cmocka_unit_test(json_repairs_invalid_utf8),
        cmocka_unit_test(json_parse_errors_have_line_and_column),
        cmocka_unit_test(uuid7_has_version_and_time_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
