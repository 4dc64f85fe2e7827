/* How MCP tools look to the model: qualified names, input schemas reduced to
 * what the Responses API's function tools accept, and tools/call results
 * turned into function_call_output values (upstream 0.115.0's shapes). */
#include "mcp/mcp.h"

#include "base/buf.h"
#include "base/json.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOOL_NAME 64

char *cx__mcp_qualified_name(const char *server, const char *tool)
{
    char *raw = NULL;
    if (asprintf(&raw, "mcp__%s__%s", server, tool) < 0) return NULL;
    size_t n = strlen(raw);
    char *name = strdup(raw);
    if (!name) {
        free(raw);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            name[i] = '_';
    }
    if (n > MAX_TOOL_NAME) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        EVP_Digest(raw, n, md, &mdlen, EVP_sha1(), NULL);
        size_t keep = MAX_TOOL_NAME - 2 * (size_t)mdlen;
        for (unsigned i = 0; i < mdlen; i++)
            snprintf(name + keep + 2 * i, 3, "%02x", md[i]);
    }
    free(raw);
    return name;
}

static bool has(const json_object *o, const char *k)
{
    return json_object_object_get_ex(o, k, NULL);
}

/* The schema type upstream settles on: the `type` string (or the first
 * string of a type list), else one inferred from the keywords present, else
 * "string"; "integer" reads as "number". */
static const char *schema_type(const json_object *s)
{
    json_object *t = cx__json_get(s, "type");
    const char *ty = NULL;
    if (json_object_is_type(t, json_type_string)) {
        ty = json_object_get_string(t);
    } else if (json_object_is_type(t, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(t) && !ty; i++) {
            json_object *e = json_object_array_get_idx(t, i);
            if (json_object_is_type(e, json_type_string) &&
                strcmp(json_object_get_string(e), "null"))
                ty = json_object_get_string(e);
        }
    }
    if (!ty) {
        if (has(s, "properties") || has(s, "required") || has(s, "additionalProperties"))
            ty = "object";
        else if (has(s, "items") || has(s, "prefixItems"))
            ty = "array";
        else if (has(s, "minimum") || has(s, "maximum") || has(s, "exclusiveMinimum") ||
                 has(s, "exclusiveMaximum") || has(s, "multipleOf"))
            ty = "number";
        else /* also for enum, const and format */
            ty = "string";
    }
    if (!strcmp(ty, "integer")) return "number";
    if (strcmp(ty, "object") && strcmp(ty, "array") && strcmp(ty, "number") &&
        strcmp(ty, "boolean") && strcmp(ty, "string") && strcmp(ty, "null"))
        return "string";
    return ty;
}

static json_object *sanitize(const json_object *s, int depth)
{
    json_object *out = json_object_new_object();
    if (!json_object_is_type(s, json_type_object) || depth > 64) {
        cx__json_set_str(out, "type", "string");
        return out;
    }
    const char *ty = schema_type(s);
    cx__json_set_str(out, "type", ty);
    const char *desc = cx__json_get_str(s, "description");
    if (!strcmp(ty, "object")) {
        json_object *props = cx__json_get(s, "properties");
        json_object *p = json_object_new_object();
        if (json_object_is_type(props, json_type_object)) {
            json_object_object_foreach(props, k, v) cx__json_set(p, k, sanitize(v, depth + 1));
        }
        cx__json_set(out, "properties", p);
        json_object *req = cx__json_get(s, "required");
        if (json_object_is_type(req, json_type_array))
            cx__json_set(out, "required", json_object_get(req));
        json_object *ap = cx__json_get(s, "additionalProperties");
        if (json_object_is_type(ap, json_type_boolean))
            cx__json_set(out, "additionalProperties", json_object_get(ap));
        else if (json_object_is_type(ap, json_type_object))
            cx__json_set(out, "additionalProperties", sanitize(ap, depth + 1));
    } else if (!strcmp(ty, "array")) {
        json_object *items = cx__json_get(s, "items");
        cx__json_set(out, "items", sanitize(items, depth + 1));
    }
    if (desc) cx__json_set_str(out, "description", desc);
    return out;
}

json_object *cx__mcp_sanitize_schema(const json_object *schema)
{
    return sanitize(schema, 0);
}

static bool any_image(const json_object *content)
{
    size_t n = json_object_array_length(content);
    for (size_t i = 0; i < n; i++) {
        const char *t = cx__json_get_str(json_object_array_get_idx(content, i), "type");
        if (t && !strcmp(t, "image")) return true;
    }
    return false;
}

/* Content blocks as Responses input items: text and images as themselves,
 * anything else (audio, resources, links) as its JSON text. */
static json_object *as_input_items(const json_object *content)
{
    json_object *arr = json_object_new_array();
    size_t n = json_object_array_length(content);
    for (size_t i = 0; i < n; i++) {
        json_object *b = json_object_array_get_idx(content, i);
        const char *t = cx__json_get_str(b, "type");
        json_object *item = json_object_new_object();
        if (t && !strcmp(t, "text") && cx__json_get_str(b, "text")) {
            cx__json_set_str(item, "type", "input_text");
            cx__json_set_str(item, "text", cx__json_get_str(b, "text"));
        } else if (t && !strcmp(t, "image") && cx__json_get_str(b, "data")) {
            cx_buf url = CX_BUF_INIT;
            cx__buf_printf(&url, "data:%s;base64,%s",
                           cx__json_get_str(b, "mimeType") ?: "image/png",
                           cx__json_get_str(b, "data"));
            cx__json_set_str(item, "type", "input_image");
            cx__json_set_str(item, "image_url", cx__buf_str(&url));
            cx__buf_free(&url);
        } else {
            char *js = cx__json_to_string(b);
            cx__json_set_str(item, "type", "input_text");
            cx__json_set_str(item, "text", js ? js : "");
            free(js);
        }
        json_object_array_add(arr, item);
    }
    return arr;
}

int cx__mcp_result_output(const json_object *result, cx_tool_output *out)
{
    json_object *structured = cx__json_get(result, "structuredContent");
    json_object *content = cx__json_get(result, "content");
    bool content_ok = json_object_is_type(content, json_type_array);
    if (structured) {
        out->text = cx__json_to_string(structured);
        return out->text ? 0 : CX_ENOMEM;
    }
    if (!content_ok || json_object_array_length(content) == 0) return 1;
    if (any_image(content)) {
        out->content = as_input_items(content);
        return out->content ? 0 : CX_ENOMEM;
    }
    out->text = cx__json_to_string(content);
    return out->text ? 0 : CX_ENOMEM;
}
