/* The mock web search of the responses server: see chat_search.h. */
#include "server/chat_search.h"

#include "base/json.h"
#include "server/chat_request.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void cx__chat_search_queries(const char *args, json_object *target)
{
    json_object *o = NULL;
    const char *query = NULL;
    json_object *queries = json_object_new_array();
    if (args && !cx__json_parse(args, strlen(args), &o, NULL) &&
        json_object_is_type(o, json_type_object)) {
        query = cx__json_get_str(o, "query");
        json_object *qs = cx__json_get(o, "queries");
        size_t n =
            qs && json_object_is_type(qs, json_type_array) ? json_object_array_length(qs) : 0;
        for (size_t i = 0; i < n; i++) {
            const char *q = json_object_get_string(json_object_array_get_idx(qs, i));
            if (q && *q) json_object_array_add(queries, json_object_new_string(q));
        }
        if ((!query || !*query) && json_object_array_length(queries))
            query = json_object_get_string(json_object_array_get_idx(queries, 0));
    } else if (args && *args) {
        query = args;
    }
    if (query && *query) {
        cx__json_set_str(target, "query", query);
        bool listed = false;
        for (size_t i = 0; i < json_object_array_length(queries); i++)
            if (!strcmp(json_object_get_string(json_object_array_get_idx(queries, i)), query))
                listed = true;
        if (!listed)
            json_object_array_put_idx(queries, json_object_array_length(queries),
                                      json_object_new_string(query));
    }
    if (json_object_array_length(queries))
        cx__json_set(target, "queries", queries);
    else
        json_object_put(queries);
    json_object_put(o);
}

/* The chat request that answers the mock searches with empty results. */
json_object *cx__chat_search_followup(const json_object *chat_req, const cx__search_call *calls,
                                      size_t n, const char *reasoning, size_t reasoning_len)
{
    json_object *next = cx__json_copy(chat_req);
    json_object *messages = cx__json_get(next, "messages");
    json_object *assistant_msg = json_object_new_object();
    cx__json_set_str(assistant_msg, "role", "assistant");
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_new_object();
        cx__json_set_str(c, "id", calls[i].id);
        cx__json_set_str(c, "type", "function");
        json_object *fn = json_object_new_object();
        cx__json_set_str(fn, "name", CX_CHAT_MOCK_SEARCH);
        cx__json_set_str(fn, "arguments", calls[i].args && *calls[i].args ? calls[i].args : "{}");
        cx__json_set(c, "function", fn);
        json_object_array_add(list, c);
    }
    cx__json_set(assistant_msg, "tool_calls", list);
    if (reasoning_len)
        cx__json_set(assistant_msg, "reasoning", cx__json_string_len(reasoning, reasoning_len));
    json_object_array_add(messages, assistant_msg);
    for (size_t i = 0; i < n; i++) {
        json_object *result = json_object_new_object();
        cx__json_set(result, "results", json_object_new_array());
        cx__json_set(result, "mock", json_object_new_boolean(1));
        cx__chat_search_queries(calls[i].args, result);
        char *text = cx__json_to_string(result);
        json_object_put(result);
        json_object *m = json_object_new_object();
        cx__json_set_str(m, "role", "tool");
        cx__json_set_str(m, "tool_call_id", calls[i].id);
        cx__json_set_str(m, "content", text ? text : "{}");
        free(text);
        json_object_array_add(messages, m);
    }
    /* the search was answered: the follow-up no longer offers it */
    json_object *tools = cx__json_get(next, "tools");
    if (tools) {
        json_object *kept = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(tools); i++) {
            json_object *t = json_object_array_get_idx(tools, i);
            const char *name = cx__json_get_str(cx__json_get(t, "function"), "name");
            if (!name || strcmp(name, CX_CHAT_MOCK_SEARCH))
                json_object_array_add(kept, json_object_get(t));
        }
        if (json_object_array_length(kept)) {
            cx__json_set(next, "tools", kept);
        } else {
            json_object_put(kept);
            json_object_object_del(next, "tools");
            json_object_object_del(next, "tool_choice");
            json_object_object_del(next, "parallel_tool_calls");
        }
    }
    return next;
}
