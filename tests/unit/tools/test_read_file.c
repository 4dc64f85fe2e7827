/* read_file (and the file tools' specs and argument errors): called through the
 * registry as the agent calls it, with exact expected texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "support_file_tools.h"

/* ---- specs ---------------------------------------------------------------------------------- */

static void strip_descriptions(json_object *o)
{
    if (json_object_is_type(o, json_type_array)) {
        for (size_t k = 0; k < json_object_array_length(o); k++)
            strip_descriptions(json_object_array_get_idx(o, k));
        return;
    }
    if (!json_object_is_type(o, json_type_object)) return;
    json_object_object_del(o, "description");
    json_object_object_foreach(o, key, val)
    {
        (void)key;
        strip_descriptions(val);
    }
}

static void check_spec(world *w, const char *name, const char *skeleton)
{
    const cx_tool_def *d = cx_tools_find(w->reg, name);
    assert_non_null(d);
    assert_int_equal(d->kind, CX_TOOL_FUNCTION);
    assert_true(d->parallel);
    assert_non_null(d->handler);
    const char *desc = cx__json_get_str(d->spec, "description");
    assert_non_null(desc);
    assert_true(strlen(desc) > 40);
    json_object *copy = cx__json_copy(d->spec);
    strip_descriptions(copy);
    char *text = cx__json_to_string(copy);
    assert_string_equal(text, skeleton);
    free(text);
    json_object_put(copy);
}

static void specs_match_upstream_shapes(void **state)
{
    world *w = *state;
    assert_int_equal(cx_tools_count(w->reg), 3);
    check_spec(
        w, "read_file",
        "{\"type\":\"function\",\"name\":\"read_file\",\"strict\":false,\"parameters\":{\"type\":"
        "\"object\","
        "\"properties\":{\"file_path\":{\"type\":\"string\"},\"indentation\":{\"type\":\"object\","
        "\"properties\":{\"anchor_line\":{\"type\":\"number\"},\"include_header\":{\"type\":"
        "\"boolean\"},"
        "\"include_siblings\":{\"type\":\"boolean\"},\"max_levels\":{\"type\":\"number\"},\"max_"
        "lines\":{"
        "\"type\":\"number\"}},\"additionalProperties\":false},\"limit\":{\"type\":\"number\"},"
        "\"mode\":{"
        "\"type\":\"string\"},\"offset\":{\"type\":\"number\"}},\"required\":[\"file_path\"],"
        "\"additionalProperties\":false}}");
    check_spec(w, "list_dir",
               "{\"type\":\"function\",\"name\":\"list_dir\",\"strict\":false,\"parameters\":{"
               "\"type\":\"object\","
               "\"properties\":{\"depth\":{\"type\":\"number\"},\"dir_path\":{\"type\":\"string\"},"
               "\"limit\":{"
               "\"type\":\"number\"},\"offset\":{\"type\":\"number\"}},\"required\":[\"dir_path\"],"
               "\"additionalProperties\":false}}");
    check_spec(w, "grep_files",
               "{\"type\":\"function\",\"name\":\"grep_files\",\"strict\":false,\"parameters\":{"
               "\"type\":\"object\","
               "\"properties\":{\"include\":{\"type\":\"string\"},\"limit\":{\"type\":\"number\"},"
               "\"path\":{"
               "\"type\":\"string\"},\"pattern\":{\"type\":\"string\"}},\"required\":[\"pattern\"],"
               "\"additionalProperties\":false}}");
}

/* ---- read_file ------------------------------------------------------------------------------ */

