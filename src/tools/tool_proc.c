/* The tools' spawn wrapper: see tool_proc.h. */
#include "tools/tool_proc.h"

#include "ccodex/config.h"
#include "sandbox/sandbox.h"

#include <string.h>

/* The prepared sandbox for a spawn from env, or NULL when the command runs
 * unsandboxed (danger-full-access, an approved escalation, no config). */
static int prepare(const cx_tool_env *env, bool escalated, cx__grants *grants, cx_proc_opts *o,
                   cx_sandbox **sb, cx_error *err)
{
    *sb = NULL;
    if (escalated) return 0;
    cx_sandbox_policy *policy;
    int rc = cx__sandbox_policy_from_config(env ? env->config : NULL, env ? env->cwd : NULL, NULL,
                                            0, &policy, err);
    if (rc) return rc;
    cx__grant_set set;
    rc = cx__grants_get(grants, &set);
    if (!rc)
        rc = cx__sandbox_policy_widen(policy, (const char *const *)set.roots, set.n_roots,
                                      set.network);
    cx__grant_set_clear(&set);
    if (rc) {
        cx__sandbox_policy_free(policy);
        return cx_error_set(err, rc, "out of memory");
    }
    rc = cx__sandbox_prepare(policy, sb, err);
    cx__sandbox_policy_free(policy);
    if (rc) return rc;
    o->child_setup = *sb ? cx__sandbox_child_apply : NULL;
    o->child_user = *sb;
    o->setup_what = CX_SANDBOX_SETUP_WHAT;
    return 0;
}

int cx__tool_spawn(const cx_tool_env *env, bool escalated, cx__grants *grants, cx_proc_opts *o,
                   cx_proc **out, int *errno_out, cx_error *err)
{
    cx_sandbox *sb;
    *out = NULL;
    int rc = prepare(env, escalated, grants, o, &sb, err);
    if (!rc) rc = cx__proc_spawn(o, out, errno_out, err);
    cx__sandbox_free(sb);
    return rc;
}

int cx__tool_run(const cx_tool_env *env, bool escalated, cx__grants *grants, cx_proc_opts *o,
                 const cx_proc_run_opts *r, cx_proc_result *res, int *errno_out, cx_error *err)
{
    cx_sandbox *sb;
    int rc = prepare(env, escalated, grants, o, &sb, err);
    if (!rc) rc = cx__proc_run(o, r, res, errno_out, err);
    cx__sandbox_free(sb);
    return rc;
}

bool cx__tool_may_write(const cx_tool_env *env, const char *path)
{
    cx_sandbox_policy *policy;
    if (cx__sandbox_policy_from_config(env ? env->config : NULL, env ? env->cwd : NULL, NULL, 0,
                                       &policy, NULL))
        return false;
    bool ok = cx__sandbox_policy_allows_write(policy, path);
    cx__sandbox_policy_free(policy);
    return ok;
}

bool cx__tool_sandboxed(const cx_tool_env *env, bool escalated)
{
    const char *mode = env && env->config ? env->config->sandbox_mode : NULL;
    if (escalated || !env || !env->config) return false;
    return !mode || strcmp(mode, "danger-full-access") != 0;
}
