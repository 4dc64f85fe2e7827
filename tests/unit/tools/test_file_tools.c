/* read_file, list_dir, grep_files: called through the registry as the agent
 * calls them, with exact expected texts. The *_reference.jsonl fixtures hold
 * outputs produced by a line-for-line Rust port of upstream's handlers and
 * serde_json (see tests/fixtures/file_tools/README.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "tools/file_tools.h"

#define FIX CX_TEST_FIXTURES "/file_tools"

typedef struct world {
    char dir[64];
    cx_tool_registry *reg;
    cx_tool_output out;
    atomic_bool cancel;
} world;

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    if (!w) return -1;
    snprintf(w->dir, sizeof w->dir, "/tmp/cx-ftools-XXXXXX");
    if (!mkdtemp(w->dir)) return -1;
    w->reg = cx_tools_new();
    if (cx_read_file_tool_register(w->reg) || cx_list_dir_tool_register(w->reg) ||
        cx_grep_files_tool_register(w->reg))
        return -1;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    cx_tool_output_clear(&w->out);
    cx_tools_free(w->reg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
    int rc = system(cmd);
    free(w);
    return rc == 0 ? 0 : -1;
}

/* Creates dir/rel (and its parents) holding text. */
static void put(world *w, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", w->dir, rel);
    for (char *p = path + strlen(w->dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void put_dir(world *w, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", w->dir, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

/* Calls tool with raw argument text; returns the handler's code. */
static int call_raw(world *w, const char *tool, const char *args)
{
    cx_tool_output_clear(&w->out);
    const cx_tool_def *d = cx_tools_find(w->reg, tool);
    assert_non_null(d);
    cx_tool_env env = {.cwd = w->dir, .cancel = &w->cancel};
    cx_tool_call c = {tool, "call_1", CX_TOOL_FUNCTION, args};
    return d->handler(d->state, &c, &env, &w->out);
}

/* Calls tool with printf-formatted arguments; returns its text, sets *ok. */
static const char *call(world *w, const char *tool, bool *ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static const char *call(world *w, const char *tool, bool *ok, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    assert_int_equal(call_raw(w, tool, args), 0);
    assert_non_null(w->out.text);
    *ok = w->out.success;
    return w->out.text;
}

static void expect(world *w, const char *tool, bool want_ok, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void expect(world *w, const char *tool, bool want_ok, const char *want, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    assert_int_equal(call_raw(w, tool, args), 0);
    assert_non_null(w->out.text);
    if (strcmp(w->out.text, want) || w->out.success != want_ok)
        print_message("%s %s\n  got (%s): %s\n", tool, args, w->out.success ? "ok" : "failed",
                      w->out.text);
    assert_string_equal(w->out.text, want);
    assert_int_equal(w->out.success, want_ok);
}

static bool starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* Replaces every `from` in s with `to`; the caller frees. */
static char *subst(const char *s, const char *from, const char *to)
{
    cx_buf b = CX_BUF_INIT;
    size_t fl = strlen(from);
    for (const char *p; (p = strstr(s, from)); s = p + fl) {
        cx_buf_append(&b, s, (size_t)(p - s));
        cx_buf_puts(&b, to);
    }
    cx_buf_puts(&b, s);
    return cx_buf_steal(&b);
}

/* Runs every case of a reference file; placeholders in args and output are
 * replaced first. Returns the number of cases. */
static int run_reference(world *w, const char *file, const char *placeholder, const char *value)
{
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    int cases = 0, failures = 0;
    while (getline(&line, &cap, f) > 0) {
        json_object *c = NULL;
        assert_int_equal(cx_json_parse(line, strlen(line), &c, NULL), 0);
        const char *tool = cx_json_get_str(c, "tool");
        bool want_ok = false;
        cx_json_get_bool(c, "success", &want_ok);
        char *args = subst(cx_json_get_str(c, "args"), placeholder, value);
        char *want = subst(cx_json_get_str(c, "output"), placeholder, value);
        assert_int_equal(call_raw(w, tool, args), 0);
        if (!w->out.text || strcmp(w->out.text, want) || w->out.success != want_ok) {
            print_message("case %d: %s %s\n  want (%s): %s\n  got  (%s): %s\n", cases + 1, tool,
                          args, want_ok ? "ok" : "failed", want, w->out.success ? "ok" : "failed",
                          w->out.text ? w->out.text : "(null)");
            failures++;
        }
        free(args);
        free(want);
        json_object_put(c);
        cases++;
    }
    free(line);
    fclose(f);
    assert_int_equal(failures, 0);
    return cases;
}

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
    const char *desc = cx_json_get_str(d->spec, "description");
    assert_non_null(desc);
    assert_true(strlen(desc) > 40);
    json_object *copy = cx_json_copy(d->spec);
    strip_descriptions(copy);
    char *text = cx_json_to_string(copy);
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
    put(w, "a.txt", "one\r\ntwo\nthree\r\r\n\xff\xfe bad\n\nlast without newline");
    expect(w, "read_file", true,
           "L1: one\nL2: two\nL3: three\r\nL4: \xef\xbf\xbd\xef\xbf\xbd bad\nL5: \nL6: last "
           "without newline",
           "{\"file_path\":\"%s/a.txt\"}", w->dir);
    expect(w, "read_file", true, "L2: two\nL3: three\r",
           "{\"file_path\":\"%s/a.txt\",\"offset\":2,\"limit\":2}", w->dir);
    expect(w, "read_file", true, "L6: last without newline",
           "{\"file_path\":\"%s/a.txt\",\"offset\":6}", w->dir);
    expect(w, "read_file", false, "offset exceeds file length",
           "{\"file_path\":\"%s/a.txt\",\"offset\":7}", w->dir);
    /* a trailing newline does not start another line */
    put(w, "b.txt", "x\n");
    expect(w, "read_file", false, "offset exceeds file length",
           "{\"file_path\":\"%s/b.txt\",\"offset\":2}", w->dir);
    put(w, "empty.txt", "");
    expect(w, "read_file", false, "offset exceeds file length", "{\"file_path\":\"%s/empty.txt\"}",
           w->dir);
    /* paths outside the working directory are fine, as upstream */
    expect(w, "read_file", true, "L1: short", "{\"file_path\":\"%s/long.txt\",\"limit\":1}", FIX);
}

static void read_long_lines_cut_on_char_boundary(void **state)
{
    world *w = *state;
    bool ok;
    const char *t =
        call(w, "read_file", &ok, "{\"file_path\":\"%s/long.txt\",\"offset\":2,\"limit\":3}", FIX);
    assert_true(ok);
    /* 498 x + "éé" (4 bytes) keeps one é: exactly 500 bytes */
    cx_buf b = CX_BUF_INIT;
    cx_buf_puts(&b, "L2: ");
    for (int k = 0; k < 498; k++)
        cx_buf_putc(&b, 'x');
    cx_buf_puts(&b, "\xc3\xa9\nL3: ");
    for (int k = 0; k < 500; k++)
        cx_buf_putc(&b, 'y');
    cx_buf_puts(&b, "\nL4: ");
    for (int k = 0; k < 499; k++)
        cx_buf_putc(&b, 'z'); /* the euro sign would cross 500: dropped */
    assert_string_equal(t, cx_buf_str(&b));
    cx_buf_free(&b);
}

static void read_nul_bytes_do_not_cut_the_output(void **state)
{
    world *w = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/nul.bin", w->dir);
    FILE *f = fopen(path, "wb");
    fwrite("a\0b\nc\n", 1, 6, f);
    fclose(f);
    expect(w, "read_file", true,
           "L1: a\xef\xbf\xbd"
           "b\nL2: c",
           "{\"file_path\":\"%s\"}", path);
}

static void read_errors(void **state)
{
    world *w = *state;
    put(w, "a.txt", "a\n");
    expect(w, "read_file", false, "file_path must be an absolute path",
           "{\"file_path\":\"a.txt\"}");
    expect(w, "read_file", false, "file_path must be an absolute path", "{\"file_path\":\"\"}");
    expect(w, "read_file", false, "offset must be a 1-indexed line number",
           "{\"file_path\":\"%s/a.txt\",\"offset\":0}", w->dir);
    expect(w, "read_file", false, "limit must be greater than zero",
           "{\"file_path\":\"%s/a.txt\",\"limit\":0}", w->dir);
    /* upstream's order: offset, then limit, then the path */
    expect(w, "read_file", false, "offset must be a 1-indexed line number",
           "{\"file_path\":\"rel\",\"offset\":0,\"limit\":0}");
    expect(w, "read_file", false, "limit must be greater than zero",
           "{\"file_path\":\"rel\",\"limit\":0}");
    expect(w, "read_file", false, "failed to read file: No such file or directory (os error 2)",
           "{\"file_path\":\"%s/missing\"}", w->dir);
    expect(w, "read_file", false, "failed to read file: Is a directory (os error 21)",
           "{\"file_path\":\"%s\"}", w->dir);
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"missing field `file_path`\", line: 1, "
           "column: 2)",
           "{}");
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"unknown variant `tree`, expected `slice` "
           "or `indentation`\", "
           "line: 1, column: 31)",
           "{\"file_path\":\"/x\",\"mode\":\"tree\"}");
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"invalid value: integer `-3`, expected "
           "usize\", line: 1, "
           "column: 29)",
           "{\"file_path\":\"/x\",\"offset\":-3}");
    if (geteuid() != 0) {
        put(w, "secret.txt", "s\n");
        char p[256];
        snprintf(p, sizeof p, "%s/secret.txt", w->dir);
        chmod(p, 0);
        expect(w, "read_file", false, "failed to read file: Permission denied (os error 13)",
               "{\"file_path\":\"%s\"}", p);
    }
}

/* Arguments decode as serde_json decodes upstream's structs, errors included. */
static void argument_errors_match_serde(void **state)
{
    world *w = *state;
    assert_int_equal(run_reference(w, FIX "/args_reference.jsonl", "@NONE@", ""), 122);
    /* current serde_json prints floats through ryu ("100.0", "-0.0") and reads
     * all four digits of a \u escape before complaining */
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"invalid type: floating point `100.0`, "
           "expected usize\", "
           "line: 1, column: 30)",
           "{\"file_path\":\"/x\",\"offset\":1e2}");
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"invalid type: floating point `-0.0`, "
           "expected usize\", line: "
           "1, column: 29)",
           "{\"file_path\":\"/x\",\"offset\":-0}");
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"invalid type: floating point "
           "`1.8446744073709552e19`, "
           "expected usize\", line: 1, column: 47)",
           "{\"file_path\":\"/x\",\"offset\":18446744073709551616}");
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"invalid type: floating point `0.0001`, "
           "expected usize\", "
           "line: 1, column: 31)",
           "{\"file_path\":\"/x\",\"offset\":1e-4}");
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"invalid escape\", line: 1, column: 35)",
           "{\"file_path\":\"/x\",\"unknown\":\"\\u12\"}");
    expect(w, "read_file", false,
           "failed to parse function arguments: Error(\"unexpected end of hex escape\", line: 1, "
           "column: 21)",
           "{\"file_path\":\"\\ud800\"}");
    /* a call without arguments text at all */
    assert_int_equal(call_raw(w, "read_file", NULL), 0);
    assert_string_equal(w->out.text, "failed to parse function arguments: Error(\"EOF while "
                                     "parsing a value\", line: 1, column: 0)");
    /* escapes decode; unknown keys and the array form are accepted */
    put(w, "q\"uote.txt", "q\n");
    expect(w, "read_file", true, "L1: q",
           "{\"file_path\":\"%s/q\\\"uote.txt\",\"extra\":{\"a\":[1,2]}}", w->dir);
    expect(w, "read_file", true, "L1: q", "[\"%s/q\\u0022uote.txt\", 1, 5, \"slice\"]", w->dir);
}

