/* The Responses API request as upstream Codex 0.115.0 sends it: the JSON body
 * (fields in upstream's order) and the header list, plus the user agent. */
#ifndef CX_MODEL_REQUEST_H
#define CX_MODEL_REQUEST_H

#include <json-c/json.h>
#include <stdbool.h>

#include "base/buf.h"
#include "ccodex/config.h"

typedef struct cx_request_body_opts {
    const char *model;
    const char *instructions;
    const json_object *input; /* array of items, borrowed */
    /* Items already serialised (compact JSON values joined by ','), sent
     * after those of `input`: a long history is serialised once, when its
     * items join it, not again for every request. NULL/0: none. */
    const char *input_tail;
    size_t input_tail_len;
    const json_object *tools; /* array of tool specs, borrowed */
    bool parallel_tool_calls;
    bool reasoning;               /* false: "reasoning": null and empty include */
    const char *reasoning_effort; /* omitted when NULL */
    const char *reasoning_summary;
    const char *service_tier;         /* omitted when NULL */
    const char *prompt_cache_key;     /* omitted when NULL */
    const char *verbosity;            /* "text":{"verbosity":..} when set */
    const json_object *output_schema; /* "text":{"format":{json_schema..}} when set */
} cx_request_body_opts;

/* Appends the request body JSON to out. Returns 0 or CX_ENOMEM. */
int cx__request_body(const cx_request_body_opts *o, cx_buf *out);

typedef struct cx_request_header_opts {
    const cx_provider *provider; /* api key, http_headers, env_http_headers */
    const char *originator;      /* "codex_exec", "codex-tui" */
    const char *user_agent;
    const char *session_id;
    const char *turn_metadata; /* compact JSON, or NULL */
    const char *subagent;      /* x-openai-subagent value, or NULL */
} cx_request_header_opts;

/* A new NULL-terminated array of "name: value" strings (free with
 * cx__request_headers_free). NULL on OOM. */
char **cx__request_headers(const cx_request_header_opts *o);
void cx__request_headers_free(char **headers);

/* The full responses URL: base_url + "/responses" + query_params. New string. */
char *cx__request_url(const cx_provider *p, const char *path);

/* New user agent string:
 * "ORIGINATOR/VERSION (OS OS_VERSION; ARCH) TERMINAL (CLIENT; VERSION)". */
char *cx__request_user_agent(const char *originator, const char *client);

#endif
