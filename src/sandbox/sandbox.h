/* The Linux sandbox every command the agent starts runs in (see
 * docs/SANDBOX.md for the mechanism and why).
 *
 *   read-only          the whole file system readable, nothing writable but
 *                      terminal and null-like devices; no network
 *   workspace-write    also writable: cwd, [sandbox_workspace_write]
 *                      writable_roots, --add-dir dirs, CODEX_HOME/memories,
 *                      /tmp and $TMPDIR (unless exclude_slash_tmp /
 *                      exclude_tmpdir_env_var); `.git` and `.codex` directly
 *                      inside a writable root stay read-only; network only with
 *                      network_access = true
 *   danger-full-access no sandbox
 *
 * Use: build a policy (cx__sandbox_policy_from_config), prepare it in the
 * parent (cx__sandbox_prepare: all allocation and path opening happens here),
 * pass cx__sandbox_child_apply + the prepared object as base/proc's
 * child_setup hook, free it after the spawn returned. A sandbox that cannot be
 * set up fails the spawn: nothing runs unsandboxed when a sandbox was asked for.
 *
 * Setting CCODEX_SANDBOX_FORCE_UNAVAILABLE=1 in the environment makes every
 * sandbox unavailable (for tests of the fail-closed path).
 *
 * Threads: policies and prepared sandboxes are immutable after creation and
 * may be shared for reading. */
#ifndef CX_SANDBOX_SANDBOX_H
#define CX_SANDBOX_SANDBOX_H

#include "ccodex/error.h"

#include <stdbool.h>
#include <stddef.h>

struct cx_config;

typedef enum cx_sandbox_mode {
    CX_SANDBOX_READ_ONLY,
    CX_SANDBOX_WORKSPACE_WRITE,
    CX_SANDBOX_FULL_ACCESS,
} cx_sandbox_mode;

typedef struct cx_sandbox_policy {
    cx_sandbox_mode mode;
    bool network;    /* outbound network allowed (always true for full access) */
    char **writable; /* absolute, existing directories (workspace-write), in upstream's order */
    size_t n_writable;
    char **read_only; /* .git / .codex directly inside a writable root */
    size_t n_read_only;
    /* features.use_legacy_landlock: Landlock alone for the file system (denied
     * writes read EACCES), no read-only mount tree */
    bool legacy_landlock;
} cx_sandbox_policy;

/* The policy for commands run in cwd under cfg (sandbox_mode, the
 * [sandbox_workspace_write] table; extra_roots are --add-dir / granted
 * directories, may be NULL). cfg NULL means no configuration at all (an
 * embedder's or a unit test's tool env): no sandbox. New object. */
int cx__sandbox_policy_from_config(const struct cx_config *cfg, const char *cwd,
                                   const char *const *extra_roots, size_t n_extra,
                                   cx_sandbox_policy **out, cx_error *err);
/* A policy from explicit parts (roots are copied; non-existing ones dropped). */
int cx__sandbox_policy_new(cx_sandbox_mode mode, bool network, const char *const *roots,
                           size_t n_roots, cx_sandbox_policy **out, cx_error *err);
/* Widens a sandboxed p by granted directories (writable from then on, in
 * read-only mode too; `.git` / `.codex` inside stay read-only) and, with
 * network, the network. No-op for danger-full-access. 0 or CX_ENOMEM. */
int cx__sandbox_policy_widen(cx_sandbox_policy *p, const char *const *roots, size_t n_roots,
                             bool network);
void cx__sandbox_policy_free(cx_sandbox_policy *p);
/* "read-only", "workspace-write", "danger-full-access". */
const char *cx__sandbox_mode_name(cx_sandbox_mode m);
/* True when path (absolute, normalised) may be written under p. */
bool cx__sandbox_policy_allows_write(const cx_sandbox_policy *p, const char *path);

typedef struct cx_sandbox cx_sandbox;

/* Prepares p for spawning. *out is NULL for danger-full-access (run as is).
 * Fails with CX_EIO and a sentence saying what the kernel lacks when the
 * sandbox cannot be built. */
int cx__sandbox_prepare(const cx_sandbox_policy *p, cx_sandbox **out, cx_error *err);
/* base/proc child_setup hook: applies the prepared sandbox to the calling
 * (child) process. Async-signal-safe; returns 0 or an errno value. */
int cx__sandbox_child_apply(void *prepared);
void cx__sandbox_free(cx_sandbox *sb);

/* Whether the kernel gives what a sandboxed mode needs; fills why (a line
 * for `ccodex doctor`: the Landlock ABI, seccomp, user namespaces). */
bool cx__sandbox_available(char *why, size_t size);

/* How a spawn names the sandbox's setup in the child when it fails there
 * (base/proc's setup_what): "sandbox unavailable: setting up the sandbox
 * failed: Operation not permitted". */
#define CX_SANDBOX_SETUP_WHAT "sandbox unavailable: setting up the sandbox"

/* The one line ccodex prints when a sandboxed command was refused because the
 * sandbox is unavailable. */
#define CX_SANDBOX_ADVICE                                                                          \
    "the command was not run; to run commands without a sandbox, knowingly, use --sandbox "        \
    "danger-full-access"

#endif
