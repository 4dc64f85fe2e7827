/* The built-in tool set of each mode, and the state those tools share
 * (unified exec sessions, plan store, sub-agent manager). Internal to core. */
#ifndef CX_CORE_BUILTIN_H
#define CX_CORE_BUILTIN_H

#include "ccodex/config.h"
#include "ccodex/tools.h"

typedef struct cx_builtin cx_builtin;

/* cfg is borrowed; cwd copied. ask (may be NULL) answers Plan-mode
 * request_user_input calls (see cx_agent_options.ask_user). */
cx_builtin *cx__builtin_new(const cx_config *cfg, const char *cwd,
                            json_object *(*ask)(void *user, const json_object *request),
                            void *ask_user);
/* Stops code-mode cells, which call into the registry: before freeing it. */
void cx__builtin_stop_cells(cx_builtin *b);
/* Kills live exec sessions and closes sub-agents. Free the registry first. */
void cx__builtin_free(cx_builtin *b);
/* Registers the tools of the agent's mode in upstream 0.115.0's order:
 * exec and interactive: exec_command, write_stdin, update_plan,
 *   request_user_input, apply_patch, web_search, view_image, spawn_agent,
 *   send_input, resume_agent, wait_agent, close_agent;
 * sub-agent: exec_command, write_stdin, update_plan, apply_patch,
 *   web_search, view_image.
 * [features] unified_exec = false puts shell_command in place of
 * exec_command/write_stdin; shell_tool = false drops the shell tools.
 * Extra tools named in config.toml's `experimental_supported_tools` array
 * (shell, shell_command, request_permissions, exec (code mode: exec + wait),
 * grep_files, read_file, list_dir) follow. Calls to
 * `shell` and `shell_command` are served even when they are not declared. */
int cx__builtin_register(cx_builtin *b, cx_tool_registry *reg, bool subagent);
/* A new turn starts: request_permissions grants "for this turn" end. */
void cx__builtin_turn_started(cx_builtin *b);
/* A warning registration left for the user (borrowed), or NULL. */
const char *cx__builtin_warning(const cx_builtin *b);

#endif
