/* JSON pieces of the Responses wire that hold no stream state, for
 * chat_stream.c. Library-internal. */
#ifndef CX_SERVER_CHAT_JSON_H
#define CX_SERVER_CHAT_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Adds to r the fields of a Response object that echo the request
 * (background, error, instructions, ..., user), in the API's order, with the
 * API's defaults for what the request leaves out. */
void cx__chat_response_shape(json_object *r, const json_object *responses_req);
/* Chat usage renamed to the Responses fields (prompt_tokens -> input_tokens,
 * completion_tokens -> output_tokens, details kept); new reference. */
json_object *cx__chat_usage(const json_object *chat_usage);
/* Appends str as a JSON string, escaped the way cx__json_dump does. */
void cx__chat_json_quote(cx_buf *out, const char *str, size_t len);
/* The input a custom tool call carries in its `input` argument (the
 * arguments themselves when they are not such an object), as a JSON string
 * (new reference); args is len bytes. */
json_object *cx__chat_custom_input(const char *args, size_t len);
/* Appends the string obj[key] (or obj itself when key is NULL) whole: a JSON
 * string may hold \u0000, which C string functions would cut the text at, and
 * chat backends accept it. Returns its length (0 when it is not a string). */
size_t cx__chat_put_str(cx_buf *out, const json_object *obj, const char *key);
/* A new JSON string with the bytes of the string obj[key], or of dflt when it
 * is missing or empty. */
json_object *cx__chat_copy_str(const json_object *obj, const char *key, const char *dflt);

/* The common chunk of a stream, a plain content delta, decoded without
 * building a JSON tree: true, with its text appended to text (invalid UTF-8
 * repaired) and *finish / *finish_len set to a finish_reason it names (else
 * NULL), only when nothing else of interest can be in it (no usage, error,
 * reasoning, tool calls or logprobs object, one content field). False: the
 * caller takes the general path. */
bool cx__chat_plain_delta(const char *data, size_t len, cx_buf *text, const char **finish,
                          size_t *finish_len);

#endif
