/* JSON-RPC 2.0 for MCP: newline framing with a size cap, message
 * classification, and a connection that matches answers to waiting requests
 * whatever transport carries the bytes (stdio pipes, streamable HTTP).
 *
 * Thread rules: a cx_mcp_rpc may be used from several threads at once (tool
 * calls in parallel, the transport's reader thread delivering answers); its
 * state is guarded by one mutex. Nothing here prints. */
#ifndef CX_MCP_JSONRPC_H
#define CX_MCP_JSONRPC_H

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "ccodex/error.h"

/* ---- framing ------------------------------------------------------------ */

/* Splits a byte stream into lines. A line longer than max bytes is dropped
 * whole (counted in `oversized`) so a flooding peer costs bounded memory. */
typedef struct cx_mcp_lines {
    cx_buf pending;
    size_t max;
    bool skipping; /* inside an oversized line: drop bytes up to its newline */
    uint64_t oversized;
} cx_mcp_lines;

typedef void (*cx_mcp_line_fn)(void *user, const char *line, size_t len);

void cx__mcp_lines_init(cx_mcp_lines *l, size_t max);
void cx__mcp_lines_free(cx_mcp_lines *l);
/* Feeds bytes; calls fn for each complete line (without its "\n" or "\r\n";
 * blank lines are skipped). Returns 0 or CX_ENOMEM. */
int cx__mcp_lines_feed(cx_mcp_lines *l, const char *data, size_t len, cx_mcp_line_fn fn,
                       void *user);

/* ---- messages ----------------------------------------------------------- */

typedef enum cx_mcp_msg_kind {
    CX_MCP_MSG_INVALID,      /* not a JSON-RPC 2.0 message */
    CX_MCP_MSG_REQUEST,      /* method + id */
    CX_MCP_MSG_NOTIFICATION, /* method, no id */
    CX_MCP_MSG_RESULT,       /* id + result */
    CX_MCP_MSG_ERROR,        /* id + error {code, message} (id may be null) */
} cx_mcp_msg_kind;

/* Classifies a parsed message. *id is set for answers and requests whose id is
 * an integer (our own ids always are); *has_id tells whether one was found. */
cx_mcp_msg_kind cx__mcp_msg_classify(const json_object *msg, int64_t *id, bool *has_id);

/* ---- connection --------------------------------------------------------- */

/* Sends one serialised message (no trailing newline) to the peer. For
 * request/response transports (HTTP) the answers come back through
 * cx__mcp_rpc_deliver before or after send returns. deadline_ms is a
 * CLOCK_MONOTONIC time in ms after which sending may give up (0: none). */
typedef int (*cx_mcp_send_fn)(void *transport, const char *msg, size_t len, int64_t deadline_ms,
                              cx_error *err);

typedef struct cx_mcp_rpc cx_mcp_rpc;

/* An answer's error: code and message of a JSON-RPC error, or a transport
 * failure (code 0) described by message. */
typedef struct cx_mcp_rpc_fail {
    int64_t code;
    bool rpc;     /* a JSON-RPC error object came back */
    bool timeout; /* the deadline passed */
    char message[1024];
} cx_mcp_rpc_fail;

cx_mcp_rpc *cx__mcp_rpc_new(cx_mcp_send_fn send, void *transport);
/* Fails every waiting request (as closed) and frees. The transport must no
 * longer deliver. */
void cx__mcp_rpc_free(cx_mcp_rpc *r);

/* Sends request `method` with params (taken, may be NULL) and waits for its
 * answer until timeout_ms (0: forever) or *cancel. Returns 0 with *result (new
 * reference), or a negative code with *fail filled: CX_ETIMEOUT, CX_ECANCELED,
 * CX_ENET (closed / send failed), CX_EHTTP-free CX_EPARSE for an answer of
 * the wrong shape, or 1 for a JSON-RPC error answer. */
int cx__mcp_rpc_call(cx_mcp_rpc *r, const char *method, json_object *params, long timeout_ms,
                     const atomic_bool *cancel, json_object **result, cx_mcp_rpc_fail *fail);
/* For request/response transports (HTTP): the answer to a request must have
 * arrived by the time send returns, else the call fails at once. */
void cx__mcp_rpc_set_inline_answers(cx_mcp_rpc *r, bool on);
/* Sends a notification (params taken, may be NULL). */
int cx__mcp_rpc_notify(cx_mcp_rpc *r, const char *method, json_object *params, cx_error *err);

/* Transport side: one received message text. Answers wake their request;
 * server requests get an answer (ping: {}; anything else: method not found);
 * notifications and malformed lines are dropped (counted). */
void cx__mcp_rpc_deliver(cx_mcp_rpc *r, const char *text, size_t len);
/* Transport side: the peer is gone. Waiting and later requests fail with
 * `why` (e.g. "connection closed"). */
void cx__mcp_rpc_closed(cx_mcp_rpc *r, const char *why);
bool cx__mcp_rpc_is_closed(cx_mcp_rpc *r);
/* Counters for tests and diagnostics. */
uint64_t cx__mcp_rpc_dropped(cx_mcp_rpc *r);

/* CLOCK_MONOTONIC now in ms. */
int64_t cx__mcp_now_ms(void);

#endif
