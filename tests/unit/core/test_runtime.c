/* core/runtime: the submission loop in front of an agent whose model is a scripted
 * server on 127.0.0.1 (tests/support/httpd.h). Enqueued turns run one after another
 * in order; text submitted while idle starts a turn, while a turn runs it joins that
 * turn's next request; an interrupt ends the running turn and leaves queued ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/json.h"
#include "ccodex/agent.h"
#include "ccodex/runtime.h"
#include "httpd.h"
#include "support.h"

#define SSE "Content-Type: text/event-stream\r\n"
#define ITEM(json)                                                                                 \
    "event: response.output_item.done\n"                                                           \
    "data: {\"type\":\"response.output_item.done\",\"item\":" json "}\n\n"
#define MESSAGE(text)                                                                              \
    ITEM("{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"m\",\"content\":[{\"type\":"       \
         "\"output_text\",\"text\":\"" text "\"}]}")
#define COMPLETED                                                                                  \
    "event: response.completed\n"                                                                  \
    "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"usage\":"                 \
    "{\"input_tokens\":1,\"output_tokens\":1,\"total_tokens\":2}}}\n\n"

typedef struct world {
    char *root;
    cx_test_httpd *httpd;
    cx_config *cfg;
    cx_tool_registry *reg;
    cx_agent *agent;
    cx_runtime *rt;
} world;

static void world_start(world *w, const cx_test_reply *script, size_t n)
{
    memset(w, 0, sizeof *w);
    w->root = cx_test_tmpdir("cx-runtime");
    w->httpd = cx_test_httpd_start(script, n);
    w->cfg = cx_test_fake_config(w->root, cx_test_httpd_url(w->httpd, "/v1"));
    /* no retries: each scripted reply answers exactly one request */
    w->cfg->provider.request_max_retries = 0;
    w->cfg->provider.stream_max_retries = 0;
    w->cfg->provider.stream_idle_timeout_ms = 20000;
}

static void world_agent(world *w)
{
    cx_agent_options o = {.config = w->cfg, .cwd = w->root, .mode = CX_MODE_EXEC, .tools = w->reg};
    cx_error err;
    w->agent = cx_agent_new(&o, &err);
    if (!w->agent) fail_msg("agent: %s", err.msg);
    w->rt = cx_runtime_new(w->agent);
    assert_non_null(w->rt);
}

static void world_stop(world *w)
{
    cx_runtime_free(w->rt);
    cx_agent_free(w->agent);
    cx_tools_free(w->reg);
    cx_test_httpd_stop(w->httpd);
    cx_test_rmtree(w->root);
    free(w->root);
    cx_config_free(w->cfg);
}

/* The JSON body of request i, parsed (new reference). */
static json_object *request_body(world *w, size_t i)
{
    char *raw = cx_test_httpd_request(w->httpd, i);
    assert_non_null(raw);
    const char *body = strstr(raw, "\r\n\r\n");
    assert_non_null(body);
    json_object *o = cx_test_json(body + 4);
    free(raw);
    return o;
}

/* The texts of the user messages in request i's input, joined with '|'. */
static char *user_texts(world *w, size_t i)
{
    json_object *body = request_body(w, i);
    json_object *input = cx__json_get(body, "input");
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    for (size_t k = 0; k < json_object_array_length(input); k++) {
        json_object *it = json_object_array_get_idx(input, k);
        const char *role = cx__json_get_str(it, "role");
        if (!role || strcmp(role, "user")) continue;
        json_object *content = cx__json_get(it, "content");
        for (size_t j = 0; j < json_object_array_length(content); j++) {
            const char *t = cx__json_get_str(json_object_array_get_idx(content, j), "text");
            /* skip the environment context the agent adds itself */
            if (t && t[0] != '<') cx__buf_printf(&b, "%s%s", b.len ? "|" : "", t);
        }
    }
    json_object_put(body);
    return cx__buf_steal(&b);
}

static void enqueued_turns_run_in_order(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", SSE, MESSAGE("one") COMPLETED, true, 0},
        {"200 OK", SSE, MESSAGE("two") COMPLETED, true, 0},
    };
    world w;
    world_start(&w, script, 2);
    world_agent(&w);
    assert_int_equal(cx_runtime_enqueue(w.rt, "first"), 0);
    assert_int_equal(cx_runtime_enqueue(w.rt, "second"), 0);
    cx_runtime_wait_idle(w.rt);
    assert_false(cx_runtime_busy(w.rt));
    assert_int_equal(cx_runtime_queued(w.rt), 0);
    cx_error err;
    assert_int_equal(cx_runtime_last_status(w.rt, &err), 0);
    assert_int_equal(cx_test_httpd_count(w.httpd), 2);
    char *t1 = user_texts(&w, 0), *t2 = user_texts(&w, 1);
    assert_string_equal(t1, "first");
    assert_string_equal(t2, "first|second"); /* the second turn continues the conversation */
    free(t1);
    free(t2);
    assert_string_equal(cx_agent_last_message(w.agent), "two");
    world_stop(&w);
}

