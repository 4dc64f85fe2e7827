/* The tool registry (tools/registry.c): its order is the request's `tools`
 * order, a same-name tool replaces in place, insertion at a position, removal,
 * ownership of spec and state (also on failure), undeclared tools left out of
 * the specs, and the output helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "ccodex/error.h"
#include "ccodex/tools.h"

static int frees; /* state_free calls in the running test */

static void count_free(void *state)
{
    frees++;
    free(state);
}

static json_object *spec(const char *name)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", "function");
    cx__json_set_str(o, "name", name);
    return o;
}

static int add(cx_tool_registry *reg, const char *name, bool declared)
{
    cx_tool_def d = {name, CX_TOOL_FUNCTION, false,     declared ? spec(name) : NULL,
                     NULL, malloc(1),        count_free};
    return cx_tools_add(reg, &d);
}

static void names_are(const cx_tool_registry *reg, const char *want)
{
    char got[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < cx_tools_count(reg); i++)
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", i ? "," : "",
                                cx_tools_at(reg, i)->name);
    assert_true(len < sizeof got);
    assert_string_equal(got, want);
}

static void order_and_replace(void **state)
{
    (void)state;
    frees = 0;
    cx_tool_registry *reg = cx_tools_new();
    assert_int_equal(add(reg, "a", true), 0);
    assert_int_equal(add(reg, "b", true), 0);
    assert_int_equal(add(reg, "c", true), 0);
    names_are(reg, "a,b,c");
    /* the same name again replaces the tool where it stood, releasing the old one */
    cx_tool_def d = {"b", CX_TOOL_CUSTOM, true, spec("b"), NULL, malloc(1), count_free};
    assert_int_equal(cx_tools_add(reg, &d), 0);
    names_are(reg, "a,b,c");
    assert_int_equal(frees, 1);
    assert_int_equal(cx_tools_find(reg, "b")->kind, CX_TOOL_CUSTOM);
    assert_true(cx_tools_find(reg, "b")->parallel);
    assert_null(cx_tools_find(reg, "zz"));
    assert_null(cx_tools_at(reg, 3));
    cx_tools_free(reg);
    assert_int_equal(frees, 4);
}

static void insert_and_remove(void **state)
{
    (void)state;
    frees = 0;
    cx_tool_registry *reg = cx_tools_new();
    add(reg, "a", true);
    add(reg, "b", true);
    cx_tool_def d = {"first", CX_TOOL_FUNCTION, false, spec("first"), NULL, NULL, NULL};
    assert_int_equal(cx_tools_insert(reg, 0, &d), 0);
    names_are(reg, "first,a,b");
    d = (cx_tool_def){"mid", CX_TOOL_FUNCTION, false, spec("mid"), NULL, NULL, NULL};
    assert_int_equal(cx_tools_insert(reg, 2, &d), 0);
    names_are(reg, "first,a,mid,b");
    d = (cx_tool_def){"last", CX_TOOL_FUNCTION, false, spec("last"), NULL, NULL, NULL};
    assert_int_equal(cx_tools_insert(reg, 99, &d), 0);
    names_are(reg, "first,a,mid,b,last");
    /* an existing name keeps its place whatever position is asked */
    d = (cx_tool_def){"a", CX_TOOL_FUNCTION, false, spec("a"), NULL, NULL, NULL};
    assert_int_equal(cx_tools_insert(reg, 0, &d), 0);
    names_are(reg, "first,a,mid,b,last");
    assert_int_equal(cx_tools_remove(reg, "mid"), 0);
    assert_int_equal(cx_tools_remove(reg, "mid"), CX_ENOTFOUND);
    assert_int_equal(cx_tools_remove(reg, "first"), 0);
    assert_int_equal(cx_tools_remove(reg, "last"), 0);
    names_are(reg, "a,b");
    assert_int_equal(frees, 1); /* the replaced "a" */
    cx_tools_free(reg);
    assert_int_equal(frees, 2);
}

static void nameless_is_refused_and_released(void **state)
{
    (void)state;
    frees = 0;
    cx_tool_registry *reg = cx_tools_new();
    cx_tool_def d = {NULL, CX_TOOL_FUNCTION, false, spec("x"), NULL, malloc(1), count_free};
    assert_int_equal(cx_tools_add(reg, &d), CX_EINVAL);
    assert_int_equal(frees, 1); /* the registry took state (and spec) even so */
    assert_int_equal(cx_tools_count(reg), 0);
    cx_tools_free(reg);
}

static void specs_leave_out_undeclared(void **state)
{
    (void)state;
    cx_tool_registry *reg = cx_tools_new();
    add(reg, "a", true);
    add(reg, "alias", false); /* served when called, not declared */
    add(reg, "b", true);
    json_object *specs = cx_tools_specs(reg);
    assert_int_equal(json_object_array_length(specs), 2);
    assert_string_equal(cx__json_get_str(json_object_array_get_idx(specs, 0), "name"), "a");
    assert_string_equal(cx__json_get_str(json_object_array_get_idx(specs, 1), "name"), "b");
    json_object_put(specs);
    assert_non_null(cx_tools_find(reg, "alias"));
    cx_tools_free(reg);
}

static void output_helpers(void **state)
{
    (void)state;
    cx_tool_output out = {0};
    assert_int_equal(cx_tool_output_setf(&out, true, "%s=%d", "n", 5), 0);
    assert_string_equal(out.text, "n=5");
    assert_true(out.success);
    assert_int_equal(cx_tool_output_setf(&out, false, "again"), 0); /* replaces the text */
    assert_string_equal(out.text, "again");
    assert_false(out.success);
    out.content = json_object_new_array();
    cx_tool_output_clear(&out);
    assert_null(out.text);
    assert_null(out.content);
    atomic_bool flag = false;
    cx_tool_env env = {.cancel = &flag};
    assert_false(cx_tool_cancelled(&env));
    atomic_store(&flag, true);
    assert_true(cx_tool_cancelled(&env));
    assert_false(cx_tool_cancelled(NULL));
    cx_tool_env none = {0};
    assert_false(cx_tool_cancelled(&none));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_and_replace),
        cmocka_unit_test(insert_and_remove),
        cmocka_unit_test(nameless_is_refused_and_released),
        cmocka_unit_test(specs_leave_out_undeclared),
        cmocka_unit_test(output_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
