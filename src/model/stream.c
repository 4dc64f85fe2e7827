/* Responses stream reader on top of the transport and the SSE parser. */
#include "model/stream.h"

#include "base/json.h"
#include "base/redact.h"
#include "model/sse.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* on_sse's value after response.completed: it stops the transfer (a server
 * may keep the connection open) and is not an error. */
#define STREAM_DONE 1

typedef struct reader {
    cx_model_event_fn on_event;
    void *user;
    cx_model_stream_result *res;
    cx_error *err;
    int rc;             /* terminal status decided by an event */
    bool done;          /* response.completed (or a terminal failure) seen */
    json_object *delta; /* the last text delta event, reused for the next one */
    const char *secret; /* masked in messages taken from the server */
    cx_sse_parser *sse;
    size_t max_event;
    const cx_model_stream_opts *opts; /* may be NULL */
    int max_request_retries;
} reader;

void cx__model_stream_result_clear(cx_model_stream_result *r)
{
    if (!r) return;
    free(r->response_id);
    json_object_put(r->usage);
    r->response_id = NULL;
    r->usage = NULL;
}

static const char *failure_message(const json_object *ev)
{
    json_object *resp = cx__json_get(ev, "response");
    json_object *e = cx__json_get(resp, "error");
    const char *m = cx__json_get_str(e, "message");
    if (!m) m = cx__json_get_str(cx__json_get(ev, "error"), "message");
    if (!m) m = cx__json_get_str(ev, "message");
    return m;
}

/* Sets the stream error "<what>: <the server's message, redacted>". */
static int server_failure(reader *r, const char *what, const char *m, const char *fallback)
{
    char *red = cx__redact(m ? m : fallback, r->secret, CX_REDACT_ONE_LINE);
    r->rc = cx_error_set(r->err, CX_ESTREAM, "%s: %s", what, red ? red : fallback);
    free(red);
    r->done = true;
    return r->rc;
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
    if (is_delta && r->delta &&
        cx__json_parse_flat_reuse(sse->data, sse->data_len, r->delta) == 0) {
        ev = json_object_get(r->delta);
    } else if (cx__json_parse_flat(sse->data, sse->data_len, &ev) != 0 &&
               cx__json_parse(sse->data, sse->data_len, &ev, &perr) != 0) {
        r->rc = cx_error_set(r->err, CX_EPARSE, "malformed event '%s' in the response stream: %s",
                             sse->event, perr.msg);
        return r->rc;
    }
    if (is_delta && ev != r->delta) {
        json_object_put(r->delta);
        r->delta = json_object_get(ev);
    }
    const char *type = cx__json_get_str(ev, "type");
    if (!type) type = sse->event;
    int rc = r->on_event ? r->on_event(r->user, ev) : 0;
    if (rc) {
        r->rc = rc;
    } else if (!strcmp(type, "response.completed")) {
        json_object *resp = cx__json_get(ev, "response");
        const char *id = cx__json_get_str(resp, "id");
        r->res->response_id = id ? strdup(id) : NULL;
        json_object *usage = cx__json_get(resp, "usage");
        r->res->usage = usage ? json_object_get(usage) : NULL;
        r->done = true;
    } else if (!strcmp(type, "response.failed")) {
        server_failure(r, "response failed", failure_message(ev), "no reason given");
    } else if (!strcmp(type, "response.incomplete")) {
        const char *why = cx__json_get_str(
            cx__json_get(cx__json_get(ev, "response"), "incomplete_details"), "reason");
        server_failure(r, "response incomplete", why, "unknown reason");
    } else if (!strcmp(type, "error")) {
        server_failure(r, "stream error", failure_message(ev), "unknown error");
    }
    json_object_put(ev);
    if (r->rc) return r->rc;
    return r->done ? STREAM_DONE : 0;
}

