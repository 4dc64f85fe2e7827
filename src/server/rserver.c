/* The responses server's loop: evhttp in front, curl multi-socket behind,
 * both on one event_base. See rserver.h. */
#include "server/rserver.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/net.h"
#include "model/sse.h"
#include "base/http_guard.h"
#include "base/redact.h"
#include "server/chat_bridge.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (64L * 1024 * 1024)
#define ERROR_BODY_CAP 2048
/* A client that reads slower than the backend writes: past this many bytes
 * waiting in its socket buffer, the backend transfer is paused until they
 * have been sent, so memory stays bounded per stream. */
#define CLIENT_HIGH_WATER (8 * 1024)

typedef enum { XFER_STREAM, XFER_MODELS } xfer_kind;

typedef struct xfer {
    struct cx_rserver *srv;
    xfer_kind kind;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    char errbuf[CURL_ERROR_SIZE];
    struct evhttp_request *req; /* NULL once the client is gone */
    cx_sse_parser *sse;
    cx_chat_stream *cs;
    cx_buf out;     /* events waiting to go to the client */
    cx_buf raw;     /* models body, or an error body from the backend */
    long status;    /* backend HTTP status, once known */
    bool done_seen; /* [DONE] arrived */
    bool failed;    /* we ended the client's stream already */
    bool aborting;  /* the write callback asked curl to stop */
    bool paused;    /* the backend transfer waits for the client to drain */
    long long last_byte;
    struct xfer *prev, *next;
} xfer;

struct cx_rserver {
    struct event_base *base;
    struct evhttp *http;
    CURLM *multi;
    struct event *curl_timer;
    struct event *watchdog;
    cx_http_guard *guard; /* header limits, accept back-off */
    struct event *wake;   /* read side of the stop pipe */
    int wake_fds[2];
    int fd;
    int port;
    char *downstream;
    char *provider;
    char *auth_header;
    long idle_ms;
    xfer *xfers;
    pthread_t thread;
    bool threaded;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- replies ------------------------------------------------------------------ */

static void reply_json(struct evhttp_request *req, int status, const char *reason,
                       const char *message)
{
    json_object *o = json_object_new_object();
    json_object *e = json_object_new_object();
    cx_json_set_str(e, "message", message);
    cx_json_set(o, "error", e);
    char *text = cx_json_to_string(o);
    json_object_put(o);
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, text ? text : "{}", text ? strlen(text) : 2);
    free(text);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, status, reason, b);
    evbuffer_free(b);
}

