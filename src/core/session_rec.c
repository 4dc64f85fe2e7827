/* Recording a session in its rollout file and resuming one (SESSIONS.md §2,
 * §3.3): the payload shapes of session_meta, turn_context and the event_msg
 * lines upstream keeps, and the settings diff a resumed turn appends. */
#include "core/agent_priv.h"

#include "base/json.h"
#include "ccodex/items.h"
#include "ccodex/session.h"
#include "context/prompts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The version written in session_meta.cli_version: the upstream release
 * whose formats ccodex writes, so upstream treats the file as its own. */
#define CX_COMPAT_VERSION "0.115.0"

static void stop_recording(cx_agent *a, const cx_error *err)
{
    json_object *d = json_object_new_object();
    cx__json_set_str(d, "message", err->msg);
    cx__agent_emit(a, CX_EV_WARNING, d);
    cx__rollout_free(a->rollout);
    a->rollout = NULL;
}

void cx__rec_line(cx_agent *a, const char *type, json_object *payload)
{
    cx_error err;
    if (a->rollout && payload && cx__rollout_append(a->rollout, type, payload, &err) != 0)
        stop_recording(a, &err);
    json_object_put(payload);
}

void cx__rec_item(cx_agent *a, const json_object *item)
{
    cx_error err;
    if (a->rollout && cx__rollout_append_item(a->rollout, item, &err) != 0) stop_recording(a, &err);
}

void cx__rec_event(cx_agent *a, json_object *payload)
{
    cx__rec_line(a, "event_msg", payload);
}

void cx__rec_session_meta(cx_agent *a, const char *instructions)
{
    if (!a->rollout || a->meta_written) return;
    a->meta_written = true;
    json_object *m = json_object_new_object();
    cx__json_set_str(m, "id", a->session_id);
    cx__json_set_str(m, "timestamp", a->created);
    cx__json_set_str(m, "cwd", a->cwd);
    cx__json_set_str(m, "originator", a->originator);
    cx__json_set_str(m, "cli_version", CX_COMPAT_VERSION);
    cx__json_set_str(m, "source", a->mode == CX_MODE_INTERACTIVE ? "cli" : "exec");
    const char *prov = a->cfg->model_provider_id ? a->cfg->model_provider_id : a->cfg->provider.id;
    cx__json_set_str(m, "model_provider", prov ? prov : "openai");
    json_object *bi = json_object_new_object();
    cx__json_set_str(bi, "text", instructions ? instructions : "");
    cx__json_set(m, "base_instructions", bi);
    json_object *git = cx__context_git_info(a->ctx);
    if (git) cx__json_set(m, "git", git);
    cx__rec_line(a, "session_meta", m);
}

static json_object *sandbox_policy(const cx_agent *a)
{
    const char *sb = a->cfg->sandbox_mode ? a->cfg->sandbox_mode : "read-only";
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "type", sb);
    if (!strcmp(sb, "workspace-write")) {
        json_object *roots = json_object_new_array();
        char *mem = NULL;
        if (asprintf(&mem, "%s/memories", a->cfg->codex_home) >= 0)
            json_object_array_add(roots, json_object_new_string(mem));
        free(mem);
        cx__json_set(p, "writable_roots", roots);
        cx__json_set(p, "network_access", json_object_new_boolean(false));
        cx__json_set(p, "exclude_tmpdir_env_var", json_object_new_boolean(false));
        cx__json_set(p, "exclude_slash_tmp", json_object_new_boolean(false));
    }
    return p;
}

static const char *approval(const cx_agent *a)
{
    if (a->cfg->approval_policy) return a->cfg->approval_policy;
    return a->mode == CX_MODE_INTERACTIVE ? "on-request" : "never";
}

void cx__rec_turn_context(cx_agent *a, const char *turn_id)
{
    if (!a->rollout) return;
    const cx_model_facts *f = cx__context_model_facts(a->model);
    json_object *t = json_object_new_object();
    char date[16], tz[128];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    cx__context_timezone(tz, sizeof tz);
    cx__json_set_str(t, "turn_id", turn_id);
    cx__json_set_str(t, "cwd", a->cwd);
    cx__json_set_str(t, "current_date", date);
    cx__json_set_str(t, "timezone", tz);
    cx__json_set_str(t, "approval_policy", approval(a));
    cx__json_set(t, "sandbox_policy", sandbox_policy(a));
    cx__json_set_str(t, "model", a->model);
    cx__json_set_str(t, "personality", a->cfg->personality ? a->cfg->personality : "pragmatic");
    json_object *cm = json_object_new_object(), *st = json_object_new_object();
    cx__json_set_str(cm, "mode", a->collab_mode ? a->collab_mode : "default");
    cx__json_set_str(st, "model", a->model);
    cx__json_set(st, "reasoning_effort", cx__json_string(a->effort_override));
    cx__json_set(st, "developer_instructions",
                 cx__json_string(!a->collab_mode                   ? NULL
                                 : !strcmp(a->collab_mode, "plan") ? cx__prompt_collab_plan
                                                                   : cx__prompt_collab_default));
    cx__json_set(cm, "settings", st);
    cx__json_set(t, "collaboration_mode", cm);
    cx__json_set(t, "realtime_active", json_object_new_boolean(false));
    cx__json_set_str(t, "summary",
                     a->cfg->model_reasoning_summary ? a->cfg->model_reasoning_summary : "auto");
    const char *ui = cx__context_user_instructions(a->ctx);
    if (ui) cx__json_set_str(t, "user_instructions", ui);
    json_object *tp = json_object_new_object();
    cx__json_set_str(tp, "mode", f->truncation_mode);
    cx__json_set(tp, "limit", json_object_new_int64(f->truncation_limit));
    cx__json_set(t, "truncation_policy", tp);
    cx__rec_line(a, "turn_context", t);
}

