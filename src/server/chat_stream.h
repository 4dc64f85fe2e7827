/* Stream translation for the responses server: a Chat Completions stream's
 * chunks become Responses API events. Pure data work: no sockets, no threads;
 * one cx_chat_stream belongs to one client request.
 *
 * Two wires, chosen per request by the server:
 *  - CX_CHAT_WIRE_CODEX, what Codex clients (upstream Codex, ccodex, pycodex)
 *    have always been sent and must keep getting byte for byte:
 *    response.created, output_item.added + output_text.delta for the message,
 *    output_item.done for each item at the end, response.completed with an
 *    empty output list.
 *  - CX_CHAT_WIRE_API, the events as the Responses API emits them (what the
 *    official SDKs rebuild responses from): response.created and
 *    .in_progress; for every item output_item.added, its deltas (message
 *    content parts and text, reasoning text, function call arguments, custom
 *    tool input) and their .done events, then output_item.done; a
 *    sequence_number on every event; response.completed (or .incomplete)
 *    with the whole output and usage.
 * Accumulated reasoning becomes a `reasoning` item, tool calls become
 * function_call or custom_tool_call items, the mock web search's calls
 * web_search_call items. */
#ifndef CX_SERVER_CHAT_STREAM_H
#define CX_SERVER_CHAT_STREAM_H

#include <json-c/json.h>
#include <stdbool.h>

#include "base/buf.h"
#include "ccodex/error.h"

typedef enum { CX_CHAT_WIRE_CODEX, CX_CHAT_WIRE_API } cx_chat_wire;

/* One response being translated; lives across the follow-up requests that
 * answer mock web searches. */
typedef struct cx_chat_stream cx_chat_stream;

/* chat_req is the request sent downstream, responses_req the client's
 * request (it shapes the Response object); the stream keeps a reference to
 * each, so neither may be modified afterwards. NULL on OOM. */
cx_chat_stream *cx__chat_stream_new(const json_object *responses_req, const json_object *chat_req,
                                    const char *provider, cx_chat_wire wire);
void cx__chat_stream_free(cx_chat_stream *s);
/* The response's id ("resp_..."). */
const char *cx__chat_stream_id(const cx_chat_stream *s);
/* Appends the opening events (response.created; .in_progress on the API wire). */
void cx__chat_stream_begin(cx_chat_stream *s, cx_buf *out);
/* Consumes one chat SSE `data:` payload (not "[DONE]") and appends the events
 * it yields. Returns 0, or CX_EPARSE for a payload that is not JSON or that
 * carries an error (err set). */
int cx__chat_stream_chunk(cx_chat_stream *s, const char *data, size_t len, cx_buf *out,
                          cx_error *err);
/* Whether a chunk of the current downstream stream carried a finish_reason
 * (a stream that ends without one, or without [DONE], was cut off). */
bool cx__chat_stream_finished(const cx_chat_stream *s);
/* The downstream stream ended. When the model only called the mock web
 * search, returns 1 and sets *followup (new reference) to the next chat
 * request to send (its results joined to the conversation); the caller streams
 * it into the same cx_chat_stream. Otherwise appends the final output items
 * and response.completed, and returns 0. CX_EPARSE with err when the model's
 * output cannot be expressed (a tool call with no name). */
int cx__chat_stream_end(cx_chat_stream *s, cx_buf *out, json_object **followup, cx_error *err);
/* Appends a response.failed event carrying message. */
void cx__chat_stream_fail(cx_chat_stream *s, const char *message, cx_buf *out);
/* The Response object as the API returns it (status, whole output, usage),
 * after cx__chat_stream_end returned 0 or cx__chat_stream_fail; NULL before.
 * Borrowed: valid until the stream is freed. */
const json_object *cx__chat_stream_response(const cx_chat_stream *s);

/* Appends one SSE event ("event: NAME\ndata: JSON\n\n"). */
void cx__chat_sse(cx_buf *out, const char *name, const json_object *payload);

#endif
