/* chat_request / chat_stream: the hand-written fast path for content deltas
 * must produce the same bytes as the general path, on both wires; request
 * translation edge cases; the API wire's event sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "base/json.h"
#include "server/chat_request.h"
#include "server/chat_stream.h"

static json_object *parse(const char *text)
{
    json_object *o = NULL;
    assert_int_equal(cx__json_parse(text, strlen(text), &o, NULL), 0);
    return o;
}

/* Replaces every "msg_<hex>" / "resp_<hex>" / "rs_<hex>" id by a fixed word. */
static void scrub_ids(char *s)
{
    static const char *const prefixes[] = {"\"msg_", "\"resp_", "\"rs_"};
    for (int k = 0; k < 3; k++) {
        size_t pl = strlen(prefixes[k]);
        for (char *p = strstr(s, prefixes[k]); p; p = strstr(p + 1, prefixes[k]))
            for (char *q = p + pl; *q && *q != '"'; q++)
                *q = 'x';
    }
}

static char *run(const char *const *chunks, size_t n, bool force_slow, cx_chat_wire wire)
{
    json_object *req = parse("{\"model\":\"m\",\"input\":[],\"stream\":true}");
    json_object *chat = NULL;
    cx_error err;
    assert_int_equal(cx__chat_request_build(req, NULL, &chat, &err), 0);
    cx_chat_stream *s = cx__chat_stream_new(req, chat, NULL, wire);
    cx_buf out = CX_BUF_INIT;
    cx__chat_stream_begin(s, &out);
    for (size_t i = 0; i < n; i++) {
        cx_buf c = CX_BUF_INIT;
        cx__buf_puts(&c, chunks[i]);
        if (force_slow) {
            /* a logprobs object sends the chunk down the general path */
            cx__buf_truncate(&c, c.len - 1);
            cx__buf_puts(&c, ",\"logprobs\":{\"content\":null}}");
        }
        assert_int_equal(cx__chat_stream_chunk(s, c.data, c.len, &out, &err), 0);
        cx__buf_free(&c);
    }
    json_object *next = NULL;
    assert_int_equal(cx__chat_stream_end(s, &out, &next, &err), 0);
    assert_null(next);
    cx__chat_stream_free(s);
    json_object_put(chat);
    json_object_put(req);
    char *r = cx__buf_steal(&out);
    scrub_ids(r);
    return r;
}

static void fast_and_general_paths_agree(void **state)
{
    (void)state;
    /* escapes, raw and broken UTF-8, and a "usage" look-alike inside text */
    size_t n = 0;
    char **lines = cx_test_fixture_lines("chat/stream_escapes.jsonl", &n);
    const char *const *chunks = (const char *const *)lines;
    char *fast = run(chunks, n, false, CX_CHAT_WIRE_CODEX);
    char *slow = run(chunks, n, true, CX_CHAT_WIRE_CODEX);
    assert_string_equal(fast, slow);
    char *api_fast = run(chunks, n, false, CX_CHAT_WIRE_API);
    char *api_slow = run(chunks, n, true, CX_CHAT_WIRE_API);
    assert_string_equal(api_fast, api_slow);
    assert_non_null(strstr(api_fast, "\"sequence_number\":"));
    free(api_fast);
    free(api_slow);
    /* and the text came through intact */
    assert_non_null(
        strstr(fast, "\"text\":\"Hello \\\"quoted\\\" \\\\ backtab\\there\\nnew line / slashctl "
                     "\\u0001 and é ✓ 😀"
                     "raw é utf8 and bad \xef\xbf\xbd bytetext with \\\"usage\\\":{ inside\""));
    free(fast);
    free(slow);
    cx_test_lines_free(lines);
}

static void requests_refuse_what_chat_cannot_carry(void **state)
{
    (void)state;
    /* each line: a request and a part of the error it must get */
    char **bad = cx_test_fixture_lines("chat/bad_requests.jsonl", NULL);
    for (char **line = bad; *line; line++) {
        json_object *c = parse(*line);
        json_object *req = json_object_get(cx__json_get(c, "request"));
        const char *want = cx__json_get_str(c, "error");
        json_object *chat = NULL;
        cx_error err;
        assert_int_equal(cx__chat_request_build(req, "vllm", &chat, &err), CX_EINVAL);
        if (!strstr(err.msg, want)) fail_msg("%s: got '%s'", *line, err.msg);
        assert_null(chat);
        json_object_put(req);
        json_object_put(c);
    }
    cx_test_lines_free(bad);
}

static void assistant_turn_is_merged(void **state)
{
    (void)state;
    json_object *req = parse(
        "{\"model\":\"m\",\"input\":["
        "{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"plan\"}]},"
        "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
        "\"text\":\"a\"}]},"
        "{\"type\":\"function_call\",\"call_id\":\"c1\",\"name\":\"f\",\"arguments\":\"\"},"
        "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":{\"ok\":true}}]}");
    json_object *chat = NULL;
    cx_error err;
    assert_int_equal(cx__chat_request_build(req, NULL, &chat, &err), 0);
    char *s = cx__json_to_string(cx__json_get(chat, "messages"));
    assert_string_equal(
        s, "[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
           "\"function\":"
           "{\"name\":\"f\",\"arguments\":\"{}\"}}],\"content\":\"a\",\"reasoning\":\"plan\"},"
           "{\"role\":\"tool\",\"content\":\"{\\\"ok\\\":true}\",\"tool_call_id\":\"c1\"}]");
    free(s);
    json_object_put(chat);
    json_object_put(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_and_general_paths_agree),
        cmocka_unit_test(requests_refuse_what_chat_cannot_carry),
        cmocka_unit_test(assistant_turn_is_merged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
