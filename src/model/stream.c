/* Responses stream reader on top of the transport and the SSE parser. */
#include "model/stream.h"

#include "base/json.h"
#include "model/sse.h"

#include <stdlib.h>
#include <string.h>

typedef struct reader {
    cx_model_event_fn on_event;
    void *user;
    cx_model_stream_result *res;
    cx_error *err;
    int rc;             /* terminal status decided by an event */
    bool done;          /* response.completed (or a terminal failure) seen */
    json_object *delta; /* the last text delta event, reused for the next one */
} reader;

void cx_model_stream_result_clear(cx_model_stream_result *r)
{
    if (!r) return;
    free(r->response_id);
    json_object_put(r->usage);
    r->response_id = NULL;
    r->usage = NULL;
}

static const char *failure_message(const json_object *ev)
{
    json_object *resp = cx_json_get(ev, "response");
    json_object *e = cx_json_get(resp, "error");
    const char *m = cx_json_get_str(e, "message");
    if (!m) m = cx_json_get_str(cx_json_get(ev, "error"), "message");
    if (!m) m = cx_json_get_str(ev, "message");
    return m;
}

static int on_sse(void *user, const cx_sse_event *sse)
{
    reader *r = user;
    if (r->done) return 0;
    if (sse->data_len == 0) return 0;
    json_object *ev = NULL;
    cx_error perr;
    /* Most events of a stream are small flat text deltas of one shape: parse
     * them into the previous delta's object instead of building a new one. */
    bool is_delta = !strcmp(sse->event, "response.output_text.delta");
    if (is_delta && r->delta && cx_json_parse_flat_reuse(sse->data, sse->data_len, r->delta) == 0) {
        ev = json_object_get(r->delta);
    } else if (cx_json_parse_flat(sse->data, sse->data_len, &ev) != 0 &&
               cx_json_parse(sse->data, sse->data_len, &ev, &perr) != 0) {
        r->rc = cx_error_set(r->err, CX_EPARSE, "malformed event '%s' in the response stream: %s",
                             sse->event, perr.msg);
        return r->rc;
    }
    if (is_delta && ev != r->delta) {
        json_object_put(r->delta);
        r->delta = json_object_get(ev);
    }
    const char *type = cx_json_get_str(ev, "type");
    if (!type) type = sse->event;
    int rc = r->on_event ? r->on_event(r->user, ev) : 0;
    if (rc) {
        r->rc = rc;
    } else if (!strcmp(type, "response.completed")) {
        json_object *resp = cx_json_get(ev, "response");
        const char *id = cx_json_get_str(resp, "id");
        r->res->response_id = id ? strdup(id) : NULL;
        json_object *usage = cx_json_get(resp, "usage");
        r->res->usage = usage ? json_object_get(usage) : NULL;
        r->done = true;
    } else if (!strcmp(type, "response.failed")) {
        const char *m = failure_message(ev);
        r->rc = cx_error_set(r->err, CX_ESTREAM, "response failed: %s", m ? m : "no reason given");
        r->done = true;
    } else if (!strcmp(type, "response.incomplete")) {
        const char *why = cx_json_get_str(
            cx_json_get(cx_json_get(ev, "response"), "incomplete_details"), "reason");
        r->rc = cx_error_set(r->err, CX_ESTREAM, "response incomplete: %s",
                             why ? why : "unknown reason");
        r->done = true;
    } else if (!strcmp(type, "error")) {
        const char *m = failure_message(ev);
        r->rc = cx_error_set(r->err, CX_ESTREAM, "stream error: %s", m ? m : "unknown error");
        r->done = true;
    }
    json_object_put(ev);
    return r->rc;
}

static int on_bytes(void *user, const char *data, size_t len)
{
    cx_sse_parser *p = user;
    return cx_sse_feed(p, data, len);
}

int cx_model_stream(cx_http_client *c, const cx_http_request *req, cx_model_event_fn on_event,
                    void *user, cx_model_stream_result *res, cx_error *err)
{
    memset(res, 0, sizeof *res);
    reader r = {on_event, user, res, err, 0, false, NULL};
    cx_sse_parser *p = cx_sse_new(on_sse, &r);
    if (!p) return cx_error_set(err, CX_ENOMEM, "out of memory");
    int rc = cx_http_post_stream(c, req, on_bytes, NULL, p, NULL, err);
    bool cut = cx_sse_finish(p);
    cx_sse_free(p);
    json_object_put(r.delta);
    if (r.rc) return r.rc;
    if (rc) return rc;
    if (!r.done)
        return cx_error_set(err, CX_ENET, "stream disconnected before completion%s",
                            cut ? " (an event was cut off)" : "");
    return 0;
}
