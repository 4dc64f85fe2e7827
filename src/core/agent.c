/* The agent and its turn loop (upstream: codex-rs/core/src/codex.rs
 * run_turn / run_sampling_request). One turn: insert the user's text, then
 * sample -> run tools -> sample again until a response carries no tool call
 * and no steer text waits. Context (instructions, developer and environment
 * messages) is rebuilt for every request and never stored in history. */
#include "ccodex/agent.h"
#include "core/agent_priv.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/uuid.h"
#include "ccodex/items.h"
#include "context/context.h"
#include "core/turn_tools.h"
#include "model/http.h"
#include "model/request.h"
#include "model/stream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cx__agent_emit(cx_agent *a, cx_event_kind kind, json_object *data)
{
    if (a->on_event) {
        cx_event ev = {kind, data};
        a->on_event(a->event_user, &ev);
    }
    json_object_put(data);
}

static void emit(cx_agent *a, cx_event_kind kind, json_object *data)
{
    cx__agent_emit(a, kind, data);
}

static void emit_tool_event(void *user, const cx_event *ev)
{
    cx_agent *a = user;
    if (a->on_event) a->on_event(a->event_user, ev);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *user_shell(void)
{
    const char *s = getenv("SHELL");
    if (s && *s == '/' && access(s, X_OK) == 0) return strdup(s);
    return strdup(access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh");
}

void cx_agent_global_init(const cx_config *cfg)
{
    const char *url = cfg && cfg->provider.base_url ? cfg->provider.base_url : "https://";
    cx__http_global_init(strncmp(url, "http://", 7) != 0);
}

cx_agent *cx_agent_new(const cx_agent_options *o, cx_error *err)
{
    if (!o || !o->config) {
        cx_error_set(err, CX_EINVAL, "agent needs a configuration");
        return NULL;
    }
    cx_agent *a = calloc(1, sizeof *a);
    if (!a) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&a->lock, NULL);
    a->cfg = o->config;
    a->mode = o->mode;
    a->cwd = o->cwd ? realpath(o->cwd, NULL) : getcwd(NULL, 0);
    a->shell = user_shell();
    a->model = dup_or_null(o->model           ? o->model
                           : o->config->model ? o->config->model
                                              : "gpt-5.1-codex");
    a->effort_override = dup_or_null(o->reasoning_effort);
    a->base_override = dup_or_null(o->base_instructions);
    a->subagent_header = dup_or_null(o->subagent_header);
    a->collab_mode = o->mode == CX_MODE_INTERACTIVE ? strdup("default") : NULL;
    a->on_event = o->on_event;
    a->event_user = o->event_user;
    a->history = o->initial_history ? cx__json_copy(o->initial_history) : json_object_new_array();
    a->http = cx__http_client_new();
    a->originator = o->mode == CX_MODE_INTERACTIVE ? "codex-tui" : "codex_exec";
    if (o->originator && (a->own_originator = strdup(o->originator)))
        a->originator = a->own_originator;
    a->user_agent =
        cx__request_user_agent(a->originator, o->client_name                   ? o->client_name
                                              : o->mode == CX_MODE_INTERACTIVE ? "codex-tui"
                                                                               : "codex-exec");
    a->output_schema = o->output_schema ? cx__json_copy(o->output_schema) : NULL;
    if (o->session_id)
        snprintf(a->session_id, sizeof a->session_id, "%s", o->session_id);
    else
        cx__uuid7(a->session_id);
    cx__rollout_timestamp(a->created);
    if (!a->cwd) {
        cx_error_set(err, CX_EIO, "cannot resolve the working directory");
        cx_agent_free(a);
        return NULL;
    }
    a->ctx = cx__context_cache_new(a->cfg, a->cwd);
    a->toolset = cx__toolset_new(a->cfg, a->cwd, o->mode == CX_MODE_SUBAGENT, o->ask_user,
                                 o->ask_user_data, o->tools);
    a->tools = a->toolset ? cx__toolset_registry(a->toolset) : NULL;
    if (!a->shell || !a->model || !a->history || !a->http || !a->user_agent || !a->tools ||
        (o->output_schema && !a->output_schema) || !a->ctx) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        cx_agent_free(a);
        return NULL;
    }
    if (o->resume_path) {
        if (cx__agent_resume(a, o->resume_path, o->persist, err) != 0) {
            cx_agent_free(a);
            return NULL;
        }
    } else if (o->persist) {
        a->rollout = cx__rollout_new(a->cfg->codex_home, a->session_id, time(NULL));
        if (!a->rollout) {
            cx_error_set(err, CX_ENOMEM, "out of memory");
            cx_agent_free(a);
            return NULL;
        }
    }
    return a;
}

