/* Command lines and sandbox denials as upstream shows them (tools/output.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tools/output.h"

static void join_is(const char *const *argv, const char *want)
{
    char *got = cx__output_shlex_join(argv);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void quoting_picks_the_style_per_stretch(void **state)
{
    (void)state;
    join_is((const char *const[]){"ls", "-la", "a/b.c", NULL}, "ls -la a/b.c");
    join_is((const char *const[]){"", NULL}, "''");
    join_is((const char *const[]){"a b", "x=1", "%", "{}", NULL}, "'a b' 'x=1' '%' '{}'");
    /* a single quote moves the stretch into double quotes, '$' back into single ones */
    join_is((const char *const[]){"it's $x", NULL}, "\"it's \"'$x'");
    join_is((const char *const[]){"say \"hi\"", NULL}, "'say \"hi\"'");
    join_is((const char *const[]){"a'b\"c", NULL}, "\"a'b\\\"c\"");
    /* backslashes never go in single quotes; '!' never in double ones */
    join_is((const char *const[]){"a\\b", NULL}, "\"a\\\\b\"");
    join_is((const char *const[]){"hi!", NULL}, "'hi!'");
    join_is((const char *const[]){"it's!", NULL}, "\"it's\"'!'");
    /* a caret goes only right after an opening single quote: it starts a new stretch */
    join_is((const char *const[]){"^a", NULL}, "'^a'");
    join_is((const char *const[]){"a^b", NULL}, "a'^b'");
    /* bytes above 0x7f are quoted */
    join_is((const char *const[]){"caf\xc3\xa9", NULL}, "'caf\xc3\xa9'");
    join_is((const char *const[]){"/bin/bash", "-lc",
                                  "curl -w 'http=%{http_code}' http://h/p; echo \" rc=$?\"", NULL},
            "/bin/bash -lc \"curl -w 'http=%{http_code}' http://h/p; echo \\\" rc=\"'$?\"'");
}

static void sandbox_denial_is_upstreams_debug_dump(void **state)
{
    (void)state;
    cx_buf b = CX_BUF_INIT;
    const char out[] = "x: Read-only file system\n\"q\"\t\\\x01";
    cx__output_sandbox_denied(&b, "exec_command", "/bin/bash -lc 'touch x'", 1, out,
                              sizeof out - 1);
    assert_string_equal(
        cx__buf_str(&b),
        "exec_command failed for `/bin/bash -lc 'touch x'`: CreateProcess { message: "
        "\"Codex(Sandbox(Denied { output: ExecToolCallOutput { exit_code: 1, stdout: StreamOutput "
        "{ text: \\\"\\\", truncated_after_lines: None }, stderr: StreamOutput { text: \\\"x: "
        "Read-only file system\\\\n\\\\\\\"q\\\\\\\"\\\\t\\\\\\\\\\\\u{1}\\\", "
        "truncated_after_lines: None }, aggregated_output: StreamOutput { text: \\\"x: Read-only "
        "file system\\\\n\\\\\\\"q\\\\\\\"\\\\t\\\\\\\\\\\\u{1}\\\", truncated_after_lines: None "
        "}, duration: 0ns, timed_out: false }, network_policy_decision: None }))\" }");
    cx__buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoting_picks_the_style_per_stretch),
        cmocka_unit_test(sandbox_denial_is_upstreams_debug_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
