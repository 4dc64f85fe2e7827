/* /v1/responses: a POST streams events (or, without "stream": true, answers
 * one JSON Response); GET and DELETE /v1/responses/{id} read and remove
 * stored responses; previous_response_id continues a stored conversation.
 * See rserver_int.h. */
#include "server/rserver_int.h"

#include "base/json.h"
#include "base/redact.h"
#include "server/chat_request.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- failures ------------------------------------------------------------------ */

static void detach(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    if (conn) evhttp_connection_set_closecb(conn, NULL, NULL);
}

void cx__responses_fail(xfer *x, int status, const char *message)
{
    if (x->failed) return;
    x->failed = true;
    if (x->started) {
        cx__chat_stream_fail(x->cs, message, &x->out);
        cx__xfer_flush(x);
        cx__xfer_end_reply(x);
        return;
    }
    if (!x->req) return;
    struct evhttp_request *req = x->req;
    detach(req);
    x->req = NULL;
    cx__rserver_error(req, status, NULL, NULL, message);
}

/* A backend error status before any byte of the stream: the client gets that
 * status, the backend's message in OpenAI's error shape, and Retry-After. */
static void backend_status(xfer *x)
{
    cx__buf_puts(&x->raw, "");
    json_object *body = NULL, *e = NULL;
    if (x->raw.len && !cx__json_parse(x->raw.data, x->raw.len, &body, NULL))
        e = cx__json_get(body, "error");
    const char *message = NULL, *type = NULL, *code = NULL;
    if (e && json_object_is_type(e, json_type_object)) {
        message = cx__json_get_str(e, "message");
        type = cx__json_get_str(e, "type");
        code = cx__json_get_str(e, "code");
    } else if (e && json_object_is_type(e, json_type_string)) {
        message = json_object_get_string(e);
    }
    char msg[CX__ERROR_BODY_CAP + 128];
    /* the backend's words may echo a credential: redacted, on one line */
    char *red = cx__redact(message       ? message
                           : x->raw.data ? x->raw.data
                                         : "",
                           NULL, CX_REDACT_ONE_LINE);
    if (message)
        snprintf(msg, sizeof msg, "%s", red ? red : "");
    else
        snprintf(msg, sizeof msg, "chat completions backend answered %ld: %.*s", x->status,
                 CX__ERROR_BODY_CAP, red ? red : "");
    free(red);
    x->failed = true;
    if (x->req) {
        struct evhttp_request *req = x->req;
        detach(req);
        x->req = NULL;
        if (x->retry_after)
            evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
                              x->retry_after);
        int status = x->status >= 400 && x->status <= 599 ? (int)x->status : 502;
        cx__rserver_error(req, status, type, code, msg);
    }
    json_object_put(body);
}

/* ---- the stream ---------------------------------------------------------------- */

void cx__responses_start(xfer *x)
{
    if (x->started || !x->req) return;
    struct evkeyvalq *h = evhttp_request_get_output_headers(x->req);
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_send_reply_start(x->req, 200, "OK");
    x->started = true;
    cx_buf begin = CX_BUF_INIT;
    cx__chat_stream_begin(x->cs, &begin);
    cx__buf_append(&x->out, begin.data, begin.len);
    cx__buf_free(&begin);
}

int cx__responses_chunk(xfer *x, const char *data, size_t len)
{
    cx_error err;
    if (cx__chat_stream_chunk(x->cs, data, len, &x->out, &err)) {
        cx__responses_fail(x, 502, err.msg);
        return 1;
    }
    return 0;
}

/* Keeps the finished response and its conversation for later requests. */
static void store_response(xfer *x)
{
    const json_object *r = cx__chat_stream_response(x->cs);
    if (!x->store || !r || !x->srv->store) return;
    cx_buf rec = CX_BUF_INIT;
    cx__buf_puts(&rec, "{\"response\":");
    cx__json_dump(r, &rec);
    cx__buf_printf(&rec, ",\"input\":%s}", x->input ? x->input : "[]");
    if (!cx__buf_failed(&rec))
        cx__resp_store_put(x->srv->store, cx__chat_stream_id(x->cs), rec.data, rec.len);
    cx__buf_free(&rec);
}

