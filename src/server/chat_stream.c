/* Chat Completions stream -> Responses events: see chat_stream.h. */
#include "server/chat_stream.h"

#include "base/json.h"
#include "base/uuid.h"
#include "server/chat_json.h"
#include "server/chat_request.h"
#include "server/chat_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MOCK_SEARCH CX_CHAT_MOCK_SEARCH
#define MAX_SEARCH_ROUNDS 8

typedef struct tool_call {
    cx_buf id, name, args;
    /* API wire: the item's output_item.added / .done went out */
    bool opened, closed;
    int index;   /* its output_index once opened */
    size_t sent; /* bytes of args already sent as argument deltas */
    char item_id[48];
} tool_call;

/* The API wire's item being streamed (items go out one after the other). */
enum { CUR_NONE, CUR_REASONING, CUR_MESSAGE, CUR_CALL };

struct cx_chat_stream {
    cx_chat_wire wire;
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
    json_object *usage;  /* Responses-shaped usage of the latest snapshot, or NULL */
    bool finished;       /* a choice reported its finish_reason */
    bool truncated;      /* ... and that reason was "length" */
    int searches;        /* follow-ups so far, bounded */
    char *shape;         /* the Response's fields that echo the request, as JSON members */
    json_object *output; /* finished output items, in order (both wires) */
    json_object *final;  /* the Response, once ended or failed */
    long long seq;       /* API wire: the next sequence_number */
    int cur, cur_index;  /* API wire: the open item (CUR_*), its output_index */
    size_t cur_call;     /* ... the open call, when cur is CUR_CALL */
    char cur_id[48];
    cx_buf cur_text;    /* ... the open reasoning's or message's text */
    int next_index;     /* API wire: the next output_index */
    int64_t created_at; /* seconds since the epoch */
};

static void new_id(char *out, size_t size, const char *prefix)
{
    char u[CX_UUID_STRLEN + 1];
    if (cx__uuid7(u)) snprintf(u, sizeof u, "0");
    size_t k = 0;
    for (const char *p = u; *p && k < sizeof u - 1; p++)
        if (*p != '-') u[k++] = *p;
    u[k] = '\0';
    snprintf(out, size, "%s_%s", prefix, u);
}

cx_chat_stream *cx__chat_stream_new(const json_object *req, const json_object *chat_req,
                                    const char *provider, cx_chat_wire wire)
{
    cx_chat_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->wire = wire;
    s->created_at = (int64_t)time(NULL);
    /* Thousands of streams may be in flight: each keeps what it needs in
       compact form rather than the request trees. The chat request (a
       reference; nobody modifies it) only when it has tools, for calls that
       come without a name and for the mock search's follow-up. */
    if (cx__json_get(chat_req, "tools")) s->chat_req = json_object_get((json_object *)chat_req);
    json_object *shape = json_object_new_object();
    cx__chat_response_shape(shape, req);
    char *text = cx__json_to_string(shape);
    json_object_put(shape);
    size_t len = text ? strlen(text) : 0;
    if (len >= 2) {
        /* the members only: api_response() puts them between its own */
        memmove(text, text + 1, len - 2);
        text[len - 2] = '\0';
        s->shape = text;
    } else {
        free(text);
    }
    s->provider = strdup(provider ? provider : "vllm");
    s->model = strdup(cx__json_get_str(req, "model") ? cx__json_get_str(req, "model") : "");
    s->output = json_object_new_array();
    cx__buf_init(&s->text);
    cx__buf_init(&s->reasoning);
    cx__buf_init(&s->cur_text);
    json_object *tools = cx__json_get(req, "tools");
    size_t n =
        tools && json_object_is_type(tools, json_type_array) ? json_object_array_length(tools) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(tools, i);
        const char *type = cx__json_get_str(t, "type");
        if (type && !strcmp(type, "custom") && cx__json_get_str(t, "name")) {
            if (!s->custom) s->custom = json_object_new_object();
            cx__json_set(s->custom, cx__json_get_str(t, "name"), json_object_new_boolean(1));
        }
        if (type && !strcmp(type, "web_search")) s->mock_search = true;
    }
    new_id(s->response_id, sizeof s->response_id, "resp");
    new_id(s->message_id, sizeof s->message_id, "msg");
    if (!s->shape || !s->provider || !s->model || !s->output) {
        cx__chat_stream_free(s);
        return NULL;
    }
    return s;
}

