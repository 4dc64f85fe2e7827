/* libevent and hiredis, loaded on first use (CCODEX_LAZY_LIBS builds of the ccodex program; see
 * curl_dl.c for why). Only `serve`, the portable transfers, the storage server and the Chat
 * Completions bridge use libevent, and only the Redis response store hiredis: every other
 * command, a one-shot `exec` turn among them, leaves them unmapped.
 *
 * The table lists each function with its prototype as the headers declare it; a wrapper calls
 * the loaded library's function, or returns 0 / NULL (does nothing, for void ones) when the
 * library could not be loaded, which the constructors' callers already treat as failure. The
 * two printf-like functions forward to their va_list forms. Process-wide state written once
 * under pthread_once, as in curl_dl.c. CMake compiles this file only when it matches the
 * installed headers (a try-compile), and links the libraries directly otherwise. */
#include <dlfcn.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifndef CX_EVENT_SONAME
#define CX_EVENT_SONAME "libevent-2.1.so.7"
#endif
#ifndef CX_REDIS_SONAME
#define CX_REDIS_SONAME "libhiredis.so.0.14"
#endif

typedef void (*cx_ev_conn_fn)(struct evhttp_connection *, void *);
typedef void (*cx_ev_req_fn)(struct evhttp_request *, void *);

