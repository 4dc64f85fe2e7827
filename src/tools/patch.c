/* The apply_patch tool: its grammar, file_change events and upstream's
 * output text around cx__patch_apply. */
#include "tools/patch.h"
#include "tools/output.h"
#include "tools/tool_proc.h"

#include "base/json.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char GRAMMAR[] =
    "start: begin_patch hunk+ end_patch\n"
    "begin_patch: \"*** Begin Patch\" LF\n"
    "end_patch: \"*** End Patch\" LF?\n"
    "\n"
    "hunk: add_hunk | delete_hunk | update_hunk\n"
    "add_hunk: \"*** Add File: \" filename LF add_line+\n"
    "delete_hunk: \"*** Delete File: \" filename LF\n"
    "update_hunk: \"*** Update File: \" filename LF change_move? change?\n"
    "\n"
    "filename: /(.+)/\n"
    "add_line: \"+\" /(.*)/ LF -> line\n"
    "\n"
    "change_move: \"*** Move to: \" filename LF\n"
    "change: (change_context | change_line)+ eof_line?\n"
    "change_context: (\"@@\" | \"@@ \" /(.+)/) LF\n"
    "change_line: (\"+\" | \"-\" | \" \") /(.*)/ LF\n"
    "eof_line: \"*** End of File\" LF\n"
    "\n"
    "%import common.LF\n";

static void emit_change(const cx_tool_env *env, cx_event_kind kind, const char *call_id,
                        json_object *changes, const char *status)
{
    if (!env->emit) return;
    json_object *d = json_object_new_object();
    cx__json_set_str(d, "type", "file_change");
    cx__json_set_str(d, "call_id", call_id);
    cx__json_set(d, "changes", json_object_get(changes));
    cx__json_set_str(d, "status", status);
    cx_event ev = {kind, d};
    env->emit(env->emit_user, &ev);
    json_object_put(d);
}

static int patch_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                         cx_tool_output *out)
{
    (void)state;
    const char *input = call->input ? call->input : "";
    if (call->kind == CX_TOOL_FUNCTION) {
        /* a function-style call carries {"input": "..."} */
        json_object *args = NULL;
        if (cx__json_parse(input, strlen(input), &args, NULL) == 0) {
            const char *in = cx__json_get_str(args, "input");
            if (in) {
                char *copy = strdup(in);
                json_object_put(args);
                cx_tool_call c2 = *call;
                c2.input = copy;
                c2.kind = CX_TOOL_CUSTOM;
                int rc = patch_handler(state, &c2, env, out);
                free(copy);
                return rc;
            }
        }
        json_object_put(args);
    }
    return cx__patch_run(input, env->cwd, call->call_id, env, out);
}

static bool may_write(const void *env, const char *path)
{
    return cx__tool_may_write(env, path);
}

int cx__patch_run(const char *input, const char *cwd, const char *call_id, const cx_tool_env *env,
                  cx_tool_output *out)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cx_buf summary = CX_BUF_INIT;
    json_object *changes = json_object_new_array();
    cx_error err;
    emit_change(env, CX_EV_ITEM_STARTED, call_id ? call_id : "", changes, "in_progress");
    /* the sandbox's write policy holds for patches too, before anything is written */
    int rc = cx__patch_apply_checked(input, cwd, may_write, env, &summary, changes, &err);
    if (rc == CX_PATCH_REJECTED) {
        emit_change(env, CX_EV_ITEM_COMPLETED, call_id ? call_id : "", changes, "failed");
        cx__buf_free(&summary);
        json_object_put(changes);
        return cx_tool_output_setf(out, false,
                                   "patch rejected: writing outside of the project; "
                                   "rejected by user approval settings");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    emit_change(env, CX_EV_ITEM_COMPLETED, call_id ? call_id : "", changes,
                rc ? "failed" : "completed");
    char secs[32];
    if (rc == 0)
        cx_tool_output_setf(out, true, "Exit code: 0\nWall time: %s seconds\nOutput:\n%s",
                            cx__output_format_seconds(wall, secs, sizeof secs),
                            cx__buf_str(&summary));
    else if (rc == CX_EINVAL)
        cx_tool_output_setf(out, false, "%s", err.msg);
    else
        cx_tool_output_setf(out, false, "apply_patch verification failed: %s", err.msg);
    cx__buf_free(&summary);
    json_object_put(changes);
    return 0;
}

int cx__patch_register(cx_tool_registry *reg)
{
    json_object *spec = json_object_new_object();
    cx__json_set_str(spec, "type", "custom");
    cx__json_set_str(spec, "name", "apply_patch");
    cx__json_set_str(spec, "description",
                     "Edit files by sending a patch in the format below (freeform text, not "
                     "JSON): add, delete, update or move files, with a few lines of context around "
                     "each change.");
    json_object *format = json_object_new_object();
    cx__json_set_str(format, "type", "grammar");
    cx__json_set_str(format, "syntax", "lark");
    cx__json_set_str(format, "definition", GRAMMAR);
    cx__json_set(spec, "format", format);
    cx_tool_def d = {"apply_patch", CX_TOOL_CUSTOM, false, spec, patch_handler, NULL, NULL};
    return cx_tools_add(reg, &d);
}
