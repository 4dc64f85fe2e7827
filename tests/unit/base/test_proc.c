/* base/proc: the one process spawner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/proc.h"

typedef struct sink {
    cx_buf out, err;
} sink;

static int collect(void *user, int stream, const char *data, size_t n)
{
    sink *s = user;
    cx__buf_append(stream == 2 ? &s->err : &s->out, data, n);
    return 0;
}

/* Runs `sh -c script` and returns its result; output lands in s. */
static int run_sh(const char *script, cx_proc_io io, long timeout_ms, long drain_ms, sink *s,
                  cx_proc_result *res, cx_error *err)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    cx_proc_opts o = {.argv = argv, .io = io};
    cx_proc_run_opts r = {
        .timeout_ms = timeout_ms, .drain_ms = drain_ms, .on_output = collect, .user = s};
    int rc = cx__proc_run(&o, &r, res, NULL, err);
    cx__buf_puts(&s->out, "");
    cx__buf_puts(&s->err, "");
    return rc;
}

static void sink_free(sink *s)
{
    cx__buf_free(&s->out);
    cx__buf_free(&s->err);
}

static void test_merged_output_and_exit_code(void **st)
{
    (void)st;
    sink s = {CX_BUF_INIT, CX_BUF_INIT};
    cx_proc_result res;
    cx_error err;
    assert_int_equal(
        run_sh("echo out; echo err >&2; exit 3", CX_PROC_IO_MERGED, 5000, 1000, &s, &res, &err), 0);
    assert_int_equal(res.exit_code, 3);
    assert_false(res.timed_out);
    assert_string_equal(s.out.data, "out\nerr\n");
    sink_free(&s);
}

static void test_split_streams(void **st)
{
    (void)st;
    sink s = {CX_BUF_INIT, CX_BUF_INIT};
    cx_proc_result res;
    cx_error err;
    assert_int_equal(run_sh("echo out; echo err >&2", CX_PROC_IO_SPLIT, 5000, -1, &s, &res, &err),
                     0);
    assert_int_equal(res.exit_code, 0);
    assert_string_equal(s.out.data, "out\n");
    assert_string_equal(s.err.data, "err\n");
    sink_free(&s);
}

static void test_missing_program_is_a_spawn_error(void **st)
{
    (void)st;
    char *argv[] = {"cx-no-such-program-xyz", NULL};
    cx_proc_opts o = {.argv = argv};
    cx_proc *p = NULL;
    int e = 0;
    cx_error err;
    assert_int_equal(cx__proc_spawn(&o, &p, &e, &err), CX_ENOTFOUND);
    assert_null(p);
    assert_int_equal(e, ENOENT);
    assert_non_null(strstr(err.msg, "cx-no-such-program-xyz: No such file or directory"));

    /* a shell's behaviour instead: message on stderr, status 127 */
    o.late_errors = true;
    sink s = {CX_BUF_INIT, CX_BUF_INIT};
    cx_proc_result res;
    cx_proc_run_opts r = {.timeout_ms = 5000, .drain_ms = -1, .on_output = collect, .user = &s};
    assert_int_equal(cx__proc_run(&o, &r, &res, NULL, &err), 0);
    cx__buf_puts(&s.out, "");
    assert_int_equal(res.exit_code, 127);
    assert_non_null(strstr(s.out.data, "cx-no-such-program-xyz: No such file or directory"));
    sink_free(&s);
}

static void test_bad_cwd(void **st)
{
    (void)st;
    char *argv[] = {"/bin/true", NULL};
    cx_proc_opts o = {.argv = argv, .cwd = "/nonexistent/cx-dir"};
    cx_proc *p = NULL;
    cx_error err;
    assert_int_equal(cx__proc_spawn(&o, &p, NULL, &err), CX_ENOTFOUND);
    assert_non_null(strstr(err.msg, "working directory /nonexistent/cx-dir"));
}

