/* Responses -> Chat Completions request translation: see chat_request.h. */
#include "server/chat_request.h"

#include "base/buf.h"
#include "base/json.h"
#include "server/chat_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOCK_SEARCH CX_CHAT_MOCK_SEARCH
/* Our own texts; the model reads them in place of the freeform grammar. */
#define MOCK_SEARCH_DESCRIPTION                                                                    \
    "Search the web. This server has no search backend: results are always empty."
#define PATCH_DESCRIPTION                                                                          \
    "Edit files with a patch. Put the whole patch in `input`: it starts with `*** Begin Patch` "   \
    "and "                                                                                         \
    "ends with `*** End Patch`; between them come file sections: `*** Add File: PATH` followed "   \
    "by "                                                                                          \
    "the new lines each prefixed with `+`; `*** Delete File: PATH`; or `*** Update File: PATH`, "  \
    "optionally `*** Move to: NEWPATH`, then hunks that start with `@@` (optionally followed by "  \
    "a "                                                                                           \
    "class or function name to locate the change) and contain context lines prefixed with a "      \
    "space, "                                                                                      \
    "removed lines prefixed with `-` and added lines prefixed with `+`. Give about three lines "   \
    "of "                                                                                          \
    "context around each change. Paths are relative to the working directory."
#define PATCH_INPUT_DESCRIPTION "The complete patch text, from *** Begin Patch to *** End Patch."
#define CUSTOM_INPUT_DESCRIPTION "The tool's raw input, passed through unchanged as one string."

static int refuse(cx_error *err, const char *fmt, const char *arg)
{
    return cx_error_set(err, CX_EINVAL, fmt, arg ? arg : "");
}

/* ---- request ---------------------------------------------------------------- */

/* Joins the text parts of a message's content; refuses anything but text. */
static int content_text(const json_object *content, cx_buf *out, cx_error *err)
{
    if (!content) return 0;
    if (json_object_is_type(content, json_type_string)) {
        cx__chat_put_str(out, content, NULL);
        return 0;
    }
    if (!json_object_is_type(content, json_type_array))
        return refuse(err, "message content must be a string or a list%s", NULL);
    size_t n = json_object_array_length(content);
    for (size_t i = 0; i < n; i++) {
        json_object *part = json_object_array_get_idx(content, i);
        const char *type = cx__json_get_str(part, "type");
        if (type && (!strcmp(type, "input_text") || !strcmp(type, "output_text"))) {
            cx__chat_put_str(out, part, "text");
            continue;
        }
        return refuse(err, "content of type '%s' cannot be sent to a chat completions backend",
                      type ? type : "?");
    }
    return 0;
}

/* An input_image part as a chat image_url part (new reference), or NULL with
 * err: chat backends take data: and http(s): URLs, not uploaded file ids. */
static json_object *image_part(const json_object *part, cx_error *err)
{
    json_object *iu = cx__json_get(part, "image_url");
    const char *url = iu && json_object_is_type(iu, json_type_string) ? json_object_get_string(iu)
                                                                      : cx__json_get_str(iu, "url");
    if (!url ||
        (strncmp(url, "data:", 5) && strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
        refuse(err,
               "input_image needs an image_url that is a data: or http(s): URL (file_id '%s' "
               "cannot be sent to a chat completions backend)",
               cx__json_get_str(part, "file_id") ? cx__json_get_str(part, "file_id") : "");
        return NULL;
    }
    json_object *img = json_object_new_object();
    cx__json_set_str(img, "url", url);
    const char *detail = cx__json_get_str(part, "detail");
    if (detail && *detail) cx__json_set_str(img, "detail", detail);
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "type", "image_url");
    cx__json_set(p, "image_url", img);
    return p;
}

/* A user/system/developer message's content: its text joined into one
 * string, or, when it carries images, a list of text and image_url parts. */
