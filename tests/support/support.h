/* Shared helpers of the cmocka unit tests (linked into every tests/unit binary).
 *
 * Every test binary starts isolated from the machine: before main() runs, a
 * constructor here points HOME at a fresh temporary folder (removed at exit) and
 * replaces the environment by a minimal one (see support.c), so that a login
 * profile, a CODEX_HOME or an API key of the person running the tests cannot change
 * a result. Tests that need a variable set it themselves. */
#ifndef CX_TEST_SUPPORT_H
#define CX_TEST_SUPPORT_H

#include <stddef.h>

/* The temporary HOME this process was given. */
const char *cx_test_home(void);

/* A new empty folder under /tmp named after prefix; the caller frees the string and
 * removes the folder (cx_test_rmtree). Fails the test when it cannot be made. */
char *cx_test_tmpdir(const char *prefix);

/* Removes path and everything under it (symbolic links are not followed). */
void cx_test_rmtree(const char *path);

/* The whole file, NUL-terminated; *len (if given) gets its size. NULL when it cannot
 * be read. The caller frees it. */
char *cx_test_slurp(const char *path, size_t *len);

/* Writes text to path, creating missing parent folders; fails the test on error. */
void cx_test_write(const char *path, const char *text);

#endif