static void calls_reset(cx_chat_stream *s)
{
    for (size_t i = 0; i < s->n_calls; i++) {
        cx__buf_free(&s->calls[i].id);
        cx__buf_free(&s->calls[i].name);
        cx__buf_free(&s->calls[i].args);
    }
    free(s->calls);
    s->calls = NULL;
    s->n_calls = 0;
}

void cx__chat_stream_free(cx_chat_stream *s)
{
    if (!s) return;
    calls_reset(s);
    json_object_put(s->chat_req);
    json_object_put(s->custom);
    json_object_put(s->usage);
    free(s->shape);
    json_object_put(s->output);
    json_object_put(s->final);
    cx__buf_free(&s->text);
    cx__buf_free(&s->reasoning);
    cx__buf_free(&s->cur_text);
    free(s->provider);
    free(s->model);
    free(s);
}

const char *cx__chat_stream_id(const cx_chat_stream *s)
{
    return s->response_id;
}

const json_object *cx__chat_stream_response(const cx_chat_stream *s)
{
    return s->final;
}

void cx__chat_sse(cx_buf *out, const char *name, const json_object *payload)
{
    cx__buf_printf(out, "event: %s\ndata: ", name);
    cx__json_dump(payload, out);
    cx__buf_puts(out, "\n\n");
}

/* Appends one event; takes payload. Every payload repeats its event name in
 * "type", first; on the API wire a sequence_number follows. */
static void emit(cx_chat_stream *s, cx_buf *out, const char *name, json_object *payload)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", name);
    json_object_object_foreach(payload, k, v) json_object_object_add(o, k, json_object_get(v));
    if (s->wire == CX_CHAT_WIRE_API)
        json_object_object_add(o, "sequence_number", json_object_new_int64(s->seq++));
    cx__chat_sse(out, name, o);
    json_object_put(o);
    json_object_put(payload);
}

/* The Codex wire's Response object: just these four fields. */
static json_object *response_object(const cx_chat_stream *s, const char *status)
{
    json_object *r = json_object_new_object();
    cx__json_set_str(r, "id", s->response_id);
    cx__json_set_str(r, "object", "response");
    cx__json_set_str(r, "status", status);
    cx__json_set_str(r, "model", s->model);
    return r;
}

/* The API's Response object (new reference); with_output: the items so far
 * and the usage. */
static json_object *api_response(const cx_chat_stream *s, const char *status, bool with_output)
{
    /* created_at: seconds, as the API gives it */
    cx_buf text = CX_BUF_INIT;
    cx__buf_printf(&text,
                   "{\"id\":\"%s\",\"object\":\"response\",\"created_at\":%lld,\"status\":\"%s\","
                   "%s}",
                   s->response_id, (long long)s->created_at, status, s->shape);
    json_object *r = NULL;
    if (cx__json_parse(text.data ? text.data : "", text.len, &r, NULL))
        r = json_object_new_object();
    cx__buf_free(&text);
    cx__json_set_str(r, "model", s->model);
    json_object_object_add(r, "output",
                           with_output ? cx__json_copy(s->output) : json_object_new_array());
    json_object_object_add(r, "usage", with_output && s->usage ? json_object_get(s->usage) : NULL);
    return r;
}

static json_object *payload_with_response(json_object *r)
{
    json_object *p = json_object_new_object();
    cx__json_set(p, "response", r);
    return p;
}

void cx__chat_stream_begin(cx_chat_stream *s, cx_buf *out)
{
    if (s->wire == CX_CHAT_WIRE_CODEX) {
        emit(s, out, "response.created", payload_with_response(response_object(s, "in_progress")));
        return;
    }
    emit(s, out, "response.created", payload_with_response(api_response(s, "in_progress", false)));
    emit(s, out, "response.in_progress",
         payload_with_response(api_response(s, "in_progress", false)));
}

