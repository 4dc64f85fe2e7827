/* model/http: the libcurl transport against a scripted server on 127.0.0.1
 * (tests/support/httpd.h): what a request carries, retries on 429/5xx with
 * Retry-After honoured, the cap on a server's wait, the content-type check, the idle
 * watchdog, cancellation, redaction of a secret, GET, and a refused connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "httpd.h"
#include "model/http.h"

typedef struct seen {
    cx_buf body;
    int retries;
    int attempts[8];
    long delays[8];
    char reason[512];
} seen;

static int on_data(void *user, const char *data, size_t len)
{
    seen *s = user;
    return cx__buf_append(&s->body, data, len);
}

static void on_retry(void *user, int attempt, long delay_ms, const char *reason)
{
    seen *s = user;
    if (s->retries < 8) {
        s->attempts[s->retries] = attempt;
        s->delays[s->retries] = delay_ms;
    }
    s->retries++;
    snprintf(s->reason, sizeof s->reason, "%s", reason);
}

static int post(cx_test_httpd *h, cx_http_request *req, seen *s, int *status, cx_error *err)
{
    static const char *const headers[] = {"X-Test: one", "Content-Type: application/json", NULL};
    cx_http_client *c = cx__http_client_new();
    assert_non_null(c);
    req->url = cx_test_httpd_url(h, "/v1/responses");
    req->headers = headers;
    if (!req->body) {
        req->body = "{\"q\":1}";
        req->body_len = 7;
    }
    int rc = cx__http_post_stream(c, req, on_data, on_retry, s, status, err);
    cx__http_client_free(c);
    return rc;
}

static void body_and_request_arrive(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", "Content-Type: text/plain\r\n", "hello, client", false, 0}};
    cx_test_httpd *h = cx_test_httpd_start(script, 1);
    seen s = {.body = CX_BUF_INIT};
    cx_http_request req = {0};
    int status = 0;
    cx_error err = {0};
    assert_int_equal(post(h, &req, &s, &status, &err), 0);
    assert_int_equal(status, 200);
    assert_string_equal(cx__buf_str(&s.body), "hello, client");
    char *r = cx_test_httpd_request(h, 0);
    assert_non_null(r);
    assert_true(!strncmp(r, "POST /v1/responses HTTP/1.1\r\n", 29));
    assert_non_null(strstr(r, "\r\nX-Test: one\r\n"));
    assert_null(strstr(r, "Expect:")); /* no 100-continue round trip */
    assert_non_null(strstr(r, "\r\n\r\n{\"q\":1}"));
    free(r);
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void retries_429_and_5xx_then_succeeds(void **state)
{
    static const cx_test_reply script[] = {
        {"429 Too Many Requests", "Retry-After: 0\r\n", "slow down", false, 0},
        {"503 Service Unavailable", NULL, "busy", false, 0},
        {"200 OK", NULL, "done", false, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 3);
    seen s = {.body = CX_BUF_INIT};
    cx_http_request req = {.max_retries = 2};
    cx_error err = {0};
    assert_int_equal(post(h, &req, &s, NULL, &err), 0);
    assert_string_equal(cx__buf_str(&s.body), "done"); /* error bodies are not data */
    assert_int_equal(cx_test_httpd_count(h), 3);
    assert_int_equal(s.retries, 2);
    assert_int_equal(s.attempts[0], 1);
    assert_int_equal(s.delays[0], 0); /* Retry-After: 0 honoured */
    assert_int_equal(s.attempts[1], 2);
    assert_true(s.delays[1] >= 360 && s.delays[1] <= 440); /* backoff for attempt 2 */
    /* upstream's form: status with its reason, the body's message, then the URL */
    assert_non_null(strstr(
        s.reason, "unexpected status 503 Service Unavailable: busy, url: http://127.0.0.1:"));
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void error_status_after_the_last_retry(void **state)
{
    static const cx_test_reply script[] = {
        {"500 Internal Server Error", "Retry-After: 0\r\n", "one", false, 0},
        {"502 Bad Gateway", "Retry-After: 0\r\n", "two", false, 0},
        {"200 OK", NULL, "never reached", false, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 3);
    seen s = {.body = CX_BUF_INIT};
    cx_http_request req = {.max_retries = 1};
    int status = 0;
    cx_error err = {0};
    assert_int_equal(post(h, &req, &s, &status, &err), CX_EHTTP);
    assert_int_equal(status, 502);
    assert_int_equal(err.http_status, 502);
    assert_non_null(strstr(err.msg, "unexpected status 502"));
    assert_non_null(strstr(err.msg, ": two"));
    assert_int_equal(cx_test_httpd_count(h), 2);
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void client_errors_are_not_retried_and_secrets_hidden(void **state)
{
    static const cx_test_reply script[] = {
        {"401 Unauthorized", NULL, "bad key sk-SECRET-123", false, 0},
        {"200 OK", NULL, "never reached", false, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 2);
    seen s = {.body = CX_BUF_INIT};
    cx_http_request req = {.max_retries = 3, .redact = "sk-SECRET-123"};
    cx_error err = {0};
    assert_int_equal(post(h, &req, &s, NULL, &err), CX_EHTTP);
    assert_int_equal(err.http_status, 401);
    assert_null(strstr(err.msg, "SECRET"));
    assert_non_null(strstr(err.msg, "bad key "));
    assert_int_equal(cx_test_httpd_count(h), 1);
    assert_int_equal(s.retries, 0);
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void a_long_retry_after_is_the_answer(void **state)
{
    static const cx_test_reply script[] = {
        {"429 Too Many Requests", "Retry-After: 3600\r\n", "quota", false, 0},
        {"200 OK", NULL, "never reached", false, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 2);
    seen s = {.body = CX_BUF_INIT};
    cx_http_request req = {.max_retries = 3, .max_retry_wait_ms = 60000};
    cx_error err = {0};
    long long t0 = cx__clock_ms();
    assert_int_equal(post(h, &req, &s, NULL, &err), CX_EHTTP);
    assert_true(cx__clock_ms() - t0 < 5000);
    assert_int_equal(err.http_status, 429);
    assert_non_null(strstr(err.msg, "(the server asked to retry after 3600 s, more than the 60 s "
                                    "limit)"));
    assert_int_equal(cx_test_httpd_count(h), 1);
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void wrong_content_type_fails_at_once(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", "Content-Type: text/html\r\n", "<html>login</html>", false, 0},
        {"200 OK", "Content-Type: text/event-stream\r\n", "", false, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 2);
    seen s = {.body = CX_BUF_INIT};
    cx_http_request req = {.max_retries = 3, .content_type = "text/event-stream"};
    cx_error err = {0};
    assert_int_equal(post(h, &req, &s, NULL, &err), CX_EHTTP);
    assert_non_null(strstr(err.msg, "expected text/event-stream but the server sent text/html "
                                    "(status 200) from http://127.0.0.1:"));
    assert_int_equal(s.body.len, 0); /* the page never reached the caller */
    assert_int_equal(cx_test_httpd_count(h), 1);
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void idle_watchdog_ends_a_silent_stream(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", "Content-Type: text/event-stream\r\n", "data: first\n\n", true, 5000}};
    cx_test_httpd *h = cx_test_httpd_start(script, 1);
    seen s = {.body = CX_BUF_INIT};
    cx_http_request req = {.idle_timeout_ms = 300};
    cx_error err = {0};
    long long t0 = cx__clock_ms();
    assert_int_equal(post(h, &req, &s, NULL, &err), CX_ETIMEOUT);
    long long took = cx__clock_ms() - t0;
    assert_true(took >= 250 && took < 3000);
    assert_string_equal(cx__buf_str(&s.body), "data: first\n\n");
    assert_non_null(strstr(err.msg, "idle timeout waiting for SSE (no data for 300 ms)"));
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void *cancel_later(void *arg)
{
    usleep(200000);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

static void cancellation_is_noticed_quickly(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", "Content-Type: text/event-stream\r\n", "data: x\n\n", true, 5000}};
    cx_test_httpd *h = cx_test_httpd_start(script, 1);
    seen s = {.body = CX_BUF_INIT};
    atomic_bool cancel = false;
    cx_http_request req = {.cancel = &cancel};
    cx_error err = {0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_later, &cancel), 0);
    long long t0 = cx__clock_ms();
    assert_int_equal(post(h, &req, &s, NULL, &err), CX_ECANCELED);
    long long took = cx__clock_ms() - t0;
    pthread_join(t, NULL);
    assert_true(took >= 150 && took < 1500);
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void a_stream_cut_short_is_a_network_error(void **state)
{
    /* Content-Length promises more than comes: curl reports the short body */
    static const cx_test_reply script[] = {
        {"200 OK", "Content-Length: 100\r\n", "only part", true, 0}};
    cx_test_httpd *h = cx_test_httpd_start(script, 1);
    seen s = {.body = CX_BUF_INIT};
    cx_http_request req = {.max_retries = 2};
    cx_error err = {0};
    assert_int_equal(post(h, &req, &s, NULL, &err), CX_ENET);
    assert_non_null(strstr(err.msg, "stream disconnected before completion: "));
    assert_int_equal(cx_test_httpd_count(h), 1); /* bytes were delivered: no request retry */
    cx__buf_free(&s.body);
    cx_test_httpd_stop(h);
}

static void get_and_refused_connection(void **state)
{
    static const cx_test_reply script[] = {
        {"200 OK", NULL, "[\"m1\"]", false, 0},
        {"404 Not Found", NULL, "no such thing", false, 0},
    };
    cx_test_httpd *h = cx_test_httpd_start(script, 2);
    cx_http_client *c = cx__http_client_new();
    cx_buf body = CX_BUF_INIT;
    int status = 0;
    cx_error err = {0};
    assert_int_equal(
        cx__http_get(c, cx_test_httpd_url(h, "/v1/models"), NULL, 5000, &body, &status, &err), 0);
    assert_string_equal(cx__buf_str(&body), "[\"m1\"]");
    char *r = cx_test_httpd_request(h, 0);
    assert_true(!strncmp(r, "GET /v1/models HTTP/1.1\r\n", 25));
    free(r);
    cx__buf_reset(&body);
    assert_int_equal(cx__http_get(c, cx_test_httpd_url(h, "/x"), NULL, 5000, &body, &status, &err),
                     CX_EHTTP);
    assert_int_equal(status, 404);
    assert_non_null(strstr(err.msg, "unexpected status 404"));
    /* nobody listens on the port once the server is gone */
    char url[128];
    snprintf(url, sizeof url, "%s", cx_test_httpd_url(h, "/v1/responses"));
    cx_test_httpd_stop(h);
    cx_http_request req = {.url = url, .body = "{}", .body_len = 2, .max_retries = 0};
    seen s = {.body = CX_BUF_INIT};
    assert_int_equal(cx__http_post_stream(c, &req, on_data, on_retry, &s, NULL, &err), CX_ENET);
    assert_non_null(strstr(err.msg, "request to http://127.0.0.1:"));
    cx__buf_free(&s.body);
    cx__buf_free(&body);
    cx__http_client_free(c);
}

static void backoff_grows_with_jitter(void **state)
{
    for (int i = 0; i < 20; i++) {
        long a = cx__http_backoff_ms(1), b = cx__http_backoff_ms(3);
        assert_true(a >= 180 && a <= 220);
        assert_true(b >= 720 && b <= 880);
    }
    atomic_bool cancel = true;
    long long t0 = cx__clock_ms();
    assert_true(cx__http_sleep_cancellable(5000, &cancel));
    assert_true(cx__clock_ms() - t0 < 500);
    assert_false(cx__http_sleep_cancellable(60, NULL));
}

int main(void)
{
    cx__http_global_init(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(body_and_request_arrive),
        cmocka_unit_test(retries_429_and_5xx_then_succeeds),
        cmocka_unit_test(error_status_after_the_last_retry),
        cmocka_unit_test(client_errors_are_not_retried_and_secrets_hidden),
        cmocka_unit_test(a_long_retry_after_is_the_answer),
        cmocka_unit_test(wrong_content_type_fails_at_once),
        cmocka_unit_test(idle_watchdog_ends_a_silent_stream),
        cmocka_unit_test(cancellation_is_noticed_quickly),
        cmocka_unit_test(a_stream_cut_short_is_a_network_error),
        cmocka_unit_test(get_and_refused_connection),
        cmocka_unit_test(backoff_grows_with_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