void cx_agent_free(cx_agent *a)
{
    if (!a) return;
    cx__toolset_free(a->toolset);
    cx__http_client_free(a->http);
    cx__context_cache_free(a->ctx);
    json_object_put(a->history);
    json_object_put(a->pending_ctx);
    cx__rollout_free(a->rollout);
    cx__buf_free(&a->hist_json);
    for (size_t i = 0; i < a->n_steer; i++)
        free(a->steer[i]);
    free(a->steer);
    free(a->cwd);
    free(a->shell);
    free(a->model);
    free(a->effort_override);
    free(a->base_override);
    free(a->resume_warning);
    free(a->subagent_header);
    free(a->collab_mode);
    free(a->user_agent);
    free(a->own_originator);
    free(a->last_message);
    json_object_put(a->output_schema);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

void cx_agent_interrupt(cx_agent *a)
{
    atomic_store(&a->cancel, true);
}

const char *cx_agent_session_id(const cx_agent *a)
{
    return a->session_id;
}

const json_object *cx_agent_history(const cx_agent *a)
{
    return a->history;
}

cx_usage cx_agent_usage(const cx_agent *a)
{
    return a->usage;
}

const char *cx_agent_last_message(const cx_agent *a)
{
    return a->last_message;
}

cx_tool_registry *cx_agent_tools(cx_agent *a)
{
    return a->tools;
}

int cx_agent_set_model(cx_agent *a, const char *model)
{
    char *m = strdup(model);
    if (!m) return CX_ENOMEM;
    free(a->model);
    a->model = m;
    return 0;
}

const char *cx_agent_model(const cx_agent *a)
{
    return a->model;
}

int cx_agent_set_collaboration_mode(cx_agent *a, const char *mode)
{
    char *m = strdup(mode);
    if (!m) return CX_ENOMEM;
    free(a->collab_mode);
    a->collab_mode = m;
    return 0;
}

/* ---- one sampling request ---------------------------------------------- */

typedef struct sample_state {
    cx_agent *a;
    json_object *items; /* canonical output items of this response */
    json_object *delta; /* CX_EV_TEXT_DELTA data, reused across deltas */
} sample_state;

/* A web_search_call as the web_search item exec --json shows: started when
 * the call appears (upstream does not know the query yet then), completed with
 * the query and action when it is done. The raw item id is kept as "id" (the
 * exec item carries its own id beside it, as upstream's does). */
static void emit_web_search(cx_agent *a, const json_object *item, bool done)
{
    const char *raw_id = cx__json_get_str(item, "id");
    json_object *action = done ? cx__json_get(item, "action") : NULL;
    const char *query = cx__json_get_str(action, "query");
    if (!query) query = cx__json_get_str(action, "url");
    json_object *d = json_object_new_object();
    cx__json_set_str(d, "type", "web_search");
    cx__json_set_str(d, "call_id", raw_id ? raw_id : "");
    cx__json_set_str(d, "id", raw_id ? raw_id : "");
    cx__json_set_str(d, "query", query ? query : "");
    if (action) {
        cx__json_set(d, "action", json_object_get(action));
    } else {
        json_object *other = json_object_new_object();
        cx__json_set_str(other, "type", "other");
        cx__json_set(d, "action", other);
    }
    emit(a, done ? CX_EV_ITEM_COMPLETED : CX_EV_ITEM_STARTED, d);
}

static bool is_web_search_call(const json_object *item)
{
    const char *t = cx__json_get_str(item, "type");
    return t && !strcmp(t, "web_search_call");
}

static int on_stream_event(void *user, const json_object *ev)
{
    sample_state *s = user;
    const char *type = cx__json_get_str(ev, "type");
    if (!type) return 0;
    if (!strcmp(type, "response.output_text.delta")) {
        /* Thousands of these arrive per answer: refill one object rather than
         * building a new one per delta (events are borrowed by subscribers). */
        const char *item_id = cx__json_get_str(ev, "item_id");
        const char *delta = cx__json_get_str(ev, "delta");
        if (!s->delta) {
            s->delta = json_object_new_object();
            cx__json_set(s->delta, "item_id", json_object_new_string(""));
            cx__json_set(s->delta, "delta", json_object_new_string(""));
        }
        json_object_set_string(cx__json_get(s->delta, "item_id"), item_id ? item_id : "");
        json_object_set_string(cx__json_get(s->delta, "delta"), delta ? delta : "");
        if (s->a->on_event) {
            cx_event e = {CX_EV_TEXT_DELTA, s->delta};
            s->a->on_event(s->a->event_user, &e);
        }
    } else if (!strcmp(type, "response.reasoning_summary_text.delta") ||
               !strcmp(type, "response.reasoning_text.delta")) {
        json_object *d = json_object_new_object();
        cx__json_set_str(d, "item_id", cx__json_get_str(ev, "item_id"));
        cx__json_set_str(d, "delta", cx__json_get_str(ev, "delta"));
        emit(s->a, CX_EV_REASONING_DELTA, d);
    } else if (!strcmp(type, "response.output_item.added")) {
        json_object *item = cx__json_get(ev, "item");
        if (is_web_search_call(item)) emit_web_search(s->a, item, false);
    } else if (!strcmp(type, "response.output_item.done")) {
        json_object *item = cx__json_get(ev, "item");
        if (!item) return 0;
        if (is_web_search_call(item)) emit_web_search(s->a, item, true);
        json_object *canon = cx_item_from_model(item);
        if (!canon) return CX_ENOMEM;
        json_object_array_add(s->items, canon);
    }
    return 0;
}

static void add_usage(cx_usage *u, const json_object *usage)
{
    int64_t v;
    if (cx__json_get_int(usage, "input_tokens", &v)) u->input_tokens += v;
    if (cx__json_get_int(usage, "output_tokens", &v)) u->output_tokens += v;
    if (cx__json_get_int(usage, "total_tokens", &v)) u->total_tokens += v;
    if (cx__json_get_int(cx__json_get(usage, "input_tokens_details"), "cached_tokens", &v))
        u->cached_input_tokens += v;
    if (cx__json_get_int(cx__json_get(usage, "output_tokens_details"), "reasoning_tokens", &v))
        u->reasoning_output_tokens += v;
}

void cx__agent_history_changed(cx_agent *a)
{
    cx__buf_reset(&a->hist_json);
    a->hist_n = 0;
}

/* Brings the serialised history up to date: only the items that joined
 * since the last request are serialised (the history only grows between
 * compactions, which call cx__agent_history_changed). */
static int sync_history_json(cx_agent *a)
{
    size_t n = json_object_array_length(a->history);
    if (a->hist_n > n) cx__agent_history_changed(a);
    for (size_t i = a->hist_n; i < n; i++) {
        if (a->hist_json.len) cx__buf_putc(&a->hist_json, ',');
        cx__json_dump(json_object_array_get_idx(a->history, i), &a->hist_json);
    }
    a->hist_n = n;
    return cx__buf_failed(&a->hist_json) ? CX_ENOMEM : 0;
}

/* The request input before the history: fresh context items unless the
 * history carries its own (resumed or compacted sessions). */
static json_object *build_input(cx_agent *a)
{
    return a->ctx_in_history ? json_object_new_array() : cx__agent_context_items(a);
}

/* A retry is about to wait: say so, and drop what a broken stream gave. */
static void on_model_retry(void *user, const cx_model_retry *r)
{
    sample_state *s = user;
    if (r->stream) {
        json_object_put(s->items);
        s->items = json_object_new_array();
    }
    json_object *d = json_object_new_object();
    cx__json_set(d, "attempt", json_object_new_int(r->attempt));
    cx__json_set(d, "max", json_object_new_int(r->max));
    cx__json_set(d, "delay_ms", json_object_new_int64(r->delay_ms));
    cx__json_set_str(d, "kind", r->stream ? "stream" : "request");
    cx__json_set_str(d, "message", r->message);
    emit(s->a, CX_EV_RETRY, d);
}

char *cx__agent_instructions(cx_agent *a, cx_error *err)
{
    return cx__context_base_instructions(a->ctx, a->model, a->base_override, err);
}

/* Sends one request (with stream retries) and returns its output items. */
int cx__agent_sample(cx_agent *a, const char *turn_metadata, const json_object *input_in,
                     const char *input_tail, size_t input_tail_len, const json_object *tools_in,
                     json_object **items_out, cx_usage *usage_out, cx_error *err)
{
    const cx_provider *p = &a->cfg->provider;
    cx_model_info info;
    cx__context_model_info(a->model, &info);
    char *instructions = cx__agent_instructions(a, err);
    if (!instructions) return err ? err->code : CX_ECONFIG;
    json_object *input = json_object_get((json_object *)input_in);
    json_object *tools =
        tools_in ? json_object_get((json_object *)tools_in) : cx_tools_specs(a->tools);
    const char *effort = a->effort_override               ? a->effort_override
                         : a->cfg->model_reasoning_effort ? a->cfg->model_reasoning_effort
                                                          : info.default_effort;
    const char *summary =
        a->cfg->model_reasoning_summary ? a->cfg->model_reasoning_summary : "auto";
    if (summary && !strcmp(summary, "none")) summary = NULL;
    cx_request_body_opts bo = {
        .model = a->model,
        .instructions = instructions,
        .input = input,
        .input_tail = input_tail,
        .input_tail_len = input_tail_len,
        .tools = tools,
        .parallel_tool_calls = info.supports_parallel_tool_calls,
        .reasoning = info.supports_reasoning,
        .reasoning_effort = effort,
        .reasoning_summary = summary,
        .service_tier = a->cfg->service_tier,
        .prompt_cache_key = a->session_id, /* a sub-agent's session id is its agent id */
        .verbosity = info.supports_verbosity ? a->cfg->model_verbosity : NULL,
        .output_schema = a->output_schema,
    };
    cx_buf body = CX_BUF_INIT;
    int rc = cx__request_body(&bo, &body);
    free(instructions);
    json_object_put(input);
    json_object_put(tools);
    cx_request_header_opts ho = {
        .provider = p,
        .originator = a->originator,
        .user_agent = a->user_agent,
        .session_id = a->session_id,
        .turn_metadata = turn_metadata,
        .subagent = a->subagent_header,
    };
    char **headers = rc ? NULL : cx__request_headers(&ho);
    char *url = cx__request_url(p, "/responses");
    if (rc || !headers || !url) {
        cx__buf_free(&body);
        cx__request_headers_free(headers);
        free(url);
        return cx_error_set(err, CX_ENOMEM, "out of memory building the request");
    }
    cx_http_request req = {
        .url = url,
        .headers = (const char *const *)headers,
        .body = body.data,
        .body_len = body.len,
        .max_retries = p->request_max_retries,
        .idle_timeout_ms = p->stream_idle_timeout_ms,
        .cancel = &a->cancel,
        .redact = p->api_key,
        .max_retry_wait_ms = p->request_max_retry_wait_ms,
    };
    sample_state st = {a, json_object_new_array(), NULL};
    cx_model_stream_opts mo = {
        .stream_max_retries = p->stream_max_retries,
        .max_event_bytes = p->stream_max_event_bytes,
        .on_retry = on_model_retry,
        .retry_user = &st,
    };
    cx_model_stream_result res = {0};
    rc = cx__model_sample(a->http, &req, &mo, on_stream_event, &st, &res, err);
    json_object_put(st.delta);
    if (rc == 0) {
        if (usage_out) *usage_out = (cx_usage){0};
        if (res.usage) {
            add_usage(&a->usage, res.usage);
            if (usage_out) add_usage(usage_out, res.usage);
        }
        *items_out = st.items;
    } else {
        json_object_put(st.items);
    }
    cx__model_stream_result_clear(&res);
    if (atomic_load(&a->cancel) && rc) rc = cx_error_set(err, CX_ECANCELED, "turn interrupted");
    cx__buf_free(&body);
    cx__request_headers_free(headers);
    free(url);
    return rc;
}

static int sample(cx_agent *a, const char *turn_metadata, json_object **items_out, cx_error *err)
{
    if (sync_history_json(a) != 0) return cx_error_set(err, CX_ENOMEM, "out of memory");
    json_object *input = build_input(a);
    cx_usage u;
    int rc = cx__agent_sample(a, turn_metadata, input, a->hist_json.data, a->hist_json.len, NULL,
                              items_out, &u, err);
    json_object_put(input);
    if (rc == 0) {
        a->last_usage = u;
        a->have_usage = true;
    }
    return rc;
}

static void rec_text_event(cx_agent *a, const char *type, const char *key, const char *text)
{
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "type", type);
    cx__json_set_str(p, key, text);
    if (!strcmp(type, "agent_message")) cx__json_set(p, "phase", NULL);
    cx__rec_event(a, p);
}