/* ---- API wire: items opened, streamed and closed one after the other ---- */

static json_object *new_payload(const cx_chat_stream *s, const char *item_id, int index)
{
    json_object *p = json_object_new_object();
    (void)s;
    if (item_id) cx__json_set_str(p, "item_id", item_id);
    cx__json_set(p, "output_index", json_object_new_int(index));
    return p;
}

static void item_event(cx_chat_stream *s, cx_buf *out, const char *name, int index,
                       json_object *item)
{
    json_object *p = json_object_new_object();
    cx__json_set(p, "output_index", json_object_new_int(index));
    cx__json_set(p, "item", item);
    emit(s, out, name, p);
}

/* A content part of the open reasoning (reasoning_text) or message (output_text). */
static json_object *text_part(const cx_chat_stream *s, const char *text, size_t len)
{
    json_object *part = json_object_new_object();
    bool message = s->cur == CUR_MESSAGE;
    cx__json_set_str(part, "type", message ? "output_text" : "reasoning_text");
    cx__json_set(part, "text", cx__json_string_len(text, len));
    if (message) {
        cx__json_set(part, "annotations", json_object_new_array());
        cx__json_set(part, "logprobs", json_object_new_array());
    }
    return part;
}

static json_object *text_item(const cx_chat_stream *s, bool done)
{
    json_object *item = json_object_new_object();
    bool message = s->cur == CUR_MESSAGE;
    cx__json_set_str(item, "id", s->cur_id);
    cx__json_set_str(item, "type", message ? "message" : "reasoning");
    if (message) {
        cx__json_set_str(item, "status", done ? "completed" : "in_progress");
        cx__json_set_str(item, "role", "assistant");
    } else {
        cx__json_set(item, "summary", json_object_new_array());
    }
    json_object *content = json_object_new_array();
    if (done) json_object_array_add(content, text_part(s, s->cur_text.data, s->cur_text.len));
    cx__json_set(item, "content", content);
    return item;
}

/* ---- API wire: tool calls ---- */

static bool is_custom(const cx_chat_stream *s, const tool_call *t)
{
    return cx__json_get(s->custom, cx__buf_str(&t->name)) != NULL;
}

static const char *call_id(const tool_call *t, size_t i, char *buf, size_t size)
{
    if (t->id.len) return cx__buf_str(&t->id);
    snprintf(buf, size, "call_%zu", i);
    return buf;
}

/* The item for call i; done: completed with its whole input. */
static json_object *call_item(const cx_chat_stream *s, size_t i, bool done)
{
    const tool_call *t = &s->calls[i];
    char buf[32];
    json_object *item = json_object_new_object();
    cx__json_set_str(item, "id", t->item_id);
    if (is_custom(s, t)) {
        cx__json_set_str(item, "type", "custom_tool_call");
        cx__json_set_str(item, "status", done ? "completed" : "in_progress");
        cx__json_set_str(item, "call_id", call_id(t, i, buf, sizeof buf));
        cx__json_set_str(item, "name", cx__buf_str(&t->name));
        cx__json_set(item, "input",
                     done ? cx__chat_custom_input(t->args.data, t->args.len) : cx__json_string(""));
    } else {
        cx__json_set_str(item, "type", "function_call");
        cx__json_set_str(item, "status", done ? "completed" : "in_progress");
        cx__json_set(item, "arguments",
                     !done         ? cx__json_string("")
                     : t->args.len ? cx__json_string_len(t->args.data, t->args.len)
                                   : cx__json_string("{}"));
        cx__json_set_str(item, "call_id", call_id(t, i, buf, sizeof buf));
        cx__json_set_str(item, "name", cx__buf_str(&t->name));
    }
    return item;
}