static void read_slice_lines(void **state)
{
    world *w = *state;
    ft_put(w, "a.txt", "one\r\ntwo\nthree\r\r\n\xff\xfe bad\n\nlast without newline");
    ft_expect(w, "read_file", true,
              "L1: one\nL2: two\nL3: three\r\nL4: \xef\xbf\xbd\xef\xbf\xbd bad\nL5: \nL6: last "
              "without newline",
              "{\"file_path\":\"%s/a.txt\"}", w->dir);
    ft_expect(w, "read_file", true, "L2: two\nL3: three\r",
              "{\"file_path\":\"%s/a.txt\",\"offset\":2,\"limit\":2}", w->dir);
    ft_expect(w, "read_file", true, "L6: last without newline",
              "{\"file_path\":\"%s/a.txt\",\"offset\":6}", w->dir);
    ft_expect(w, "read_file", false, "offset exceeds file length",
              "{\"file_path\":\"%s/a.txt\",\"offset\":7}", w->dir);
    /* a trailing newline does not start another line */
    ft_put(w, "b.txt", "x\n");
    ft_expect(w, "read_file", false, "offset exceeds file length",
              "{\"file_path\":\"%s/b.txt\",\"offset\":2}", w->dir);
    ft_put(w, "empty.txt", "");
    ft_expect(w, "read_file", false, "offset exceeds file length",
              "{\"file_path\":\"%s/empty.txt\"}", w->dir);
    /* paths outside the working directory are fine, as upstream */
    ft_expect(w, "read_file", true, "L1: short", "{\"file_path\":\"%s/long.txt\",\"limit\":1}",
              FIX);
}

static void read_long_lines_cut_on_char_boundary(void **state)
{
    world *w = *state;
    bool ok;
    const char *t = ft_call(w, "read_file", &ok,
                            "{\"file_path\":\"%s/long.txt\",\"offset\":2,\"limit\":3}", FIX);
    assert_true(ok);
    /* 498 x + "éé" (4 bytes) keeps one é: exactly 500 bytes */
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "L2: ");
    for (int k = 0; k < 498; k++)
        cx__buf_putc(&b, 'x');
    cx__buf_puts(&b, "\xc3\xa9\nL3: ");
    for (int k = 0; k < 500; k++)
        cx__buf_putc(&b, 'y');
    cx__buf_puts(&b, "\nL4: ");
    for (int k = 0; k < 499; k++)
        cx__buf_putc(&b, 'z'); /* the euro sign would cross 500: dropped */
    assert_string_equal(t, cx__buf_str(&b));
    cx__buf_free(&b);
}

static void read_nul_bytes_do_not_cut_the_output(void **state)
{
    world *w = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/nul.bin", w->dir);
    FILE *f = fopen(path, "wb");
    fwrite("a\0b\nc\n", 1, 6, f);
    fclose(f);
    ft_expect(w, "read_file", true,
              "L1: a\xef\xbf\xbd"
              "b\nL2: c",
              "{\"file_path\":\"%s\"}", path);
}

static void read_errors(void **state)
{
    world *w = *state;
    ft_put(w, "a.txt", "a\n");
    ft_expect(w, "read_file", false, "file_path must be an absolute path",
              "{\"file_path\":\"a.txt\"}");
    ft_expect(w, "read_file", false, "file_path must be an absolute path", "{\"file_path\":\"\"}");
    ft_expect(w, "read_file", false, "offset must be a 1-indexed line number",
              "{\"file_path\":\"%s/a.txt\",\"offset\":0}", w->dir);
    ft_expect(w, "read_file", false, "limit must be greater than zero",
              "{\"file_path\":\"%s/a.txt\",\"limit\":0}", w->dir);
    /* upstream's order: offset, then limit, then the path */
    ft_expect(w, "read_file", false, "offset must be a 1-indexed line number",
              "{\"file_path\":\"rel\",\"offset\":0,\"limit\":0}");
    ft_expect(w, "read_file", false, "limit must be greater than zero",
              "{\"file_path\":\"rel\",\"limit\":0}");
    ft_expect(w, "read_file", false, "failed to read file: No such file or directory (os error 2)",
              "{\"file_path\":\"%s/missing\"}", w->dir);
    ft_expect(w, "read_file", false, "failed to read file: Is a directory (os error 21)",
              "{\"file_path\":\"%s\"}", w->dir);
    ft_expect(w, "read_file", false,
              "failed to parse function arguments: Error(\"missing field `file_path`\", line: 1, "
              "column: 2)",
              "{}");
    ft_expect(
        w, "read_file", false,
        "failed to parse function arguments: Error(\"unknown variant `tree`, expected `slice` "
        "or `indentation`\", "
        "line: 1, column: 31)",
        "{\"file_path\":\"/x\",\"mode\":\"tree\"}");
    ft_expect(w, "read_file", false,
              "failed to parse function arguments: Error(\"invalid value: integer `-3`, expected "
              "usize\", line: 1, "
              "column: 29)",
              "{\"file_path\":\"/x\",\"offset\":-3}");
    if (geteuid() != 0) {
        ft_put(w, "secret.txt", "s\n");
        char p[256];
        snprintf(p, sizeof p, "%s/secret.txt", w->dir);
        chmod(p, 0);
        ft_expect(w, "read_file", false, "failed to read file: Permission denied (os error 13)",
                  "{\"file_path\":\"%s\"}", p);
    }
}