void cx__responses_done(xfer *x, CURLcode rc)
{
    if (!x->req || x->failed) {
        cx__xfer_free(x);
        return;
    }
    char msg[CX__ERROR_BODY_CAP + 256];
    if (x->status && x->status != 200) {
        if (!x->started) {
            backend_status(x);
        } else {
            cx__buf_puts(&x->raw, "");
            char *red = cx__redact(x->raw.data ? x->raw.data : "", NULL, CX_REDACT_ONE_LINE);
            snprintf(msg, sizeof msg, "chat completions backend answered %ld: %.*s", x->status,
                     CX__ERROR_BODY_CAP, red ? red : "");
            free(red);
            cx__responses_fail(x, 502, msg);
        }
        cx__xfer_free(x);
        return;
    }
    if (rc != CURLE_OK) {
        snprintf(msg, sizeof msg, "chat completions backend failed: %s",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        cx__responses_fail(x, 502, msg);
        cx__xfer_free(x);
        return;
    }
    if (x->deferred) cx__responses_start(x);
    bool cut = cx__sse_finish(x->sse);
    if (!x->done_seen && (cut || !cx__chat_stream_finished(x->cs))) {
        cx__responses_fail(x, 502, "chat completions backend closed the stream before it finished");
        cx__xfer_free(x);
        return;
    }
    json_object *next = NULL;
    cx_error err;
    int r = cx__chat_stream_end(x->cs, &x->out, &next, &err);
    if (r < 0) {
        cx__xfer_flush(x);
        cx__responses_fail(x, 502, err.msg);
        cx__xfer_free(x);
        return;
    }
    cx__xfer_flush(x);
    if (r == 1) {
        /* the mock search answered: the same transfer carries on with the
           follow-up request, so the client's stream (and the callbacks evhttp
           holds for it) keep pointing at a live xfer */
        char *body = cx__json_to_string(next);
        json_object_put(next);
        if (!body || cx__xfer_restart(x, body)) {
            cx__responses_fail(x, 502,
                               "cannot start the follow-up request to the chat completions "
                               "backend");
            cx__xfer_free(x);
        }
        return;
    }
    store_response(x);
    if (x->streaming) {
        cx__xfer_end_reply(x);
    } else {
        struct evhttp_request *req = x->req;
        detach(req);
        x->req = NULL;
        cx__rserver_json(req, 200, json_object_get((json_object *)cx__chat_stream_response(x->cs)));
    }
    cx__xfer_free(x);
}

/* ---- POST ---------------------------------------------------------------------- */

/* Starts the backend request for a Responses request; takes body and
 * history (the stored conversation it continues, or NULL). */
static void begin_response(cx_rserver *s, struct evhttp_request *req, json_object *body,
                           cx_chat_wire wire, json_object *history)
{
    cx_error err;
    json_object *items = NULL, *chat = NULL, *translated = json_object_get(body);
    if (cx__chat_request_items(body, &items, &err)) goto refused;
    if (history) {
        /* the stored turns come first; instructions are this request's own */
        size_t n = json_object_array_length(items);
        for (size_t i = 0; i < n; i++)
            json_object_array_add(history, json_object_get(json_object_array_get_idx(items, i)));
        json_object_put(items);
        items = history;
        history = NULL;
        json_object_put(translated);
        translated = json_object_new_object();
        json_object_object_foreach(body, k, v) if (strcmp(k, "input"))
            json_object_object_add(translated, k, json_object_get(v));
        cx__json_set(translated, "input", json_object_get(items));
    }
    if (cx__chat_request_build(translated, s->provider, &chat, &err)) goto refused;
    json_object_put(translated);
    translated = NULL;
    cx_chat_stream *cs = cx__chat_stream_new(body, chat, s->provider, wire);
    bool streaming = wire == CX_CHAT_WIRE_CODEX, store = true;
    cx__json_get_bool(body, "stream", &streaming);
    cx__json_get_bool(body, "store", &store);
    json_object_put(body);
    char *text = cs ? cx__json_to_string(chat) : NULL;
    json_object_put(chat);
    if (!text) {
        cx__rserver_error(req, 500, NULL, NULL, "out of memory");
        cx__chat_stream_free(cs);
        json_object_put(items);
        return;
    }
    char url[4096];
    snprintf(url, sizeof url, "%s/chat/completions", s->downstream);
    if (streaming && wire == CX_CHAT_WIRE_CODEX) {
        /* the Codex wire: the stream begins at once, as it always has */
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Content-Type", "text/event-stream");
        evhttp_add_header(h, "Cache-Control", "no-cache");
        evhttp_send_reply_start(req, 200, "OK");
    }
    xfer *x = cx__xfer_new(s, XFER_STREAM, req, url, text);
    if (!x) {
        if (streaming && wire == CX_CHAT_WIRE_CODEX) {
            xfer tmp = {.srv = s, .req = req, .cs = cs, .out = CX_BUF_INIT, .started = true};
            cx__responses_fail(&tmp, 502,
                               "cannot start the request to the chat completions backend");
            cx__buf_free(&tmp.out);
        } else {
            cx__rserver_error(req, 500, NULL, NULL,
                              "cannot start the request to the chat completions backend");
        }
        cx__chat_stream_free(cs);
        json_object_put(items);
        return;
    }
    x->cs = cs;
    /* kept as text: the tree would cost a stream in flight several times more */
    x->input = store ? cx__json_to_string(items) : NULL;
    json_object_put(items);
    x->streaming = streaming;
    x->store = store;
    if (streaming && wire == CX_CHAT_WIRE_CODEX) {
        x->started = true;
        cx__chat_stream_begin(cs, &x->out);
        cx__xfer_flush(x);
    } else if (streaming) {
        x->deferred = true;
    }
    return;
refused:
    cx__rserver_error(req, 400, NULL, NULL, err.msg);
    json_object_put(items);
    json_object_put(history);
    json_object_put(translated);
    json_object_put(body);
}

/* A request waiting for the store (previous_response_id, GET, DELETE). */
typedef enum { WAIT_PREVIOUS, WAIT_GET, WAIT_DELETE, WAIT_ITEMS } wait_kind;

typedef struct waiting {
    cx_rserver *srv;
    struct evhttp_request *req; /* NULL once the client is gone */
    wait_kind kind;
    json_object *body; /* WAIT_PREVIOUS: the request */
    cx_chat_wire wire;
    bool ascending; /* WAIT_ITEMS: ?order=asc (the API's default is desc) */
    char id[200];
} waiting;

static void waiting_gone(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    waiting *w = arg;
    w->req = NULL; /* the connection frees the request */
}

static void not_found(struct evhttp_request *req, const char *what, const char *id)
{
    char msg[300];
    snprintf(msg, sizeof msg, "%s with id '%s' not found.", what, id);
    cx__rserver_error(req, 404, "invalid_request_error", NULL, msg);
}

static void on_stored(void *user, int rc, const char *data, size_t len)
{
    waiting *w = user;
    struct evhttp_request *req = w->req;
    if (req) detach(req);
    if (!req || w->srv->closing) goto done;
    if (rc == CX_ENOTFOUND) {
        not_found(req, w->kind == WAIT_PREVIOUS ? "Previous response" : "Response", w->id);
        goto done;
    }
    if (rc) {
        char msg[128];
        snprintf(msg, sizeof msg, "the response store (%s) is unavailable",
                 cx__resp_store_kind(w->srv->store));
        cx__rserver_error(req, 503, NULL, NULL, msg);
        goto done;
    }
    if (w->kind == WAIT_DELETE) {
        json_object *o = json_object_new_object();
        cx__json_set_str(o, "id", w->id);
        cx__json_set_str(o, "object", "response");
        cx__json_set(o, "deleted", json_object_new_boolean(1));
        cx__rserver_json(req, 200, o);
        goto done;
    }
    json_object *rec = NULL;
    json_object *r = !cx__json_parse(data, len, &rec, NULL) ? cx__json_get(rec, "response") : NULL;
    if (!r) {
        cx__rserver_error(req, 500, NULL, NULL, "a stored response could not be read");
    } else if (w->kind == WAIT_GET) {
        cx__rserver_json(req, 200, json_object_get(r));
    } else if (w->kind == WAIT_ITEMS) {
        json_object *input = cx__json_get(rec, "input");
        size_t n = input && json_object_is_type(input, json_type_array)
                       ? json_object_array_length(input)
                       : 0;
        json_object *data_list = json_object_new_array();
        for (size_t i = 0; i < n; i++)
            json_object_array_add(data_list, json_object_get(json_object_array_get_idx(
                                                 input, w->ascending ? i : n - 1 - i)));
        json_object *o = json_object_new_object();
        cx__json_set_str(o, "object", "list");
        cx__json_set(o, "data", data_list);
        json_object *first = n ? json_object_array_get_idx(data_list, 0) : NULL;
        json_object *last = n ? json_object_array_get_idx(data_list, n - 1) : NULL;
        json_object_object_add(o, "first_id", json_object_get(cx__json_get(first, "id")));
        json_object_object_add(o, "last_id", json_object_get(cx__json_get(last, "id")));
        cx__json_set(o, "has_more", json_object_new_boolean(0));
        cx__rserver_json(req, 200, o);
    } else {
        /* the conversation so far: its input, then what the model answered */
        json_object *history = json_object_new_array();
        static const char *const parts[2][2] = {{"input", NULL}, {"response", "output"}};
        for (int k = 0; k < 2; k++) {
            json_object *list = cx__json_get(rec, parts[k][0]);
            if (parts[k][1]) list = cx__json_get(list, parts[k][1]);
            size_t n = list && json_object_is_type(list, json_type_array)
                           ? json_object_array_length(list)
                           : 0;
            for (size_t i = 0; i < n; i++)
                json_object_array_add(history, json_object_get(json_object_array_get_idx(list, i)));
        }
        begin_response(w->srv, req, w->body, w->wire, history);
        w->body = NULL;
    }
    json_object_put(rec);
done:
    json_object_put(w->body);
    free(w);
}

static void wait_for_store(cx_rserver *s, struct evhttp_request *req, wait_kind kind,
                           const char *id, json_object *body, cx_chat_wire wire, bool ascending)
{
    waiting *w = calloc(1, sizeof *w);
    if (!w || strlen(id) >= sizeof w->id) {
        free(w);
        json_object_put(body);
        if (!w)
            cx__rserver_error(req, 500, NULL, NULL, "out of memory");
        else
            not_found(req, "Response", "(too long)");
        return;
    }
    *w = (waiting){
        .srv = s, .req = req, .kind = kind, .body = body, .wire = wire, .ascending = ascending};
    snprintf(w->id, sizeof w->id, "%s", id);
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    if (conn) evhttp_connection_set_closecb(conn, waiting_gone, w);
    if (kind == WAIT_DELETE)
        cx__resp_store_del(s->store, w->id, on_stored, w);
    else
        cx__resp_store_get(s->store, w->id, on_stored, w);
}

static void post(cx_rserver *s, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *text = malloc(len + 1);
    if (!text) {
        cx__rserver_error(req, 500, NULL, NULL, "out of memory");
        return;
    }
    evbuffer_remove(in, text, len);
    text[len] = '\0';
    json_object *body = NULL;
    cx_error err;
    if (cx__json_parse(text, len, &body, &err)) {
        free(text);
        char msg[1200];
        snprintf(msg, sizeof msg, "invalid JSON body: %s", err.msg);
        cx__rserver_error(req, 400, NULL, NULL, msg);
        return;
    }
    free(text);
    if (!json_object_is_type(body, json_type_object)) {
        json_object_put(body);
        cx__rserver_error(req, 400, NULL, NULL, "the request body must be a JSON object");
        return;
    }
    /* Codex clients (upstream Codex, ccodex, pycodex) name themselves in an
       `originator` header; they keep the wire they have always had */
    const char *originator =
        evhttp_find_header(evhttp_request_get_input_headers(req), "originator");
    cx_chat_wire wire = originator ? CX_CHAT_WIRE_CODEX : CX_CHAT_WIRE_API;
    json_object *prev = cx__json_get(body, "previous_response_id");
    if (prev && !json_object_is_type(prev, json_type_null)) {
        const char *id = json_object_get_string(prev);
        if (!json_object_is_type(prev, json_type_string) || !*id) {
            json_object_put(body);
            cx__rserver_error(req, 400, NULL, NULL, "previous_response_id must be a string");
            return;
        }
        char copy[200];
        snprintf(copy, sizeof copy, "%s", id);
        wait_for_store(s, req, WAIT_PREVIOUS, copy, body, wire, false);
        return;
    }
    begin_response(s, req, body, wire, NULL);
}

void cx__responses_handle(cx_rserver *s, struct evhttp_request *req)
{
    const char *rest = NULL;
    cx__rserver_path(evhttp_request_get_uri(req), "/responses", &rest);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (!rest || !*rest || *rest == '?') {
        if (cmd != EVHTTP_REQ_POST) {
            cx__rserver_error(req, 405, NULL, NULL, "use POST for /v1/responses");
            return;
        }
        post(s, req);
        return;
    }
    /* rest is "/{id}" or "/{id}/input_items" (a query after it: only order=asc is read) */
    char id[200];
    size_t n = strcspn(rest + 1, "/?");
    const char *tail = rest + 1 + n;
    bool items = !strncmp(tail, "/input_items", 12) && (tail[12] == '\0' || tail[12] == '?');
    if (n == 0 || n >= sizeof id || (*tail == '/' && !items)) {
        cx__rserver_error(req, 404, NULL, NULL, "no such endpoint under /v1/responses");
        return;
    }
    memcpy(id, rest + 1, n);
    id[n] = '\0';
    const char *query = strchr(tail, '?');
    bool ascending = query && strstr(query, "order=asc");
    if (items && cmd == EVHTTP_REQ_GET)
        wait_for_store(s, req, WAIT_ITEMS, id, NULL, CX_CHAT_WIRE_API, ascending);
    else if (items)
        cx__rserver_error(req, 405, NULL, NULL, "use GET for /v1/responses/{id}/input_items");
    else if (cmd == EVHTTP_REQ_GET)
        wait_for_store(s, req, WAIT_GET, id, NULL, CX_CHAT_WIRE_API, false);
    else if (cmd == EVHTTP_REQ_DELETE)
        wait_for_store(s, req, WAIT_DELETE, id, NULL, CX_CHAT_WIRE_API, false);
    else
        cx__rserver_error(req, 405, NULL, NULL, "use GET or DELETE for /v1/responses/{id}");
}
