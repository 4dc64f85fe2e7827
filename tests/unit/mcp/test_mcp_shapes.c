/* Unit tests for the MCP client's pure parts: JSON-RPC framing and message
 * classification, request/answer matching, tool names, schema cleaning and
 * the shapes of call results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "mcp/jsonrpc.h"
#include "mcp/mcp.h"

static json_object *js(const char *text)
{
    json_object *o = NULL;
    cx_error err;
    assert_int_equal(cx__json_parse(text, strlen(text), &o, &err), 0);
    return o;
}

static void assert_json(const json_object *o, const char *want)
{
    char *got = cx__json_to_string(o);
    assert_string_equal(got, want);
    free(got);
}

typedef struct collected {
    char lines[8][64];
    int n;
} collected;

static void collect(void *user, const char *line, size_t len)
{
    collected *c = user;
    if (c->n < 8) snprintf(c->lines[c->n++], 64, "%.*s", (int)len, line);
}

static void lines_are_split_and_capped(void **state)
{
    (void)state;
    cx_mcp_lines l;
    cx__mcp_lines_init(&l, 16);
    collected c = {0};
    const char *in = "{\"a\":1}\r\n\n  \nsplit";
    cx__mcp_lines_feed(&l, in, strlen(in), collect, &c);
    cx__mcp_lines_feed(&l, "ted\n", 4, collect, &c);
    /* a line over 16 bytes, fed in pieces, is dropped whole */
    cx__mcp_lines_feed(&l, "0123456789", 10, collect, &c);
    cx__mcp_lines_feed(&l, "0123456789", 10, collect, &c);
    cx__mcp_lines_feed(&l, "0123\nok\n", 8, collect, &c);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[0], "{\"a\":1}");
    assert_string_equal(c.lines[1], "splitted");
    assert_string_equal(c.lines[2], "ok");
    assert_int_equal(l.oversized, 1);
    assert_true(l.pending.len == 0);
    cx__mcp_lines_free(&l);
}

static void messages_are_classified(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        cx_mcp_msg_kind kind;
    } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}", CX_MCP_MSG_RESULT},
        {"{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-1,\"message\":\"x\"}}",
         CX_MCP_MSG_ERROR},
        {"{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}", CX_MCP_MSG_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}", CX_MCP_MSG_NOTIFICATION},
        {"{\"jsonrpc\":\"2.0\",\"id\":3}", CX_MCP_MSG_INVALID},
        {"{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":1,\"error\":{\"code\":1}}", CX_MCP_MSG_INVALID},
        {"{\"jsonrpc\":\"1.0\",\"id\":3,\"result\":{}}", CX_MCP_MSG_INVALID},
        {"{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":\"boom\"}", CX_MCP_MSG_INVALID},
        {"[1,2]", CX_MCP_MSG_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_object *o = js(cases[i].text);
        int64_t id;
        bool has;
        assert_int_equal(cx__mcp_msg_classify(o, &id, &has), cases[i].kind);
        json_object_put(o);
    }
}

/* A transport that answers every request at once, as an HTTP server would. */
static int echo_send(void *t, const char *msg, size_t len, int64_t deadline, cx_error *err)
{
    cx_mcp_rpc **r = t;
    json_object *o = js(msg);
    int64_t id;
    bool has;
    if (cx__mcp_msg_classify(o, &id, &has) == CX_MCP_MSG_REQUEST) {
        char ans[512];
        const char *m = cx__json_get_str(o, "method");
        if (!strcmp(m, "fail"))
            snprintf(
                ans, sizeof ans,
                "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-32000,\"message\":\"no\"}}",
                (long long)id);
        else if (!strcmp(m, "silent"))
            ans[0] = 0;
        else {
            char *params = cx__json_to_string(cx__json_get(o, "params"));
            snprintf(ans, sizeof ans, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":%s}",
                     (long long)id, params);
            free(params);
        }
        if (ans[0]) cx__mcp_rpc_deliver(*r, ans, strlen(ans));
    }
    json_object_put(o);
    return 0;
}

static void requests_get_their_answers(void **state)
{
    (void)state;
    cx_mcp_rpc *r = NULL;
    r = cx__mcp_rpc_new(echo_send, &r);
    json_object *res = NULL;
    cx_mcp_rpc_fail f;
    /* initialize goes without _meta; later requests carry progressToken 0, 1, ... */
    assert_int_equal(cx__mcp_rpc_call(r, "initialize", js("{\"a\":1}"), 1000, NULL, &res, &f), 0);
    assert_json(res, "{\"a\":1}");
    json_object_put(res);
    assert_int_equal(cx__mcp_rpc_call(r, "tools/list", NULL, 1000, NULL, &res, &f), 0);
    assert_json(res, "{\"_meta\":{\"progressToken\":0}}");
    json_object_put(res);
    assert_int_equal(cx__mcp_rpc_call(r, "fail", NULL, 1000, NULL, &res, &f), 1);
    assert_true(f.rpc);
    assert_int_equal(f.code, -32000);
    assert_string_equal(f.message, "no");
    assert_int_equal(cx__mcp_rpc_call(r, "silent", NULL, 150, NULL, &res, &f), CX_ETIMEOUT);
    assert_true(f.timeout);
    /* a late or unknown answer is dropped and counted */
    cx__mcp_rpc_deliver(r, "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":{}}", 36);
    cx__mcp_rpc_deliver(r, "garbage", 7);
    assert_int_equal(cx__mcp_rpc_dropped(r), 2);
    cx__mcp_rpc_closed(r, "connection closed");
    assert_int_equal(cx__mcp_rpc_call(r, "x", NULL, 1000, NULL, &res, &f), CX_ENET);
    assert_string_equal(f.message, "connection closed");
    cx__mcp_rpc_free(r);
}

