/* cx_error formatting that reads its own message, and (below) the redaction
 * every message carrying a URL, header or server text goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/redact.h"
#include "ccodex/error.h"

#include <stdlib.h>

/* Issue 7 defect 8: formatting err->msg into itself was undefined and, with
   glibc, garbled the message. */
static void error_set_may_read_its_own_message(void **state)
{
    (void)state;
    cx_error err;
    cx_error_set(&err, CX_EPARSE, "unexpected token at %d", 12);
    cx_error_set(&err, CX_EINVAL, "structured tool output: %s", err.msg);
    assert_string_equal(err.msg, "structured tool output: unexpected token at 12");
    assert_int_equal(err.code, CX_EINVAL);
    /* the message in the middle of the format, and twice */
    cx_error_set(&err, CX_EIO, "[%s|%s]", err.msg, err.msg);
    assert_string_equal(err.msg, "[structured tool output: unexpected token at 12|structured tool "
                                 "output: unexpected token at 12]");
}

static void error_prefix_keeps_the_message(void **state)
{
    (void)state;
    cx_error err;
    cx_error_set(&err, CX_EPARSE, "bad byte");
    assert_int_equal(cx_error_prefix(&err, CX_ENET, "backend %d: ", 7), CX_ENET);
    assert_string_equal(err.msg, "backend 7: bad byte");
    /* a long message is cut, never overrun */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cx_error_set(&err, CX_EIO, "%s", big);
    cx_error_prefix(&err, CX_EIO, "p: ");
    assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
    assert_memory_equal(err.msg, "p: xxx", 6);
    assert_int_equal(cx_error_prefix(NULL, CX_EIO, "x"), CX_EIO);
}

static void expect_redacted(const char *in, const char *secret, const char *want)
{
    char *got = cx__redact(in, secret, CX_REDACT_ONE_LINE);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* Issue 7 defect 10: each form a secret was seen in. */
static void redact_url_credentials(void **state)
{
    (void)state;
    expect_redacted("http://bob:hunter2@proxy.example:8080/", NULL, "http://proxy.example:8080/");
    /* a '/' (or '?', '#') in the password: the old parser stopped at it */
    expect_redacted("http://alice:pa/ss?w#rd@proxy.example:3128", NULL,
                    "http://proxy.example:3128");
    expect_redacted("request to https://u:p@api.example.com/v1/responses failed", NULL,
                    "request to https://api.example.com/v1/responses failed");
    expect_redacted("https://token@host/x", NULL, "https://host/x");
    /* no credentials: untouched, including an '@' in a path */
    expect_redacted("https://api.example.com/v1/models@latest", NULL,
                    "https://api.example.com/v1/models@latest");
}

static void redact_headers_and_keys(void **state)
{
    (void)state;
    expect_redacted("Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\nVia: x", NULL,
                    "Proxy-Authorization: Basic ***  Via: x");
    expect_redacted("{\"authorization\":\"Bearer sk-abc\"}", NULL,
                    "{\"authorization\":\"Bearer ***\"}");
    expect_redacted("got Bearer abcdef.ghi from you", NULL, "got Bearer *** from you");
    expect_redacted("Incorrect API key provided: sk-proj-AbCdEf123456. Find it", NULL,
                    "Incorrect API key provided: sk-***. Find it");
    expect_redacted("https://h/v1?api-version=1&key=XYZ123&x=1", NULL,
                    "https://h/v1?api-version=1&key=***&x=1");
    expect_redacted("{\"api_key\": \"abc123\", \"password\":\"p\"}", NULL,
                    "{\"api_key\": \"***\", \"password\":\"***\"}");
    /* the configured key in any form, even one that looks like nothing */
    expect_redacted("echo: my-own-key-1234 end", "my-own-key-1234", "echo: *** end");
    /* short words are not masked by accident */
    expect_redacted("unexpected token at 12; sk-1 is short", NULL,
                    "unexpected token at 12; sk-1 is short");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_set_may_read_its_own_message),
        cmocka_unit_test(error_prefix_keeps_the_message),
        cmocka_unit_test(redact_url_credentials),
        cmocka_unit_test(redact_headers_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
