/* Reading `[mcp_servers.NAME]` tables. Unknown keys are ignored, as upstream
 * ignores them; values of the wrong type stop the load with the key named. */
#include "mcp/servers.h"

#include "base/json.h"

#include <stdlib.h>
#include <string.h>

bool cx__mcp_name_valid(const char *name)
{
    if (!name || !*name) return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

static char **strv_empty(void)
{
    return calloc(1, sizeof(char *));
}

static void strv_free(char **v)
{
    if (!v) return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* A string array at key: NULL with *bad set when the value is not one. */
static char **read_strv(const json_object *t, const char *key, bool *bad)
{
    json_object *a = cx__json_get(t, key);
    if (!a) return NULL;
    if (!json_object_is_type(a, json_type_array)) {
        *bad = true;
        return NULL;
    }
    size_t n = json_object_array_length(a);
    char **v = calloc(n + 1, sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(a, i);
        if (!json_object_is_type(e, json_type_string)) {
            *bad = true;
            strv_free(v);
            return NULL;
        }
        v[i] = strdup(json_object_get_string(e));
    }
    return v;
}

/* An object of strings at key (new reference), NULL when absent. */
static json_object *read_map(const json_object *t, const char *key, bool *bad)
{
    json_object *o = cx__json_get(t, key);
    if (!o) return NULL;
    if (!json_object_is_type(o, json_type_object)) {
        *bad = true;
        return NULL;
    }
    json_object_object_foreach(o, k, v)
    {
        (void)k;
        if (!json_object_is_type(v, json_type_string)) *bad = true;
    }
    return *bad ? NULL : json_object_get(o);
}

static char *read_str(const json_object *t, const char *key, bool *bad)
{
    json_object *o = cx__json_get(t, key);
    if (!o) return NULL;
    if (!json_object_is_type(o, json_type_string)) {
        *bad = true;
        return NULL;
    }
    return strdup(json_object_get_string(o));
}

static double read_secs(const json_object *t, const char *key, bool *bad)
{
    json_object *o = cx__json_get(t, key);
    if (!o) return -1;
    if (json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double)) {
        double d = json_object_get_double(o);
        if (d >= 0 && d < 1e9) return d;
    }
    *bad = true;
    return -1;
}

static bool read_bool(const json_object *t, const char *key, bool dflt, bool *bad)
{
    json_object *o = cx__json_get(t, key);
    if (!o) return dflt;
    if (!json_object_is_type(o, json_type_boolean)) {
        *bad = true;
        return dflt;
    }
    return json_object_get_boolean(o);
}

static void server_clear(cx_mcp_server_cfg *s)
{
    free(s->name);
    free(s->command);
    strv_free(s->args);
    json_object_put(s->env);
    strv_free(s->env_vars);
    free(s->cwd);
    free(s->url);
    free(s->bearer_token_env_var);
    json_object_put(s->http_headers);
    json_object_put(s->env_http_headers);
    strv_free(s->enabled_tools);
    strv_free(s->disabled_tools);
}

void cx__mcp_servers_free(cx_mcp_server_cfg *s, size_t n)
{
    if (!s) return;
    for (size_t i = 0; i < n; i++)
        server_clear(&s[i]);
    free(s);
}

/* Reads one table; returns the offending key, or NULL when it is well formed. */
static const char *read_server(const char *name, const json_object *t, cx_mcp_server_cfg *s)
{
    static const char *const keys[] = {"command",
                                       "args",
                                       "env",
                                       "env_vars",
                                       "cwd",
                                       "url",
                                       "bearer_token_env_var",
                                       "http_headers",
                                       "env_http_headers",
                                       "startup_timeout_sec",
                                       "tool_timeout_sec",
                                       "enabled",
                                       "required",
                                       "enabled_tools",
                                       "disabled_tools"};
    bool bad[sizeof keys / sizeof *keys] = {0};
    s->name = strdup(name);
    s->command = read_str(t, "command", &bad[0]);
    s->args = read_strv(t, "args", &bad[1]);
    s->env = read_map(t, "env", &bad[2]);
    s->env_vars = read_strv(t, "env_vars", &bad[3]);
    s->cwd = read_str(t, "cwd", &bad[4]);
    s->url = read_str(t, "url", &bad[5]);
    s->bearer_token_env_var = read_str(t, "bearer_token_env_var", &bad[6]);
    s->http_headers = read_map(t, "http_headers", &bad[7]);
    s->env_http_headers = read_map(t, "env_http_headers", &bad[8]);
    s->startup_timeout_sec = read_secs(t, "startup_timeout_sec", &bad[9]);
    s->tool_timeout_sec = read_secs(t, "tool_timeout_sec", &bad[10]);
    s->enabled = read_bool(t, "enabled", true, &bad[11]);
    s->required = read_bool(t, "required", false, &bad[12]);
    s->enabled_tools = read_strv(t, "enabled_tools", &bad[13]);
    s->disabled_tools = read_strv(t, "disabled_tools", &bad[14]);
    if (!s->args) s->args = strv_empty();
    if (!s->env_vars) s->env_vars = strv_empty();
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (bad[i]) return keys[i];
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const cx_mcp_server_cfg *)a)->name, ((const cx_mcp_server_cfg *)b)->name);
}

int cx__mcp_servers_parse(const json_object *root, cx_mcp_server_cfg **out, size_t *n,
                          cx_error *err)
{
    *out = NULL;
    *n = 0;
    json_object *tbl = root ? cx__json_get(root, "mcp_servers") : NULL;
    if (!tbl) return 0;
    if (!json_object_is_type(tbl, json_type_object))
        return cx_error_set(err, CX_ECONFIG, "mcp_servers: expected a table");
    size_t count = (size_t)json_object_object_length(tbl);
    cx_mcp_server_cfg *s = calloc(count ? count : 1, sizeof *s);
    if (!s) return cx_error_set(err, CX_ENOMEM, "out of memory");
    size_t i = 0;
    json_object_object_foreach(tbl, name, t)
    {
        if (!json_object_is_type(t, json_type_object)) {
            cx__mcp_servers_free(s, i);
            return cx_error_set(err, CX_ECONFIG, "mcp_servers.%s: expected a table", name);
        }
        const char *badkey = read_server(name, t, &s[i]);
        i++;
        if (!badkey && !s[i - 1].command && !s[i - 1].url) badkey = "command";
        if (badkey) {
            cx__mcp_servers_free(s, i);
            return cx_error_set(err, CX_ECONFIG, "mcp_servers.%s.%s: invalid value", name, badkey);
        }
    }
    qsort(s, count, sizeof *s, by_name);
    *out = s;
    *n = count;
    return 0;
}
