/* The sub-agent tools' argument rules and error answers (core/subagents.c),
 * without a model: what each tool says to malformed or impossible requests
 * (texts recorded from upstream 0.115.0 in tests/fixtures/upstream-extra,
 * scenarios agent_arg_errors and agent_bad_ids), the collab items it reports,
 * and wait_agent's output hook (the <subagent_notification> messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "core/subagents.h"

#define GOOD_ID "019a0000-0000-7000-8000-000000000000"
#define BAD_ID_TEXT "invalid agent id nope: Error(ParseChar { character: 'n', index: 1 })"

typedef struct fx {
    cx_subagents *m;
    cx_tool_registry *reg;
    json_object *events; /* collab item statuses seen: "started:tool", "completed:tool:status" */
} fx;

static void on_event(void *user, const cx_event *ev)
{
    fx *f = user;
    const char *tool = cx__json_get_str(ev->data, "tool");
    const char *status = cx__json_get_str(ev->data, "status");
    char line[128];
    snprintf(line, sizeof line, "%s:%s:%s",
             ev->kind == CX_EV_ITEM_STARTED ? "started" : "completed", tool ? tool : "?",
             status ? status : "?");
    json_object_array_add(f->events, json_object_new_string(line));
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->m = cx__subagents_new(NULL, "/tmp");
    f->reg = cx_tools_new();
    f->events = json_object_new_array();
    assert_int_equal(cx__subagents_register(f->m, f->reg), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    cx_tools_free(f->reg);
    cx__subagents_free(f->m);
    json_object_put(f->events);
    free(f);
    return 0;
}

static void says(fx *f, const char *tool, const char *args, const char *want)
{
    const cx_tool_def *d = cx_tools_find(f->reg, tool);
    assert_non_null(d);
    cx_tool_env env = {.cwd = "/tmp", .emit = on_event, .emit_user = f, .thread_id = "parent"};
    cx_tool_call call = {tool, "c1", CX_TOOL_FUNCTION, args};
    cx_tool_output out = {0};
    assert_int_equal(d->handler(d->state, &call, &env, &out), 0);
    assert_string_equal(out.text, want);
    assert_false(out.success);
    cx_tool_output_clear(&out);
}

static void registered_in_order(void **state)
{
    fx *f = *state;
    const char *names[] = {"spawn_agent", "send_input", "resume_agent", "wait_agent",
                           "close_agent"};
    assert_int_equal(cx_tools_count(f->reg), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(cx_tools_at(f->reg, i)->name, names[i]);
    assert_int_equal(cx__subagents_count(f->m), 0);
}

static void message_or_items(void **state)
{
    fx *f = *state;
    says(f, "spawn_agent",
         "{\"message\": \"a\", \"items\": [{\"type\": \"text\", \"text\": \"b\"}]}",
         "Provide either message or items, but not both");
    says(f, "spawn_agent", "{\"message\": \"  \"}", "Empty message can't be sent to an agent");
    says(f, "spawn_agent", "{\"items\": []}", "Items can't be empty");
    says(f, "spawn_agent", "{}", "Provide one of: message or items");
    says(f, "spawn_agent", "{\"message\": null}", "Provide one of: message or items");
    says(f, "send_input", "{\"id\": \"" GOOD_ID "\"}", "Provide one of: message or items");
    says(f, "spawn_agent", "{\"items\": 3}",
         "failed to parse function arguments: invalid type: integer `3`, expected a sequence at "
         "line 1 column 11");
    says(f, "spawn_agent", "{\"message\": \"x\", \"reasoning_effort\": \"huge\"}",
         "failed to parse function arguments: unknown variant `huge`, expected one of `none`, "
         "`minimal`, `low`, `medium`, `high`, `xhigh` at line 1 column 43");
    assert_int_equal(cx__subagents_count(f->m), 0);
    /* refused before anything started: no collab item */
    assert_int_equal(json_object_array_length(f->events), 0);
}

static void ids(void **state)
{
    fx *f = *state;
    says(f, "send_input", "{\"id\": \"nope\", \"message\": \"hi\"}", BAD_ID_TEXT);
    says(f, "close_agent", "{\"id\": \"nope\"}", BAD_ID_TEXT);
    says(f, "resume_agent", "{\"id\": \"nope\"}", BAD_ID_TEXT);
    says(f, "wait_agent", "{\"ids\": [\"nope\"], \"timeout_ms\": 10000}", BAD_ID_TEXT);
    says(f, "wait_agent", "{\"ids\": []}", "ids must be non-empty");
    says(f, "wait_agent", "{\"ids\": [\"" GOOD_ID "\"], \"timeout_ms\": 0}",
         "timeout_ms must be greater than zero");
    says(f, "wait_agent", "{\"ids\": [\"" GOOD_ID "\"], \"timeout_ms\": -5}",
         "timeout_ms must be greater than zero");
    assert_int_equal(json_object_array_length(f->events), 0);
}

static void unknown_agents(void **state)
{
    fx *f = *state;
    says(f, "send_input", "{\"id\": \"" GOOD_ID "\", \"message\": \"hi\"}",
         "agent with id " GOOD_ID " not found");
    says(f, "close_agent", "{\"id\": \"" GOOD_ID "\"}", "agent with id " GOOD_ID " not found");
    says(f, "resume_agent", "{\"id\": \"" GOOD_ID "\"}", "agent with id " GOOD_ID " not found");
    /* send_input and close_agent report the failed attempt as collab items */
    assert_int_equal(json_object_array_length(f->events), 4);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(f->events, 0)),
                        "started:send_input:in_progress");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(f->events, 1)),
                        "completed:send_input:failed");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(f->events, 3)),
                        "completed:close_agent:failed");
}

