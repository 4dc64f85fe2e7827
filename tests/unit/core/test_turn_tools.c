/* One response's tool calls (core/turn_tools.c): results in call order whatever
 * finishes first, parallel-safe neighbours side by side and the others alone,
 * every event delivered on the calling (turn's) thread, the texts for unknown
 * tools, NUL bytes and aborted calls, custom tool outputs, and the first fatal
 * handler error returned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "ccodex/error.h"
#include "core/turn_tools.h"

/* What the handlers share: how many run now, the most at once, and a rendezvous
 * that two parallel calls reach only when they really run together. */
typedef struct probe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, max_running, arrived;
    int rendezvous_ok;
} probe;

/* Every event seen, and whether each came on the test's own thread. */
typedef struct seen {
    pthread_t self;
    json_object *events; /* ["started:c1", "completed:c1:true", ...] */
    int off_thread;
} seen;

static void on_event(void *user, const cx_event *ev)
{
    seen *s = user;
    if (!pthread_equal(pthread_self(), s->self)) s->off_thread++;
    char line[128];
    const char *id = cx__json_get_str(ev->data, "call_id");
    if (ev->kind == CX_EV_TOOL_STARTED) {
        snprintf(line, sizeof line, "started:%s", id ? id : "?");
    } else if (ev->kind == CX_EV_TOOL_COMPLETED) {
        bool ok = false;
        cx__json_get_bool(ev->data, "success", &ok);
        snprintf(line, sizeof line, "completed:%s:%s", id ? id : "?", ok ? "true" : "false");
    } else {
        snprintf(line, sizeof line, "other:%d", (int)ev->kind);
    }
    json_object_array_add(s->events, json_object_new_string(line));
}

static void enter(probe *p)
{
    pthread_mutex_lock(&p->mu);
    if (++p->running > p->max_running) p->max_running = p->running;
    pthread_mutex_unlock(&p->mu);
}

static void leave(probe *p)
{
    pthread_mutex_lock(&p->mu);
    p->running--;
    pthread_mutex_unlock(&p->mu);
}

/* "meet": waits (up to 5 s) until a second call arrives too; reports whether it did. */
static int meet_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    (void)env;
    probe *p = state;
    enter(p);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&p->mu);
    p->arrived++;
    pthread_cond_broadcast(&p->cv);
    while (p->arrived < 2)
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until) != 0) break;
    bool met = p->arrived >= 2;
    p->rendezvous_ok += met;
    pthread_mutex_unlock(&p->mu);
    /* the first to arrive finishes last, so finishing order differs from call order */
    if (!strcmp(call->call_id, "p1")) usleep(50 * 1000);
    leave(p);
    return cx_tool_output_setf(out, met, "%s:%s", call->call_id, met ? "met" : "alone");
}

/* "solo": not parallel-safe; notes how many ran beside it. */
static int solo_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    (void)env;
    probe *p = state;
    enter(p);
    usleep(20 * 1000);
    pthread_mutex_lock(&p->mu);
    int beside = p->running - 1;
    pthread_mutex_unlock(&p->mu);
    leave(p);
    return cx_tool_output_setf(out, true, "%s:%s:%d", call->name, call->input, beside);
}

static int silent_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                          cx_tool_output *out)
{
    (void)state, (void)env, (void)out;
    if (!strcmp(call->call_id, "x-cancel")) return CX_ECANCELED;
    if (!strcmp(call->call_id, "x-oom")) return CX_ENOMEM;
    return 0;
}

static cx_tool_registry *registry(probe *p)
{
    cx_tool_registry *reg = cx_tools_new();
    cx_tool_def meet = {"meet", CX_TOOL_FUNCTION, true, NULL, meet_handler, p, NULL};
    cx_tool_def solo = {"solo", CX_TOOL_FUNCTION, false, NULL, solo_handler, p, NULL};
    cx_tool_def custom = {"freeform", CX_TOOL_CUSTOM, false, NULL, solo_handler, p, NULL};
    cx_tool_def silent = {"silent", CX_TOOL_FUNCTION, false, NULL, silent_handler, p, NULL};
    assert_int_equal(cx_tools_add(reg, &meet), 0);
    assert_int_equal(cx_tools_add(reg, &solo), 0);
    assert_int_equal(cx_tools_add(reg, &custom), 0);
    assert_int_equal(cx_tools_add(reg, &silent), 0);
    return reg;
}

static json_object *call_item(const char *name, const char *id, const char *args)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", "function_call");
    cx__json_set_str(o, "name", name);
    cx__json_set_str(o, "call_id", id);
    cx__json_set_str(o, "arguments", args);
    return o;
}

typedef struct run {
    probe p;
    seen s;
    cx_tool_registry *reg;
    json_object *items, *results;
} run;

static void run_start(run *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->p.mu, NULL);
    pthread_cond_init(&r->p.cv, NULL);
    r->s.self = pthread_self();
    r->s.events = json_object_new_array();
    r->reg = registry(&r->p);
    r->items = json_object_new_array();
    r->results = json_object_new_array();
}

static int run_go(run *r)
{
    cx_tool_env env = {.cwd = "/tmp", .emit = on_event, .emit_user = &r->s};
    return cx__turn_run_tools(r->reg, r->items, &env, r->results);
}

