/* Responses <-> Chat Completions translation: see chat_bridge.h. */
#include "server/chat_bridge.h"

#include "base/json.h"
#include "base/uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOCK_SEARCH "web_search"
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

/* Appends the string obj[key] (or obj itself when key is NULL) whole: a
 * JSON string may hold \u0000, which C string functions would cut the text
 * at, and chat backends accept it (issue 7 #9). Returns its length. */
static size_t put_json_str(cx_buf *out, const json_object *obj, const char *key)
{
    json_object *v = key ? cx_json_get(obj, key) : (json_object *)obj;
    if (!v || !json_object_is_type(v, json_type_string)) return 0;
    size_t n = (size_t)json_object_get_string_len(v);
    cx_buf_append(out, json_object_get_string(v), n);
    return n;
}

/* A new JSON string with the bytes of the string obj[key], or of dflt when
 * it is missing or empty. */
static json_object *copy_json_str(const json_object *obj, const char *key, const char *dflt)
{
    cx_buf b = CX_BUF_INIT;
    if (!put_json_str(&b, obj, key)) cx_buf_puts(&b, dflt);
    json_object *v = cx_json_string_len(b.data ? b.data : "", b.len);
    cx_buf_free(&b);
    return v;
}

/* Joins the text parts of a message's content; refuses anything but text. */
static int content_text(const json_object *content, cx_buf *out, cx_error *err)
{
    if (!content) return 0;
    if (json_object_is_type(content, json_type_string)) {
        put_json_str(out, content, NULL);
        return 0;
    }
    if (!json_object_is_type(content, json_type_array))
        return refuse(err, "message content must be a string or a list%s", NULL);
    size_t n = json_object_array_length(content);
    for (size_t i = 0; i < n; i++) {
        json_object *part = json_object_array_get_idx(content, i);
        const char *type = cx_json_get_str(part, "type");
        if (type && (!strcmp(type, "input_text") || !strcmp(type, "output_text"))) {
            put_json_str(out, part, "text");
            continue;
        }
        return refuse(err, "content of type '%s' cannot be sent to a chat completions backend",
                      type ? type : "?");
    }
    return 0;
}

static int output_text(const json_object *output, cx_buf *out, cx_error *err)
{
    if (output && json_object_is_type(output, json_type_string)) {
        put_json_str(out, output, NULL);
        return 0;
    }
    if (output && json_object_is_type(output, json_type_array)) {
        int rc = content_text(output, out, err);
        if (rc) cx_error_prefix(err, CX_EINVAL, "structured tool output: ");
        return rc;
    }
    return cx_json_dump(output, out);
}

static void reasoning_text(const json_object *item, cx_buf *out)
{
    static const char *const lists[] = {"content", "summary"};
    for (int l = 0; l < 2; l++) {
        json_object *parts = cx_json_get(item, lists[l]);
        if (!parts || !json_object_is_type(parts, json_type_array)) continue;
        size_t before = out->len, n = json_object_array_length(parts);
        for (size_t i = 0; i < n; i++) {
            json_object *p = json_object_array_get_idx(parts, i);
            const char *type = cx_json_get_str(p, "type");
            if (type && (!strcmp(type, "reasoning_text") || !strcmp(type, "summary_text")))
                put_json_str(out, p, "text");
        }
        if (out->len > before) return;
    }
    static const char *const keys[] = {"reasoning", "reasoning_content", "text"};
    for (int k = 0; k < 3; k++) {
        if (put_json_str(out, item, keys[k])) return;
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
        cx_json_set_str(a->msg, "role", "assistant");
    }
    return a->msg;
}

static void flush(assistant *a, json_object *messages)
{
    if (!a->msg) return;
    if (a->content.len)
        cx_json_set(a->msg, "content", cx_json_string_len(a->content.data, a->content.len));
    if (a->reasoning.len)
        cx_json_set(a->msg, "reasoning", cx_json_string_len(a->reasoning.data, a->reasoning.len));
    if (a->content.len || a->reasoning.len || cx_json_get(a->msg, "tool_calls"))
        json_object_array_add(messages, a->msg);
    else
        json_object_put(a->msg);
    a->msg = NULL;
    cx_buf_reset(&a->content);
    cx_buf_reset(&a->reasoning);
}

static void add_tool_call(assistant *a, const char *id, const char *name, json_object *arguments)
{
    json_object *msg = pending(a);
    json_object *calls = cx_json_get(msg, "tool_calls");
    if (!calls) {
        calls = json_object_new_array();
        cx_json_set(msg, "tool_calls", calls);
    }
    json_object *call = json_object_new_object();
    cx_json_set_str(call, "id", id);
    cx_json_set_str(call, "type", "function");
    json_object *fn = json_object_new_object();
    cx_json_set_str(fn, "name", name);
    cx_json_set(fn, "arguments", arguments);
    cx_json_set(call, "function", fn);
    json_object_array_add(calls, call);
}

