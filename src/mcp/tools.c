/* The MCP tools in an agent's registry: one function tool per server tool,
 * the three resource tools, and their handlers. Each call is reported as an
 * `mcp_tool_call` item (started, then completed or failed), the shape
 * `exec --json` prints. */
#include "base/buf.h"
#include "base/json.h"
#include "mcp/manager.h"
#include "tools/file_tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TOOL_MS 120000

typedef struct tool_state {
    cx_mcp *m;
    size_t server;
    char *tool;
} tool_state;

static void tool_state_free(void *p)
{
    tool_state *t = p;
    if (t) free(t->tool);
    free(t);
}

static void emit(const cx_tool_env *env, cx_event_kind kind, json_object *data)
{
    if (env->emit) {
        cx_event ev = {kind, data};
        env->emit(env->emit_user, &ev);
    }
    json_object_put(data);
}

static json_object *call_item(const char *call_id, const char *server, const char *tool,
                              const json_object *args)
{
    json_object *it = json_object_new_object();
    cx__json_set_str(it, "call_id", call_id);
    cx__json_set_str(it, "type", "mcp_tool_call");
    cx__json_set_str(it, "server", server);
    cx__json_set_str(it, "tool", tool);
    cx__json_set(it, "arguments", args ? cx__json_copy(args) : NULL);
    cx__json_set(it, "result", NULL);
    cx__json_set(it, "error", NULL);
    cx__json_set_str(it, "status", "in_progress");
    return it;
}

/* The output for a failed call: the text as a one-block JSON array (string). */
static void error_output(cx_tool_output *out, const char *msg)
{
    json_object *arr = json_object_new_array();
    json_object *b = json_object_new_object();
    cx__json_set_str(b, "type", "text");
    cx__json_set_str(b, "text", msg);
    json_object_array_add(arr, b);
    out->text = cx__json_to_string(arr);
    out->success = false;
    json_object_put(arr);
}

/* Rust's Debug form of a Duration, as upstream's timeout text shows it. */
static void duration_text(long ms, char *buf, size_t n)
{
    if (ms % 1000 == 0)
        snprintf(buf, n, "%lds", ms / 1000);
    else if (ms < 1000)
        snprintf(buf, n, "%ldms", ms);
    else {
        snprintf(buf, n, "%ld.%03ld", ms / 1000, ms % 1000);
        size_t len = strlen(buf);
        while (buf[len - 1] == '0')
            buf[--len] = 0;
        snprintf(buf + len, n - len, "s");
    }
}

/* serde_json's Display of a syntax error ("MSG at line L column C"), as the
 * tools' decoder words it (json-c found the text is not JSON). */
static char *serde_message(const char *text, size_t len)
{
    static const char prefix[] = "failed to parse function arguments: ";
    cx__ft_struct none = {"Value", NULL, 0};
    char *msg = NULL;
    int rc = cx__ft_decode_as(text, len, &none, CX__FT_DISPLAY, &msg);
    cx__ft_clear(&none);
    if (rc != 1 || !msg || strncmp(msg, prefix, sizeof prefix - 1)) {
        free(msg);
        return NULL;
    }
    memmove(msg, msg + sizeof prefix - 1, strlen(msg) - (sizeof prefix - 1) + 1);
    return msg;
}

/* Parses the model's arguments: any JSON value, or absent (empty text). NULL
 * with *msg set ("err: ...", as upstream words it) when the text is not JSON. */
static json_object *parse_args(const char *text, char **msg, bool *absent)
{
    *absent = false;
    size_t len = text ? strlen(text) : 0;
    if (strspn(text ? text : "", " \t\r\n") == len) {
        *absent = true;
        return NULL;
    }
    json_object *o = NULL;
    cx_error err;
    if (cx__json_parse(text, len, &o, &err) != 0) {
        char *serde = serde_message(text, len);
        if (asprintf(msg, "err: %s", serde ? serde : err.msg) < 0) *msg = NULL;
        free(serde);
        return NULL;
    }
    return o;
}

