/* The one argument decoder (tools/args.c) as every kind of tool meets it: the
 * texts serde_json gives upstream's handlers (Display for shell, exec, plan,
 * view_image and the agent tools; Debug for the file tools), checked on the
 * decoder's own field tables and through the registered handlers. Expected
 * texts were recorded from upstream 0.115.0 (tests/fixtures/upstream-extra,
 * scenarios tool_arg_decode_errors / tool_arg_decode_more / agent_arg_decode_errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "core/subagents.h"
#include "tools/args.h"
#include "tools/basic_tools.h"
#include "tools/shell.h"
#include "tools/uexec.h"

#define PREFIX "failed to parse function arguments: "

/* ---- the decoder on a table ---- */

static const char *const COLORS[] = {"red", "green", NULL};

typedef struct table {
    cx__ft_field str, item_fields[2], elem, fields[6];
    cx__ft_struct item, st;
} table;

/* struct Args { name: String, count: Option<u64>, flag: bool (default), color: Color
 * (default), tags: Option<Vec<String>>, items: Vec<Item { id: i32, note: Option<String> }>
 * (default) } */
static void table_init(table *t)
{
    memset(t, 0, sizeof *t);
    t->str = (cx__ft_field){.name = "tag", .type = CX__FT_STRING};
    t->item_fields[0] = (cx__ft_field){.name = "id", .type = CX__FT_I32, .required = true};
    t->item_fields[1] = (cx__ft_field){.name = "note", .type = CX__FT_STRING, .option = true};
    t->item = (cx__ft_struct){"Item", t->item_fields, 2};
    t->elem = (cx__ft_field){.name = "item", .type = CX__FT_STRUCT, .nested = &t->item};
    t->fields[0] = (cx__ft_field){.name = "name", .type = CX__FT_STRING, .required = true};
    t->fields[1] =
        (cx__ft_field){.name = "count", .type = CX__FT_U64, .option = true, .alias = "n"};
    t->fields[2] = (cx__ft_field){.name = "flag", .type = CX__FT_BOOL};
    t->fields[3] = (cx__ft_field){.name = "color", .type = CX__FT_ENUM, .variants = COLORS};
    t->fields[4] =
        (cx__ft_field){.name = "tags", .type = CX__FT_SEQ, .option = true, .elem = &t->str};
    t->fields[5] = (cx__ft_field){.name = "items", .type = CX__FT_SEQ, .elem = &t->elem};
    t->st = (cx__ft_struct){"Args", t->fields, 6};
}

/* The Display text for text, or "" when it decodes. */
static char *display(const char *text)
{
    table t;
    table_init(&t);
    char *msg = NULL;
    int rc = cx__ft_decode_as(text, strlen(text), &t.st, CX__FT_DISPLAY, &msg);
    cx__ft_clear(&t.st);
    assert_true(rc == 0 || rc == 1);
    return rc ? msg : strdup("");
}

static void expect(const char *text, const char *want)
{
    char *got = display(text);
    assert_string_equal(got, want);
    free(got);
}

static void missing_field(void **state)
{
    (void)state;
    expect("{}", PREFIX "missing field `name` at line 1 column 2");
    expect("{\"flag\": true}", PREFIX "missing field `name` at line 1 column 14");
    expect("{\n  \"flag\": true\n}", PREFIX "missing field `name` at line 3 column 1");
    expect("{\"name\":\"a\",\"items\":[{\"note\":null}]}",
           PREFIX "missing field `id` at line 1 column 34");
}