/* Reports the assistant messages and reasoning of a response as items and
 * records every output item (the UI event first, as upstream). */
static void emit_response_items(cx_agent *a, const json_object *items)
{
    size_t n = json_object_array_length(items);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        const char *type = cx__json_get_str(it, "type");
        if (!type) {
            cx__rec_item(a, it);
            continue;
        }
        if (!strcmp(type, "message") && cx__json_get_str(it, "role") &&
            !strcmp(cx__json_get_str(it, "role"), "assistant")) {
            char *text = cx_item_message_text(it);
            rec_text_event(a, "agent_message", "message", text ? text : "");
            json_object *d = json_object_new_object();
            cx__json_set_str(d, "type", "agent_message");
            cx__json_set_str(d, "text", text ? text : "");
            emit(a, CX_EV_ITEM_COMPLETED, d);
            free(a->last_message);
            a->last_message = text;
        } else if (!strcmp(type, "reasoning")) {
            json_object *summary = cx__json_get(it, "summary");
            cx_buf b = CX_BUF_INIT;
            size_t m = summary ? json_object_array_length(summary) : 0;
            for (size_t k = 0; k < m; k++) {
                const char *t = cx__json_get_str(json_object_array_get_idx(summary, k), "text");
                if (!t) continue;
                rec_text_event(a, "agent_reasoning", "text", t);
                if (b.len) cx__buf_putc(&b, '\n');
                cx__buf_puts(&b, t);
            }
            if (b.len) {
                json_object *d = json_object_new_object();
                cx__json_set_str(d, "type", "reasoning");
                cx__json_set_str(d, "text", cx__buf_str(&b));
                emit(a, CX_EV_ITEM_COMPLETED, d);
            }
            cx__buf_free(&b);
        }
        cx__rec_item(a, it);
    }
}

