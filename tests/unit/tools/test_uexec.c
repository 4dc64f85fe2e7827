/* Unified exec: exec_command / write_stdin sessions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "tools/uexec.h"

typedef struct fixture {
    char dir[64];
    cx_uexec *ux;
    cx_tool_registry *reg;
    atomic_bool cancel;
    cx_tool_env env;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cx-uexec-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    f->ux = cx__uexec_new();
    f->reg = cx_tools_new();
    cx__uexec_register(f->ux, f->reg);
    atomic_init(&f->cancel, false);
    f->env.cwd = f->dir;
    f->env.shell = "/bin/bash";
    f->env.cancel = &f->cancel;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cx_tools_free(f->reg);
    cx__uexec_free(f->ux);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* Calls a tool; returns its text (caller frees). */
static char *call(fixture *f, const char *tool, const char *args)
{
    const cx_tool_def *d = cx_tools_find(f->reg, tool);
    assert_non_null(d);
    cx_tool_call c = {tool, "c1", CX_TOOL_FUNCTION, args};
    cx_tool_output out = {0};
    assert_int_equal(d->handler(d->state, &c, &f->env, &out), 0);
    assert_non_null(out.text);
    return out.text;
}

static int session_of(const char *text)
{
    const char *p = strstr(text, "Process running with session ID ");
    if (!p) return -1;
    return atoi(p + strlen("Process running with session ID "));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void quick_command_reports_exit(void **state)
{
    fixture *f = *state;
    char *t = call(f, "exec_command", "{\"cmd\":\"echo HELLO\",\"login\":false}");
    assert_true(strncmp(t, "Command: /bin/bash -c 'echo HELLO'\nChunk ID: ", 44) == 0);
    assert_non_null(
        strstr(t, "\nProcess exited with code 0\nOriginal token count: 2\nOutput:\nHELLO\n"));
    assert_int_equal(cx__uexec_count(f->ux), 0);
    free(t);
    t = call(f, "exec_command", "{\"cmd\":\"exit 7\",\"login\":false}");
    assert_non_null(strstr(t, "Process exited with code 7\n"));
    free(t);
}

static void interactive_program_through_write_stdin(void **state)
{
    fixture *f = *state;
    /* a tiny REPL: doubles each number it reads, quits on "q" */
    char *t =
        call(f, "exec_command",
             "{\"cmd\":\"while read x; do [ \\\"$x\\\" = q ] && exit 0; echo $((x*2)); done\","
             "\"login\":false,\"yield_time_ms\":300}");
    int sid = session_of(t);
    assert_true(sid > 0);
    free(t);
    char args[128];
    snprintf(args, sizeof args, "{\"session_id\":%d,\"chars\":\"21\\n\",\"yield_time_ms\":500}",
             sid);
    t = call(f, "write_stdin", args);
    assert_non_null(strstr(t, "Output:\n42\n"));
    assert_int_equal(session_of(t), sid);
    free(t);
    snprintf(args, sizeof args, "{\"session_id\":%d,\"chars\":\"q\\n\",\"yield_time_ms\":2000}",
             sid);
    t = call(f, "write_stdin", args);
    assert_non_null(strstr(t, "Process exited with code 0\n"));
    free(t);
    assert_int_equal(cx__uexec_count(f->ux), 0);
}

static void tty_session_without_echo(void **state)
{
    fixture *f = *state;
    char *t =
        call(f, "exec_command",
             "{\"cmd\":\"[ -t 0 ] && echo TTY; read x; echo got:$x\",\"tty\":true,\"login\":false,"
             "\"yield_time_ms\":500}");
    int sid = session_of(t);
    assert_true(sid > 0);
    assert_non_null(strstr(t, "TTY"));
    free(t);
    char args[128];
    snprintf(args, sizeof args, "{\"session_id\":%d,\"chars\":\"abc\\n\",\"yield_time_ms\":2000}",
             sid);
    t = call(f, "write_stdin", args);
    /* the typed text is not echoed back, and line ends stay plain \n */
    assert_non_null(strstr(t, "Output:\ngot:abc\n"));
    assert_null(strstr(t, "\r"));
    free(t);
}

static void long_running_command_polled(void **state)
{
    fixture *f = *state;
    char *t = call(f, "exec_command",
                   "{\"cmd\":\"echo one; sleep 1; echo two; sleep 1; echo three\",\"login\":false,"
                   "\"yield_time_ms\":300}");
    int sid = session_of(t);
    assert_true(sid > 0);
    assert_non_null(strstr(t, "Output:\none\n"));
    free(t);
    char args[96];
    snprintf(args, sizeof args, "{\"session_id\":%d,\"chars\":\"\",\"yield_time_ms\":10000}", sid);
    double t0 = now_s();
    t = call(f, "write_stdin", args);
    /* an empty poll returns as soon as the process is done */
    assert_true(now_s() - t0 < 5.0);
    assert_non_null(strstr(t, "Process exited with code 0\n"));
    assert_non_null(strstr(t, "two\nthree\n"));
    free(t);
}

static void output_over_one_mib_keeps_head_and_tail(void **state)
{
    fixture *f = *state;
    /* 2.7 MB in lines "N\n", produced after the first answer, while nobody reads */
    char *t = call(
        f, "exec_command",
        "{\"cmd\":\"sleep 0.6; seq 1 400000; sleep 0.5\",\"login\":false,\"yield_time_ms\":250}");
    int sid = session_of(t);
    assert_true(sid > 0);
    free(t);
    usleep(1500000);
    char args[128];
    snprintf(args, sizeof args, "{\"session_id\":%d,\"chars\":\"\",\"max_output_tokens\":1000000}",
             sid);
    t = call(f, "write_stdin", args);
    assert_non_null(strstr(t, "Process exited with code 0\n"));
    const char *out = strstr(t, "Output:\n");
    assert_non_null(out);
    size_t kept = strlen(out + 8);
    /* what was not read while the buffer was full is dropped in the middle */
    assert_true(kept <= 1024 * 1024 + 64);
    assert_true(kept > 900 * 1024);
    assert_non_null(strstr(t, "400000\n"));
    free(t);
}

static void max_output_tokens_cuts_the_middle(void **state)
{
    fixture *f = *state;
    char *t = call(f, "exec_command",
                   "{\"cmd\":\"seq 1 5000\",\"login\":false,\"max_output_tokens\":100}");
    assert_non_null(strstr(t, "Original token count: 5974\n"));
    assert_non_null(strstr(t, "Output:\n1\n2\n"));
    assert_non_null(strstr(t, "tokens truncated…"));
    assert_non_null(strstr(t, "5000\n"));
    assert_true(strlen(strstr(t, "Output:\n")) < 600);
    free(t);
}

static void session_outlives_its_turn(void **state)
{
    fixture *f = *state;
    char *t = call(f, "exec_command",
                   "{\"cmd\":\"read x; echo later:$x\",\"login\":false,\"yield_time_ms\":250}");
    int sid = session_of(t);
    assert_true(sid > 0);
    free(t);
    /* the turn ends (interrupted, even); the session stays for the next one */
    atomic_store(&f->cancel, true);
    atomic_store(&f->cancel, false);
    assert_int_equal(cx__uexec_count(f->ux), 1);
    char args[96];
    snprintf(args, sizeof args, "{\"session_id\":%d,\"chars\":\"x\\n\",\"yield_time_ms\":2000}",
             sid);
    t = call(f, "write_stdin", args);
    assert_non_null(strstr(t, "later:x\n"));
    free(t);
}

static void unknown_session(void **state)
{
    fixture *f = *state;
    const cx_tool_def *d = cx_tools_find(f->reg, "write_stdin");
    cx_tool_call c = {"write_stdin", "c2", CX_TOOL_FUNCTION, "{\"session_id\":999,\"chars\":\"\"}"};
    cx_tool_output out = {0};
    assert_int_equal(d->handler(d->state, &c, &f->env, &out), 0);
    assert_string_equal(out.text, "write_stdin failed: UnknownProcessId { process_id: \"999\" }");
    assert_false(out.success);
    cx_tool_output_clear(&out);
}

static void no_orphans_after_free(void **state)
{
    fixture *f = *state;
    char *t = call(f, "exec_command",
                   "{\"cmd\":\"echo PID=$$; sleep 1000\",\"login\":false,\"yield_time_ms\":300}");
    int sid = session_of(t);
    assert_true(sid > 0);
    /* a loaded machine may start the shell after the first yield: poll for its line */
    for (int i = 0; i < 20 && !strstr(t, "\nPID="); i++) {
        free(t);
        char args[128];
        snprintf(args, sizeof args, "{\"session_id\":%d,\"chars\":\"\",\"yield_time_ms\":500}",
                 sid);
        t = call(f, "write_stdin", args);
    }
    const char *p = strstr(t, "\nPID="); /* the shell's line, not the command's text */
    assert_non_null(p);
    pid_t pid = (pid_t)atoi(p + 5);
    assert_true(pid > 1);
    free(t);
    assert_int_equal(kill(pid, 0), 0);
    cx_tools_free(f->reg);
    cx__uexec_free(f->ux);
    f->ux = cx__uexec_new();
    f->reg = cx_tools_new();
    cx__uexec_register(f->ux, f->reg);
    /* the shell and its sleep are gone (reaped, so not even a zombie) */
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
}

static void many_sessions_are_pruned(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 70; i++) {
        char *t = call(f, "exec_command",
                       "{\"cmd\":\"sleep 1000\",\"login\":false,\"yield_time_ms\":250}");
        free(t);
    }
    /* the cap holds: the oldest sessions were killed to make room */
    assert_true(cx__uexec_count(f->ux) <= 64);
}

