/* MCP in a CLI session: start-up lines and the rendering of MCP calls on
 * stderr, in upstream `codex exec`'s words. */
#include "cli/mcp_cli.h"

#include "base/clock.h"
#include "base/buf.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct status_out {
    bool verbose;
    cx_buf *held; /* lines kept back until the session is sure to start, or NULL */
} status_out;

static void on_status(void *user, const char *server, const char *state, const char *error)
{
    status_out *so = user;
    if (!so->verbose) return;
    cx_buf line = CX_BUF_INIT;
    if (!strcmp(state, "failed"))
        cx__buf_printf(&line, "mcp: %s failed: %s\n", server, error ? error : "");
    else
        cx__buf_printf(&line, "mcp: %s %s\n", server, state);
    if (so->held)
        cx__buf_append(so->held, line.data, line.len);
    else
        fputs(cx__buf_str(&line), stderr);
    cx__buf_free(&line);
}

int cx_cli_mcp_start(const cx_config *cfg, const char *cwd, cx_cli_mcp_lines lines, cx_mcp **out)
{
    *out = NULL;
    char *abs = cwd ? realpath(cwd, NULL) : NULL;
    cx_error err;
    cx_error_clear(&err);
    cx_mcp *m = cx__mcp_new(cfg, abs ? abs : cwd, &err);
    free(abs);
    if (!m) {
        fprintf(stderr, "Error: %s\n", err.msg);
        return 1;
    }
    /* upstream prints nothing of the start-up when a required server fails:
     * with one configured, the lines wait until the outcome is known */
    bool verbose = lines == CX_CLI_MCP_ALWAYS ||
                   (lines == CX_CLI_MCP_IF_SERVERS && cx__mcp_enabled_count(m) > 0);
    cx_buf held = CX_BUF_INIT;
    status_out so = {verbose, cx__mcp_has_required(m) ? &held : NULL};
    int rc = cx__mcp_start(m, on_status, &so, &err);
    if (rc == 0 && held.len) fputs(cx__buf_str(&held), stderr);
    cx__buf_free(&held);
    if (rc != 0) {
        fprintf(stderr,
                "Error: thread/start: thread/start failed: error creating thread: Fatal error: "
                "Failed to initialize session: %s\n",
                err.msg);
        cx__mcp_free(m);
        return 1;
    }
    if (verbose) {
        char *summary = cx__mcp_summary(m);
        fprintf(stderr, "mcp startup: %s\n", summary ? summary : "");
        free(summary);
    }
    *out = m;
    return 0;
}

bool cx_cli_mcp_is_tool(const char *name)
{
    return !strncmp(name, "mcp__", 5) || !strcmp(name, "list_mcp_resources") ||
           !strcmp(name, "list_mcp_resource_templates") || !strcmp(name, "read_mcp_resource");
}

static void call_text(const json_object *item, cx_buf *b)
{
    char *args = cx__json_to_string(cx__json_get(item, "arguments"));
    cx__buf_printf(b, "%s.%s(%s)", cx__json_get_str(item, "server") ?: "",
                   cx__json_get_str(item, "tool") ?: "",
                   args && strcmp(args, "null") ? args : "{}");
    free(args);
}

void cx_cli_mcp_item(cx_cli_mcp_render *r, const cx_event *ev, FILE *out)
{
    const char *type = cx__json_get_str(ev->data, "type");
    if (!type || strcmp(type, "mcp_tool_call")) return;
    const char *call_id = cx__json_get_str(ev->data, "call_id") ?: "";
    if (!r->started) r->started = json_object_new_object();
    cx_buf line = CX_BUF_INIT;
    call_text(ev->data, &line);
    if (ev->kind == CX_EV_ITEM_STARTED) {
        cx__json_set(r->started, call_id, json_object_new_int64(cx__clock_ms()));
        fprintf(out, "tool %s\n", cx__buf_str(&line));
        cx__buf_free(&line);
        return;
    }
    int64_t t0 = cx__clock_ms();
    cx__json_get_int(r->started, call_id, &t0);
    json_object_object_del(r->started, call_id);
    long long ms = cx__clock_ms() - t0;
    const char *status = cx__json_get_str(ev->data, "status") ?: "";
    bool ok = !strcmp(status, "completed");
    if (ms < 1000)
        fprintf(out, "%s %s in %lldms:\n", cx__buf_str(&line), ok ? "success" : "failed", ms);
    else
        fprintf(out, "%s %s in %.2fs:\n", cx__buf_str(&line), ok ? "success" : "failed",
                ms / 1000.0);
    cx__buf_free(&line);
    json_object *res = cx__json_get(ev->data, "result");
    if (!res) return;
    /* the raw tools/call result, pretty-printed */
    json_object *raw = json_object_new_object();
    cx__json_set(raw, "content", json_object_get(cx__json_get(res, "content")));
    if (!ok) cx__json_set(raw, "isError", json_object_new_boolean(true));
    json_object *sc = cx__json_get(res, "structured_content");
    if (sc) cx__json_set(raw, "structuredContent", json_object_get(sc));
    fprintf(out, "%s\n",
            json_object_to_json_string_ext(raw, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(raw);
}

void cx_cli_mcp_render_clear(cx_cli_mcp_render *r)
{
    json_object_put(r->started);
    r->started = NULL;
}
