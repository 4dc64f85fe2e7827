/* Running one response's tool calls: parallel-safe calls side by side on
 * threads, the rest one at a time, results in call order. Internal to core. */
#ifndef CX_CORE_TURN_TOOLS_H
#define CX_CORE_TURN_TOOLS_H

#include <json-c/json.h>

#include "ccodex/tools.h"

/* Runs the tool calls among items (an array of canonical output items) and
 * appends one output item per call to results (a JSON array), in call order.
 * Emits CX_EV_TOOL_STARTED / CX_EV_TOOL_COMPLETED through env->emit.
 * Returns 0, or the first fatal handler error (CX_ENOMEM, CX_ECANCELED). */
int cx__turn_run_tools(const cx_tool_registry *reg, const json_object *items,
                       const cx_tool_env *env, json_object *results);

#endif