/* C-like code: brace blocks, comment headers, a blank line inside a body.
 * Expected texts were checked against the reference port. */
static void read_indentation_c_like(void **state)
{
    world *w = *state;
    const char *f = FIX "/widget.c";
    /* one level up from the loop body: the loop and its closing brace */
    expect(w, "read_file", true,
           "L23:     while (w->ticks > 0) {\nL24:         w->ticks--;\nL25:         seen++;\nL26:  "
           "   }",
           "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":24,"
           "\"max_levels\":1}}",
           f);
    /* a struct with the `//` comment above it; the header goes with include_header false */
    expect(w, "read_file", true,
           "L3: // A widget that can be opened and closed.\nL4: struct widget {\nL5:     int "
           "open;\nL6:     int "
           "ticks;\nL7: };",
           "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":5,"
           "\"max_levels\":1}}",
           f);
    expect(w, "read_file", true,
           "L4: struct widget {\nL5:     int open;\nL6:     int ticks;\nL7: };",
           "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":5,"
           "\"max_levels\":1,"
           "\"include_header\":false}}",
           f);
    /* two levels up: the function body. A brace on its own line is the one
     * outer-depth line taken above, so the signature and comments stay out;
     * the blank line inside the body is kept */
    expect(w, "read_file", true,
           "L21: {\nL22:     int seen = 0;\nL23:     while (w->ticks > 0) {\nL24:         "
           "w->ticks--;\nL25:      "
           "   seen++;\nL26:     }\nL27: \nL28:     w->open = 0;\nL29:     return seen;\nL30: }",
           "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":24,"
           "\"max_levels\":2}}",
           f);
    /* max_lines bounds the block, growing both ways from the anchor */
    expect(w, "read_file", true,
           "L23:     while (w->ticks > 0) {\nL24:         w->ticks--;\nL25:         seen++;",
           "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":24,"
           "\"max_levels\":2,"
           "\"max_lines\":3}}",
           f);
    /* the anchor defaults to offset; limit 1 gives the anchor line alone */
    expect(w, "read_file", true, "L13:         w->open = 1;",
           "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"offset\":13,\"limit\":1}", f);
    /* max_levels 0 means no bound on depth, but the boundary rule still
     * holds; with siblings as well the whole file comes back */
    expect(w, "read_file", true,
           "L21: {\nL22:     int seen = 0;\nL23:     while (w->ticks > 0) {\nL24:         "
           "w->ticks--;\nL25:      "
           "   seen++;\nL26:     }\nL27: \nL28:     w->open = 0;\nL29:     return seen;\nL30: }",
           "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"offset\":27}", f);
    bool ok;
    const char *t =
        call(w, "read_file", &ok,
             "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"offset\":27,\"indentation\":{"
             "\"include_siblings\":true}}",
             f);
    assert_true(ok);
    assert_true(starts_with(t, "L1: #include <stdio.h>\n"));
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
    expect(w, "read_file", true,
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
    expect(w, "read_file", true,
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
    const char *t =
        call(w, "read_file", &ok,
             "{\"file_path\":\"%s\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":24,"
             "\"max_levels\":1}}",
             f);
    assert_true(ok);
    assert_true(starts_with(t, "L5:     \"\"\"Items with prices.\"\"\"\n"));
    assert_non_null(strstr(
        t,
        "\nL20: \nL21: \nL22: def main():\nL23: \tcart = Cart()\nL24: \tcart.add(\"pen\", 2)\nL25: "
        "\tprint(json.dumps(cart.total()))"));
}

static void read_indentation_matches_reference(void **state)
{
    world *w = *state;
    assert_int_equal(run_reference(w, FIX "/read_file_reference.jsonl", "@FIX@", FIX), 238);
}

static void read_indentation_errors(void **state)
{
    world *w = *state;
    put(w, "a.txt", "a\nb\n");
    put(w, "empty.txt", "");
    expect(w, "read_file", false, "anchor_line must be a 1-indexed line number",
           "{\"file_path\":\"%s/"
           "missing\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":0}}",
           w->dir);
    expect(
        w, "read_file", false, "max_lines must be greater than zero",
        "{\"file_path\":\"%s/missing\",\"mode\":\"indentation\",\"indentation\":{\"max_lines\":0}}",
        w->dir);
    expect(w, "read_file", false, "failed to read file: No such file or directory (os error 2)",
           "{\"file_path\":\"%s/missing\",\"mode\":\"indentation\"}", w->dir);
    expect(
        w, "read_file", false, "anchor_line exceeds file length",
        "{\"file_path\":\"%s/a.txt\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":3}}",
        w->dir);
    expect(w, "read_file", false, "anchor_line exceeds file length",
           "{\"file_path\":\"%s/empty.txt\",\"mode\":\"indentation\"}", w->dir);
    /* indentation settings are ignored in slice mode */
    expect(w, "read_file", true, "L1: a\nL2: b",
           "{\"file_path\":\"%s/a.txt\",\"indentation\":{\"anchor_line\":9,\"max_lines\":0}}",
           w->dir);
    /* a block of nothing but blank lines comes back empty, and successful */
    put(w, "blank.txt", "\n  \n\t\n");
    expect(w, "read_file", true, "",
           "{\"file_path\":\"%s/blank.txt\",\"mode\":\"indentation\",\"offset\":2}", w->dir);
}