static json_object *simple_message(const char *role, const char *text, size_t len)
{
    json_object *m = json_object_new_object();
    cx_json_set_str(m, "role", role);
    cx_json_set(m, "content", cx_json_string_len(text, len));
    return m;
}

static int translate_input(const json_object *req, const json_object *input, json_object *messages,
                           cx_error *err)
{
    cx_buf instructions = CX_BUF_INIT;
    if (put_json_str(&instructions, req, "instructions"))
        json_object_array_add(messages,
                              simple_message("developer", instructions.data, instructions.len));
    cx_buf_free(&instructions);
    assistant a = {NULL, CX_BUF_INIT, CX_BUF_INIT};
    cx_buf text = CX_BUF_INIT;
    int rc = 0;
    size_t n = input ? json_object_array_length(input) : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        json_object *item = json_object_array_get_idx(input, i);
        const char *type =
            json_object_is_type(item, json_type_object) ? cx_json_get_str(item, "type") : NULL;
        if (!type && json_object_is_type(item, json_type_object) && cx_json_get(item, "role"))
            type = "message";
        if (!type) {
            rc = refuse(err, "input items must be objects with a type%s", NULL);
            break;
        }
        cx_buf_reset(&text);
        if (!strcmp(type, "message")) {
            const char *role = cx_json_get_str(item, "role");
            if (!role || (strcmp(role, "developer") && strcmp(role, "user") &&
                          strcmp(role, "assistant") && strcmp(role, "system"))) {
                rc = refuse(err, "unsupported message role '%s'", role ? role : "");
                break;
            }
            if ((rc = content_text(cx_json_get(item, "content"), &text, err))) break;
            if (!strcmp(role, "assistant")) {
                pending(&a);
                cx_buf_append(&a.content, text.data, text.len);
                continue;
            }
            flush(&a, messages);
            json_object_array_add(messages,
                                  simple_message(role, text.data ? text.data : "", text.len));
        } else if (!strcmp(type, "reasoning")) {
            pending(&a);
            reasoning_text(item, &a.reasoning);
        } else if (!strcmp(type, "function_call")) {
            add_tool_call(&a,
                          cx_json_get_str(item, "call_id") ? cx_json_get_str(item, "call_id") : "",
                          cx_json_get_str(item, "name") ? cx_json_get_str(item, "name") : "",
                          copy_json_str(item, "arguments", "{}"));
        } else if (!strcmp(type, "custom_tool_call")) {
            const char *name = cx_json_get_str(item, "name");
            if (!name || !*name) {
                rc = refuse(err, "custom tool call without a name%s", NULL);
                break;
            }
            const char *call_id = cx_json_get_str(item, "call_id");
            json_object *wrapped = json_object_new_object();
            cx_json_set(wrapped, "input", copy_json_str(item, "input", ""));
            cx_buf args = CX_BUF_INIT;
            int dumped = cx_json_dump(wrapped, &args);
            json_object_put(wrapped);
            add_tool_call(&a, call_id && *call_id ? call_id : name, name,
                          dumped || !args.data ? json_object_new_string("{}")
                                               : cx_json_string_len(args.data, args.len));
            cx_buf_free(&args);
        } else if (!strcmp(type, "function_call_output") ||
                   !strcmp(type, "custom_tool_call_output")) {
            if ((rc = output_text(cx_json_get(item, "output"), &text, err))) break;
            flush(&a, messages);
            json_object *m = simple_message("tool", text.data ? text.data : "", text.len);
            cx_json_set_str(m, "tool_call_id",
                            cx_json_get_str(item, "call_id") ? cx_json_get_str(item, "call_id")
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
    cx_buf_free(&a.content);
    cx_buf_free(&a.reasoning);
    cx_buf_free(&text);
    return rc;
}

static json_object *function_tool(const char *name, const char *description,
                                  json_object *parameters, bool strict)
{
    json_object *t = json_object_new_object();
    cx_json_set_str(t, "type", "function");
    json_object *fn = json_object_new_object();
    cx_json_set_str(fn, "name", name);
    cx_json_set_str(fn, "description", description);
    cx_json_set(fn, "parameters", parameters);
    cx_json_set(fn, "strict", json_object_new_boolean(strict));
    cx_json_set(t, "function", fn);
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
    cx_json_parse(schema, sizeof schema - 1, &params, NULL);
    return function_tool(MOCK_SEARCH, MOCK_SEARCH_DESCRIPTION, params, false);
}

static json_object *custom_tool(const json_object *tool)
{
    const char *name = cx_json_get_str(tool, "name");
    bool patch = !strcmp(name, "apply_patch");
    cx_buf desc = CX_BUF_INIT;
    if (patch) {
        cx_buf_puts(&desc, PATCH_DESCRIPTION);
    } else {
        const char *d = cx_json_get_str(tool, "description");
        if (d && *d) cx_buf_printf(&desc, "%s\n\n", d);
        cx_buf_puts(&desc, "Pass the tool's raw input as the `input` string.");
        json_object *fmt = cx_json_get(tool, "format");
        const char *syntax = fmt ? cx_json_get_str(fmt, "syntax") : NULL;
        const char *def = fmt ? cx_json_get_str(fmt, "definition") : NULL;
        if (syntax && def)
            cx_buf_printf(&desc, "\n\nThe input follows this %s grammar:\n%s", syntax, def);
    }
    json_object *params = json_object_new_object();
    cx_json_set_str(params, "type", "object");
    json_object *props = json_object_new_object();
    json_object *input = json_object_new_object();
    cx_json_set_str(input, "type", "string");
    cx_json_set_str(input, "description",
                    patch ? PATCH_INPUT_DESCRIPTION : CUSTOM_INPUT_DESCRIPTION);
    cx_json_set(props, "input", input);
    cx_json_set(params, "properties", props);
    json_object *req = json_object_new_array();
    json_object_array_add(req, json_object_new_string("input"));
    cx_json_set(params, "required", req);
    cx_json_set(params, "additionalProperties", json_object_new_boolean(0));
    json_object *t = function_tool(name, cx_buf_str(&desc), params, false);
    cx_buf_free(&desc);
    return t;
}

static int translate_tools(const json_object *tools, json_object *out, cx_error *err)
{
    size_t n = json_object_array_length(tools);
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(tools, i);
        const char *type = cx_json_get_str(t, "type");
        const char *name = cx_json_get_str(t, "name");
        if (type && !strcmp(type, "function") && name && *name) {
            json_object *params = cx_json_get(t, "parameters");
            bool strict = false;
            cx_json_get_bool(t, "strict", &strict);
            const char *d = cx_json_get_str(t, "description");
            json_object *p = params ? cx_json_copy(params) : NULL;
            if (!p) {
                p = json_object_new_object();
                cx_json_set_str(p, "type", "object");
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

int cx_chat_bridge_request(const json_object *req, const char *provider, json_object **out,
                           cx_error *err)
{
    *out = NULL;
    if (!req || !json_object_is_type(req, json_type_object))
        return refuse(err, "the request body must be a JSON object%s", NULL);
    const char *model = cx_json_get_str(req, "model");
    if (!model || !*model) return refuse(err, "the request has no `model`%s", NULL);
    bool stream = true;
    json_object *sv = cx_json_get(req, "stream");
    if (sv && (!cx_json_get_bool(req, "stream", &stream) || !stream))
        return refuse(err, "only streaming requests (\"stream\": true) are supported%s", NULL);
    json_object *input = cx_json_get(req, "input");
    if (input && !json_object_is_type(input, json_type_array))
        return refuse(err, "`input` must be a list%s", NULL);
    json_object *chat = json_object_new_object();
    cx_json_set_str(chat, "model", model);
    json_object *messages = json_object_new_array();
    cx_json_set(chat, "messages", messages);
    int rc = translate_input(req, input, messages, err);
    cx_json_set(chat, "stream", json_object_new_boolean(1));
    json_object *so = json_object_new_object();
    cx_json_set(so, "include_usage", json_object_new_boolean(1));
    cx_json_set(chat, "stream_options", so);
    json_object *tools = cx_json_get(req, "tools");
    if (!rc && tools && json_object_is_type(tools, json_type_array) &&
        json_object_array_length(tools) > 0) {
        json_object *ct = json_object_new_array();
        cx_json_set(chat, "tools", ct);
        rc = translate_tools(tools, ct, err);
    } else if (!rc && tools && !json_object_is_type(tools, json_type_array)) {
        rc = refuse(err, "`tools` must be a list%s", NULL);
    }
    json_object *choice = cx_json_get(req, "tool_choice");
    if (!rc && choice) {
        if (json_object_is_type(choice, json_type_string)) {
            cx_json_set(chat, "tool_choice", cx_json_copy(choice));
        } else {
            const char *ctype = cx_json_get_str(choice, "type");
            const char *cname = cx_json_get_str(choice, "name");
            if (ctype && (!strcmp(ctype, "function") || !strcmp(ctype, "custom")) && cname &&
                *cname) {
                json_object *c = json_object_new_object();
                cx_json_set_str(c, "type", "function");
                json_object *fn = json_object_new_object();
                cx_json_set_str(fn, "name", cname);
                cx_json_set(c, "function", fn);
                cx_json_set(chat, "tool_choice", c);
            } else {
                rc = refuse(err, "unsupported tool_choice%s", NULL);
            }
        }
    }
    bool par;
    if (!rc && cx_json_get_bool(req, "parallel_tool_calls", &par))
        cx_json_set(chat, "parallel_tool_calls", json_object_new_boolean(par));
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
            const char *role = cx_json_get_str(m, "role");
            if (!role || strcmp(role, "developer")) json_object_array_add(kept, json_object_get(m));
        }
        cx_json_set(chat, "messages", kept);
    }
    *out = chat;
    return 0;
}

/* ---- stream ----------------------------------------------------------------- */

typedef struct tool_call {
    cx_buf id, name, args;
} tool_call;

struct cx_chat_stream {
    json_object *chat_req; /* the current downstream request (copy) */
    json_object *custom;   /* names of the client's custom tools: name -> true */
    bool mock_search;      /* the client declared web_search */
    char *provider;
    char response_id[48];
    char message_id[48];
    char *model;
    cx_buf text, reasoning;
    bool message_open;
    tool_call *calls;
    size_t n_calls;
    json_object *usage; /* Responses-shaped usage of the latest snapshot, or NULL */
    bool finished;      /* a choice reported its finish_reason */
    int searches;       /* follow-ups so far, bounded */
};

static void new_id(char *out, size_t size, const char *prefix)
{
    char u[CX_UUID_STRLEN + 1];
    if (cx_uuid7(u)) snprintf(u, sizeof u, "0");
    size_t k = 0;
    for (const char *p = u; *p && k < sizeof u - 1; p++)
        if (*p != '-') u[k++] = *p;
    u[k] = '\0';
    snprintf(out, size, "%s_%s", prefix, u);
}

cx_chat_stream *cx_chat_stream_new(const json_object *req, const json_object *chat_req,
                                   const char *provider)
{
    cx_chat_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->chat_req = cx_json_copy(chat_req);
    s->custom = json_object_new_object();
    s->provider = strdup(provider ? provider : "vllm");
    s->model = strdup(cx_json_get_str(req, "model") ? cx_json_get_str(req, "model") : "");
    cx_buf_init(&s->text);
    cx_buf_init(&s->reasoning);
    json_object *tools = cx_json_get(req, "tools");
    size_t n =
        tools && json_object_is_type(tools, json_type_array) ? json_object_array_length(tools) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(tools, i);
        const char *type = cx_json_get_str(t, "type");
        if (type && !strcmp(type, "custom") && cx_json_get_str(t, "name"))
            cx_json_set(s->custom, cx_json_get_str(t, "name"), json_object_new_boolean(1));
        if (type && !strcmp(type, "web_search")) s->mock_search = true;
    }
    new_id(s->response_id, sizeof s->response_id, "resp");
    new_id(s->message_id, sizeof s->message_id, "msg");
    return s;
}

static void calls_reset(cx_chat_stream *s)
{
    for (size_t i = 0; i < s->n_calls; i++) {
        cx_buf_free(&s->calls[i].id);
        cx_buf_free(&s->calls[i].name);
        cx_buf_free(&s->calls[i].args);
    }
    free(s->calls);
    s->calls = NULL;
    s->n_calls = 0;
}

void cx_chat_stream_free(cx_chat_stream *s)
{
    if (!s) return;
    calls_reset(s);
    json_object_put(s->chat_req);
    json_object_put(s->custom);
    json_object_put(s->usage);
    cx_buf_free(&s->text);
    cx_buf_free(&s->reasoning);
    free(s->provider);
    free(s->model);
    free(s);
}

void cx_chat_sse(cx_buf *out, const char *name, const json_object *payload)
{
    cx_buf_printf(out, "event: %s\ndata: ", name);
    cx_json_dump(payload, out);
    cx_buf_puts(out, "\n\n");
}

static void emit(cx_buf *out, const char *name, json_object *payload)
{
    /* every payload repeats its event name in "type", first */
    json_object *o = json_object_new_object();
    cx_json_set_str(o, "type", name);
    json_object_object_foreach(payload, k, v) cx_json_set(o, k, json_object_get(v));
    cx_chat_sse(out, name, o);
    json_object_put(o);
    json_object_put(payload);
}

static json_object *response_object(const cx_chat_stream *s, const char *status)
{
    json_object *r = json_object_new_object();
    cx_json_set_str(r, "id", s->response_id);
    cx_json_set_str(r, "object", "response");
    cx_json_set_str(r, "status", status);
    cx_json_set_str(r, "model", s->model);
    return r;
}

void cx_chat_stream_begin(cx_chat_stream *s, cx_buf *out)
{
    json_object *p = json_object_new_object();
    cx_json_set(p, "response", response_object(s, "in_progress"));
    emit(out, "response.created", p);
}

/* Keeps the latest usage, renamed to the Responses fields. */
static void take_usage(cx_chat_stream *s, const json_object *u)
{
    json_object *r = json_object_new_object();
    static const char *const map[][3] = {{"input_tokens", "input_tokens", "prompt_tokens"},
                                         {"output_tokens", "output_tokens", "completion_tokens"},
                                         {"total_tokens", "total_tokens", NULL}};
    for (int i = 0; i < 3; i++) {
        int64_t v;
        if (cx_json_get_int(u, map[i][1], &v) || (map[i][2] && cx_json_get_int(u, map[i][2], &v)))
            cx_json_set(r, map[i][0], json_object_new_int64(v));
    }
    static const char *const details[][3] = {
        {"input_tokens_details", "input_tokens_details", "prompt_tokens_details"},
        {"output_tokens_details", "output_tokens_details", "completion_tokens_details"}};
    for (int i = 0; i < 2; i++) {
        json_object *d = cx_json_get(u, details[i][1]);
        if (!d) d = cx_json_get(u, details[i][2]);
        if (d && json_object_is_type(d, json_type_object))
            cx_json_set(r, details[i][0], cx_json_copy(d));
    }
    json_object_put(s->usage);
    s->usage = r;
}

static int message_index(const cx_chat_stream *s)
{
    return s->reasoning.len ? 1 : 0;
}

/* Appends s as a JSON string, escaped the way cx_json_dump does. */
static void json_quote(cx_buf *out, const char *str, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    cx_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        cx_buf_append(out, str + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            cx_buf_puts(out, "\\\"");
            break;
        case '\\':
            cx_buf_puts(out, "\\\\");
            break;
        case '\b':
            cx_buf_puts(out, "\\b");
            break;
        case '\f':
            cx_buf_puts(out, "\\f");
            break;
        case '\n':
            cx_buf_puts(out, "\\n");
            break;
        case '\r':
            cx_buf_puts(out, "\\r");
            break;
        case '\t':
            cx_buf_puts(out, "\\t");
            break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            cx_buf_puts(out, u);
        }
        }
    }
    cx_buf_append(out, str + run, len - run);
    cx_buf_putc(out, '"');
}

