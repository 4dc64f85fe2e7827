/* Command approvals: see approval.h. */
#include "tools/approval.h"

#include "base/buf.h"
#include "base/json.h"
#include "ccodex/config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cx_approver {
    cx_ask_user_fn ask;
    void *user;
    /* held across a question, so concurrent calls ask one after another and
     * see each other's "always" answers */
    pthread_mutex_t mu;
    char **always; /* exact commands approved for the session */
    size_t n_always;
};

cx_approver *cx_approver_new(cx_ask_user_fn ask, void *user)
{
    cx_approver *ap = calloc(1, sizeof *ap);
    if (!ap) return NULL;
    ap->ask = ask;
    ap->user = user;
    pthread_mutex_init(&ap->mu, NULL);
    return ap;
}

void cx_approver_free(cx_approver *ap)
{
    if (!ap) return;
    for (size_t i = 0; i < ap->n_always; i++)
        free(ap->always[i]);
    free(ap->always);
    pthread_mutex_destroy(&ap->mu);
    free(ap);
}

static const char *policy_of(const cx_tool_env *env)
{
    return env && env->config && env->config->approval_policy ? env->config->approval_policy
                                                              : "never";
}

static bool remembered(const cx_approver *ap, const char *command)
{
    for (size_t i = 0; i < ap->n_always; i++)
        if (!strcmp(ap->always[i], command)) return true;
    return false;
}

static void remember(cx_approver *ap, const char *command)
{
    char **grown = realloc(ap->always, (ap->n_always + 1) * sizeof *grown);
    if (!grown) return; /* not remembered: the next call asks again */
    ap->always = grown;
    char *copy = strdup(command);
    if (copy) ap->always[ap->n_always++] = copy;
}

#define YES "Yes, run it"
#define ALWAYS "Always for this session"
#define NO "No"

/* Asks whether command may run outside the sandbox (mu held). Returns the
 * picked label's meaning: 1 yes, 2 always, 0 no (also for no answer). */
static int ask_escalation(cx_approver *ap, const char *command, const char *why)
{
    if (!ap->ask) return 0;
    cx_buf q = CX_BUF_INIT;
    cx_buf_printf(&q, "Run this command outside the sandbox? `%s`", command);
    if (why && *why) cx_buf_printf(&q, " (reason: %s)", why);
    static const char opts[] =
        "[{\"label\":\"" YES "\",\"description\":\"this once, without the sandbox\"},"
        "{\"label\":\"" ALWAYS "\",\"description\":\"this exact command, until ccodex exits\"},"
        "{\"label\":\"" NO "\",\"description\":\"do not run it; tell the model\"}]";
    char *pick = cx__ask_choice(ap->ask, ap->user, "approval", "Approve", cx_buf_str(&q), opts);
    cx_buf_free(&q);
    /* only an exact option counts: free text is not a yes */
    int r = pick && !strcmp(pick, YES) ? 1 : pick && !strcmp(pick, ALWAYS) ? 2 : 0;
    free(pick);
    return r;
}

bool cx__approval_check(cx_approver *ap, const cx_tool_env *env, const json_object *args,
                        const char *command, bool exec_command, bool *escalated,
                        cx_tool_output *out)
{
    *escalated = false;
    const char *perm = cx_json_get_str(args, "sandbox_permissions");
    if (!perm || strcmp(perm, "require_escalated") != 0) return true;
    const char *policy = policy_of(env);
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
                            "approve a command outside the sandbox; the command was not run. "
                            "Work within the sandbox.",
                            policy);
        return false;
    }
    pthread_mutex_lock(&ap->mu);
    int pick = remembered(ap, command)
                   ? 1
                   : ask_escalation(ap, command, cx_json_get_str(args, "justification"));
    if (pick == 2) remember(ap, command);
    pthread_mutex_unlock(&ap->mu);
    if (!pick) {
        cx_tool_output_setf(out, false, "rejected by user");
        return false;
    }
    *escalated = true;
    return true;
}