/* ---- list_dir ------------------------------------------------------------------------------- */

static void make_tree(world *w, const char *root)
{
    char rel[256], path[1024], target[64];
    const char *files[] = {"a/x.txt",   "a/deep/y.txt", "a/deep/deeper/z.txt", "c/x/q", "Upper/u",
                           ".hidden/h", "back\\slash",  "\xc3\xa9.txt",        "e.txt", "f.txt",
                           "b.txt",     "bad\377name"};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        snprintf(rel, sizeof rel, "%s/%s", root, files[k]);
        put(w, rel, "");
    }
    snprintf(rel, sizeof rel, "%s/b", root);
    put_dir(w, rel);
    const char *links[][2] = {{"link", "b.txt"}, {"dirlink", "a"}, {"dangling", "nowhere"}};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s/%s", w->dir, root, links[k][0]);
        snprintf(target, sizeof target, "%s", links[k][1]);
        assert_int_equal(symlink(target, path), 0);
    }
    snprintf(path, sizeof path, "%s/%s/pipe", w->dir, root);
    assert_int_equal(mkfifo(path, 0600), 0);
}

static void list_markers_sorting_and_depth(void **state)
{
    world *w = *state;
    make_tree(w, "tree");
    char want[2048];
    snprintf(want, sizeof want,
             "Absolute path: %s/tree\n.hidden/\n  h\nUpper/\n  u\na/\n  deep/\n  "
             "x.txt\nb/\nb.txt\nback\\slash\n"
             "bad\xef\xbf\xbdname\nc/\n  "
             "x/\ndangling@\ndirlink@\ne.txt\nf.txt\nlink@\npipe?\n\xc3\xa9.txt",
             w->dir);
    expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree\"}", w->dir);
    snprintf(want, sizeof want,
             "Absolute path: "
             "%s/tree\n.hidden/\nUpper/\na/\nb/\nb.txt\nback\\slash\nbad\xef\xbf\xbdname\nc/\n"
             "dangling@\ndirlink@\ne.txt\nf.txt\nlink@\npipe?\n\xc3\xa9.txt",
             w->dir);
    expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree\",\"depth\":1}", w->dir);
    /* a symlink to a directory is listed, not entered */
    snprintf(want, sizeof want,
             "Absolute path: %s/tree/a\ndeep/\n  deeper/\n    z.txt\n  y.txt\nx.txt", w->dir);
    expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree/a\",\"depth\":3}", w->dir);
    /* the path is shown as given */
    snprintf(want, sizeof want, "Absolute path: %s/tree/a/\ndeep/\nx.txt", w->dir);
    expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree/a/\",\"depth\":1}", w->dir);
    snprintf(want, sizeof want, "Absolute path: %s/tree/b", w->dir);
    expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree/b\",\"offset\":5}", w->dir);
    /* upstream sorts on the path with backslashes read as '/': a\\b before aZ */
    put(w, "bs/aZ", "");
    put(w, "bs/a\\b", "");
    put(w, "bs/a-c", "");
    snprintf(want, sizeof want, "Absolute path: %s/bs\na-c\na\\b\naZ", w->dir);
    expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/bs\"}", w->dir);
}

