/* apply_patch: upstream Codex's patch format (codex-rs/apply-patch), as a
 * freeform (custom) tool. A patch is parsed, every file's new content is
 * computed and verified, and only then are files written, so a patch with a
 * bad hunk leaves the tree untouched. */
#ifndef CX_TOOLS_PATCH_H
#define CX_TOOLS_PATCH_H

#include <stdbool.h>

#include "base/buf.h"
#include "ccodex/error.h"
#include "ccodex/tools.h"

/* Applies patch text with paths relative to cwd. On success appends upstream's
 * summary ("Success. Updated the following files:\nA x\n...") to summary and
 * returns 0; otherwise returns CX_EPARSE (bad patch) or CX_EIO (a hunk does
 * not match, a file cannot be read/written) with the reason in err, and the
 * tree is unchanged. changes (may be NULL) receives [{"path","kind"}] entries. */
int cx__patch_apply(const char *patch, const char *cwd, cx_buf *summary, json_object *changes,
                    cx_error *err);

/* cx__patch_apply, but once every change is verified and before anything is
 * written, each target path (and a moved file's old path) is put to may_write;
 * a refusal returns CX_PATCH_REJECTED with the tree unchanged. */
#define CX_PATCH_REJECTED 1
int cx__patch_apply_checked(const char *patch, const char *cwd,
                            bool (*may_write)(const void *user, const char *path), const void *user,
                            cx_buf *summary, json_object *changes, cx_error *err);

/* Parses patch without touching any file and, when original is given, applies
 * every Update hunk to that text in memory (for the fuzzer and tests).
 * Returns the number of hunks, or CX_EPARSE / CX_EIO with err. */
int cx__patch_check(const char *patch, const char *original, cx_error *err);

/* Recognises `apply_patch <<'EOF' ... EOF` (optionally after `cd DIR &&`)
 * in a shell script. On a match sets *patch (and *dir, or NULL) to new
 * strings and returns true. */
bool cx__patch_from_heredoc(const char *script, char **patch, char **dir);

/* Runs a patch as the apply_patch tool does: file_change events through
 * env->emit, and upstream's output text in out. Returns 0. */
int cx__patch_run(const char *patch, const char *cwd, const char *call_id, const cx_tool_env *env,
                  cx_tool_output *out);

/* Adds the custom `apply_patch` tool with upstream's lark grammar. */
int cx__patch_register(cx_tool_registry *reg);

#endif