static int message_content(const json_object *content, json_object **out, cx_error *err)
{
    *out = NULL;
    bool images = false;
    size_t n = content && json_object_is_type(content, json_type_array)
                   ? json_object_array_length(content)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        const char *type = cx__json_get_str(json_object_array_get_idx(content, i), "type");
        if (type && !strcmp(type, "input_image")) images = true;
    }
    if (!images) {
        cx_buf text = CX_BUF_INIT;
        int rc = content_text(content, &text, err);
        if (!rc) *out = cx__json_string_len(text.data ? text.data : "", text.len);
        cx__buf_free(&text);
        return rc;
    }
    json_object *parts = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *part = json_object_array_get_idx(content, i);
        const char *type = cx__json_get_str(part, "type");
        json_object *p = NULL;
        if (type && !strcmp(type, "input_image")) {
            p = image_part(part, err);
        } else if (type && (!strcmp(type, "input_text") || !strcmp(type, "output_text"))) {
            p = json_object_new_object();
            cx__json_set_str(p, "type", "text");
            cx__json_set(p, "text", cx__chat_copy_str(part, "text", ""));
        } else {
            refuse(err, "content of type '%s' cannot be sent to a chat completions backend",
                   type ? type : "?");
        }
        if (!p) {
            json_object_put(parts);
            return CX_EINVAL;
        }
        json_object_array_add(parts, p);
    }
    *out = parts;
    return 0;
}

static int output_text(const json_object *output, cx_buf *out, cx_error *err)
{
    if (output && json_object_is_type(output, json_type_string)) {
        cx__chat_put_str(out, output, NULL);
        return 0;
    }
    if (output && json_object_is_type(output, json_type_array)) {
        int rc = content_text(output, out, err);
        if (rc) cx_error_prefix(err, CX_EINVAL, "structured tool output: ");
        return rc;
    }
    return cx__json_dump(output, out);
}

static void reasoning_text(const json_object *item, cx_buf *out)
{
    static const char *const lists[] = {"content", "summary"};
    for (int l = 0; l < 2; l++) {
        json_object *parts = cx__json_get(item, lists[l]);
        if (!parts || !json_object_is_type(parts, json_type_array)) continue;
        size_t before = out->len, n = json_object_array_length(parts);
        for (size_t i = 0; i < n; i++) {
            json_object *p = json_object_array_get_idx(parts, i);
            const char *type = cx__json_get_str(p, "type");
            if (type && (!strcmp(type, "reasoning_text") || !strcmp(type, "summary_text")))
                cx__chat_put_str(out, p, "text");
        }
        if (out->len > before) return;
    }
    static const char *const keys[] = {"reasoning", "reasoning_content", "text"};
    for (int k = 0; k < 3; k++) {
        if (cx__chat_put_str(out, item, keys[k])) return;
    }
}

typedef struct assistant {
    json_object *msg; /* the pending assistant message, or NULL */
    cx_buf content, reasoning;
} assistant;

static json_object *pending(assistant *a)
{
    if (!a->msg) {
        a->msg = json_object_new_object();
        cx__json_set_str(a->msg, "role", "assistant");
    }
    return a->msg;
}

static void flush(assistant *a, json_object *messages)
{
    if (!a->msg) return;
    if (a->content.len)
        cx__json_set(a->msg, "content", cx__json_string_len(a->content.data, a->content.len));
    if (a->reasoning.len)
        cx__json_set(a->msg, "reasoning", cx__json_string_len(a->reasoning.data, a->reasoning.len));
    if (a->content.len || a->reasoning.len || cx__json_get(a->msg, "tool_calls"))
        json_object_array_add(messages, a->msg);
    else
        json_object_put(a->msg);
    a->msg = NULL;
    cx__buf_reset(&a->content);
    cx__buf_reset(&a->reasoning);
}

static void add_tool_call(assistant *a, const char *id, const char *name, json_object *arguments)
{
    json_object *msg = pending(a);
    json_object *calls = cx__json_get(msg, "tool_calls");
    if (!calls) {
        calls = json_object_new_array();
        cx__json_set(msg, "tool_calls", calls);
    }
    json_object *call = json_object_new_object();
    cx__json_set_str(call, "id", id);
    cx__json_set_str(call, "type", "function");
    json_object *fn = json_object_new_object();
    cx__json_set_str(fn, "name", name);
    cx__json_set(fn, "arguments", arguments);
    cx__json_set(call, "function", fn);
    json_object_array_add(calls, call);
}

