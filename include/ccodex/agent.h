/* The agent: one conversation (a "thread" in Codex's words) with its history,
 * tools and model client, and the turn loop that drives it.
 *
 * cx_agent_run_turn is blocking and runs on the caller's thread; the other
 * calls marked thread-safe may be made from any thread while a turn runs
 * (that is how the CLI steers and interrupts). For a worker thread with
 * steer/enqueue queues in front of the agent, see runtime.h. */
#ifndef CCODEX_AGENT_H
#define CCODEX_AGENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "ccodex/config.h"
#include "ccodex/error.h"
#include "ccodex/events.h"
#include "ccodex/tools.h"
#include "ccodex/export.h"

CX_BEGIN_DECLS

typedef struct cx_agent cx_agent;

typedef enum cx_agent_mode {
    CX_MODE_EXEC,        /* `ccodex exec` and one-shot: originator codex_exec */
    CX_MODE_INTERACTIVE, /* the REPL: originator codex-tui, collaboration mode block */
    CX_MODE_SUBAGENT,    /* spawned by spawn_agent */
} cx_agent_mode;

typedef struct cx_agent_options {
    const cx_config *config; /* borrowed; must outlive the agent */
    const char *cwd;         /* NULL: the process's working directory */
    cx_agent_mode mode;
    cx_event_fn on_event; /* may be NULL */
    void *event_user;
    /* Tools: NULL means the built-in set for the mode. When given, the agent
     * borrows the registry (caller frees it after the agent). */
    cx_tool_registry *tools;
    const char *session_id;             /* NULL: a new UUIDv7 */
    const char *subagent_header;        /* x-openai-subagent value, or NULL */
    const char *base_instructions;      /* an override that wins over config, or NULL */
    const char *model;                  /* overrides config->model, or NULL */
    const char *reasoning_effort;       /* overrides config->model_reasoning_effort, or NULL */
    const json_object *initial_history; /* items to start from (fork_context), or NULL */
    /* The originator header and the client named in the user agent, e.g.
     * "codex_cli_rs" and an MCP client's name (copied); NULL: per mode. The
     * CLI passes CODEX_INTERNAL_ORIGINATOR_OVERRIDE here (the SDK's
     * "codex_sdk_ts"). */
    const char *originator;
    const char *client_name;
    /* Sessions (include/ccodex/session.h): persist writes the conversation to
     * a rollout file under CODEX_HOME/sessions (false: --ephemeral);
     * resume_path continues the session stored in that rollout file (its
     * id, history and token totals; the file is appended to when persist). */
    bool persist;
    const char *resume_path;
    /* Plan-mode request_user_input: shows the user the questions of request
     * ({"questions":[...]}, borrowed) and returns {"answers":{ID:{"answers":
     * [TEXT]}}} (new reference), or NULL when there is no answer (interrupted).
     * Called on the turn's thread; NULL: the tool reports that no user can be
     * asked. */
    json_object *(*ask_user)(void *user, const json_object *request);
    void *ask_user_data;
    /* JSON schema the final answer must follow (exec --output-schema): sent as
     * text.format json_schema, strict, on every request. Borrowed; NULL: none. */
    const json_object *output_schema;
} cx_agent_options;

typedef struct cx_usage {
    int64_t input_tokens;
    int64_t cached_input_tokens;
    int64_t output_tokens;
    int64_t reasoning_output_tokens;
    int64_t total_tokens;
} cx_usage;

/* Process-wide set-up of the HTTP stack for the provider of cfg (NULL: full
 * set-up). Call once from main before any thread starts; optional (the first
 * request would do it), but only main can do it thread-safely. */
CX_EXTERN void cx_agent_global_init(const cx_config *cfg);

/* Creates an agent. Returns NULL and fills err on failure. */
CX_EXTERN cx_agent *cx_agent_new(const cx_agent_options *opts, cx_error *err);
CX_EXTERN void cx_agent_free(cx_agent *agent);

/* Runs one turn for the user's text: samples the model, runs the tools it
 * calls, and samples again until a response has no tool call and no steer
 * text is pending. Returns 0, CX_ECANCELED when interrupted, or the error that
 * ended the turn (also reported as CX_EV_TURN_FAILED). */
CX_EXTERN int cx_agent_run_turn(cx_agent *agent, const char *user_text, cx_error *err);
/* Same, with content parts (e.g. input_image and its input_text markers,
 * borrowed array) placed in the user message before the text. */
CX_EXTERN int cx_agent_run_turn_content(cx_agent *agent, const char *user_text,
                                        const json_object *before, cx_error *err);

/* Compacts the conversation now (the REPL's /compact): the history is
 * replaced by a summary as an automatic compaction would, and recorded.
 * On failure the history stays as it was. */
int cx_agent_compact(cx_agent *agent, cx_error *err);

/* Thread-safe: queues text that joins the next request of the running turn
 * (at the next sampling boundary). Returns 0 or CX_ENOMEM. */
CX_EXTERN int cx_agent_steer(cx_agent *agent, const char *text);
/* Thread-safe: true while steer text waits to be inserted. */
CX_EXTERN bool cx_agent_has_pending_steer(cx_agent *agent);
/* Thread-safe: moves pending steer texts out (NULL-terminated, caller frees
 * each string and the array), e.g. to start a new turn with them. */
CX_EXTERN char **cx_agent_take_steer(cx_agent *agent);
/* Thread-safe: asks the running turn to stop at the next safe point. */
CX_EXTERN void cx_agent_interrupt(cx_agent *agent);

CX_EXTERN const char *cx_agent_session_id(const cx_agent *agent);
/* The conversation so far (borrowed JSON array of items; do not modify). */
CX_EXTERN const json_object *cx_agent_history(const cx_agent *agent);
/* Token usage summed over the agent's life. */
CX_EXTERN cx_usage cx_agent_usage(const cx_agent *agent);
/* The last assistant message of the last turn (borrowed; NULL if none). */
CX_EXTERN const char *cx_agent_last_message(const cx_agent *agent);
/* The registry in use (borrowed), e.g. to add tools before the first turn. */
CX_EXTERN cx_tool_registry *cx_agent_tools(cx_agent *agent);
/* Changes the model for later requests. Returns 0 or CX_ENOMEM. */
CX_EXTERN int cx_agent_set_model(cx_agent *agent, const char *model);
CX_EXTERN const char *cx_agent_model(const cx_agent *agent);
/* "default" or "plan": the collaboration mode (interactive mode only). */
CX_EXTERN int cx_agent_set_collaboration_mode(cx_agent *agent, const char *mode);

CX_END_DECLS

#endif
