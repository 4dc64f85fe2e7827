/* The tools' spawn wrapper: see tool_proc.h. */
#include "tools/tool_proc.h"

int cx__tool_spawn(const cx_tool_env *env, bool escalated, cx_proc_opts *o, cx_proc **out,
                   int *errno_out, cx_error *err)
{
    (void)env;
    (void)escalated;
    return cx_proc_spawn(o, out, errno_out, err);
}

int cx__tool_run(const cx_tool_env *env, bool escalated, cx_proc_opts *o, const cx_proc_run_opts *r,
                 cx_proc_result *res, int *errno_out, cx_error *err)
{
    (void)env;
    (void)escalated;
    return cx_proc_run(o, r, res, errno_out, err);
}