static void wrong_type(void **state)
{
    (void)state;
    expect("{\"name\": 5}",
           PREFIX "invalid type: integer `5`, expected a string at line 1 column 10");
    expect("{\"name\":\"a\",\"count\":-1}",
           PREFIX "invalid value: integer `-1`, expected u64 at line 1 column 22");
    expect("{\"name\":\"a\",\"count\":1.5}",
           PREFIX "invalid type: floating point `1.5`, expected u64 at line 1 column 23");
    expect("{\"name\":\"a\",\"flag\":null}",
           PREFIX "invalid type: null, expected a boolean at line 1 column 23");
    expect("{\"name\":\"a\",\"tags\":\"x\"}",
           PREFIX "invalid type: string \"x\", expected a sequence at line 1 column 22");
    expect("{\"name\":\"a\",\"tags\":[1]}",
           PREFIX "invalid type: integer `1`, expected a string at line 1 column 21");
    expect("{\"name\":\"a\",\"color\":\"blue\"}",
           PREFIX "unknown variant `blue`, expected `red` or `green` at line 1 column 26");
    expect("{\"name\":\"a\",\"items\":[{\"id\":5000000000}]}",
           PREFIX "invalid value: integer `5000000000`, expected i32 at line 1 column 37");
    expect("{\"name\":\"a\",\"items\":[5]}",
           PREFIX "invalid type: integer `5`, expected struct Item at line 1 column 22");
}

static void not_an_object(void **state)
{
    (void)state;
    expect("5", PREFIX "invalid type: integer `5`, expected struct Args at line 1 column 1");
    expect("\"x\"", PREFIX "invalid type: string \"x\", expected struct Args at line 1 column 3");
    expect("not json", PREFIX "expected ident at line 1 column 2");
    /* the array form of a struct: fields in order */
    expect("[]",
           PREFIX "invalid length 0, expected struct Args with 6 elements at line 1 column 2");
    expect("[\"a\", 3, true, \"red\", null, []]", "");
}

static void trailing_and_eof(void **state)
{
    (void)state;
    expect("{\"name\":\"a\"} x", PREFIX "trailing characters at line 1 column 14");
    expect("{\"name\":\"a\",}", PREFIX "trailing comma at line 1 column 13");
    expect("", PREFIX "EOF while parsing a value at line 1 column 0");
    expect("{\"name\":\"a\"", PREFIX "EOF while parsing an object at line 1 column 11");
    expect("{\"name\":\"a\",\"tags\":[\"x\"",
           PREFIX "EOF while parsing a list at line 1 column 23");
    expect("{\"name\":\"a", PREFIX "EOF while parsing a string at line 1 column 10");
}

static void unknown_and_duplicate_fields(void **state)
{
    (void)state;
    /* unknown keys are skipped whatever they hold, but must still be JSON */
    expect("{\"name\":\"a\",\"other\":{\"x\":[1,{}]}}", "");
    expect("{\"name\":\"a\",\"other\":[1,}", PREFIX "expected value at line 1 column 24");
    expect("{\"name\":\"a\",\"name\":\"b\"}", PREFIX "duplicate field `name` at line 1 column 18");
    /* an alias names the same field */
    expect("{\"name\":\"a\",\"n\":2,\"count\":3}",
           PREFIX "duplicate field `count` at line 1 column 25");
}

static void values_and_debug_style(void **state)
{
    (void)state;
    table t;
    table_init(&t);
    char *msg = NULL;
    const char *ok = "{\"name\":\"h\\u00e9\",\"n\":7,\"flag\":true,\"color\":\"green\"}";
    assert_int_equal(cx__ft_decode_as(ok, strlen(ok), &t.st, CX__FT_DISPLAY, &msg), 0);
    assert_string_equal(t.fields[0].str, "h\xc3\xa9");
    assert_true(t.fields[1].set);
    assert_int_equal(t.fields[1].num, 7);
    assert_true(t.fields[2].flag);
    assert_int_equal(t.fields[3].variant, 1);
    assert_false(t.fields[4].seen);
    /* the file tools' wording of the same failure */
    assert_int_equal(cx__ft_decode("{}", 2, &t.st, &msg), 1);
    assert_string_equal(msg, PREFIX "Error(\"missing field `name`\", line: 1, column: 2)");
    free(msg);
    cx__ft_clear(&t.st);
}

/* cx__ft_args gives handlers a JSON object: the array form keyed by field names,
 * an alias under the field's own name. */
