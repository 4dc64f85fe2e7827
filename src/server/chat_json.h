/* JSON pieces of the Responses wire that hold no stream state, for
 * chat_stream.c. Library-internal. */
#ifndef CX_SERVER_CHAT_JSON_H
#define CX_SERVER_CHAT_JSON_H

#include <json-c/json.h>
#include <stddef.h>

#include "base/buf.h"

/* Adds to r the fields of a Response object that echo the request
 * (background, error, instructions, ..., user), in the API's order, with the
 * API's defaults for what the request leaves out. */
void cx__chat_response_shape(json_object *r, const json_object *responses_req);
/* Chat usage renamed to the Responses fields (prompt_tokens -> input_tokens,
 * completion_tokens -> output_tokens, details kept); new reference. */
json_object *cx__chat_usage(const json_object *chat_usage);
/* Appends str as a JSON string, escaped the way cx_json_dump does. */
void cx__chat_json_quote(cx_buf *out, const char *str, size_t len);
/* The input text a custom tool call carries in its `input` argument (the
 * arguments themselves when they are not such an object); caller frees. */
char *cx__chat_custom_input(const char *args);

#endif
