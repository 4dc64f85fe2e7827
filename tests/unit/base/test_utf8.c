/* base/utf8: validation rejects what Rust's str rejects, repair replaces each bad byte,
 * encoding round-trips through decoding at every length, and cuts never split a
 * character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/utf8.h"

static void validation(void **state)
{
    assert_true(cx__utf8_valid("", 0));
    assert_true(cx__utf8_valid("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 10));
    assert_false(cx__utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
    assert_false(cx__utf8_valid("\xED\xA0\x80", 3));     /* a surrogate */
    assert_false(cx__utf8_valid("\xF4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(cx__utf8_valid("\xE2\x82", 2));         /* cut short */
    assert_false(cx__utf8_valid("\x80", 1));             /* a lone continuation */
    assert_false(cx__utf8_valid("a\xFF", 2));
}

static void repair_replaces_each_bad_byte(void **state)
{
    cx_buf b = CX_BUF_INIT;
    assert_int_equal(cx__utf8_repair("a\xFF\xE2\x82z\xC3\xA9", 7, &b), 0);
    assert_string_equal(b.data, "a" CX_UTF8_REPLACEMENT CX_UTF8_REPLACEMENT CX_UTF8_REPLACEMENT
                                "z\xC3\xA9");
    assert_true(cx__utf8_valid(b.data, b.len));
    cx__buf_free(&b);
}

static void encode_decode_round_trip(void **state)
{
    const uint32_t cps[] = {0x24,   0x7F,   0x80,   0xE9,    0x7FF,   0x800,
                            0x20AC, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
    const size_t lens[] = {1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4};
    for (size_t i = 0; i < sizeof cps / sizeof *cps; i++) {
        cx_buf b = CX_BUF_INIT;
        assert_int_equal(cx__utf8_put(&b, cps[i]), 0);
        assert_int_equal(b.len, lens[i]);
        assert_true(cx__utf8_valid(b.data, b.len));
        size_t n = 0;
        assert_int_equal(cx__utf8_decode(b.data, b.len, 0, &n), cps[i]);
        assert_int_equal(n, lens[i]);
        cx__buf_free(&b);
    }
}

static void decode_steps_over_bad_bytes(void **state)
{
    size_t n = 0;
    /* an overlong form is not decoded: it would otherwise pass as U+2010 */
    assert_int_equal(cx__utf8_decode("\xF0\x82\x80\x90", 4, 0, &n), 0xF0);
    assert_int_equal(n, 1);
    assert_int_equal(cx__utf8_decode("\xE2\x80", 2, 0, &n), 0xE2); /* would run past len */
    assert_int_equal(n, 1);
    assert_int_equal(cx__utf8_decode("x\xE2\x80\x94", 4, 1, &n), 0x2014);
    assert_int_equal(n, 3);
}

static void cuts_keep_whole_characters(void **state)
{
    const char *s = "ab\xE2\x82\xAC"
                    "c"; /* a b € c: € is bytes 2..4 */
    size_t len = strlen(s);
    assert_int_equal(cx__utf8_floor(s, len, 0), 0);
    assert_int_equal(cx__utf8_floor(s, len, 2), 2);
    assert_int_equal(cx__utf8_floor(s, len, 3), 2);
    assert_int_equal(cx__utf8_floor(s, len, 4), 2);
    assert_int_equal(cx__utf8_floor(s, len, 5), 5);
    assert_int_equal(cx__utf8_floor(s, len, 99), len);
    assert_int_equal(cx__utf8_ceil(s, len, 3), 5);
    assert_int_equal(cx__utf8_ceil(s, len, 4), 5);
    assert_int_equal(cx__utf8_ceil(s, len, 2), 2);
    assert_int_equal(cx__utf8_ceil(s, len, 99), len);
    assert_int_equal(cx__utf8_count(s, len), 4);
    assert_int_equal(cx__utf8_count("", 0), 0);
    assert_true(cx_utf8_is_cont(s[3]));
    assert_false(cx_utf8_is_cont(s[2]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validation),
        cmocka_unit_test(repair_replaces_each_bad_byte),
        cmocka_unit_test(encode_decode_round_trip),
        cmocka_unit_test(decode_steps_over_bad_bytes),
        cmocka_unit_test(cuts_keep_whole_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
