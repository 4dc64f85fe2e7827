/* The responses server's transfers to the chat backend: curl's multi-socket
 * interface driven by the server's event_base, so no thread per stream. A
 * client that goes away cancels its transfer at once; a client that reads
 * slowly pauses it. See rserver_int.h. */
#include "server/rserver_int.h"

#include "base/clock.h"
#include "base/json.h"
#include "model/tls.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A client that reads slower than the backend writes: past this many bytes
 * waiting in its socket buffer, the backend transfer is paused until they
 * have been sent, so memory stays bounded per stream. */
#define CLIENT_HIGH_WATER (4 * 1024)

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

void cx__xfer_flush(xfer *x)
{
    if (!x->out.len) return;
    if (x->req && x->started) {
        struct evbuffer *b = evbuffer_new();
        evbuffer_add(b, x->out.data, x->out.len);
        evhttp_send_reply_chunk_with_cb(x->req, b, client_drained, x);
        evbuffer_free(b);
    }
    /* freed, not kept: with thousands of streams in flight their idle
       buffers would add up to tens of MB, while only the stream being
       translated needs one */
    cx__buf_free(&x->out);
}

void cx__xfer_end_reply(xfer *x)
{
    if (!x->req) return;
    struct evhttp_connection *conn = evhttp_request_get_connection(x->req);
    if (conn) evhttp_connection_set_closecb(conn, NULL, NULL);
    evhttp_send_reply_end(x->req);
    x->req = NULL;
}

void cx__xfer_free(xfer *x)
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
    free(x->retry_after);
    cx__sse_free(x->sse);
    cx__chat_stream_free(x->cs);
    free(x->input);
    cx__buf_free(&x->out);
    cx__buf_free(&x->raw);
    if (x->prev)
        x->prev->next = x->next;
    else
        s->xfers = x->next;
    if (x->next) x->next->prev = x->prev;
    free(x);
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
    return cx__responses_chunk(x, ev->data, ev->data_len);
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
    xfer *x = user;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && !strncasecmp(data, name, sizeof name - 1)) {
        const char *v = data + sizeof name - 1;
        size_t vlen = len - (sizeof name - 1);
        while (vlen && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        free(x->retry_after);
        x->retry_after = vlen && vlen < 64 ? strndup(v, vlen) : NULL;
    }
    return len;
}

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
    xfer *x = user;
    size_t len = size * n;
    x->last_byte = cx__clock_ms();
    if (!x->status) curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
    if (x->kind == XFER_MODELS || x->status != 200) {
        if (x->kind == XFER_MODELS || x->raw.len < CX__ERROR_BODY_CAP)
            cx__buf_append(&x->raw, data, len);
        return len;
    }
    if (!x->req || x->failed) {
        x->aborting = true;
        return 0;
    }
    if (x->deferred && !x->started) cx__responses_start(x);
    if (client_backlog(x) >= CLIENT_HIGH_WATER) {
        /* curl hands these bytes again once the transfer is unpaused */
        x->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (cx__sse_feed(x->sse, data, len) != 0 || x->failed) {
        if (cx__sse_overflowed(x->sse))
            cx__responses_fail(x, 502,
                               "chat completions backend sent an event larger than 16 MiB "
                               "without ending it");
        x->aborting = true;
        return 0;
    }
    cx__xfer_flush(x);
    if (client_backlog(x) >= CLIENT_HIGH_WATER) {
        /* pause now, with these bytes consumed, rather than on the next
           call: curl then holds no copy of data it could not deliver */
        x->paused = true;
        curl_easy_pause(x->easy, CURLPAUSE_RECV);
    }
    return len;
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
    cx__xfer_free(x);
}

xfer *cx__xfer_new(cx_rserver *s, xfer_kind kind, struct evhttp_request *req, const char *url,
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
    cx__buf_init(&x->out);
    cx__buf_init(&x->raw);
    x->last_byte = cx__clock_ms();
    x->easy = curl_easy_init();
    if (kind == XFER_STREAM) x->sse = cx__sse_new(on_sse, x);
    if (!x->easy || (kind == XFER_STREAM && !x->sse)) {
        curl_easy_cleanup(x->easy);
        cx__sse_free(x->sse);
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
    curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(x->easy, CURLOPT_TCP_NODELAY, 1L);
    /* With no CA certificates the transfer fails with curl's own TLS error. */
    cx__tls_apply(x->easy, url, NULL);
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
        cx__xfer_free(x);
        return NULL;
    }
    return x;
}

int cx__xfer_restart(xfer *x, char *body)
{
    cx_rserver *s = x->srv;
    curl_multi_remove_handle(s->multi, x->easy);
    free(x->body);
    x->body = body;
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    cx__sse_free(x->sse);
    x->sse = cx__sse_new(on_sse, x);
    x->status = 0;
    x->done_seen = x->aborting = x->paused = false;
    x->errbuf[0] = '\0';
    free(x->retry_after);
    x->retry_after = NULL;
    cx__buf_reset(&x->raw);
    x->last_byte = cx__clock_ms();
    if (!x->sse || curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) return -1;
    return 0;
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
            cx__rserver_error(req, 502, NULL, NULL, msg);
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
    cx__xfer_free(x);
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
            cx__responses_done(x, rc);
    }
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

int cx__backend_init(cx_rserver *s)
{
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    s->curl_timer = evtimer_new(s->base, on_curl_timeout, s);
    return s->curl_timer ? 0 : -1;
}

void cx__backend_watchdog(cx_rserver *s)
{
    long long now = cx__clock_ms();
    for (xfer *x = s->xfers, *next; x; x = next) {
        next = x->next;
        if (now - x->last_byte < s->idle_ms) continue;
        char msg[128];
        snprintf(msg, sizeof msg, "chat completions backend sent nothing for %ld ms", s->idle_ms);
        if (x->kind == XFER_STREAM) {
            cx__responses_fail(x, 504, msg);
        } else if (x->req) {
            struct evhttp_request *req = x->req;
            x->req = NULL;
            evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
            cx__rserver_error(req, 504, NULL, NULL, msg);
        }
        cx__xfer_free(x);
    }
}