static bool contains(const char *data, size_t len, const char *needle)
{
    return memmem(data, len, needle, strlen(needle)) != NULL;
}

static void emit_text_delta(cx_chat_stream *s, const char *content, size_t len, cx_buf *out);

/* The common chunk, a plain content delta, handled without building a JSON
 * tree: only when nothing else of interest can be in it (no usage, error,
 * reasoning or tool calls, one content field). False: use the full path. */
static bool fast_chunk(cx_chat_stream *s, const char *data, size_t len, cx_buf *out)
{
    if (contains(data, len, "\"tool_calls\"") || contains(data, len, "\"usage\":{") ||
        contains(data, len, "\"error\"") || contains(data, len, "\"reasoning") ||
        contains(data, len, "\"logprobs\":{"))
        return false;
    const char *key = memmem(data, len, "\"content\":", 10);
    if (!key || memmem(key + 10, len - (size_t)(key + 10 - data), "\"content\":", 10)) return false;
    const char *p = key + 10, *end = data + len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    cx_buf text = CX_BUF_INIT;
    if (p < end && *p == '"') {
        size_t at = (size_t)(p + 1 - data);
        if (cx_json_scan_string(data, len, &at, &text) != 0) {
            cx_buf_free(&text);
            return false;
        }
    } else if (!(end - p >= 4 && !memcmp(p, "null", 4))) {
        cx_buf_free(&text);
        return false;
    }
    const char *fin = memmem(data, len, "\"finish_reason\":", 16);
    if (fin) {
        const char *f = fin + 16;
        while (f < end && *f == ' ')
            f++;
        if (f < end && *f == '"' && f + 1 < end && f[1] != '"') s->finished = true;
    }
    if (text.len) {
        if (!cx_utf8_valid(text.data, text.len)) {
            cx_buf fixed = CX_BUF_INIT;
            cx_utf8_repair(text.data, text.len, &fixed);
            emit_text_delta(s, fixed.data, fixed.len, out);
            cx_buf_free(&fixed);
        } else {
            emit_text_delta(s, text.data, text.len, out);
        }
    }
    cx_buf_free(&text);
    return true;
}

