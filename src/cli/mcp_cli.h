/* The CLI's side of MCP: starting the configured servers for a session with
 * upstream's stderr lines, rendering mcp_tool_call items in human mode, and
 * the `ccodex mcp ...` / `ccodex mcp-server` commands. */
#ifndef CX_CLI_MCP_CLI_H
#define CX_CLI_MCP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "ccodex/config.h"
#include "ccodex/events.h"
#include "mcp/mcp.h"

/* How much of the start-up cx_cli_mcp_start prints on stderr. */
typedef enum cx_cli_mcp_lines {
    CX_CLI_MCP_QUIET,      /* nothing (exec --json, mcp-server) */
    CX_CLI_MCP_ALWAYS,     /* exec: the lines and the summary, "no servers" included */
    CX_CLI_MCP_IF_SERVERS, /* the REPL: only when a server is enabled */
} cx_cli_mcp_lines;

/* Starts cfg's MCP servers for a session in cwd (NULL: the process's),
 * printing `mcp: NAME starting|ready|failed: ...` and the `mcp startup:`
 * summary as `lines` says. Sets *out and returns 0; on a bad [mcp_servers]
 * table or a failed `required` server prints the error and returns 1. */
int cx_cli_mcp_start(const cx_config *cfg, const char *cwd, cx_cli_mcp_lines lines, cx_mcp **out);

/* Human rendering of mcp_tool_call items: start times by call id. */
typedef struct cx_cli_mcp_render {
    json_object *started; /* call_id -> start time (ms) */
} cx_cli_mcp_render;
/* Prints `tool server.tool(args)` for a started item and the outcome line
 * plus the result for a completed one; ignores other events. */
void cx_cli_mcp_item(cx_cli_mcp_render *r, const cx_event *ev, FILE *out);
void cx_cli_mcp_render_clear(cx_cli_mcp_render *r);
/* True for the names of MCP tools and the resource tools (rendered as items). */
bool cx_cli_mcp_is_tool(const char *name);

/* `ccodex mcp list|get|add|remove ...` (argv[0] is "mcp"), on
 * $CODEX_HOME/config.toml. */
int cx_cli_mcp(int argc, char **argv);
/* `ccodex mcp-server`: ccodex as a stdio MCP server. */
int cx_cli_mcp_server(int argc, char **argv);
/* Prints o as serde_json's pretty printer lays it out, and a newline. */
void cx_cli_json_pretty(const json_object *o, FILE *out);

#endif
