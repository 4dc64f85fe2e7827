/* Specs (request `tools` entries) of the sub-agent tools. Internal to core. */
#ifndef CX_CORE_SUBAGENT_SPECS_H
#define CX_CORE_SUBAGENT_SPECS_H

#include <json-c/json.h>

/* New spec object for spawn_agent, send_input, resume_agent, wait_agent or
 * close_agent; NULL for another name. */
json_object *cx__subagent_spec(const char *name);

#endif
