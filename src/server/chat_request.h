/* Request translation for the responses server: a Responses API request
 * becomes a Chat Completions request (what vLLM, Ollama, llama.cpp's server
 * speak). Pure data work: no sockets, no threads.
 *
 * instructions and developer/user/system/assistant messages become chat
 * messages (text joined; input_image parts become image_url parts); function
 * tools become chat tools; custom (freeform) tools such as apply_patch become
 * function tools taking one `input` string; web_search becomes a mock
 * function tool the server answers itself (empty results); function/custom
 * call outputs become `tool` messages; reasoning items are replayed into the
 * assistant message's `reasoning` field. Sampling and format parameters are
 * carried over where Chat Completions has them (docs/SERVER.md has the
 * table). The request's model passes through. Provider hooks run last on the
 * outgoing request: `stepfun` drops developer messages; `openai` also gets
 * the fields only OpenAI takes (metadata, service_tier, ...). The outgoing
 * request always streams, whether or not the client asked for a stream. */
#ifndef CX_SERVER_CHAT_REQUEST_H
#define CX_SERVER_CHAT_REQUEST_H

#include <json-c/json.h>

#include "ccodex/error.h"

/* The request's input as a list of items (new reference, possibly to the
 * request's own list: read it, do not modify it): a string input becomes one
 * user message; a missing input an empty list. CX_EINVAL with err for any
 * other shape. */
int cx__chat_request_items(const json_object *responses_req, json_object **items, cx_error *err);

/* Builds the chat request for a Responses request. Returns 0 and *out (new
 * reference), CX_EINVAL for a request a chat backend cannot take (files,
 * unknown item or tool types, background mode), with err saying why.
 * provider may be NULL (vllm). */
int cx__chat_request_build(const json_object *responses_req, const char *provider,
                           json_object **out, cx_error *err);

/* The name of the mock search tool, shared with the stream translation. */
#define CX_CHAT_MOCK_SEARCH "web_search"

#endif
