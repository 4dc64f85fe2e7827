/* Approval of commands under the session's approval_policy (docs/SANDBOX.md,
 * "Approvals"). The shell tools ask it before running a command:
 *
 *   never       a require_escalated call is refused with upstream's text;
 *               everything else runs sandboxed (always so in `ccodex exec`)
 *   on-request  a require_escalated call is put to the user as a yes / no /
 *               always-for-this-session question (command + justification);
 *               yes runs that one call unsandboxed, always remembers the exact
 *               command for the session, no answers "rejected by user"
 *   untrusted   as on-request, and every command off upstream's known-safe
 *               list (tools/safe_command.h) is asked about too ("Run this
 *               command?"); approved, it still runs sandboxed
 *   on-failure  as on-request, and a shell / shell_command run the sandbox
 *               denied is offered a re-run outside it (cx__approval_retry)
 *
 * Nothing runs outside the sandbox without an explicit yes: a missing asker,
 * a cancelled question or a free-text answer all count as no.
 *
 * Threads: one approver per agent session, shared by the tool handlers of
 * that session (which may run side by side); its questions are asked one at
 * a time. */
#ifndef CX_TOOLS_APPROVAL_H
#define CX_TOOLS_APPROVAL_H

#include "tools/basic_tools.h"
#include "tools/grants.h"

#include <stdbool.h>

typedef struct cx_approver cx_approver;

/* ask may be NULL (no user to ask: every question is answered no). The
 * approver borrows user. NULL when out of memory. */
cx_approver *cx__approver_new(cx_ask_user_fn ask, void *user);
void cx__approver_free(cx_approver *ap);
/* The session's sandbox grants (request_permissions), owned by ap; NULL when
 * ap is NULL. */
cx__grants *cx__approval_grants(cx_approver *ap);

/* Decides whether the command call with args (borrowed; reads
 * sandbox_permissions and justification) may run. command is its display
 * text (what the user sees and what "always" remembers); argv (NULL-ended)
 * is the shell tool's argv, NULL when command is a script. exec_command picks
 * upstream's "cannot ask" wording over the shell tools' "should not ask".
 * Returns false after filling out with the refusal (do not run the command),
 * true to run it; *escalated then says whether it runs without the sandbox.
 * ap may be NULL (no user to ask). */
bool cx__approval_check(cx_approver *ap, const cx_tool_env *env, const json_object *args,
                        const char *command, const char *const *argv, bool exec_command,
                        bool *escalated, cx_tool_output *out);

/* Upstream's test for a sandbox denial: the command ran sandboxed (not
 * escalated, a sandboxed mode), exited non-zero, and its output names one of
 * the ways a sandbox says no ("read-only file system", "permission denied",
 * ...). */
bool cx__approval_denied(const cx_tool_env *env, bool escalated, int exit_code, const char *output);

/* on-failure: after a sandboxed command failed with output that looks like a
 * sandbox denial, asks whether to run it again outside the sandbox ("The
 * sandbox denied this command. Run this command outside the sandbox?").
 * True only for an explicit yes (or an earlier "always" for command); false
 * under any other policy, for other failures, or with nobody to ask. */
bool cx__approval_retry(cx_approver *ap, const cx_tool_env *env, const char *command,
                        const char *output);

#endif