static void test_timeout_kills_the_whole_group(void **st)
{
    (void)st;
    char marker[] = "/tmp/cx-proc-marker-XXXXXX";
    int fd = mkstemp(marker);
    close(fd);
    unlink(marker);
    char script[256];
    /* a background grandchild would write the marker after 1 s if it survived */
    snprintf(script, sizeof script, "(sleep 1; echo late > %s) & sleep 30", marker);
    sink s = {CX_BUF_INIT, CX_BUF_INIT};
    cx_proc_result res;
    cx_error err;
    long long t0 = cx__proc_now_ms();
    assert_int_equal(run_sh(script, CX_PROC_IO_MERGED, 200, 2000, &s, &res, &err), 0);
    assert_true(res.timed_out);
    assert_int_equal(res.exit_code, 124);
    assert_true(cx__proc_now_ms() - t0 < 3000);
    usleep(1500 * 1000);
    assert_int_equal(access(marker, F_OK), -1);
    sink_free(&s);
}

static void test_drain_then_kill_stragglers(void **st)
{
    (void)st;
    sink s = {CX_BUF_INIT, CX_BUF_INIT};
    cx_proc_result res;
    cx_error err;
    long long t0 = cx__proc_now_ms();
    /* the shell exits at once; its background child keeps the pipe open */
    assert_int_equal(run_sh("echo first; (sleep 0.05; echo second; sleep 30) & exit 0",
                            CX_PROC_IO_MERGED, 10000, 300, &s, &res, &err),
                     0);
    assert_int_equal(res.exit_code, 0);
    assert_false(res.timed_out);
    assert_true(cx__proc_now_ms() - t0 < 3000);
    assert_string_equal(s.out.data, "first\nsecond\n");
    sink_free(&s);
}

static void test_no_drain_still_reads_buffered_output(void **st)
{
    (void)st;
    sink s = {CX_BUF_INIT, CX_BUF_INIT};
    cx_proc_result res;
    cx_error err;
    assert_int_equal(run_sh("seq 1 2000; exit 5", CX_PROC_IO_MERGED, 10000, 0, &s, &res, &err), 0);
    assert_int_equal(res.exit_code, 5);
    assert_int_equal(s.out.len, 8893); /* every line of seq 1 2000 */
    sink_free(&s);
}

static void test_cancel(void **st)
{
    (void)st;
    atomic_bool cancel;
    atomic_init(&cancel, true);
    char *argv[] = {"/bin/sleep", "30", NULL};
    cx_proc_opts o = {.argv = argv};
    cx_proc_run_opts r = {.timeout_ms = 60000, .cancel = &cancel};
    cx_proc_result res;
    long long t0 = cx__proc_now_ms();
    assert_int_equal(cx__proc_run(&o, &r, &res, NULL, NULL), 0);
    assert_true(res.cancelled);
    assert_true(cx__proc_now_ms() - t0 < 2000);
}

static void test_pty(void **st)
{
    (void)st;
    char *argv[] = {"/bin/sh", "-c", "test -t 0 && test -t 1 && echo tty; read x; echo got=$x",
                    NULL};
    cx_proc_opts o = {.argv = argv, .io = CX_PROC_IO_PTY, .pty_raw = true};
    cx_proc *p;
    cx_error err;
    assert_int_equal(cx__proc_spawn(&o, &p, NULL, &err), 0);
    assert_int_equal(cx__proc_stdin_fd(p), cx__proc_stdout_fd(p));
    assert_int_equal(write(cx__proc_stdin_fd(p), "hi\n", 3), 3);
    cx_buf b = CX_BUF_INIT;
    char chunk[256];
    ssize_t n;
    while ((n = read(cx__proc_stdout_fd(p), chunk, sizeof chunk)) > 0)
        cx__buf_append(&b, chunk, (size_t)n);
    cx__buf_puts(&b, "");
    int status = -1;
    assert_int_equal(cx__proc_wait(p, true, &status), 1);
    assert_int_equal(cx__proc_exit_code(status), 0);
    /* raw: no echo of "hi", no \r added */
    assert_string_equal(b.data, "tty\ngot=hi\n");
    cx__buf_free(&b);
    cx__proc_free(p);
}