static void heredoc_becomes_apply_patch(void **state)
{
    fixture *f = *state;
    char *t = call(f, "exec_command",
                   "{\"cmd\":\"apply_patch <<'EOF'\\n*** Begin Patch\\n*** Add File: "
                   "n.txt\\n+x\\n*** End Patch\\nEOF\"}");
    /* upstream's shape for an intercepted patch: wall time, then JSON around the summary */
    assert_true(strncmp(t, "Wall time: ", 11) == 0);
    assert_non_null(strstr(
        t, " seconds\nOutput:\n{\"output\":\"Success. Updated the following files:\\nA n.txt\\n\","
           "\"metadata\":{\"exit_code\":0,\"duration_seconds\":"));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(quick_command_reports_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(interactive_program_through_write_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(tty_session_without_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(long_running_command_polled, setup, teardown),
        cmocka_unit_test_setup_teardown(output_over_one_mib_keeps_head_and_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(max_output_tokens_cuts_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(session_outlives_its_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_session, setup, teardown),
        cmocka_unit_test_setup_teardown(no_orphans_after_free, setup, teardown),
        cmocka_unit_test_setup_teardown(many_sessions_are_pruned, setup, teardown),
        cmocka_unit_test_setup_teardown(heredoc_becomes_apply_patch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
