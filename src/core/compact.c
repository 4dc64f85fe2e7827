/* Compaction (SESSIONS.md §5): when the last response's total_tokens
 * reaches the limit, the history is replaced by a shorter one. The built-in
 * OpenAI provider (name exactly "OpenAI") asks POST /responses/compact for
 * the replacement; any other provider gets an inline summarisation turn and
 * the history becomes the user's prompts plus the summary. On any failure
 * the history is left as it was. */
#include "core/agent_priv.h"

#include "base/buf.h"
#include "base/json.h"
#include "ccodex/items.h"
#include "model/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upstream's marker for a summary carried into a compacted history: it is
 * how earlier summaries are recognised (and left out of the next one), so
 * it must be exactly this text (a protocol string, not prose of ours). */
static const char summary_prefix[] =
    "Another language model started to solve this problem and produced a summary of its "
    "thinking process. You also have access to the state of the tools that were used by that "
    "language model. Use this to build on the work that has already been done and avoid "
    "duplicating work. Here is the summary produced by the other language model, use the "
    "information in this summary to assist with your own analysis:";

/* Our own request for the summary. */
static const char compact_prompt[] =
    "Context checkpoint: the conversation above is about to be replaced by a summary that you "
    "write now, for another model that will carry on the work without seeing the rest.\n\n"
    "Write the summary as a hand-over note:\n"
    "- the user's goal and any constraints or preferences they stated;\n"
    "- what has been done so far, with the decisions taken and why;\n"
    "- files, commands, identifiers and values the next model will need, quoted exactly;\n"
    "- what is still to do, as concrete next steps.\n\n"
    "Keep it short and factual; do not call any tool.";

static const char inline_warning[] =
    "Heads up: Long threads and multiple compactions can cause the model to be less accurate. "
    "Start a new thread when possible to keep threads small and targeted.";

bool cx__compact_due(cx_agent *a)
{
    if (!a->have_usage) return false;
    int64_t limit = 0;
    if (!a->cfg->root ||
        !cx__json_get_int(a->cfg->root, "model_auto_compact_token_limit", &limit) || limit <= 0)
        limit = cx__model_facts_auto_compact_limit(cx__context_model_facts(a->model));
    return a->last_usage.total_tokens >= limit;
}

static const char *first_text(const json_object *item)
{
    json_object *content = cx__json_get(item, "content");
    if (!content || !json_object_is_type(content, json_type_array) ||
        !json_object_array_length(content))
        return NULL;
    return cx__json_get_str(json_object_array_get_idx(content, 0), "text");
}

static bool is_role(const json_object *item, const char *role)
{
    const char *t = cx__json_get_str(item, "type"), *r = cx__json_get_str(item, "role");
    return t && r && !strcmp(t, "message") && !strcmp(r, role);
}

/* A user message the user wrote: not context (AGENTS.md, environment),
 * not a notification, not an earlier summary. */
static bool is_real_prompt(const json_object *item)
{
    if (!is_role(item, "user")) return false;
    const char *t = first_text(item);
    if (!t) return false;
    static const char *const not_prompts[] = {"# AGENTS.md instructions", "<environment_context>",
                                              "<user_instructions>", "<subagent_notification>",
                                              summary_prefix};
    for (size_t i = 0; i < sizeof not_prompts / sizeof *not_prompts; i++)
        if (!strncmp(t, not_prompts[i], strlen(not_prompts[i]))) return false;
    return true;
}

/* The whole model-visible history as a request sends it. */
static json_object *current_input(cx_agent *a)
{
    json_object *in = a->ctx_in_history ? json_object_new_array() : cx__agent_context_items(a);
    size_t n = json_object_array_length(a->history);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(in, json_object_get(json_object_array_get_idx(a->history, i)));
    return in;
}

