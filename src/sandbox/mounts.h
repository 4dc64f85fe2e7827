/* The sandbox's mount namespace (library-internal; see docs/SANDBOX.md).
 *
 * Default mode: the child enters a new mount namespace (and a user namespace
 * unless it is privileged), makes the whole mount tree read-only, lays a
 * writable copy of each writable root over it, then binds `.git` / `.codex`
 * read-only. Writes anywhere else fail with EROFS ("Read-only file system"),
 * as under upstream's default Linux sandbox. Legacy Landlock mode enters the
 * namespaces only for the `.git` / `.codex` binds.
 *
 * cx__sandbox_mounts_prepare copies and orders everything in the parent; the
 * apply step runs in the forked child and makes system calls only.
 * Threads: immutable once prepared. */
#ifndef CX_SANDBOX_MOUNTS_H
#define CX_SANDBOX_MOUNTS_H

#include "sandbox/sandbox.h"

#include <stdbool.h>
#include <stddef.h>

/* Writable roots one sandbox can lay over the read-only tree (each needs a
 * file descriptor in the child at the same time). */
#define CX__SANDBOX_MAX_ROOTS 64

typedef struct cx__sandbox_mounts {
    bool active;         /* enter the namespaces at all */
    bool read_only_tree; /* make the whole tree read-only (not in legacy mode) */
    bool privileged;     /* euid 0: try a mount namespace without a user namespace */
    char uid_map[48], gid_map[48];
    char **rw; /* writable roots, shortest path first */
    size_t n_rw;
    char **ro; /* `.git` / `.codex` inside writable roots */
    size_t n_ro;
} cx__sandbox_mounts;

/* Fills m for policy p (legacy: p->legacy_landlock). CX_ENOMEM or CX_EINVAL
 * (too many roots) with err set; m is cleared on failure. */
int cx__sandbox_mounts_prepare(const cx_sandbox_policy *p, cx__sandbox_mounts *m, cx_error *err);
void cx__sandbox_mounts_clear(cx__sandbox_mounts *m);
/* In the child, before Landlock and seccomp: 0 or an errno value. */
int cx__sandbox_mounts_apply(const cx__sandbox_mounts *m);

#endif