/* R(return type, name, parameters, arguments); V(name, parameters, arguments) for void */
#define CX_EVENT_FUNCS(R, V)                                                                       \
    R(struct evbuffer *, bufferevent_get_output, (struct bufferevent * a0), (a0))                  \
    R(int, bufferevent_getfd, (struct bufferevent * a0), (a0))                                     \
    R(int, evbuffer_add, (struct evbuffer * a0, const void *a1, size_t a2), (a0, a1, a2))          \
    R(int, evbuffer_commit_space, (struct evbuffer * a0, struct iovec * a1, int a2), (a0, a1, a2)) \
    V(evbuffer_free, (struct evbuffer * a0), (a0))                                                 \
    R(size_t, evbuffer_get_length, (const struct evbuffer *a0), (a0))                              \
    R(struct evbuffer *, evbuffer_new, (void), ())                                                 \
    R(unsigned char *, evbuffer_pullup, (struct evbuffer * a0, ssize_t a1), (a0, a1))              \
    R(int, evbuffer_remove, (struct evbuffer * a0, void *a1, size_t a2), (a0, a1, a2))             \
    R(int, evbuffer_reserve_space, (struct evbuffer * a0, ssize_t a1, struct iovec * a2, int a3),  \
      (a0, a1, a2, a3))                                                                            \
    R(int, evconnlistener_disable, (struct evconnlistener * a0), (a0))                             \
    R(int, evconnlistener_enable, (struct evconnlistener * a0), (a0))                              \
    R(struct event_base *, evconnlistener_get_base, (struct evconnlistener * a0), (a0))            \
    V(evconnlistener_set_error_cb, (struct evconnlistener * a0, evconnlistener_errorcb a1),        \
      (a0, a1))                                                                                    \
    R(int, event_add, (struct event * a0, const struct timeval *a1), (a0, a1))                     \
    R(int, event_assign,                                                                           \
      (struct event * a0, struct event_base * a1, int a2, short int a3, event_callback_fn a4,      \
       void *a5),                                                                                  \
      (a0, a1, a2, a3, a4, a5))                                                                    \
    R(int, event_base_dispatch, (struct event_base * a0), (a0))                                    \
    R(int, event_base_foreach_event,                                                               \
      (struct event_base * a0, event_base_foreach_event_cb a1, void *a2), (a0, a1, a2))            \
    V(event_base_free, (struct event_base * a0), (a0))                                             \
    R(int, event_base_loopbreak, (struct event_base * a0), (a0))                                   \
    R(struct event_base *, event_base_new, (void), ())                                             \
    R(int, event_del, (struct event * a0), (a0))                                                   \
    V(event_free, (struct event * a0), (a0))                                                       \
    R(event_callback_fn, event_get_callback, (const struct event *a0), (a0))                       \
    R(void *, event_get_callback_arg, (const struct event *a0), (a0))                              \
    R(const char *, event_get_version, (void), ())                                                 \
    R(struct event *, event_new,                                                                   \
      (struct event_base * a0, int a1, short int a2, event_callback_fn a3, void *a4),              \
      (a0, a1, a2, a3, a4))                                                                        \
    R(struct evhttp_bound_socket *, evhttp_accept_socket_with_handle,                              \
      (struct evhttp * a0, int a1), (a0, a1))                                                      \
    R(int, evhttp_add_header, (struct evkeyvalq * a0, const char *a1, const char *a2),             \
      (a0, a1, a2))                                                                                \
    R(struct evconnlistener *, evhttp_bound_socket_get_listener,                                   \
      (struct evhttp_bound_socket * a0), (a0))                                                     \
    R(struct bufferevent *, evhttp_connection_get_bufferevent, (struct evhttp_connection * a0),    \
      (a0))                                                                                        \
    V(evhttp_connection_get_peer, (struct evhttp_connection * a0, char **a1, uint16_t *a2),        \
      (a0, a1, a2))                                                                                \
    V(evhttp_connection_set_closecb, (struct evhttp_connection * a0, cx_ev_conn_fn a1, void *a2),  \
      (a0, a1, a2))                                                                                \
    R(const char *, evhttp_find_header, (const struct evkeyvalq *a0, const char *a1), (a0, a1))    \
    V(evhttp_free, (struct evhttp * a0), (a0))                                                     \
    R(struct evhttp *, evhttp_new, (struct event_base * a0), (a0))                                 \
    V(evhttp_request_free, (struct evhttp_request * a0), (a0))                                     \
    R(enum evhttp_cmd_type, evhttp_request_get_command, (const struct evhttp_request *a0), (a0))   \
    R(struct evhttp_connection *, evhttp_request_get_connection, (struct evhttp_request * a0),     \
      (a0))                                                                                        \
    R(struct evbuffer *, evhttp_request_get_input_buffer, (struct evhttp_request * a0), (a0))      \
    R(struct evkeyvalq *, evhttp_request_get_input_headers, (struct evhttp_request * a0), (a0))    \
    R(struct evkeyvalq *, evhttp_request_get_output_headers, (struct evhttp_request * a0), (a0))   \
    R(const char *, evhttp_request_get_uri, (const struct evhttp_request *a0), (a0))               \
    V(evhttp_send_reply,                                                                           \
      (struct evhttp_request * a0, int a1, const char *a2, struct evbuffer *a3), (a0, a1, a2, a3)) \
    V(evhttp_send_reply_chunk_with_cb,                                                             \
      (struct evhttp_request * a0, struct evbuffer * a1, cx_ev_conn_fn a2, void *a3),              \
      (a0, a1, a2, a3))                                                                            \
    V(evhttp_send_reply_end, (struct evhttp_request * a0), (a0))                                   \
    V(evhttp_send_reply_start, (struct evhttp_request * a0, int a1, const char *a2), (a0, a1, a2)) \
    V(evhttp_set_allowed_methods, (struct evhttp * a0, uint16_t a1), (a0, a1))                     \
    V(evhttp_set_gencb, (struct evhttp * a0, cx_ev_req_fn a1, void *a2), (a0, a1, a2))             \
    V(evhttp_set_max_body_size, (struct evhttp * a0, ssize_t a1), (a0, a1))                        \
    V(evhttp_set_max_headers_size, (struct evhttp * a0, ssize_t a1), (a0, a1))                     \
    V(evhttp_set_timeout, (struct evhttp * a0, int a1), (a0, a1))                                  \
    R(char *, evhttp_uridecode, (const char *a0, int a1, size_t *a2), (a0, a1, a2))                \
    R(int, evbuffer_add_vprintf, (struct evbuffer * a0, const char *a1, va_list a2), (a0, a1, a2))

#define CX_REDIS_FUNCS(R, V)                                                                       \
    R(int, redisAsyncCommandArgv,                                                                  \
      (redisAsyncContext * a0, redisCallbackFn * a1, void *a2, int a3, const char **a4,            \
       const size_t *a5),                                                                          \
      (a0, a1, a2, a3, a4, a5))                                                                    \
    R(redisAsyncContext *, redisAsyncConnect, (const char *a0, int a1), (a0, a1))                  \
    V(redisAsyncFree, (redisAsyncContext * a0), (a0))                                              \
    V(redisAsyncHandleRead, (redisAsyncContext * a0), (a0))                                        \
    V(redisAsyncHandleWrite, (redisAsyncContext * a0), (a0))                                       \
    R(int, redisAsyncSetConnectCallback, (redisAsyncContext * a0, redisConnectCallback * a1),      \
      (a0, a1))                                                                                    \
    R(int, redisAsyncSetDisconnectCallback,                                                        \
      (redisAsyncContext * a0, redisDisconnectCallback * a1), (a0, a1))                            \
    R(int, redisvAsyncCommand,                                                                     \
      (redisAsyncContext * a0, redisCallbackFn * a1, void *a2, const char *a3, va_list a4),        \
      (a0, a1, a2, a3, a4))

