/* The MCP client side of a session: the configured servers, started in
 * parallel before the first model request, and their tools registered in an
 * agent's registry as upstream declares them (`mcp__<server>__<tool>` after the
 * built-in tools, the three resource tools after write_stdin).
 *
 * Threads: cx__mcp_start blocks its caller while one thread per server does
 * the handshake; status callbacks come from those threads, one at a time.
 * Tool handlers may run on any thread. Free the agent's registry before the
 * cx_mcp it borrows from. */
#ifndef CX_MCP_MCP_H
#define CX_MCP_MCP_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ccodex/config.h"
#include "ccodex/error.h"
#include "ccodex/tools.h"

typedef struct cx_mcp cx_mcp;

/* Reads cfg's [mcp_servers]. cwd (copied) is where stdio servers run unless
 * they set `cwd`. Returns NULL with err for a malformed table. */
cx_mcp *cx__mcp_new(const cx_config *cfg, const char *cwd, cx_error *err);
/* Stops every server (SIGTERM / HTTP DELETE) and frees. NULL is fine. */
void cx__mcp_free(cx_mcp *m);

/* state: "starting", "ready" or "failed" (then error is upstream's text,
 * e.g. "MCP client for `x` failed to start: ..."). */
typedef void (*cx_mcp_status_fn)(void *user, const char *server, const char *state,
                                 const char *error);

/* Starts the enabled servers in parallel and waits until each is ready or has
 * failed (bounded by its startup_timeout_sec). Returns 0, or CX_ECONFIG when a
 * `required` server failed: err then reads "required MCP servers failed to
 * initialize: NAME: REASON". */
int cx__mcp_start(cx_mcp *m, cx_mcp_status_fn fn, void *user, cx_error *err);
/* True when an enabled server is `required`. */
bool cx__mcp_has_required(const cx_mcp *m);
/* How many servers are configured and enabled. */
size_t cx__mcp_enabled_count(const cx_mcp *m);
/* The "mcp startup: ..." summary after cx__mcp_start ("ready: a, b; failed:
 * c", or "no servers"); new string. */
char *cx__mcp_summary(const cx_mcp *m);

/* Adds the tools of the ready servers (sorted by qualified name, at the end)
 * and, when any server is enabled, the resource tools after write_stdin. */
int cx__mcp_register(cx_mcp *m, cx_tool_registry *reg);

/* ---- naming and shapes (exposed for tests) ------------------------------ */

/* `mcp__<server>__<tool>` with characters outside [A-Za-z0-9_] as '_', and
 * names over 64 characters cut to 24 plus the SHA-1 (hex) of the unsanitised
 * name. New string. */
char *cx__mcp_qualified_name(const char *server, const char *tool);
/* The inputSchema as the Responses API gets it (new reference). */
json_object *cx__mcp_sanitize_schema(const json_object *schema);
/* What goes back to the model for a tools/call result: sets out->text or
 * out->content. Returns 0, or 1 when the result has no usable content (the
 * caller reports "Unexpected response type"). */
int cx__mcp_result_output(const json_object *result, cx_tool_output *out);

#endif