static void rec_task_event(cx_agent *a, const char *type, const char *turn_id, bool complete)
{
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "type", type);
    cx__json_set_str(p, "turn_id", turn_id);
    if (complete) {
        cx__json_set(p, "last_agent_message", cx__json_string(a->last_message));
    } else {
        int64_t window = cx__model_facts_usable_window(cx__context_model_facts(a->model));
        cx__json_set(p, "model_context_window", json_object_new_int64(window));
        cx__json_set_str(p, "collaboration_mode_kind", a->collab_mode ? a->collab_mode : "default");
    }
    cx__rec_event(a, p);
}

/* Writes session_meta (first turn) and task_started. */
static int begin_task(cx_agent *a, const char *turn_id, cx_error *err)
{
    if (a->rollout && !a->meta_written) {
        char *instructions = cx__agent_instructions(a, err);
        if (!instructions) return err->code ? err->code : CX_ECONFIG;
        cx__rec_session_meta(a, instructions);
        free(instructions);
    }
    rec_task_event(a, "task_started", turn_id, false);
    return 0;
}

static void append_recorded(cx_agent *a, json_object *items)
{
    size_t n = items ? json_object_array_length(items) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        json_object_array_add(a->history, json_object_get(it));
        cx__rec_item(a, it);
    }
}