/* The window is cut from breadth-first order, then sorted (upstream's
 * bfs_truncation): shallow entries win over deep ones. */
static void list_window_is_breadth_first(void **state)
{
    world *w = *state;
    put(w, "bfs/root.txt", "");
    put(w, "bfs/nested/child.txt", "");
    put(w, "bfs/nested/deeper/grandchild.txt", "");
    char want[1024];
    snprintf(want, sizeof want,
             "Absolute path: %s/bfs\nnested/\n  child.txt\nroot.txt\nMore than 3 entries found",
             w->dir);
    expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/bfs\",\"limit\":3,\"depth\":3}", w->dir);
    snprintf(want, sizeof want, "Absolute path: %s/bfs\n  deeper/\n    grandchild.txt", w->dir);
    expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/bfs\",\"offset\":4,\"depth\":3}", w->dir);
    snprintf(want, sizeof want, "Absolute path: %s/bfs\nroot.txt\nMore than 1 entries found",
             w->dir);
    expect(w, "list_dir", true, want,
           "{\"dir_path\":\"%s/bfs\",\"offset\":2,\"limit\":1,\"depth\":3}", w->dir);
    expect(w, "list_dir", false, "offset exceeds directory entry count",
           "{\"dir_path\":\"%s/bfs\",\"offset\":6,\"depth\":3}", w->dir);
    /* a huge limit does not overflow */
    snprintf(want, sizeof want, "Absolute path: %s/bfs\nroot.txt", w->dir);
    expect(w, "list_dir", true, want,
           "{\"dir_path\":\"%s/bfs\",\"offset\":2,\"limit\":18446744073709551615,\"depth\":1}",
           w->dir);
    /* 40 files: the default limit of 25 */
    for (int k = 0; k < 40; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "many/file_%02d.txt", k);
        put(w, rel, "");
    }
    bool ok;
    const char *t = call(w, "list_dir", &ok, "{\"dir_path\":\"%s/many\"}", w->dir);
    assert_true(ok);
    assert_non_null(strstr(t, "\nfile_24.txt\nMore than 25 entries found"));
    assert_null(strstr(t, "file_25"));
}

