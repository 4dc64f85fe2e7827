/* Tool batch execution for the turn loop. Upstream runs tools that support
 * parallel calls under a shared lock and the others exclusively; here a run of
 * consecutive parallel-safe calls gets one thread each, and a call that is not
 * parallel-safe waits for everything before it and runs alone. */
#include "core/turn_tools.h"

#include "base/json.h"
#include "ccodex/error.h"
#include "ccodex/items.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct call_job {
    const cx_tool_registry *reg;
    const cx_tool_env *env;
    const json_object *item;
    json_object *result; /* output item */
    int rc;
} call_job;

static void emit(const cx_tool_env *env, cx_event_kind kind, json_object *data)
{
    if (env->emit) {
        cx_event ev = {kind, data};
        env->emit(env->emit_user, &ev);
    }
    json_object_put(data);
}

/* Whether the call's input, or a string inside its JSON arguments, holds
 * a NUL byte (issue 7 #9). */
static bool nul_in_input(const json_object *item, bool custom)
{
    json_object *v = cx__json_get(item, custom ? "input" : "arguments");
    if (!v || !json_object_is_type(v, json_type_string)) return false;
    if (cx__json_has_nul(v)) return true;
    if (custom) return false;
    json_object *args = NULL;
    const char *text = json_object_get_string(v);
    bool nul = cx__json_parse(text, strlen(text), &args, NULL) == 0 && cx__json_has_nul(args);
    json_object_put(args);
    return nul;
}

static void run_call(call_job *job)
{
    const json_object *item = job->item;
    const char *type = cx__json_get_str(item, "type");
    bool custom = type && !strcmp(type, "custom_tool_call");
    const char *name = cx__json_get_str(item, "name");
    const char *call_id = cx__json_get_str(item, "call_id");
    const char *input =
        custom ? cx__json_get_str(item, "input") : cx__json_get_str(item, "arguments");
    if (!name) name = type && !strcmp(type, "local_shell_call") ? "local_shell" : "";
    if (!call_id) call_id = "";
    if (!input) input = custom ? "" : "{}";

    json_object *started = json_object_new_object();
    cx__json_set_str(started, "call_id", call_id);
    cx__json_set_str(started, "name", name);
    cx__json_set_str(started, "arguments", input);
    emit(job->env, CX_EV_TOOL_STARTED, started);

    cx_tool_output out = {0};
    const cx_tool_def *def = cx_tools_find(job->reg, name);
    if (def && def->handler && nul_in_input(item, custom)) {
        /* a tool reads C strings: a path or command cut at the NUL would be
           another one, so the call is refused rather than run on part of it */
        cx_tool_output_setf(&out, false,
                            "failed to parse function arguments: a string holds \\u0000 (a NUL "
                            "character), which cannot be passed to a tool");
    } else if (!def || !def->handler) {
        /* Upstream answers a call to a tool it does not know with this text. */
        cx_tool_output_setf(&out, false, "unsupported call: %s", name);
    } else {
        cx_tool_call call = {name, call_id, custom ? CX_TOOL_CUSTOM : CX_TOOL_FUNCTION, input};
        job->rc = def->handler(def->state, &call, job->env, &out);
        if (job->rc == CX_ECANCELED && !out.text && !out.content)
            cx_tool_output_setf(&out, false, "aborted");
        else if (job->rc == 0 && !out.text && !out.content)
            cx_tool_output_setf(&out, true, "%s", "");
    }
    json_object *content = out.content ? json_object_get(out.content) : NULL;
    if (custom)
        job->result = cx_item_custom_output(call_id, out.text ? out.text : "", content);
    else
        job->result = cx_item_function_output(call_id, out.text, content);

    json_object *done = json_object_new_object();
    cx__json_set_str(done, "call_id", call_id);
    cx__json_set_str(done, "name", name);
    cx__json_set(done, "success", json_object_new_boolean(out.success && job->rc == 0));
    cx__json_set(done, "output", json_object_get(cx__json_get(job->result, "output")));
    emit(job->env, CX_EV_TOOL_COMPLETED, done);
    cx_tool_output_clear(&out);
}

/* Events of calls running on worker threads are not delivered from there: each is
 * copied into this queue and the turn's thread, waiting for the group, delivers them
 * one at a time. So a subscriber is only ever called from the thread running the
 * turn (events.h), and needs no lock of its own. */
typedef struct queued_event {
    struct queued_event *next;
    cx_event_kind kind;
    json_object *data; /* a private deep copy: json-c reference counts are not atomic */
} queued_event;

typedef struct relay {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    queued_event *head, **tail;
    size_t running;  /* worker threads not yet finished */
    cx_tool_env env; /* what the workers see: the turn's env, emit pointing here */
} relay;