static void emit_text_delta(cx_chat_stream *s, const char *content, size_t len, cx_buf *out)
{
    if (!s->message_open) {
        json_object *item = json_object_new_object();
        cx_json_set_str(item, "type", "message");
        cx_json_set_str(item, "id", s->message_id);
        cx_json_set_str(item, "role", "assistant");
        cx_json_set_str(item, "status", "in_progress");
        cx_json_set(item, "content", json_object_new_array());
        json_object *p = json_object_new_object();
        cx_json_set(p, "output_index", json_object_new_int(message_index(s)));
        cx_json_set(p, "item", item);
        emit(out, "response.output_item.added", p);
        s->message_open = true;
    }
    cx_buf_append(&s->text, content, len);
    /* the hot path of a stream: written directly, same bytes as emit() would give */
    cx_buf_printf(
        out,
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
        "\"item_id\":\"%s\",\"output_index\":%d,\"content_index\":0,\"delta\":",
        s->message_id, message_index(s));
    json_quote(out, content, len);
    cx_buf_puts(out, "}\n\n");
}

int cx_chat_stream_chunk(cx_chat_stream *s, const char *data, size_t len, cx_buf *out,
                         cx_error *err)
{
    if (fast_chunk(s, data, len, out)) return 0;
    json_object *chunk = NULL;
    if (cx_json_parse(data, len, &chunk, err))
        return cx_error_prefix(err, CX_EPARSE, "backend sent a chunk that is not JSON: ");
    json_object *usage = cx_json_get(chunk, "usage");
    if (usage && json_object_is_type(usage, json_type_object)) take_usage(s, usage);
    json_object *err_obj = cx_json_get(chunk, "error");
    if (err_obj) {
        const char *m = json_object_is_type(err_obj, json_type_object)
                            ? cx_json_get_str(err_obj, "message")
                            : NULL;
        cx_error_set(err, CX_EPARSE, "backend error: %s", m ? m : json_object_get_string(err_obj));
        json_object_put(chunk);
        return CX_EPARSE;
    }
    json_object *choices = cx_json_get(chunk, "choices");
    size_t n = choices && json_object_is_type(choices, json_type_array)
                   ? json_object_array_length(choices)
                   : 0;
    for (size_t c = 0; c < n; c++) {
        json_object *choice = json_object_array_get_idx(choices, c);
        const char *finish = cx_json_get_str(choice, "finish_reason");
        if (finish && *finish) s->finished = true;
        json_object *delta = cx_json_get(choice, "delta");
        if (!delta || !json_object_is_type(delta, json_type_object)) continue;
        put_json_str(&s->reasoning, delta, "reasoning");
        put_json_str(&s->reasoning, delta, "reasoning_content");
        json_object *cv = cx_json_get(delta, "content");
        if (cv && json_object_is_type(cv, json_type_string) && json_object_get_string_len(cv) > 0)
            emit_text_delta(s, json_object_get_string(cv), (size_t)json_object_get_string_len(cv),
                            out);
        json_object *calls = cx_json_get(delta, "tool_calls");
        size_t m = calls && json_object_is_type(calls, json_type_array)
                       ? json_object_array_length(calls)
                       : 0;
        for (size_t k = 0; k < m; k++) {
            json_object *tc = json_object_array_get_idx(calls, k);
            int64_t idx = (int64_t)s->n_calls;
            cx_json_get_int(tc, "index", &idx);
            if (idx < 0 || idx > 1024) continue;
            while ((size_t)idx >= s->n_calls) {
                tool_call *p = realloc(s->calls, (s->n_calls + 1) * sizeof *p);
                if (!p) break;
                s->calls = p;
                s->calls[s->n_calls] = (tool_call){CX_BUF_INIT, CX_BUF_INIT, CX_BUF_INIT};
                s->n_calls++;
            }
            if ((size_t)idx >= s->n_calls) continue;
            tool_call *t = &s->calls[idx];
            const char *id = cx_json_get_str(tc, "id");
            if (id && *id) {
                cx_buf_reset(&t->id);
                cx_buf_puts(&t->id, id);
            }
            json_object *fn = cx_json_get(tc, "function");
            const char *name = fn ? cx_json_get_str(fn, "name") : NULL;
            const char *args = fn ? cx_json_get_str(fn, "arguments") : NULL;
            if (name && *name) {
                cx_buf_reset(&t->name);
                cx_buf_puts(&t->name, name);
            }
            if (args) put_json_str(&t->args, fn, "arguments");
        }
    }
    json_object_put(chunk);
    return 0;
}

