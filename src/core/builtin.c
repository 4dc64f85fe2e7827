/* Built-in tool sets per mode. The order is the order of the request's
 * `tools` array, which the conformance captures pin down. */
#include "core/builtin.h"

#include "base/json.h"
#include "core/subagents.h"
#include "tools/basic_tools.h"
#include "tools/code_mode.h"
#include "tools/file_tools.h"
#include "tools/patch.h"
#include "tools/shell.h"
#include "tools/uexec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cx_builtin {
    const cx_config *cfg;
    json_object *(*ask)(void *user, const json_object *request);
    void *ask_user;
    cx_uexec *uexec;
    cx_approver *approver; /* the session's command approvals */
    cx_subagents *subagents;
    cx_code_mode *code;      /* exec/wait cells, when declared */
    cx_tool_registry *inner; /* code_mode_only: the tools cells call, not declared */
    char *warning;           /* said once at the first turn (e.g. code mode disabled) */
};

cx_builtin *cx__builtin_new(const cx_config *cfg, const char *cwd,
                            json_object *(*ask)(void *user, const json_object *request),
                            void *ask_user)
{
    cx_builtin *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->cfg = cfg;
    b->ask = ask;
    b->ask_user = ask_user;
    b->uexec = cx__uexec_new();
    b->approver = cx__approver_new(ask, ask_user);
    b->subagents = cx__subagents_new(cfg, cwd);
    if (!b->uexec || !b->approver || !b->subagents) {
        cx__builtin_free(b);
        return NULL;
    }
    cx__uexec_set_approver(b->uexec, b->approver);
    return b;
}

void cx__builtin_stop_cells(cx_builtin *b)
{
    if (!b) return;
    cx__code_mode_free(b->code);
    b->code = NULL;
}

void cx__builtin_free(cx_builtin *b)
{
    if (!b) return;
    cx__builtin_stop_cells(b);
    cx_tools_free(b->inner);
    free(b->warning);
    cx__subagents_free(b->subagents);
    cx__uexec_free(b->uexec);
    cx__approver_free(b->approver);
    free(b);
}

/* `web_search = "live"` in config.toml lets the provider browse. Without the
 * key upstream browses live only when commands run unsandboxed
 * (danger-full-access, --yolo) and uses cached results otherwise. */
static bool web_access(const cx_config *cfg)
{
    const char *mode = cfg && cfg->root ? cx__json_get_str(cfg->root, "web_search") : NULL;
    if (mode) return !strcmp(mode, "live");
    return cfg && cfg->sandbox_mode && !strcmp(cfg->sandbox_mode, "danger-full-access");
}

/* `web_search = "disabled"` (what the SDK's webSearchMode/webSearchEnabled
 * false set) leaves the tool out of the request. */
static bool web_disabled(const cx_config *cfg)
{
    const char *mode = cfg && cfg->root ? cx__json_get_str(cfg->root, "web_search") : NULL;
    return mode && !strcmp(mode, "disabled");
}

static bool feature(const cx_config *cfg, const char *name, bool dflt)
{
    bool v = dflt;
    if (cfg && cfg->features) cx__json_get_bool(cfg->features, name, &v);
    return v;
}

/* Whether config.toml's `experimental_supported_tools` array names tool. */
static bool extra_tool(const cx_config *cfg, const char *tool)
{
    json_object *list =
        cfg && cfg->root ? cx__json_get(cfg->root, "experimental_supported_tools") : NULL;
    if (!list || !json_object_is_type(list, json_type_array)) return false;
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(list, i));
        if (name && !strcmp(name, tool)) return true;
    }
    return false;
}

