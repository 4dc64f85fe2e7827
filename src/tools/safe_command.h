/* Upstream's list of known-safe read-only commands (command_safety's
 * is_known_safe_command), which approval_policy = "untrusted" runs without
 * asking. A script is safe only when it is a sequence of plain words joined
 * by &&, ||, ; or | and every command in it is on the list; anything else
 * (redirection, substitution, variables, globs, escapes) is not. */
#ifndef CX_TOOLS_SAFE_COMMAND_H
#define CX_TOOLS_SAFE_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

/* One command's argv (argc words). */
bool cx__safe_argv(const char *const *argv, size_t argc);
/* A shell script as exec_command / shell_command / `bash -lc` run it. */
bool cx__safe_script(const char *script);

#endif
