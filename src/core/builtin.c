/* Built-in tool sets per mode. The order is the order of the request's
 * `tools` array, which the conformance captures pin down. */
#include "core/builtin.h"

#include "base/json.h"
#include "core/subagents.h"

#include <stdlib.h>
#include <string.h>

struct cx_builtin {
    cx_subagents *subagents;
};

cx_builtin *cx_builtin_new(const cx_config *cfg, const char *cwd)
{
    cx_builtin *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->subagents = cx_subagents_new(cfg, cwd);
    if (!b->subagents) {
        free(b);
        return NULL;
    }
    return b;
}

void cx_builtin_free(cx_builtin *b)
{
    if (!b) return;
    cx_subagents_free(b->subagents);
    free(b);
}

static int add_web_search(cx_tool_registry *reg)
{
    json_object *spec = json_object_new_object();
    cx_json_set_str(spec, "type", "web_search");
    cx_json_set(spec, "external_web_access", json_object_new_boolean(0));
    cx_tool_def d = {"web_search", CX_TOOL_PROVIDER, false, spec, NULL, NULL, NULL};
    return cx_tools_add(reg, &d);
}

int cx_builtin_register(cx_builtin *b, cx_tool_registry *reg, cx_agent_mode mode)
{
    int rc = add_web_search(reg);
    if (!rc && mode != CX_MODE_SUBAGENT) rc = cx_subagents_register(b->subagents, reg);
    return rc;
}
