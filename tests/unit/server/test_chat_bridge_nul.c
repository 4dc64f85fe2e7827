/* Issue 7 #9: an escaped NUL (\u0000) in a JSON string used to cut the text
 * at that point on its way through the chat bridge; now every text field
 * keeps both halves, in the request and in the stream (on both wires). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

static void request_text_keeps_what_follows_a_nul(void **state)
{
    (void)state;
    json_object *req = cx_test_fixture_json("chat/request_with_nuls.json");
    json_object *chat = NULL;
    cx_error err;
    assert_int_equal(cx__chat_request_build(req, NULL, &chat, &err), 0);
    char *s = cx__json_to_string(cx__json_get(chat, "messages"));
    assert_non_null(strstr(s, "\"be\\u0000brief\""));
    assert_non_null(strstr(s, "\"before\\u0000after\""));
    assert_non_null(strstr(s, "\"part\\u0000two\""));
    assert_non_null(strstr(s, "\"{\\\"a\\\":1}\\u0000tail\""));
    assert_non_null(strstr(s, "\"out\\u0000put\""));
    assert_non_null(strstr(s, "patch\\\\u0000text")); /* inside the wrapped {"input":...} */
    free(s);
    json_object_put(chat);
    json_object_put(req);
}

static void stream_text_on(cx_chat_wire wire)
{
    json_object *req = parse("{\"model\":\"m\",\"input\":[],\"stream\":true}");
    json_object *chat = NULL;
    cx_error err;
    assert_int_equal(cx__chat_request_build(req, NULL, &chat, &err), 0);
    cx_chat_stream *s = cx__chat_stream_new(req, chat, NULL, wire);
    cx_buf out = CX_BUF_INIT;
    cx__chat_stream_begin(s, &out);
    static const char *const chunks[] = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think\\u0000more\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"say\\u0000this\"}}]}",
        ("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t1\","
         "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":\\\"a\"}}]}"
         "}"
         "]"
         "}"),
        ("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{"
         "\"arguments\":\"\\u0000b\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}"),
    };
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
        assert_int_equal(cx__chat_stream_chunk(s, chunks[i], strlen(chunks[i]), &out, &err), 0);
    json_object *next = NULL;
    assert_int_equal(cx__chat_stream_end(s, &out, &next, &err), 0);
    const char *text = cx__buf_str(&out);
    assert_non_null(strstr(text, "think\\u0000more"));
    assert_non_null(strstr(text, "say\\u0000this"));
    assert_non_null(strstr(text, "{\\\"x\\\":\\\"a\\u0000b\\\"}"));
    json_object_put(next);
    cx__buf_free(&out);
    cx__chat_stream_free(s);
    json_object_put(chat);
    json_object_put(req);
}

static void stream_text_keeps_what_follows_a_nul(void **state)
{
    (void)state;
    stream_text_on(CX_CHAT_WIRE_CODEX);
    stream_text_on(CX_CHAT_WIRE_API);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_text_keeps_what_follows_a_nul),
        cmocka_unit_test(stream_text_keeps_what_follows_a_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
