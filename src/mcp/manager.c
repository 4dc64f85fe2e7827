/* Starting and stopping the configured MCP servers. Each enabled server gets
 * a thread for its handshake (initialize, notifications/initialized, the GET
 * stream for HTTP, tools/list), bounded by its startup timeout; failures are
 * worded as upstream prints them and leave the session running unless the
 * server is `required`. */
#include "mcp/manager.h"

#include "base/buf.h"
#include "base/json.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STARTUP_MS 10000
#define MAX_TOOL_PAGES 64

/* The parent variables a stdio server inherits (upstream's allow-list). */
static const char *const INHERITED_ENV[] = {"HOME", "LOGNAME", "PATH", "SHELL",  "USER",
                                            "LANG", "LC_ALL",  "TERM", "TMPDIR", "TZ"};

static void status(cx_mcp *m, cx__mcp_server *s, const char *state)
{
    pthread_mutex_lock(&m->status_lock);
    if (m->status_fn) m->status_fn(m->status_user, s->cfg->name, state, s->error);
    pthread_mutex_unlock(&m->status_lock);
}

static void fail(cx__mcp_server *s, const char *cause)
{
    s->state = CX__MCP_FAILED;
    free(s->cause);
    free(s->error);
    s->cause = strdup(cause);
    cx_buf b = CX_BUF_INIT;
    cx__buf_printf(&b, "MCP client for `%s` failed to start: MCP startup failed: %s", s->cfg->name,
                   cause);
    s->error = cx__buf_steal(&b);
}

static void fail_timeout(cx__mcp_server *s, long ms)
{
    s->state = CX__MCP_FAILED;
    free(s->cause);
    free(s->error);
    cx_buf b = CX_BUF_INIT;
    cx__buf_printf(&b,
                   "MCP client for `%s` timed out after %ld seconds. Add or adjust "
                   "`startup_timeout_sec` in your config.toml:\n[mcp_servers.%s]\n"
                   "startup_timeout_sec = XX",
                   s->cfg->name, ms / 1000, s->cfg->name);
    s->error = cx__buf_steal(&b);
    b = (cx_buf)CX_BUF_INIT;
    cx__buf_printf(&b, "request timed out after %ld seconds", ms / 1000);
    s->cause = cx__buf_steal(&b);
}

/* NULL-terminated "NAME=VALUE" list: the allow-listed parent variables, then
 * env_vars, then the server's env table (later entries win). */
static char **child_env(const cx_mcp_server_cfg *c)
{
    json_object *env = json_object_new_object();
    for (size_t i = 0; i < sizeof INHERITED_ENV / sizeof *INHERITED_ENV; i++) {
        const char *v = getenv(INHERITED_ENV[i]);
        if (v) cx__json_set_str(env, INHERITED_ENV[i], v);
    }
    for (char **p = c->env_vars; *p; p++) {
        const char *v = getenv(*p);
        if (v) cx__json_set_str(env, *p, v);
    }
    if (c->env) {
        json_object_object_foreach(c->env, k, v)
            cx__json_set_str(env, k, json_object_get_string(v));
    }
    size_t n = (size_t)json_object_object_length(env), i = 0;
    char **out = calloc(n + 1, sizeof *out);
    if (out) {
        json_object_object_foreach(env, k, v)
        {
            if (asprintf(&out[i], "%s=%s", k, json_object_get_string(v)) < 0) out[i] = NULL;
            if (out[i]) i++;
        }
    }
    json_object_put(env);
    return out;
}

