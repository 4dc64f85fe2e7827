/* An agent's tool set, assembled from the configuration outside the agent:
 * the built-in tools of its mode (core/builtin), the sub-agent tools and code
 * mode, or a registry the embedder supplies; plus the tools' output hooks,
 * which add the history items that follow a batch of tool outputs (wait_agent's
 * sub-agent notifications). Internal to core; used by the agent's thread. */
#ifndef CX_CORE_TOOLSET_H
#define CX_CORE_TOOLSET_H

#include "ccodex/config.h"
#include "ccodex/tools.h"

typedef struct cx_toolset cx_toolset;

/* The tool set for an agent (a sub-agent's when subagent) in cwd (copied); cfg and ask_user are
 * borrowed. With given non-NULL the embedder's registry is used as is
 * (borrowed, no built-ins). NULL when out of memory or registration failed. */
cx_toolset *cx__toolset_new(const cx_config *cfg, const char *cwd, bool subagent,
                            json_object *(*ask)(void *user, const json_object *request),
                            void *ask_user, cx_tool_registry *given);
/* Stops code-mode cells, frees an owned registry, then the tools' state. */
void cx__toolset_free(cx_toolset *ts);
/* The registry the turn loop calls (borrowed). */
cx_tool_registry *cx__toolset_registry(const cx_toolset *ts);
/* A new turn starts (request_permissions grants "for this turn" end). */
void cx__toolset_turn_started(cx_toolset *ts);
/* A warning for the user from assembling it (borrowed), or NULL. */
const char *cx__toolset_warning(const cx_toolset *ts);
/* The output hooks: appends to out (new references) the items that follow
 * results, the outputs of calls, in the history. */
void cx__toolset_followups(const cx_toolset *ts, const json_object *calls,
                           const json_object *results, json_object *out);

#endif
