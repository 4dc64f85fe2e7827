/* The responses server's life cycle and routing: evhttp in front, curl multi
 * behind (backend.c), both on one event_base; /v1/responses is responses.c.
 * See rserver.h. */
#include "server/rserver_int.h"

#include "httpd/http_guard.h"
#include "base/json.h"
#include "base/net.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY (64L * 1024 * 1024)

/* ---- replies ------------------------------------------------------------------ */

static const char *reason_for(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status < 500 ? "Client Error" : "Server Error";
    }
}

void cx__rserver_json(struct evhttp_request *req, int status, json_object *body)
{
    char *text = cx__json_to_string(body);
    json_object_put(body);
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, text ? text : "{}", text ? strlen(text) : 2);
    free(text);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, status, reason_for(status), b);
    evbuffer_free(b);
}

void cx__rserver_error(struct evhttp_request *req, int status, const char *type, const char *code,
                       const char *message)
{
    json_object *o = json_object_new_object();
    json_object *e = json_object_new_object();
    cx__json_set_str(e, "message", message);
    cx__json_set_str(e, "type",
                     type            ? type
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error");
    json_object_object_add(e, "param", NULL);
    json_object_object_add(e, "code", code ? json_object_new_string(code) : NULL);
    cx__json_set(o, "error", e);
    cx__rserver_json(req, status, o);
}

/* ---- HTTP front --------------------------------------------------------------- */

bool cx__rserver_path(const char *path, const char *name, const char **rest)
{
    size_t n = strlen(name);
    if (!strncmp(path, "/v1", 3) && !strncmp(path + 3, name, n)) path += 3;
    if (strncmp(path, name, n)) return false;
    char c = path[n];
    if (c == '\0' || c == '?' || (rest && c == '/')) {
        if (rest) *rest = path + n;
        return true;
    }
    return false;
}

static bool path_is(const char *path, const char *name)
{
    return cx__rserver_path(path, name, NULL);
}

/* Accepted sockets send every event as soon as it is written: without this,
 * the last small chunk of a keep-alive stream waits ~40 ms for the client's
 * delayed ACK (Nagle). Linux copies the option from the listening socket;
 * setting it per connection covers every system and costs one syscall. */
static void no_delay(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    cx_rserver *s = arg;
    const char *uri = evhttp_request_get_uri(req);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cx__http_guard_refuse(req)) return;
    no_delay(req);
    const char *rest = NULL;
    if (cx__rserver_path(uri, "/responses", &rest)) {
        cx__responses_handle(s, req);
    } else if (path_is(uri, "/models")) {
        if (cmd != EVHTTP_REQ_GET) {
            cx__rserver_error(req, 405, NULL, NULL, "use GET for /v1/models");
            return;
        }
        char *url = NULL;
        if (asprintf(&url, "%s/models", s->downstream) < 0) url = NULL;
        if (!url || !cx__xfer_new(s, XFER_MODELS, req, url, NULL))
            cx__rserver_error(req, 500, NULL, NULL, "cannot reach the backend");
        free(url);
    } else if (path_is(uri, "/healthz") || path_is(uri, "/health")) {
        struct evbuffer *b = evbuffer_new();
        evbuffer_add_printf(b, "{\"ok\":true}");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "application/json");
        evhttp_send_reply(req, 200, "OK", b);
        evbuffer_free(b);
    } else {
        cx__rserver_error(req, 404, NULL, NULL,
                          "no such endpoint; this server offers POST /v1/responses, GET and "
                          "DELETE /v1/responses/{id}, GET /v1/models and GET /healthz");
    }
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cx__backend_watchdog(arg);
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

cx_rserver *cx__rserver_new(const cx_rserver_options *o, cx_error *err)
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
        cx__rserver_free(s);
        return NULL;
    }
    s->provider = strdup(o->provider && *o->provider ? o->provider : "vllm");
    if (o->api_key && *o->api_key &&
        asprintf(&s->auth_header, "Authorization: Bearer %s", o->api_key) < 0)
        s->auth_header = NULL;
    s->idle_ms = o->idle_timeout_ms > 0 ? o->idle_timeout_ms : 300000;

    const char *host = o->host && *o->host ? o->host : "127.0.0.1";
    s->fd = cx__net_listen(host, o->port, &s->port, err);
    if (s->fd < 0) {
        cx__rserver_free(s);
        return NULL;
    }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    s->base = event_base_new();
    s->http = s->base ? evhttp_new(s->base) : NULL;
    s->multi = curl_multi_init();
    if (!s->base || !s->http || !s->multi || pipe2(s->wake_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        cx_error_set(err, CX_ENOMEM, "cannot set up the event loop");
        cx__rserver_free(s);
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
        cx__rserver_free(s);
        return NULL;
    }
    s->fd = -1; /* evhttp owns it now */
    if (!(s->guard = cx__http_guard_new(s->base, s->http, bound, o->log, o->log_user))) {
        cx_error_set(err, CX_ENOMEM, "cannot set up the event loop");
        cx__rserver_free(s);
        return NULL;
    }
    cx_resp_store_limits lim = {o->store_max_count, o->store_max_bytes, o->store_max_age_s};
    s->store = cx__resp_store_new(s->base, o->store, &lim, err);
    if (!s->store || cx__backend_init(s)) {
        if (s->store) cx_error_set(err, CX_ENOMEM, "cannot set up the event loop");
        cx__rserver_free(s);
        return NULL;
    }
    s->watchdog = event_new(s->base, -1, EV_PERSIST, on_watchdog, s);
    s->wake = event_new(s->base, s->wake_fds[0], EV_READ | EV_PERSIST, on_wake, s);
    struct timeval second = {1, 0};
    event_add(s->watchdog, &second);
    event_add(s->wake, NULL);
    return s;
}

int cx__rserver_port(const cx_rserver *s)
{
    return s->port;
}

const char *cx__rserver_downstream(const cx_rserver *s)
{
    return s->downstream;
}

int cx__rserver_run(cx_rserver *s)
{
    event_base_dispatch(s->base);
    return 0;
}

static void *thread_main(void *arg)
{
    cx__rserver_run(arg);
    return NULL;
}

int cx__rserver_start(cx_rserver *s)
{
    if (pthread_create(&s->thread, NULL, thread_main, s) != 0) return CX_EIO;
    s->threaded = true;
    return 0;
}

void cx__rserver_stop(cx_rserver *s)
{
    if (s && s->wake_fds[1] >= 0) {
        ssize_t w = write(s->wake_fds[1], "x", 1);
        (void)w;
    }
}

void cx__rserver_free(cx_rserver *s)
{
    if (!s) return;
    if (s->threaded) {
        cx__rserver_stop(s);
        pthread_join(s->thread, NULL);
    }
    /* xfer_free detaches each connection's close callback, so evhttp_free
     * below cannot call back into a freed transfer */
    while (s->xfers)
        cx__xfer_free(s->xfers); // NOLINT(clang-analyzer-unix.Malloc): it unlinks the head
    /* requests still waiting for Redis are answered CX_ECANCELED and only
       clean up */
    s->closing = true;
    cx__resp_store_free(s->store);
    cx__http_guard_free(s->guard);
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