/* Arguments decode as serde_json decodes upstream's structs, errors included. */
static void argument_errors_match_serde(void **state)
{
    world *w = *state;
    assert_int_equal(ft_run_reference(w, FIX "/args_reference.jsonl", "@NONE@", ""), 122);
    /* current serde_json prints floats through ryu ("100.0", "-0.0") and reads
     * all four digits of a \u escape before complaining */
    ft_expect(w, "read_file", false,
              "failed to parse function arguments: Error(\"invalid type: floating point `100.0`, "
              "expected usize\", "
              "line: 1, column: 30)",
              "{\"file_path\":\"/x\",\"offset\":1e2}");
    ft_expect(w, "read_file", false,
              "failed to parse function arguments: Error(\"invalid type: floating point `-0.0`, "
              "expected usize\", line: "
              "1, column: 29)",
              "{\"file_path\":\"/x\",\"offset\":-0}");
    ft_expect(w, "read_file", false,
              "failed to parse function arguments: Error(\"invalid type: floating point "
              "`1.8446744073709552e19`, "
              "expected usize\", line: 1, column: 47)",
              "{\"file_path\":\"/x\",\"offset\":18446744073709551616}");
    ft_expect(w, "read_file", false,
              "failed to parse function arguments: Error(\"invalid type: floating point `0.0001`, "
              "expected usize\", "
              "line: 1, column: 31)",
              "{\"file_path\":\"/x\",\"offset\":1e-4}");
    ft_expect(w, "read_file", false,
              "failed to parse function arguments: Error(\"invalid escape\", line: 1, column: 35)",
              "{\"file_path\":\"/x\",\"unknown\":\"\\u12\"}");
    ft_expect(
        w, "read_file", false,
        "failed to parse function arguments: Error(\"unexpected end of hex escape\", line: 1, "
        "column: 21)",
        "{\"file_path\":\"\\ud800\"}");
    /* a call without arguments text at all */
    assert_int_equal(ft_call_raw(w, "read_file", NULL), 0);
    assert_string_equal(w->out.text, "failed to parse function arguments: Error(\"EOF while "
                                     "parsing a value\", line: 1, column: 0)");
    /* escapes decode; unknown keys and the array form are accepted */
    ft_put(w, "q\"uote.txt", "q\n");
    ft_expect(w, "read_file", true, "L1: q",
              "{\"file_path\":\"%s/q\\\"uote.txt\",\"extra\":{\"a\":[1,2]}}", w->dir);
    ft_expect(w, "read_file", true, "L1: q", "[\"%s/q\\u0022uote.txt\", 1, 5, \"slice\"]", w->dir);
}

/* C-like code: brace blocks, comment headers, a blank line inside a body.
 * Expected texts were checked against the reference port. */