static void strv_free(char **v)
{
    if (!v) return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* "Name: value" lines for every HTTP request: http_headers, env_http_headers
 * (variables that are set), and the bearer token. NULL + *cause on error. */
static char **http_headers(const cx_mcp_server_cfg *c, bool *bearer, char **cause)
{
    json_object *h = json_object_new_object();
    if (c->http_headers) {
        json_object_object_foreach(c->http_headers, k, v)
            cx__json_set_str(h, k, json_object_get_string(v));
    }
    if (c->env_http_headers) {
        json_object_object_foreach(c->env_http_headers, k, v)
        {
            const char *val = getenv(json_object_get_string(v));
            if (val && *val) cx__json_set_str(h, k, val);
        }
    }
    *bearer = false;
    if (c->bearer_token_env_var) {
        const char *tok = getenv(c->bearer_token_env_var);
        if (!tok || !*tok) {
            if (asprintf(cause, "Environment variable %s for MCP server '%s' is empty",
                         c->bearer_token_env_var, c->name) < 0)
                *cause = NULL;
            json_object_put(h);
            return NULL;
        }
        char *v = NULL;
        if (asprintf(&v, "Bearer %s", tok) >= 0) cx__json_set_str(h, "Authorization", v);
        free(v);
        *bearer = true;
    }
    size_t n = (size_t)json_object_object_length(h), i = 0;
    char **out = calloc(n + 1, sizeof *out);
    if (out) {
        json_object_object_foreach(h, k, v)
        {
            if (asprintf(&out[i], "%s: %s", k, json_object_get_string(v)) >= 0) i++;
        }
    }
    json_object_put(h);
    return out;
}

static bool tool_allowed(const cx_mcp_server_cfg *c, const char *name)
{
    if (c->enabled_tools) {
        bool found = false;
        for (char **p = c->enabled_tools; *p && !found; p++)
            found = !strcmp(*p, name);
        if (!found) return false;
    }
    if (c->disabled_tools)
        for (char **p = c->disabled_tools; *p; p++)
            if (!strcmp(*p, name)) return false;
    return true;
}

static long startup_ms(const cx_mcp_server_cfg *c)
{
    return c->startup_timeout_sec >= 0 ? (long)(c->startup_timeout_sec * 1000) : DEFAULT_STARTUP_MS;
}

static int connect_server(cx_mcp *m, cx__mcp_server *s)
{
    const cx_mcp_server_cfg *c = s->cfg;
    cx_error err;
    cx_error_clear(&err);
    if (c->command) {
        char **envp = child_env(c);
        cx_mcp_stdio_opts o = {c->command, (const char *const *)c->args, (const char *const *)envp,
                               c->cwd ? c->cwd : m->cwd};
        s->stdio = envp ? cx__mcp_stdio_start(&o, &err) : NULL;
        strv_free(envp);
        if (!s->stdio) {
            fail(s, err.msg[0] ? err.msg : "out of memory");
            return -1;
        }
        s->rpc = cx__mcp_stdio_rpc(s->stdio);
        return 0;
    }
    char *cause = NULL;
    bool bearer = false;
    char **headers = http_headers(c, &bearer, &cause);
    if (!headers) {
        fail(s, cause ? cause : "out of memory");
        free(cause);
        return -1;
    }
    /* each probe may take a quarter of the start-up budget (3 s at most), so the
     * handshake keeps time of its own */
    long probe = startup_ms(c) / 4;
    cx_mcp_http_opts o = {c->url, (const char *const *)headers, bearer,
                          probe > 3000 ? 3000
                          : probe > 0  ? probe
                                       : 1};
    s->http = cx__mcp_http_new(&o, &err);
    strv_free(headers);
    if (!s->http) {
        fail(s, err.msg);
        return -1;
    }
    s->rpc = cx__mcp_http_rpc(s->http);
    return 0;
}

static json_object *initialize_params(void)
{
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "protocolVersion", "2025-06-18");
    cx__json_set(p, "capabilities", json_object_new_object());
    json_object *ci = json_object_new_object();
    cx__json_set_str(ci, "name", "codex-mcp-client");
    cx__json_set_str(ci, "title", "Codex");
    cx__json_set_str(ci, "version", "0.115.0");
    cx__json_set(p, "clientInfo", ci);
    return p;
}