static void close_call(cx_chat_stream *s, size_t i, cx_buf *out)
{
    tool_call *t = &s->calls[i];
    if (!t->opened || t->closed) return;
    t->closed = true;
    json_object *item = call_item(s, i, true);
    if (is_custom(s, t)) {
        /* the input is unwrapped from its JSON argument only once complete,
           so it goes out as one delta */
        json_object *input = cx__json_get(item, "input");
        json_object *p = new_payload(s, t->item_id, t->index);
        cx__json_set(p, "delta", json_object_get(input));
        emit(s, out, "response.custom_tool_call_input.delta", p);
        p = new_payload(s, t->item_id, t->index);
        cx__json_set(p, "input", json_object_get(input));
        emit(s, out, "response.custom_tool_call_input.done", p);
    } else {
        json_object *p = new_payload(s, t->item_id, t->index);
        cx__json_set(p, "arguments", json_object_get(cx__json_get(item, "arguments")));
        emit(s, out, "response.function_call_arguments.done", p);
    }
    json_object_array_add(s->output, json_object_get(item));
    item_event(s, out, "response.output_item.done", t->index, item);
    if (s->cur == CUR_CALL && s->cur_call == i) s->cur = CUR_NONE;
}

/* Closes the open item, whatever it is. */
static void close_current(cx_chat_stream *s, cx_buf *out)
{
    if (s->cur == CUR_CALL) {
        close_call(s, s->cur_call, out);
        return;
    }
    if (s->cur == CUR_NONE) return;
    bool message = s->cur == CUR_MESSAGE;
    json_object *p = new_payload(s, s->cur_id, s->cur_index);
    cx__json_set(p, "content_index", json_object_new_int(0));
    cx__json_set(p, "text", cx__json_string_len(s->cur_text.data, s->cur_text.len));
    if (message) cx__json_set(p, "logprobs", json_object_new_array());
    emit(s, out, message ? "response.output_text.done" : "response.reasoning_text.done", p);
    p = new_payload(s, s->cur_id, s->cur_index);
    cx__json_set(p, "content_index", json_object_new_int(0));
    cx__json_set(p, "part", text_part(s, s->cur_text.data, s->cur_text.len));
    emit(s, out, "response.content_part.done", p);
    json_object *item = text_item(s, true);
    json_object_array_add(s->output, json_object_get(item));
    item_event(s, out, "response.output_item.done", s->cur_index, item);
    s->cur = CUR_NONE;
}

/* Opens a reasoning or message item: output_item.added, content_part.added. */
static void open_text(cx_chat_stream *s, int kind, cx_buf *out)
{
    close_current(s, out);
    s->cur = kind;
    s->cur_index = s->next_index++;
    new_id(s->cur_id, sizeof s->cur_id, kind == CUR_MESSAGE ? "msg" : "rs");
    cx__buf_reset(&s->cur_text);
    item_event(s, out, "response.output_item.added", s->cur_index, text_item(s, false));
    json_object *p = new_payload(s, s->cur_id, s->cur_index);
    cx__json_set(p, "content_index", json_object_new_int(0));
    cx__json_set(p, "part", text_part(s, "", 0));
    emit(s, out, "response.content_part.added", p);
}

static bool is_mock(const cx_chat_stream *s, const tool_call *t)
{
    return s->mock_search && !strcmp(cx__buf_str(&t->name), MOCK_SEARCH) &&
           !cx__json_get(s->custom, MOCK_SEARCH);
}

/* Call i got a delta: open its item once its name is known, stream its
 * arguments while it is the open item. */
static void call_progress(cx_chat_stream *s, size_t i, cx_buf *out)
{
    tool_call *t = &s->calls[i];
    if (t->closed || !t->name.len || is_mock(s, t)) return;
    if (!t->opened) {
        close_current(s, out);
        t->opened = true;
        t->index = s->next_index++;
        new_id(t->item_id, sizeof t->item_id, is_custom(s, t) ? "ctc" : "fc");
        s->cur = CUR_CALL;
        s->cur_call = i;
        item_event(s, out, "response.output_item.added", t->index, call_item(s, i, false));
    }
    if (is_custom(s, t) || t->args.len <= t->sent) return;
    json_object *p = new_payload(s, t->item_id, t->index);
    cx__json_set(p, "delta", cx__json_string_len(t->args.data + t->sent, t->args.len - t->sent));
    emit(s, out, "response.function_call_arguments.delta", p);
    t->sent = t->args.len;
}