static int mcp_tool_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                            cx_tool_output *out)
{
    tool_state *ts = state;
    cx__mcp_server *s = &ts->m->servers[ts->server];
    const char *server = s->cfg->name;
    char *msg = NULL;
    bool absent;
    json_object *args = parse_args(call->input, &msg, &absent);
    if (!args && !absent) {
        /* upstream answers without calling the server or reporting an item */
        error_output(out, msg ? msg : "err: invalid arguments");
        free(msg);
        return 0;
    }
    json_object *item = call_item(call->call_id, server, ts->tool, args);
    emit(env, CX_EV_ITEM_STARTED, json_object_get(item));

    json_object *params = json_object_new_object();
    cx__json_set_str(params, "name", ts->tool);
    if (args) cx__json_set(params, "arguments", json_object_get(args));
    long timeout =
        s->cfg->tool_timeout_sec >= 0 ? (long)(s->cfg->tool_timeout_sec * 1000) : DEFAULT_TOOL_MS;
    json_object *res = NULL;
    cx_mcp_rpc_fail f;
    int rc = cx__mcp_rpc_call(s->rpc, "tools/call", params, timeout, env->cancel, &res, &f);
    if (rc == CX_ECANCELED) {
        json_object_put(item);
        json_object_put(args);
        cx_tool_output_setf(out, false, "aborted");
        return CX_ECANCELED;
    }
    cx_buf cause = CX_BUF_INIT;
    if (rc == 0) {
        int orc = cx__mcp_result_output(res, out);
        if (orc == 1) cx__buf_puts(&cause, "Unexpected response type");
        if (orc < 0) rc = orc;
    } else if (rc == 1) {
        cx__buf_printf(&cause, "Mcp error: %lld: %s", (long long)f.code, f.message);
    } else if (rc == CX_ETIMEOUT) {
        char d[64];
        duration_text(timeout, d, sizeof d);
        cx__buf_printf(&cause, "timed out awaiting tools/call after %s", d);
    } else {
        cx__buf_puts(&cause, f.message);
    }
    if (cause.len) {
        cx_buf full = CX_BUF_INIT;
        cx__buf_printf(&full, "tool call error: tool call failed for `%s/%s`\n\nCaused by:\n    %s",
                       server, ts->tool, cx__buf_str(&cause));
        cx_tool_output_clear(out);
        error_output(out, cx__buf_str(&full));
        json_object *e = json_object_new_object();
        cx__json_set_str(e, "message", cx__buf_str(&full));
        cx__json_set(item, "error", e);
        cx__json_set_str(item, "status", "failed");
        cx__buf_free(&full);
    } else if (rc == 0) {
        bool is_error = false;
        cx__json_get_bool(res, "isError", &is_error);
        out->success = !is_error;
        json_object *r = json_object_new_object();
        json_object *content = cx__json_get(res, "content");
        cx__json_set(r, "content", content ? json_object_get(content) : json_object_new_array());
        cx__json_set(r, "structured_content",
                     json_object_get(cx__json_get(res, "structuredContent")));
        cx__json_set(item, "result", r);
        cx__json_set_str(item, "status", is_error ? "failed" : "completed");
    }
    cx__buf_free(&cause);
    emit(env, CX_EV_ITEM_COMPLETED, item);
    json_object_put(res);
    json_object_put(args);
    return rc < 0 && rc != CX_ETIMEOUT && rc != CX_ENET && rc != CX_EPARSE ? rc : 0;
}

/* ---- resource tools --------------------------------------------------------------------- */

static cx__mcp_server *ready_server(cx_mcp *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->cfgs[i].name, name))
            return m->servers[i].state == CX__MCP_READY ? &m->servers[i] : NULL;
    return NULL;
}

static long server_timeout(const cx__mcp_server *s)
{
    return s->cfg->tool_timeout_sec >= 0 ? (long)(s->cfg->tool_timeout_sec * 1000)
                                         : DEFAULT_TOOL_MS;
}

