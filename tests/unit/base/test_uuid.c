/* cx__uuid_parse: the forms upstream accepts for an agent id and the reasons it
 * gives for the ones it does not (checked against the 0.115.0 binary). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/uuid.h"

#include <string.h>

static void expect_ok(const char *in, const char *canon)
{
    char out[CX_UUID_STRLEN + 1], why[160];
    assert_int_equal(cx__uuid_parse(in, out, why, sizeof why), 0);
    assert_string_equal(out, canon);
}

static void expect_err(const char *in, const char *reason)
{
    char out[CX_UUID_STRLEN + 1], why[160];
    assert_int_equal(cx__uuid_parse(in, out, why, sizeof why), -1);
    assert_string_equal(why, reason);
}

static void accepted_forms(void **state)
{
    const char *c = "019a0000-0000-7000-8000-00000000abcd";
    expect_ok(c, c);
    expect_ok("019A0000-0000-7000-8000-00000000ABCD", c);
    expect_ok("019a0000000070008000"
              "00000000abcd",
              c);
    expect_ok("{019a0000-0000-7000-8000-00000000abcd}", c);
    expect_ok("urn:uuid:019a0000-0000-7000-8000-00000000abcd", c);
}

static void rejected_forms(void **state)
{
    expect_err("nope", "Error(ParseChar { character: 'n', index: 1 })");
    expect_err("abc", "Error(ParseSimpleLength { len: 3 })");
    expect_err("", "Error(ParseSimpleLength { len: 0 })");
    expect_err("ab-cd", "Error(ParseGroupCount { count: 2 })");
    expect_err("{abc}", "Error(ParseGroupCount { count: 1 })");
    expect_err("0000000-0000-0000-0000-000000000000",
               "Error(ParseGroupLength { group: 0, len: 7, index: 1 })");
    expect_err("00000000-0000-0000-0000-0000000000000",
               "Error(ParseGroupLength { group: 4, len: 13, index: 25 })");
    expect_err("019a0000-0000-7000-8000-00000000000g",
               "Error(ParseChar { character: 'g', index: 36 })");
    expect_err("a'b", "Error(ParseChar { character: '\\'', index: 2 })");
    expect_err("\xc3\xa9", "Error(ParseChar { character: '\xc3\xa9', index: 1 })");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted_forms),
        cmocka_unit_test(rejected_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