/* The context part of a turn's start (SESSIONS.md §2.6, §3.3): a fresh
 * session records the context items it sends; a session whose history
 * carries them appends the whole context or what changed. */
static void turn_context_items(cx_agent *a)
{
    if (!a->ctx_in_history) {
        if (a->ctx_recorded) return;
        a->ctx_recorded = true;
        json_object *items = cx__agent_context_items(a);
        size_t n = json_object_array_length(items);
        for (size_t i = 0; i < n; i++)
            cx__rec_item(a, json_object_array_get_idx(items, i));
        json_object_put(items);
        return;
    }
    json_object *items = a->need_full_ctx ? cx__agent_context_items(a) : a->pending_ctx;
    if (!a->need_full_ctx) a->pending_ctx = NULL;
    if (a->need_full_ctx) {
        json_object_put(a->pending_ctx);
        a->pending_ctx = NULL;
    }
    a->need_full_ctx = false;
    append_recorded(a, items);
    json_object_put(items);
}

int cx_agent_compact(cx_agent *a, cx_error *err)
{
    cx_error local;
    if (!err) err = &local;
    cx_error_clear(err);
    atomic_store(&a->cancel, false);
    char turn_id[CX_UUID_STRLEN + 1];
    cx__uuid7(turn_id);
    int rc = begin_task(a, turn_id, err);
    if (rc == 0) {
        cx__rec_token_count(a);
        rc = cx__compact_run(a, CX_COMPACT_MANUAL, turn_id, err);
    }
    free(a->last_message);
    a->last_message = NULL;
    rec_task_event(a, "task_complete", turn_id, true);
    return rc;
}