static void names_are_qualified_like_upstream(void **state)
{
    (void)state;
    char *n = cx__mcp_qualified_name("pysrv", "dotted.name");
    assert_string_equal(n, "mcp__pysrv__dotted_name");
    free(n);
    n = cx__mcp_qualified_name("my-srv", "a b");
    assert_string_equal(n, "mcp__my_srv__a_b");
    free(n);
    /* observed upstream: 24 characters, then the SHA-1 of the whole name */
    n = cx__mcp_qualified_name(
        "pysrv",
        "tool_with_a_really_long_name_that_goes_on_and_on_beyond_sixty_four_characters_total");
    assert_string_equal(n, "mcp__pysrv__tool_with_a_cb34e0d152a6cefda2aa3f2cb63cef4f2110cd2e");
    free(n);
}

static void schemas_are_cleaned(void **state)
{
    (void)state;
    json_object *in =
        js("{\"type\":\"object\",\"$defs\":{\"x\":{}},\"properties\":{"
           "\"n\":{\"type\":\"integer\",\"minimum\":1,\"default\":2},"
           "\"s\":{\"type\":[\"string\",\"null\"],\"enum\":[\"a\"],\"format\":\"uri\"},"
           "\"any\":{\"anyOf\":[{\"type\":\"number\"}]},"
           "\"ref\":{\"$ref\":\"#/$defs/x\"},"
           "\"d\":{\"description\":\"no type\"},"
           "\"arr\":{\"type\":\"array\"},"
           "\"obj\":{\"type\":\"object\",\"additionalProperties\":false}},"
           "\"required\":[\"n\"]}");
    json_object *out = cx__mcp_sanitize_schema(in);
    assert_json(out,
                "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\"},"
                "\"s\":{\"type\":\"string\"},\"any\":{\"type\":\"string\"},"
                "\"ref\":{\"type\":\"string\"},"
                "\"d\":{\"type\":\"string\",\"description\":\"no type\"},"
                "\"arr\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                "\"obj\":{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}},"
                "\"required\":[\"n\"]}");
    json_object_put(out);
    json_object_put(in);
    in = js("{\"type\":\"object\"}");
    out = cx__mcp_sanitize_schema(in);
    assert_json(out, "{\"type\":\"object\",\"properties\":{}}");
    json_object_put(out);
    json_object_put(in);
}

static void results_take_upstream_shapes(void **state)
{
    (void)state;
    cx_tool_output out = {0};
    json_object *r = js("{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}");
    assert_int_equal(cx__mcp_result_output(r, &out), 0);
    assert_string_equal(out.text, "[{\"type\":\"text\",\"text\":\"hi\"}]");
    cx_tool_output_clear(&out);
    json_object_put(r);

    r = js("{\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"structuredContent\":{\"n\":4}}");
    assert_int_equal(cx__mcp_result_output(r, &out), 0);
    assert_string_equal(out.text, "{\"n\":4}");
    cx_tool_output_clear(&out);
    json_object_put(r);

    r = js("{\"content\":[{\"type\":\"image\",\"data\":\"AAA\",\"mimeType\":\"image/png\"},"
           "{\"type\":\"audio\",\"data\":\"B\"},{\"type\":\"text\",\"text\":\"t\"}]}");
    assert_int_equal(cx__mcp_result_output(r, &out), 0);
    assert_json(out.content,
                "[{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,AAA\"},"
                "{\"type\":\"input_text\",\"text\":\"{\\\"type\\\":\\\"audio\\\",\\\"data\\\":"
                "\\\"B\\\"}\"},"
                "{\"type\":\"input_text\",\"text\":\"t\"}]");
    cx_tool_output_clear(&out);
    json_object_put(r);

    r = js("{\"content\":[]}");
    assert_int_equal(cx__mcp_result_output(r, &out), 1);
    json_object_put(r);
    r = js("{\"isError\":true}");
    assert_int_equal(cx__mcp_result_output(r, &out), 1);
    json_object_put(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_are_split_and_capped),
        cmocka_unit_test(messages_are_classified),
        cmocka_unit_test(requests_get_their_answers),
        cmocka_unit_test(names_are_qualified_like_upstream),
        cmocka_unit_test(schemas_are_cleaned),
        cmocka_unit_test(results_take_upstream_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
