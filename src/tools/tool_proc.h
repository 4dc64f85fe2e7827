/* Every process a tool starts for the model goes through these two calls, so
 * the sandbox of the session (sandbox/sandbox.h) wraps all of them: shell,
 * shell_command, exec_command (pipes or PTY), code mode's Node.js and
 * grep_files' rg. A spawn the sandbox cannot set up fails closed with the
 * reason in err; the program does not run. */
#ifndef CX_TOOLS_TOOL_PROC_H
#define CX_TOOLS_TOOL_PROC_H

#include "base/proc.h"
#include "ccodex/tools.h"
#include "tools/grants.h"

/* cx__proc_spawn under env's sandbox (o->child_setup must be NULL: the sandbox
 * owns it), widened by the session's grants (may be NULL). escalated=true
 * runs without the sandbox: only for a command the user approved to run
 * outside it. */
int cx__tool_spawn(const cx_tool_env *env, bool escalated, cx__grants *grants, cx_proc_opts *o,
                   cx_proc **out, int *errno_out, cx_error *err);
/* cx__proc_run under env's sandbox and grants (may be NULL). */
int cx__tool_run(const cx_tool_env *env, bool escalated, cx__grants *grants, cx_proc_opts *o,
                 const cx_proc_run_opts *r, cx_proc_result *res, int *errno_out, cx_error *err);

/* True when commands under env run inside a sandbox (a sandboxed mode and
 * not an approved escalation). */
bool cx__tool_sandboxed(const cx_tool_env *env, bool escalated);

/* True when env's sandbox lets a command write path (absolute); what
 * apply_patch checks before writing anything. */
bool cx__tool_may_write(const cx_tool_env *env, const char *path);

#endif