/* text: the delta's JSON string (NULL or another type: nothing), taken whole
 * since it may hold \u0000 */
static void reasoning_delta(cx_chat_stream *s, json_object *text, cx_buf *out)
{
    size_t len = cx__chat_put_str(&s->reasoning, text, NULL);
    if (s->wire != CX_CHAT_WIRE_API || !len) return;
    if (s->cur != CUR_REASONING) open_text(s, CUR_REASONING, out);
    cx__chat_put_str(&s->cur_text, text, NULL);
    json_object *p = new_payload(s, s->cur_id, s->cur_index);
    cx__json_set(p, "content_index", json_object_new_int(0));
    cx__json_set(p, "delta", json_object_get(text));
    emit(s, out, "response.reasoning_text.delta", p);
}

static void emit_text_delta(cx_chat_stream *s, const char *content, size_t len, cx_buf *out);
static void note_finish(cx_chat_stream *s, const char *reason, size_t len);

/* The common chunk, a plain content delta, handled without building a JSON
 * tree (chat_json.c decodes it). False: use the full path. */
static bool fast_chunk(cx_chat_stream *s, const char *data, size_t len, cx_buf *out)
{
    cx_buf text = CX_BUF_INIT;
    const char *finish = NULL;
    size_t finish_len = 0;
    if (!cx__chat_plain_delta(data, len, &text, &finish, &finish_len)) {
        cx__buf_free(&text);
        return false;
    }
    if (finish) note_finish(s, finish, finish_len);
    if (text.len) emit_text_delta(s, text.data, text.len, out);
    cx__buf_free(&text);
    return true;
}

static int message_index(const cx_chat_stream *s)
{
    return s->reasoning.len ? 1 : 0;
}

static void emit_text_delta(cx_chat_stream *s, const char *content, size_t len, cx_buf *out)
{
    if (s->wire == CX_CHAT_WIRE_API) {
        /* the open message's text is all this wire keeps (cur_text) */
        if (s->cur != CUR_MESSAGE) open_text(s, CUR_MESSAGE, out);
        cx__buf_append(&s->cur_text, content, len);
        /* the hot path: written directly, same bytes as emit() would give */
        cx__buf_printf(out,
                       "event: response.output_text.delta\ndata: "
                       "{\"type\":\"response.output_text.delta\",\"item_id\":\"%s\","
                       "\"output_index\":%d,\"content_index\":0,\"delta\":",
                       s->cur_id, s->cur_index);
        cx__chat_json_quote(out, content, len);
        cx__buf_printf(out, ",\"logprobs\":[],\"sequence_number\":%lld}\n\n", s->seq++);
        return;
    }
    if (!s->message_open) {
        json_object *item = json_object_new_object();
        cx__json_set_str(item, "type", "message");
        cx__json_set_str(item, "id", s->message_id);
        cx__json_set_str(item, "role", "assistant");
        cx__json_set_str(item, "status", "in_progress");
        cx__json_set(item, "content", json_object_new_array());
        json_object *p = json_object_new_object();
        cx__json_set(p, "output_index", json_object_new_int(message_index(s)));
        cx__json_set(p, "item", item);
        emit(s, out, "response.output_item.added", p);
        s->message_open = true;
    }
    cx__buf_append(&s->text, content, len);
    /* the hot path of a stream: written directly, same bytes as emit() would give */
    cx__buf_printf(
        out,
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
        "\"item_id\":\"%s\",\"output_index\":%d,\"content_index\":0,\"delta\":",
        s->message_id, message_index(s));
    cx__chat_json_quote(out, content, len);
    cx__buf_puts(out, "}\n\n");
}

static void note_finish(cx_chat_stream *s, const char *reason, size_t len)
{
    s->finished = true;
    if (len == 6 && !memcmp(reason, "length", 6)) s->truncated = true;
}

