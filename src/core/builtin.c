/* Built-in tool sets per mode. The order is the order of the request's
 * `tools` array, which the conformance captures pin down. */
#include "core/builtin.h"

#include "base/json.h"
#include "core/subagents.h"
#include "tools/basic_tools.h"
#include "tools/patch.h"
#include "tools/uexec.h"

#include <stdlib.h>
#include <string.h>

struct cx_builtin {
    const cx_config *cfg;
    cx_uexec *uexec;
    cx_subagents *subagents;
};

cx_builtin *cx_builtin_new(const cx_config *cfg, const char *cwd)
{
    cx_builtin *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->cfg = cfg;
    b->uexec = cx_uexec_new();
    b->subagents = cx_subagents_new(cfg, cwd);
    if (!b->uexec || !b->subagents) {
        cx_builtin_free(b);
        return NULL;
    }
    return b;
}

void cx_builtin_free(cx_builtin *b)
{
    if (!b) return;
    cx_subagents_free(b->subagents);
    cx_uexec_free(b->uexec);
    free(b);
}

/* `web_search = "live"` in config.toml lets the provider browse; upstream's
 * default is cached results only (external_web_access false). */
static bool web_access(const cx_config *cfg)
{
    const char *mode = cfg && cfg->root ? cx_json_get_str(cfg->root, "web_search") : NULL;
    return mode && !strcmp(mode, "live");
}

int cx_builtin_register(cx_builtin *b, cx_tool_registry *reg, cx_agent_mode mode)
{
    bool sub = mode == CX_MODE_SUBAGENT;
    int rc = cx_uexec_register(b->uexec, reg);
    if (!rc) rc = cx_plan_tool_register(reg);
    if (!rc && !sub) rc = cx_user_input_tool_register(reg, NULL, NULL);
    if (!rc) rc = cx_patch_register(reg);
    if (!rc) rc = cx_web_search_tool_register(reg, web_access(b->cfg));
    if (!rc) rc = cx_view_image_tool_register(reg);
    if (!rc && !sub) rc = cx_subagents_register(b->subagents, reg);
    return rc;
}
