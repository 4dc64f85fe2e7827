/* The streamable-HTTP transport (MCP 2025-06-18) over libcurl: every message
 * is a POST whose answer comes back as JSON or as an SSE stream; the server's
 * Mcp-Session-Id is echoed on later requests; a GET opens the server's own
 * event stream (405 means it has none); DELETE ends the session. Without a
 * bearer token, the OAuth metadata probes upstream makes come first. */
#include "mcp/transport.h"

#include "base/buf.h"
#include "model/sse.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct cx_mcp_http {
    char *url;
    struct curl_slist *extra; /* the configured headers */
    cx_mcp_rpc *rpc;
    pthread_mutex_t lock; /* guards session, stream_ready */
    pthread_cond_t ready_cond;
    bool stream_ready; /* the GET stream's answer headers are in (or it ended) */
    char *session;
    pthread_t stream;
    bool stream_started;
    atomic_bool stopping;
};

typedef struct exchange {
    cx_mcp_http *h;
    bool sse;
    bool typed; /* content type seen */
    cx_buf body;
    cx_sse_parser *parser;
    bool too_big;
    bool is_stream; /* the GET stream: tell open_stream when headers are in */
    const atomic_bool *stop;
} exchange;

static void stream_is_ready(cx_mcp_http *h)
{
    pthread_mutex_lock(&h->lock);
    h->stream_ready = true;
    pthread_cond_broadcast(&h->ready_cond);
    pthread_mutex_unlock(&h->lock);
}

static int on_event(void *user, const cx_sse_event *ev)
{
    exchange *x = user;
    if (ev->data_len && (!strcmp(ev->event, "message") || !*ev->event))
        cx__mcp_rpc_deliver(x->h->rpc, ev->data, ev->data_len);
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    exchange *x = ud;
    size_t len = size * n;
    if (x->sse) {
        if (x->parser && cx__sse_feed(x->parser, p, len) != 0) return 0;
        return len;
    }
    if (x->body.len + len > CX_MCP_MAX_MESSAGE) {
        x->too_big = true;
        return 0;
    }
    cx__buf_append(&x->body, p, len);
    return len;
}

static void header_value(const char *buf, size_t n, size_t skip, char *out, size_t cap)
{
    size_t i = skip;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    size_t end = n;
    while (end > i && (buf[end - 1] == '\r' || buf[end - 1] == '\n' || buf[end - 1] == ' '))
        end--;
    size_t len = end - i < cap - 1 ? end - i : cap - 1;
    memcpy(out, buf + i, len);
    out[len] = 0;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    exchange *x = ud;
    size_t len = size * n;
    char v[512];
    if (x->is_stream && len <= 2) stream_is_ready(x->h); /* the blank line ending the headers */
    if (len > 13 && !strncasecmp(buf, "content-type:", 13)) {
        header_value(buf, len, 13, v, sizeof v);
        x->typed = true;
        x->sse = !strncasecmp(v, "text/event-stream", 17);
    } else if (len > 15 && !strncasecmp(buf, "mcp-session-id:", 15)) {
        header_value(buf, len, 15, v, sizeof v);
        pthread_mutex_lock(&x->h->lock);
        if (!x->h->session && v[0]) x->h->session = strdup(v);
        pthread_mutex_unlock(&x->h->lock);
    }
    return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    exchange *x = ud;
    return x->stop && atomic_load(x->stop) ? 1 : 0;
}

/* The headers of a session request: accept (and content type), the session
 * id once known, then the configured ones. */
static struct curl_slist *session_headers(cx_mcp_http *h, bool accept, bool json_body)
{
    struct curl_slist *l = NULL;
    if (accept) l = curl_slist_append(l, "Accept: text/event-stream, application/json");
    pthread_mutex_lock(&h->lock);
    if (h->session) {
        char line[600];
        snprintf(line, sizeof line, "Mcp-Session-Id: %s", h->session);
        l = curl_slist_append(l, line);
    }
    pthread_mutex_unlock(&h->lock);
    if (json_body) {
        l = curl_slist_append(l, "Content-Type: application/json");
        l = curl_slist_append(l, "Expect:");
    }
    for (struct curl_slist *e = h->extra; e; e = e->next)
        l = curl_slist_append(l, e->data);
    return l;
}

/* One HTTP exchange. Returns the curl result; *status gets the HTTP code. */
static CURLcode perform(exchange *x, const char *method, const char *url, struct curl_slist *hdrs,
                        const char *body, size_t body_len, long timeout_ms, long *status)
{
    CURL *e = curl_easy_init();
    if (!e) return CURLE_OUT_OF_MEMORY;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    if (timeout_ms > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (x->stop) {
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
    }
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)body_len);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(e);
    *status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(e);
    return rc;
}

