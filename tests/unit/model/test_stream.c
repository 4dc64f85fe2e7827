/* model/stream: reading a Responses stream from a scripted server on 127.0.0.1
 * (tests/support/httpd.h): events in order, the id and usage of response.completed,
 * the end at response.completed even on a connection left open, the server's
 * failures, a stream cut short, malformed or oversized events, stream retries and which
 * error statuses are attempted again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "httpd.h"
#include "model/stream.h"

#define SSE "Content-Type: text/event-stream\r\n"
#define CREATED                                                                                    \
    "event: response.created\n"                                                                    \
    "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\"}}\n\n"
#define DELTA(t)                                                                                   \
    "event: response.output_text.delta\n"                                                          \
    "data: {\"type\":\"response.output_text.delta\",\"delta\":\"" t "\"}\n\n"
#define COMPLETED                                                                                  \
    "event: response.completed\n"                                                                  \
    "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"usage\":"            \
    "{\"input_tokens\":5,\"output_tokens\":2}}}\n\n"

typedef struct seen {
    cx_buf types; /* event types, one a line */
    cx_buf text;  /* the deltas joined */
    int retries, stream_retries;
    char last_retry[512];
} seen;

static int on_event(void *user, const json_object *ev)
{
    seen *s = user;
    cx__buf_printf(&s->types, "%s\n", cx__json_get_str(ev, "type"));
    const char *d = cx__json_get_str(ev, "delta");
    if (d) cx__buf_puts(&s->text, d);
    return 0;
}

static void on_retry(void *user, const cx_model_retry *r)
{
    seen *s = user;
    s->retries++;
    s->stream_retries += r->stream;
    snprintf(s->last_retry, sizeof s->last_retry, "%d/%d %s", r->attempt, r->max, r->message);
}

static int sample(cx_test_httpd *h, seen *s, int stream_retries, size_t max_event,
                  cx_model_stream_result *res, cx_error *err)
{
    cx_http_client *c = cx__http_client_new();
    cx_http_request req = {.url = cx_test_httpd_url(h, "/v1/responses"),
                           .body = "{}",
                           .body_len = 2,
                           .idle_timeout_ms = 3000};
    cx_model_stream_opts o = {.stream_max_retries = stream_retries,
                              .max_event_bytes = max_event,
                              .on_retry = on_retry,
                              .retry_user = s};
    int rc = cx__model_sample(c, &req, &o, on_event, s, res, err);
    cx__http_client_free(c);
    return rc;
}

static void events_in_order_then_completed(void **state)
{
    /* the server keeps the connection open after response.completed: the stream ends
     * there anyway, long before the stall */
    static const cx_test_reply script[] = {
        {"200 OK", SSE, CREATED DELTA("Hel") DELTA("lo \\u00e9") COMPLETED, true, 10000}};
    cx_test_httpd *h = cx_test_httpd_start(script, 1);
    seen s = {CX_BUF_INIT, CX_BUF_INIT, 0, 0, ""};
    cx_model_stream_result res;
    cx_error err = {0};
    long long t0 = cx__clock_ms();
    assert_int_equal(sample(h, &s, 0, 0, &res, &err), 0);
    assert_true(cx__clock_ms() - t0 < 5000);
    assert_string_equal(cx__buf_str(&s.types), "response.created\nresponse.output_text.delta\n"
                                               "response.output_text.delta\nresponse.completed\n");
    assert_string_equal(cx__buf_str(&s.text), "Hello \xc3\xa9");
    assert_string_equal(res.response_id, "resp_1");
    assert_non_null(res.usage);
    int64_t out_tokens = 0;
    assert_true(cx__json_get_int(res.usage, "output_tokens", &out_tokens));
    assert_int_equal(out_tokens, 2);
    cx__model_stream_result_clear(&res);
    cx__buf_free(&s.types);
    cx__buf_free(&s.text);
    cx_test_httpd_stop(h);
}

static void server_failures_are_stream_errors(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", SSE,
         CREATED "event: response.failed\n"
                 "data: {\"type\":\"response.failed\",\"response\":{\"error\":{\"message\":"
                 "\"model overloaded\"}}}\n\n",
         true, 0},
        {"200 OK", SSE,
         "event: response.incomplete\n"
         "data: {\"type\":\"response.incomplete\",\"response\":{\"incomplete_details\":"
         "{\"reason\":\"max_output_tokens\"}}}\n\n",
         true, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 2);
    seen s = {CX_BUF_INIT, CX_BUF_INIT, 0, 0, ""};
    cx_model_stream_result res;
    cx_error err = {0};
    assert_int_equal(sample(h, &s, 3, 0, &res, &err), CX_ESTREAM);
    assert_string_equal(err.msg, "response failed: model overloaded");
    assert_int_equal(s.retries, 0); /* the server's verdict is not retried */
    assert_int_equal(sample(h, &s, 3, 0, &res, &err), CX_ESTREAM);
    assert_string_equal(err.msg, "response incomplete: max_output_tokens");
    assert_int_equal(cx_test_httpd_count(h), 2);
    cx__buf_free(&s.types);
    cx__buf_free(&s.text);
    cx_test_httpd_stop(h);
}

