/* Context assembly: everything a request carries besides the conversation.
 * Rebuilt for every request from the session's inputs and never stored in
 * history: base instructions, the developer message (permissions,
 * collaboration mode, skills), the contextual user message (AGENTS.md and
 * <environment_context>), model facts and the turn metadata header. */
#ifndef CX_CONTEXT_CONTEXT_H
#define CX_CONTEXT_CONTEXT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccodex/config.h"

typedef struct cx_context_cache cx_context_cache;

typedef struct cx_model_info {
    bool supports_reasoning;    /* send `reasoning` and include encrypted content */
    const char *default_effort; /* e.g. "medium", or NULL */
    bool supports_parallel_tool_calls;
    bool supports_verbosity;
} cx_model_info;

/* One entry of the model catalogue (src/context/catalog.c). */
typedef struct cx_model_facts {
    const char *slug; /* NULL for the defaults of an unknown model */
    int64_t context_window;
    bool reasoning;
    const char *default_effort;  /* or NULL */
    const char *truncation_mode; /* "tokens" or "bytes" */
    int64_t truncation_limit;
} cx_model_facts;

/* The facts of model; never NULL (unknown models get safe defaults). */
const cx_model_facts *cx__context_model_facts(const char *model);
/* The whole catalogue (static storage); returns the number of entries. */
size_t cx__context_model_catalog(const cx_model_facts **out);
/* The window reported as usable (model_context_window: 95%). */
int64_t cx__model_facts_usable_window(const cx_model_facts *f);
/* The default auto-compaction threshold (90% of the window). */
int64_t cx__model_facts_auto_compact_limit(const cx_model_facts *f);

typedef struct cx_context_request_opts {
    const char *collaboration_mode; /* NULL (exec: no block), "default" or "plan" */
    const char *shell;              /* the user's shell path */
} cx_context_request_opts;

/* cfg borrowed; cwd copied. Nothing is read until first needed. */
cx_context_cache *cx__context_cache_new(const cx_config *cfg, const char *cwd);
void cx__context_cache_free(cx_context_cache *c);

/* New string: override, else config base_instructions, else the content of
 * model_instructions_file, else our default text. NULL + err on a missing file. */
char *cx__context_base_instructions(cx_context_cache *c, const char *model, const char *override,
                                    cx_error *err);
void cx__context_model_info(const char *model, cx_model_info *out);
/* New developer message item. */
json_object *cx__context_developer_message(cx_context_cache *c, const cx_context_request_opts *o);
/* New contextual user message item (AGENTS.md blocks, then <environment_context>). */
json_object *cx__context_user_message(cx_context_cache *c, const cx_context_request_opts *o);
/* New user message holding <environment_context> alone (a resumed session
 * whose cwd changed). */
json_object *cx__context_environment_message(cx_context_cache *c, const cx_context_request_opts *o);
/* New developer message holding the permissions block alone (sandbox or
 * approval changed since the session's last turn). */
json_object *cx__context_permissions_message(cx_context_cache *c);
/* New developer message for a resumed session whose model changed: a
 * <model_switch> section carrying `model`'s instructions, then the
 * permissions block when `permissions` (both changed). NULL when the
 * instructions are empty or cannot be read (a missing instructions file:
 * the turn itself reports that). */
json_object *cx__context_model_switch_message(cx_context_cache *c, const char *model,
                                              bool permissions);
/* The AGENTS.md texts as loaded (turn_context.user_instructions), borrowed;
 * NULL when there is none. */
const char *cx__context_user_instructions(cx_context_cache *c);
/* The IANA name of the local time zone. */
void cx__context_timezone(char *out, size_t size);
/* New {"commit_hash","branch"} of cwd's repository, or NULL outside one. */
json_object *cx__context_git_info(cx_context_cache *c);
/* New compact JSON for x-codex-turn-metadata. */
char *cx__context_turn_metadata(cx_context_cache *c, const char *turn_id);

#endif
