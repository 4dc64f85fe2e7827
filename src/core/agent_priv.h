/* The agent's state, shared by the files of core that implement it
 * (agent.c: the turn loop; session_rec.c: the rollout; compact.c:
 * compaction). Nothing outside src/core includes this. */
#ifndef CX_CORE_AGENT_PRIV_H
#define CX_CORE_AGENT_PRIV_H

#include "ccodex/agent.h"

#include "base/uuid.h"
#include "context/context.h"
#include "core/toolset.h"
#include "model/http.h"
#include "session/rollout.h"

#include <pthread.h>
#include <stdatomic.h>

struct cx_agent {
    const cx_config *cfg;
    cx_agent_mode mode;
    char *cwd;
    char *shell;
    char *model;
    char *effort_override;
    char *base_override;
    char *subagent_header;
    char *collab_mode;
    char session_id[CX_UUID_STRLEN + 1];
    char *user_agent;
    const char *originator;
    char *own_originator; /* a copy of options.originator, when given */
    cx_event_fn on_event;
    void *event_user;
    bool warned; /* the built-in tool set's warning was said */
    cx_tool_registry *tools;
    cx_toolset *toolset; /* tools is its registry */
    cx_http_client *http;
    cx_context_cache *ctx;
    json_object *history;
    cx_usage usage;
    char *last_message;
    json_object *output_schema; /* exec --output-schema, or NULL */
    atomic_bool cancel;
    pthread_mutex_t lock; /* guards steer */
    char **steer;
    size_t n_steer;
    /* sessions (session_rec.c, compact.c) */
    cx_rollout *rollout;      /* NULL: nothing recorded (--ephemeral, sub-agents) */
    bool meta_written;        /* session_meta is in the file */
    bool ctx_recorded;        /* the first turn's context items are in the file */
    bool ctx_in_history;      /* context items live in history (resumed or compacted
                                 sessions); else they are rebuilt for every request */
    bool need_full_ctx;       /* the next turn appends the whole context to history */
    json_object *pending_ctx; /* settings-diff items the next turn appends, or NULL */
    cx_usage last_usage;      /* the last response's usage (compaction trigger) */
    bool have_usage;          /* usage holds something (token_count info not null) */
    char created[32];         /* session creation time, rollout format */
    /* history[0..hist_n) serialised, joined by ','; appended to as items join
     * the history, reset when compaction rewrites it (agent.c) */
    cx_buf hist_json;
    size_t hist_n;
};

/* Forgets the serialised history (after the history was rewritten). */
void cx__agent_history_changed(cx_agent *a);

void cx__agent_emit(cx_agent *a, cx_event_kind kind, json_object *data);
/* steer.c: moves pending steer texts into the history as user messages. */
void cx__agent_insert_steer(cx_agent *a);

/* session_rec.c: rollout lines. Each is a no-op without a rollout; a write
 * failure is reported once as a warning event and recording stops. */
void cx__rec_line(cx_agent *a, const char *type, json_object *payload); /* payload taken */
void cx__rec_item(cx_agent *a, const json_object *item);
void cx__rec_event(cx_agent *a, json_object *payload); /* payload taken */
void cx__rec_session_meta(cx_agent *a, const char *instructions);
void cx__rec_turn_context(cx_agent *a, const char *turn_id);
void cx__rec_token_count(cx_agent *a);
/* Loads a stored session into a fresh agent: id, history, usage, the
 * settings-diff items. Returns 0 or an error. */
int cx__agent_resume(cx_agent *a, const char *path, bool persist, cx_error *err);
/* The context items (developer, contextual user) as a new array. */
json_object *cx__agent_context_items(cx_agent *a);
/* The usage object upstream writes: {input_tokens, cached_input_tokens,
 * output_tokens, reasoning_output_tokens, total_tokens}. */
json_object *cx__usage_json(const cx_usage *u);

/* agent.c: one request with explicit input and tools (tools NULL: the
 * registry's); *items_out gets the canonical output items; *usage_out (may
 * be NULL) this response's usage. */
int cx__agent_sample(cx_agent *a, const char *turn_metadata, const json_object *input,
                     const char *input_tail, size_t input_tail_len, const json_object *tools,
                     json_object **items_out, cx_usage *usage_out, cx_error *err);
/* The instructions every request of this session carries (new string). */
char *cx__agent_instructions(cx_agent *a, cx_error *err);

/* compact.c */
typedef enum cx_compact_when {
    CX_COMPACT_PRE_TURN,
    CX_COMPACT_MID_TURN,
    CX_COMPACT_MANUAL
} cx_compact_when;
/* True when the last response's total_tokens reached the threshold. */
bool cx__compact_due(cx_agent *a);
/* Replaces the history by a compacted one; on failure the history stays. */
int cx__compact_run(cx_agent *a, cx_compact_when when, const char *turn_id, cx_error *err);

#endif