json_object *cx__usage_json(const cx_usage *u)
{
    json_object *o = json_object_new_object();
    cx__json_set(o, "input_tokens", json_object_new_int64(u->input_tokens));
    cx__json_set(o, "cached_input_tokens", json_object_new_int64(u->cached_input_tokens));
    cx__json_set(o, "output_tokens", json_object_new_int64(u->output_tokens));
    cx__json_set(o, "reasoning_output_tokens", json_object_new_int64(u->reasoning_output_tokens));
    cx__json_set(o, "total_tokens", json_object_new_int64(u->total_tokens));
    return o;
}

void cx__rec_token_count(cx_agent *a)
{
    if (!a->rollout) return;
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "type", "token_count");
    if (a->have_usage) {
        json_object *info = json_object_new_object();
        cx__json_set(info, "total_token_usage", cx__usage_json(&a->usage));
        cx__json_set(info, "last_token_usage", cx__usage_json(&a->last_usage));
        cx__json_set(info, "model_context_window",
                     json_object_new_int64(
                         cx__model_facts_usable_window(cx__context_model_facts(a->model))));
        cx__json_set(p, "info", info);
    } else {
        cx__json_set(p, "info", NULL);
    }
    json_object *rl = json_object_new_object();
    cx__json_set_str(rl, "limit_id", "codex");
    static const char *const nulls[] = {"limit_name", "primary", "secondary", "credits",
                                        "plan_type"};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
        cx__json_set(rl, nulls[i], NULL);
    cx__json_set(p, "rate_limits", rl);
    cx__rec_event(a, p);
}

json_object *cx__agent_context_items(cx_agent *a)
{
    cx_context_request_opts co = {.collaboration_mode = a->collab_mode, .shell = a->shell};
    json_object *items = json_object_new_array();
    json_object *dev = cx__context_developer_message(a->ctx, &co);
    json_object *user = cx__context_user_message(a->ctx, &co);
    if (dev) json_object_array_add(items, dev);
    if (user) json_object_array_add(items, user);
    return items;
}

static void usage_from(cx_usage *u, const json_object *o)
{
    int64_t v;
    if (cx__json_get_int(o, "input_tokens", &v)) u->input_tokens = v;
    if (cx__json_get_int(o, "cached_input_tokens", &v)) u->cached_input_tokens = v;
    if (cx__json_get_int(o, "output_tokens", &v)) u->output_tokens = v;
    if (cx__json_get_int(o, "reasoning_output_tokens", &v)) u->reasoning_output_tokens = v;
    if (cx__json_get_int(o, "total_tokens", &v)) u->total_tokens = v;
}

static bool same_str(const char *x, const char *y)
{
    return x && y && !strcmp(x, y);
}

/* What changed since the stored turn_context, as items appended before the
 * next prompt (SESSIONS.md §3.3). */
static json_object *settings_diff(cx_agent *a, const json_object *tc)
{
    json_object *items = json_object_new_array();
    json_object *sp = sandbox_policy(a);
    bool perms = !same_str(cx__json_get_str(tc, "approval_policy"), approval(a)) ||
                 !json_object_equal(sp, cx__json_get(tc, "sandbox_policy"));
    json_object_put(sp);
    const char *model = cx__json_get_str(tc, "model");
    json_object *sw = model && strcmp(model, a->model) != 0
                          ? cx__context_model_switch_message(a->ctx, a->model, perms)
                          : NULL;
    if (sw)
        json_object_array_add(items, sw); /* permissions ride in the same message */
    else if (perms)
        json_object_array_add(items, cx__context_permissions_message(a->ctx));
    if (!same_str(cx__json_get_str(tc, "cwd"), a->cwd)) {
        cx_context_request_opts co = {.collaboration_mode = a->collab_mode, .shell = a->shell};
        json_object_array_add(items, cx__context_environment_message(a->ctx, &co));
    }
    if (!json_object_array_length(items)) {
        json_object_put(items);
        return NULL;
    }
    return items;
}

int cx__agent_resume(cx_agent *a, const char *path, bool persist, cx_error *err)
{
    cx_session_state *s = NULL;
    int rc = cx_session_load(path, &s, err);
    if (rc) return rc;
    snprintf(a->session_id, sizeof a->session_id, "%s", s->id);
    json_object_put(a->history);
    a->history = s->history;
    s->history = NULL;
    /* the stored instructions win over the current model's (§3.3) */
    const char *text = cx__json_get_str(cx__json_get(s->meta, "base_instructions"), "text");
    if (text && !a->base_override) a->base_override = strdup(text);
    a->ctx_in_history = true;
    a->ctx_recorded = true;
    a->meta_written = true;
    a->need_full_ctx = !s->turn_context || !s->has_user_message;
    if (!a->need_full_ctx) a->pending_ctx = settings_diff(a, s->turn_context);
    const char *prev = cx__json_get_str(s->turn_context, "model");
    if (prev && strcmp(prev, a->model) != 0 &&
        asprintf(&a->resume_warning,
                 "This session was recorded with model `%s` but is resuming with `%s`. Consider "
                 "switching back to `%s` as it may affect Codex performance.",
                 prev, a->model, prev) < 0)
        a->resume_warning = NULL;
    if (s->token_info) {
        usage_from(&a->usage, cx__json_get(s->token_info, "total_token_usage"));
        usage_from(&a->last_usage, cx__json_get(s->token_info, "last_token_usage"));
        a->have_usage = true;
    }
    if (persist && !(a->rollout = cx__rollout_reopen(path)))
        rc = cx_error_set(err, CX_ENOMEM, "out of memory");
    cx_session_state_free(s);
    return rc;
}
