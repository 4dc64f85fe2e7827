/* Formatting shared by the command tools (see output.c). */
#ifndef CX_TOOLS_OUTPUT_H
#define CX_TOOLS_OUTPUT_H

#include <stddef.h>

#include "base/buf.h"

/* C's round(): halves away from zero (here so that the program need not map libm) */
double cx__output_round(double x);
/* Rust's Display of an f32 rounded to one decimal ("0", "1.5", "12"), the form
 * upstream prints wall times in. Writes into buf (size >= 32) and returns it. */
const char *cx__output_format_seconds(double seconds, char *buf, unsigned size);
/* argv as one POSIX shell line, quoted as upstream shows commands: each word
 * is cut into stretches that go bare, in single quotes or in double quotes
 * (`it's $x` shows as `"it's "'$x'`). The caller frees. */
char *cx__output_shlex_join(const char *const *argv);
/* Appends the answer upstream gives for a command the sandbox denied: the
 * tool's "failed for `COMMAND`" line around the Rust debug dump of the denied
 * run (exit code, the output as stderr and aggregated output, no stdout). */
void cx__output_sandbox_denied(cx_buf *b, const char *tool, const char *command, int exit_code,
                               const char *output, size_t len);
/* Upstream's rough token estimate: bytes / 4, rounded up. */
size_t cx__output_approx_tokens(size_t bytes);
/* Cuts text to about max_tokens tokens, keeping head and tail (on UTF-8 boundaries)
 * around a "…N tokens truncated…" marker. Appends to out. */
void cx__output_truncate_middle(const char *text, size_t len, size_t max_tokens, cx_buf *out);

#endif
