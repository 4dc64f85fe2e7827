/* cx_error formatting that reads its own message, and (below) the redaction
 * every message carrying a URL, header or server text goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ccodex/error.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_set_may_read_its_own_message),
        cmocka_unit_test(error_prefix_keeps_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
