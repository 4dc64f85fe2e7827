/* `ccodex sandbox linux [--full-auto] [-c KEY=VALUE]... [--] CMD [ARG]...`:
 * runs CMD under the sandbox policy the agent's commands get (read-only by
 * default, workspace-write without network with --full-auto) in the current
 * directory, with the terminal's stdin/stdout/stderr, and exits with CMD's
 * exit code (128 + signal when a signal ended it). */
#include "cli/cli.h"

#include "base/proc.h"
#include "sandbox/sandbox.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr,
            "error: %s%s\nUsage: ccodex sandbox linux [--full-auto] [-c KEY=VALUE]... -- "
            "COMMAND [ARG]...\n",
            msg, arg ? arg : "");
    return 2;
}

/* Runs argv under the policy; returns the exit code to leave with. */
static int run_sandboxed(const cx_config *cfg, char **argv)
{
    char *cwd = getcwd(NULL, 0);
    cx_error err;
    cx_error_clear(&err);
    cx_sandbox_policy *policy = NULL;
    cx_sandbox *sb = NULL;
    int rc = cx__sandbox_policy_from_config(cfg, cwd, NULL, 0, &policy, &err);
    if (!rc) rc = cx__sandbox_prepare(policy, &sb, &err);
    free(cwd);
    cx__sandbox_policy_free(policy);
    if (rc) {
        fprintf(stderr, "error: %s; %s\n", err.msg, CX_SANDBOX_ADVICE);
        return 1;
    }
    cx_proc_opts o = {.argv = argv,
                      .io = CX_PROC_IO_INHERIT,
                      .child_setup = sb ? cx__sandbox_child_apply : NULL,
                      .child_user = sb,
                      .setup_what = CX_SANDBOX_SETUP_WHAT};
    cx_proc *p = NULL;
    int e = 0;
    rc = cx__proc_spawn(&o, &p, &e, &err);
    cx__sandbox_free(sb);
    if (rc) {
        bool setup = !strncmp(err.msg, CX_SANDBOX_SETUP_WHAT, strlen(CX_SANDBOX_SETUP_WHAT));
        fprintf(stderr, "error: %s%s%s\n", err.msg, setup ? "; " : "",
                setup ? CX_SANDBOX_ADVICE : "");
        return rc == CX_ENOTFOUND ? 127 : 1;
    }
    /* the command has its own process group: pass the terminal's signals on */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &old);
    int status = 0;
    while (cx__proc_wait(p, false, &status) == 0) {
        struct timespec ts = {0, 20 * 1000000L};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &ts);
        if (sig > 0) cx__proc_kill(p, sig);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    cx__proc_free(p);
    return cx__proc_exit_code(status);
}

int cx_cli_sandbox(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "linux") != 0)
        return usage_error("expected `linux` after `sandbox`", NULL);
    cx_cli_opts o = {0};
    const char **overrides = calloc((size_t)argc, sizeof *overrides);
    if (!overrides) return 1;
    o.overrides = overrides;
    o.sandbox = "read-only";
    int i = 2;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--full-auto")) {
            o.sandbox = "workspace-write";
        } else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
            if (i + 1 >= argc) {
                free(overrides);
                return usage_error("--config needs a value", NULL);
            }
            overrides[o.n_overrides++] = argv[++i];
        } else if (!strncmp(a, "--config=", 9)) {
            overrides[o.n_overrides++] = a + 9;
        } else if (a[0] == '-') {
            free(overrides);
            return usage_error("unexpected argument ", a);
        } else {
            break;
        }
    }
    if (i >= argc) {
        free(overrides);
        return usage_error("no command given", NULL);
    }
    struct cx_rserver *bridge = NULL;
    /* -c sandbox_mode=... wins over the default, as an explicit choice */
    for (size_t k = 0; k < o.n_overrides; k++)
        if (!strncmp(overrides[k], "sandbox_mode=", 13)) o.sandbox = NULL;
    cx_config *cfg = cx_cli_load_config(&o, false, &bridge);
    free(overrides);
    if (!cfg) return 1;
    int rc = run_sandboxed(cfg, argv + i);
    cx_config_free(cfg);
    return rc;
}