static void read_indentation_c_like(void **state)
{
    world *w = *state;
    const char *f = FIX "/widget.c";
    /* one level up from the loop body: the loop and its closing brace */
    ft_expect(
        w, "read_file", true,
        "L23:     while (w->ticks > 0) {\nL24:         w->ticks--;\nL25:         seen++;\nL26:  "
        "   }",
        "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":24,"
        "\"max_levels\":1}}",
        f);
    /* a struct with the `//` comment above it; the header goes with include_header false */
    ft_expect(w, "read_file", true,
              "L3: // A widget that can be opened and closed.\nL4: struct widget {\nL5:     int "
              "open;\nL6:     int "
              "ticks;\nL7: };",
              "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":5,"
              "\"max_levels\":1}}",
              f);
    ft_expect(w, "read_file", true,
              "L4: struct widget {\nL5:     int open;\nL6:     int ticks;\nL7: };",
              "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":5,"
              "\"max_levels\":1,"
              "\"include_header\":false}}",
              f);
    /* two levels up: the function body. A brace on its own line is the one
     * outer-depth line taken above, so the signature and comments stay out;
     * the blank line inside the body is kept */
    ft_expect(w, "read_file", true,
              "L21: {\nL22:     int seen = 0;\nL23:     while (w->ticks > 0) {\nL24:         "
              "w->ticks--;\nL25:      "
              "   seen++;\nL26:     }\nL27: \nL28:     w->open = 0;\nL29:     return seen;\nL30: }",
              "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":24,"
              "\"max_levels\":2}}",
              f);
    /* max_lines bounds the block, growing both ways from the anchor */
    ft_expect(w, "read_file", true,
              "L23:     while (w->ticks > 0) {\nL24:         w->ticks--;\nL25:         seen++;",
              "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":24,"
              "\"max_levels\":2,"
              "\"max_lines\":3}}",
              f);
    /* the anchor defaults to offset; limit 1 gives the anchor line alone */
    ft_expect(w, "read_file", true, "L13:         w->open = 1;",
              "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"offset\":13,\"limit\":1}", f);
    /* max_levels 0 means no bound on depth, but the boundary rule still
     * holds; with siblings as well the whole file comes back */
    ft_expect(w, "read_file", true,
              "L21: {\nL22:     int seen = 0;\nL23:     while (w->ticks > 0) {\nL24:         "
              "w->ticks--;\nL25:      "
              "   seen++;\nL26:     }\nL27: \nL28:     w->open = 0;\nL29:     return seen;\nL30: }",
              "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"offset\":27}", f);
    bool ok;
    const char *t =
        ft_call(w, "read_file", &ok,
                "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"offset\":27,\"indentation\":{"
                "\"include_siblings\":true}}",
                f);
    assert_true(ok);
    assert_true(ft_starts_with(t, "L1: #include <stdio.h>\n"));
    assert_non_null(strstr(t, "\nL36:     return widget_close(&w);\nL37: }"));
    assert_null(strstr(t, "L38"));
}

/* Python-like code: no closing lines, blank lines borrowing the indentation
 * above them, tabs counting four columns. */