static void a_cut_stream_is_retried_as_a_whole(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", SSE, CREATED DELTA("lost"), true, 0},
        {"200 OK", SSE, CREATED DELTA("kept") COMPLETED, true, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 2);
    seen s = {CX_BUF_INIT, CX_BUF_INIT, 0, 0, ""};
    cx_model_stream_result res;
    cx_error err = {0};
    assert_int_equal(sample(h, &s, 1, 0, &res, &err), 0);
    assert_int_equal(s.stream_retries, 1);
    /* upstream's own words: the stream retry's notice carries no wait */
    assert_string_equal(s.last_retry, "1/1 stream disconnected before completion");
    /* the first attempt's events came too: the caller drops them on the retry notice */
    assert_string_equal(cx__buf_str(&s.text), "lostkept");
    assert_string_equal(res.response_id, "resp_1");
    cx__model_stream_result_clear(&res);
    assert_int_equal(cx_test_httpd_count(h), 2);
    cx__buf_free(&s.types);
    cx__buf_free(&s.text);
    cx_test_httpd_stop(h);
}

/* As upstream's turn loop: an error status is attempted again (after the
 * request's own retries), but for a 400 and a 429. */
static void error_statuses_are_attempted_again_but_400_and_429(void **state)
{
#define JSON_ERR(m)                                                                                \
    "Content-Type: application/json\r\n", "{\"error\":{\"message\":\"" m "\"}}", false, 0
    static const cx_test_reply script[] = {
        {"404 Not Found", JSON_ERR("no such route")},
        {"503 Service Unavailable", JSON_ERR("busy")},
        {"200 OK", SSE, CREATED DELTA("ok") COMPLETED, true, 0},
        {"400 Bad Request", JSON_ERR("bad input")},
        {"429 Too Many Requests", JSON_ERR("slow down")},
        {"401 Unauthorized", JSON_ERR("bad key")},
        {"401 Unauthorized", JSON_ERR("bad key")},
    };
#undef JSON_ERR
    cx_test_httpd *h = cx_test_httpd_start(script, 7);
    seen s = {CX_BUF_INIT, CX_BUF_INIT, 0, 0, ""};
    cx_model_stream_result res;
    cx_error err = {0};
    assert_int_equal(sample(h, &s, 2, 0, &res, &err), 0);
    assert_int_equal(s.stream_retries, 2);
    char want[256];
    snprintf(want, sizeof want, "2/2 unexpected status 503 Service Unavailable: busy, url: %s",
             cx_test_httpd_url(h, "/v1/responses"));
    assert_string_equal(s.last_retry, want);
    assert_string_equal(cx__buf_str(&s.text), "ok");
    cx__model_stream_result_clear(&res);
    /* the request is wrong, or the server said to slow down: no new attempt */
    assert_int_equal(sample(h, &s, 2, 0, &res, &err), CX_EHTTP);
    assert_int_equal(err.http_status, 400);
    assert_int_equal(sample(h, &s, 2, 0, &res, &err), CX_EHTTP);
    assert_int_equal(err.http_status, 429);
    assert_int_equal(s.stream_retries, 2);
    /* retries spent: the last failure is the answer */
    assert_int_equal(sample(h, &s, 1, 0, &res, &err), CX_EHTTP);
    assert_int_equal(err.http_status, 401);
    assert_non_null(strstr(err.msg, "unexpected status 401 Unauthorized: bad key"));
    assert_int_equal(s.stream_retries, 3);
    assert_int_equal(cx_test_httpd_count(h), 7);
    cx__buf_free(&s.types);
    cx__buf_free(&s.text);
    cx_test_httpd_stop(h);
}

static void without_retries_a_cut_stream_fails(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", SSE, CREATED "event: response.output_text.delta\ndata: {\"ty", true, 0}};
    cx_test_httpd *h = cx_test_httpd_start(script, 1);
    seen s = {CX_BUF_INIT, CX_BUF_INIT, 0, 0, ""};
    cx_model_stream_result res;
    cx_error err = {0};
    assert_int_equal(sample(h, &s, 0, 0, &res, &err), CX_ENET);
    assert_string_equal(err.msg, "stream disconnected before completion (an event was cut off)");
    assert_null(res.response_id);
    cx__buf_free(&s.types);
    cx__buf_free(&s.text);
    cx_test_httpd_stop(h);
}

static void malformed_and_oversized_events(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", SSE, CREATED "event: response.output_item.added\ndata: {not json\n\n", true, 0},
        {"200 OK", SSE, CREATED DELTA("0123456789012345678901234567890123456789") COMPLETED, true,
         0},
        {"200 OK", "Content-Type: application/json\r\n", "{\"error\":\"no\"}", false, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 3);
    seen s = {CX_BUF_INIT, CX_BUF_INIT, 0, 0, ""};
    cx_model_stream_result res;
    cx_error err = {0};
    assert_int_equal(sample(h, &s, 2, 0, &res, &err), CX_EPARSE);
    assert_non_null(strstr(err.msg, "malformed event 'response.output_item.added'"));
    assert_int_equal(sample(h, &s, 2, 100, &res, &err), CX_EPARSE);
    assert_non_null(strstr(err.msg, "grew past 100 bytes"));
    assert_int_equal(sample(h, &s, 2, 0, &res, &err), CX_EHTTP);
    assert_non_null(strstr(err.msg, "expected text/event-stream but the server sent "
                                    "application/json"));
    assert_int_equal(s.retries, 0);
    assert_int_equal(cx_test_httpd_count(h), 3);
    cx__buf_free(&s.types);
    cx__buf_free(&s.text);
    cx_test_httpd_stop(h);
}

int main(void)
{
    cx__http_global_init(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_in_order_then_completed),
        cmocka_unit_test(server_failures_are_stream_errors),
        cmocka_unit_test(a_cut_stream_is_retried_as_a_whole),
        cmocka_unit_test(error_statuses_are_attempted_again_but_400_and_429),
        cmocka_unit_test(without_retries_a_cut_stream_fails),
        cmocka_unit_test(malformed_and_oversized_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
