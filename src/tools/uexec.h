/* Unified exec (upstream's exec_command / write_stdin): commands run in a
 * session on a PTY (tty=true) or pipes; a call waits up to yield_time_ms and
 * returns what the command printed, plus either its exit code or a session id
 * to keep talking to it. A reader thread per session drains output into a
 * buffer capped at 1 MiB (head and tail kept). The manager owns every child:
 * freeing it kills their process groups, so nothing outlives ccodex. */
#ifndef CX_TOOLS_UEXEC_H
#define CX_TOOLS_UEXEC_H

#include "ccodex/tools.h"
#include "tools/approval.h"

typedef struct cx_uexec cx_uexec;

cx_uexec *cx__uexec_new(void);
/* Kills all live sessions (SIGKILL to their process groups) and frees. */
void cx__uexec_free(cx_uexec *ux);
/* The approver exec_command asks (borrowed; must outlive ux's use; NULL, the
 * default: escalations are refused as nobody can be asked). */
void cx__uexec_set_approver(cx_uexec *ux, cx_approver *ap);
/* Adds exec_command then write_stdin to reg; handlers borrow ux. */
int cx__uexec_register(cx_uexec *ux, cx_tool_registry *reg);
/* Live sessions (for tests). */
size_t cx__uexec_count(cx_uexec *ux);

#endif
