/* The responses server's internals, shared by its three files:
 *   rserver.c    life cycle, routing, /v1/models, /healthz, error replies
 *   backend.c    transfers to the chat backend (curl multi on the loop)
 *   responses.c  /v1/responses: POST (stream or one JSON), GET, DELETE, and
 *                the stored conversations behind previous_response_id
 * Everything runs on the loop thread. Library-internal. */
#ifndef CX_SERVER_RSERVER_INT_H
#define CX_SERVER_RSERVER_INT_H

#include <curl/curl.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>

#include "base/buf.h"
#include "model/sse.h"
#include "server/chat_stream.h"
#include "server/resp_store.h"
#include "server/rserver.h"

#define CX__ERROR_BODY_CAP 2048

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
    cx_buf out;        /* events waiting to go to the client */
    cx_buf raw;        /* models body, or an error body from the backend */
    long status;       /* backend HTTP status, once known */
    char *retry_after; /* the backend's Retry-After header, if any */
    bool done_seen;    /* [DONE] arrived */
    bool failed;       /* we ended the client's reply already */
    bool aborting;     /* the write callback asked curl to stop */
    bool paused;       /* the backend transfer waits for the client to drain */
    bool started;      /* the client's event stream has begun (status 200 sent) */
    bool deferred;     /* API wire: start only once the backend answered 200 */
    bool streaming;    /* the client asked for events (else one JSON Response) */
    bool store;        /* keep the response for previous_response_id / GET */
    char *input;       /* the conversation's input items as JSON, for the store */
    long long last_byte;
    struct xfer *prev, *next;
} xfer;

struct cx_rserver {
    struct event_base *base;
    struct evhttp *http;
    CURLM *multi;
    struct event *curl_timer;
    struct event *watchdog;
    struct cx_http_guard *guard; /* header limits, accept back-off */
    struct event *wake;          /* read side of the stop pipe */
    int wake_fds[2];
    int fd;
    int port;
    char *downstream;
    char *provider;
    char *auth_header;
    long idle_ms;
    xfer *xfers;
    cx_resp_store *store;
    bool closing; /* cx__rserver_free has begun: pending store answers only clean up */
    pthread_t thread;
    bool threaded;
};

/* ---- rserver.c ---- */
/* Replies {"error":{"message","type","param","code"}} (OpenAI's shape);
 * type NULL picks one from the status; code may be NULL. */
void cx__rserver_error(struct evhttp_request *req, int status, const char *type, const char *code,
                       const char *message);
/* Replies a JSON body (taken) with the status. */
void cx__rserver_json(struct evhttp_request *req, int status, json_object *body);
/* Whether path is /v1<name> or <name>, followed by the end, '?' or (when
 * rest is not NULL, then set to what follows) '/'. */
bool cx__rserver_path(const char *path, const char *name, const char **rest);

/* ---- backend.c ---- */
xfer *cx__xfer_new(cx_rserver *s, xfer_kind kind, struct evhttp_request *req, const char *url,
                   char *body);
void cx__xfer_free(xfer *x);
/* Sends what x->out holds as one chunk of the client's event stream (dropped
 * for a client that wants one JSON Response). */
void cx__xfer_flush(xfer *x);
/* Ends the client's event stream (final chunk). */
void cx__xfer_end_reply(xfer *x);
/* Sends a new request body on x's handle (a follow-up); takes body. */
int cx__xfer_restart(xfer *x, char *body);
/* Wires curl's multi-socket interface to the loop; 0 or -1. */
int cx__backend_init(cx_rserver *s);
/* Fails transfers whose backend has been silent for the idle timeout. */
void cx__backend_watchdog(cx_rserver *s);

/* ---- responses.c ---- */
void cx__responses_handle(cx_rserver *s, struct evhttp_request *req);
/* The backend's stream status is 200: the client's stream can begin. */
void cx__responses_start(xfer *x);
/* Consumes one SSE payload of the backend's stream. 0, or 1 to stop. */
int cx__responses_chunk(xfer *x, const char *data, size_t len);
/* The backend transfer ended (rc from curl). Frees x unless it continues. */
void cx__responses_done(xfer *x, CURLcode rc);
/* Ends x's reply with an error: response.failed once the stream has begun,
 * else an HTTP error with this status. Does not free x. */
void cx__responses_fail(xfer *x, int status, const char *message);

#endif