/* declarations, not expressions: */
/* NOLINTNEXTLINE(bugprone-macro-parentheses) */
#define CX_FIELD_R(ret, name, params, args) ret(*name) params;
/* NOLINTNEXTLINE(bugprone-macro-parentheses) */
#define CX_FIELD_V(name, params, args) void(*name) params;
#define CX_LOAD_R(ret, name, params, args) CX_LOAD_ONE(name)
#define CX_LOAD_V(name, params, args) CX_LOAD_ONE(name)
#define CX_LOAD_ONE(name)                                                                          \
    *(void **)&t.name = dlsym(h, #name);                                                           \
    if (!t.name && !missing) missing = #name;

typedef struct event_table {
    CX_EVENT_FUNCS(CX_FIELD_R, CX_FIELD_V)
    bool ok;
} event_table;

typedef struct redis_table {
    CX_REDIS_FUNCS(CX_FIELD_R, CX_FIELD_V)
#if HIREDIS_MAJOR == 0
    void *(*hi_calloc)(size_t, size_t);
#endif
    bool ok;
} redis_table;

static event_table g_event;
static pthread_once_t g_event_once = PTHREAD_ONCE_INIT;
static redis_table g_redis;
static pthread_once_t g_redis_once = PTHREAD_ONCE_INIT;

/* dlopen with the one sentence a user sees when it fails */
static void *open_lib(const char *soname, const char *what)
{
    void *h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        fprintf(stderr, "ccodex: cannot load %s (needed by %s): %s\n", soname, what,
                why ? why : "unknown error");
    }
    return h;
}

static bool all_found(void *h, const char *soname, const char *missing)
{
    if (!missing) return true;
    fprintf(stderr, "ccodex: %s has no %s\n", soname, missing);
    dlclose(h);
    return false;
}

static void event_load(void)
{
    void *h = open_lib(CX_EVENT_SONAME, "the HTTP servers");
    if (!h) return;
    event_table t = {0};
    const char *missing = NULL;
    CX_EVENT_FUNCS(CX_LOAD_R, CX_LOAD_V)
    if (!all_found(h, CX_EVENT_SONAME, missing)) return;
    t.ok = true;
    g_event = t;
}

static void redis_load(void)
{
    void *h = open_lib(CX_REDIS_SONAME, "the Redis response store");
    if (!h) return;
    redis_table t = {0};
    const char *missing = NULL;
    CX_REDIS_FUNCS(CX_LOAD_R, CX_LOAD_V)
#if HIREDIS_MAJOR == 0
    CX_LOAD_ONE(hi_calloc)
#endif
    if (!all_found(h, CX_REDIS_SONAME, missing)) return;
    t.ok = true;
    g_redis = t;
}

static bool event_ready(void)
{
    pthread_once(&g_event_once, event_load);
    return g_event.ok;
}

static bool redis_ready(void)
{
    pthread_once(&g_redis_once, redis_load);
    return g_redis.ok;
}

#define CX_EVENT_R(ret, name, params, args)                                                        \
    ret name params                                                                                \
    {                                                                                              \
        return event_ready() ? g_event.name args : (ret)0;                                         \
    }
#define CX_EVENT_V(name, params, args)                                                             \
    void name params                                                                               \
    {                                                                                              \
        if (event_ready()) g_event.name args;                                                      \
    }
#define CX_REDIS_R(ret, name, params, args)                                                        \
    ret name params                                                                                \
    {                                                                                              \
        return redis_ready() ? g_redis.name args : (ret)0;                                         \
    }
#define CX_REDIS_V(name, params, args)                                                             \
    void name params                                                                               \
    {                                                                                              \
        if (redis_ready()) g_redis.name args;                                                      \
    }

CX_EVENT_FUNCS(CX_EVENT_R, CX_EVENT_V)
CX_REDIS_FUNCS(CX_REDIS_R, CX_REDIS_V)

#if HIREDIS_MAJOR == 0
void *hi_calloc(size_t n, size_t size)
{
    return redis_ready() ? g_redis.hi_calloc(n, size) : NULL;
}
#endif

int evbuffer_add_printf(struct evbuffer *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = evbuffer_add_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int redisAsyncCommand(redisAsyncContext *ac, redisCallbackFn *fn, void *priv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAsyncCommand(ac, fn, priv, fmt, ap);
    va_end(ap);
    return rc;
}