static void list_matches_reference(void **state)
{
    world *w = *state;
    make_tree(w, "ltree");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/ltree", w->dir);
    assert_int_equal(run_reference(w, FIX "/list_dir_reference.jsonl", "@DIR@", dir), 63);
}

static void list_errors(void **state)
{
    world *w = *state;
    put(w, "file.txt", "x");
    expect(w, "list_dir", false, "dir_path must be an absolute path", "{\"dir_path\":\"tree\"}");
    expect(w, "list_dir", false, "offset must be a 1-indexed entry number",
           "{\"dir_path\":\"/x\",\"offset\":0}");
    expect(w, "list_dir", false, "limit must be greater than zero",
           "{\"dir_path\":\"/x\",\"limit\":0}");
    expect(w, "list_dir", false, "depth must be greater than zero",
           "{\"dir_path\":\"/x\",\"depth\":0}");
    expect(w, "list_dir", false, "offset must be a 1-indexed entry number",
           "{\"dir_path\":\"rel\",\"offset\":0,\"depth\":0}");
    expect(w, "list_dir", false, "failed to read directory: No such file or directory (os error 2)",
           "{\"dir_path\":\"%s/nope\"}", w->dir);
    expect(w, "list_dir", false, "failed to read directory: Not a directory (os error 20)",
           "{\"dir_path\":\"%s/file.txt\"}", w->dir);
    expect(w, "list_dir", false,
           "failed to parse function arguments: Error(\"missing field `dir_path`\", line: 1, "
           "column: 13)",
           "{\"path\":\"/x\"}");
    expect(w, "list_dir", false,
           "failed to parse function arguments: Error(\"invalid type: boolean `true`, expected "
           "usize\", line: 1, "
           "column: 29)",
           "{\"dir_path\":\"/x\",\"depth\":true}");
    atomic_store(&w->cancel, true);
    assert_int_equal(call_raw(w, "list_dir", "{\"dir_path\":\"/tmp\"}"), CX_ECANCELED);
    atomic_store(&w->cancel, false);
}