static int register_tools(cx_builtin *b, cx_tool_registry *reg, bool sub)
{
    const cx_config *cfg = b->cfg;
    /* the shell tool type: unified exec (upstream's default here), the
     * shell_command tool when [features] unified_exec = false, or none when
     * shell_tool = false */
    bool shell_on = feature(cfg, "shell_tool", true);
    bool unified = shell_on && feature(cfg, "unified_exec", true);
    int rc = 0;
    if (unified)
        rc = cx__uexec_register(b->uexec, reg);
    else if (shell_on)
        rc = cx__shell_command_tool_register(reg, true, b->approver);
    if (!rc) rc = cx__plan_tool_register(reg);
    if (!rc && !sub) rc = cx__user_input_tool_register(reg, b->ask, b->ask_user);
    if (!rc) rc = cx__patch_register(reg);
    if (!rc && !web_disabled(cfg)) rc = cx__web_search_tool_register(reg, web_access(cfg));
    if (!rc) rc = cx__view_image_tool_register(reg);
    if (!rc && !sub) rc = cx__subagents_register(b->subagents, reg);
    if (!rc && shell_on && extra_tool(cfg, "shell"))
        rc = cx__shell_tool_register(reg, true, b->approver);
    if (!rc && shell_on && unified && extra_tool(cfg, "shell_command"))
        rc = cx__shell_command_tool_register(reg, true, b->approver);
    if (!rc && !sub && extra_tool(cfg, "request_permissions"))
        rc = cx__permissions_tool_register(reg, b->ask, b->ask_user,
                                           cx__approval_grants(b->approver));
    if (!rc && !sub && extra_tool(cfg, "exec") && !b->code) {
        /* pycodex's code mode: JavaScript cells that call the other tools of reg */
        b->code = cx__code_mode_new(reg, NULL);
        rc = b->code ? cx__code_mode_register(b->code, reg) : CX_ENOMEM;
    }
    if (!rc && extra_tool(cfg, "grep_files")) rc = cx__grep_files_tool_register(reg);
    if (!rc && extra_tool(cfg, "read_file")) rc = cx__read_file_tool_register(reg);
    if (!rc && extra_tool(cfg, "list_dir")) rc = cx__list_dir_tool_register(reg);
    /* like upstream, calls to the older shell tool names are still served
     * when they are not declared */
    if (!rc && shell_on && !cx_tools_find(reg, "shell"))
        rc = cx__shell_tool_register(reg, false, b->approver);
    if (!rc && shell_on && !cx_tools_find(reg, "shell_command"))
        rc = cx__shell_command_tool_register(reg, false, b->approver);
    return rc;
}

/* Upstream's code mode: [features] code_mode (exec and exec_wait first, then
 * the usual tools) or code_mode_only (just those two; the cells still call
 * every other tool). It needs a Node.js upstream accepts; otherwise code mode
 * is off for the session and the first turn says why. */
int cx__builtin_register(cx_builtin *b, cx_tool_registry *reg, bool subagent)
{
    const cx_config *cfg = b->cfg;
    bool only = feature(cfg, "code_mode_only", false);
    if (subagent || !(feature(cfg, "code_mode", false) || only))
        return register_tools(b, reg, subagent);
    const char *configured =
        cfg && cfg->root ? cx__json_get_str(cfg->root, "js_repl_node_path") : NULL;
    char node[4096], why[1024];
    if (cx__code_mode_check_node(configured, node, sizeof node, why, sizeof why) != 0) {
        if (asprintf(&b->warning,
                     "Disabled `exec` for this session because the configured Node runtime is "
                     "unavailable or incompatible. %s Install/update Node or set "
                     "js_repl_node_path to a newer runtime.",
                     why) < 0)
            b->warning = NULL;
        return register_tools(b, reg, subagent);
    }
    if (only && !(b->inner = cx_tools_new())) return CX_ENOMEM;
    b->code = cx__code_mode_new(only ? b->inner : reg, node);
    if (!b->code) return CX_ENOMEM;
    cx__code_mode_use_upstream_flavour(b->code);
    int rc = cx__code_mode_register(b->code, reg);
    if (!rc) rc = register_tools(b, only ? b->inner : reg, subagent);
    return rc;
}

const char *cx__builtin_warning(const cx_builtin *b)
{
    return b ? b->warning : NULL;
}

void cx__builtin_turn_started(cx_builtin *b)
{
    if (b) cx__grants_turn_ended(cx__approval_grants(b->approver));
}