static int inline_summary(cx_agent *a, const char *turn_id, json_object **out, char **message,
                          cx_error *err)
{
    json_object *input = current_input(a);
    json_object_array_add(input, cx_item_user_text("user", compact_prompt));
    json_object *no_tools = json_object_new_array();
    char *metadata = cx__context_turn_metadata(a->ctx, turn_id);
    json_object *items = NULL;
    int rc = cx__agent_sample(a, metadata, input, NULL, 0, no_tools, &items, NULL, err);
    free(metadata);
    json_object_put(input);
    json_object_put(no_tools);
    if (rc) return rc;
    char *summary = NULL;
    size_t n = json_object_array_length(items);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        if (!is_role(it, "assistant")) continue;
        free(summary);
        summary = cx_item_message_text(it);
    }
    json_object_put(items);
    if (!summary) return cx_error_set(err, CX_ESTREAM, "the summarisation reply had no message");
    json_object *repl = json_object_new_array();
    n = json_object_array_length(a->history);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(a->history, i);
        if (is_real_prompt(it)) json_object_array_add(repl, json_object_get(it));
    }
    cx_buf b = CX_BUF_INIT;
    cx__buf_printf(&b, "%s\n%s", summary_prefix, summary);
    free(summary);
    *message = cx__buf_steal(&b);
    json_object_array_add(repl, cx_item_user_text("user", *message));
    *out = repl;
    return 0;
}

static char **compact_headers(cx_agent *a)
{
    const cx_provider *p = &a->cfg->provider;
    cx_buf b = CX_BUF_INIT;
    if (p->id && !strcmp(p->id, "openai")) cx__buf_puts(&b, "version: 0.115.0\n");
    cx__buf_printf(&b, "session_id: %s\n", a->session_id);
    if (p->api_key && *p->api_key) cx__buf_printf(&b, "authorization: Bearer %s\n", p->api_key);
    cx__buf_printf(&b, "content-type: application/json\naccept: */*\nuser-agent: %s\n",
                   a->user_agent);
    cx__buf_printf(&b, "originator: %s\n", a->originator);
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    char **h = calloc(lines + 1, sizeof *h);
    char *save = NULL, *text = cx__buf_steal(&b);
    size_t k = 0;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; h && line;
         line = strtok_r(NULL, "\n", &save))
        h[k++] = strdup(line);
    free(text);
    return h;
}

static int on_body(void *user, const char *data, size_t len)
{
    return cx__buf_append(user, data, len);
}

static int remote_compact(cx_agent *a, json_object **out, cx_error *err)
{
    cx_model_info info;
    cx__context_model_info(a->model, &info);
    char *instructions = cx__agent_instructions(a, err);
    if (!instructions) return err->code ? err->code : CX_ECONFIG;
    json_object *body = json_object_new_object();
    cx__json_set_str(body, "model", a->model);
    cx__json_set(body, "input", current_input(a));
    cx__json_set_str(body, "instructions", instructions);
    free(instructions);
    cx__json_set(body, "tools", cx_tools_specs(a->tools));
    cx__json_set(body, "parallel_tool_calls",
                 json_object_new_boolean(info.supports_parallel_tool_calls));
    json_object *reasoning = NULL;
    if (info.supports_reasoning) {
        reasoning = json_object_new_object();
        const char *effort = a->effort_override               ? a->effort_override
                             : a->cfg->model_reasoning_effort ? a->cfg->model_reasoning_effort
                                                              : info.default_effort;
        const char *summary =
            a->cfg->model_reasoning_summary ? a->cfg->model_reasoning_summary : "auto";
        if (effort) cx__json_set_str(reasoning, "effort", effort);
        if (strcmp(summary, "none") != 0) cx__json_set_str(reasoning, "summary", summary);
    }
    cx__json_set(body, "reasoning", reasoning);
    char *text = cx__json_to_string(body);
    json_object_put(body);
    char **headers = compact_headers(a);
    char *url = cx__request_url(&a->cfg->provider, "/responses/compact");
    cx_buf reply = CX_BUF_INIT;
    int rc = CX_ENOMEM;
    if (text && headers && url) {
        cx_http_request req = {
            .url = url,
            .headers = (const char *const *)headers,
            .body = text,
            .body_len = strlen(text),
            .max_retries = a->cfg->provider.request_max_retries,
            .idle_timeout_ms = a->cfg->provider.stream_idle_timeout_ms,
            .cancel = &a->cancel,
            .redact = a->cfg->provider.api_key,
        };
        int status = 0;
        rc = cx__http_post_stream(a->http, &req, on_body, NULL, &reply, &status, err);
    }
    free(text);
    cx__request_headers_free(headers);
    free(url);
    json_object *parsed = NULL;
    if (rc == 0 && cx__json_parse(cx__buf_str(&reply), reply.len, &parsed, err) != 0)
        rc = CX_EPARSE;
    cx__buf_free(&reply);
    json_object *output = cx__json_get(parsed, "output");
    if (rc == 0 && (!output || !json_object_is_type(output, json_type_array)))
        rc = cx_error_set(err, CX_EPARSE, "the compact reply has no output array");
    if (rc) {
        json_object_put(parsed);
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return cx_error_set(err, rc, "Error running remote compact task: %s", msg);
    }
    json_object *repl = json_object_new_array();
    size_t n = json_object_array_length(output);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(output, i);
        if (is_role(it, "developer")) continue; /* the server's instructions stay ours */
        json_object *canon = cx_item_from_model(it);
        if (canon) json_object_array_add(repl, canon);
    }
    json_object_put(parsed);
    *out = repl;
    return 0;
}

