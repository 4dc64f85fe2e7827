/* Tool overhead benchmark (issue 3): per-call cost of shell_command and
 * exec_command on `true` beside a bare fork+exec+wait of /bin/true, and
 * apply_patch on a 10,000-line file with 100 hunks. Prints medians in ms.
 * usage: bench_tools [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "tools/patch.h"
#include "tools/shell.h"
#include "tools/uexec.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

static double bare_true(void)
{
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
    return now_ms() - t0;
}

static double tool_call(cx_tool_registry *reg, const char *tool, const char *args, const cx_tool_env *env)
{
    const cx_tool_def *d = cx_tools_find(reg, tool);
    cx_tool_call c = {tool, "b", d->kind, args};
    cx_tool_output out = {0};
    double t0 = now_ms();
    d->handler(d->state, &c, env, &out);
    double t = now_ms() - t0;
    if (!out.text || (strstr(out.text, "Exit code: 0") == NULL && strstr(out.text, "exited with code 0") == NULL &&
                      strstr(out.text, "Success.") == NULL)) {
        fprintf(stderr, "%s failed: %s\n", tool, out.text ? out.text : "(no output)");
        exit(1);
    }
    cx_tool_output_clear(&out);
    return t;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 200;
    char dir[] = "/tmp/cx-bench-tools-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    cx_tool_registry *reg = cx_tools_new();
    cx_uexec *ux = cx_uexec_new();
    cx_uexec_register(ux, reg);
    cx_shell_command_tool_register(reg, true);
    cx_patch_register(reg);
    cx_tool_env env = {.cwd = dir, .shell = "/bin/bash"};
    double *v = malloc((size_t)runs * sizeof *v);

    for (int i = 0; i < runs; i++) v[i] = bare_true();
    double bare = median(v, runs);
    /* `true` straight from the shell: -c without login, as a model would with login:false */
    for (int i = 0; i < runs; i++) v[i] = tool_call(reg, "shell_command", "{\"command\":\"true\",\"login\":false}", &env);
    double sc = median(v, runs);
    for (int i = 0; i < runs; i++) {
        pid_t pid = fork();
        double t0 = now_ms();
        if (pid == 0) {
            execl("/bin/bash", "bash", "-c", "true", (char *)NULL);
            _exit(127);
        }
        waitpid(pid, NULL, 0);
        v[i] = now_ms() - t0;
    }
    double bash_floor = median(v, runs);
    for (int i = 0; i < runs; i++) v[i] = tool_call(reg, "exec_command", "{\"cmd\":\"true\",\"login\":false}", &env);
    double ec = median(v, runs);

    /* apply_patch: 10,000 lines, 100 hunks spread through the file */
    cx_buf file = CX_BUF_INIT, patch = CX_BUF_INIT;
    for (int i = 0; i < 10000; i++) cx_buf_printf(&file, "line %d of the file, with some text\n", i);
    int pruns = runs < 50 ? runs : 50;
    for (int r = 0; r < pruns; r++) {
        char path[256];
        snprintf(path, sizeof path, "%s/big.txt", dir);
        FILE *f = fopen(path, "w");
        fwrite(file.data, 1, file.len, f);
        fclose(f);
        cx_buf_reset(&patch);
        cx_buf_puts(&patch, "*** Begin Patch\n*** Update File: big.txt\n");
        for (int h = 0; h < 100; h++) {
            int at = h * 100 + 50;
            cx_buf_printf(&patch, "@@\n line %d of the file, with some text\n-line %d of the file, with some text\n"
                                  "+line %d was changed\n line %d of the file, with some text\n",
                          at - 1, at, at, at + 1);
        }
        cx_buf_puts(&patch, "*** End Patch");
        v[r] = tool_call(reg, "apply_patch", cx_buf_str(&patch), &env);
    }
    double ap = median(v, pruns);
    printf("| measure | median | target |\n|---|---|---|\n");
    printf("| bare fork+exec+wait of /bin/true | %.3f ms | - |\n", bare);
    printf("| fork+exec+wait of bash -c true | %.3f ms | - |\n", bash_floor);
    printf("| shell_command `true` (login:false) | %.3f ms | <= bare + 2 ms (%.3f ms over bash -c) |\n", sc,
           sc - bash_floor);
    printf("| exec_command `true` (login:false) | %.3f ms | <= bare + 2 ms (%.3f ms over bash -c) |\n", ec,
           ec - bash_floor);
    printf("| apply_patch, 10,000 lines, 100 hunks | %.3f ms | <= 20 ms |\n", ap);
    cx_buf_free(&file);
    cx_buf_free(&patch);
    free(v);
    cx_tools_free(reg);
    cx_uexec_free(ux);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
