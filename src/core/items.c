/* Conversation item constructors and canonicalisation. The key order mirrors
 * upstream's serde order (codex-rs/protocol models.rs), since the conformance
 * comparison checks order, and replayed items must look like upstream's. */
#include "ccodex/items.h"

#include "base/buf.h"
#include "base/json.h"

#include <string.h>

static json_object *text_part(const char *type, const char *text)
{
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "type", type);
    cx__json_set_str(p, "text", text ? text : "");
    return p;
}

json_object *cx_item_user_text(const char *role, const char *text)
{
    json_object *m = json_object_new_object();
    cx__json_set_str(m, "type", "message");
    cx__json_set_str(m, "role", role);
    json_object *content = json_object_new_array();
    json_object_array_add(content, text_part("input_text", text));
    cx__json_set(m, "content", content);
    return m;
}

json_object *cx_item_assistant_text(const char *text)
{
    json_object *m = json_object_new_object();
    cx__json_set_str(m, "type", "message");
    cx__json_set_str(m, "role", "assistant");
    json_object *content = json_object_new_array();
    json_object_array_add(content, text_part("output_text", text));
    cx__json_set(m, "content", content);
    return m;
}

static json_object *output_item(const char *type, const char *call_id, const char *text,
                                json_object *content)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", type);
    cx__json_set_str(o, "call_id", call_id ? call_id : "");
    if (content)
        cx__json_set(o, "output", content);
    else
        cx__json_set(o, "output", cx__json_string(text ? text : ""));
    return o;
}

json_object *cx_item_function_output(const char *call_id, const char *text, json_object *content)
{
    return output_item("function_call_output", call_id, text, content);
}

json_object *cx_item_custom_output(const char *call_id, const char *text, json_object *content)
{
    return output_item("custom_tool_call_output", call_id, text, content);
}

/* Copies key from src to dst if present (deep copy). */
static void copy_key(json_object *dst, const json_object *src, const char *key)
{
    json_object *v = cx__json_get(src, key);
    if (v) cx__json_set(dst, key, cx__json_copy(v));
}

static json_object *canonical_content(const json_object *content)
{
    json_object *out = json_object_new_array();
    if (!content || !json_object_is_type(content, json_type_array)) return out;
    size_t n = json_object_array_length(content);
    for (size_t i = 0; i < n; i++) {
        json_object *part = json_object_array_get_idx(content, i);
        const char *type = cx__json_get_str(part, "type");
        if (type && (!strcmp(type, "output_text") || !strcmp(type, "input_text"))) {
            json_object_array_add(out, text_part(type, cx__json_get_str(part, "text")));
        } else if (type && !strcmp(type, "input_image")) {
            json_object *p = json_object_new_object();
            cx__json_set_str(p, "type", type);
            copy_key(p, part, "image_url");
            json_object_array_add(out, p);
        } else {
            json_object_array_add(out, cx__json_copy(part));
        }
    }
    return out;
}

/* Upstream serialises reasoning `content` only when it holds reasoning_text parts. */
static bool has_reasoning_text(const json_object *content)
{
    if (!content || !json_object_is_type(content, json_type_array)) return false;
    size_t n = json_object_array_length(content);
    for (size_t i = 0; i < n; i++) {
        const char *t = cx__json_get_str(json_object_array_get_idx(content, i), "type");
        if (t && !strcmp(t, "reasoning_text")) return true;
    }
    return false;
}

json_object *cx_item_from_model(const json_object *item)
{
    const char *type = cx__json_get_str(item, "type");
    if (!type) return cx__json_copy(item);
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", type);
    if (!strcmp(type, "message")) {
        copy_key(o, item, "role");
        cx__json_set(o, "content", canonical_content(cx__json_get(item, "content")));
    } else if (!strcmp(type, "reasoning")) {
        json_object *summary = cx__json_get(item, "summary");
        cx__json_set(o, "summary", summary ? cx__json_copy(summary) : json_object_new_array());
        json_object *content = cx__json_get(item, "content");
        if (has_reasoning_text(content)) cx__json_set(o, "content", cx__json_copy(content));
        json_object *enc = cx__json_get(item, "encrypted_content");
        cx__json_set(o, "encrypted_content", enc ? cx__json_copy(enc) : NULL);
    } else if (!strcmp(type, "function_call")) {
        copy_key(o, item, "name");
        copy_key(o, item, "arguments");
        copy_key(o, item, "call_id");
    } else if (!strcmp(type, "custom_tool_call")) {
        copy_key(o, item, "call_id");
        copy_key(o, item, "name");
        copy_key(o, item, "input");
    } else if (!strcmp(type, "web_search_call")) {
        copy_key(o, item, "status");
        copy_key(o, item, "action");
    } else {
        json_object_put(o);
        return cx__json_copy(item);
    }
    return o;
}

char *cx_item_message_text(const json_object *item)
{
    const char *type = cx__json_get_str(item, "type");
    if (!type || strcmp(type, "message") != 0) return NULL;
    json_object *content = cx__json_get(item, "content");
    if (!content || !json_object_is_type(content, json_type_array)) return NULL;
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    size_t n = json_object_array_length(content);
    for (size_t i = 0; i < n; i++) {
        json_object *part = json_object_array_get_idx(content, i);
        const char *t = cx__json_get_str(part, "type");
        const char *text = cx__json_get_str(part, "text");
        if (t && text && (!strcmp(t, "output_text") || !strcmp(t, "input_text")))
            cx__buf_puts(&b, text);
    }
    return cx__buf_steal(&b);
}

bool cx_item_is_tool_call(const json_object *item)
{
    const char *type = cx__json_get_str(item, "type");
    return type && (!strcmp(type, "function_call") || !strcmp(type, "custom_tool_call") ||
                    !strcmp(type, "local_shell_call"));
}
