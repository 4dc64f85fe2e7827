/* Unit tests for the TOML text editor: the user's comments, order and spacing
 * outside the edited tables survive byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/toml.h"
#include "base/toml_edit.h"

static const char *const FOO[] = {"mcp_servers", "foo"};

static char *edit(const char *in, const char *insert, bool *removed)
{
    cx_buf out = CX_BUF_INIT;
    cx_error err;
    assert_int_equal(
        cx__toml_edit_replace_tables(in, strlen(in), FOO, 2, insert, &out, removed, &err), 0);
    json_object *doc = NULL;
    assert_int_equal(cx__toml_parse(cx__buf_str(&out), out.len, &doc, &err), 0);
    json_object_put(doc);
    return cx__buf_steal(&out);
}

static void removes_tables_and_keeps_the_rest(void **state)
{
    (void)state;
    const char *in = "# my settings\n"
                     "model = \"x\"   # trailing comment\n"
                     "\n"
                     "# the foo server\n"
                     "[mcp_servers.foo]\n"
                     "command = \"a\"\n"
                     "\n"
                     "[mcp_servers.foo.env]\n"
                     "A = \"1\"\n"
                     "\n"
                     "# keep me: about bar\n"
                     "[mcp_servers.bar]\n"
                     "command = 'b'  # spaced   oddly\n";
    bool removed;
    char *out = edit(in, NULL, &removed);
    assert_true(removed);
    assert_string_equal(out, "# my settings\n"
                             "model = \"x\"   # trailing comment\n"
                             "\n"
                             "# keep me: about bar\n"
                             "[mcp_servers.bar]\n"
                             "command = 'b'  # spaced   oddly\n");
    free(out);
}

static void replaces_in_place(void **state)
{
    (void)state;
    const char *in = "[mcp_servers.\"foo\"]\ncommand = \"old\"\n\n[other]\nx = 1\n";
    bool removed;
    char *out = edit(in, "[mcp_servers.foo]\ncommand = \"new\"\n", &removed);
    assert_true(removed);
    assert_string_equal(out, "[mcp_servers.foo]\ncommand = \"new\"\n\n[other]\nx = 1\n");
    free(out);
}

static void appends_when_absent(void **state)
{
    (void)state;
    bool removed;
    char *out = edit("a = 1", "[mcp_servers.foo]\ncommand = \"c\"\n", &removed);
    assert_false(removed);
    assert_string_equal(out, "a = 1\n\n[mcp_servers.foo]\ncommand = \"c\"\n");
    free(out);
    out = edit("", "[mcp_servers.foo]\n", &removed);
    assert_string_equal(out, "[mcp_servers.foo]\n");
    free(out);
}

static void headers_inside_strings_are_not_tables(void **state)
{
    (void)state;
    const char *in = "text = \"\"\"\n[mcp_servers.foo]\nnot a table\n\"\"\"\n"
                     "lit = '''\n[mcp_servers.foo]\n'''\n";
    bool removed;
    char *out = edit(in, NULL, &removed);
    assert_false(removed);
    assert_string_equal(out, in);
    free(out);
}

static void other_names_are_left_alone(void **state)
{
    (void)state;
    const char *in =
        "[mcp_servers.foobar]\ncommand = \"x\"\n[mcp_servers]\nfoo2 = {command = \"y\"}\n";
    bool removed;
    char *out = edit(in, NULL, &removed);
    assert_false(removed);
    assert_string_equal(out, in);
    free(out);
}

static void bad_header_is_an_error(void **state)
{
    (void)state;
    cx_buf out = CX_BUF_INIT;
    cx_error err;
    bool removed;
    const char *in = "[mcp_servers.\"unterminated]\n";
    assert_int_equal(
        cx__toml_edit_replace_tables(in, strlen(in), FOO, 2, NULL, &out, &removed, &err),
        CX_EPARSE);
    cx__buf_free(&out);
}

static void keys_and_strings_are_quoted(void **state)
{
    (void)state;
    cx_buf b = CX_BUF_INIT;
    cx__toml_put_key(&b, "plain-key_1");
    cx__buf_putc(&b, ' ');
    cx__toml_put_key(&b, "with space");
    cx__buf_putc(&b, ' ');
    cx__toml_put_string(&b, "q\"\\\n\x01");
    assert_string_equal(cx__buf_str(&b), "plain-key_1 \"with space\" \"q\\\"\\\\\\n\\u0001\"");
    cx__buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(removes_tables_and_keeps_the_rest),
        cmocka_unit_test(replaces_in_place),
        cmocka_unit_test(appends_when_absent),
        cmocka_unit_test(headers_inside_strings_are_not_tables),
        cmocka_unit_test(other_names_are_left_alone),
        cmocka_unit_test(bad_header_is_an_error),
        cmocka_unit_test(keys_and_strings_are_quoted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
