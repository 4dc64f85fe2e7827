/* shell_environment_policy: see shell_env.h. */
#include "tools/shell_env.h"

#include "base/json.h"
#include "ccodex/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What inherit = "core" keeps: enough for a shell to find programs and a home. */
static const char *const CORE_VARS[] = {"HOME",     "LOGNAME", "PATH", "SHELL", "USER",
                                        "USERNAME", "TMPDIR",  "TEMP", "TMP",   NULL};
static const char *const DEFAULT_EXCLUDES[] = {"*KEY*", "*SECRET*", "*TOKEN*", NULL};

bool cx__shell_env_match(const char *pattern, const char *name)
{
    /* iterative glob with single-star backtracking */
    const char *star = NULL, *resume = NULL;
    while (*name) {
        if (*pattern == '*') {
            star = pattern++;
            resume = name;
        } else if (*pattern == '?' || (*pattern && tolower((unsigned char)*pattern) ==
                                                       tolower((unsigned char)*name))) {
            pattern++;
            name++;
        } else if (star) {
            pattern = star + 1;
            name = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

typedef struct {
    char **v;
    size_t n, cap;
} vars;

static char *name_of(const char *kv, char *buf, size_t size)
{
    size_t n = strcspn(kv, "=");
    if (n >= size) n = size - 1;
    memcpy(buf, kv, n);
    buf[n] = '\0';
    return buf;
}

static bool any_match(const json_object *patterns, const char *const *builtin, const char *name)
{
    if (builtin)
        for (size_t i = 0; builtin[i]; i++)
            if (cx__shell_env_match(builtin[i], name)) return true;
    if (patterns && json_object_is_type(patterns, json_type_array)) {
        size_t n = json_object_array_length(patterns);
        for (size_t i = 0; i < n; i++) {
            const char *p = json_object_get_string(json_object_array_get_idx(patterns, i));
            if (p && cx__shell_env_match(p, name)) return true;
        }
    }
    return false;
}

static int vars_put(vars *vs, const char *kv)
{
    char name[256], other[256];
    name_of(kv, name, sizeof name);
    for (size_t i = 0; i < vs->n; i++) {
        if (!strcmp(name_of(vs->v[i], other, sizeof other), name)) {
            char *copy = strdup(kv);
            if (!copy) return -1;
            free(vs->v[i]);
            vs->v[i] = copy;
            return 0;
        }
    }
    if (vs->n + 1 >= vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 64;
        char **p = realloc(vs->v, cap * sizeof *p);
        if (!p) return -1;
        vs->v = p;
        vs->cap = cap;
    }
    if (!(vs->v[vs->n] = strdup(kv))) return -1;
    vs->n++;
    vs->v[vs->n] = NULL;
    return 0;
}

static void vars_drop(vars *vs, size_t i)
{
    free(vs->v[i]);
    memmove(&vs->v[i], &vs->v[i + 1], (vs->n - i) * sizeof *vs->v); /* moves the NULL too */
    vs->n--;
}

char **cx__shell_env_build(char *const *base, const json_object *policy, const char *const *extra)
{
    vars vs = {0};
    if (vars_put(&vs, "_=x")) goto oom; /* makes sure v is allocated and NULL-terminated */
    vars_drop(&vs, 0);

    const char *inherit = policy ? cx__json_get_str(policy, "inherit") : NULL;
    bool ignore_default_excludes = true;
    if (policy) cx__json_get_bool(policy, "ignore_default_excludes", &ignore_default_excludes);
    char name[256];
    for (size_t i = 0; base && base[i]; i++) {
        name_of(base[i], name, sizeof name);
        if (inherit && !strcmp(inherit, "none")) break;
        if (inherit && !strcmp(inherit, "core") && !any_match(NULL, CORE_VARS, name)) continue;
        if (vars_put(&vs, base[i])) goto oom;
    }
    for (size_t i = 0; i < vs.n;) {
        name_of(vs.v[i], name, sizeof name);
        bool drop = (!ignore_default_excludes && any_match(NULL, DEFAULT_EXCLUDES, name)) ||
                    any_match(policy ? cx__json_get(policy, "exclude") : NULL, NULL, name);
        if (drop)
            vars_drop(&vs, i);
        else
            i++;
    }
    json_object *set = policy ? cx__json_get(policy, "set") : NULL;
    if (set && json_object_is_type(set, json_type_object)) {
        json_object_object_foreach(set, k, v)
        {
            char *kv = NULL;
            if (asprintf(&kv, "%s=%s", k, v ? json_object_get_string(v) : "") < 0) goto oom;
            int rc = vars_put(&vs, kv);
            free(kv);
            if (rc) goto oom;
        }
    }
    json_object *only = policy ? cx__json_get(policy, "include_only") : NULL;
    if (only && json_object_is_type(only, json_type_array) && json_object_array_length(only) > 0) {
        for (size_t i = 0; i < vs.n;) {
            name_of(vs.v[i], name, sizeof name);
            if (!any_match(only, NULL, name))
                vars_drop(&vs, i);
            else
                i++;
        }
    }
    for (size_t i = 0; extra && extra[i]; i++)
        if (vars_put(&vs, extra[i])) goto oom;
    return vs.v;
oom:
    cx__shell_env_free(vs.v);
    return NULL;
}

void cx__shell_env_free(char **env)
{
    if (!env) return;
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    free(env);
}

const json_object *cx__shell_env_policy(const cx_config *cfg)
{
    json_object *p = cfg && cfg->root ? cx__json_get(cfg->root, "shell_environment_policy") : NULL;
    return p && json_object_is_type(p, json_type_object) ? p : NULL;
}

bool cx__shell_env_network_disabled(const cx_config *cfg)
{
    const char *mode = cfg && cfg->sandbox_mode ? cfg->sandbox_mode : "read-only";
    if (!strcmp(mode, "danger-full-access")) return false;
    if (!strcmp(mode, "workspace-write") && cfg && cfg->root) {
        json_object *ww = cx__json_get(cfg->root, "sandbox_workspace_write");
        bool net = false;
        if (ww && cx__json_get_bool(ww, "network_access", &net) && net) return false;
    }
    return true;
}

char *cx__shell_env_workdir(const char *cwd, const char *workdir)
{
    char *dir = NULL;
    if (workdir && *workdir) {
        if (workdir[0] == '/' || !cwd)
            dir = strdup(workdir);
        else if (asprintf(&dir, "%s/%s", cwd, workdir) < 0)
            dir = NULL;
    } else if (cwd) {
        dir = strdup(cwd);
    }
    return dir;
}
