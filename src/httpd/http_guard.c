/* See http_guard.h. The accept back-off replaces libevent's default, which
 * logs "Error from accept() call" and tries again at the next loop turn: at
 * the fd limit that is a busy loop writing a line per turn.
 *
 * libevent hands the listener's error callback evhttp's pointer, not ours.
 * The guard is found again through its `resume` timer, which stays pending
 * on the loop for the guard's whole life (a long idle period, shortened to
 * the pause while accepts fail): the error callback looks among the loop's
 * events for the one with on_resume as its callback. */
#include "httpd/http_guard.h"
#include "base/clock.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define PAUSE_MIN_MS 20
#define PAUSE_MAX_MS 1000

struct cx_http_guard {
    struct evconnlistener *listener;
    struct event *resume;
    long pause_ms;
    long long last_fail_ms, last_log_ms;
    unsigned long failures; /* since the last log line */
    cx_http_guard_log log;
    void *user;
};

static const struct timeval IDLE = {3600, 0};

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cx_http_guard *g = arg;
    evconnlistener_enable(g->listener);
    evtimer_add(g->resume, &IDLE);
}

typedef struct finding {
    struct evconnlistener *listener;
    cx_http_guard *found;
} finding;

static int find_guard(const struct event_base *base, const struct event *ev, void *arg)
{
    (void)base;
    finding *f = arg;
    if (event_get_callback(ev) != on_resume) return 0;
    cx_http_guard *g = event_get_callback_arg(ev);
    if (g->listener != f->listener) return 0;
    f->found = g;
    return 1;
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)arg; /* evhttp's */
    int e = EVUTIL_SOCKET_ERROR();
    finding f = {l, NULL};
    event_base_foreach_event(evconnlistener_get_base(l), find_guard, &f);
    cx_http_guard *g = f.found;
    if (!g) return; /* cannot happen while the guard lives */
    long long now = cx__clock_ms();
    /* a new burst of failures starts short again; a lasting one backs off */
    g->pause_ms = now - g->last_fail_ms > 5000     ? PAUSE_MIN_MS
                  : g->pause_ms * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS
                                                   : g->pause_ms * 2;
    g->last_fail_ms = now;
    g->failures++;
    if (g->log && now - g->last_log_ms >= CX_HTTP_ACCEPT_LOG_SECONDS * 1000) {
        char line[256];
        snprintf(line, sizeof line,
                 "[server] accept failed: %s (%lu time%s since the last report); new "
                 "connections wait %ld ms, open ones are still served",
                 strerror(e), g->failures, g->failures == 1 ? "" : "s", g->pause_ms);
        g->log(g->user, line);
        g->last_log_ms = now;
        g->failures = 0;
    }
    evconnlistener_disable(l);
    struct timeval tv = {g->pause_ms / 1000, (g->pause_ms % 1000) * 1000};
    evtimer_add(g->resume, &tv);
}

cx_http_guard *cx__http_guard_new(struct event_base *base, struct evhttp *http,
                                  struct evhttp_bound_socket *bound, cx_http_guard_log log,
                                  void *user)
{
    cx_http_guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->listener = evhttp_bound_socket_get_listener(bound);
    g->resume = evtimer_new(base, on_resume, g);
    if (!g->listener || !g->resume) {
        cx__http_guard_free(g);
        return NULL;
    }
    g->pause_ms = PAUSE_MIN_MS;
    g->last_log_ms = -(long long)CX_HTTP_ACCEPT_LOG_SECONDS * 1000;
    g->log = log;
    g->user = user;
    evhttp_set_max_headers_size(http, CX_HTTP_HARD_HEADER_BYTES);
    evconnlistener_set_error_cb(g->listener, on_accept_error);
    evtimer_add(g->resume, &IDLE);
    return g;
}

void cx__http_guard_free(cx_http_guard *g)
{
    if (!g) return;
    if (g->listener) evconnlistener_set_error_cb(g->listener, NULL);
    if (g->resume) event_free(g->resume);
    free(g);
}

bool cx__http_guard_refuse(struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req);
    size_t bytes = uri ? strlen(uri) + 16 : 16, fields = 0;
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    for (struct evkeyval *kv = h ? h->tqh_first : NULL; kv; kv = kv->next.tqe_next) {
        bytes += strlen(kv->key) + strlen(kv->value) + 4;
        fields++;
    }
    if (bytes <= CX_HTTP_MAX_HEADER_BYTES && fields <= CX_HTTP_MAX_HEADER_FIELDS) return false;
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add_printf(b,
                            "{\"error\": {\"message\": \"request headers too large (%zu bytes in "
                            "%zu fields; the limits are %d bytes and %d fields)\", \"type\": "
                            "\"invalid_request_error\"}}",
                            bytes, fields, CX_HTTP_MAX_HEADER_BYTES, CX_HTTP_MAX_HEADER_FIELDS);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type", "application/json");
    evhttp_add_header(out, "Connection", "close");
    evhttp_send_reply(req, 431, "Request Header Fields Too Large", b);
    if (b) evbuffer_free(b);
    return true;
}

long cx__net_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}