static json_object *simple_message(const char *role, const char *text, size_t len)
{
    json_object *m = json_object_new_object();
    cx__json_set_str(m, "role", role);
    cx__json_set(m, "content", cx__json_string_len(text, len));
    return m;
}

static int translate_input(const json_object *req, const json_object *input, json_object *messages,
                           cx_error *err)
{
    cx_buf instructions = CX_BUF_INIT;
    if (cx__chat_put_str(&instructions, req, "instructions"))
        json_object_array_add(messages,
                              simple_message("developer", instructions.data, instructions.len));
    cx__buf_free(&instructions);
    assistant a = {NULL, CX_BUF_INIT, CX_BUF_INIT};
    cx_buf text = CX_BUF_INIT;
    int rc = 0;
    size_t n = input ? json_object_array_length(input) : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        json_object *item = json_object_array_get_idx(input, i);
        const char *type =
            json_object_is_type(item, json_type_object) ? cx__json_get_str(item, "type") : NULL;
        if (!type && json_object_is_type(item, json_type_object) && cx__json_get(item, "role"))
            type = "message";
        if (!type) {
            rc = refuse(err, "input items must be objects with a type%s", NULL);
            break;
        }
        cx__buf_reset(&text);
        if (!strcmp(type, "message")) {
            const char *role = cx__json_get_str(item, "role");
            if (!role || (strcmp(role, "developer") && strcmp(role, "user") &&
                          strcmp(role, "assistant") && strcmp(role, "system"))) {
                rc = refuse(err, "unsupported message role '%s'", role ? role : "");
                break;
            }
            if (!strcmp(role, "assistant")) {
                if ((rc = content_text(cx__json_get(item, "content"), &text, err))) break;
                pending(&a);
                cx__buf_append(&a.content, text.data, text.len);
                continue;
            }
            json_object *content = NULL;
            if ((rc = message_content(cx__json_get(item, "content"), &content, err))) break;
            flush(&a, messages);
            json_object *m = json_object_new_object();
            cx__json_set_str(m, "role", role);
            cx__json_set(m, "content", content);
            json_object_array_add(messages, m);
        } else if (!strcmp(type, "reasoning")) {
            pending(&a);
            reasoning_text(item, &a.reasoning);
        } else if (!strcmp(type, "function_call")) {
            add_tool_call(
                &a, cx__json_get_str(item, "call_id") ? cx__json_get_str(item, "call_id") : "",
                cx__json_get_str(item, "name") ? cx__json_get_str(item, "name") : "",
                cx__chat_copy_str(item, "arguments", "{}"));
        } else if (!strcmp(type, "custom_tool_call")) {
            const char *name = cx__json_get_str(item, "name");
            if (!name || !*name) {
                rc = refuse(err, "custom tool call without a name%s", NULL);
                break;
            }
            const char *call_id = cx__json_get_str(item, "call_id");
            json_object *wrapped = json_object_new_object();
            cx__json_set(wrapped, "input", cx__chat_copy_str(item, "input", ""));
            cx_buf args = CX_BUF_INIT;
            int dumped = cx__json_dump(wrapped, &args);
            json_object_put(wrapped);
            add_tool_call(&a, call_id && *call_id ? call_id : name, name,
                          dumped || !args.data ? json_object_new_string("{}")
                                               : cx__json_string_len(args.data, args.len));
            cx__buf_free(&args);
        } else if (!strcmp(type, "function_call_output") ||
                   !strcmp(type, "custom_tool_call_output")) {
            if ((rc = output_text(cx__json_get(item, "output"), &text, err))) break;
            flush(&a, messages);
            json_object *m = simple_message("tool", text.data ? text.data : "", text.len);
            cx__json_set_str(m, "tool_call_id",
                             cx__json_get_str(item, "call_id") ? cx__json_get_str(item, "call_id")
                                                               : "");
            json_object_array_add(messages, m);
        } else if (!strcmp(type, "web_search_call")) {
            /* answered by this server's mock earlier; its empty results carry nothing */
        } else {
            rc = refuse(err, "unsupported input item type '%s'", type);
        }
    }
    if (!rc) flush(&a, messages);
    json_object_put(a.msg);
    cx__buf_free(&a.content);
    cx__buf_free(&a.reasoning);
    cx__buf_free(&text);
    return rc;
}

