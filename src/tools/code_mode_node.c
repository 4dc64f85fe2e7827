/* Code mode's Node.js probe: finding the interpreter and checking that its version is
 * one upstream's code mode accepts (the messages are upstream's). Separate from the
 * cells because it runs once, at start, and only asks `node --version`. */
#include "tools/code_mode.h"

#include "base/proc.h"

#include <stdio.h>
#include <string.h>

int cx__code_mode_check_node(const char *configured, char *resolved, size_t resolved_size,
                             char *why, size_t why_size)
{
    const char *name = configured && *configured ? configured : "node";
    if (!cx__proc_find_program(name, resolved, resolved_size)) {
        snprintf(why, why_size, "Node runtime not found for js_repl (looked for %s).", name);
        return -1;
    }
    char out[256] = "";
    if (cx__code_mode_run_version(resolved, out, sizeof out) != 0) {
        snprintf(why, why_size, "Node runtime could not be run for js_repl (resolved %s).",
                 resolved);
        return -1;
    }
    int major = 0, minor = 0, patch = 0;
    if (sscanf(out, "v%d.%d.%d", &major, &minor, &patch) != 3) {
        snprintf(why, why_size,
                 "Node runtime for js_repl reported an unknown version (resolved %s): %s.",
                 resolved, out);
        return -1;
    }
    if (major < CX_CODE_MODE_NODE_MAJOR ||
        (major == CX_CODE_MODE_NODE_MAJOR && minor < CX_CODE_MODE_NODE_MINOR)) {
        snprintf(why, why_size,
                 "Node runtime too old for js_repl (resolved %s): found v%d.%d.%d, requires >= "
                 "v%d.%d.0.",
                 resolved, major, minor, patch, CX_CODE_MODE_NODE_MAJOR, CX_CODE_MODE_NODE_MINOR);
        return -1;
    }
    return 0;
}

typedef struct version_out {
    char *buf;
    size_t size, len;
} version_out;

static int keep_version(void *user, int stream, const char *data, size_t n)
{
    version_out *v = user;
    (void)stream;
    size_t room = v->size - 1 - v->len;
    if (n > room) n = room;
    memcpy(v->buf + v->len, data, n);
    v->len += n;
    v->buf[v->len] = '\0';
    return 0;
}

/* ccodex's own question to the interpreter (like its git queries), so not
 * sandboxed; bounded so a broken node cannot hold the start. */
int cx__code_mode_run_version(const char *node, char *out, size_t size)
{
    char *argv[] = {(char *)node, "--version", NULL};
    cx_proc_opts o = {.argv = argv, .io = CX_PROC_IO_DISCARD_ERR};
    version_out v = {out, size, 0};
    out[0] = '\0';
    cx_proc_run_opts r = {
        .timeout_ms = 10000, .drain_ms = 0, .on_output = keep_version, .user = &v};
    cx_proc_result res;
    if (cx__proc_run(&o, &r, &res, NULL, NULL) != 0) return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return !res.timed_out && res.exit_code == 0 && *out ? 0 : -1;
}