static void test_stdin_pipe_and_env(void **st)
{
    (void)st;
    char *argv[] = {"/bin/sh", "-c", "read x; echo \"$x $CX_PROC_T\"", NULL};
    char *envp[] = {"CX_PROC_T=v1", "PATH=/usr/bin:/bin", NULL};
    cx_proc_opts o = {.argv = argv, .envp = envp, .stdin_pipe = true};
    cx_proc *p;
    assert_int_equal(cx__proc_spawn(&o, &p, NULL, NULL), 0);
    assert_int_equal(write(cx__proc_stdin_fd(p), "in\n", 3), 3);
    cx__proc_close_stdin(p);
    char buf[64] = "";
    ssize_t n = read(cx__proc_stdout_fd(p), buf, sizeof buf - 1);
    assert_true(n > 0);
    assert_string_equal(buf, "in v1\n");
    cx__proc_free(p);
}

static int refuse(void *user)
{
    (void)user;
    return EPERM;
}

static void test_setup_hook_failure_runs_nothing(void **st)
{
    (void)st;
    char marker[] = "/tmp/cx-proc-hook-XXXXXX";
    int fd = mkstemp(marker);
    close(fd);
    unlink(marker);
    char *argv[] = {"/usr/bin/touch", marker, NULL};
    cx_proc_opts o = {.argv = argv, .child_setup = refuse};
    cx_proc *p = NULL;
    int e = 0;
    cx_error err;
    assert_int_equal(cx__proc_spawn(&o, &p, &e, &err), CX_EIO);
    assert_int_equal(e, EPERM);
    assert_null(p);
    assert_int_equal(access(marker, F_OK), -1);
}

static void test_child_gets_default_signals(void **st)
{
    (void)st;
    /* a parent ignoring SIGTERM and SIGPIPE must not pass that on */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_term, old_pipe;
    sigaction(SIGTERM, &ign, &old_term);
    sigaction(SIGPIPE, &ign, &old_pipe);
    sink s = {CX_BUF_INIT, CX_BUF_INIT};
    cx_proc_result res;
    cx_error err;
    assert_int_equal(
        run_sh("kill -TERM $$; echo survived", CX_PROC_IO_MERGED, 5000, 500, &s, &res, &err), 0);
    assert_int_equal(res.exit_code, 128 + SIGTERM);
    assert_string_equal(s.out.data, "");
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    sink_free(&s);
}

static void test_own_process_group(void **st)
{
    (void)st;
    sink s = {CX_BUF_INIT, CX_BUF_INIT};
    cx_proc_result res;
    cx_error err;
    char script[128];
    snprintf(script, sizeof script, "test \"$(ps -o pgid= -p $$ | tr -d ' ')\" = $$ && echo own");
    assert_int_equal(run_sh(script, CX_PROC_IO_MERGED, 5000, 500, &s, &res, &err), 0);
    assert_string_equal(s.out.data, "own\n");
    sink_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merged_output_and_exit_code),
        cmocka_unit_test(test_split_streams),
        cmocka_unit_test(test_missing_program_is_a_spawn_error),
        cmocka_unit_test(test_bad_cwd),
        cmocka_unit_test(test_timeout_kills_the_whole_group),
        cmocka_unit_test(test_drain_then_kill_stragglers),
        cmocka_unit_test(test_no_drain_still_reads_buffered_output),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_pty),
        cmocka_unit_test(test_stdin_pipe_and_env),
        cmocka_unit_test(test_setup_hook_failure_runs_nothing),
        cmocka_unit_test(test_child_gets_default_signals),
        cmocka_unit_test(test_own_process_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
