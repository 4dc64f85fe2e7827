/* Sub-agents (upstream's collab tools; pycodex runtime_services.py
 * SubAgentManager): spawn_agent, send_input, resume_agent, wait_agent and
 * close_agent. Each sub-agent is a cx_agent with its own runtime worker,
 * the sub-agent tool set, `x-openai-subagent: collab_spawn`, and its agent id
 * as session id and prompt_cache_key. */
#ifndef CX_CORE_SUBAGENTS_H
#define CX_CORE_SUBAGENTS_H

#include "ccodex/config.h"
#include "ccodex/error.h"
#include "ccodex/events.h"
#include "ccodex/tools.h"

typedef struct cx_subagents cx_subagents;

/* A child agent as the manager asks for it (all borrowed for the call). */
typedef struct cx__subagent_spawn {
    const cx_config *config;
    const char *cwd;
    const char *session_id;       /* the agent id */
    const char *model;            /* NULL: the configured one */
    const char *reasoning_effort; /* NULL: the configured one */
    const json_object *history;   /* fork_context: the parent's conversation, or NULL */
    cx_event_fn on_event;         /* the child's events (its worker thread) */
    void *event_user;
} cx__subagent_spawn;

/* What the manager needs of an agent and its runtime worker. The manager is
 * part of the agent's own tool set, so it reaches the agent through this table
 * (core/subagent_host.c) rather than by including the agent it serves. */
typedef struct cx__subagent_host {
    struct cx_agent *(*spawn)(const cx__subagent_spawn *sp, cx_error *err);
    void (*free_agent)(struct cx_agent *agent);
    struct cx_runtime *(*start)(struct cx_agent *agent); /* NULL when out of memory */
    void (*stop)(struct cx_runtime *rt);                 /* interrupts and joins; NULL ok */
    bool (*busy)(struct cx_runtime *rt);
    void (*interrupt)(struct cx_runtime *rt);
    int (*submit)(struct cx_runtime *rt, const char *text);
} cx__subagent_host;

/* The agent-backed host (core/subagent_host.c). */
extern const cx__subagent_host cx__subagent_agents;

/* cfg is borrowed and must outlive the manager; cwd is copied. */
cx_subagents *cx__subagents_new(const cx_config *cfg, const char *cwd);
/* Closes every sub-agent (interrupting running turns) and frees the manager. */
void cx__subagents_free(cx_subagents *m);
/* Adds spawn_agent, send_input, resume_agent, wait_agent, close_agent (in
 * that order) to reg; the handlers borrow m. Returns 0 or CX_ENOMEM. */
int cx__subagents_register(cx_subagents *m, cx_tool_registry *reg);
/* The number of sub-agents spawned so far. */
size_t cx__subagents_count(cx_subagents *m);
/* wait_agent's output hook: for each wait_agent call among calls whose output
 * (in results) reports settled agents, appends the <subagent_notification>
 * user message that follows it in the history to out (new references). */
void cx__subagents_followups(const json_object *calls, const json_object *results,
                             json_object *out);

#endif
