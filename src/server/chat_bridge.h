/* Translation between the Responses API (what Codex clients speak) and Chat
 * Completions (what vLLM, Ollama, llama.cpp's server speak), for the
 * responses server. Pure data work: no sockets, no threads.
 *
 * Requests: instructions and developer/user/assistant messages become chat
 * messages; function tools become chat tools; custom (freeform) tools such as
 * apply_patch become function tools taking one `input` string; web_search
 * becomes a mock function tool the server answers itself (empty results);
 * function/custom call outputs become `tool` messages; reasoning items are
 * replayed into the assistant message's `reasoning` field. The request's model
 * passes through. Provider hooks run last on the outgoing request: `stepfun`
 * drops developer messages; `vllm` and unknown providers keep everything.
 *
 * Responses: the chat stream's chunks become Responses SSE events
 * (response.created, output_item.added/done, output_text.delta,
 * response.completed with usage); accumulated reasoning becomes a `reasoning`
 * item, tool calls become function_call or custom_tool_call items. */
#ifndef CX_SERVER_CHAT_BRIDGE_H
#define CX_SERVER_CHAT_BRIDGE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "base/buf.h"
#include "ccodex/error.h"

/* Builds the chat request for a Responses request. Returns 0 and *out (new
 * reference), CX_EINVAL for a request we refuse (non-streaming, unsupported
 * input such as images), with err saying why. provider may be NULL (vllm). */
int cx_chat_bridge_request(const json_object *responses_req, const char *provider,
                           json_object **out, cx_error *err);

/* One response being translated; lives across the follow-up requests that
 * answer mock web searches. */
typedef struct cx_chat_stream cx_chat_stream;

/* chat_req is the request sent downstream (borrowed; copied); responses_req
 * the client's request (borrowed, only read here). */
cx_chat_stream *cx_chat_stream_new(const json_object *responses_req, const json_object *chat_req,
                                   const char *provider);
void cx_chat_stream_free(cx_chat_stream *s);
/* Appends the response.created event. */
void cx_chat_stream_begin(cx_chat_stream *s, cx_buf *out);
/* Consumes one chat SSE `data:` payload (not "[DONE]") and appends the events
 * it yields. Returns 0, or CX_EPARSE for a payload that is not JSON (err set). */
int cx_chat_stream_chunk(cx_chat_stream *s, const char *data, size_t len, cx_buf *out,
                         cx_error *err);
/* Whether a chunk of the current downstream stream carried a finish_reason
 * (a stream that ends without one, or without [DONE], was cut off). */
bool cx_chat_stream_finished(const cx_chat_stream *s);
/* The downstream stream ended. When the model only called the mock web
 * search, returns 1 and sets *followup (new reference) to the next chat
 * request to send (its results joined to the conversation); the caller streams
 * it into the same cx_chat_stream. Otherwise appends the final output items
 * and response.completed, and returns 0. CX_EPARSE with err when the model's
 * output cannot be expressed (a tool call with no name). */
int cx_chat_stream_end(cx_chat_stream *s, cx_buf *out, json_object **followup, cx_error *err);
/* Appends a response.failed event carrying message. */
void cx_chat_stream_fail(cx_chat_stream *s, const char *message, cx_buf *out);

/* Appends one SSE event ("event: NAME\ndata: JSON\n\n"). */
void cx_chat_sse(cx_buf *out, const char *name, const json_object *payload);

#endif
