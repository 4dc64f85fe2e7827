/* Context assembly: everything a request carries besides the conversation.
 * Rebuilt for every request from the session's inputs and never stored in
 * history: base instructions, the developer message (permissions,
 * collaboration mode, skills), the contextual user message (AGENTS.md and
 * <environment_context>), model facts and the turn metadata header. */
#ifndef CX_CONTEXT_CONTEXT_H
#define CX_CONTEXT_CONTEXT_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ccodex/config.h"

typedef struct cx_context_cache cx_context_cache;

typedef struct cx_model_info {
    bool supports_reasoning;    /* send `reasoning` and include encrypted content */
    const char *default_effort; /* e.g. "medium", or NULL */
    bool supports_parallel_tool_calls;
    bool supports_verbosity;
} cx_model_info;

typedef struct cx_context_request_opts {
    const char *collaboration_mode; /* NULL (exec: no block), "default" or "plan" */
    const char *shell;              /* the user's shell path */
} cx_context_request_opts;

/* cfg borrowed; cwd copied. Nothing is read until first needed. */
cx_context_cache *cx_context_cache_new(const cx_config *cfg, const char *cwd);
void cx_context_cache_free(cx_context_cache *c);

/* New string: override, else config base_instructions, else the content of
 * model_instructions_file, else our default text. NULL + err on a missing file. */
char *cx_context_base_instructions(cx_context_cache *c, const char *model, const char *override,
                                   cx_error *err);
void cx_context_model_info(const char *model, cx_model_info *out);
/* New developer message item. */
json_object *cx_context_developer_message(cx_context_cache *c, const cx_context_request_opts *o);
/* New contextual user message item (AGENTS.md blocks, then <environment_context>). */
json_object *cx_context_user_message(cx_context_cache *c, const cx_context_request_opts *o);
/* New compact JSON for x-codex-turn-metadata. */
char *cx_context_turn_metadata(cx_context_cache *c, const char *turn_id);

#endif
