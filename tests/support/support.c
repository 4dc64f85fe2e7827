/* Test isolation and file helpers shared by the unit tests (see support.h). */
#include "support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "ccodex/config.h"

static char home_dir[64];

const char *cx_test_home(void)
{
    return home_dir;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void cx_test_rmtree(const char *path)
{
    if (path && *path) nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_home(void)
{
    cx_test_rmtree(home_dir);
}

/* Variables a test run may pass through: the sanitizers' options (read again by
 * child processes) and the tests' own CX_* knobs (CX_PATCH_CORPUS, ...). */
static int kept(const char *entry)
{
    return !strncmp(entry, "CX_", 3) || !strncmp(entry, "ASAN_OPTIONS=", 13) ||
           !strncmp(entry, "LSAN_OPTIONS=", 13) || !strncmp(entry, "UBSAN_OPTIONS=", 14) ||
           !strncmp(entry, "TSAN_OPTIONS=", 13);
}

__attribute__((constructor)) static void isolate(void)
{
    snprintf(home_dir, sizeof home_dir, "/tmp/cx-test-home-XXXXXX");
    if (!mkdtemp(home_dir)) {
        fprintf(stderr, "test support: cannot make a temporary HOME: %s\n", strerror(errno));
        exit(1);
    }
    atexit(remove_home);
    extern char **environ;
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n++;
    char **keep = calloc(n + 1, sizeof *keep);
    size_t k = 0;
    for (char **e = environ; keep && *e; e++)
        if (kept(*e)) keep[k++] = strdup(*e);
    clearenv();
    for (size_t i = 0; i < k; i++) {
        char *eq = keep ? strchr(keep[i], '=') : NULL;
        if (eq) {
            *eq = '\0';
            setenv(keep[i], eq + 1, 1);
        }
        free(keep[i]);
    }
    free(keep);
    setenv("HOME", home_dir, 1);
    setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
    setenv("SHELL", "/bin/bash", 1);
    setenv("USER", "cx-test", 1);
    setenv("LOGNAME", "cx-test", 1);
    setenv("LANG", "C.UTF-8", 1);
    setenv("TERM", "dumb", 1);
}

char *cx_test_tmpdir(const char *prefix)
{
    char *dir = NULL;
    if (asprintf(&dir, "/tmp/%s-XXXXXX", prefix) < 0) fail_msg("out of memory");
    if (!mkdtemp(dir)) fail_msg("mkdtemp %s: %s", dir, strerror(errno));
    return dir;
}

char *cx_test_slurp(const char *path, size_t *len)
{
    return cx__fs_slurp(path, SIZE_MAX, len);
}

void cx_test_write(const char *path, const char *text)
{
    if (cx__fs_write(path, text, strlen(text), true) != 0)
        fail_msg("cannot write %s: %s", path, strerror(errno));
}

char *cx_test_fixture(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", CX_TEST_FIXTURES, rel);
    char *text = cx__fs_slurp(path, SIZE_MAX, len);
    if (!text) fail_msg("cannot read fixture %s: %s", path, strerror(errno));
    return text;
}

char **cx_test_fixture_lines(const char *rel, size_t *n)
{
    char *text = cx_test_fixture(rel, NULL);
    size_t count = 0, cap = 8;
    char **lines = malloc(cap * sizeof *lines);
    if (!lines) fail_msg("out of memory");
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        size_t len = next ? (size_t)(next - line) : strlen(line);
        if (next) next++;
        if (len && line[len - 1] == '\r') len--;
        if (!len) continue;
        if (count + 2 > cap) {
            cap *= 2;
            char **grown = realloc(lines, cap * sizeof *lines);
            if (!grown) fail_msg("out of memory");
            lines = grown;
        }
        lines[count] = strndup(line, len);
        if (!lines[count++]) fail_msg("out of memory");
    }
    lines[count] = NULL;
    free(text);
    if (n) *n = count;
    return lines;
}

void cx_test_lines_free(char **lines)
{
    for (char **l = lines; l && *l; l++)
        free(*l);
    free(lines);
}

json_object *cx_test_json(const char *text)
{
    json_object *o = NULL;
    cx_error err;
    if (cx__json_parse(text, strlen(text), &o, &err) != 0) fail_msg("bad JSON: %s", err.msg);
    return o;
}

json_object *cx_test_fixture_json(const char *rel)
{
    char *text = cx_test_fixture(rel, NULL);
    json_object *o = cx_test_json(text);
    free(text);
    return o;
}

cx_config *cx_test_fake_config(const char *home, const char *base_url)
{
    cx_config *c = calloc(1, sizeof *c);
    if (!c) fail_msg("out of memory");
    c->codex_home = strdup(home);
    c->model = strdup("gpt-5.1-codex");
    c->model_provider_id = strdup("fake");
    c->provider.id = strdup("fake");
    c->provider.name = strdup("fake");
    c->provider.base_url = strdup(base_url);
    c->provider.api_key = strdup("sk-test");
    c->provider.wire_api = strdup("responses");
    c->provider.request_max_retries = 1;
    c->provider.stream_max_retries = 1;
    c->provider.stream_idle_timeout_ms = 5000;
    c->approval_policy = strdup("never");
    c->sandbox_mode = strdup("read-only");
    return c;
}