/* One resources request; 0 with *res, else a message in *err_text. */
static int resource_call(cx__mcp_server *s, const char *method, json_object *params,
                         const cx_tool_env *env, json_object **res, cx_buf *err_text)
{
    cx_mcp_rpc_fail f;
    int rc = cx__mcp_rpc_call(s->rpc, method, params, server_timeout(s), env->cancel, res, &f);
    if (rc == 1)
        cx__buf_printf(err_text, "%s failed: Mcp error: %lld: %s", method, (long long)f.code,
                       f.message);
    else if (rc != 0)
        cx__buf_printf(err_text, "%s failed: %s", method, f.message);
    return rc;
}

typedef enum res_kind { RES_LIST, RES_TEMPLATES, RES_READ } res_kind;

static int resource_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                            cx_tool_output *out)
{
    cx_mcp *m = *(cx_mcp **)state;
    res_kind kind = !strcmp(call->name, "list_mcp_resources")            ? RES_LIST
                    : !strcmp(call->name, "list_mcp_resource_templates") ? RES_TEMPLATES
                                                                         : RES_READ;
    const char *method = kind == RES_LIST        ? "resources/list"
                         : kind == RES_TEMPLATES ? "resources/templates/list"
                                                 : "resources/read";
    const char *key = kind == RES_TEMPLATES ? "resourceTemplates" : "resources";
    char *msg = NULL;
    bool absent;
    json_object *args = parse_args(call->input, &msg, &absent);
    if (!args && !absent) {
        cx_tool_output_setf(out, false, "failed to parse function arguments: %s", msg ?: "");
        free(msg);
        return 0;
    }
    if (!args) args = json_object_new_object();
    const char *server = cx__json_get_str(args, "server");
    const char *cursor = cx__json_get_str(args, "cursor");
    const char *uri = cx__json_get_str(args, "uri");
    json_object *item = call_item(call->call_id, server ? server : "codex", call->name, args);
    emit(env, CX_EV_ITEM_STARTED, json_object_get(item));
    cx_buf err_text = CX_BUF_INIT;
    json_object *payload = NULL, *res = NULL;
    if (kind == RES_READ && (!server || !uri)) {
        cx__buf_printf(&err_text, "failed to parse function arguments: missing field `%s`",
                       server ? "uri" : "server");
    } else if (server) {
        cx__mcp_server *s = ready_server(m, server);
        if (!s) {
            cx__buf_printf(&err_text, "unknown MCP server '%s'", server);
        } else {
            json_object *params = json_object_new_object();
            if (kind == RES_READ) cx__json_set_str(params, "uri", uri);
            if (cursor && kind != RES_READ) cx__json_set_str(params, "cursor", cursor);
            if (resource_call(s, method, params, env, &res, &err_text) == 0) {
                payload = json_object_new_object();
                cx__json_set_str(payload, "server", server);
                if (kind == RES_READ) {
                    cx__json_set_str(payload, "uri", uri);
                    json_object *c = cx__json_get(res, "contents");
                    cx__json_set(payload, "contents",
                                 c ? json_object_get(c) : json_object_new_array());
                } else {
                    json_object *l = cx__json_get(res, key);
                    cx__json_set(payload, key, l ? json_object_get(l) : json_object_new_array());
                    const char *next = cx__json_get_str(res, "nextCursor");
                    if (next) cx__json_set_str(payload, "nextCursor", next);
                }
            }
        }
    } else if (cursor) {
        cx__buf_puts(&err_text, "cursor can only be used when a server is specified");
    } else {
        /* every ready server, each entry tagged with its server */
        payload = json_object_new_object();
        json_object *all = json_object_new_array();
        for (size_t i = 0; i < m->n && !err_text.len; i++) {
            cx__mcp_server *s = &m->servers[i];
            if (s->state != CX__MCP_READY) continue;
            if (resource_call(s, method, json_object_new_object(), env, &res, &err_text) != 0)
                break;
            json_object *l = cx__json_get(res, key);
            size_t n = json_object_is_type(l, json_type_array) ? json_object_array_length(l) : 0;
            for (size_t k = 0; k < n; k++) {
                json_object *e = json_object_array_get_idx(l, k);
                json_object *tagged = json_object_new_object();
                cx__json_set_str(tagged, "server", s->cfg->name);
                json_object_object_foreach(e, ek, ev)
                {
                    if (strcmp(ek, "server") != 0) cx__json_set(tagged, ek, json_object_get(ev));
                }
                json_object_array_add(all, tagged);
            }
            json_object_put(res);
            res = NULL;
        }
        cx__json_set(payload, key, all);
    }
    json_object *r = json_object_new_object();
    json_object *content = json_object_new_array();
    json_object *block = json_object_new_object();
    cx__json_set_str(block, "type", "text");
    if (err_text.len) {
        cx_tool_output_setf(out, false, "%s", cx__buf_str(&err_text));
        json_object *e = json_object_new_object();
        cx__json_set_str(e, "message", cx__buf_str(&err_text));
        cx__json_set(item, "error", e);
        cx__json_set_str(item, "status", "failed");
        json_object_put(block);
        json_object_put(content);
        json_object_put(r);
    } else {
        out->text = cx__json_to_string(payload);
        out->success = true;
        cx__json_set_str(block, "text", out->text);
        json_object_array_add(content, block);
        cx__json_set(r, "content", content);
        cx__json_set(r, "structured_content", NULL);
        cx__json_set(item, "result", r);
        cx__json_set_str(item, "status", "completed");
    }
    emit(env, CX_EV_ITEM_COMPLETED, item);
    cx__buf_free(&err_text);
    json_object_put(payload);
    json_object_put(res);
    json_object_put(args);
    return 0;
}