/* The handshake failure text for a failed request during start-up. */
static void handshake_failed(cx__mcp_server *s, int rc, const cx_mcp_rpc_fail *f, long budget,
                             const char *what)
{
    if (rc == CX_ETIMEOUT) {
        fail_timeout(s, budget);
        return;
    }
    cx_buf b = CX_BUF_INIT;
    if (rc == 1)
        cx__buf_printf(&b, "handshaking with MCP server failed: Mcp error: %lld: %s",
                       (long long)f->code, f->message);
    else
        cx__buf_printf(&b, "handshaking with MCP server failed: %s: %s", f->message, what);
    fail(s, cx__buf_str(&b));
    cx__buf_free(&b);
}

/* A server that failed its handshake is dropped at once. */
static void drop(cx__mcp_server *s)
{
    cx__mcp_stdio_kill(s->stdio);
    cx__mcp_stdio_free(s->stdio);
    cx__mcp_http_free(s->http);
    s->stdio = NULL;
    s->http = NULL;
    s->rpc = NULL;
}

static void *start_one(void *arg)
{
    cx__mcp_server *s = arg;
    cx_mcp *m = s->owner;
    const cx_mcp_server_cfg *c = s->cfg;
    long budget = startup_ms(c);
    int64_t deadline = cx__mcp_now_ms() + budget;
    if (!cx__mcp_name_valid(c->name)) {
        char msg[600];
        snprintf(msg, sizeof msg, "Invalid MCP server name '%s': must match pattern %s", c->name,
                 "^[a-zA-Z0-9_-]+$");
        fail(s, msg);
        status(m, s, "failed");
        return NULL;
    }
    if (connect_server(m, s) != 0) {
        status(m, s, "failed");
        return NULL;
    }
    json_object *res = NULL;
    cx_mcp_rpc_fail f;
    long left = (long)(deadline - cx__mcp_now_ms());
    int rc = cx__mcp_rpc_call(s->rpc, "initialize", initialize_params(), left > 1 ? left : 1, NULL,
                              &res, &f);
    if (rc == 0 && !json_object_is_type(res, json_type_object)) {
        rc = CX_EPARSE;
        snprintf(f.message, sizeof f.message, "invalid initialize result");
    }
    if (rc != 0) {
        json_object_put(res);
        handshake_failed(s, rc, &f, budget, "initialize response");
        drop(s);
        status(m, s, "failed");
        return NULL;
    }
    json_object_put(res);
    cx_error err;
    cx__mcp_rpc_notify(s->rpc, "notifications/initialized", NULL, &err);
    if (s->http) cx__mcp_http_open_stream(s->http);
    json_object *tools = json_object_new_array();
    char *cursor = NULL;
    for (int page = 0; page < MAX_TOOL_PAGES; page++) {
        json_object *params = json_object_new_object();
        if (cursor) cx__json_set_str(params, "cursor", cursor);
        left = (long)(deadline - cx__mcp_now_ms());
        rc = cx__mcp_rpc_call(s->rpc, "tools/list", params, left > 1 ? left : 1, NULL, &res, &f);
        free(cursor);
        cursor = NULL;
        if (rc != 0) break;
        json_object *list = cx__json_get(res, "tools");
        size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
        for (size_t i = 0; i < n; i++) {
            json_object *t = json_object_array_get_idx(list, i);
            const char *name = cx__json_get_str(t, "name");
            if (name && tool_allowed(c, name)) json_object_array_add(tools, json_object_get(t));
        }
        const char *next = cx__json_get_str(res, "nextCursor");
        cursor = next && *next ? strdup(next) : NULL;
        json_object_put(res);
        res = NULL;
        if (!cursor) break;
    }
    free(cursor);
    if (rc != 0) {
        json_object_put(tools);
        handshake_failed(s, rc, &f, budget, "tools/list response");
        drop(s);
        status(m, s, "failed");
        return NULL;
    }
    s->tools = tools;
    s->state = CX__MCP_READY;
    status(m, s, "ready");
    return NULL;
}