static void args_object(void **state)
{
    (void)state;
    table t;
    table_init(&t);
    json_object *args = NULL;
    cx_tool_output out = {0};
    cx_tool_call call = {"t", "c1", CX_TOOL_FUNCTION, "[\"a\", 3]"};
    assert_int_equal(cx__ft_args(&call, &t.st, &args, &out), 0);
    assert_string_equal(cx__json_get_str(args, "name"), "a");
    int64_t n = 0;
    assert_true(cx__json_get_int(args, "count", &n));
    assert_int_equal(n, 3);
    json_object_put(args);
    call.input = "{\"name\":\"b\",\"n\":4}";
    assert_int_equal(cx__ft_args(&call, &t.st, &args, &out), 0);
    assert_true(cx__json_get_int(args, "count", &n));
    assert_int_equal(n, 4);
    json_object_put(args);
    call.input = "{\"name\":1}";
    assert_int_equal(cx__ft_args(&call, &t.st, &args, &out), 1);
    assert_null(args);
    assert_false(out.success);
    assert_string_equal(out.text,
                        PREFIX "invalid type: integer `1`, expected a string at line 1 column 9");
    cx_tool_output_clear(&out);
    cx__ft_clear(&t.st);
}

/* ---- every tool kind, through its registered handler ---- */

typedef struct tools {
    cx_tool_registry *reg;
    cx_uexec *ux;
    cx_subagents *agents;
} tools;

static int tools_setup(void **state)
{
    tools *t = calloc(1, sizeof *t);
    t->reg = cx_tools_new();
    t->ux = cx__uexec_new();
    t->agents = cx__subagents_new(NULL, "/tmp");
    assert_int_equal(cx__shell_tool_register(t->reg, true, NULL), 0);
    assert_int_equal(cx__shell_command_tool_register(t->reg, true, NULL), 0);
    assert_int_equal(cx__uexec_register(t->ux, t->reg), 0);
    assert_int_equal(cx__plan_tool_register(t->reg), 0);
    assert_int_equal(cx__view_image_tool_register(t->reg), 0);
    assert_int_equal(cx__subagents_register(t->agents, t->reg), 0);
    *state = t;
    return 0;
}

static int tools_teardown(void **state)
{
    tools *t = *state;
    cx_tools_free(t->reg);
    cx__uexec_free(t->ux);
    cx__subagents_free(t->agents);
    free(t);
    return 0;
}

static void tool_says(tools *t, const char *name, const char *input, const char *want)
{
    const cx_tool_def *d = cx_tools_find(t->reg, name);
    assert_non_null(d);
    cx_tool_env env = {.cwd = "/tmp", .shell = "/bin/sh"};
    cx_tool_call call = {name, "c", CX_TOOL_FUNCTION, input};
    cx_tool_output out = {0};
    assert_int_equal(d->handler(d->state, &call, &env, &out), 0);
    assert_false(out.success);
    assert_string_equal(out.text, want);
    cx_tool_output_clear(&out);
}

typedef struct tool_case {
    const char *tool, *input, *want;
} tool_case;

static void tools_say(tools *t, const tool_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tool_says(t, cases[i].tool, cases[i].input, cases[i].want);
}

static void shell_tools(void **state)
{
    static const tool_case cases[] = {
        {"shell", "{}", PREFIX "missing field `command` at line 1 column 2"},
        {"shell", "{\"command\": \"ls\"}",
         PREFIX "invalid type: string \"ls\", expected a sequence at line 1 column 16"},
        {"shell", "{\"command\":[\"true\"],\"timeout\":\"x\"}",
         PREFIX "invalid type: string \"x\", expected u64 at line 1 column 33"},
        {"shell", "{\"command\":[\"true\"],\"sandbox_permissions\":\"bogus\"}",
         PREFIX "unknown variant `bogus`, expected one of `use_default`, `require_escalated`, "
                "`with_additional_permissions` at line 1 column 49"},
        {"shell_command", "{\"command\": [\"ls\"]}",
         PREFIX "invalid type: sequence, expected a string at line 1 column 12"},
        {"shell_command", "{\"command\": \"true\", \"login\": \"yes\"}",
         PREFIX "invalid type: string \"yes\", expected a boolean at line 1 column 34"},
    };
    tools_say(*state, cases, sizeof cases / sizeof cases[0]);
}

