/* State shared by the MCP client's files (internal to src/mcp/). */
#ifndef CX_MCP_MANAGER_H
#define CX_MCP_MANAGER_H

#include <pthread.h>

#include "mcp/jsonrpc.h"
#include "mcp/mcp.h"
#include "mcp/servers.h"
#include "mcp/transport.h"

typedef enum cx__mcp_state {
    CX__MCP_OFF, /* disabled */
    CX__MCP_STARTING,
    CX__MCP_READY,
    CX__MCP_FAILED,
} cx__mcp_state;

typedef struct cx__mcp_server {
    const cx_mcp_server_cfg *cfg;
    struct cx_mcp *owner;
    cx__mcp_state state;
    char *error; /* the failure as `exec` prints it */
    char *cause; /* the reason alone (for the `required` error) */
    cx_mcp_stdio *stdio;
    cx_mcp_http *http;
    cx_mcp_rpc *rpc;    /* owned by stdio or http */
    json_object *tools; /* the allowed tools from tools/list (array) */
} cx__mcp_server;

struct cx_mcp {
    cx_mcp_server_cfg *cfgs;
    size_t n;
    cx__mcp_server *servers; /* parallel to cfgs (sorted by name) */
    char *cwd;
    pthread_mutex_t status_lock;
    cx_mcp_status_fn status_fn;
    void *status_user;
};

#endif
