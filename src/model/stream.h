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

void cx_model_stream_result_clear(cx_model_stream_result *r);

/* Returns 0 once `response.completed` arrived. Errors:
 *  CX_ESTREAM  response.failed / response.incomplete / an `error` event (message from the event)
 *  CX_ENET     the stream ended or broke before response.completed  (retry as a stream error)
 *  CX_ETIMEOUT no byte for idle_timeout_ms                            (retry as a stream error)
 *  CX_EPARSE   an event whose data is not JSON
 *  CX_EHTTP    an error status after the request retries
 *  CX_ECANCELED */
int cx_model_stream(cx_http_client *c, const cx_http_request *req, cx_model_event_fn on_event,
                    void *user, cx_model_stream_result *res, cx_error *err);

#endif