static json_object *function_tool(const char *name, const char *description,
                                  json_object *parameters, bool strict)
{
    json_object *t = json_object_new_object();
    cx__json_set_str(t, "type", "function");
    json_object *fn = json_object_new_object();
    cx__json_set_str(fn, "name", name);
    cx__json_set_str(fn, "description", description);
    cx__json_set(fn, "parameters", parameters);
    cx__json_set(fn, "strict", json_object_new_boolean(strict));
    cx__json_set(t, "function", fn);
    return t;
}

static json_object *mock_search_tool(void)
{
    static const char schema[] =
        "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\",\"description\":"
        "\"What to "
        "search "
        "for.\"},\"queries\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":"
        "\"More queries to run at once.\"}},\"required\":[\"query\"]}";
    json_object *params = NULL;
    cx__json_parse(schema, sizeof schema - 1, &params, NULL);
    return function_tool(MOCK_SEARCH, MOCK_SEARCH_DESCRIPTION, params, false);
}

static json_object *custom_tool(const json_object *tool)
{
    const char *name = cx__json_get_str(tool, "name");
    bool patch = !strcmp(name, "apply_patch");
    cx_buf desc = CX_BUF_INIT;
    if (patch) {
        cx__buf_puts(&desc, PATCH_DESCRIPTION);
    } else {
        const char *d = cx__json_get_str(tool, "description");
        if (d && *d) cx__buf_printf(&desc, "%s\n\n", d);
        cx__buf_puts(&desc, "Pass the tool's raw input as the `input` string.");
        json_object *fmt = cx__json_get(tool, "format");
        const char *syntax = fmt ? cx__json_get_str(fmt, "syntax") : NULL;
        const char *def = fmt ? cx__json_get_str(fmt, "definition") : NULL;
        if (syntax && def)
            cx__buf_printf(&desc, "\n\nThe input follows this %s grammar:\n%s", syntax, def);
    }
    json_object *params = json_object_new_object();
    cx__json_set_str(params, "type", "object");
    json_object *props = json_object_new_object();
    json_object *input = json_object_new_object();
    cx__json_set_str(input, "type", "string");
    cx__json_set_str(input, "description",
                     patch ? PATCH_INPUT_DESCRIPTION : CUSTOM_INPUT_DESCRIPTION);
    cx__json_set(props, "input", input);
    cx__json_set(params, "properties", props);
    json_object *req = json_object_new_array();
    json_object_array_add(req, json_object_new_string("input"));
    cx__json_set(params, "required", req);
    cx__json_set(params, "additionalProperties", json_object_new_boolean(0));
    json_object *t = function_tool(name, cx__buf_str(&desc), params, false);
    cx__buf_free(&desc);
    return t;
}

static int translate_tools(const json_object *tools, json_object *out, cx_error *err)
{
    size_t n = json_object_array_length(tools);
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(tools, i);
        const char *type = cx__json_get_str(t, "type");
        const char *name = cx__json_get_str(t, "name");
        if (type && !strcmp(type, "function") && name && *name) {
            json_object *params = cx__json_get(t, "parameters");
            bool strict = false;
            cx__json_get_bool(t, "strict", &strict);
            const char *d = cx__json_get_str(t, "description");
            json_object *p = params ? cx__json_copy(params) : NULL;
            if (!p) {
                p = json_object_new_object();
                cx__json_set_str(p, "type", "object");
            }
            json_object_array_add(out, function_tool(name, d ? d : "", p, strict));
        } else if (type && !strcmp(type, "web_search")) {
            json_object_array_add(out, mock_search_tool());
        } else if (type && !strcmp(type, "custom") && name && *name) {
            json_object_array_add(out, custom_tool(t));
        } else {
            return refuse(err, "unsupported tool type '%s'", type ? type : "(none)");
        }
    }
    return 0;
}

