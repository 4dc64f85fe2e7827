/* base/escape: each form quotes every byte exactly as the hand-written escaper it
 * replaced did. The expected outputs in tests/fixtures/escape/ were produced by those
 * old functions (TOML: cx__toml_put_string; Python: the storage server's json_str;
 * JSON: cx__chat_json_quote; plain: exec_collab's quoted) over bytes 1..255 and some
 * UTF-8, so the wires stay byte-identical. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "support.h"

/* Bytes 1..255, then a space, é, ✓, 😀 and " end". */
static size_t every_byte(char *in)
{
    size_t n = 0;
    for (int c = 1; c < 256; c++)
        in[n++] = (char)c;
    const char *utf = " \xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80 end";
    memcpy(in + n, utf, strlen(utf));
    return n + strlen(utf);
}

static void check(const char *fixture, unsigned style, bool with_nul)
{
    char in[300];
    size_t n = every_byte(in);
    cx_buf b = CX_BUF_INIT;
    cx__escape_quoted(&b, in, n, style);
    if (with_nul) cx__escape_quoted(&b, "a\0b", 3, style); /* a NUL inside, as \u0000 */
    size_t want_len = 0;
    char *want = cx_test_fixture(fixture, &want_len);
    assert_int_equal(b.len, want_len);
    assert_memory_equal(b.data, want, want_len);
    free(want);
    cx__buf_free(&b);
}

static void toml_form(void **state)
{
    check("escape/toml.out", CX_ESC_TOML, false);
}

static void python_form(void **state)
{
    check("escape/python.out", CX_ESC_PYTHON, false);
}

static void json_form(void **state)
{
    check("escape/json.out", CX_ESC_JSON, true);
}

static void plain_form(void **state)
{
    check("escape/plain.out", CX_ESC_PLAIN, false);
}

static void short_cases(void **state)
{
    cx_buf b = CX_BUF_INIT;
    cx__escape_quoted(&b, "", 0, CX_ESC_JSON);
    cx__escape_quoted(&b, "say \"hi\"\\", 9, CX_ESC_PLAIN);
    cx__escape_quoted(&b, "\x1f\x7f", 2, CX_ESC_TOML);
    assert_string_equal(b.data, "\"\"\"say \\\"hi\\\"\\\\\"\"\\u001F\\u007F\"");
    cx__buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(toml_form),  cmocka_unit_test(python_form), cmocka_unit_test(json_form),
        cmocka_unit_test(plain_form), cmocka_unit_test(short_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
