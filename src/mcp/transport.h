/* MCP transports: a stdio child process and a streamable-HTTP endpoint. Both
 * carry JSON-RPC messages for one cx_mcp_rpc, which they create and own. */
#ifndef CX_MCP_TRANSPORT_H
#define CX_MCP_TRANSPORT_H

#include <json-c/json.h>

#include "ccodex/error.h"
#include "mcp/jsonrpc.h"

/* Most bytes one message may take; longer lines are dropped. */
#define CX_MCP_MAX_MESSAGE (16u * 1024u * 1024u)

typedef struct cx_mcp_stdio cx_mcp_stdio;

typedef struct cx_mcp_stdio_opts {
    const char *command;
    const char *const *args; /* NULL-terminated, may be NULL */
    const char *const *envp; /* the child's whole environment, NULL-terminated */
    const char *cwd;         /* may be NULL: inherit */
} cx_mcp_stdio_opts;

/* Starts the child with its stdin/stdout as the message pipes (stderr goes to
 * /dev/null) and a reader thread. On failure err holds the OS reason, e.g.
 * "No such file or directory (os error 2)". */
cx_mcp_stdio *cx__mcp_stdio_start(const cx_mcp_stdio_opts *o, cx_error *err);
cx_mcp_rpc *cx__mcp_stdio_rpc(cx_mcp_stdio *s);
/* SIGTERM to the child's process group (SIGKILL if it lingers), then frees. */
void cx__mcp_stdio_free(cx_mcp_stdio *s);
/* Sends SIGTERM now (cx__mcp_stdio_free then only waits), so that several
 * servers stop in parallel. */
void cx__mcp_stdio_terminate(cx_mcp_stdio *s);
/* SIGKILL at once (a server dropped during start-up, as upstream drops it). */
void cx__mcp_stdio_kill(cx_mcp_stdio *s);

typedef struct cx_mcp_http cx_mcp_http;

typedef struct cx_mcp_http_opts {
    const char *url;
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, may be NULL */
    bool bearer;                /* an Authorization header is among them: skip the OAuth probe */
    long probe_timeout_ms;      /* bound for each OAuth probe (within the start-up budget) */
} cx_mcp_http_opts;

cx_mcp_http *cx__mcp_http_new(const cx_mcp_http_opts *o, cx_error *err);
cx_mcp_rpc *cx__mcp_http_rpc(cx_mcp_http *h);
/* After a successful initialize: opens the server's GET event stream (a 405
 * is fine). */
void cx__mcp_http_open_stream(cx_mcp_http *h);
/* Sends DELETE for the session (if any), then frees. */
void cx__mcp_http_free(cx_mcp_http *h);

#endif