/* The input text a custom tool call carries in its `input` argument. */
static json_object *custom_input(const char *args, size_t len)
{
    json_object *o = NULL;
    if (args && !cx_json_parse(args, len, &o, NULL) && json_object_is_type(o, json_type_object) &&
        cx_json_get(o, "input")) {
        json_object *v = cx_json_get(o, "input");
        json_object *r =
            json_object_is_type(v, json_type_string) ? copy_json_str(v, NULL, "") : NULL;
        if (!r) {
            char *text = cx_json_to_string(v);
            r = json_object_new_string(text ? text : "");
            free(text);
        }
        json_object_put(o);
        return r;
    }
    json_object_put(o);
    return cx_json_string_len(args ? args : "", args ? len : 0);
}

static void search_queries(const char *args, json_object *target)
{
    json_object *o = NULL;
    const char *query = NULL;
    json_object *queries = json_object_new_array();
    if (args && !cx_json_parse(args, strlen(args), &o, NULL) &&
        json_object_is_type(o, json_type_object)) {
        query = cx_json_get_str(o, "query");
        json_object *qs = cx_json_get(o, "queries");
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
        cx_json_set_str(target, "query", query);
        bool listed = false;
        for (size_t i = 0; i < json_object_array_length(queries); i++)
            if (!strcmp(json_object_get_string(json_object_array_get_idx(queries, i)), query))
                listed = true;
        if (!listed)
            json_object_array_put_idx(queries, json_object_array_length(queries),
                                      json_object_new_string(query));
    }
    if (json_object_array_length(queries))
        cx_json_set(target, "queries", queries);
    else
        json_object_put(queries);
    json_object_put(o);
}