int cx__chat_stream_chunk(cx_chat_stream *s, const char *data, size_t len, cx_buf *out,
                          cx_error *err)
{
    if (fast_chunk(s, data, len, out)) return 0;
    json_object *chunk = NULL;
    cx_error perr;
    if (cx__json_parse(data, len, &chunk, &perr))
        return cx_error_set(err, CX_EPARSE, "backend sent a chunk that is not JSON: %s", perr.msg);
    json_object *usage = cx__json_get(chunk, "usage");
    if (usage && json_object_is_type(usage, json_type_object)) {
        json_object_put(s->usage);
        s->usage = cx__chat_usage(usage);
    }
    json_object *err_obj = cx__json_get(chunk, "error");
    if (err_obj) {
        const char *m = json_object_is_type(err_obj, json_type_object)
                            ? cx__json_get_str(err_obj, "message")
                            : NULL;
        cx_error_set(err, CX_EPARSE, "backend error: %s", m ? m : json_object_get_string(err_obj));
        json_object_put(chunk);
        return CX_EPARSE;
    }
    json_object *choices = cx__json_get(chunk, "choices");
    size_t n = choices && json_object_is_type(choices, json_type_array)
                   ? json_object_array_length(choices)
                   : 0;
    for (size_t c = 0; c < n; c++) {
        json_object *choice = json_object_array_get_idx(choices, c);
        const char *finish = cx__json_get_str(choice, "finish_reason");
        if (finish && *finish) note_finish(s, finish, strlen(finish));
        json_object *delta = cx__json_get(choice, "delta");
        if (!delta || !json_object_is_type(delta, json_type_object)) continue;
        reasoning_delta(s, cx__json_get(delta, "reasoning"), out);
        reasoning_delta(s, cx__json_get(delta, "reasoning_content"), out);
        json_object *cv = cx__json_get(delta, "content");
        if (cv && json_object_is_type(cv, json_type_string) && json_object_get_string_len(cv) > 0)
            emit_text_delta(s, json_object_get_string(cv), (size_t)json_object_get_string_len(cv),
                            out);
        json_object *calls = cx__json_get(delta, "tool_calls");
        size_t m = calls && json_object_is_type(calls, json_type_array)
                       ? json_object_array_length(calls)
                       : 0;
        for (size_t k = 0; k < m; k++) {
            json_object *tc = json_object_array_get_idx(calls, k);
            int64_t idx = (int64_t)s->n_calls;
            cx__json_get_int(tc, "index", &idx);
            if (idx < 0 || idx > 1024) continue;
            while ((size_t)idx >= s->n_calls) {
                tool_call *p = realloc(s->calls, (s->n_calls + 1) * sizeof *p);
                if (!p) break;
                s->calls = p;
                memset(&s->calls[s->n_calls], 0, sizeof *p);
                cx__buf_init(&s->calls[s->n_calls].id);
                cx__buf_init(&s->calls[s->n_calls].name);
                cx__buf_init(&s->calls[s->n_calls].args);
                s->n_calls++;
            }
            if ((size_t)idx >= s->n_calls) continue;
            tool_call *t = &s->calls[idx];
            const char *id = cx__json_get_str(tc, "id");
            if (id && *id) {
                cx__buf_reset(&t->id);
                cx__buf_puts(&t->id, id);
            }
            json_object *fn = cx__json_get(tc, "function");
            const char *name = fn ? cx__json_get_str(fn, "name") : NULL;
            const char *args = fn ? cx__json_get_str(fn, "arguments") : NULL;
            if (name && *name && !t->opened) {
                cx__buf_reset(&t->name);
                cx__buf_puts(&t->name, name);
            }
            if (args) cx__chat_put_str(&t->args, fn, "arguments");
            if (s->wire == CX_CHAT_WIRE_API) call_progress(s, (size_t)idx, out);
        }
    }
    json_object_put(chunk);
    return 0;
}

static void emit_done(cx_chat_stream *s, cx_buf *out, int index, json_object *item)
{
    json_object_array_add(s->output, json_object_get(item));
    item_event(s, out, "response.output_item.done", index, item);
}

