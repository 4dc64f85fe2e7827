/* Tool overhead benchmark: what a tool call costs beyond the work it asks for.
 *
 *   exec_command `true`, called through the registered handler (uexec.h),
 *   beside the floors it cannot beat: a bare fork+exec+wait of /bin/true, and
 *   the same for `bash -c true` (the tool runs commands through the shell).
 *   Targets: exec_command <= bare fork+exec + 2 ms.
 *
 *   apply_patch through its handler on a generated 10,000-line file with 100
 *   hunks spread through it (target <= 20 ms), once with lines that match
 *   exactly and once where every line only matches after punctuation
 *   folding (the matcher's slowest pass), which bounds the worst case.
 *
 * Prints Markdown: median, 10th and 90th percentile of each measure.
 * usage: bench_tools [EXEC_RUNS [PATCH_RUNS]]   (defaults 500 and 60) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "tools/patch.h"
#include "tools/uexec.h"

#define FILE_LINES 10000
#define HUNKS 100

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct stats {
    double p10, median, p90;
} stats;

static stats summarise(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return (stats){v[n / 10], v[n / 2], v[n * 9 / 10]};
}

static void row(const char *what, stats s, const char *target)
{
    printf("| %s | %.3f ms | %.3f / %.3f ms | %s |\n", what, s.median, s.p10, s.p90, target);
}

/* fork + exec + wait, nothing else: the floor for running any command */
static double spawn_and_wait(const char *path, char *const argv[])
{
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        execv(path, argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    double t = now_ms() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s failed\n", path);
        exit(1);
    }
    return t;
}

/* One handler call; exits if the tool did not report success. */
static double call(const cx_tool_registry *reg, const char *tool, const char *input,
                   const cx_tool_env *env, const char *must_contain)
{
    const cx_tool_def *d = cx_tools_find(reg, tool);
    cx_tool_call c = {tool, "bench", d->kind, input};
    cx_tool_output out = {0};
    double t0 = now_ms();
    int rc = d->handler(d->state, &c, env, &out);
    double t = now_ms() - t0;
    if (rc != 0 || !out.text || !strstr(out.text, must_contain)) {
        fprintf(stderr, "%s did not succeed: %s\n", tool, out.text ? out.text : "(no output)");
        exit(1);
    }
    cx_tool_output_clear(&out);
    return t;
}

/* The 10,000-line file and a patch changing one line in each of 100 places,
 * with a line of context either side. With fancy, the file's lines carry
 * typographic quotes and dashes while the patch has ASCII ones, so every
 * hunk is found only by the last, punctuation-folding pass. */
static void make_case(bool fancy, cx_buf *file, cx_buf *patch)
{
    const char *open = fancy ? "\u201c" : "\"", *close = fancy ? "\u201d" : "\"",
               *dash = fancy ? "\u2013" : "-";
    for (int i = 0; i < FILE_LINES; i++)
        cx__buf_printf(file, "    value_%d = %sline %d %s of the file%s\n", i, open, i, dash,
                       close);
    cx__buf_puts(patch, "*** Begin Patch\n*** Update File: big.txt\n");
    for (int h = 0; h < HUNKS; h++) {
        int at = h * (FILE_LINES / HUNKS) + FILE_LINES / HUNKS / 2;
        cx__buf_printf(
            patch,
            "@@\n     value_%d = \"line %d - of the file\"\n-    value_%d = \"line %d - of the "
            "file\"\n"
            "+    value_%d = \"line %d was changed\"\n     value_%d = \"line %d - of the file\"\n",
            at - 1, at - 1, at, at, at, at, at + 1, at + 1);
    }
    cx__buf_puts(patch, "*** End Patch\n");
}

static stats bench_patch(const cx_tool_registry *reg, const cx_tool_env *env, bool fancy, int runs,
                         double *v)
{
    cx_buf file = CX_BUF_INIT, patch = CX_BUF_INIT;
    make_case(fancy, &file, &patch);
    char path[512];
    snprintf(path, sizeof path, "%s/big.txt", env->cwd);
    for (int r = 0; r < runs; r++) {
        FILE *f = fopen(path, "wb"); /* each run patches a fresh copy */
        if (!f || fwrite(file.data, 1, file.len, f) != file.len || fclose(f) != 0) exit(1);
        v[r] = call(reg, "apply_patch", cx__buf_str(&patch), env, "M big.txt");
    }
    cx__buf_free(&file);
    cx__buf_free(&patch);
    return summarise(v, runs);
}

