/* grep_files (through the registry, with exact expected texts) and the program runner
 * it spawns rg with (cx__ft_run: capture, timeout, cancel, process-group kill). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "support_file_tools.h"

/* ---- grep_files ----------------------------------------------------------------------------- */

static void set_mtime(world *w, const char *rel, time_t when)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", w->dir, rel);
    struct timespec ts[2] = {{when, 0}, {when, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void grep_finds_files_newest_first(void **state)
{
    world *w = *state;
    ft_put(w, "src/one.c", "int alpha = 1;\n");
    ft_put(w, "src/two.h", "#define ALPHA alpha\n");
    ft_put(w, "src/three.c", "nothing here\n");
    ft_put(w, "src/sub/four.c", "alpha again\n");
    set_mtime(w, "src/one.c", 1000000000);
    set_mtime(w, "src/two.h", 1100000000);
    set_mtime(w, "src/sub/four.c", 1200000000);
    char want[1024];
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h\n%s/src/one.c", w->dir, w->dir,
             w->dir);
    ft_expect(w, "grep_files", true, want, "{\"pattern\":\"alpha\",\"path\":\"src\"}");
    /* the pattern is trimmed; an absolute path; limit keeps the newest */
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h", w->dir, w->dir);
    ft_expect(w, "grep_files", true, want,
              "{\"pattern\":\"  alph[a]\\n\",\"path\":\"%s/src\",\"limit\":2}", w->dir);
    /* include glob (trimmed) */
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/one.c", w->dir, w->dir);
    ft_expect(w, "grep_files", true, want,
              "{\"pattern\":\"alpha\",\"path\":\"src\",\"include\":\" *.c \"}");
    /* an include of white space only means no filter; limits past 2000 are capped, not refused */
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h\n%s/src/one.c", w->dir, w->dir,
             w->dir);
    ft_expect(w, "grep_files", true, want,
              "{\"pattern\":\"alpha\",\"path\":\"src\",\"include\":\"  \",\"limit\":99999}");
    /* no path: the working directory */
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h\n%s/src/one.c", w->dir, w->dir,
             w->dir);
    ft_expect(w, "grep_files", true, want, "{\"pattern\":\"alpha\"}");
    /* a path that is not UTF-8 is left out, as upstream drops it */
    ft_put(w, "src/bad\xff.c", "alpha\n");
    set_mtime(w, "src/bad\xff.c", 1300000000);
    snprintf(want, sizeof want, "%s/src/sub/four.c\n%s/src/two.h\n%s/src/one.c", w->dir, w->dir,
             w->dir);
    ft_expect(w, "grep_files", true, want, "{\"pattern\":\"alpha\",\"path\":\"src\"}");
    /* a file as the path */
    snprintf(want, sizeof want, "%s/src/two.h", w->dir);
    ft_expect(w, "grep_files", true, want, "{\"pattern\":\"ALPHA\",\"path\":\"src/two.h\"}");
}

static void grep_failures(void **state)
{
    world *w = *state;
    ft_put(w, "src/one.c", "int alpha = 1;\n");
    ft_expect(w, "grep_files", false, "No matches found.",
              "{\"pattern\":\"zebra\",\"path\":\"src\"}");
    ft_expect(w, "grep_files", false, "No matches found.",
              "{\"pattern\":\"alpha\",\"path\":\"src\",\"include\":\"*.h\"}");
    ft_expect(w, "grep_files", false, "pattern must not be empty",
              "{\"pattern\":\" \\t\\u00a0\\u3000\"}");
    ft_expect(w, "grep_files", false, "limit must be greater than zero",
              "{\"pattern\":\"a\",\"limit\":0}");
    char want[1024];
    snprintf(want, sizeof want,
             "unable to access `%s/missing`: No such file or directory (os error 2)", w->dir);
    ft_expect(w, "grep_files", false, want, "{\"pattern\":\"a\",\"path\":\"missing\"}");
    ft_expect(w, "grep_files", false,
              "unable to access `/nonexistent-dir`: No such file or directory (os error 2)",
              "{\"pattern\":\"a\",\"path\":\"/nonexistent-dir\"}");
    ft_expect(w, "grep_files", false,
              "failed to parse function arguments: Error(\"missing field `pattern`\", line: 1, "
              "column: 2)",
              "{}");
    /* a bad regex: rg's own message */
    bool ok;
    const char *t = ft_call(w, "grep_files", &ok, "{\"pattern\":\"(unclosed\",\"path\":\"src\"}");
    assert_false(ok);
    assert_true(ft_starts_with(t, "rg failed: "));
    assert_non_null(strstr(t, "unclosed group"));
}