static void exec_tools(void **state)
{
    static const tool_case cases[] = {
        {"exec_command", "", PREFIX "EOF while parsing a value at line 1 column 0"},
        {"exec_command", "{\"cmd\": \"true\"} x", PREFIX "trailing characters at line 1 column 17"},
        {"exec_command", "{\"cmd\": \"true\", \"cmd\": \"x\"}",
         PREFIX "duplicate field `cmd` at line 1 column 21"},
        {"exec_command", "{\"cmd\":\"true\",\"sandbox_permissions\":null}",
         PREFIX "expected value at line 1 column 37"},
        {"exec_command", "{\"cmd\":\"true\",\"additional_permissions\":5}",
         PREFIX "invalid type: integer `5`, expected struct PermissionProfile at line 1 "
                "column 40"},
        {"exec_command", "[]",
         PREFIX "invalid length 0, expected struct ExecCommandArgs with 11 elements at line 1 "
                "column 2"},
        {"write_stdin", "{\"session_id\": \"a\"}",
         PREFIX "invalid type: string \"a\", expected i32 at line 1 column 18"},
        {"write_stdin", "{\"session_id\":1,\"max_output_tokens\":\"x\"}",
         PREFIX "invalid type: string \"x\", expected usize at line 1 column 39"},
    };
    tools_say(*state, cases, sizeof cases / sizeof cases[0]);
}

static void plan_and_image(void **state)
{
    static const tool_case cases[] = {
        {"update_plan", "{\"plan\": [{\"step\": \"a\"}]}",
         PREFIX "missing field `status` at line 1 column 23"},
        {"update_plan", "{\"plan\": [{\"step\": \"a\", \"status\": \"done\"}]}",
         PREFIX "unknown variant `done`, expected one of `pending`, `in_progress`, "
                "`completed` at line 1 column 40"},
        {"update_plan", "[[]]",
         PREFIX "invalid type: sequence, expected a string at line 1 column 1"},
        {"view_image", "{\"path\":null}",
         PREFIX "invalid type: null, expected a string at line 1 column 12"},
        {"view_image", "[\"x\"]",
         PREFIX "invalid length 1, expected struct ViewImageArgs with 2 elements at line 1 "
                "column 5"},
    };
    tools_say(*state, cases, sizeof cases / sizeof cases[0]);
}

static void agent_tools(void **state)
{
    static const tool_case cases[] = {
        {"send_input", "{\"message\": \"x\"}", PREFIX "missing field `id` at line 1 column 16"},
        {"wait_agent", "{}", PREFIX "missing field `ids` at line 1 column 2"},
        {"wait_agent", "{\"ids\": [\"a\"], \"timeout_ms\": 1.5}",
         PREFIX "invalid type: floating point `1.5`, expected i64 at line 1 column 32"},
        {"close_agent", "not json", PREFIX "expected ident at line 1 column 2"},
        {"spawn_agent", "{\"message\": 5}",
         PREFIX "invalid type: integer `5`, expected a string at line 1 column 13"},
        {"resume_agent", "{\"id\": null}",
         PREFIX "invalid type: null, expected a string at line 1 column 11"},
    };
    tools_say(*state, cases, sizeof cases / sizeof cases[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_field),
        cmocka_unit_test(wrong_type),
        cmocka_unit_test(not_an_object),
        cmocka_unit_test(trailing_and_eof),
        cmocka_unit_test(unknown_and_duplicate_fields),
        cmocka_unit_test(values_and_debug_style),
        cmocka_unit_test(args_object),
        cmocka_unit_test_setup_teardown(shell_tools, tools_setup, tools_teardown),
        cmocka_unit_test_setup_teardown(exec_tools, tools_setup, tools_teardown),
        cmocka_unit_test_setup_teardown(plan_and_image, tools_setup, tools_teardown),
        cmocka_unit_test_setup_teardown(agent_tools, tools_setup, tools_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
