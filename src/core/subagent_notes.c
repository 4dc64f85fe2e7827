/* wait_agent's output hook (core/subagents.h, cx__subagents_followups): the
 * <subagent_notification> messages that follow a wait that saw agents settle. */
#include "core/subagents.h"

#include "base/buf.h"
#include "base/json.h"
#include "ccodex/items.h"

#include <string.h>

/* pycodex agent.py _build_follow_up_messages: a wait_agent result that reports
 * settled agents is followed by one user message per agent. */
void cx__subagents_followups(const json_object *calls, const json_object *results, json_object *out)
{
    size_t n = json_object_array_length(calls);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(calls, i);
        const char *name = cx__json_get_str(it, "name");
        if (!name || strcmp(name, "wait_agent") != 0) continue;
        const char *call_id = cx__json_get_str(it, "call_id");
        size_t m = json_object_array_length(results);
        for (size_t k = 0; k < m; k++) {
            json_object *r = json_object_array_get_idx(results, k);
            const char *rid = cx__json_get_str(r, "call_id");
            const char *text = cx__json_get_str(r, "output");
            if (!rid || !call_id || strcmp(rid, call_id) || !text) continue;
            json_object *parsed = NULL;
            if (cx__json_parse(text, strlen(text), &parsed, NULL) != 0) continue;
            json_object *status = cx__json_get(parsed, "status");
            if (status && json_object_is_type(status, json_type_object)) {
                json_object_object_foreach(status, agent_id, st)
                {
                    if (!json_object_is_type(st, json_type_object)) continue;
                    json_object *payload = json_object_new_object();
                    cx__json_set_str(payload, "agent_id", agent_id);
                    cx__json_set(payload, "status", json_object_get(st));
                    cx_buf b = CX_BUF_INIT;
                    cx__buf_puts(&b, "<subagent_notification>\n");
                    cx__json_dump(payload, &b);
                    cx__buf_puts(&b, "\n</subagent_notification>");
                    json_object_array_add(out, cx_item_user_text("user", cx__buf_str(&b)));
                    cx__buf_free(&b);
                    json_object_put(payload);
                }
            }
            json_object_put(parsed);
        }
    }
}