static void grep_without_rg_says_so(void **state)
{
    world *w = *state;
    ft_put_dir(w, "emptybin");
    char bin[256];
    snprintf(bin, sizeof bin, "%s/emptybin", w->dir);
    char *saved = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", bin, 1);
    bool ok;
    const char *t = ft_call(w, "grep_files", &ok, "{\"pattern\":\"alpha\"}");
    setenv("PATH", saved, 1);
    free(saved);
    assert_false(ok);
    assert_string_equal(
        t,
        "failed to launch rg: No such file or directory (os error 2). Ensure ripgrep is installed "
        "and on PATH.");
}

static void grep_honours_cancel(void **state)
{
    world *w = *state;
    ft_put(w, "a.txt", "alpha\n");
    atomic_store(&w->cancel, true);
    assert_int_equal(ft_call_raw(w, "grep_files", "{\"pattern\":\"alpha\"}"), CX_ECANCELED);
    atomic_store(&w->cancel, false);
}

/* ---- running a program ---------------------------------------------------------------------- */

static void run_captures_and_reports(void **state)
{
    world *w = *state;
    cx_buf out = CX_BUF_INIT, err = CX_BUF_INIT;
    int spawn_err = 0;
    char *argv[] = {"sh", "-c", "pwd; echo oops >&2; read x; echo \"[$x]\"; exit 3", NULL};
    assert_int_equal(cx__ft_run(NULL, argv, w->dir, 10000, NULL, &out, &err, &spawn_err), 3);
    char want[256];
    snprintf(want, sizeof want, "%s\n[]\n", w->dir); /* runs in cwd, stdin is empty */
    assert_string_equal(cx__buf_str(&out), want);
    assert_string_equal(cx__buf_str(&err), "oops\n");
    cx__buf_reset(&out);
    char *killed[] = {"sh", "-c", "kill -9 $$", NULL};
    assert_int_equal(cx__ft_run(NULL, killed, NULL, 10000, NULL, &out, &err, &spawn_err),
                     CX__FT_SIGNALED);
    char *missing[] = {"cx-no-such-program-here", NULL};
    assert_int_equal(cx__ft_run(NULL, missing, NULL, 10000, NULL, &out, &err, &spawn_err),
                     CX__FT_SPAWN);
    assert_int_equal(spawn_err, ENOENT);
    cx__buf_free(&out);
    cx__buf_free(&err);
}

/* True once pid no longer runs (gone, or a zombie nobody reaped yet). */
static bool gone_within(int pid, int ms)
{
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    for (int waited = 0; waited <= ms; waited += 20) {
        FILE *f = fopen(path, "r");
        if (!f) return true;
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = '\0';
        const char *close = strrchr(stat, ')');
        if (close && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X')) return true;
        usleep(20000);
    }
    return false;
}

static void run_kills_on_timeout_and_cancel(void **state)
{
    world *w = *state;
    cx_buf out = CX_BUF_INIT, err = CX_BUF_INIT;
    int spawn_err = 0;
    /* a child of the child holds the pipe too: the whole group must die */
    char pidfile[256], script[512];
    snprintf(pidfile, sizeof pidfile, "%s/bg.pid", w->dir);
    snprintf(script, sizeof script, "sleep 30 & echo $! > '%s'; sleep 30", pidfile);
    char *argv[] = {"sh", "-c", script, NULL};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cx__ft_run(NULL, argv, NULL, 300, NULL, &out, &err, &spawn_err),
                     CX__FT_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    /* the background sleep died with its parent */
    FILE *pf = fopen(pidfile, "r");
    assert_non_null(pf);
    int bg = 0;
    assert_int_equal(fscanf(pf, "%d", &bg), 1);
    fclose(pf);
    assert_true(gone_within(bg, 3000));
    atomic_store(&w->cancel, true);
    assert_int_equal(cx__ft_run(NULL, argv, NULL, 10000, &w->cancel, &out, &err, &spawn_err),
                     CX__FT_CANCELED);
    atomic_store(&w->cancel, false);
    /* both were reaped: no child is left */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    cx__buf_free(&out);
    cx__buf_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(grep_finds_files_newest_first, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(grep_failures, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(grep_without_rg_says_so, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(grep_honours_cancel, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(run_captures_and_reports, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(run_kills_on_timeout_and_cancel, ft_setup, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
