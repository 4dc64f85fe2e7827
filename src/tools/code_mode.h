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
cx_code_mode *cx__code_mode_new(cx_tool_registry *tools, const char *node);
/* Kills running cells and frees. */
void cx__code_mode_free(cx_code_mode *cm);
/* Switches to upstream 0.115.0's code mode ([features] code_mode): the
 * second tool is `exec_wait`, cells run in an isolated context with only the
 * helpers (no Node.js APIs, no timers), are numbered 1, 2, ..., answer with
 * their content items, and see exec_command results as objects. Call before
 * cx__code_mode_register. */
void cx__code_mode_use_upstream_flavour(cx_code_mode *cm);
/* Adds `exec` (freeform) and `wait` (upstream's flavour: `exec_wait`) to reg. */
int cx__code_mode_register(cx_code_mode *cm, cx_tool_registry *reg);

/* Upstream's code mode needs at least this Node.js. */
#define CX_CODE_MODE_NODE_MAJOR 22
#define CX_CODE_MODE_NODE_MINOR 22
/* Resolves the Node.js to use (configured path, else `node` on PATH) into
 * resolved and checks its version. Returns 0, or -1 with why (a sentence in
 * upstream's words) when it is missing, cannot run or is too old. */
int cx__code_mode_check_node(const char *configured, char *resolved, size_t resolved_size,
                             char *why, size_t why_size);
/* The runtime a cell's node runs (src/tools/code_mode_runtime.js, NUL-terminated),
 * compiled in by the build (cmake/EmbedText.cmake). */
extern const char cx__code_mode_runtime_js[];

/* Runs `node --version` and puts its first line into out. Returns 0 or -1. */
int cx__code_mode_run_version(const char *node, char *out, size_t size);

#endif