/* Bytes still waiting to be written to the client. */
static size_t client_backlog(const xfer *x)
{
    struct evhttp_connection *conn = x->req ? evhttp_request_get_connection(x->req) : NULL;
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* The client's socket buffer drained: let a paused backend transfer go on. */
static void client_drained(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    xfer *x = arg;
    if (x->paused && client_backlog(x) < CLIENT_HIGH_WATER) {
        x->paused = false;
        curl_easy_pause(x->easy, CURLPAUSE_CONT);
    }
}

/* Sends what x->out holds as one chunk of the streamed reply. */
static void flush_out(xfer *x)
{
    if (!x->out.len) return;
    if (x->req) {
        struct evbuffer *b = evbuffer_new();
        evbuffer_add(b, x->out.data, x->out.len);
        evhttp_send_reply_chunk_with_cb(x->req, b, client_drained, x);
        evbuffer_free(b);
    }
    cx_buf_reset(&x->out);
}

static void client_closed(struct evhttp_connection *conn, void *arg);

static void end_reply(xfer *x)
{
    if (!x->req) return;
    struct evhttp_connection *conn = evhttp_request_get_connection(x->req);
    if (conn) evhttp_connection_set_closecb(conn, NULL, NULL);
    evhttp_send_reply_end(x->req);
    x->req = NULL;
}

/* ---- transfers ---------------------------------------------------------------- */

static void xfer_free(xfer *x)
{
    cx_rserver *s = x->srv;
    if (x->easy) {
        curl_multi_remove_handle(s->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    if (x->req) {
        struct evhttp_connection *conn = evhttp_request_get_connection(x->req);
        if (conn) evhttp_connection_set_closecb(conn, NULL, NULL);
    }
    curl_slist_free_all(x->headers);
    free(x->body);
    cx_sse_free(x->sse);
    cx_chat_stream_free(x->cs);
    cx_buf_free(&x->out);
    cx_buf_free(&x->raw);
    if (x->prev)
        x->prev->next = x->next;
    else
        s->xfers = x->next;
    if (x->next) x->next->prev = x->prev;
    free(x);
}

/* Ends the client's stream with response.failed (once). */
static void fail_stream(xfer *x, const char *message)
{
    if (x->failed) return;
    x->failed = true;
    cx_chat_stream_fail(x->cs, message, &x->out);
    flush_out(x);
    end_reply(x);
}

static int on_sse(void *user, const cx_sse_event *ev)
{
    xfer *x = user;
    if (x->failed) return 1;
    if (ev->data_len == 6 && !memcmp(ev->data, "[DONE]", 6)) {
        x->done_seen = true;
        return 0;
    }
    if (!ev->data_len) return 0;
    cx_error err;
    if (cx_chat_stream_chunk(x->cs, ev->data, ev->data_len, &x->out, &err)) {
        fail_stream(x, err.msg);
        return 1;
    }
    return 0;
}

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
    xfer *x = user;
    size_t len = size * n;
    x->last_byte = now_ms();
    if (!x->status) curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
    if (x->kind == XFER_MODELS || x->status != 200) {
        if (x->kind == XFER_MODELS || x->raw.len < ERROR_BODY_CAP)
            cx_buf_append(&x->raw, data, len);
        return len;
    }
    if (!x->req || x->failed) {
        x->aborting = true;
        return 0;
    }
    if (client_backlog(x) >= CLIENT_HIGH_WATER) {
        /* curl hands these bytes again once the transfer is unpaused */
        x->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (cx_sse_feed(x->sse, data, len) != 0 || x->failed) {
        if (cx_sse_overflowed(x->sse))
            fail_stream(x, "chat completions backend sent an event larger than 16 MiB "
                           "without ending it");
        x->aborting = true;
        return 0;
    }
    flush_out(x);
    return len;
}

static xfer *xfer_new(cx_rserver *s, xfer_kind kind, struct evhttp_request *req, const char *url,
                      char *body)
{
    xfer *x = calloc(1, sizeof *x);
    if (!x) {
        free(body);
        return NULL;
    }
    x->srv = s;
    x->kind = kind;
    x->req = req;
    x->body = body;
    cx_buf_init(&x->out);
    cx_buf_init(&x->raw);
    x->last_byte = now_ms();
    x->easy = curl_easy_init();
    if (kind == XFER_STREAM) x->sse = cx_sse_new(on_sse, x);
    if (!x->easy || (kind == XFER_STREAM && !x->sse)) {
        curl_easy_cleanup(x->easy);
        cx_sse_free(x->sse);
        free(x->body);
        free(x);
        return NULL;
    }
    x->headers = curl_slist_append(x->headers, kind == XFER_STREAM ? "Accept: text/event-stream"
                                                                   : "Accept: application/json");
    if (body) x->headers = curl_slist_append(x->headers, "Content-Type: application/json");
    if (s->auth_header) x->headers = curl_slist_append(x->headers, s->auth_header);
    curl_easy_setopt(x->easy, CURLOPT_URL, url);
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(x->easy, CURLOPT_TCP_NODELAY, 1L);
    /* hundreds of transfers at once: keep curl's per-handle buffers small */
    curl_easy_setopt(x->easy, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, 4096L);
    if (body) {
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    x->next = s->xfers;
    if (s->xfers) s->xfers->prev = x;
    s->xfers = x;
    if (req) {
        struct evhttp_connection *conn = evhttp_request_get_connection(req);
        if (conn) evhttp_connection_set_closecb(conn, client_closed, x);
    }
    if (curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) {
        xfer_free(x);
        return NULL;
    }
    return x;
}

static char *url_for(const cx_rserver *s, const char *tail)
{
    char *u = NULL;
    if (asprintf(&u, "%s%s", s->downstream, tail) < 0) return NULL;
    return u;
}

/* Starts (or continues, for a follow-up) a chat stream for the client. */
static xfer *start_stream(cx_rserver *s, struct evhttp_request *req, json_object *chat,
                          cx_chat_stream *cs)
{
    char *body = cx_json_to_string(chat);
    char *url = url_for(s, "/chat/completions");
    xfer *x = body && url ? xfer_new(s, XFER_STREAM, req, url, body) : NULL;
    if (!x && body && url) body = NULL; /* xfer_new freed it */
    free(url);
    if (!x) {
        free(body);
        return NULL;
    }
    x->cs = cs;
    return x;
}

/* Sends a new request body on x's handle (a follow-up); takes body. */
static int restart(xfer *x, char *body)
{
    cx_rserver *s = x->srv;
    curl_multi_remove_handle(s->multi, x->easy);
    free(x->body);
    x->body = body;
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    cx_sse_free(x->sse);
    x->sse = cx_sse_new(on_sse, x);
    x->status = 0;
    x->done_seen = x->aborting = x->paused = false;
    x->errbuf[0] = '\0';
    cx_buf_reset(&x->raw);
    x->last_byte = now_ms();
    if (!x->sse || curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) return -1;
    return 0;
}

static void stream_done(xfer *x, CURLcode rc)
{
    if (!x->req || x->failed) {
        xfer_free(x);
        return;
    }
    char msg[ERROR_BODY_CAP + 256];
    if (x->status && x->status != 200) {
        cx_buf_puts(&x->raw, "");
        char *red = cx_redact(x->raw.data ? x->raw.data : "", NULL, CX_REDACT_ONE_LINE);
        snprintf(msg, sizeof msg, "chat completions backend answered %ld: %.*s", x->status,
                 ERROR_BODY_CAP, red ? red : "");
        free(red);
        fail_stream(x, msg);
        xfer_free(x);
        return;
    }
    if (rc != CURLE_OK) {
        snprintf(msg, sizeof msg, "chat completions backend failed: %s",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        fail_stream(x, msg);
        xfer_free(x);
        return;
    }
    bool cut = cx_sse_finish(x->sse);
    if (!x->done_seen && (cut || !cx_chat_stream_finished(x->cs))) {
        fail_stream(x, "chat completions backend closed the stream before it finished");
        xfer_free(x);
        return;
    }
    json_object *next = NULL;
    cx_error err;
    int r = cx_chat_stream_end(x->cs, &x->out, &next, &err);
    if (r < 0) {
        flush_out(x);
        fail_stream(x, err.msg);
        xfer_free(x);
        return;
    }
    flush_out(x);
    if (r == 1) {
        /* the mock search answered: the same transfer carries on with the
           follow-up request, so the client's stream (and the callbacks evhttp
           holds for it) keep pointing at a live xfer */
        char *body = cx_json_to_string(next);
        json_object_put(next);
        if (!body || restart(x, body)) {
            fail_stream(x, "cannot start the follow-up request to the chat completions backend");
            xfer_free(x);
        }
        return;
    }
    end_reply(x);
    xfer_free(x);
}

static void models_done(xfer *x, CURLcode rc)
{
    if (x->req) {
        struct evhttp_request *req = x->req;
        struct evhttp_connection *conn = evhttp_request_get_connection(req);
        if (conn) evhttp_connection_set_closecb(conn, NULL, NULL);
        x->req = NULL;
        if (rc != CURLE_OK) {
            char msg[CURL_ERROR_SIZE + 64];
            snprintf(msg, sizeof msg, "chat completions backend failed: %s",
                     x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
            reply_json(req, 502, "Bad Gateway", msg);
        } else {
            struct evbuffer *b = evbuffer_new();
            evbuffer_add(b, x->raw.data ? x->raw.data : "", x->raw.len);
            evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                              "application/json");
            evhttp_send_reply(req, x->status ? (int)x->status : 502,
                              x->status == 200 ? "OK" : "Backend Status", b);
            evbuffer_free(b);
        }
    }
    xfer_free(x);
}

static void check_done(cx_rserver *s)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode rc = m->data.result;
        if (!x) continue;
        if (!x->status) curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
        if (x->kind == XFER_MODELS)
            models_done(x, rc);
        else
            stream_done(x, rc);
    }
}

static void client_closed(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    xfer *x = arg;
    /* A client that left mid-reply leaves its request detached from the
     * connection (libevent hands it to us to finish); one still attached goes
     * with the connection. Either way, stop the backend transfer now rather
     * than when it next writes. */
    if (x->req && !evhttp_request_get_connection(x->req)) evhttp_request_free(x->req);
    x->req = NULL;
    xfer_free(x);
}

/* ---- curl <-> libevent glue ------------------------------------------------- */

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    cx_rserver *s = arg;
    int action = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(s->multi, fd, action, &running);
    check_done(s);
}

static int on_curl_socket(CURL *e, curl_socket_t fd, int what, void *user, void *sockp)
{
    (void)e;
    cx_rserver *s = user;
    struct event *ev = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (ev) event_free(ev);
        curl_multi_assign(s->multi, fd, NULL);
        return 0;
    }
    short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
                         (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
    if (ev) {
        event_del(ev);
        event_assign(ev, s->base, fd, kind, on_socket_event, s);
    } else {
        ev = event_new(s->base, fd, kind, on_socket_event, s);
        curl_multi_assign(s->multi, fd, ev);
    }
    event_add(ev, NULL);
    return 0;
}

static void on_curl_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cx_rserver *s = arg;
    int running;
    curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(s);
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *user)
{
    (void)m;
    cx_rserver *s = user;
    if (timeout_ms < 0) {
        evtimer_del(s->curl_timer);
    } else {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        evtimer_add(s->curl_timer, &tv);
    }
    return 0;
}

/* Fails streams whose backend has gone quiet for too long. */
static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cx_rserver *s = arg;
    long long now = now_ms();
    for (xfer *x = s->xfers, *next; x; x = next) {
        next = x->next;
        if (now - x->last_byte < s->idle_ms) continue;
        char msg[128];
        snprintf(msg, sizeof msg, "chat completions backend sent nothing for %ld ms", s->idle_ms);
        if (x->kind == XFER_STREAM) {
            fail_stream(x, msg);
        } else if (x->req) {
            struct evhttp_request *req = x->req;
            x->req = NULL;
            evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
            reply_json(req, 504, "Gateway Timeout", msg);
        }
        xfer_free(x);
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    cx_rserver *s = arg;
    char b[16];
    while (read(fd, b, sizeof b) > 0) {
    }
    event_base_loopbreak(s->base);
}

/* ---- HTTP front --------------------------------------------------------------- */

static bool path_is(const char *path, const char *name)
{
    size_t n = strlen(name);
    if (!strncmp(path, "/v1", 3) && !strncmp(path + 3, name, n) &&
        (path[3 + n] == '\0' || path[3 + n] == '?'))
        return true;
    return !strncmp(path, name, n) && (path[n] == '\0' || path[n] == '?');
}

static void handle_responses(cx_rserver *s, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *text = malloc(len + 1);
    if (!text) {
        reply_json(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    evbuffer_remove(in, text, len);
    text[len] = '\0';
    json_object *body = NULL;
    cx_error err;
    if (cx_json_parse(text, len, &body, &err)) {
        free(text);
        char msg[1200];
        snprintf(msg, sizeof msg, "invalid JSON body: %s", err.msg);
        reply_json(req, 400, "Bad Request", msg);
        return;
    }
    free(text);
    json_object *chat = NULL;
    if (cx_chat_bridge_request(body, s->provider, &chat, &err)) {
        json_object_put(body);
        reply_json(req, 400, "Bad Request", err.msg);
        return;
    }
    cx_chat_stream *cs = cx_chat_stream_new(body, chat, s->provider);
    json_object_put(body);
    if (!cs) {
        json_object_put(chat);
        reply_json(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_send_reply_start(req, 200, "OK");
    xfer *x = start_stream(s, req, chat, cs);
    json_object_put(chat);
    if (!x) {
        xfer tmp = {.srv = s, .req = req, .cs = cs, .out = CX_BUF_INIT};
        fail_stream(&tmp, "cannot start the request to the chat completions backend");
        cx_buf_free(&tmp.out);
        cx_chat_stream_free(cs);
        return;
    }
    cx_buf begin = CX_BUF_INIT;
    cx_chat_stream_begin(cs, &begin);
    cx_buf_append(&x->out, begin.data, begin.len);
    cx_buf_free(&begin);
    flush_out(x);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    cx_rserver *s = arg;
    const char *uri = evhttp_request_get_uri(req);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cx_http_guard_refuse(req)) return;
    if (path_is(uri, "/responses")) {
        if (cmd != EVHTTP_REQ_POST) {
            reply_json(req, 405, "Method Not Allowed", "use POST for /v1/responses");
            return;
        }
        handle_responses(s, req);
    } else if (path_is(uri, "/models")) {
        if (cmd != EVHTTP_REQ_GET) {
            reply_json(req, 405, "Method Not Allowed", "use GET for /v1/models");
            return;
        }
        char *url = url_for(s, "/models");
        if (!url || !xfer_new(s, XFER_MODELS, req, url, NULL))
            reply_json(req, 500, "Internal Server Error", "cannot reach the backend");
        free(url);
    } else if (path_is(uri, "/healthz") || path_is(uri, "/health")) {
        struct evbuffer *b = evbuffer_new();
        evbuffer_add_printf(b, "{\"ok\":true}");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "application/json");
        evhttp_send_reply(req, 200, "OK", b);
        evbuffer_free(b);
    } else {
        reply_json(req, 404, "Not Found",
                   "no such endpoint; this server offers POST /v1/responses, GET /v1/models and "
                   "GET /healthz");
    }
}

/* ---- life cycle ------------------------------------------------------------------ */

/* "http://host:port" and "http://host:port/" mean ".../v1"; trailing slashes go. */
static char *normalise_base(const char *url)
{
    const char *scheme = strstr(url, "://");
    if (!scheme || scheme == url || !scheme[3]) return NULL;
    const char *path = strchr(scheme + 3, '/');
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    char *out = NULL;
    if (!path || (size_t)(path - url) >= len) {
        if (asprintf(&out, "%.*s/v1", (int)(path ? (size_t)(path - url) : len), url) < 0)
            return NULL;
    } else {
        out = strndup(url, len);
    }
    return out;
}

cx_rserver *cx_rserver_new(const cx_rserver_options *o, cx_error *err)
{
    cx_rserver *s = calloc(1, sizeof *s);
    if (!s) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    s->fd = -1;
    s->wake_fds[0] = s->wake_fds[1] = -1;
    s->downstream = o->downstream_base_url ? normalise_base(o->downstream_base_url) : NULL;
    if (!s->downstream) {
        cx_error_set(err, CX_EINVAL,
                     "invalid downstream base URL '%s' (want e.g. http://127.0.0.1:8000/v1)",
                     o->downstream_base_url ? o->downstream_base_url : "");
        cx_rserver_free(s);
        return NULL;
    }
    s->provider = strdup(o->provider && *o->provider ? o->provider : "vllm");
    if (o->api_key && *o->api_key &&
        asprintf(&s->auth_header, "Authorization: Bearer %s", o->api_key) < 0)
        s->auth_header = NULL;
    s->idle_ms = o->idle_timeout_ms > 0 ? o->idle_timeout_ms : 300000;

    const char *host = o->host && *o->host ? o->host : "127.0.0.1";
    s->fd = cx_net_listen(host, o->port, &s->port, err);
    if (s->fd < 0) {
        cx_rserver_free(s);
        return NULL;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    s->base = event_base_new();
    s->http = s->base ? evhttp_new(s->base) : NULL;
    s->multi = curl_multi_init();
    if (!s->base || !s->http || !s->multi || pipe2(s->wake_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        cx_error_set(err, CX_ENOMEM, "cannot set up the event loop");
        cx_rserver_free(s);
        return NULL;
    }
    evhttp_set_max_body_size(s->http, MAX_BODY);
    /* evhttp drops a connection idle for 50 s by default; a backend may think
       longer than that before its first token, and the idle watchdog above
       already bounds a silent backend */
    evhttp_set_timeout(s->http, (int)(s->idle_ms / 1000) + 60);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(s->http, on_request, s);
    struct evhttp_bound_socket *bound = evhttp_accept_socket_with_handle(s->http, s->fd);
    if (!bound) {
        cx_error_set(err, CX_EIO, "cannot accept on the listening socket");
        cx_rserver_free(s);
        return NULL;
    }
    s->fd = -1; /* evhttp owns it now */
    if (!(s->guard = cx_http_guard_new(s->base, s->http, bound, o->log, o->log_user))) {
        cx_error_set(err, CX_ENOMEM, "cannot set up the event loop");
        cx_rserver_free(s);
        return NULL;
    }
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    s->curl_timer = evtimer_new(s->base, on_curl_timeout, s);
    s->watchdog = event_new(s->base, -1, EV_PERSIST, on_watchdog, s);
    s->wake = event_new(s->base, s->wake_fds[0], EV_READ | EV_PERSIST, on_wake, s);
    struct timeval second = {1, 0};
    event_add(s->watchdog, &second);
    event_add(s->wake, NULL);
    return s;
}

int cx_rserver_port(const cx_rserver *s)
{
    return s->port;
}

const char *cx_rserver_downstream(const cx_rserver *s)
{
    return s->downstream;
}

int cx_rserver_run(cx_rserver *s)
{
    event_base_dispatch(s->base);
    return 0;
}

static void *thread_main(void *arg)
{
    cx_rserver_run(arg);
    return NULL;
}

int cx_rserver_start(cx_rserver *s)
{
    if (pthread_create(&s->thread, NULL, thread_main, s) != 0) return CX_EIO;
    s->threaded = true;
    return 0;
}

void cx_rserver_stop(cx_rserver *s)
{
    if (s && s->wake_fds[1] >= 0) {
        ssize_t w = write(s->wake_fds[1], "x", 1);
        (void)w;
    }
}

void cx_rserver_free(cx_rserver *s)
{
    if (!s) return;
    if (s->threaded) {
        cx_rserver_stop(s);
        pthread_join(s->thread, NULL);
    }
    /* xfer_free detaches each connection's close callback, so evhttp_free
     * below cannot call back into a freed transfer */
    while (s->xfers)
        xfer_free(s->xfers); // NOLINT(clang-analyzer-unix.Malloc): xfer_free unlinks the head
    cx_http_guard_free(s->guard);
    if (s->http) evhttp_free(s->http);
    if (s->curl_timer) event_free(s->curl_timer);
    if (s->watchdog) event_free(s->watchdog);
    if (s->wake) event_free(s->wake);
    if (s->multi) curl_multi_cleanup(s->multi);
    if (s->base) event_base_free(s->base);
    if (s->fd >= 0) close(s->fd);
    if (s->wake_fds[0] >= 0) close(s->wake_fds[0]);
    if (s->wake_fds[1] >= 0) close(s->wake_fds[1]);
    free(s->downstream);
    free(s->provider);
    free(s->auth_header);
    free(s);
}
