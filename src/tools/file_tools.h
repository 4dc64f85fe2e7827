/* read_file, list_dir and grep_files: upstream's read-only file tools
 * (declared when config.toml's experimental_supported_tools names them).
 *
 * All three are function tools and parallel-safe, as upstream registers
 * them. They keep no state between calls. Failures the model should hear
 * about (bad arguments, missing files, rg errors) come back as the call's
 * output with success = false, worded as upstream words them; handlers return
 * a negative CX_E* code only for out-of-memory and cancellation.
 *
 * The code is split by tool: read_file.c, list_dir.c, grep_files.c, with the
 * pieces they share in file_tools.c (declared in the second half of this
 * header, `cx__ft_` prefix: library-internal, not API) and their argument
 * decoder in args.c. */
#ifndef CX_TOOLS_FILE_TOOLS_H
#define CX_TOOLS_FILE_TOOLS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "ccodex/error.h"
#include "ccodex/tools.h"
#include "tools/args.h"

/* read_file {file_path, offset?, limit?, mode?, indentation?}: `L<n>: `
 * numbered lines of an absolute path, as a slice or as the indentation block
 * around an anchor line. Returns 0, CX_ENOMEM or CX_EINVAL (see cx_tools_add). */
int cx__read_file_tool_register(cx_tool_registry *reg);
/* list_dir {dir_path, offset?, limit?, depth?}: entries of an absolute
 * directory, breadth first to `depth`, with / @ ? markers. */
int cx__list_dir_tool_register(cx_tool_registry *reg);
/* grep_files {pattern, include?, path?, limit?}: the files whose contents
 * match a regex, newest first, found by running `rg`. */
int cx__grep_files_tool_register(cx_tool_registry *reg);

/* ---- shared by the file tools; library-internal ------------------------------------------ */

/* Sets out to a copy of the formatted text with the given success flag.
 * Returns 0 or CX_ENOMEM. */
int cx__ft_answer(cx_tool_output *out, bool success, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rust's io::Error display for an OS error: "<strerror> (os error <n>)". */
const char *cx__ft_os_error(int err, char *buf, size_t size);

/* Appends s[0..len) decoded lossily (invalid UTF-8 as U+FFFD) and cut to at
 * most max bytes on a character boundary, as upstream's
 * take_bytes_at_char_boundary(from_utf8_lossy(..)) does. */
int cx__ft_lossy_prefix(const char *s, size_t len, size_t max, cx_buf *out);

/* Appends text for the model: NUL bytes, which a C string output cannot
 * carry, become U+FFFD. */
int cx__ft_put_text(cx_buf *out, const char *s, size_t len);

/* Unicode White_Space (what Rust's char::is_whitespace and str::trim use). */
bool cx__ft_is_space(unsigned cp);
/* Length of the run of Unicode white space at the start / end of the valid
 * UTF-8 s[0..len). */
size_t cx__ft_space_prefix(const char *s, size_t len);
size_t cx__ft_space_suffix(const char *s, size_t len);

/* Parses a JSON tool spec and adds it as a parallel-safe function tool. */
int cx__ft_register(cx_tool_registry *reg, const char *name, const char *spec_json,
                    cx_tool_handler handler);

/* Runs argv (argv[0] looked up in PATH, no shell) under env's sandbox in cwd with stdin on
 * /dev/null, collecting stdout and stderr. Returns the exit status (0..255),
 * CX__FT_SIGNALED when a signal ended it, CX__FT_TIMEOUT when it ran past
 * timeout_ms, CX__FT_CANCELED when *cancel was set (in both cases its process
 * group is killed and reaped), CX_ENOMEM, or CX__FT_SPAWN with *spawn_err
 * when it could not be started (e.g. ENOENT: no such program). */
enum {
    CX__FT_SIGNALED = 1000,
    CX__FT_TIMEOUT = -1001,
    CX__FT_CANCELED = -1002,
    CX__FT_SPAWN = -1003
};
int cx__ft_run(const cx_tool_env *env, char *const argv[], const char *cwd, long timeout_ms,
               const atomic_bool *cancel, cx_buf *out, cx_buf *err, int *spawn_err);

#endif
