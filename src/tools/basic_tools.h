/* The smaller built-in tools: update_plan, request_user_input, view_image
 * and the provider-side web_search declaration. */
#ifndef CX_TOOLS_BASIC_TOOLS_H
#define CX_TOOLS_BASIC_TOOLS_H

#include <json-c/json.h>

#include "ccodex/tools.h"
#include "tools/grants.h"

/* Asks the user the questions of a request_user_input call ({"questions":[..]},
 * borrowed) and returns the answer object ({"answers":{id:{"answers":[..]}}},
 * new reference), or NULL when the user gave none. */
typedef json_object *(*cx_ask_user_fn)(void *user, const json_object *request);

/* Asks one multiple-choice question (id, header, text; options_json is a JSON
 * array of {"label","description"}) and returns the label or text the user
 * answered (malloc), "" for an empty answer, or NULL when nobody answered
 * (ask NULL, cancelled, out of memory). */
char *cx__ask_choice(cx_ask_user_fn ask, void *user, const char *id, const char *header,
                     const char *text, const char *options_json);

int cx__plan_tool_register(cx_tool_registry *reg);
/* ask may be NULL: Plan-mode calls then report that no user can be asked. */
int cx__user_input_tool_register(cx_tool_registry *reg, cx_ask_user_fn ask, void *ask_user);
/* pycodex's request_permissions; the question reaches the user through ask
 * (NULL: the call reports it was cancelled). What the user grants widens the
 * session's sandbox through grants (borrowed, may be NULL). */
int cx__permissions_tool_register(cx_tool_registry *reg, cx_ask_user_fn ask, void *ask_user,
                                  cx__grants *grants);
int cx__view_image_tool_register(cx_tool_registry *reg);
/* cx_image_data_url and cx_image_unsupported_text: include/ccodex/tools.h */
int cx__web_search_tool_register(cx_tool_registry *reg, bool external_web_access);

#endif