static bool is_mock(const cx_chat_stream *s, const tool_call *t)
{
    return s->mock_search && !strcmp(cx_buf_str(&t->name), MOCK_SEARCH) &&
           !cx_json_get(s->custom, MOCK_SEARCH);
}

static const char *call_id(const tool_call *t, size_t i, char *buf, size_t size)
{
    if (t->id.len) return cx_buf_str(&t->id);
    snprintf(buf, size, "call_%zu", i);
    return buf;
}

static void emit_done(cx_buf *out, int index, json_object *item)
{
    json_object *p = json_object_new_object();
    cx_json_set(p, "output_index", json_object_new_int(index));
    cx_json_set(p, "item", item);
    emit(out, "response.output_item.done", p);
}

static void emit_search_items(cx_chat_stream *s, cx_buf *out, int *index)
{
    char buf[32];
    for (size_t i = 0; i < s->n_calls; i++) {
        if (!is_mock(s, &s->calls[i])) continue;
        json_object *item = json_object_new_object();
        cx_json_set_str(item, "type", "web_search_call");
        cx_json_set_str(item, "id", call_id(&s->calls[i], i, buf, sizeof buf));
        cx_json_set_str(item, "status", "completed");
        json_object *action = json_object_new_object();
        cx_json_set_str(action, "type", "search");
        search_queries(cx_buf_str(&s->calls[i].args), action);
        cx_json_set(item, "action", action);
        emit_done(out, (*index)++, item);
    }
}