static void run_end(run *r)
{
    json_object_put(r->items);
    json_object_put(r->results);
    json_object_put(r->s.events);
    cx_tools_free(r->reg);
    pthread_cond_destroy(&r->p.cv);
    pthread_mutex_destroy(&r->p.mu);
}

static const char *result_text(run *r, size_t i, const char *want_type, const char *want_id)
{
    json_object *o = json_object_array_get_idx(r->results, i);
    assert_non_null(o);
    assert_string_equal(cx__json_get_str(o, "type"), want_type);
    assert_string_equal(cx__json_get_str(o, "call_id"), want_id);
    return cx__json_get_str(o, "output");
}

static void parallel_neighbours_run_together(void **state)
{
    (void)state;
    run r;
    run_start(&r);
    json_object *msg = json_object_new_object();
    cx__json_set_str(msg, "type", "message"); /* not a call: skipped */
    json_object_array_add(r.items, msg);
    json_object_array_add(r.items, call_item("meet", "p1", "{}"));
    json_object_array_add(r.items, call_item("meet", "p2", "{}"));
    json_object_array_add(r.items, call_item("solo", "s1", "{\"x\":1}"));
    assert_int_equal(run_go(&r), 0);
    assert_int_equal(json_object_array_length(r.results), 3);
    assert_string_equal(result_text(&r, 0, "function_call_output", "p1"), "p1:met");
    assert_string_equal(result_text(&r, 1, "function_call_output", "p2"), "p2:met");
    /* the call that is not parallel-safe waited for both and ran alone */
    assert_string_equal(result_text(&r, 2, "function_call_output", "s1"), "solo:{\"x\":1}:0");
    assert_int_equal(r.p.rendezvous_ok, 2);
    assert_int_equal(r.p.max_running, 2);
    /* events: all on this thread, each call started before it completed, s1 last */
    assert_int_equal(r.s.off_thread, 0);
    assert_int_equal(json_object_array_length(r.s.events), 6);
    const char *last = json_object_get_string(json_object_array_get_idx(r.s.events, 5));
    assert_string_equal(last, "completed:s1:true");
    const char *fifth = json_object_get_string(json_object_array_get_idx(r.s.events, 4));
    assert_string_equal(fifth, "started:s1");
    run_end(&r);
}

static void not_parallel_calls_run_one_at_a_time(void **state)
{
    (void)state;
    run r;
    run_start(&r);
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "s%d", i);
        json_object_array_add(r.items, call_item("solo", id, "{}"));
    }
    assert_int_equal(run_go(&r), 0);
    assert_int_equal(r.p.max_running, 1);
    assert_int_equal(json_object_array_length(r.results), 3);
    assert_string_equal(result_text(&r, 2, "function_call_output", "s2"), "solo:{}:0");
    run_end(&r);
}

static void unknown_nul_and_custom(void **state)
{
    (void)state;
    run r;
    run_start(&r);
    json_object_array_add(r.items, call_item("nope", "u1", "{}"));
    json_object_array_add(r.items, call_item("solo", "n1", "{\"path\":\"a\\u0000b\"}"));
    json_object *custom = json_object_new_object();
    cx__json_set_str(custom, "type", "custom_tool_call");
    cx__json_set_str(custom, "name", "freeform");
    cx__json_set_str(custom, "call_id", "f1");
    cx__json_set_str(custom, "input", "raw text");
    json_object_array_add(r.items, custom);
    assert_int_equal(run_go(&r), 0);
    assert_string_equal(result_text(&r, 0, "function_call_output", "u1"), "unsupported call: nope");
    assert_string_equal(result_text(&r, 1, "function_call_output", "n1"),
                        "failed to parse function arguments: a string holds \\u0000 (a NUL "
                        "character), which cannot be passed to a tool");
    assert_string_equal(result_text(&r, 2, "custom_tool_call_output", "f1"), "freeform:raw text:0");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(r.s.events, 1)),
                        "completed:u1:false");
    run_end(&r);
}

static void silent_aborted_and_fatal(void **state)
{
    (void)state;
    run r;
    run_start(&r);
    json_object_array_add(r.items, call_item("silent", "x-ok", "{}"));
    json_object_array_add(r.items, call_item("silent", "x-cancel", "{}"));
    json_object_array_add(r.items, call_item("silent", "x-oom", "{}"));
    /* the first fatal error is returned; every call still has its output */
    assert_int_equal(run_go(&r), CX_ECANCELED);
    assert_int_equal(json_object_array_length(r.results), 3);
    assert_string_equal(result_text(&r, 0, "function_call_output", "x-ok"), "");
    assert_string_equal(result_text(&r, 1, "function_call_output", "x-cancel"), "aborted");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(r.s.events, 1)),
                        "completed:x-ok:true");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(r.s.events, 3)),
                        "completed:x-cancel:false");
    run_end(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parallel_neighbours_run_together),
        cmocka_unit_test(not_parallel_calls_run_one_at_a_time),
        cmocka_unit_test(unknown_nul_and_custom),
        cmocka_unit_test(silent_aborted_and_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
