/* `[mcp_servers.NAME]` tables of config.toml, read into plain structs (for the
 * client and for `ccodex mcp list/get`). */
#ifndef CX_MCP_SERVERS_H
#define CX_MCP_SERVERS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "ccodex/error.h"

typedef struct cx_mcp_server_cfg {
    char *name;
    bool enabled;  /* default true */
    bool required; /* default false */
    /* stdio */
    char *command;    /* NULL for HTTP servers */
    char **args;      /* NULL-terminated, never NULL */
    json_object *env; /* object name -> string, or NULL */
    char **env_vars;  /* NULL-terminated, never NULL */
    char *cwd;        /* or NULL */
    /* streamable HTTP */
    char *url;                     /* NULL for stdio servers */
    char *bearer_token_env_var;    /* or NULL */
    json_object *http_headers;     /* object name -> value, or NULL */
    json_object *env_http_headers; /* object name -> env var, or NULL */
    double startup_timeout_sec;    /* < 0: not set (default 10) */
    double tool_timeout_sec;       /* < 0: not set (default 120) */
    char **enabled_tools;          /* NULL: not set; else NULL-terminated */
    char **disabled_tools;         /* NULL: not set; else NULL-terminated */
} cx_mcp_server_cfg;

/* Reads root["mcp_servers"] (root may be NULL). *out is an array of *n
 * servers sorted by name (free with cx__mcp_servers_free). A table of the
 * wrong shape is a CX_ECONFIG naming the key. */
int cx__mcp_servers_parse(const json_object *root, cx_mcp_server_cfg **out, size_t *n,
                          cx_error *err);
void cx__mcp_servers_free(cx_mcp_server_cfg *s, size_t n);
/* True when name matches ^[a-zA-Z0-9_-]+$. */
bool cx__mcp_name_valid(const char *name);

#endif