/* Mid-turn, the turn goes on: the context goes back in just before the
 * last prompt the user wrote so the follow-up request is complete. */
static json_object *insert_context(cx_agent *a, json_object *repl)
{
    size_t n = json_object_array_length(repl), at = n;
    for (size_t i = n; i-- > 0;)
        if (is_real_prompt(json_object_array_get_idx(repl, i))) {
            at = i;
            break;
        }
    json_object *out = json_object_new_array();
    json_object *ctx = cx__agent_context_items(a);
    size_t m = json_object_array_length(ctx);
    for (size_t i = 0; i <= n; i++) {
        if (i == at)
            for (size_t k = 0; k < m; k++)
                json_object_array_add(out, json_object_get(json_object_array_get_idx(ctx, k)));
        if (i < n) json_object_array_add(out, json_object_get(json_object_array_get_idx(repl, i)));
    }
    json_object_put(ctx);
    json_object_put(repl);
    return out;
}

int cx__compact_run(cx_agent *a, cx_compact_when when, const char *turn_id, cx_error *err)
{
    const char *name = a->cfg->provider.name;
    bool remote = name && !strcmp(name, "OpenAI");
    json_object *repl = NULL;
    char *message = NULL;
    int rc =
        remote ? remote_compact(a, &repl, err) : inline_summary(a, turn_id, &repl, &message, err);
    if (rc) {
        free(message);
        return rc;
    }
    if (when == CX_COMPACT_MID_TURN) repl = insert_context(a, repl);
    /* replace in place: tools hold the history array for the turn */
    json_object_array_del_idx(a->history, 0, json_object_array_length(a->history));
    cx__agent_history_changed(a);
    size_t n = json_object_array_length(repl);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a->history, json_object_get(json_object_array_get_idx(repl, i)));
    a->ctx_in_history = true;
    a->need_full_ctx = when != CX_COMPACT_MID_TURN;
    json_object *stored = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(stored,
                              cx__rollout_item_to_stored(json_object_array_get_idx(repl, i)));
    json_object *c = json_object_new_object();
    cx__json_set_str(c, "message", message ? message : "");
    cx__json_set(c, "replacement_history", stored);
    cx__rec_line(a, "compacted", c);
    if (when == CX_COMPACT_MID_TURN) cx__rec_turn_context(a, turn_id);
    /* the next check sees an estimate of the new history, not the old size */
    char *s = cx__json_to_string(repl);
    a->last_usage = (cx_usage){.total_tokens = s ? (int64_t)(strlen(s) / 4) : 0};
    free(s);
    json_object_put(repl);
    free(message);
    cx__rec_token_count(a);
    json_object *ev = json_object_new_object();
    cx__json_set_str(ev, "type", "context_compacted");
    cx__rec_event(a, ev);
    json_object *d = json_object_new_object();
    cx__json_set_str(d, "mode", remote ? "remote" : "inline");
    cx__agent_emit(a, CX_EV_COMPACTED, d);
    if (!remote) {
        /* upstream shows this as an error item (exec --json) / warning line */
        d = json_object_new_object();
        cx__json_set_str(d, "type", "error");
        cx__json_set_str(d, "message", inline_warning);
        cx__agent_emit(a, CX_EV_ITEM_COMPLETED, d);
    }
    return 0;
}
