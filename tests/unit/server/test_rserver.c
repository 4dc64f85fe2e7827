/* server/rserver: the responses server started in-process on an ephemeral port, in
 * front of a scripted Chat Completions backend on 127.0.0.1 (tests/support/httpd.h);
 * the client is model/http. A Responses request becomes a streamed chat request with
 * the backend's key, and its answer one Response; /healthz answers; an unknown path
 * gets a JSON 404; a backend refusing before its first byte passes its status on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "httpd.h"
#include "model/http.h"
#include "server/rserver.h"
#include "support.h"

#define CHUNK(delta, finish)                                                                       \
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"          \
    "\"delta\":" delta ",\"finish_reason\":" finish "}]}\n\n"

typedef struct world {
    cx_test_httpd *backend;
    cx_rserver *server;
    cx_http_client *client;
    char base[128];
} world;

static void world_start(world *w, const cx_test_reply *script, size_t n)
{
    memset(w, 0, sizeof *w);
    w->backend = cx_test_httpd_start(script, n);
    cx_rserver_options o = {.downstream_base_url = cx_test_httpd_url(w->backend, "/v1"),
                            .provider = "vllm",
                            .api_key = "sk-backend",
                            .idle_timeout_ms = 10000};
    cx_error err;
    w->server = cx__rserver_new(&o, &err);
    if (!w->server) fail_msg("rserver: %s", err.msg);
    assert_true(cx__rserver_port(w->server) > 0);
    assert_int_equal(cx__rserver_start(w->server), 0);
    snprintf(w->base, sizeof w->base, "http://127.0.0.1:%d", cx__rserver_port(w->server));
    w->client = cx__http_client_new();
}

static void world_stop(world *w)
{
    cx__http_client_free(w->client);
    cx__rserver_free(w->server);
    cx_test_httpd_stop(w->backend);
}

static int collect(void *user, const char *data, size_t len)
{
    return cx__buf_append(user, data, len);
}

static int post(world *w, const char *path, const char *body, cx_buf *out, int *status,
                cx_error *err)
{
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    char url[256];
    snprintf(url, sizeof url, "%s%s", w->base, path);
    cx_http_request req = {.url = url, .headers = headers, .body = body, .body_len = strlen(body)};
    return cx__http_post_stream(w->client, &req, collect, NULL, out, status, err);
}

static void a_request_becomes_a_chat_stream_and_one_response(void **state)
{
    static const cx_test_reply backend[] = {
        {"200 OK", "Content-Type: text/event-stream\r\n",
         CHUNK("{\"role\":\"assistant\",\"content\":\"Hel\"}", "null")
             CHUNK("{\"content\":\"lo\"}", "null") CHUNK("{}", "\"stop\"") "data: [DONE]\n\n",
         true, 0}};
    world w;
    world_start(&w, backend, 1);
    cx_buf out = CX_BUF_INIT;
    int status = 0;
    cx_error err = {0};
    assert_int_equal(
        post(&w, "/v1/responses", "{\"model\":\"m\",\"input\":\"hi there\"}", &out, &status, &err),
        0);
    assert_int_equal(status, 200);
    json_object *resp = cx_test_json(cx__buf_str(&out));
    assert_string_equal(cx__json_get_str(resp, "object"), "response");
    assert_string_equal(cx__json_get_str(resp, "status"), "completed");
    json_object *item = json_object_array_get_idx(cx__json_get(resp, "output"), 0);
    assert_string_equal(cx__json_get_str(item, "type"), "message");
    json_object *part = json_object_array_get_idx(cx__json_get(item, "content"), 0);
    assert_string_equal(cx__json_get_str(part, "text"), "Hello");
    json_object_put(resp);
    /* what the backend was asked */
    assert_int_equal(cx_test_httpd_count(w.backend), 1);
    char *raw = cx_test_httpd_request(w.backend, 0);
    assert_true(!strncmp(raw, "POST /v1/chat/completions HTTP/1.1\r\n", 36));
    assert_non_null(strcasestr(raw, "\r\nAuthorization: Bearer sk-backend\r\n"));
    json_object *chat = cx_test_json(strstr(raw, "\r\n\r\n") + 4);
    free(raw);
    assert_string_equal(cx__json_get_str(chat, "model"), "m");
    bool stream = false;
    assert_true(cx__json_get_bool(chat, "stream", &stream) && stream);
    json_object *msgs = cx__json_get(chat, "messages");
    json_object *last = json_object_array_get_idx(msgs, json_object_array_length(msgs) - 1);
    assert_string_equal(cx__json_get_str(last, "role"), "user");
    assert_string_equal(cx__json_get_str(last, "content"), "hi there");
    json_object_put(chat);
    cx__buf_free(&out);
    world_stop(&w);
}

static void health_unknown_paths_and_backend_refusal(void **state)
{
    static const cx_test_reply backend[] = {{"503 Service Unavailable",
                                             "Content-Type: application/json\r\n",
                                             "{\"error\":{\"message\":\"warming up\"}}", false, 0}};
    world w;
    world_start(&w, backend, 1);
    cx_buf out = CX_BUF_INIT;
    int status = 0;
    cx_error err = {0};
    char url[256];
    snprintf(url, sizeof url, "%s/healthz", w.base);
    assert_int_equal(cx__http_get(w.client, url, NULL, 5000, &out, &status, &err), 0);
    assert_string_equal(cx__buf_str(&out), "{\"ok\":true}");
    cx__buf_reset(&out);
    snprintf(url, sizeof url, "%s/v1/nothing-here", w.base);
    assert_int_equal(cx__http_get(w.client, url, NULL, 5000, &out, &status, &err), CX_EHTTP);
    assert_int_equal(status, 404);
    assert_int_equal(cx_test_httpd_count(w.backend), 0); /* answered without the backend */
    cx__buf_reset(&out);
    assert_int_equal(
        post(&w, "/v1/responses", "{\"model\":\"m\",\"input\":\"x\"}", &out, &status, &err),
        CX_EHTTP);
    assert_int_equal(status, 503);
    assert_non_null(strstr(err.msg, "warming up"));
    cx__buf_free(&out);
    world_stop(&w);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    cx__http_global_init(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_request_becomes_a_chat_stream_and_one_response),
        cmocka_unit_test(health_unknown_paths_and_backend_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
