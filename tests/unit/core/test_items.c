/* Conversation items: canonical shapes and key order as upstream serialises them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "ccodex/items.h"
#include "ccodex/tools.h"
#include "support.h"

static json_object *parse(const char *s)
{
    json_object *o = NULL;
    assert_int_equal(cx__json_parse(s, strlen(s), &o, NULL), 0);
    return o;
}

static void assert_json(json_object *o, const char *want)
{
    char *s = cx__json_to_string(o);
    assert_string_equal(s, want);
    free(s);
}

/* tests/fixtures/items/canonical.jsonl: the model's item, and the same item as history
 * keeps it (keys in upstream's order) */
static void model_items_are_canonicalised(void **state)
{
    (void)state;
    size_t n = 0;
    char **lines = cx_test_fixture_lines("items/canonical.jsonl", &n);
    assert_true(n >= 5);
    for (char **line = lines; *line; line++) {
        json_object *c = cx_test_json(*line);
        json_object *item = cx_item_from_model(cx__json_get(c, "model"));
        char *want = cx__json_to_string(cx__json_get(c, "history"));
        assert_json(item, want);
        /* only calls are tool calls */
        const char *type = cx__json_get_str(item, "type");
        assert_int_equal(cx_item_is_tool_call(item), strstr(type, "call") != NULL);
        free(want);
        json_object_put(item);
        json_object_put(c);
    }
    cx_test_lines_free(lines);
    json_object *msg = parse("{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":"
                             "\"output_text\",\"text\":\"FIRST\"}]}");
    char *text = cx_item_message_text(msg);
    assert_string_equal(text, "FIRST");
    free(text);
    json_object_put(msg);
}

static void output_items_have_upstream_shape(void **state)
{
    (void)state;
    json_object *o = cx_item_function_output("call_1", "done", NULL);
    assert_json(o,
                "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"done\"}");
    json_object_put(o);
    o = cx_item_custom_output("c", "Exit code: 0\n", NULL);
    assert_json(o, "{\"type\":\"custom_tool_call_output\",\"call_id\":\"c\",\"output\":"
                   "\"Exit code: 0\\n\"}");
    json_object_put(o);
    json_object *content = parse("[{\"type\":\"input_image\",\"image_url\":\"data:x\"}]");
    o = cx_item_function_output("c3", NULL, content);
    assert_json(o, "{\"type\":\"function_call_output\",\"call_id\":\"c3\",\"output\":[{\"type\":"
                   "\"input_image\",\"image_url\":\"data:x\"}]}");
    json_object_put(o);
    o = cx_item_user_text("user", "hi");
    assert_json(o, "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
                   "\"text\":\"hi\"}]}");
    json_object_put(o);
}

static int noop(void *s, const cx_tool_call *c, const cx_tool_env *e, cx_tool_output *out)
{
    return cx_tool_output_setf(out, true, "%s", c->name);
}

static void registry_keeps_order_and_replaces_in_place(void **state)
{
    (void)state;
    cx_tool_registry *reg = cx_tools_new();
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        json_object *spec = json_object_new_object();
        cx__json_set_str(spec, "name", names[i]);
        cx_tool_def d = {names[i], CX_TOOL_FUNCTION, i == 1, spec, noop, NULL, NULL};
        assert_int_equal(cx_tools_add(reg, &d), 0);
    }
    json_object *spec = json_object_new_object();
    cx__json_set_str(spec, "name", "b2");
    cx_tool_def d = {"b", CX_TOOL_FUNCTION, false, spec, noop, NULL, NULL};
    assert_int_equal(cx_tools_add(reg, &d), 0);
    assert_int_equal(cx_tools_count(reg), 3);
    json_object *specs = cx_tools_specs(reg);
    assert_json(specs, "[{\"name\":\"a\"},{\"name\":\"b2\"},{\"name\":\"c\"}]");
    json_object_put(specs);
    assert_false(cx_tools_find(reg, "b")->parallel);
    assert_int_equal(cx_tools_remove(reg, "a"), 0);
    assert_int_equal(cx_tools_remove(reg, "a"), CX_ENOTFOUND);
    assert_null(cx_tools_find(reg, "a"));
    assert_string_equal(cx_tools_at(reg, 0)->name, "b");
    cx_tools_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_items_are_canonicalised),
        cmocka_unit_test(output_items_have_upstream_shape),
        cmocka_unit_test(registry_keeps_order_and_replaces_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
