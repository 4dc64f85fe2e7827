/* The turn loop against the scripted fake Responses server
 * (tests/integration/fakeserver.py, started per test on 127.0.0.1): a round
 * trip through a test-registered tool, two parallel tools in one batch, no
 * iteration cap, steer text joining the next request, turn_failed, and
 * interruption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "ccodex/agent.h"
#include "ccodex/items.h"
#include "ccodex/runtime.h"
#include "support.h"

#define FAKESERVER CX_TEST_DIR "/integration/fakeserver.py"

typedef struct world {
    char root[256];
    pid_t server;
    int port;
    cx_config *cfg;
    json_object *events; /* kinds seen, as strings */
    pthread_mutex_t mu;
} world;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void world_start(world *w, const char *script_json)
{
    memset(w, 0, sizeof *w);
    snprintf(w->root, sizeof w->root, "/tmp/cx-agent-XXXXXX");
    assert_non_null(mkdtemp(w->root));
    char path[512], out[512], portfile[512];
    snprintf(path, sizeof path, "%s/script.json", w->root);
    write_file(path, script_json);
    snprintf(out, sizeof out, "%s/out", w->root);
    snprintf(portfile, sizeof portfile, "%s/port", w->root);
    w->server = fork();
    if (w->server == 0) {
        execlp("python3", "python3", FAKESERVER, "--script", path, "--out", out, "--port-file",
               portfile, "--timeout", "60", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && w->port == 0; i++) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            if (fscanf(f, "%d", &w->port) != 1) w->port = 0;
            fclose(f);
        }
        if (!w->port) usleep(25000);
    }
    assert_true(w->port > 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", w->port);
    w->cfg = cx_test_fake_config(w->root, url);
    w->events = json_object_new_array();
    pthread_mutex_init(&w->mu, NULL);
}

static void world_stop(world *w)
{
    kill(w->server, SIGTERM);
    waitpid(w->server, NULL, 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->root);
    assert_int_equal(system(cmd), 0);
    cx_config_free(w->cfg);
    json_object_put(w->events);
    pthread_mutex_destroy(&w->mu);
}

/* Request n (1-based) as recorded by the fake server; new reference. */
static json_object *request_body(world *w, int n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/out/request-%03d.json", w->root, n);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *buf = malloc(1 << 22);
    size_t len = fread(buf, 1, (1 << 22) - 1, f);
    fclose(f);
    json_object *rec = NULL;
    assert_int_equal(cx__json_parse(buf, len, &rec, NULL), 0);
    free(buf);
    json_object *body = json_object_get(cx__json_get(rec, "body"));
    json_object_put(rec);
    return body;
}

static int count_requests(world *w)
{
    int n = 0;
    while (n < 1000) {
        char path[512];
        snprintf(path, sizeof path, "%s/out/request-%03d.json", w->root, n + 1);
        if (access(path, F_OK) != 0) break;
        n++;
    }
    return n;
}

static void record_event(void *user, const cx_event *ev)
{
    world *w = user;
    pthread_mutex_lock(&w->mu);
    json_object_array_add(w->events, json_object_new_string(cx_event_kind_name(ev->kind)));
    pthread_mutex_unlock(&w->mu);
}

static bool saw_event(world *w, const char *kind)
{
    bool found = false;
    pthread_mutex_lock(&w->mu);
    size_t n = json_object_array_length(w->events);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(json_object_get_string(json_object_array_get_idx(w->events, i)), kind))
            found = true;
    pthread_mutex_unlock(&w->mu);
    return found;
}

static cx_agent *make_agent(world *w, cx_tool_registry *reg)
{
    cx_agent_options o = {.config = w->cfg,
                          .cwd = w->root,
                          .mode = CX_MODE_EXEC,
                          .on_event = record_event,
                          .event_user = w,
                          .tools = reg};
    cx_error err;
    cx_agent *a = cx_agent_new(&o, &err);
    if (!a) fprintf(stderr, "agent: %s\n", err.msg);
    assert_non_null(a);
    return a;
}

/* ---- test tools ---------------------------------------------------------- */

static int echo_tool(void *state, const cx_tool_call *call, const cx_tool_env *env,
                     cx_tool_output *out)
{
    int *calls = state;
    (*calls)++;
    return cx_tool_output_setf(out, true, "echo:%s", call->input);
}

typedef struct rendezvous {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int arrived;
} rendezvous;

/* Each call waits (up to 5 s) until two calls are inside at the same time:
 * with sequential execution the first one times out and reports it. */
static int meet_tool(void *state, const cx_tool_call *call, const cx_tool_env *env,
                     cx_tool_output *out)
{
    rendezvous *r = state;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    pthread_mutex_lock(&r->mu);
    r->arrived++;
    pthread_cond_broadcast(&r->cv);
    int rc = 0;
    while (r->arrived < 2 && rc == 0)
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &deadline);
    bool met = r->arrived >= 2;
    pthread_mutex_unlock(&r->mu);
    return cx_tool_output_setf(out, true, met ? "met" : "alone");
}