static int on_bytes(void *user, const char *data, size_t len)
{
    reader *r = user;
    int rc = cx__sse_feed(r->sse, data, len);
    if (rc && !r->rc && cx__sse_overflowed(r->sse))
        r->rc = cx_error_set(r->err, CX_EPARSE,
                             "an event in the response stream grew past %zu bytes without "
                             "ending (stream_max_event_bytes): the stream was stopped",
                             r->max_event);
    return rc;
}

/* ---- retries ---------------------------------------------------------------- */

static void announce(const cx_model_stream_opts *o, bool stream, int attempt, int max, long delay,
                     const char *why)
{
    if (!o || !o->on_retry) return;
    char msg[1200];
    if (stream)
        snprintf(msg, sizeof msg, "%s", why && *why ? why : "stream error");
    else
        snprintf(msg, sizeof msg, "%s (retrying in %.1f s)", why && *why ? why : "request failed",
                 (double)delay / 1000.0);
    cx_model_retry r = {stream, attempt, max, delay, msg};
    o->on_retry(o->retry_user, &r);
}

static void on_request_retry(void *user, int attempt, long delay_ms, const char *reason)
{
    reader *r = user;
    announce(r->opts, false, attempt, r->max_request_retries, delay_ms, reason);
}

int cx__model_stream(cx_http_client *c, const cx_http_request *req, const cx_model_stream_opts *o,
                     cx_model_event_fn on_event, void *user, cx_model_stream_result *res,
                     cx_error *err)
{
    memset(res, 0, sizeof *res);
    size_t max_event = o && o->max_event_bytes ? o->max_event_bytes : CX_SSE_DEFAULT_MAX_EVENT;
    reader r = {on_event, user,        res,  err,       0, false,
                NULL,     req->redact, NULL, max_event, o, req->max_retries};
    r.sse = cx__sse_new(on_sse, &r);
    if (!r.sse) return cx_error_set(err, CX_ENOMEM, "out of memory");
    cx__sse_set_max_event(r.sse, max_event);
    cx_http_request sse_req = *req;
    if (!sse_req.content_type) sse_req.content_type = "text/event-stream";
    int rc = cx__http_post_stream(c, &sse_req, on_bytes, on_request_retry, &r, NULL, err);
    bool cut = cx__sse_finish(r.sse);
    cx__sse_free(r.sse);
    json_object_put(r.delta);
    if (r.rc) return r.rc;
    if (r.done) return 0; /* rc is STREAM_DONE, or 0 when the server closed first */
    if (rc) return rc;
    return cx_error_set(err, CX_ENET, "stream disconnected before completion%s",
                        cut ? " (an event was cut off)" : "");
}

/* Upstream's turn loop retries every failure but a few verdicts: a 400 (the
 * request itself is wrong), a 429 (its "exceeded retry limit"), and, here, an
 * answer that was not an event stream (http_status 0) or a response.failed. */
static bool attempt_again(int rc, const cx_error *err)
{
    if (rc == CX_ENET || rc == CX_ETIMEOUT) return true;
    if (rc != CX_EHTTP || !err) return false;
    return err->http_status > 400 && err->http_status != 429;
}

int cx__model_sample(cx_http_client *c, const cx_http_request *req, const cx_model_stream_opts *o,
                     cx_model_event_fn on_event, void *user, cx_model_stream_result *res,
                     cx_error *err)
{
    int max_stream = o ? o->stream_max_retries : 0;
    for (int attempt = 0;; attempt++) {
        cx_error_clear(err);
        int rc = cx__model_stream(c, req, o, on_event, user, res, err);
        if (rc == 0) return 0;
        cx__model_stream_result_clear(res);
        bool cancelled = req->cancel && atomic_load(req->cancel);
        if (cancelled) return cx_error_set(err, CX_ECANCELED, "request cancelled");
        if (!attempt_again(rc, err) || attempt >= max_stream) return rc;
        long delay = cx__http_backoff_ms(attempt + 1);
        announce(o, true, attempt + 1, max_stream, delay, err ? err->msg : "stream error");
        if (cx__http_sleep_cancellable(delay, req->cancel))
            return cx_error_set(err, CX_ECANCELED, "request cancelled");
    }
}