static json_object *str_prop(const char *desc)
{
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "type", "string");
    cx__json_set_str(p, "description", desc);
    return p;
}

static json_object *resource_spec(res_kind kind)
{
    static const char *const names[] = {"list_mcp_resources", "list_mcp_resource_templates",
                                        "read_mcp_resource"};
    static const char *const descs[] = {
        "Lists resources provided by MCP servers. Resources let servers share data such as "
        "files, database schemas or application-specific information. Prefer resources over "
        "web search when possible.",
        "Lists resource templates provided by MCP servers. Parameterized resource templates let "
        "servers share data that takes parameters. Prefer resource templates over web search "
        "when possible.",
        "Reads one resource from an MCP server, given the server name and the resource URI."};
    json_object *spec = json_object_new_object();
    cx__json_set_str(spec, "type", "function");
    cx__json_set_str(spec, "name", names[kind]);
    cx__json_set_str(spec, "description", descs[kind]);
    cx__json_set(spec, "strict", json_object_new_boolean(false));
    json_object *params = json_object_new_object();
    cx__json_set_str(params, "type", "object");
    json_object *props = json_object_new_object();
    if (kind == RES_READ) {
        cx__json_set(props, "server",
                     str_prop("MCP server name exactly as configured; it must match the 'server' "
                              "field returned by list_mcp_resources."));
        cx__json_set(props, "uri",
                     str_prop("Resource URI to read; one of the URIs returned by "
                              "list_mcp_resources."));
    } else {
        cx__json_set(props, "cursor",
                     str_prop("Opaque cursor returned by a previous call of this tool for the "
                              "same server."));
        cx__json_set(props, "server",
                     str_prop("Optional MCP server name. When omitted, every configured server "
                              "is listed."));
    }
    cx__json_set(params, "properties", props);
    if (kind == RES_READ) {
        json_object *req = json_object_new_array();
        json_object_array_add(req, json_object_new_string("server"));
        json_object_array_add(req, json_object_new_string("uri"));
        cx__json_set(params, "required", req);
    }
    cx__json_set(params, "additionalProperties", json_object_new_boolean(false));
    cx__json_set(spec, "parameters", params);
    return spec;
}

