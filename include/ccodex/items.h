/* Conversation items: JSON objects in the Responses API shape, as Codex
 * records them in history and sends them back in `input`.
 *
 * Items are json-c objects so that fields we do not model (e.g. a reasoning
 * item's encrypted_content) travel back to the server untouched. The
 * constructors build them with the key order upstream Codex serialises. */
#ifndef CCODEX_ITEMS_H
#define CCODEX_ITEMS_H

#include <json-c/json.h>
#include <stdbool.h>
#include "ccodex/export.h"

CX_BEGIN_DECLS

/* New {"type":"message","role":role,"content":[{"type":"input_text","text":text}]}. */
CX_EXTERN json_object *cx_item_user_text(const char *role, const char *text);
/* New assistant message with one output_text part. */
CX_EXTERN json_object *cx_item_assistant_text(const char *text);
/* New {"type":"function_call_output","call_id","output"}; output is a string
 * or, when content is given (an array, reference taken), that array. */
CX_EXTERN json_object *cx_item_function_output(const char *call_id, const char *text,
                                               json_object *content);
/* New {"type":"custom_tool_call_output","call_id","output"}; output as for
 * cx_item_function_output (a string, or the content array when given). */
CX_EXTERN json_object *cx_item_custom_output(const char *call_id, const char *text,
                                             json_object *content);

/* Rebuilds an item received from the model (response.output_item.done) in the
 * canonical shape Codex stores and replays: server-only fields (id, status,
 * annotations) dropped, keys in upstream's order, unknown item types kept as
 * they came. Returns a new reference, or NULL for items that are not kept
 * (none today) or on OOM. */
CX_EXTERN json_object *cx_item_from_model(const json_object *item);

/* The concatenated output_text of an assistant message item, or NULL. The
 * returned string is new (caller frees). */
CX_EXTERN char *cx_item_message_text(const json_object *item);

/* True for function_call / custom_tool_call / local_shell_call items. */
CX_EXTERN bool cx_item_is_tool_call(const json_object *item);

CX_END_DECLS

#endif
