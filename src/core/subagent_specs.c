/* Tool declarations for the sub-agent tools. Parameter names, types and
 * required lists follow upstream 0.115.0 exactly; the descriptions are ours. */
#include "core/subagent_specs.h"

#include "base/json.h"

#include <string.h>

#define ITEMS_SCHEMA                                                                               \
    "{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"                          \
    "\"image_url\":{\"type\":\"string\",\"description\":\"For an image item: its URL.\"},"         \
    "\"name\":{\"type\":\"string\",\"description\":\"For a skill or mention item: the name to "    \
    "show.\"},"                                                                                    \
    "\"path\":{\"type\":\"string\",\"description\":\"For local_image or skill items: the file; "   \
    "for a mention: the target it points at.\"},"                                                  \
    "\"text\":{\"type\":\"string\",\"description\":\"For a text item: the text.\"},"               \
    "\"type\":{\"type\":\"string\",\"description\":\"One of text, image, local_image, skill, "     \
    "mention.\"}},\"additionalProperties\":false},"                                                \
    "\"description\":\"Input as structured items, for when plain text is not enough.\"}"

static const char *const SPECS[] = {
    "{\"type\":\"function\",\"name\":\"spawn_agent\",\"description\":\"Start a helper agent on a "
    "clearly bounded task and get back its id (and a nickname) for later calls. Only do this "
    "when the user asked for sub-agents or parallel delegation.\",\"strict\":false,"
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"agent_type\":{\"type\":\"string\",\"description\":\"Role of the new agent; `default` when "
    "left out.\"},"
    "\"fork_context\":{\"type\":\"boolean\",\"description\":\"Give the new agent a copy of this "
    "conversation before its first message.\"},"
    "\"items\":" ITEMS_SCHEMA ","
    "\"message\":{\"type\":\"string\",\"description\":\"The task, as plain text. Give this or "
    "items.\"},"
    "\"model\":{\"type\":\"string\",\"description\":\"Model for the new agent instead of the "
    "current one.\"},"
    "\"reasoning_effort\":{\"type\":\"string\",\"description\":\"Reasoning effort for the new "
    "agent instead of the current one.\"}},\"additionalProperties\":false}}",

    "{\"type\":\"function\",\"name\":\"send_input\",\"description\":\"Give more input to an agent "
    "you spawned. With interrupt=true it drops what it is doing and takes this at once.\","
    "\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"id\":{\"type\":\"string\",\"description\":\"The agent id spawn_agent returned.\"},"
    "\"interrupt\":{\"type\":\"boolean\",\"description\":\"Stop the agent's current work first; "
    "otherwise the input waits its turn.\"},"
    "\"items\":" ITEMS_SCHEMA ","
    "\"message\":{\"type\":\"string\",\"description\":\"The input as plain text. Give this or "
    "items.\"}},\"required\":[\"id\"],\"additionalProperties\":false}}",

    "{\"type\":\"function\",\"name\":\"resume_agent\",\"description\":\"Bring a closed agent back "
    "so it accepts send_input and wait_agent again.\",\"strict\":false,\"parameters\":{\"type\":"
    "\"object\",\"properties\":{\"id\":{\"type\":\"string\",\"description\":\"The agent to "
    "resume.\"}},\"required\":[\"id\"],\"additionalProperties\":false}}",

    "{\"type\":\"function\",\"name\":\"wait_agent\",\"description\":\"Block until one of the named "
    "agents is finished and report their statuses (a finished agent's status carries its last "
    "message). An empty status means the wait timed out.\",\"strict\":false,\"parameters\":{"
    "\"type\":\"object\",\"properties\":{\"ids\":{\"type\":\"array\",\"items\":{\"type\":"
    "\"string\"},\"description\":\"Agents to wait for; the first to finish ends the wait.\"},"
    "\"timeout_ms\":{\"type\":\"number\",\"description\":\"How long to wait, in milliseconds: "
    "30000 by default, between 10000 and 3600000.\"}},\"required\":[\"ids\"],"
    "\"additionalProperties\":false}}",

    "{\"type\":\"function\",\"name\":\"close_agent\",\"description\":\"Shut an agent down once "
    "its work is no longer needed; returns the status it had.\",\"strict\":false,"
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\","
    "\"description\":\"The agent to close.\"}},\"required\":[\"id\"],"
    "\"additionalProperties\":false}}",
};

json_object *cx__subagent_spec(const char *name)
{
    for (size_t i = 0; i < sizeof SPECS / sizeof SPECS[0]; i++) {
        json_object *o = NULL;
        if (cx__json_parse(SPECS[i], strlen(SPECS[i]), &o, NULL) != 0) return NULL;
        const char *n = cx__json_get_str(o, "name");
        if (n && !strcmp(n, name)) return o;
        json_object_put(o);
    }
    return NULL;
}