static void emit_search_items(cx_chat_stream *s, cx_buf *out, int *index)
{
    char buf[32];
    bool api = s->wire == CX_CHAT_WIRE_API;
    for (size_t i = 0; i < s->n_calls; i++) {
        if (!is_mock(s, &s->calls[i])) continue;
        json_object *item = json_object_new_object();
        cx__json_set_str(item, "type", "web_search_call");
        cx__json_set_str(item, "id", call_id(&s->calls[i], i, buf, sizeof buf));
        cx__json_set_str(item, "status", "completed");
        json_object *action = json_object_new_object();
        cx__json_set_str(action, "type", "search");
        cx__chat_search_queries(cx__buf_str(&s->calls[i].args), action);
        cx__json_set(item, "action", action);
        int at = api ? s->next_index++ : (*index)++;
        if (api) {
            json_object *added = cx__json_copy(item);
            cx__json_set_str(added, "status", "in_progress");
            item_event(s, out, "response.output_item.added", at, added);
        }
        emit_done(s, out, at, item);
    }
}

bool cx__chat_stream_finished(const cx_chat_stream *s)
{
    return s->finished;
}

/* The follow-up that answers the mock searches; the calls are forgotten. */
static json_object *search_followup(cx_chat_stream *s)
{
    cx__search_call *calls = calloc(s->n_calls ? s->n_calls : 1, sizeof *calls);
    char(*ids)[32] = calloc(s->n_calls ? s->n_calls : 1, sizeof *ids);
    json_object *next = NULL;
    if (calls && ids) {
        for (size_t i = 0; i < s->n_calls; i++) {
            calls[i].id = call_id(&s->calls[i], i, ids[i], sizeof ids[i]);
            calls[i].args = cx__buf_str(&s->calls[i].args);
        }
        next = cx__chat_search_followup(s->chat_req, calls, s->n_calls, s->reasoning.data,
                                        s->reasoning.len);
    }
    free(calls);
    free(ids);
    return next;
}

/* Codex wire: every item goes out at the end, as it always has. */
static void codex_items(cx_chat_stream *s, cx_buf *out, int *index)
{
    if (s->reasoning.len) {
        json_object *item = json_object_new_object();
        char rid[48];
        new_id(rid, sizeof rid, "rs");
        cx__json_set_str(item, "type", "reasoning");
        cx__json_set_str(item, "id", rid);
        cx__json_set(item, "summary", json_object_new_array());
        json_object *content = json_object_new_array();
        json_object *part = json_object_new_object();
        cx__json_set_str(part, "type", "reasoning_text");
        cx__json_set(part, "text", cx__json_string_len(s->reasoning.data, s->reasoning.len));
        json_object_array_add(content, part);
        cx__json_set(item, "content", content);
        emit_done(s, out, (*index)++, item);
    }
    if (s->text.len) {
        json_object *item = json_object_new_object();
        cx__json_set_str(item, "type", "message");
        cx__json_set_str(item, "id", s->message_id);
        cx__json_set_str(item, "role", "assistant");
        cx__json_set_str(item, "status", "completed");
        json_object *content = json_object_new_array();
        json_object *part = json_object_new_object();
        cx__json_set_str(part, "type", "output_text");
        cx__json_set(part, "text", cx__json_string_len(s->text.data, s->text.len));
        cx__json_set(part, "annotations", json_object_new_array());
        json_object_array_add(content, part);
        cx__json_set(item, "content", content);
        emit_done(s, out, (*index)++, item);
    }
    char buf[32];
    for (size_t i = 0; i < s->n_calls; i++) {
        tool_call *t = &s->calls[i];
        if (is_mock(s, t)) continue;
        json_object *item = json_object_new_object();
        const char *name = cx__buf_str(&t->name);
        if (cx__json_get(s->custom, name)) {
            json_object *input = cx__chat_custom_input(t->args.data, t->args.len);
            cx__json_set_str(item, "type", "custom_tool_call");
            cx__json_set_str(item, "status", "completed");
            cx__json_set_str(item, "call_id", call_id(t, i, buf, sizeof buf));
            cx__json_set_str(item, "name", name);
            cx__json_set(item, "input", input);
        } else {
            cx__json_set_str(item, "type", "function_call");
            cx__json_set_str(item, "call_id", call_id(t, i, buf, sizeof buf));
            cx__json_set_str(item, "name", name);
            cx__json_set(item, "arguments",
                         t->args.len ? cx__json_string_len(t->args.data, t->args.len)
                                     : cx__json_string("{}"));
        }
        emit_done(s, out, (*index)++, item);
    }
}

