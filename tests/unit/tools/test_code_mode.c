/* Code mode: exec/wait cells running JavaScript under node, with nested tools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "tools/basic_tools.h"
#include "tools/code_mode.h"

static cx_tool_registry *reg;
static cx_code_mode *cm;

static int echo_tool(void *state, const cx_tool_call *call, const cx_tool_env *env,
                     cx_tool_output *out)
{
    (void)state;
    (void)env;
    return cx_tool_output_setf(out, true, "echo:%s", call->input);
}

static int setup(void **state)
{
    (void)state;
    reg = cx_tools_new();
    json_object *spec = NULL;
    const char *s = "{\"type\":\"function\",\"name\":\"echo-tool\",\"description\":\"echoes\","
                    "\"parameters\":{}}";
    cx__json_parse(s, strlen(s), &spec, NULL);
    cx_tool_def d = {"echo-tool", CX_TOOL_FUNCTION, false, spec, echo_tool, NULL, NULL};
    cx_tools_add(reg, &d);
    cm = cx__code_mode_new(reg, NULL);
    cx__code_mode_register(cm, reg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cx__code_mode_free(cm);
    cx_tools_free(reg);
    return 0;
}

static char *run(const char *tool, const char *input, bool *ok)
{
    const cx_tool_def *d = cx_tools_find(reg, tool);
    cx_tool_call c = {tool, "c", d->kind, input};
    cx_tool_env env = {.cwd = "/tmp"};
    cx_tool_output out = {0};
    assert_int_equal(d->handler(d->state, &c, &env, &out), 0);
    if (ok) *ok = out.success;
    char *t = out.text;
    out.text = NULL;
    cx_tool_output_clear(&out);
    return t;
}

static void completes_with_output_and_nested_tools(void **state)
{
    (void)state;
    char *t = run("exec",
                  "text('hello');\n"
                  "const r = await tools.echo_tool({x: 1});\n"
                  "text(r);\n"
                  "text({n: ALL_TOOLS.length});\n",
                  NULL);
    assert_true(strncmp(t, "Script completed\nWall time ", 27) == 0);
    assert_non_null(strstr(t, " seconds\nOutput:\n\nhello\necho:{\"x\":1}\n{\"n\":1}"));
    free(t);
}

static void store_survives_across_cells_and_errors_are_reported(void **state)
{
    (void)state;
    char *t = run("exec", "store('k', 41);", NULL);
    assert_non_null(strstr(t, "Script completed"));
    free(t);
    t = run("exec", "text(load('k') + 1); throw new Error('boom');", NULL);
    assert_non_null(strstr(t, "Script failed"));
    assert_non_null(strstr(t, "\n42\n"));
    assert_non_null(strstr(t, "Script error:\nError: boom"));
    free(t);
    t = run("exec", "exit(); text('never');", NULL);
    assert_non_null(strstr(t, "Script completed"));
    assert_null(strstr(t, "never"));
    free(t);
}

static void yield_then_wait_and_terminate(void **state)
{
    (void)state;
    char *t = run("exec",
                  "// @exec: {\"yield_time_ms\": 5000}\n"
                  "text('first'); await yield_control();\n"
                  "await new Promise((r) => setTimeout(r, 300)); text('second');",
                  NULL);
    const char *p = strstr(t, "Script running with cell ID ");
    assert_non_null(p);
    char id[16] = "";
    sscanf(p + strlen("Script running with cell ID "), "%15s", id);
    assert_non_null(strstr(t, "first"));
    free(t);
    char args[96];
    snprintf(args, sizeof args, "{\"cell_id\":\"%s\",\"yield_time_ms\":5000}", id);
    t = run("wait", args, NULL);
    assert_non_null(strstr(t, "second"));
    free(t);
    /* an endless cell, stopped */
    t = run("exec",
            "// @exec: {\"yield_time_ms\": 200}\nwhile (true) { await new Promise((r) => "
            "setTimeout(r, 50)); }",
            NULL);
    p = strstr(t, "Script running with cell ID ");
    assert_non_null(p);
    sscanf(p + strlen("Script running with cell ID "), "%15s", id);
    free(t);
    snprintf(args, sizeof args, "{\"cell_id\":\"%s\",\"terminate\":true}", id);
    t = run("wait", args, NULL);
    assert_true(strncmp(t, "Script terminated\n", 18) == 0);
    free(t);
    snprintf(args, sizeof args, "{\"cell_id\":\"%s\"}", id);
    bool ok = true;
    t = run("wait", args, &ok);
    assert_false(ok);
    assert_non_null(strstr(t, "unknown exec cell"));
    free(t);
}

static void bad_inputs(void **state)
{
    (void)state;
    bool ok = true;
    char *t = run("exec", "   ", &ok);
    assert_false(ok);
    assert_string_equal(t, "Error: exec expects raw JavaScript source text (non-empty).");
    free(t);
    t = run("exec", "// @exec: {\"speed\": 1}\ntext(1)", &ok);
    assert_string_equal(t, "Error: unsupported exec pragma field `speed`");
    free(t);
    t = run("exec", "// @exec: {\"yield_time_ms\": 1}", &ok);
    assert_string_equal(
        t, "Error: exec pragma must be followed by JavaScript source on subsequent lines");
    free(t);
    t = run("exec", "this is not javascript (", &ok);
    assert_non_null(strstr(t, "Script failed"));
    assert_non_null(strstr(t, "SyntaxError"));
    free(t);
    t = run("wait", "{}", &ok);
    assert_string_equal(t, "Error: `cell_id` is required.");
    free(t);
}

static void truncation(void **state)
{
    (void)state;
    char *t = run("exec", "// @exec: {\"max_output_tokens\": 20}\ntext('x'.repeat(500));", NULL);
    assert_non_null(strstr(t, "\n...[truncated]..."));
    assert_true(strlen(t) < 120);
    free(t);
}

int main(void)
{
    if (system("node --version >/dev/null 2>&1") != 0) {
        /* code mode needs Node.js; scripts/deps.sh installs it */
        fprintf(stderr, "node is not installed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(completes_with_output_and_nested_tools),
        cmocka_unit_test(store_survives_across_cells_and_errors_are_reported),
        cmocka_unit_test(yield_then_wait_and_terminate),
        cmocka_unit_test(bad_inputs),
        cmocka_unit_test(truncation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
