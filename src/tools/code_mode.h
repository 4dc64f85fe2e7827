/* Code mode (pycodex's `exec` / `wait`): the model sends raw JavaScript,
 * which runs in a Node.js "cell" with helpers (text, image, store/load,
 * yield_control, exit) and a `tools` object that calls the agent's other
 * tools. A cell that outlives the call's wait keeps running and is polled,
 * or terminated, with `wait`. Values kept with store() survive across cells.
 *
 * Protocol with the runtime (one JSON object per line): ccodex sends
 * {"type":"init",...} and {"type":"tool_result",...}; the runtime sends
 * output_text, output_image, yield, tool_call and a final result. */
#ifndef CX_TOOLS_CODE_MODE_H
#define CX_TOOLS_CODE_MODE_H

#include "ccodex/tools.h"

typedef struct cx_code_mode cx_code_mode;

/* tools: the registry nested calls go to (borrowed; must outlive the
 * manager). node: the interpreter to run (NULL: "node" from PATH). */
cx_code_mode *cx_code_mode_new(cx_tool_registry *tools, const char *node);
/* Kills running cells and frees. */
void cx_code_mode_free(cx_code_mode *cm);
/* Adds `exec` (freeform) and `wait` to reg. */
int cx_code_mode_register(cx_code_mode *cm, cx_tool_registry *reg);

#endif