/* ---- grep_files ----------------------------------------------------------------------------- */

static void set_mtime(world *w, const char *rel, time_t when)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", w->dir, rel);
    struct timespec ts[2] = {{when, 0}, {when, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void grep_finds_files_newest_first(void **state)
{
    world *w = *state;
    put(w, "src/one.c", "int alpha = 1;\n");
    put(w, "src/two.h", "#define ALPHA alpha\n");
    put(w, "src/three.c", "nothing here\n");
    put(w, "src/sub/four.c", "alpha again\n");
    set_mtime(w, "src/one.c", 1000000000);
    set_mtime(w, "src/two.h", 1100000000);
    set_mtime(w, "src/sub/four.c", 1200000000);
    char want[1024];
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h\n%s/src/one.c", w->dir, w->dir,
             w->dir);
    expect(w, "grep_files", true, want, "{\"pattern\":\"alpha\",\"path\":\"src\"}");
    /* the pattern is trimmed; an absolute path; limit keeps the newest */
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h", w->dir, w->dir);
    expect(w, "grep_files", true, want,
           "{\"pattern\":\"  alph[a]\\n\",\"path\":\"%s/src\",\"limit\":2}", w->dir);
    /* include glob (trimmed) */
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/one.c", w->dir, w->dir);
    expect(w, "grep_files", true, want,
           "{\"pattern\":\"alpha\",\"path\":\"src\",\"include\":\" *.c \"}");
    /* an include of white space only means no filter; limits past 2000 are capped, not refused */
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h\n%s/src/one.c", w->dir, w->dir,
             w->dir);
    expect(w, "grep_files", true, want,
           "{\"pattern\":\"alpha\",\"path\":\"src\",\"include\":\"  \",\"limit\":99999}");
    /* no path: the working directory */
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h\n%s/src/one.c", w->dir, w->dir,
             w->dir);
    expect(w, "grep_files", true, want, "{\"pattern\":\"alpha\"}");
    /* a path that is not UTF-8 is left out, as upstream drops it */
    put(w, "src/bad\xff.c", "alpha\n");
    set_mtime(w, "src/bad\xff.c", 1300000000);
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h\n%s/src/one.c", w->dir, w->dir,
             w->dir);
    expect(w, "grep_files", true, want, "{\"pattern\":\"alpha\",\"path\":\"src\"}");
    /* a file as the path */
    snprintf(want, sizeof want, "%s/src/two.h", w->dir);
    expect(w, "grep_files", true, want, "{\"pattern\":\"ALPHA\",\"path\":\"src/two.h\"}");
}