int cx_agent_run_turn(cx_agent *a, const char *user_text, cx_error *err)
{
    return cx_agent_run_turn_content(a, user_text, NULL, err);
}

/* The user message of a turn: the parts given first, then the text. */
static json_object *user_message(const char *text, const json_object *before)
{
    json_object *m = cx_item_user_text("user", text);
    size_t n = before ? json_object_array_length(before) : 0;
    if (!n) return m;
    json_object *content = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(content, cx__json_copy(json_object_array_get_idx(before, i)));
    json_object *old = cx__json_get(m, "content");
    for (size_t i = 0; old && i < json_object_array_length(old); i++)
        json_object_array_add(content, json_object_get(json_object_array_get_idx(old, i)));
    cx__json_set(m, "content", content);
    return m;
}

int cx_agent_run_turn_content(cx_agent *a, const char *user_text, const json_object *before,
                              cx_error *err)
{
    cx_error local;
    if (!err) err = &local;
    cx_error_clear(err);
    atomic_store(&a->cancel, false);
    free(a->last_message);
    a->last_message = NULL;
    char turn_id[CX_UUID_STRLEN + 1];
    cx__uuid7(turn_id);
    /* upstream says it as the session resumes, before the turn starts */
    if (a->resume_warning) {
        json_object *w = json_object_new_object();
        cx__json_set_str(w, "message", a->resume_warning);
        emit(a, CX_EV_WARNING, w);
        free(a->resume_warning);
        a->resume_warning = NULL;
    }
    json_object *d = json_object_new_object();
    cx__json_set_str(d, "turn_id", turn_id);
    if (user_text) cx__json_set_str(d, "user_text", user_text);
    emit(a, CX_EV_TURN_STARTED, d);
    cx__toolset_turn_started(a->toolset);
    if (!a->warned && cx__toolset_warning(a->toolset)) {
        a->warned = true;
        json_object *w = json_object_new_object();
        cx__json_set_str(w, "message", cx__toolset_warning(a->toolset));
        emit(a, CX_EV_WARNING, w);
    }

    /* Git facts are gathered once per turn, as upstream does. */
    char *metadata = cx__context_turn_metadata(a->ctx, turn_id);
    int rc = begin_task(a, turn_id, err);
    /* pre-turn compaction: the last response (maybe of an earlier process)
     * already filled the window */
    if (rc == 0 && user_text && cx__compact_due(a))
        rc = cx__compact_run(a, CX_COMPACT_PRE_TURN, turn_id, err);
    if (rc == 0) {
        turn_context_items(a);
        cx__rec_turn_context(a, turn_id);
        if (user_text) {
            json_object *item = user_message(user_text, before);
            json_object_array_add(a->history, item);
            cx__rec_item(a, item);
            json_object *um = json_object_new_object();
            cx__json_set_str(um, "type", "user_message");
            cx__json_set_str(um, "message", user_text);
            cx__json_set(um, "images", json_object_new_array());
            cx__json_set(um, "local_images", json_object_new_array());
            cx__json_set(um, "text_elements", json_object_new_array());
            cx__rec_event(a, um);
        }
    }
    cx_tool_env env = {
        .cwd = a->cwd,
        .shell = a->shell,
        .config = a->cfg,
        .cancel = &a->cancel,
        .emit = emit_tool_event,
        .emit_user = a,
        .collaboration_mode = a->collab_mode,
        .thread_id = a->session_id,
        .history = a->history,
    };
    bool after_tools = false;
    while (rc == 0) {
        cx__agent_insert_steer(a);
        if (atomic_load(&a->cancel)) {
            rc = cx_error_set(err, CX_ECANCELED, "turn interrupted");
            break;
        }
        json_object *d2 = json_object_new_object();
        cx__json_set_str(d2, "phase", after_tools ? "tool_results" : "request");
        emit(a, CX_EV_SAMPLING, d2);
        json_object *items = NULL;
        cx__rec_token_count(a);
        rc = sample(a, metadata, &items, err);
        if (rc) break;
        size_t n = json_object_array_length(items);
        bool any_call = false;
        for (size_t i = 0; i < n; i++) {
            json_object *it = json_object_array_get_idx(items, i);
            json_object_array_add(a->history, json_object_get(it));
            any_call |= cx_item_is_tool_call(it);
        }
        emit_response_items(a, items);
        cx__rec_token_count(a);
        if (any_call) {
            json_object *results = json_object_new_array();
            rc = cx__turn_run_tools(a->tools, items, &env, results);
            size_t m = json_object_array_length(results);
            for (size_t i = 0; i < m; i++) {
                json_object *r = json_object_array_get_idx(results, i);
                json_object_array_add(a->history, json_object_get(r));
                cx__rec_item(a, r);
            }
            json_object *follow = json_object_new_array();
            cx__toolset_followups(a->toolset, items, results, follow);
            for (size_t i = 0; i < json_object_array_length(follow); i++) {
                json_object *f = json_object_array_get_idx(follow, i);
                json_object_array_add(a->history, json_object_get(f));
                cx__rec_item(a, f);
            }
            json_object_put(follow);
            after_tools = true;
            json_object_put(results);
        }
        json_object_put(items);
        if (rc) {
            if (rc == CX_ECANCELED)
                cx_error_set(err, CX_ECANCELED, "turn interrupted");
            else if (!err->msg[0])
                cx_error_set(err, rc, "tool failed: %s", cx_error_name(rc));
            break;
        }
        if (!any_call && !cx_agent_has_pending_steer(a)) break;
        /* mid-turn compaction: the follow-up request would not fit */
        if (any_call && cx__compact_due(a))
            rc = cx__compact_run(a, CX_COMPACT_MID_TURN, turn_id, err);
    }
    free(metadata);
    rec_task_event(a, "task_complete", turn_id, true);

    json_object *done = json_object_new_object();
    cx__json_set_str(done, "turn_id", turn_id);
    if (rc == 0) {
        /* cumulative over the session, resumed turns included (as upstream) */
        cx__json_set(done, "usage", cx__usage_json(&a->usage));
        cx__json_set_str(done, "last_message", a->last_message);
        emit(a, CX_EV_TURN_COMPLETED, done);
    } else if (rc == CX_ECANCELED) {
        cx__json_set_str(done, "reason", "interrupted");
        emit(a, CX_EV_TURN_ABORTED, done);
    } else {
        cx__json_set_str(done, "message", err->msg[0] ? err->msg : cx_error_name(rc));
        emit(a, CX_EV_TURN_FAILED, done);
    }
    return rc;
}