static int translate_tool_choice(const json_object *choice, json_object *chat, cx_error *err)
{
    if (json_object_is_type(choice, json_type_string)) {
        cx__json_set(chat, "tool_choice", cx__json_copy(choice));
        return 0;
    }
    const char *ctype = cx__json_get_str(choice, "type");
    const char *cname = cx__json_get_str(choice, "name");
    if (ctype && (!strcmp(ctype, "function") || !strcmp(ctype, "custom")) && cname && *cname) {
        json_object *c = json_object_new_object();
        cx__json_set_str(c, "type", "function");
        json_object *fn = json_object_new_object();
        cx__json_set_str(fn, "name", cname);
        cx__json_set(c, "function", fn);
        cx__json_set(chat, "tool_choice", c);
        return 0;
    }
    return refuse(err, "unsupported tool_choice%s", NULL);
}

/* text.format: json_schema and json_object become response_format. */
static int translate_format(const json_object *text, json_object *chat, cx_error *err)
{
    json_object *fmt = cx__json_get(text, "format");
    const char *type = cx__json_get_str(fmt, "type");
    if (!fmt || !type || !strcmp(type, "text")) return 0;
    json_object *rf = json_object_new_object();
    cx__json_set_str(rf, "type", type);
    if (!strcmp(type, "json_schema")) {
        const char *name = cx__json_get_str(fmt, "name");
        json_object *schema = cx__json_get(fmt, "schema");
        if (!name || !schema) {
            json_object_put(rf);
            return refuse(err, "text.format json_schema needs `name` and `schema`%s", NULL);
        }
        json_object *js = json_object_new_object();
        cx__json_set_str(js, "name", name);
        cx__json_set(js, "schema", cx__json_copy(schema));
        const char *d = cx__json_get_str(fmt, "description");
        if (d) cx__json_set_str(js, "description", d);
        bool strict;
        if (cx__json_get_bool(fmt, "strict", &strict))
            cx__json_set(js, "strict", json_object_new_boolean(strict));
        cx__json_set(rf, "json_schema", js);
    } else if (strcmp(type, "json_object")) {
        json_object_put(rf);
        return refuse(err, "unsupported text.format type '%s'", type);
    }
    cx__json_set(chat, "response_format", rf);
    return 0;
}