static void grep_failures(void **state)
{
    world *w = *state;
    put(w, "src/one.c", "int alpha = 1;\n");
    expect(w, "grep_files", false, "No matches found.", "{\"pattern\":\"zebra\",\"path\":\"src\"}");
    expect(w, "grep_files", false, "No matches found.",
           "{\"pattern\":\"alpha\",\"path\":\"src\",\"include\":\"*.h\"}");
    expect(w, "grep_files", false, "pattern must not be empty",
           "{\"pattern\":\" \\t\\u00a0\\u3000\"}");
    expect(w, "grep_files", false, "limit must be greater than zero",
           "{\"pattern\":\"a\",\"limit\":0}");
    char want[1024];
    snprintf(want, sizeof want,
             "unable to access `%s/missing`: No such file or directory (os error 2)", w->dir);
    expect(w, "grep_files", false, want, "{\"pattern\":\"a\",\"path\":\"missing\"}");
    expect(w, "grep_files", false,
           "unable to access `/nonexistent-dir`: No such file or directory (os error 2)",
           "{\"pattern\":\"a\",\"path\":\"/nonexistent-dir\"}");
    expect(w, "grep_files", false,
           "failed to parse function arguments: Error(\"missing field `pattern`\", line: 1, "
           "column: 2)",
           "{}");
    /* a bad regex: rg's own message */
    bool ok;
    const char *t = call(w, "grep_files", &ok, "{\"pattern\":\"(unclosed\",\"path\":\"src\"}");
    assert_false(ok);
    assert_true(starts_with(t, "rg failed: "));
    assert_non_null(strstr(t, "unclosed group"));
}

static void grep_without_rg_says_so(void **state)
{
    world *w = *state;
    put_dir(w, "emptybin");
    char bin[256];
    snprintf(bin, sizeof bin, "%s/emptybin", w->dir);
    char *saved = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", bin, 1);
    bool ok;
    const char *t = call(w, "grep_files", &ok, "{\"pattern\":\"alpha\"}");
    setenv("PATH", saved, 1);
    free(saved);
    assert_false(ok);
    assert_string_equal(
        t,
        "failed to launch rg: No such file or directory (os error 2). Ensure ripgrep is installed "
        "and on PATH.");
}