static void read_indentation_python_like(void **state)
{
    world *w = *state;
    const char *f = FIX "/cart.py";
    /* from inside add(), one level: add() with its comment, then upward until
     * a second line at the method depth (__init__) stops it; downward the
     * first method-depth line (total) is taken as a closing line would be */
    ft_expect(
        w, "read_file", true,
        "L8:         self.items = []\nL9: \nL10:     # Adds one item.\nL11:     def add(self, "
        "item, price):\nL12: "
        "        if price < 0:\nL13:             raise ValueError(\"negative price\")\nL14:     "
        "    "
        "self.items.append((item, price))\nL15: \nL16:         return self\nL17: \nL18:     def "
        "total(self):\nL19: "
        "        return sum(price for _, price in self.items)",
        "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":14,"
        "\"max_levels\":1}}",
        f);
    /* siblings: every method of the class */
    ft_expect(
        w, "read_file", true,
        "L5:     \"\"\"Items with prices.\"\"\"\nL6: \nL7:     def __init__(self):\nL8:         "
        "self.items = "
        "[]\nL9: \nL10:     # Adds one item.\nL11:     def add(self, item, price):\nL12:        "
        " if price < "
        "0:\nL13:             raise ValueError(\"negative price\")\nL14:         "
        "self.items.append((item, "
        "price))\nL15: \nL16:         return self\nL17: \nL18:     def total(self):\nL19:       "
        "  return "
        "sum(price for _, price in self.items)",
        "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":14,"
        "\"max_levels\":1,"
        "\"include_siblings\":true}}",
        f);
    /* a tab-indented body reaches the top level in one step */
    bool ok;
    const char *t = ft_call(
        w, "read_file", &ok,
        "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":24,"
        "\"max_levels\":1}}",
        f);
    assert_true(ok);
    assert_true(ft_starts_with(t, "L5:     \"\"\"Items with prices.\"\"\"\n"));
    assert_non_null(strstr(
        t,
        "\nL20: \nL21: \nL22: def main():\nL23: \tcart = Cart()\nL24: \tcart.add(\"pen\", 2)\nL25: "
        "\tprint(json.dumps(cart.total()))"));
}

static void read_indentation_matches_reference(void **state)
{
    world *w = *state;
    assert_int_equal(ft_run_reference(w, FIX "/read_file_reference.jsonl", "@FIX@", FIX), 238);
}

static void read_indentation_errors(void **state)
{
    world *w = *state;
    ft_put(w, "a.txt", "a\nb\n");
    ft_put(w, "empty.txt", "");
    ft_expect(w, "read_file", false, "anchor_line must be a 1-indexed line number",
              "{\"file_path\":\"%s/"
              "missing\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":0}}",
              w->dir);
    ft_expect(
        w, "read_file", false, "max_lines must be greater than zero",
        "{\"file_path\":\"%s/missing\",\"mode\":\"indentation\",\"indentation\":{\"max_lines\":0}}",
        w->dir);
    ft_expect(w, "read_file", false, "failed to read file: No such file or directory (os error 2)",
              "{\"file_path\":\"%s/missing\",\"mode\":\"indentation\"}", w->dir);
    ft_expect(
        w, "read_file", false, "anchor_line exceeds file length",
        "{\"file_path\":\"%s/a.txt\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":3}}",
        w->dir);
    ft_expect(w, "read_file", false, "anchor_line exceeds file length",
              "{\"file_path\":\"%s/empty.txt\",\"mode\":\"indentation\"}", w->dir);
    /* indentation settings are ignored in slice mode */
    ft_expect(w, "read_file", true, "L1: a\nL2: b",
              "{\"file_path\":\"%s/a.txt\",\"indentation\":{\"anchor_line\":9,\"max_lines\":0}}",
              w->dir);
    /* a block of nothing but blank lines comes back empty, and successful */
    ft_put(w, "blank.txt", "\n  \n\t\n");
    ft_expect(w, "read_file", true, "",
              "{\"file_path\":\"%s/blank.txt\",\"mode\":\"indentation\",\"offset\":2}", w->dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(specs_match_upstream_shapes, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(read_slice_lines, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(read_long_lines_cut_on_char_boundary, ft_setup,
                                        ft_teardown),
        cmocka_unit_test_setup_teardown(read_nul_bytes_do_not_cut_the_output, ft_setup,
                                        ft_teardown),
        cmocka_unit_test_setup_teardown(read_errors, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(argument_errors_match_serde, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(read_indentation_c_like, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(read_indentation_python_like, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(read_indentation_matches_reference, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(read_indentation_errors, ft_setup, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
