/* Sandbox grants of a session: what request_permissions answers widen the
 * sandbox by (docs/SANDBOX.md, "Grants"). A "session" grant holds until the
 * session ends, a "turn" grant until the next turn starts. Only writable
 * directories and the network widen the sandbox (everything is readable
 * already); every later shell, shell_command and exec_command spawn of the
 * session sees them.
 *
 * Threads: one per session, shared by its tool handlers; every call locks. */
#ifndef CX_TOOLS_GRANTS_H
#define CX_TOOLS_GRANTS_H

#include "base/json.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cx__grants cx__grants;

/* A copy of the grants in force, for one spawn. */
typedef struct cx__grant_set {
    char **roots; /* absolute directories the command may also write */
    size_t n_roots;
    bool network;
} cx__grant_set;

cx__grants *cx__grants_new(void);
void cx__grants_free(cx__grants *g);
/* Records permissions (request_permissions' object: file_system.write paths,
 * network.enabled) for the session or the turn. Relative paths are ignored:
 * the user saw them as the model wrote them, not as what they would reach.
 * 0 or CX_ENOMEM. */
int cx__grants_add(cx__grants *g, const json_object *permissions, bool session);
/* Drops the turn's grants (a new turn starts). g may be NULL. */
void cx__grants_turn_ended(cx__grants *g);
/* Fills set with a copy of the grants in force (empty when g is NULL).
 * 0 or CX_ENOMEM; release with cx__grant_set_clear. */
int cx__grants_get(cx__grants *g, cx__grant_set *set);
void cx__grant_set_clear(cx__grant_set *set);

#endif