/* Where the resource tools go: right after write_stdin (or the shell tool
 * standing in for it), as upstream orders them. */
static size_t resource_slot(const cx_tool_registry *reg)
{
    static const char *const anchors[] = {"write_stdin", "shell_command", "shell"};
    for (size_t a = 0; a < sizeof anchors / sizeof *anchors; a++)
        for (size_t i = 0; i < cx_tools_count(reg); i++) {
            const cx_tool_def *d = cx_tools_at(reg, i);
            if (d->spec && !strcmp(d->name, anchors[a])) return i + 1;
        }
    return 0;
}

typedef struct named {
    char *qualified;
    size_t server;
    json_object *tool;
} named;

static int by_qualified(const void *a, const void *b)
{
    return strcmp(((const named *)a)->qualified, ((const named *)b)->qualified);
}

static int add_server_tools(cx_mcp *m, cx_tool_registry *reg)
{
    size_t total = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->servers[i].state == CX__MCP_READY)
            total += json_object_array_length(m->servers[i].tools);
    named *all = calloc(total ? total : 1, sizeof *all);
    if (!all) return CX_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->servers[i].state != CX__MCP_READY) continue;
        size_t n = json_object_array_length(m->servers[i].tools);
        for (size_t j = 0; j < n; j++) {
            json_object *t = json_object_array_get_idx(m->servers[i].tools, j);
            char *q = cx__mcp_qualified_name(m->cfgs[i].name, cx__json_get_str(t, "name"));
            if (q) all[k++] = (named){q, i, t};
        }
    }
    qsort(all, k, sizeof *all, by_qualified);
    int rc = 0;
    for (size_t i = 0; i < k; i++) {
        /* a name that sanitises onto an earlier one is skipped, as upstream does */
        if (rc || (i && !strcmp(all[i].qualified, all[i - 1].qualified)) ||
            cx_tools_find(reg, all[i].qualified))
            continue;
        tool_state *ts = calloc(1, sizeof *ts);
        if (!ts) {
            rc = CX_ENOMEM;
            continue;
        }
        ts->m = m;
        ts->server = all[i].server;
        ts->tool = strdup(cx__json_get_str(all[i].tool, "name"));
        json_object *spec = json_object_new_object();
        cx__json_set_str(spec, "type", "function");
        cx__json_set_str(spec, "name", all[i].qualified);
        cx__json_set_str(spec, "description", cx__json_get_str(all[i].tool, "description") ?: "");
        cx__json_set(spec, "strict", json_object_new_boolean(false));
        cx__json_set(spec, "parameters",
                     cx__mcp_sanitize_schema(cx__json_get(all[i].tool, "inputSchema")));
        cx_tool_def def = {.name = all[i].qualified,
                           .kind = CX_TOOL_FUNCTION,
                           .parallel = false,
                           .spec = spec,
                           .handler = mcp_tool_handler,
                           .state = ts,
                           .state_free = tool_state_free};
        rc = cx_tools_add(reg, &def);
    }
    for (size_t i = 0; i < k; i++)
        free(all[i].qualified);
    free(all);
    return rc;
}

int cx__mcp_register(cx_mcp *m, cx_tool_registry *reg)
{
    if (!m || !cx__mcp_enabled_count(m)) return 0;
    size_t pos = resource_slot(reg);
    for (res_kind k = RES_LIST; k <= RES_READ; k++) {
        cx_mcp **st = malloc(sizeof(cx_mcp *));
        if (!st) return CX_ENOMEM;
        *st = m;
        json_object *spec = resource_spec(k);
        cx_tool_def def = {.name = cx__json_get_str(spec, "name"),
                           .kind = CX_TOOL_FUNCTION,
                           .spec = spec,
                           .handler = resource_handler,
                           .state = st,
                           .state_free = free};
        int rc = cx_tools_insert(reg, pos + (size_t)k, &def);
        if (rc) return rc;
    }
    return add_server_tools(m, reg);
}
