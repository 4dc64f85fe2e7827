/* Overhead of the command sandbox: spawning and reaping `/bin/true` through
 * base/proc unsandboxed, then read-only (mount namespace with the read-only
 * tree, Landlock, seccomp), then workspace-write whose workspace holds .git
 * (plus the writable copy of the workspace and the read-only .git bind), then
 * legacy Landlock read-only (no namespace). Each sandboxed run includes
 * building the policy and preparing it, as a tool call does. Prints medians.
 * usage: bench_sandbox [RUNS] (default 300); build with
 *   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCCODEX_TESTS=OFF
 *   cmake --build build-bench --target bench_sandbox */
#include "base/proc.h"
#include "sandbox/sandbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU seconds used so far by this process and its reaped children, in us:
 * unlike wall time, not inflated by other load on the machine. */
static double cpu_us(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double s = 0;
    const struct rusage *r[] = {&self, &kids};
    for (int i = 0; i < 2; i++)
        s += (double)(r[i]->ru_utime.tv_sec + r[i]->ru_stime.tv_sec) * 1e6 +
             (double)(r[i]->ru_utime.tv_usec + r[i]->ru_stime.tv_usec);
    return s;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The policy and prepared sandbox of a tool call in mode. */
static cx_sandbox *prepare(int mode, bool legacy, const char *ws)
{
    cx_sandbox_policy *p;
    cx_sandbox *sb = NULL;
    const char *roots[] = {ws};
    cx_error err;
    if (cx__sandbox_policy_new((cx_sandbox_mode)mode, false, roots, 1, &p, &err)) exit(1);
    p->legacy_landlock = legacy;
    if (cx__sandbox_prepare(p, &sb, &err)) {
        fprintf(stderr, "sandbox: %s\n", err.msg);
        exit(1);
    }
    cx__sandbox_policy_free(p);
    return sb;
}

/* One spawn of /bin/true; mode < 0 means no sandbox. Returns microseconds. */
static double one(int mode, bool legacy, const char *ws)
{
    char *argv[] = {"/bin/true", NULL};
    double t0 = now_us();
    cx_sandbox *sb = mode >= 0 ? prepare(mode, legacy, ws) : NULL;
    cx_proc_opts o = {
        .argv = argv, .child_setup = sb ? cx__sandbox_child_apply : NULL, .child_user = sb};
    cx_proc *proc;
    cx_error err;
    if (cx__proc_spawn(&o, &proc, NULL, &err)) {
        fprintf(stderr, "spawn: %s\n", err.msg);
        exit(1);
    }
    cx__sandbox_free(sb);
    int status;
    cx__proc_wait(proc, true, &status);
    cx__proc_free(proc);
    if (status != 0) {
        fprintf(stderr, "true failed\n");
        exit(1);
    }
    return now_us() - t0;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 300;
    char ws[] = "/tmp/cx-bench-sb-XXXXXX";
    if (!mkdtemp(ws)) return 1;
    char git[64];
    snprintf(git, sizeof git, "%s/.git", ws);
    mkdir(git, 0755);
    const struct {
        const char *name;
        int mode;
        bool legacy;
    } cases[] = {{"unsandboxed", -1, false},
                 {"read-only", CX_SANDBOX_READ_ONLY, false},
                 {"workspace-write (+ .git bind)", CX_SANDBOX_WORKSPACE_WRITE, false},
                 {"legacy Landlock read-only", CX_SANDBOX_READ_ONLY, true}};
    enum { N_CASES = sizeof cases / sizeof cases[0] };
    /* the cases take turns, run by run, so a change in the machine's load
     * falls on all of them alike */
    double *t[N_CASES], cpu[N_CASES] = {0};
    for (size_t c = 0; c < N_CASES; c++) {
        t[c] = calloc((size_t)runs, sizeof *t[c]);
        if (!t[c]) return 1;
        for (int i = 0; i < 20; i++) /* warm up */
            one(cases[c].mode, cases[c].legacy, ws);
    }
    for (int i = 0; i < runs; i++)
        for (size_t c = 0; c < N_CASES; c++) {
            double c0 = cpu_us();
            t[c][i] = one(cases[c].mode, cases[c].legacy, ws);
            cpu[c] += cpu_us() - c0;
        }
    printf("| spawn + reap of /bin/true | wall median | wall p90 | wall over unsandboxed | CPU "
           "per run | CPU over unsandboxed |\n|---|---|---|---|---|---|\n");
    double base = 0;
    for (size_t c = 0; c < N_CASES; c++) {
        qsort(t[c], (size_t)runs, sizeof *t[c], cmp);
        double med = t[c][runs / 2], p90 = t[c][runs * 9 / 10];
        if (c == 0) base = med;
        printf("| %s | %.0f us | %.0f us | %+.0f us | %.0f us | %+.0f us |\n", cases[c].name, med,
               p90, med - base, cpu[c] / runs, (cpu[c] - cpu[0]) / runs);
        free(t[c]);
    }
    /* the parent's share: policy + Landlock ruleset + seccomp program */
    double c0 = cpu_us();
    for (int i = 0; i < runs; i++)
        cx__sandbox_free(prepare(CX_SANDBOX_READ_ONLY, false, ws));
    printf("\npreparing a read-only sandbox alone: %.0f us of CPU\n", (cpu_us() - c0) / runs);
    rmdir(git);
    rmdir(ws);
    return 0;
}
