/* Command approvals: see approval.h. */
#include "tools/approval.h"

#include "base/buf.h"
#include "base/json.h"
#include "ccodex/config.h"
#include "tools/safe_command.h"
#include "tools/tool_proc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cx_approver {
    cx_ask_user_fn ask;
    void *user;
    /* held across a question, so concurrent calls ask one after another and
     * see each other's "always" answers */
    pthread_mutex_t mu;
    /* exact commands approved for the session, each behind 'E' (outside the
     * sandbox) or 'S' (sandboxed, untrusted): a sandboxed "always" never
     * lets the same command out of the sandbox later */
    char **always;
    size_t n_always;
    cx__grants *grants; /* request_permissions' answers, for the sandbox */
};

cx_approver *cx__approver_new(cx_ask_user_fn ask, void *user)
{
    cx_approver *ap = calloc(1, sizeof *ap);
    if (!ap) return NULL;
    ap->ask = ask;
    ap->user = user;
    ap->grants = cx__grants_new();
    if (!ap->grants) {
        free(ap);
        return NULL;
    }
    pthread_mutex_init(&ap->mu, NULL);
    return ap;
}

void cx__approver_free(cx_approver *ap)
{
    if (!ap) return;
    for (size_t i = 0; i < ap->n_always; i++)
        free(ap->always[i]);
    free(ap->always);
    cx__grants_free(ap->grants);
    pthread_mutex_destroy(&ap->mu);
    free(ap);
}

cx__grants *cx__approval_grants(cx_approver *ap)
{
    return ap ? ap->grants : NULL;
}

static const char *policy_of(const cx_tool_env *env)
{
    return env && env->config && env->config->approval_policy ? env->config->approval_policy
                                                              : "never";
}

static bool remembered(const cx_approver *ap, const char *command, bool escalate)
{
    for (size_t i = 0; i < ap->n_always; i++)
        if (ap->always[i][0] == (escalate ? 'E' : 'S') && !strcmp(ap->always[i] + 1, command))
            return true;
    return false;
}

static void remember(cx_approver *ap, const char *command, bool escalate)
{
    char **grown = realloc(ap->always, (ap->n_always + 1) * sizeof *grown);
    if (!grown) return; /* not remembered: the next call asks again */
    ap->always = grown;
    size_t n = strlen(command);
    char *copy = malloc(n + 2);
    if (!copy) return;
    copy[0] = escalate ? 'E' : 'S';
    memcpy(copy + 1, command, n + 1);
    ap->always[ap->n_always++] = copy;
}

#define YES "Yes, run it"
#define ALWAYS "Always for this session"
#define NO "No"

/* Asks whether command may run (outside the sandbox when escalate) (mu
 * held). Returns the picked label's meaning: 1 yes, 2 always, 0 no (also for
 * no answer). */
static int ask_user(cx_approver *ap, const char *command, const char *why, bool escalate,
                    bool retry)
{
    if (!ap->ask) return 0;
    cx_buf q = CX_BUF_INIT;
    if (retry) cx__buf_puts(&q, "The sandbox denied this command. ");
    cx__buf_printf(&q, "Run this command%s? `%s`", escalate ? " outside the sandbox" : "", command);
    if (why && *why) cx__buf_printf(&q, " (reason: %s)", why);
    static const char opts[] =
        "[{\"label\":\"" YES "\",\"description\":\"this once\"},"
        "{\"label\":\"" ALWAYS "\",\"description\":\"this exact command, until ccodex exits\"},"
        "{\"label\":\"" NO "\",\"description\":\"do not run it; tell the model\"}]";
    char *pick = cx__ask_choice(ap->ask, ap->user, "approval", "Approve", cx__buf_str(&q), opts);
    cx__buf_free(&q);
    /* only an exact option counts: free text is not a yes */
    int r = pick && !strcmp(pick, YES) ? 1 : pick && !strcmp(pick, ALWAYS) ? 2 : 0;
    free(pick);
    return r;
}

/* untrusted: whether the call runs without a question. */
static bool known_safe(const char *const *argv, const char *command)
{
    if (!argv) return cx__safe_script(command);
    size_t argc = 0;
    while (argv[argc])
        argc++;
    /* ["bash", "-lc", script] is judged by its script */
    if (argc == 3 && (!strcmp(argv[0], "bash") || !strcmp(argv[0], "/bin/bash")) &&
        (!strcmp(argv[1], "-lc") || !strcmp(argv[1], "-c")))
        return cx__safe_script(argv[2]);
    return cx__safe_argv(argv, argc);
}

bool cx__approval_check(cx_approver *ap, const cx_tool_env *env, const json_object *args,
                        const char *command, const char *const *argv, bool exec_command,
                        bool *escalated, cx_tool_output *out)
{
    *escalated = false;
    const char *perm = cx__json_get_str(args, "sandbox_permissions");
    bool escalate = perm && !strcmp(perm, "require_escalated");
    const char *policy = policy_of(env);
    /* untrusted asks before anything off the known-safe list, even sandboxed */
    bool ask_anyway = !strcmp(policy, "untrusted") && !known_safe(argv, command);
    if (!escalate && !ask_anyway) return true;
    if (!strcmp(policy, "never")) {
        cx_tool_output_setf(out, false,
                            "approval policy is Never; reject command \u2014 you %s ask for "
                            "escalated permissions if the approval policy is Never",
                            exec_command ? "cannot" : "should not");
        return false;
    }
    if (!ap || !ap->ask) {
        cx_tool_output_setf(out, false,
                            "approval policy is %s, but this session cannot ask the user to "
                            "approve %s; the command was not run.%s",
                            policy, escalate ? "a command outside the sandbox" : "this command",
                            escalate ? " Work within the sandbox." : "");
        return false;
    }
    pthread_mutex_lock(&ap->mu);
    int pick =
        remembered(ap, command, escalate)
            ? 1
            : ask_user(ap, command, cx__json_get_str(args, "justification"), escalate, false);
    if (pick == 2) remember(ap, command, escalate);
    pthread_mutex_unlock(&ap->mu);
    if (!pick) {
        cx_tool_output_setf(out, false, "rejected by user");
        return false;
    }
    *escalated = escalate; /* an approved ordinary command still runs sandboxed */
    return true;
}

/* Upstream's test for a sandbox denial: a failed command whose output names
 * one of the ways a sandbox says no. */
static bool looks_denied(const char *output)
{
    static const char *const words[] = {"operation not permitted",
                                        "permission denied",
                                        "read-only file system",
                                        "seccomp",
                                        "sandbox",
                                        "landlock",
                                        "failed to write file",
                                        NULL};
    for (const char *const *w = words; *w; w++)
        if (output && strcasestr(output, *w)) return true;
    return false;
}

bool cx__approval_denied(const cx_tool_env *env, bool escalated, int exit_code, const char *output)
{
    return exit_code != 0 && cx__tool_sandboxed(env, escalated) && looks_denied(output);
}

bool cx__approval_retry(cx_approver *ap, const cx_tool_env *env, const char *command,
                        const char *output)
{
    if (!ap || !ap->ask || strcmp(policy_of(env), "on-failure") != 0 || !looks_denied(output))
        return false;
    pthread_mutex_lock(&ap->mu);
    int pick = remembered(ap, command, true) ? 1 : ask_user(ap, command, NULL, true, true);
    if (pick == 2) remember(ap, command, true);
    pthread_mutex_unlock(&ap->mu);
    return pick != 0;
}