/* A tool that holds its turn open until the test has steered text into it. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
} gate;

static int gate_tool(void *state, const cx_tool_call *call, const cx_tool_env *env,
                     cx_tool_output *out)
{
    gate *g = state;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    struct timespec deadline = cx__clock_deadline(10000);
    while (!g->open && pthread_cond_timedwait(&g->cv, &g->mu, &deadline) == 0) {
    }
    pthread_mutex_unlock(&g->mu);
    return cx_tool_output_setf(out, true, "gate passed");
}

static void steer_joins_the_running_turn(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", SSE,
         ITEM("{\"type\":\"function_call\",\"id\":\"fc\",\"name\":\"gate\",\"call_id\":\"c1\","
              "\"arguments\":\"{}\"}") COMPLETED,
         true, 0},
        {"200 OK", SSE, MESSAGE("done") COMPLETED, true, 0},
    };
    world w;
    world_start(&w, script, 2);
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
    w.reg = cx_tools_new();
    json_object *spec = json_object_new_object();
    cx__json_set_str(spec, "type", "function");
    cx__json_set_str(spec, "name", "gate");
    cx_tool_def d = {"gate", CX_TOOL_FUNCTION, false, spec, gate_tool, &g, NULL};
    assert_int_equal(cx_tools_add(w.reg, &d), 0);
    world_agent(&w);
    bool steered = true;
    assert_int_equal(cx_runtime_submit(w.rt, "start", &steered), 0);
    assert_false(steered); /* idle: it started a turn */
    pthread_mutex_lock(&g.mu);
    struct timespec deadline = cx__clock_deadline(10000);
    while (!g.entered && pthread_cond_timedwait(&g.cv, &g.mu, &deadline) == 0) {
    }
    assert_true(g.entered);
    pthread_mutex_unlock(&g.mu);
    assert_true(cx_runtime_busy(w.rt));
    assert_int_equal(cx_runtime_submit(w.rt, "also this", &steered), 0);
    assert_true(steered);
    pthread_mutex_lock(&g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    cx_runtime_wait_idle(w.rt);
    /* one turn, two requests: the steer text went into the second */
    assert_int_equal(cx_test_httpd_count(w.httpd), 2);
    char *t2 = user_texts(&w, 1);
    assert_string_equal(t2, "start|also this");
    free(t2);
    assert_string_equal(cx_agent_last_message(w.agent), "done");
    world_stop(&w);
}

static void interrupt_ends_the_turn_and_keeps_the_queue(void **state)
{
    /* the first answer never completes: only the interrupt ends that turn */
    static const cx_test_reply script[] = {
        {"200 OK", SSE, ITEM("{\"type\":\"reasoning\",\"id\":\"rs\",\"summary\":[]}"), true, 15000},
        {"200 OK", SSE, MESSAGE("after") COMPLETED, true, 0},
    };
    world w;
    world_start(&w, script, 2);
    world_agent(&w);
    assert_int_equal(cx_runtime_enqueue(w.rt, "slow"), 0);
    for (int i = 0; i < 500 && cx_test_httpd_count(w.httpd) < 1; i++)
        usleep(10000);
    assert_int_equal(cx_test_httpd_count(w.httpd), 1);
    assert_int_equal(cx_runtime_enqueue(w.rt, "next"), 0);
    assert_int_equal(cx_runtime_queued(w.rt), 1);
    long long t0 = cx__clock_ms();
    cx_runtime_interrupt(w.rt);
    cx_runtime_wait_idle(w.rt);
    assert_true(cx__clock_ms() - t0 < 5000);
    assert_int_equal(cx_test_httpd_count(w.httpd), 2); /* the queued turn still ran */
    cx_error err;
    assert_int_equal(cx_runtime_last_status(w.rt, &err), 0);
    assert_string_equal(cx_agent_last_message(w.agent), "after");
    world_stop(&w);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the server closes while a request may still be written */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enqueued_turns_run_in_order),
        cmocka_unit_test(steer_joins_the_running_turn),
        cmocka_unit_test(interrupt_ends_the_turn_and_keeps_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