static void add_tool(cx_tool_registry *reg, const char *name, bool parallel, cx_tool_handler h,
                     void *state)
{
    json_object *spec = json_object_new_object();
    cx__json_set_str(spec, "type", "function");
    cx__json_set_str(spec, "name", name);
    cx_tool_def d = {name, CX_TOOL_FUNCTION, parallel, spec, h, state, NULL};
    assert_int_equal(cx_tools_add(reg, &d), 0);
}

static const char *output_of(json_object *body, const char *call_id)
{
    json_object *input = cx__json_get(body, "input");
    size_t n = json_object_array_length(input);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(input, i);
        const char *cid = cx__json_get_str(it, "call_id");
        const char *type = cx__json_get_str(it, "type");
        if (cid && type && !strcmp(type, "function_call_output") && !strcmp(cid, call_id))
            return cx__json_get_str(it, "output");
    }
    return NULL;
}

static void tool_round_trip(void **state)
{
    (void)state;
    world w;
    world_start(&w, "[[{\"type\":\"function_call\",\"name\":\"echo\",\"call_id\":\"c1\","
                    "\"arguments\":\"{\\\"x\\\":1}\"}],"
                    "[{\"type\":\"message\",\"text\":\"final answer\"}]]");
    cx_tool_registry *reg = cx_tools_new();
    int calls = 0;
    add_tool(reg, "echo", false, echo_tool, &calls);
    cx_agent *a = make_agent(&w, reg);
    cx_error err;
    assert_int_equal(cx_agent_run_turn(a, "use the tool", &err), 0);
    assert_int_equal(calls, 1);
    assert_string_equal(cx_agent_last_message(a), "final answer");
    assert_int_equal(count_requests(&w), 2);
    json_object *body = request_body(&w, 2);
    assert_string_equal(output_of(body, "c1"), "echo:{\"x\":1}");
    /* the context is rebuilt per request, not stored: history holds only conversation items */
    const json_object *hist = cx_agent_history(a);
    assert_int_equal(json_object_array_length(hist), 4);
    json_object *tools = cx__json_get(body, "tools");
    assert_string_equal(cx__json_get_str(json_object_array_get_idx(tools, 0), "name"), "echo");
    json_object_put(body);
    cx_usage u = cx_agent_usage(a);
    assert_int_equal(u.input_tokens, 200);
    assert_true(saw_event(&w, "tool_started"));
    assert_true(saw_event(&w, "turn_completed"));
    cx_agent_free(a);
    cx_tools_free(reg);
    world_stop(&w);
}

static void parallel_tools_run_concurrently(void **state)
{
    (void)state;
    world w;
    world_start(&w, "[[{\"type\":\"function_call\",\"name\":\"meet\",\"call_id\":\"a\","
                    "\"arguments\":\"{}\"},{\"type\":\"function_call\",\"name\":\"meet\","
                    "\"call_id\":\"b\",\"arguments\":\"{}\"}],"
                    "[{\"type\":\"message\",\"text\":\"ok\"}]]");
    cx_tool_registry *reg = cx_tools_new();
    rendezvous r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    add_tool(reg, "meet", true, meet_tool, &r);
    cx_agent *a = make_agent(&w, reg);
    assert_int_equal(cx_agent_run_turn(a, "go", NULL), 0);
    json_object *body = request_body(&w, 2);
    assert_string_equal(output_of(body, "a"), "met");
    assert_string_equal(output_of(body, "b"), "met");
    /* outputs come back in call order */
    json_object *input = cx__json_get(body, "input");
    size_t n = json_object_array_length(input);
    assert_string_equal(cx__json_get_str(json_object_array_get_idx(input, n - 2), "call_id"), "a");
    assert_string_equal(cx__json_get_str(json_object_array_get_idx(input, n - 1), "call_id"), "b");
    json_object_put(body);
    cx_agent_free(a);
    cx_tools_free(reg);
    world_stop(&w);
}

static void no_iteration_cap_and_unknown_tool(void **state)
{
    (void)state;
    cx_buf s = CX_BUF_INIT;
    cx__buf_puts(&s, "[");
    for (int i = 0; i < 30; i++)
        cx__buf_printf(&s,
                       "[{\"type\":\"function_call\",\"name\":\"%s\",\"call_id\":\"c%d\","
                       "\"arguments\":\"{}\"}],",
                       i == 29 ? "nope" : "echo", i);
    cx__buf_puts(&s, "[{\"type\":\"message\",\"text\":\"end\"}]]");
    world w;
    world_start(&w, cx__buf_str(&s));
    cx__buf_free(&s);
    cx_tool_registry *reg = cx_tools_new();
    int calls = 0;
    add_tool(reg, "echo", false, echo_tool, &calls);
    cx_agent *a = make_agent(&w, reg);
    assert_int_equal(cx_agent_run_turn(a, "loop", NULL), 0);
    assert_int_equal(calls, 29);
    assert_int_equal(count_requests(&w), 31);
    json_object *body = request_body(&w, 31);
    assert_string_equal(output_of(body, "c29"), "unsupported call: nope");
    json_object_put(body);
    cx_agent_free(a);
    cx_tools_free(reg);
    world_stop(&w);
}