static int http_send(void *t, const char *msg, size_t len, int64_t deadline, cx_error *err)
{
    cx_mcp_http *h = t;
    long timeout = 0;
    if (deadline) {
        timeout = (long)(deadline - cx__mcp_now_ms());
        if (timeout <= 0) return cx_error_set(err, CX_ETIMEOUT, "timed out");
    }
    exchange x = {.h = h};
    x.parser = cx__sse_new(on_event, &x);
    struct curl_slist *hdrs = session_headers(h, true, true);
    long status = 0;
    CURLcode rc = perform(&x, "POST", h->url, hdrs, msg, len, timeout, &status);
    curl_slist_free_all(hdrs);
    int out = 0;
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        out = cx_error_set(err, CX_ETIMEOUT, "timed out");
    } else if (rc != CURLE_OK) {
        out = cx_error_set(err, CX_ENET, "error sending request for url (%s): %s", h->url,
                           x.too_big ? "message too large" : curl_easy_strerror(rc));
    } else if (status < 200 || status >= 300) {
        out = cx_error_set(err, CX_ENET, "unexpected HTTP status %ld from %s", status, h->url);
    } else if (!x.sse && x.body.len) {
        cx__mcp_rpc_deliver(h->rpc, x.body.data, x.body.len);
    }
    cx__sse_free(x.parser);
    cx__buf_free(&x.body);
    return out;
}

/* The OAuth metadata probes upstream sends when no token is configured; the
 * answers are not used (OAuth login is not supported). */
static void oauth_probe(cx_mcp_http *h, long timeout_ms)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, h->url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    char origin[1024];
    snprintf(origin, sizeof origin, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
    const char *p = path && strcmp(path, "/") ? path : "";
    static const char *const WK = "/.well-known/oauth-authorization-server";
    char urls[3][2048];
    snprintf(urls[0], sizeof urls[0], "%s%s%s", origin, WK, p);
    snprintf(urls[1], sizeof urls[1], "%s%s%s", origin, p, WK);
    snprintf(urls[2], sizeof urls[2], "%s%s", origin, WK);
    struct curl_slist *hdrs = curl_slist_append(NULL, "MCP-Protocol-Version: 2024-11-05");
    for (struct curl_slist *e = h->extra; e; e = e->next)
        hdrs = curl_slist_append(hdrs, e->data);
    for (int i = 0; i < 3; i++) {
        exchange x = {.h = h};
        long status = 0;
        perform(&x, "GET", urls[i], hdrs, NULL, 0, timeout_ms, &status);
        cx__buf_free(&x.body);
        if (status == 200) break;
    }
    curl_slist_free_all(hdrs);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
}

cx_mcp_http *cx__mcp_http_new(const cx_mcp_http_opts *o, cx_error *err)
{
    cx_mcp_http *h = calloc(1, sizeof *h);
    if (!h || !(h->url = strdup(o->url))) {
        free(h);
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->ready_cond, &ca);
    pthread_condattr_destroy(&ca);
    for (const char *const *p = o->headers; p && *p; p++)
        h->extra = curl_slist_append(h->extra, *p);
    h->rpc = cx__mcp_rpc_new(http_send, h);
    if (h->rpc) cx__mcp_rpc_set_inline_answers(h->rpc, true);
    if (!h->rpc) {
        cx__mcp_http_free(h);
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    if (!o->bearer) oauth_probe(h, o->probe_timeout_ms > 0 ? o->probe_timeout_ms : 3000);
    return h;
}

cx_mcp_rpc *cx__mcp_http_rpc(cx_mcp_http *h)
{
    return h->rpc;
}

static void *stream_main(void *arg)
{
    cx_mcp_http *h = arg;
    exchange x = {.h = h, .stop = &h->stopping, .is_stream = true};
    x.parser = cx__sse_new(on_event, &x);
    struct curl_slist *hdrs = session_headers(h, true, false);
    long status = 0;
    perform(&x, "GET", h->url, hdrs, NULL, 0, 0, &status);
    stream_is_ready(h);
    curl_slist_free_all(hdrs);
    cx__sse_free(x.parser);
    cx__buf_free(&x.body);
    return NULL;
}

void cx__mcp_http_open_stream(cx_mcp_http *h)
{
    h->stream_started = pthread_create(&h->stream, NULL, stream_main, h) == 0;
    /* like upstream, wait for the server's answer to the GET before the next
     * request (at most 2 s: a server may hold its headers back) */
    int64_t until = cx__mcp_now_ms() + 2000;
    pthread_mutex_lock(&h->lock);
    while (h->stream_started && !h->stream_ready) {
        struct timespec ts = {until / 1000, (long)(until % 1000) * 1000000L};
        if (pthread_cond_timedwait(&h->ready_cond, &h->lock, &ts) != 0) break;
    }
    pthread_mutex_unlock(&h->lock);
}

void cx__mcp_http_free(cx_mcp_http *h)
{
    if (!h) return;
    atomic_store(&h->stopping, true);
    if (h->stream_started) pthread_join(h->stream, NULL);
    if (h->session) {
        struct curl_slist *hdrs = session_headers(h, false, false);
        exchange x = {.h = h};
        long status = 0;
        perform(&x, "DELETE", h->url, hdrs, NULL, 0, 2000, &status);
        curl_slist_free_all(hdrs);
        cx__buf_free(&x.body);
    }
    cx__mcp_rpc_free(h->rpc);
    curl_slist_free_all(h->extra);
    free(h->session);
    free(h->url);
    pthread_cond_destroy(&h->ready_cond);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
