/* An agent's tool set (core/toolset.h): the assembly cx_agent_new used to do
 * itself, and the output hooks the turn loop runs after each batch of tools. */
#include "core/toolset.h"

#include "core/builtin.h"
#include "core/subagents.h"

#include <stdlib.h>

struct cx_toolset {
    cx_tool_registry *reg;
    bool own_reg;
    cx_builtin *builtin; /* state of the built-in tools (exec sessions ...), or NULL */
};

cx_toolset *cx__toolset_new(const cx_config *cfg, const char *cwd, bool subagent,
                            json_object *(*ask)(void *user, const json_object *request),
                            void *ask_user, cx_tool_registry *given)
{
    cx_toolset *ts = calloc(1, sizeof *ts);
    if (!ts) return NULL;
    if (given) {
        ts->reg = given;
        return ts;
    }
    ts->own_reg = true;
    ts->reg = cx_tools_new();
    ts->builtin = cx__builtin_new(cfg, cwd, ask, ask_user);
    if (!ts->reg || !ts->builtin || cx__builtin_register(ts->builtin, ts->reg, subagent) != 0) {
        cx__toolset_free(ts);
        return NULL;
    }
    return ts;
}

void cx__toolset_free(cx_toolset *ts)
{
    if (!ts) return;
    cx__builtin_stop_cells(ts->builtin); /* code-mode cells call into the registry */
    if (ts->own_reg) cx_tools_free(ts->reg);
    cx__builtin_free(ts->builtin); /* after the registry: handlers borrow it */
    free(ts);
}

cx_tool_registry *cx__toolset_registry(const cx_toolset *ts)
{
    return ts->reg;
}

void cx__toolset_turn_started(cx_toolset *ts)
{
    cx__builtin_turn_started(ts->builtin);
}

const char *cx__toolset_warning(const cx_toolset *ts)
{
    return cx__builtin_warning(ts->builtin);
}

void cx__toolset_followups(const cx_toolset *ts, const json_object *calls,
                           const json_object *results, json_object *out)
{
    (void)ts; /* wait_agent's hook reads only the outputs, whoever answered the call */
    cx__subagents_followups(calls, results, out);
}