cx_mcp *cx__mcp_new(const cx_config *cfg, const char *cwd, cx_error *err)
{
    cx_mcp *m = calloc(1, sizeof *m);
    if (!m) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->status_lock, NULL);
    m->cwd = cwd ? strdup(cwd) : NULL;
    if (cx__mcp_servers_parse(cfg ? cfg->root : NULL, &m->cfgs, &m->n, err) != 0) {
        cx__mcp_free(m);
        return NULL;
    }
    m->servers = calloc(m->n ? m->n : 1, sizeof *m->servers);
    if (!m->servers) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        cx__mcp_free(m);
        return NULL;
    }
    for (size_t i = 0; i < m->n; i++) {
        m->servers[i].cfg = &m->cfgs[i];
        m->servers[i].owner = m;
    }
    return m;
}

void cx__mcp_free(cx_mcp *m)
{
    if (!m) return;
    for (size_t i = 0; m->servers && i < m->n; i++)
        cx__mcp_stdio_terminate(m->servers[i].stdio);
    for (size_t i = 0; m->servers && i < m->n; i++) {
        cx__mcp_server *s = &m->servers[i];
        cx__mcp_stdio_free(s->stdio);
        cx__mcp_http_free(s->http);
        json_object_put(s->tools);
        free(s->error);
        free(s->cause);
    }
    free(m->servers);
    cx__mcp_servers_free(m->cfgs, m->n);
    free(m->cwd);
    pthread_mutex_destroy(&m->status_lock);
    free(m);
}

bool cx__mcp_has_required(const cx_mcp *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->cfgs[i].enabled && m->cfgs[i].required) return true;
    return false;
}

size_t cx__mcp_enabled_count(const cx_mcp *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        k += m->cfgs[i].enabled;
    return k;
}

int cx__mcp_start(cx_mcp *m, cx_mcp_status_fn fn, void *user, cx_error *err)
{
    m->status_fn = fn;
    m->status_user = user;
    pthread_t *th = calloc(m->n ? m->n : 1, sizeof *th);
    bool *started = calloc(m->n ? m->n : 1, sizeof *started);
    if (!th || !started) {
        free(th);
        free(started);
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m->n; i++)
        if (m->cfgs[i].enabled) {
            m->servers[i].state = CX__MCP_STARTING;
            status(m, &m->servers[i], "starting");
        }
    for (size_t i = 0; i < m->n; i++) {
        if (!m->cfgs[i].enabled) continue;
        started[i] = pthread_create(&th[i], NULL, start_one, &m->servers[i]) == 0;
        if (!started[i]) start_one(&m->servers[i]);
    }
    for (size_t i = 0; i < m->n; i++)
        if (started[i]) pthread_join(th[i], NULL);
    free(th);
    free(started);
    m->status_fn = NULL;
    cx_buf b = CX_BUF_INIT;
    for (size_t i = 0; i < m->n; i++) {
        const cx__mcp_server *s = &m->servers[i];
        if (!s->cfg->required || s->state != CX__MCP_FAILED) continue;
        cx__buf_printf(&b, "%s%s: %s", b.len ? "; " : "", s->cfg->name, s->cause ? s->cause : "");
    }
    int rc = 0;
    if (b.len)
        rc = cx_error_set(err, CX_ECONFIG, "required MCP servers failed to initialize: %s",
                          cx__buf_str(&b));
    cx__buf_free(&b);
    return rc;
}

char *cx__mcp_summary(const cx_mcp *m)
{
    cx_buf ready = CX_BUF_INIT, failed = CX_BUF_INIT, out = CX_BUF_INIT;
    for (size_t i = 0; i < m->n; i++) {
        const cx__mcp_server *s = &m->servers[i];
        cx_buf *b = s->state == CX__MCP_READY    ? &ready
                    : s->state == CX__MCP_FAILED ? &failed
                                                 : NULL;
        if (b) cx__buf_printf(b, "%s%s", b->len ? ", " : "", s->cfg->name);
    }
    if (ready.len) cx__buf_printf(&out, "ready: %s", cx__buf_str(&ready));
    if (failed.len) cx__buf_printf(&out, "%sfailed: %s", out.len ? "; " : "", cx__buf_str(&failed));
    if (!out.len) cx__buf_puts(&out, "no servers");
    cx__buf_free(&ready);
    cx__buf_free(&failed);
    return cx__buf_steal(&out);
}
