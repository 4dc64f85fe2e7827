/* The one-shot command tools: `shell` (argv form, structured JSON answer) and
 * `shell_command` (a script run by the user's shell, plain-text answer). The
 * command runs with stdin on /dev/null and stdout+stderr merged in arrival
 * order, in its own process group, killed when timeout_ms (default 10 s)
 * passes or the turn is interrupted. Output is kept up to 1 MiB (head and
 * tail) and cut to the 10,000-token budget in the middle, as upstream. */
#ifndef CX_TOOLS_SHELL_H
#define CX_TOOLS_SHELL_H

#include <stdbool.h>

#include "ccodex/tools.h"
#include "tools/approval.h"

/* Adds `shell`; declared=false registers only the handler (upstream keeps
 * handling calls to `shell` when it does not declare it). ap (borrowed, may be
 * NULL: no user to ask) approves commands under the approval policy. */
int cx__shell_tool_register(cx_tool_registry *reg, bool declared, cx_approver *ap);
/* Adds `shell_command` (same meaning of declared and ap). */
int cx__shell_command_tool_register(cx_tool_registry *reg, bool declared, cx_approver *ap);

#endif
