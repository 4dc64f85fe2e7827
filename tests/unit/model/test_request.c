/* The request body and headers: field order and values as upstream 0.115.0 sends them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "model/request.h"

static void body_fields_in_upstream_order(void **state)
{
    (void)state;
    json_object *input = json_object_new_array();
    json_object *tools = json_object_new_array();
    cx_request_body_opts o = {
        .model = "gpt-5.1-codex",
        .instructions = "be useful",
        .input = input,
        .tools = tools,
        .reasoning = true,
        .reasoning_effort = "medium",
        .reasoning_summary = "auto",
        .prompt_cache_key = "sess",
    };
    cx_buf b = CX_BUF_INIT;
    assert_int_equal(cx__request_body(&o, &b), 0);
    assert_string_equal(
        cx__buf_str(&b),
        "{\"model\":\"gpt-5.1-codex\",\"instructions\":\"be useful\",\"input\":[],"
        "\"tools\":[],\"tool_choice\":\"auto\",\"parallel_tool_calls\":false,"
        "\"reasoning\":{\"effort\":\"medium\",\"summary\":\"auto\"},\"store\":false,"
        "\"stream\":true,\"include\":[\"reasoning.encrypted_content\"],"
        "\"prompt_cache_key\":\"sess\"}");
    json_object *parsed = NULL;
    assert_int_equal(cx__json_parse(b.data, b.len, &parsed, NULL), 0);
    json_object_put(parsed);
    cx__buf_reset(&b);
    o.reasoning = false;
    o.verbosity = "low";
    o.service_tier = "flex";
    assert_int_equal(cx__request_body(&o, &b), 0);
    assert_non_null(strstr(b.data, "\"reasoning\":null"));
    assert_non_null(strstr(b.data, "\"include\":[],\"service_tier\":\"flex\",\"prompt_cache_key\":"
                                   "\"sess\",\"text\":{\"verbosity\":\"low\"}}"));
    cx__buf_free(&b);
    json_object_put(input);
    json_object_put(tools);
}

static void headers_carry_session_and_metadata(void **state)
{
    (void)state;
    cx_provider p = {0};
    p.api_key = "sk-1";
    p.http_headers = json_object_new_object();
    cx__json_set_str(p.http_headers, "x-extra", "1");
    p.env_http_headers = json_object_new_object();
    cx__json_set_str(p.env_http_headers, "x-from-env", "CX_TEST_HEADER_VALUE");
    setenv("CX_TEST_HEADER_VALUE", "envval", 1);
    cx_request_header_opts o = {&p, "codex_exec", "ua/1", "S-1", "{\"turn_id\":\"t\"}", NULL};
    char **h = cx__request_headers(&o);
    const char *want[] = {"x-codex-turn-metadata: {\"turn_id\":\"t\"}",
                          "x-client-request-id: S-1",
                          "session_id: S-1",
                          "authorization: Bearer sk-1",
                          "accept: text/event-stream",
                          "content-type: application/json",
                          "user-agent: ua/1",
                          "originator: codex_exec",
                          "x-extra: 1",
                          "x-from-env: envval",
                          NULL};
    for (int i = 0; want[i]; i++)
        assert_string_equal(h[i], want[i]);
    assert_null(h[10]);
    cx__request_headers_free(h);
    json_object_put(p.http_headers);
    json_object_put(p.env_http_headers);
}

static void url_and_user_agent(void **state)
{
    (void)state;
    cx_provider p = {0};
    p.base_url = "http://127.0.0.1:9/v1/";
    p.query_params = json_object_new_object();
    cx__json_set_str(p.query_params, "api-version", "2025 04");
    char *url = cx__request_url(&p, "/responses");
    assert_string_equal(url, "http://127.0.0.1:9/v1/responses?api-version=2025%2004");
    free(url);
    json_object_put(p.query_params);
    setenv("TERM_PROGRAM", "tmux", 1);
    setenv("TERM_PROGRAM_VERSION", "3.3a", 1);
    char *ua = cx__request_user_agent("codex-tui", "codex-tui");
    assert_int_equal(strncmp(ua, "codex-tui/" CCODEX_VERSION " (", 11 + strlen(CCODEX_VERSION)), 0);
    assert_non_null(strstr(ua, ") tmux/3.3a (codex-tui; " CCODEX_VERSION ")"));
    free(ua);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(body_fields_in_upstream_order),
        cmocka_unit_test(headers_carry_session_and_metadata),
        cmocka_unit_test(url_and_user_agent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