static void wait_reports_not_found_at_once(void **state)
{
    fx *f = *state;
    const cx_tool_def *d = cx_tools_find(f->reg, "wait_agent");
    cx_tool_env env = {.cwd = "/tmp", .emit = on_event, .emit_user = f};
    cx_tool_call call = {"wait_agent", "w1", CX_TOOL_FUNCTION, "{\"ids\": [\"" GOOD_ID "\"]}"};
    cx_tool_output out = {0};
    assert_int_equal(d->handler(d->state, &call, &env, &out), 0);
    assert_string_equal(out.text,
                        "{\"status\":{\"" GOOD_ID "\":\"not_found\"},\"timed_out\":false}");
    cx_tool_output_clear(&out);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(f->events, 1)),
                        "completed:wait:failed");
}

/* wait_agent's output hook: settled agents become notification messages; other
 * calls, unparsable outputs and plain statuses add nothing. */
static void followups(void **state)
{
    (void)state;
    const char *calls_json =
        "[{\"type\":\"function_call\",\"name\":\"wait_agent\",\"call_id\":\"w1\"},"
        "{\"type\":\"function_call\",\"name\":\"other\",\"call_id\":\"o1\"},"
        "{\"type\":\"function_call\",\"name\":\"wait_agent\",\"call_id\":\"w2\"}]";
    const char *results_json =
        "[{\"type\":\"function_call_output\",\"call_id\":\"w1\",\"output\":"
        "\"{\\\"status\\\":{\\\"a1\\\":{\\\"completed\\\":\\\"done\\\"},\\\"a2\\\":\\\"running\\\"}"
        ","
        "\\\"timed_out\\\":false}\"},"
        "{\"type\":\"function_call_output\",\"call_id\":\"o1\",\"output\":"
        "\"{\\\"status\\\":{\\\"a3\\\":{\\\"completed\\\":\\\"x\\\"}}}\"},"
        "{\"type\":\"function_call_output\",\"call_id\":\"w2\",\"output\":\"not json\"}]";
    json_object *calls = NULL, *results = NULL;
    assert_int_equal(cx__json_parse(calls_json, strlen(calls_json), &calls, NULL), 0);
    assert_int_equal(cx__json_parse(results_json, strlen(results_json), &results, NULL), 0);
    json_object *out = json_object_new_array();
    cx__subagents_followups(calls, results, out);
    assert_int_equal(json_object_array_length(out), 1);
    json_object *msg = json_object_array_get_idx(out, 0);
    assert_string_equal(cx__json_get_str(msg, "role"), "user");
    json_object *part = json_object_array_get_idx(cx__json_get(msg, "content"), 0);
    assert_string_equal(cx__json_get_str(part, "text"),
                        "<subagent_notification>\n{\"agent_id\":\"a1\",\"status\":{\"completed\":"
                        "\"done\"}}\n</subagent_notification>");
    json_object_put(out);
    json_object_put(calls);
    json_object_put(results);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(registered_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(message_or_items, setup, teardown),
        cmocka_unit_test_setup_teardown(ids, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_agents, setup, teardown),
        cmocka_unit_test_setup_teardown(wait_reports_not_found_at_once, setup, teardown),
        cmocka_unit_test(followups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