static void grep_honours_cancel(void **state)
{
    world *w = *state;
    put(w, "a.txt", "alpha\n");
    atomic_store(&w->cancel, true);
    assert_int_equal(call_raw(w, "grep_files", "{\"pattern\":\"alpha\"}"), CX_ECANCELED);
    atomic_store(&w->cancel, false);
}

/* ---- running a program ---------------------------------------------------------------------- */

static void run_captures_and_reports(void **state)
{
    world *w = *state;
    cx_buf out = CX_BUF_INIT, err = CX_BUF_INIT;
    int spawn_err = 0;
    char *argv[] = {"sh", "-c", "pwd; echo oops >&2; read x; echo \"[$x]\"; exit 3", NULL};
    assert_int_equal(cx__ft_run(NULL, argv, w->dir, 10000, NULL, &out, &err, &spawn_err), 3);
    char want[256];
    snprintf(want, sizeof want, "%s\n[]\n", w->dir); /* runs in cwd, stdin is empty */
    assert_string_equal(cx_buf_str(&out), want);
    assert_string_equal(cx_buf_str(&err), "oops\n");
    cx_buf_reset(&out);
    char *killed[] = {"sh", "-c", "kill -9 $$", NULL};
    assert_int_equal(cx__ft_run(NULL, killed, NULL, 10000, NULL, &out, &err, &spawn_err),
                     CX__FT_SIGNALED);
    char *missing[] = {"cx-no-such-program-here", NULL};
    assert_int_equal(cx__ft_run(NULL, missing, NULL, 10000, NULL, &out, &err, &spawn_err),
                     CX__FT_SPAWN);
    assert_int_equal(spawn_err, ENOENT);
    cx_buf_free(&out);
    cx_buf_free(&err);
}

/* True once pid no longer runs (gone, or a zombie nobody reaped yet). */
static bool gone_within(int pid, int ms)
{
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    for (int waited = 0; waited <= ms; waited += 20) {
        FILE *f = fopen(path, "r");
        if (!f) return true;
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = '\0';
        const char *close = strrchr(stat, ')');
        if (close && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X')) return true;
        usleep(20000);
    }
    return false;
}

static void run_kills_on_timeout_and_cancel(void **state)
{
    world *w = *state;
    cx_buf out = CX_BUF_INIT, err = CX_BUF_INIT;
    int spawn_err = 0;
    /* a child of the child holds the pipe too: the whole group must die */
    char pidfile[256], script[512];
    snprintf(pidfile, sizeof pidfile, "%s/bg.pid", w->dir);
    snprintf(script, sizeof script, "sleep 30 & echo $! > '%s'; sleep 30", pidfile);
    char *argv[] = {"sh", "-c", script, NULL};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cx__ft_run(NULL, argv, NULL, 300, NULL, &out, &err, &spawn_err),
                     CX__FT_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    /* the background sleep died with its parent */
    FILE *pf = fopen(pidfile, "r");
    assert_non_null(pf);
    int bg = 0;
    assert_int_equal(fscanf(pf, "%d", &bg), 1);
    fclose(pf);
    assert_true(gone_within(bg, 3000));
    atomic_store(&w->cancel, true);
    assert_int_equal(cx__ft_run(NULL, argv, NULL, 10000, &w->cancel, &out, &err, &spawn_err),
                     CX__FT_CANCELED);
    atomic_store(&w->cancel, false);
    /* both were reaped: no child is left */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    cx_buf_free(&out);
    cx_buf_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(specs_match_upstream_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(read_slice_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(read_long_lines_cut_on_char_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(read_nul_bytes_do_not_cut_the_output, setup, teardown),
        cmocka_unit_test_setup_teardown(read_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(argument_errors_match_serde, setup, teardown),
        cmocka_unit_test_setup_teardown(read_indentation_c_like, setup, teardown),
        cmocka_unit_test_setup_teardown(read_indentation_python_like, setup, teardown),
        cmocka_unit_test_setup_teardown(read_indentation_matches_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(read_indentation_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(list_markers_sorting_and_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(list_window_is_breadth_first, setup, teardown),
        cmocka_unit_test_setup_teardown(list_matches_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(list_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(grep_finds_files_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(grep_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(grep_without_rg_says_so, setup, teardown),
        cmocka_unit_test_setup_teardown(grep_honours_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(run_captures_and_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(run_kills_on_timeout_and_cancel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
