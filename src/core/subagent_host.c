/* The sub-agent manager's host (core/subagents.h): a child is a cx_agent in
 * sub-agent mode with its own runtime worker, sending `x-openai-subagent:
 * collab_spawn`. It sits above both the agent and the manager, so the agent's
 * tool set can hold the manager without an include cycle. */
#include "core/subagents.h"

#include "ccodex/agent.h"
#include "ccodex/runtime.h"

static struct cx_agent *spawn(const cx__subagent_spawn *sp, cx_error *err)
{
    cx_agent_options ao = {
        .config = sp->config,
        .cwd = sp->cwd,
        .mode = CX_MODE_SUBAGENT,
        .on_event = sp->on_event,
        .event_user = sp->event_user,
        .session_id = sp->session_id,
        .subagent_header = "collab_spawn",
        .model = sp->model,
        .reasoning_effort = sp->reasoning_effort,
        .initial_history = sp->history,
    };
    return cx_agent_new(&ao, err);
}

static int submit(struct cx_runtime *rt, const char *text)
{
    return cx_runtime_submit(rt, text, NULL);
}

const cx__subagent_host cx__subagent_agents = {
    .spawn = spawn,
    .free_agent = cx_agent_free,
    .start = cx_runtime_new,
    .stop = cx_runtime_free,
    .busy = cx_runtime_busy,
    .interrupt = cx_runtime_interrupt,
    .submit = submit,
};