int cx__chat_stream_end(cx_chat_stream *s, cx_buf *out, json_object **next, cx_error *err)
{
    s->finished = false;
    *next = NULL;
    bool api = s->wire == CX_CHAT_WIRE_API;
    /* a call streamed without its name takes the name of the tool at its index */
    json_object *tools = cx__json_get(s->chat_req, "tools");
    for (size_t i = 0; i < s->n_calls; i++) {
        if (s->calls[i].name.len || !tools || i >= json_object_array_length(tools)) continue;
        const char *name =
            cx__json_get_str(cx__json_get(json_object_array_get_idx(tools, i), "function"), "name");
        if (name) cx__buf_puts(&s->calls[i].name, name);
    }
    size_t mock = 0, ordinary = 0;
    for (size_t i = 0; i < s->n_calls; i++) {
        if (is_mock(s, &s->calls[i]))
            mock++;
        else
            ordinary++;
    }
    int index = 0;
    if (mock && !ordinary && s->searches < MAX_SEARCH_ROUNDS) {
        if (api) close_current(s, out);
        emit_search_items(s, out, &index);
        *next = search_followup(s);
        if (!*next) return cx_error_set(err, CX_ENOMEM, "out of memory");
        json_object_put(s->chat_req);
        s->chat_req = json_object_get(*next);
        s->searches++;
        calls_reset(s);
        return 1;
    }
    for (size_t i = 0; i < s->n_calls; i++)
        if (!is_mock(s, &s->calls[i]) && !s->calls[i].name.len)
            return cx_error_set(err, CX_EPARSE, "the backend sent a tool call without a name");
    if (api) {
        close_current(s, out);
        /* calls whose name came late (or only from the tool list) open now */
        for (size_t i = 0; i < s->n_calls; i++) {
            if (s->calls[i].opened) continue;
            call_progress(s, i, out);
            close_call(s, i, out);
        }
    } else {
        codex_items(s, out, &index);
    }
    emit_search_items(s, out, &index);
    const char *status = api && s->truncated ? "incomplete" : "completed";
    json_object_put(s->final);
    s->final = api_response(s, status, true);
    if (s->truncated) {
        json_object *why = json_object_new_object();
        cx__json_set_str(why, "reason", "max_output_tokens");
        json_object_object_add(s->final, "incomplete_details", why);
    }
    if (api) {
        emit(s, out, s->truncated ? "response.incomplete" : "response.completed",
             payload_with_response(json_object_get(s->final)));
        return 0;
    }
    json_object *r = response_object(s, "completed");
    cx__json_set(r, "output", json_object_new_array());
    if (s->usage) cx__json_set(r, "usage", json_object_get(s->usage));
    emit(s, out, "response.completed", payload_with_response(r));
    return 0;
}

void cx__chat_stream_fail(cx_chat_stream *s, const char *message, cx_buf *out)
{
    json_object *e = json_object_new_object();
    cx__json_set_str(e, "code", "server_error");
    cx__json_set_str(e, "message", message);
    json_object_put(s->final);
    s->final = api_response(s, "failed", true);
    json_object_object_add(s->final, "error", json_object_get(e));
    if (s->wire == CX_CHAT_WIRE_API) {
        json_object_put(e);
        emit(s, out, "response.failed", payload_with_response(json_object_get(s->final)));
        return;
    }
    json_object *r = response_object(s, "failed");
    cx__json_set(r, "error", e);
    emit(s, out, "response.failed", payload_with_response(r));
}
