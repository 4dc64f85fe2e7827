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

static void run_call(call_job *job)
{
    const json_object *item = job->item;
    const char *type = cx_json_get_str(item, "type");
    bool custom = type && !strcmp(type, "custom_tool_call");
    const char *name = cx_json_get_str(item, "name");
    const char *call_id = cx_json_get_str(item, "call_id");
    const char *input =
        custom ? cx_json_get_str(item, "input") : cx_json_get_str(item, "arguments");
    if (!name) name = type && !strcmp(type, "local_shell_call") ? "local_shell" : "";
    if (!call_id) call_id = "";
    if (!input) input = custom ? "" : "{}";

    json_object *started = json_object_new_object();
    cx_json_set_str(started, "call_id", call_id);
    cx_json_set_str(started, "name", name);
    cx_json_set_str(started, "arguments", input);
    emit(job->env, CX_EV_TOOL_STARTED, started);

    cx_tool_output out = {0};
    const cx_tool_def *def = cx_tools_find(job->reg, name);
    if (!def || !def->handler) {
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
    cx_json_set_str(done, "call_id", call_id);
    cx_json_set_str(done, "name", name);
    cx_json_set(done, "success", json_object_new_boolean(out.success && job->rc == 0));
    cx_json_set(done, "output", json_object_get(cx_json_get(job->result, "output")));
    emit(job->env, CX_EV_TOOL_COMPLETED, done);
    cx_tool_output_clear(&out);
}

static void *run_call_thread(void *arg)
{
    run_call(arg);
    return NULL;
}

static bool is_parallel(const cx_tool_registry *reg, const json_object *item)
{
    const char *name = cx_json_get_str(item, "name");
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
    pthread_t *threads = calloc(to - from, sizeof *threads);
    bool *started = calloc(to - from, sizeof *started);
    for (size_t i = from; i < to; i++) {
        if (threads && started &&
            pthread_create(&threads[i - from], NULL, run_call_thread, &jobs[i]) == 0)
            started[i - from] = true;
        else
            run_call(&jobs[i]); /* no thread to be had: run it here */
    }
    for (size_t i = from; i < to; i++)
        if (started && started[i - from]) pthread_join(threads[i - from], NULL);
    free(threads);
    free(started);
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