/* The chat request that answers the mock searches with empty results. */
static json_object *followup(cx_chat_stream *s)
{
    json_object *next = cx_json_copy(s->chat_req);
    json_object *messages = cx_json_get(next, "messages");
    json_object *assistant_msg = json_object_new_object();
    cx_json_set_str(assistant_msg, "role", "assistant");
    json_object *calls = json_object_new_array();
    char buf[32];
    for (size_t i = 0; i < s->n_calls; i++) {
        json_object *c = json_object_new_object();
        cx_json_set_str(c, "id", call_id(&s->calls[i], i, buf, sizeof buf));
        cx_json_set_str(c, "type", "function");
        json_object *fn = json_object_new_object();
        cx_json_set_str(fn, "name", MOCK_SEARCH);
        cx_json_set_str(fn, "arguments",
                        s->calls[i].args.len ? cx_buf_str(&s->calls[i].args) : "{}");
        cx_json_set(c, "function", fn);
        json_object_array_add(calls, c);
    }
    cx_json_set(assistant_msg, "tool_calls", calls);
    if (s->reasoning.len)
        cx_json_set(assistant_msg, "reasoning",
                    cx_json_string_len(s->reasoning.data, s->reasoning.len));
    json_object_array_add(messages, assistant_msg);
    for (size_t i = 0; i < s->n_calls; i++) {
        json_object *result = json_object_new_object();
        cx_json_set(result, "results", json_object_new_array());
        cx_json_set(result, "mock", json_object_new_boolean(1));
        search_queries(cx_buf_str(&s->calls[i].args), result);
        char *text = cx_json_to_string(result);
        json_object_put(result);
        json_object *m = json_object_new_object();
        cx_json_set_str(m, "role", "tool");
        cx_json_set_str(m, "tool_call_id", call_id(&s->calls[i], i, buf, sizeof buf));
        cx_json_set_str(m, "content", text ? text : "{}");
        free(text);
        json_object_array_add(messages, m);
    }
    /* the search was answered: the follow-up no longer offers it */
    json_object *tools = cx_json_get(next, "tools");
    if (tools) {
        json_object *kept = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(tools); i++) {
            json_object *t = json_object_array_get_idx(tools, i);
            const char *name = cx_json_get_str(cx_json_get(t, "function"), "name");
            if (!name || strcmp(name, MOCK_SEARCH)) json_object_array_add(kept, json_object_get(t));
        }
        if (json_object_array_length(kept)) {
            cx_json_set(next, "tools", kept);
        } else {
            json_object_put(kept);
            json_object_object_del(next, "tools");
            json_object_object_del(next, "tool_choice");
            json_object_object_del(next, "parallel_tool_calls");
        }
    }
    return next;
}

