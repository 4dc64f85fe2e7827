/* The mock web search of the responses server. A client that declares the
 * `web_search` tool gets a function tool of that name (chat_request.c); when
 * the model calls only that tool, the server answers the call itself with
 * empty results and sends the follow-up request, within the same client
 * stream (chat_stream.c). Library-internal. */
#ifndef CX_SERVER_CHAT_SEARCH_H
#define CX_SERVER_CHAT_SEARCH_H

#include <json-c/json.h>
#include <stddef.h>

typedef struct cx__search_call {
    const char *id;   /* the call's id */
    const char *args; /* its arguments as the model sent them (JSON text, or raw) */
} cx__search_call;

/* Sets target's "query" and "queries" from a search call's arguments. */
void cx__chat_search_queries(const char *args, json_object *target);

/* The chat request that answers the calls with empty results (new
 * reference): chat_req plus the assistant's calls (with its reasoning, when
 * reasoning_len > 0) and one tool message per call, no longer offering the
 * search tool. */
json_object *cx__chat_search_followup(const json_object *chat_req, const cx__search_call *calls,
                                      size_t n, const char *reasoning, size_t reasoning_len);

#endif
