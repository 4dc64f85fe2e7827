/* Reading one Responses API stream: POST, SSE framing, JSON per event, and
 * the end-of-stream rules (upstream codex-rs/core/src/client.rs process_sse). */
#ifndef CX_MODEL_STREAM_H
#define CX_MODEL_STREAM_H

#include <json-c/json.h>

#include "model/http.h"

/* Called for each event object in order. The object is borrowed and only
 * valid during the call (a text delta object is reused for the next delta):
 * copy what you keep. Non-zero aborts. */
typedef int (*cx_model_event_fn)(void *user, const json_object *event);

typedef struct cx_model_stream_result {
    char *response_id;  /* owned */
    json_object *usage; /* owned reference, or NULL */
} cx_model_stream_result;

void cx__model_stream_result_clear(cx_model_stream_result *r);

/* Told before every wait: a request retry (429, 5xx, connection failure;
 * the server's Retry-After honoured) or a stream retry (the whole attempt
 * again, as upstream's turn loop does: the stream broke or went idle, or the
 * request ended in an error status other than 400 and 429). attempt counts
 * from 1 to max; message is the redacted failure, for a request retry with
 * the wait appended ("unexpected status 429 ...: slow down, url: URL
 * (retrying in 2.0 s)"; upstream's request retries are silent, so that form
 * is ours), for a stream retry exactly upstream's text. A stream retry starts
 * the response over: drop what the attempt's events gave. */
typedef struct cx_model_retry {
    bool stream; /* false: the request was refused or failed before any byte */
    int attempt, max;
    long delay_ms;
    const char *message;
} cx_model_retry;
typedef void (*cx_model_retry_fn)(void *user, const cx_model_retry *r);

typedef struct cx_model_stream_opts {
    int stream_max_retries;     /* stream retries after the request's own (0: none) */
    size_t max_event_bytes;     /* cap on one SSE event (0: CX_SSE_DEFAULT_MAX_EVENT) */
    cx_model_retry_fn on_retry; /* may be NULL */
    void *retry_user;
} cx_model_stream_opts;

/* cx__model_stream with retries: request retries as req says (each wait
 * announced, none longer than req->max_retry_wait_ms), then up to
 * o->stream_max_retries new attempts with backoff for CX_ENET / CX_ETIMEOUT
 * and for a CX_EHTTP status other than 400 and 429 (a 5xx once its request
 * retries are spent, 401, 403, 404, 422...), as upstream retries them.
 * Waits end early on req->cancel (CX_ECANCELED). */
int cx__model_sample(cx_http_client *c, const cx_http_request *req, const cx_model_stream_opts *o,
                     cx_model_event_fn on_event, void *user, cx_model_stream_result *res,
                     cx_error *err);

/* One attempt. Returns 0 once `response.completed` arrived (the stream ends
 * there, whether or not the server closes the connection). Errors:
 *  CX_ESTREAM  response.failed / response.incomplete / an `error` event (message from the event)
 *  CX_ENET     the stream ended or broke before response.completed  (retry as a stream error)
 *  CX_ETIMEOUT no byte for idle_timeout_ms                            (retry as a stream error)
 *  CX_EPARSE   an event whose data is not JSON, or one larger than the cap
 *  CX_EHTTP    a 2xx that is not text/event-stream (not retried)
 *  CX_EHTTP    an error status after the request retries
 *  CX_ECANCELED */
int cx__model_stream(cx_http_client *c, const cx_http_request *req, const cx_model_stream_opts *o,
                     cx_model_event_fn on_event, void *user, cx_model_stream_result *res,
                     cx_error *err);

#endif
