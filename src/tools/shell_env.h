/* The environment of commands the model runs, built from config.toml's
 * [shell_environment_policy] the way upstream does:
 *   inherit = "all" (default) | "core" | "none"   start from all, a core set, or nothing
 *   ignore_default_excludes = true (default)      false drops *KEY*, *SECRET*, *TOKEN*
 *   exclude = ["AWS_*", ...]                      case-insensitive globs to drop
 *   set = { NAME = "value" }                      added or overridden
 *   include_only = ["PATH", ...]                  when non-empty, keep only matches
 * Shared by shell, shell_command and exec_command. */
#ifndef CX_TOOLS_SHELL_ENV_H
#define CX_TOOLS_SHELL_ENV_H

#include <json-c/json.h>
#include <stdbool.h>

struct cx_config;

/* Builds the environment from `base` (a NULL-terminated "K=V" array, normally
 * environ) under `policy` (the [shell_environment_policy] table, or NULL for
 * the defaults), then applies `extra` ("K=V" strings, NULL-terminated, may be
 * NULL) on top. Returns a NULL-terminated array of malloc'd strings to free
 * with cx__shell_env_free, or NULL when out of memory. */
char **cx__shell_env_build(char *const *base, const json_object *policy, const char *const *extra);
/* The policy table of a config (borrowed), or NULL. cfg may be NULL. */
const json_object *cx__shell_env_policy(const struct cx_config *cfg);
/* True when commands run without network (any sandbox but danger-full-access
 * unless [sandbox_workspace_write] network_access is set); upstream then tells
 * them so with CODEX_SANDBOX_NETWORK_DISABLED=1. */
bool cx__shell_env_network_disabled(const struct cx_config *cfg);
void cx__shell_env_free(char **env);
/* The directory a command runs in: workdir (absolute, or relative to cwd),
 * else cwd; NULL when neither is given. New string. */
char *cx__shell_env_workdir(const char *cwd, const char *workdir);
/* Case-insensitive glob match with `*` and `?` (exposed for tests). */
bool cx__shell_env_match(const char *pattern, const char *name);

#endif