/* Copies a number field when the request has it. */
static void copy_number(const json_object *req, const char *from, json_object *chat, const char *to)
{
    json_object *v = cx__json_get(req, from);
    if (v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        cx__json_set(chat, to, cx__json_copy(v));
}

/* Sampling, limits and the fields some providers take (see docs/SERVER.md). */
static int translate_params(const json_object *req, const char *provider, json_object *chat,
                            cx_error *err)
{
    bool openai = provider && !strcmp(provider, "openai");
    bool b;
    if (cx__json_get_bool(req, "background", &b) && b)
        return refuse(err, "background responses are not supported by this server%s", NULL);
    if (cx__json_get(req, "conversation") || cx__json_get(req, "prompt"))
        return refuse(err,
                      "`conversation` and `prompt` need OpenAI's own storage; use "
                      "previous_response_id%s",
                      NULL);
    copy_number(req, "temperature", chat, "temperature");
    copy_number(req, "top_p", chat, "top_p");
    copy_number(req, "max_output_tokens", chat, openai ? "max_completion_tokens" : "max_tokens");
    int64_t top;
    if (cx__json_get_int(req, "top_logprobs", &top) && top > 0) {
        cx__json_set(chat, "logprobs", json_object_new_boolean(1));
        cx__json_set(chat, "top_logprobs", json_object_new_int64(top));
    }
    const char *effort = cx__json_get_str(cx__json_get(req, "reasoning"), "effort");
    if (effort && *effort) cx__json_set_str(chat, "reasoning_effort", effort);
    json_object *text = cx__json_get(req, "text");
    if (text && translate_format(text, chat, err)) return CX_EINVAL;
    const char *verbosity = cx__json_get_str(text, "verbosity");
    if (openai && verbosity) cx__json_set_str(chat, "verbosity", verbosity);
    const char *user = cx__json_get_str(req, "user");
    if (user) cx__json_set_str(chat, "user", user);
    if (openai) {
        static const char *const only_openai[] = {"metadata", "service_tier", "safety_identifier",
                                                  "prompt_cache_key"};
        for (size_t i = 0; i < sizeof only_openai / sizeof *only_openai; i++) {
            json_object *v = cx__json_get(req, only_openai[i]);
            if (v && !json_object_is_type(v, json_type_null))
                cx__json_set(chat, only_openai[i], cx__json_copy(v));
        }
    }
    return 0;
}

int cx__chat_request_items(const json_object *req, json_object **items, cx_error *err)
{
    *items = NULL;
    json_object *input = cx__json_get(req, "input");
    if (!input || json_object_is_type(input, json_type_null)) {
        *items = json_object_new_array();
    } else if (json_object_is_type(input, json_type_string)) {
        json_object *m = json_object_new_object();
        cx__json_set_str(m, "type", "message");
        cx__json_set_str(m, "role", "user");
        cx__json_set(m, "content", cx__json_copy(input));
        *items = json_object_new_array();
        json_object_array_add(*items, m);
    } else if (json_object_is_type(input, json_type_array)) {
        *items = json_object_get(input); /* shared, not copied: nobody modifies it */
    } else {
        return refuse(err, "`input` must be a string or a list of items%s", NULL);
    }
    return *items ? 0 : cx_error_set(err, CX_ENOMEM, "out of memory");
}

int cx__chat_request_build(const json_object *req, const char *provider, json_object **out,
                           cx_error *err)
{
    *out = NULL;
    if (!req || !json_object_is_type(req, json_type_object))
        return refuse(err, "the request body must be a JSON object%s", NULL);
    const char *model = cx__json_get_str(req, "model");
    if (!model || !*model) return refuse(err, "the request has no `model`%s", NULL);
    json_object *sv = cx__json_get(req, "stream");
    bool stream;
    if (sv && !json_object_is_type(sv, json_type_null) &&
        !cx__json_get_bool(req, "stream", &stream))
        return refuse(err, "`stream` must be true or false%s", NULL);
    json_object *input = NULL;
    int rc = cx__chat_request_items(req, &input, err);
    if (rc) return rc;
    json_object *chat = json_object_new_object();
    cx__json_set_str(chat, "model", model);
    json_object *messages = json_object_new_array();
    cx__json_set(chat, "messages", messages);
    rc = translate_input(req, input, messages, err);
    json_object_put(input);
    /* always a stream downstream: a non-streaming client gets the same
       translation, collected into one Response */
    cx__json_set(chat, "stream", json_object_new_boolean(1));
    json_object *so = json_object_new_object();
    cx__json_set(so, "include_usage", json_object_new_boolean(1));
    cx__json_set(chat, "stream_options", so);
    json_object *tools = cx__json_get(req, "tools");
    if (!rc && tools && json_object_is_type(tools, json_type_array) &&
        json_object_array_length(tools) > 0) {
        json_object *ct = json_object_new_array();
        cx__json_set(chat, "tools", ct);
        rc = translate_tools(tools, ct, err);
    } else if (!rc && tools && !json_object_is_type(tools, json_type_array) &&
               !json_object_is_type(tools, json_type_null)) {
        rc = refuse(err, "`tools` must be a list%s", NULL);
    }
    json_object *choice = cx__json_get(req, "tool_choice");
    if (!rc && choice && !json_object_is_type(choice, json_type_null))
        rc = translate_tool_choice(choice, chat, err);
    bool par;
    if (!rc && cx__json_get_bool(req, "parallel_tool_calls", &par))
        cx__json_set(chat, "parallel_tool_calls", json_object_new_boolean(par));
    if (!rc) rc = translate_params(req, provider, chat, err);
    if (rc) {
        json_object_put(chat);
        return rc;
    }
    /* provider payload hooks: the only place providers differ on the way out */
    if (provider && !strcmp(provider, "stepfun")) {
        json_object *kept = json_object_new_array();
        size_t n = json_object_array_length(messages);
        for (size_t i = 0; i < n; i++) {
            json_object *m = json_object_array_get_idx(messages, i);
            const char *role = cx__json_get_str(m, "role");
            if (!role || strcmp(role, "developer")) json_object_array_add(kept, json_object_get(m));
        }
        cx__json_set(chat, "messages", kept);
    }
    *out = chat;
    return 0;
}
