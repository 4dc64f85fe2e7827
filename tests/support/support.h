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

/* Fixtures: files under tests/fixtures/ (rel is relative to it), so that test data
 * stays readable as what it is rather than as escaped C strings. Each fails the test
 * when the file is missing or (for JSON) does not parse. */
/* The whole fixture, NUL-terminated; *len (if given) gets its size. Caller frees. */
char *cx_test_fixture(const char *rel, size_t *len);
/* The fixture's non-empty lines (JSON Lines, one case a line), in a NULL-terminated
 * array; *n (if given) gets their number. Free with cx_test_lines_free. */
char **cx_test_fixture_lines(const char *rel, size_t *n);
void cx_test_lines_free(char **lines);
/* The fixture parsed as one JSON value (a new reference the caller puts). */
struct json_object *cx_test_fixture_json(const char *rel);
/* text parsed as one JSON value; fails the test when it does not parse. */
struct json_object *cx_test_json(const char *text);

/* A configuration for an agent whose model is a fake Responses server at base_url
 * (".../v1"): model gpt-5.1-codex, provider "fake" (wire "responses", key sk-test, one
 * request and one stream retry, 5 s idle timeout), approval "never", a read-only
 * sandbox, CODEX_HOME home. Tests change what they need; free with cx_config_free. */
struct cx_config *cx_test_fake_config(const char *home, const char *base_url);

/* Writes text to path, creating missing parent folders; fails the test on error. */
void cx_test_write(const char *path, const char *text);

#endif
