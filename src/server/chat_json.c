/* JSON pieces of the Responses wire that hold no stream state: see chat_json.h. */
#include "server/chat_json.h"

#include "base/escape.h"
#include "base/json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Sets key to a copy of the request's field, or to fallback (taken) when the
 * request has none. */
static void shape_field(json_object *shape, const json_object *req, const char *key,
                        json_object *fallback)
{
    json_object *v = cx__json_get(req, key);
    if (v) {
        json_object_put(fallback);
        json_object_object_add(shape, key, cx__json_copy(v));
    } else {
        json_object_object_add(shape, key, fallback);
    }
}

/* The fields of the Response object that echo the request, in the API's order. */
void cx__chat_response_shape(json_object *r, const json_object *req)
{
    json_object_object_add(r, "background", json_object_new_boolean(0));
    json_object_object_add(r, "error", NULL);
    json_object_object_add(r, "incomplete_details", NULL);
    shape_field(r, req, "instructions", NULL);
    shape_field(r, req, "max_output_tokens", NULL);
    shape_field(r, req, "metadata", json_object_new_object());
    shape_field(r, req, "parallel_tool_calls", json_object_new_boolean(1));
    shape_field(r, req, "previous_response_id", NULL);
    json_object *reasoning = json_object_new_object();
    const char *effort = cx__json_get_str(cx__json_get(req, "reasoning"), "effort");
    json_object_object_add(reasoning, "effort", effort ? json_object_new_string(effort) : NULL);
    const char *summary = cx__json_get_str(cx__json_get(req, "reasoning"), "summary");
    json_object_object_add(reasoning, "summary", summary ? json_object_new_string(summary) : NULL);
    json_object_object_add(r, "reasoning", reasoning);
    bool store = true;
    cx__json_get_bool(req, "store", &store);
    json_object_object_add(r, "store", json_object_new_boolean(store));
    shape_field(r, req, "temperature", json_object_new_double(1.0));
    json_object *text = json_object_new_object();
    json_object *fmt = json_object_new_object();
    cx__json_set_str(fmt, "type", "text");
    cx__json_set(text, "format", fmt);
    shape_field(r, req, "text", text);
    shape_field(r, req, "tool_choice", json_object_new_string("auto"));
    shape_field(r, req, "tools", json_object_new_array());
    shape_field(r, req, "top_p", json_object_new_double(1.0));
    json_object_object_add(r, "truncation", json_object_new_string("disabled"));
    shape_field(r, req, "user", NULL);
}

json_object *cx__chat_usage(const json_object *u)
{
    json_object *r = json_object_new_object();
    static const char *const map[][3] = {{"input_tokens", "input_tokens", "prompt_tokens"},
                                         {"output_tokens", "output_tokens", "completion_tokens"},
                                         {"total_tokens", "total_tokens", NULL}};
    for (int i = 0; i < 3; i++) {
        int64_t v;
        if (cx__json_get_int(u, map[i][1], &v) || (map[i][2] && cx__json_get_int(u, map[i][2], &v)))
            cx__json_set(r, map[i][0], json_object_new_int64(v));
    }
    static const char *const details[][3] = {
        {"input_tokens_details", "input_tokens_details", "prompt_tokens_details"},
        {"output_tokens_details", "output_tokens_details", "completion_tokens_details"}};
    for (int i = 0; i < 2; i++) {
        json_object *d = cx__json_get(u, details[i][1]);
        if (!d) d = cx__json_get(u, details[i][2]);
        if (d && json_object_is_type(d, json_type_object))
            cx__json_set(r, details[i][0], cx__json_copy(d));
    }
    return r;
}

/* Appends s as a JSON string, escaped the way cx__json_dump does. */
void cx__chat_json_quote(cx_buf *out, const char *str, size_t len)
{
    cx__escape_quoted(out, str, len, CX_ESC_JSON);
}

size_t cx__chat_put_str(cx_buf *out, const json_object *obj, const char *key)
{
    json_object *v = key ? cx__json_get(obj, key) : (json_object *)obj;
    if (!v || !json_object_is_type(v, json_type_string)) return 0;
    size_t n = (size_t)json_object_get_string_len(v);
    cx__buf_append(out, json_object_get_string(v), n);
    return n;
}

json_object *cx__chat_copy_str(const json_object *obj, const char *key, const char *dflt)
{
    cx_buf b = CX_BUF_INIT;
    if (!cx__chat_put_str(&b, obj, key)) cx__buf_puts(&b, dflt);
    json_object *v = cx__json_string_len(b.data ? b.data : "", b.len);
    cx__buf_free(&b);
    return v;
}

json_object *cx__chat_custom_input(const char *args, size_t len)
{
    json_object *o = NULL;
    if (args && !cx__json_parse(args, len, &o, NULL) && json_object_is_type(o, json_type_object) &&
        cx__json_get(o, "input")) {
        json_object *v = cx__json_get(o, "input");
        json_object *r =
            json_object_is_type(v, json_type_string) ? cx__chat_copy_str(v, NULL, "") : NULL;
        if (!r) {
            char *text = cx__json_to_string(v);
            r = json_object_new_string(text ? text : "");
            free(text);
        }
        json_object_put(o);
        return r;
    }
    json_object_put(o);
    return cx__json_string_len(args ? args : "", args ? len : 0);
}

static bool contains(const char *data, size_t len, const char *needle)
{
    return memmem(data, len, needle, strlen(needle)) != NULL;
}

bool cx__chat_plain_delta(const char *data, size_t len, cx_buf *text, const char **finish,
                          size_t *finish_len)
{
    *finish = NULL;
    *finish_len = 0;
    if (contains(data, len, "\"tool_calls\"") || contains(data, len, "\"usage\":{") ||
        contains(data, len, "\"error\"") || contains(data, len, "\"reasoning") ||
        contains(data, len, "\"logprobs\":{"))
        return false;
    const char *key = memmem(data, len, "\"content\":", 10);
    if (!key || memmem(key + 10, len - (size_t)(key + 10 - data), "\"content\":", 10)) return false;
    const char *p = key + 10, *end = data + len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    size_t start = text->len;
    if (p < end && *p == '"') {
        size_t at = (size_t)(p + 1 - data);
        if (cx__json_scan_string(data, len, &at, text) != 0) {
            cx__buf_truncate(text, start);
            return false;
        }
    } else if (!(end - p >= 4 && !memcmp(p, "null", 4))) {
        return false;
    }
    const char *fin = memmem(data, len, "\"finish_reason\":", 16);
    if (fin) {
        const char *f = fin + 16;
        while (f < end && *f == ' ')
            f++;
        if (f < end && *f == '"' && f + 1 < end && f[1] != '"') {
            const char *q = memchr(f + 1, '"', (size_t)(end - f - 1));
            *finish = f + 1;
            *finish_len = q ? (size_t)(q - f - 1) : 0;
        }
    }
    if (text->len > start && !cx__utf8_valid(text->data + start, text->len - start)) {
        cx_buf fixed = CX_BUF_INIT;
        cx__utf8_repair(text->data + start, text->len - start, &fixed);
        cx__buf_truncate(text, start);
        cx__buf_append(text, fixed.data, fixed.len);
        cx__buf_free(&fixed);
    }
    return true;
}