typedef struct steer_ctx {
    cx_agent *agent;
    int calls;
} steer_ctx;

/* The tool steers the agent while the turn runs, as a user typing would. */
static int steering_tool(void *state, const cx_tool_call *call, const cx_tool_env *env,
                         cx_tool_output *out)
{
    steer_ctx *s = state;
    s->calls++;
    cx_agent_steer(s->agent, "first steer");
    cx_agent_steer(s->agent, "second steer");
    return cx_tool_output_setf(out, true, "done");
}

static void steer_joins_next_request(void **state)
{
    (void)state;
    world w;
    world_start(&w, "[[{\"type\":\"function_call\",\"name\":\"steer\",\"call_id\":\"c1\","
                    "\"arguments\":\"{}\"}],[{\"type\":\"message\",\"text\":\"ok\"}]]");
    cx_tool_registry *reg = cx_tools_new();
    steer_ctx sc = {0};
    add_tool(reg, "steer", false, steering_tool, &sc);
    cx_agent *a = make_agent(&w, reg);
    sc.agent = a;
    assert_int_equal(cx_agent_run_turn(a, "start", NULL), 0);
    json_object *body = request_body(&w, 2);
    json_object *input = cx__json_get(body, "input");
    size_t n = json_object_array_length(input);
    json_object *last = json_object_array_get_idx(input, n - 1);
    json_object *prev = json_object_array_get_idx(input, n - 2);
    json_object *out = json_object_array_get_idx(input, n - 3);
    assert_string_equal(cx__json_get_str(out, "type"), "function_call_output");
    char *t1 = cx_item_message_text(prev), *t2 = cx_item_message_text(last);
    assert_string_equal(t1, "first steer");
    assert_string_equal(t2, "second steer");
    free(t1);
    free(t2);
    assert_true(saw_event(&w, "steer_inserted"));
    json_object_put(body);
    cx_agent_free(a);
    cx_tools_free(reg);
    world_stop(&w);
}

static void failure_emits_turn_failed(void **state)
{
    (void)state;
    world w;
    world_start(&w, "[{\"items\":[],\"failed\":\"model exploded\"},"
                    "{\"items\":[],\"failed\":\"model exploded\"}]");
    cx_tool_registry *reg = cx_tools_new();
    cx_agent *a = make_agent(&w, reg);
    cx_error err;
    int rc = cx_agent_run_turn(a, "hi", &err);
    assert_true(rc < 0);
    assert_non_null(strstr(err.msg, "model exploded"));
    assert_true(saw_event(&w, "turn_failed"));
    cx_agent_free(a);
    cx_tools_free(reg);
    world_stop(&w);
}

static void runtime_interrupt_and_queue(void **state)
{
    (void)state;
    world w;
    world_start(&w, "[{\"items\":[{\"type\":\"message\",\"text\":\"x\"}],\"stall_after_events\":1,"
                    "\"stall_seconds\":20},[{\"type\":\"message\",\"text\":\"queued done\"}]]");
    cx_tool_registry *reg = cx_tools_new();
    cx_agent *a = make_agent(&w, reg);
    cx_runtime *rt = cx_runtime_new(a);
    bool steered = true;
    assert_int_equal(cx_runtime_submit(rt, "hang", &steered), 0);
    assert_false(steered);
    assert_int_equal(cx_runtime_enqueue(rt, "next"), 0);
    for (int i = 0; i < 200 && count_requests(&w) < 1; i++)
        usleep(10000);
    usleep(100000);
    cx_runtime_interrupt(rt);
    cx_runtime_wait_idle(rt);
    assert_true(saw_event(&w, "turn_aborted"));
    assert_string_equal(cx_agent_last_message(a), "queued done");
    assert_int_equal(count_requests(&w), 2);
    cx_runtime_free(rt);
    cx_agent_free(a);
    cx_tools_free(reg);
    world_stop(&w);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tool_round_trip),
        cmocka_unit_test(parallel_tools_run_concurrently),
        cmocka_unit_test(no_iteration_cap_and_unknown_tool),
        cmocka_unit_test(steer_joins_next_request),
        cmocka_unit_test(failure_emits_turn_failed),
        cmocka_unit_test(runtime_interrupt_and_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