bool cx_chat_stream_finished(const cx_chat_stream *s)
{
    return s->finished;
}

int cx_chat_stream_end(cx_chat_stream *s, cx_buf *out, json_object **next, cx_error *err)
{
    s->finished = false;
    *next = NULL;
    /* a call streamed without its name takes the name of the tool at its index */
    json_object *tools = cx_json_get(s->chat_req, "tools");
    for (size_t i = 0; i < s->n_calls; i++) {
        if (s->calls[i].name.len || !tools || i >= json_object_array_length(tools)) continue;
        const char *name =
            cx_json_get_str(cx_json_get(json_object_array_get_idx(tools, i), "function"), "name");
        if (name) cx_buf_puts(&s->calls[i].name, name);
    }
    size_t mock = 0, ordinary = 0;
    for (size_t i = 0; i < s->n_calls; i++) {
        if (is_mock(s, &s->calls[i]))
            mock++;
        else
            ordinary++;
    }
    int index = 0;
    if (mock && !ordinary && s->searches < 8) {
        emit_search_items(s, out, &index);
        *next = followup(s);
        json_object_put(s->chat_req);
        s->chat_req = json_object_get(*next);
        s->searches++;
        calls_reset(s);
        return 1;
    }
    for (size_t i = 0; i < s->n_calls; i++)
        if (!is_mock(s, &s->calls[i]) && !s->calls[i].name.len)
            return cx_error_set(err, CX_EPARSE, "the backend sent a tool call without a name");
    if (s->reasoning.len) {
        json_object *item = json_object_new_object();
        char rid[48];
        new_id(rid, sizeof rid, "rs");
        cx_json_set_str(item, "type", "reasoning");
        cx_json_set_str(item, "id", rid);
        cx_json_set(item, "summary", json_object_new_array());
        json_object *content = json_object_new_array();
        json_object *part = json_object_new_object();
        cx_json_set_str(part, "type", "reasoning_text");
        cx_json_set(part, "text", cx_json_string_len(s->reasoning.data, s->reasoning.len));
        json_object_array_add(content, part);
        cx_json_set(item, "content", content);
        emit_done(out, index++, item);
    }
    if (s->text.len) {
        json_object *item = json_object_new_object();
        cx_json_set_str(item, "type", "message");
        cx_json_set_str(item, "id", s->message_id);
        cx_json_set_str(item, "role", "assistant");
        cx_json_set_str(item, "status", "completed");
        json_object *content = json_object_new_array();
        json_object *part = json_object_new_object();
        cx_json_set_str(part, "type", "output_text");
        cx_json_set(part, "text", cx_json_string_len(s->text.data, s->text.len));
        cx_json_set(part, "annotations", json_object_new_array());
        json_object_array_add(content, part);
        cx_json_set(item, "content", content);
        emit_done(out, index++, item);
    }
    char buf[32];
    for (size_t i = 0; i < s->n_calls; i++) {
        tool_call *t = &s->calls[i];
        if (is_mock(s, t)) continue;
        json_object *item = json_object_new_object();
        const char *name = cx_buf_str(&t->name);
        if (cx_json_get(s->custom, name)) {
            json_object *input = custom_input(cx_buf_str(&t->args), t->args.len);
            cx_json_set_str(item, "type", "custom_tool_call");
            cx_json_set_str(item, "status", "completed");
            cx_json_set_str(item, "call_id", call_id(t, i, buf, sizeof buf));
            cx_json_set_str(item, "name", name);
            cx_json_set(item, "input", input);
        } else {
            cx_json_set_str(item, "type", "function_call");
            cx_json_set_str(item, "call_id", call_id(t, i, buf, sizeof buf));
            cx_json_set_str(item, "name", name);
            cx_json_set(item, "arguments",
                        t->args.len ? cx_json_string_len(t->args.data, t->args.len)
                                    : json_object_new_string("{}"));
        }
        emit_done(out, index++, item);
    }
    emit_search_items(s, out, &index);
    json_object *r = response_object(s, "completed");
    cx_json_set(r, "output", json_object_new_array());
    if (s->usage) cx_json_set(r, "usage", json_object_get(s->usage));
    json_object *p = json_object_new_object();
    cx_json_set(p, "response", r);
    emit(out, "response.completed", p);
    return 0;
}

void cx_chat_stream_fail(cx_chat_stream *s, const char *message, cx_buf *out)
{
    json_object *r = response_object(s, "failed");
    json_object *e = json_object_new_object();
    cx_json_set_str(e, "code", "server_error");
    cx_json_set_str(e, "message", message);
    cx_json_set(r, "error", e);
    json_object *p = json_object_new_object();
    cx_json_set(p, "response", r);
    emit(out, "response.failed", p);
}