static void relay_emit(void *user, const cx_event *ev)
{
    relay *r = user;
    queued_event *q = calloc(1, sizeof *q);
    if (!q) return;
    q->kind = ev->kind;
    if (json_object_deep_copy(ev->data, &q->data, NULL) != 0) {
        free(q);
        return;
    }
    pthread_mutex_lock(&r->mu);
    *r->tail = q;
    r->tail = &q->next;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

typedef struct worker {
    call_job *job;
    relay *relay;
} worker;

static void *run_call_thread(void *arg)
{
    worker *w = arg;
    run_call(w->job);
    pthread_mutex_lock(&w->relay->mu);
    w->relay->running--;
    pthread_cond_signal(&w->relay->cv);
    pthread_mutex_unlock(&w->relay->mu);
    return NULL;
}

/* Delivers queued events on this (the turn's) thread until every worker is done. */
static void relay_pump(relay *r, const cx_tool_env *env)
{
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->head && r->running)
            pthread_cond_wait(&r->cv, &r->mu);
        queued_event *batch = r->head;
        r->head = NULL;
        r->tail = &r->head;
        bool done = !r->running;
        pthread_mutex_unlock(&r->mu);
        while (batch) {
            queued_event *next = batch->next;
            if (env->emit) {
                cx_event ev = {batch->kind, batch->data};
                env->emit(env->emit_user, &ev);
            }
            json_object_put(batch->data);
            free(batch);
            batch = next;
        }
        pthread_mutex_lock(&r->mu);
        if (done && !r->head) break;
    }
    pthread_mutex_unlock(&r->mu);
}

static bool is_parallel(const cx_tool_registry *reg, const json_object *item)
{
    const char *name = cx__json_get_str(item, "name");
    const cx_tool_def *def = name ? cx_tools_find(reg, name) : NULL;
    return def && def->parallel;
}

/* Runs jobs[from..to) concurrently; a single job runs on this thread. */
static void run_group(call_job *jobs, size_t from, size_t to)
{
    if (to - from == 1) {
        run_call(&jobs[from]);
        return;
    }
    size_t n = to - from;
    const cx_tool_env *env = jobs[from].env;
    relay r = {.running = 0};
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    r.tail = &r.head;
    r.env = *env;
    r.env.emit = relay_emit;
    r.env.emit_user = &r;
    pthread_t *threads = calloc(n, sizeof *threads);
    worker *workers = calloc(n, sizeof *workers);
    bool *started = calloc(n, sizeof *started);
    for (size_t i = 0; threads && workers && started && i < n; i++) {
        workers[i] = (worker){&jobs[from + i], &r};
        jobs[from + i].env = &r.env;
        pthread_mutex_lock(&r.mu);
        r.running++;
        pthread_mutex_unlock(&r.mu);
        if (pthread_create(&threads[i], NULL, run_call_thread, &workers[i]) == 0) {
            started[i] = true;
        } else {
            pthread_mutex_lock(&r.mu);
            r.running--;
            pthread_mutex_unlock(&r.mu);
            jobs[from + i].env = env;
        }
    }
    relay_pump(&r, env);
    for (size_t i = 0; i < n; i++) {
        if (started && started[i]) pthread_join(threads[i], NULL);
        jobs[from + i].env = env;
    }
    /* calls that got no thread (none to be had) run here, after the others */
    for (size_t i = 0; i < n; i++)
        if (!started || !started[i]) run_call(&jobs[from + i]);
    free(threads);
    free(workers);
    free(started);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
}

int cx__turn_run_tools(const cx_tool_registry *reg, const json_object *items,
                       const cx_tool_env *env, json_object *results)
{
    size_t n = json_object_array_length(items), ncalls = 0;
    call_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    if (!jobs) return CX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(items, i);
        if (!cx_item_is_tool_call(item)) continue;
        jobs[ncalls++] = (call_job){reg, env, item, NULL, 0};
    }
    size_t i = 0;
    while (i < ncalls) {
        size_t j = i + 1;
        if (is_parallel(reg, jobs[i].item))
            while (j < ncalls && is_parallel(reg, jobs[j].item))
                j++;
        run_group(jobs, i, j);
        i = j;
    }
    int rc = 0;
    for (size_t k = 0; k < ncalls; k++) {
        if (jobs[k].result) json_object_array_add(results, jobs[k].result);
        if (!rc && jobs[k].rc < 0) rc = jobs[k].rc;
        if (!jobs[k].result && !rc) rc = CX_ENOMEM;
    }
    free(jobs);
    return rc;
}
