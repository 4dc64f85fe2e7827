/* Sub-agents (upstream's collab tools; pycodex runtime_services.py
 * SubAgentManager): spawn_agent, send_input, resume_agent, wait_agent and
 * close_agent. Each sub-agent is a cx_agent with its own runtime worker,
 * the sub-agent tool set, `x-openai-subagent: collab_spawn`, and its agent id
 * as session id and prompt_cache_key. */
#ifndef CX_CORE_SUBAGENTS_H
#define CX_CORE_SUBAGENTS_H

#include "ccodex/config.h"
#include "ccodex/tools.h"

typedef struct cx_subagents cx_subagents;

/* cfg is borrowed and must outlive the manager; cwd is copied. */
cx_subagents *cx_subagents_new(const cx_config *cfg, const char *cwd);
/* Closes every sub-agent (interrupting running turns) and frees the manager. */
void cx_subagents_free(cx_subagents *m);
/* Adds spawn_agent, send_input, resume_agent, wait_agent, close_agent (in
 * that order) to reg; the handlers borrow m. Returns 0 or CX_ENOMEM. */
int cx_subagents_register(cx_subagents *m, cx_tool_registry *reg);
/* The number of sub-agents spawned so far. */
size_t cx_subagents_count(cx_subagents *m);

#endif