static void machine_facts(void)
{
    struct utsname u;
    uname(&u);
    char model[256] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    for (char line[512]; f && fgets(line, sizeof line, f);) {
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    }
    if (f) fclose(f);
    printf("Machine: %s, %ld online CPUs, %s %s %s\n\n", model, sysconf(_SC_NPROCESSORS_ONLN),
           u.sysname, u.release, u.machine);
}

int main(int argc, char **argv)
{
    int exec_runs = argc > 1 ? atoi(argv[1]) : 500, patch_runs = argc > 2 ? atoi(argv[2]) : 60;
    if (exec_runs < 10 || patch_runs < 10) {
        fprintf(stderr, "usage: bench_tools [EXEC_RUNS>=10 [PATCH_RUNS>=10]]\n");
        return 2;
    }
    char dir[] = "/tmp/cx-bench-tools-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    cx_tool_registry *reg = cx_tools_new();
    cx_uexec *ux = cx__uexec_new();
    cx__uexec_register(ux, reg);
    cx__patch_register(reg);
    cx_tool_env env = {.cwd = dir, .shell = "/bin/bash"};
    int most = exec_runs > patch_runs ? exec_runs : patch_runs;
    double *v = malloc((size_t)most * sizeof *v);

    machine_facts();
    printf("| measure | median | p10 / p90 | target |\n|---|---|---|---|\n");
    char *true_argv[] = {"true", NULL}, *bash_argv[] = {"bash", "-c", "true", NULL};
    char *login_argv[] = {"bash", "-lc", "true", NULL};
    for (int i = 0; i < exec_runs; i++)
        v[i] = spawn_and_wait("/bin/true", true_argv);
    stats bare = summarise(v, exec_runs);
    row("fork+exec+wait of /bin/true", bare, "floor");
    for (int i = 0; i < exec_runs; i++)
        v[i] = spawn_and_wait("/bin/bash", bash_argv);
    stats bash = summarise(v, exec_runs);
    row("fork+exec+wait of bash -c true", bash, "floor of a shell command");
    /* login:false runs `bash -c true`; the default login shell adds whatever the profile costs */
    for (int i = 0; i < exec_runs; i++)
        v[i] = call(reg, "exec_command", "{\"cmd\":\"true\",\"login\":false}", &env,
                    "exited with code 0");
    stats ec = summarise(v, exec_runs);
    char target[160];
    snprintf(target, sizeof target,
             "<= bare + 2 ms: %s (+%.3f ms over bare, +%.3f ms over bash -c)",
             ec.median <= bare.median + 2.0 ? "met" : "MISSED", ec.median - bare.median,
             ec.median - bash.median);
    row("exec_command `true` (login: false)", ec, target);
    /* the default login shell reads the profile: its own floor, measured the same way */
    int login_runs = exec_runs / 10 > 10 ? exec_runs / 10 : 10;
    for (int i = 0; i < login_runs; i++)
        v[i] = spawn_and_wait("/bin/bash", login_argv);
    stats login = summarise(v, login_runs);
    row("fork+exec+wait of bash -lc true", login, "floor of a login-shell command");
    for (int i = 0; i < login_runs; i++)
        v[i] = call(reg, "exec_command", "{\"cmd\":\"true\"}", &env, "exited with code 0");
    stats ecl = summarise(v, login_runs);
    snprintf(target, sizeof target, "for reference (+%.3f ms over bash -lc)",
             ecl.median - login.median);
    row("exec_command `true` (login shell, the default)", ecl, target);

    stats ap = bench_patch(reg, &env, false, patch_runs, v);
    snprintf(target, sizeof target, "<= 20 ms: %s", ap.median <= 20.0 ? "met" : "MISSED");
    row("apply_patch, 10,000 lines, 100 hunks, exact", ap, target);
    stats fz = bench_patch(reg, &env, true, patch_runs, v);
    snprintf(target, sizeof target, "<= 20 ms: %s", fz.median <= 20.0 ? "met" : "MISSED");
    row("apply_patch, same, every hunk found by punctuation folding", fz, target);
    printf("\nRuns: %d per command measure (%d for the login-shell pair), %d per patch measure.\n",
           exec_runs, login_runs, patch_runs);

    free(v);
    cx_tools_free(reg);
    cx__uexec_free(ux);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
