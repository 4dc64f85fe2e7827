/* In-process cost of `--last` (issue 10): times cx_session_find over a
 * CODEX_HOME, so the listing's own CPU shows without the process start-up
 * and the turn that bench/sessions.py also measures.
 *
 * usage: bench_sessions_find CODEX_HOME CWD PROVIDER [RUNS]
 * Prints the first (cold unless the cache exists) and the median of the
 * remaining runs, wall and CPU, in ms. Built on request:
 *   cmake --build build-rel --target bench_sessions_find */
#include "ccodex/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double ms(clockid_t clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s CODEX_HOME CWD PROVIDER [RUNS]\n", argv[0]);
        return 2;
    }
    int runs = argc > 4 ? atoi(argv[4]) : 10;
    if (runs < 2 || runs > 1000) runs = 10;
    cx_session_query q = {.codex_home = argv[1], .cwd = argv[2], .provider = argv[3]};
    double *wall = calloc((size_t)runs, sizeof *wall), *cpu = calloc((size_t)runs, sizeof *cpu);
    if (!wall || !cpu) {
        free(wall);
        free(cpu);
        return 1;
    }
    char *path = NULL;
    for (int i = 0; i < runs; i++) {
        double w0 = ms(CLOCK_MONOTONIC), c0 = ms(CLOCK_PROCESS_CPUTIME_ID);
        cx_error err;
        free(path);
        path = NULL;
        (void)cx_session_find(&q, &path, &err); /* path stays NULL when none matches */
        wall[i] = ms(CLOCK_MONOTONIC) - w0;
        cpu[i] = ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    printf("first: %.2f ms wall, %.2f ms CPU\n", wall[0], cpu[0]);
    qsort(wall + 1, (size_t)runs - 1, sizeof *wall, cmp);
    qsort(cpu + 1, (size_t)runs - 1, sizeof *cpu, cmp);
    printf("then (median of %d): %.2f ms wall, %.2f ms CPU\nfound: %s\n", runs - 1, wall[runs / 2],
           cpu[runs / 2], path ? path : "none");
    free(path);
    free(wall);
    free(cpu);
    return 0;
}
