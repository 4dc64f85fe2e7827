/* Configuration loading: config.toml -> profile -> -c overrides -> command
 * line flags, then typed fields and the active provider. */
#include "ccodex/config.h"

#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/toml.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MODEL "gpt-5.1-codex"

char *cx_config_home(const char *override)
{
    if (override && *override) return strdup(override);
    const char *env = getenv("CODEX_HOME");
    if (env && *env) return strdup(env);
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    char *s = NULL;
    if (asprintf(&s, "%s/.codex", home) < 0) return NULL;
    return s;
}

/* The whole file; NULL with *missing when it does not exist (not an error). */
static char *read_file(const char *path, size_t *len, bool *missing)
{
    char *text = cx__fs_slurp(path, SIZE_MAX, len);
    *missing = !text && errno == ENOENT;
    return text;
}

/* ---- .env ----------------------------------------------------------------- */

/* One value of a .env line: quoted ('' literal, "" with escapes) up to the
 * closing quote, or bare up to a " #" comment, trailing blanks trimmed. */
static char *dotenv_value(const char *raw)
{
    size_t n = strlen(raw);
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    if (n && (raw[0] == '"' || raw[0] == '\'')) {
        char q = raw[0];
        for (size_t i = 1; i < n && raw[i] != q; i++) {
            if (q == '"' && raw[i] == '\\' && i + 1 < n) {
                char e = raw[++i];
                cx__buf_putc(&b, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
            } else {
                cx__buf_putc(&b, raw[i]);
            }
        }
    } else {
        size_t end = 0;
        while (end < n && !(raw[end] == '#' && end > 0 && isspace((unsigned char)raw[end - 1])))
            end++;
        while (end > 0 && isspace((unsigned char)raw[end - 1]))
            end--;
        cx__buf_append(&b, raw, end);
        cx__buf_puts(&b, "");
    }
    return cx__buf_steal(&b);
}

int cx_dotenv_load(const char *codex_home, cx_error *err)
{
    char *path = NULL;
    if (asprintf(&path, "%s/.env", codex_home) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    size_t len;
    bool missing;
    char *text = read_file(path, &len, &missing);
    if (!text) {
        int rc =
            missing ? 0 : cx_error_set(err, CX_EIO, "%s: cannot read: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (isspace((unsigned char)*line))
            line++;
        size_t l = strlen(line);
        while (l && isspace((unsigned char)line[l - 1]))
            line[--l] = '\0';
        if (!*line || *line == '#') continue;
        if (!strncmp(line, "export ", 7)) {
            line += 7;
            while (isspace((unsigned char)*line))
                line++;
        }
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        char *key = line, *raw = eq + 1;
        size_t kl = strlen(key);
        while (kl && isspace((unsigned char)key[kl - 1]))
            key[--kl] = '\0';
        while (isspace((unsigned char)*raw))
            raw++;
        if (!*key || !strncasecmp(key, "CODEX_", 6)) continue;
        char *val = dotenv_value(raw);
        if (val) setenv(key, val, 1);
        free(val);
    }
    free(text);
    free(path);
    return 0;
}

/* ---- TOML tree helpers ------------------------------------------------------ */

/* Deep-merges src into dst (src wins; objects merge recursively). */
static void merge(json_object *dst, json_object *src)
{
    json_object_object_foreach(src, k, v)
    {
        json_object *d = cx__json_get(dst, k);
        if (d && json_object_is_type(d, json_type_object) &&
            json_object_is_type(v, json_type_object))
            merge(d, v);
        else
            json_object_object_add(dst, k, cx__json_copy(v));
    }
}

static int apply_override(json_object *root, const char *spec, cx_error *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec)
        return cx_error_set(err, CX_ECONFIG, "invalid override '%s': expected key=value", spec);
    char *key = strndup(spec, (size_t)(eq - spec));
    const char *val = eq + 1;
    json_object *v = NULL;
    cx_error ignored;
    /* A value that is not valid TOML is taken as a string, as upstream does. */
    if (cx__toml_parse_value(val, strlen(val), &v, &ignored) != 0) v = json_object_new_string(val);
    json_object *t = root;
    char *save = NULL;
    char *part = strtok_r(key, ".", &save);
    int rc = 0;
    while (part) {
        char *next = strtok_r(NULL, ".", &save);
        if (!next) {
            json_object_object_add(t, part, v);
            v = NULL;
            break;
        }
        json_object *child = cx__json_get(t, part);
        if (!child || !json_object_is_type(child, json_type_object)) {
            child = json_object_new_object();
            json_object_object_add(t, part, child);
        }
        t = child;
        part = next;
    }
    if (v) {
        json_object_put(v);
        rc = cx_error_set(err, CX_ECONFIG, "invalid override '%s': empty key", spec);
    }
    free(key);
    return rc;
}

typedef struct loader {
    const char *path;
    cx_error *err;
    int rc;
    const char *text; /* the file's text, to point at a bad key; may be NULL */
} loader;

/* Finds where `key` is assigned in the file ("line L, column C: "), looking
 * below the [table] header that `where` ("a.b.") names when there is one.
 * Empty when the key came from a profile, an override or a dotted form we do
 * not recognise: the message then names the key only. */
static void locate(const loader *l, const char *key, const char *where, char *out, size_t size)
{
    out[0] = '\0';
    if (!l->text) return;
    char header[300] = "";
    size_t wl = strlen(where);
    if (wl > 1) snprintf(header, sizeof header, "[%.*s]", (int)(wl - 1), where);
    bool in_table = header[0] == '\0';
    size_t kl = strlen(key);
    int line = 1;
    for (const char *p = l->text; *p; line++) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        const char *q = p;
        while (q < p + n && (*q == ' ' || *q == '\t'))
            q++;
        if (*q == '[') {
            in_table = header[0] && !strncmp(q, header, strlen(header));
        } else if (in_table) {
            const char *k = q;
            bool quoted = *k == '"';
            if (quoted) k++;
            if ((size_t)(p + n - k) > kl && !strncmp(k, key, kl)) {
                const char *r = k + kl + (quoted && k[kl] == '"');
                while (r < p + n && (*r == ' ' || *r == '\t'))
                    r++;
                if (r < p + n && *r == '=') {
                    snprintf(out, size, "line %d, column %d: ", line, (int)(q - p) + 1);
                    return;
                }
            }
        }
        if (!eol) break;
        p = eol + 1;
    }
}

static int type_error(loader *l, const char *key, const char *where, const char *what)
{
    char at[64];
    locate(l, key, where, at, sizeof at);
    return l->rc = cx_error_set(l->err, CX_ECONFIG, "%s: %skey '%s%s' must be %s", l->path, at,
                                where, key, what);
}

static char *get_string(loader *l, json_object *obj, const char *key, const char *where)
{
    json_object *v = cx__json_get(obj, key);
    if (!v) return NULL;
    if (!json_object_is_type(v, json_type_string)) {
        if (!l->rc) type_error(l, key, where, "a string");
        return NULL;
    }
    return strdup(json_object_get_string(v));
}

static long long get_int(loader *l, json_object *obj, const char *key, const char *where,
                         long long def)
{
    json_object *v = cx__json_get(obj, key);
    if (!v) return def;
    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
        if (!l->rc) type_error(l, key, where, "a non-negative integer");
        return def;
    }
    return json_object_get_int64(v);
}

static json_object *get_table(loader *l, json_object *obj, const char *key, const char *where)
{
    json_object *v = cx__json_get(obj, key);
    if (!v) return NULL;
    if (!json_object_is_type(v, json_type_object)) {
        if (!l->rc) type_error(l, key, where, "a table");
        return NULL;
    }
    return json_object_get(v);
}

static void provider_free(cx_provider *p)
{
    free(p->id);
    free(p->name);
    free(p->base_url);
    free(p->env_key);
    free(p->api_key);
    free(p->wire_api);
    json_object_put(p->query_params);
    json_object_put(p->http_headers);
    json_object_put(p->env_http_headers);
    memset(p, 0, sizeof *p);
}

/* The API key `codex login --with-api-key` leaves in CODEX_HOME/auth.json,
 * used by the built-in provider when OPENAI_API_KEY is not set. */
static char *auth_json_key(const char *home)
{
    char *path = NULL;
    if (!home || asprintf(&path, "%s/auth.json", home) < 0) return NULL;
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) return NULL;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    json_object *o = NULL;
    char *key = NULL;
    if (cx__json_parse(buf, n, &o, NULL) == 0) {
        const char *k = cx__json_get_str(o, "OPENAI_API_KEY");
        if (k && *k) key = strdup(k);
    }
    json_object_put(o);
    return key;
}

/* The built-in OpenAI provider's key from CODEX_API_KEY (what the SDK's
 * apiKey sets), which wins over OPENAI_API_KEY; auth.json comes last. */
static void openai_auth(cx_provider *p)
{
    const char *k = getenv("CODEX_API_KEY");
    if (!k || !*k) return;
    free(p->api_key);
    p->api_key = strdup(k);
}

/* A built-in provider's base URL as request paths are appended to it. */
static void trim_trailing_slashes(char *url)
{
    size_t n = url ? strlen(url) : 0;
    while (n > 1 && url[n - 1] == '/')
        url[--n] = '\0';
}

static int load_provider(loader *l, json_object *root, const char *id, cx_provider *p)
{
    json_object *providers = cx__json_get(root, "model_providers");
    json_object *t = providers ? cx__json_get(providers, id) : NULL;
    p->id = strdup(id);
    p->request_max_retries = 4;
    p->stream_max_retries = 5;
    p->stream_idle_timeout_ms = 300000;
    p->request_max_retry_wait_ms = 60000;
    p->stream_max_event_bytes = (size_t)16 << 20;
    if (!t && !strcmp(id, "openai")) {
        /* openai_base_url (config) wins over OPENAI_BASE_URL (deprecated upstream) */
        const char *base = cx__json_get_str(root, "openai_base_url");
        if (!base || !*base) base = getenv("OPENAI_BASE_URL");
        p->name = strdup("OpenAI");
        p->base_url = strdup(base && *base ? base : "https://api.openai.com/v1");
        trim_trailing_slashes(p->base_url);
        p->env_key = strdup("OPENAI_API_KEY");
        p->wire_api = strdup("responses");
        p->requires_auth = true;
    } else if (!t && (!strcmp(id, "oss") || !strcmp(id, "ollama") || !strcmp(id, "lmstudio"))) {
        /* upstream's built-in local providers: CODEX_OSS_BASE_URL, else
           localhost on CODEX_OSS_PORT or the server's usual port */
        const char *base = getenv("CODEX_OSS_BASE_URL"), *port = getenv("CODEX_OSS_PORT");
        bool lms = !strcmp(id, "lmstudio");
        p->name = strdup(lms ? "LM Studio" : !strcmp(id, "ollama") ? "Ollama" : "gpt-oss");
        if (base && *base)
            p->base_url = strdup(base);
        else if (asprintf(&p->base_url, "http://localhost:%s/v1",
                          port && *port ? port
                          : lms         ? "1234"
                                        : "11434") < 0)
            p->base_url = NULL;
        trim_trailing_slashes(p->base_url);
        p->wire_api = strdup("responses");
    } else if (!t) {
        return l->rc = cx_error_set(l->err, CX_ECONFIG,
                                    "%s: model provider '%s' not found in [model_providers]",
                                    l->path, id);
    } else if (!json_object_is_type(t, json_type_object)) {
        return l->rc = cx_error_set(l->err, CX_ECONFIG,
                                    "%s: key 'model_providers.%s' must be a table", l->path, id);
    } else {
        char where[256];
        snprintf(where, sizeof where, "model_providers.%s.", id);
        p->name = get_string(l, t, "name", where);
        p->base_url = get_string(l, t, "base_url", where);
        p->env_key = get_string(l, t, "env_key", where);
        p->wire_api = get_string(l, t, "wire_api", where);
        p->query_params = get_table(l, t, "query_params", where);
        p->http_headers = get_table(l, t, "http_headers", where);
        p->env_http_headers = get_table(l, t, "env_http_headers", where);
        /* upstream caps the retry counts at 100 */
        long long r = get_int(l, t, "request_max_retries", where, 4);
        p->request_max_retries = (int)(r > 100 ? 100 : r);
        long long s = get_int(l, t, "stream_max_retries", where, 5);
        p->stream_max_retries = (int)(s > 100 ? 100 : s);
        p->stream_idle_timeout_ms = (long)get_int(l, t, "stream_idle_timeout_ms", where, 300000);
        /* ccodex's own: bounds on a server's demands (docs/CONFIG.md) */
        long long w = get_int(l, t, "request_max_retry_wait_ms", where, 60000);
        p->request_max_retry_wait_ms = (long)(w < 0 ? 0 : w);
        long long e = get_int(l, t, "stream_max_event_bytes", where, (long long)16 << 20);
        p->stream_max_event_bytes = (size_t)(e < 1024 ? 1024 : e);
        if (!l->rc && !p->base_url) {
            if (!strcmp(id, "openai"))
                p->base_url = strdup("https://api.openai.com/v1");
            else
                return l->rc = cx_error_set(l->err, CX_ECONFIG,
                                            "%s: model provider '%s' has no base_url", l->path, id);
        }
        if (!p->name) p->name = strdup(id);
        if (!p->wire_api) p->wire_api = strdup("responses");
        /* "chat" providers are reached through the responses server, which the
           CLI starts in-process */
        if (!l->rc && strcmp(p->wire_api, "responses") != 0 && strcmp(p->wire_api, "chat") != 0)
            return l->rc = cx_error_set(
                       l->err, CX_ECONFIG,
                       "%s: model provider '%s' has wire_api '%s'; use 'responses' or 'chat'",
                       l->path, id, p->wire_api);
    }
    if (p->env_key) {
        const char *k = getenv(p->env_key);
        if (k && *k) p->api_key = strdup(k);
    }
    if (p->requires_auth && !l->rc) openai_auth(p);
    return l->rc;
}

void cx_config_free(cx_config *c)
{
    if (!c) return;
    free(c->codex_home);
    free(c->profile);
    free(c->model);
    free(c->model_provider_id);
    provider_free(&c->provider);
    free(c->model_reasoning_effort);
    free(c->model_reasoning_summary);
    free(c->model_verbosity);
    free(c->personality);
    free(c->base_instructions);
    free(c->model_instructions_file);
    free(c->approval_policy);
    free(c->sandbox_mode);
    free(c->service_tier);
    json_object_put(c->features);
    json_object_put(c->root);
    free(c);
}

static bool one_of(const char *v, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(v, *allowed)) return true;
    return false;
}

int cx_config_load(const cx_config_options *o, cx_config **out, cx_error *err)
{
    *out = NULL;
    cx_config *c = calloc(1, sizeof *c);
    if (!c) return cx_error_set(err, CX_ENOMEM, "out of memory");
    c->codex_home = cx_config_home(o ? o->codex_home : NULL);
    if (!c->codex_home) {
        free(c);
        return cx_error_set(err, CX_ECONFIG, "cannot find CODEX_HOME: set CODEX_HOME or HOME");
    }
    char *path = NULL;
    if (asprintf(&path, "%s/config.toml", c->codex_home) < 0) path = NULL;
    loader l = {path, err, 0, NULL};
    size_t len = 0;
    bool missing = false;
    char *text = path ? read_file(path, &len, &missing) : NULL;
    l.text = text;
    json_object *root = NULL;
    if (!text && !missing) {
        l.rc = cx_error_set(err, CX_EIO, "%s: cannot read: %s", path, strerror(errno));
    } else if (text) {
        cx_error perr;
        if (cx__toml_parse(text, len, &root, &perr) != 0)
            l.rc = cx_error_set(err, CX_ECONFIG, "%s: %s", path, perr.msg);
    }
    if (!root && !l.rc) root = json_object_new_object();
    if (!l.rc) {
        const char *profile = o && o->profile ? o->profile : NULL;
        char *file_profile = profile ? NULL : get_string(&l, root, "profile", "");
        if (!profile) profile = file_profile;
        if (profile && !l.rc) {
            json_object *profiles = cx__json_get(root, "profiles");
            json_object *pt = profiles ? cx__json_get(profiles, profile) : NULL;
            if (!pt || !json_object_is_type(pt, json_type_object))
                l.rc = cx_error_set(err, CX_ECONFIG, "%s: config profile '%s' not found", path,
                                    profile);
            else
                merge(root, pt);
            c->profile = strdup(profile);
        }
        free(file_profile);
    }
    for (size_t i = 0; !l.rc && o && i < o->n_overrides; i++)
        l.rc = apply_override(root, o->overrides[i], err);
    if (!l.rc) {
        c->model = get_string(&l, root, "model", "");
        c->model_provider_id = get_string(&l, root, "model_provider", "");
        c->model_reasoning_effort = get_string(&l, root, "model_reasoning_effort", "");
        c->model_reasoning_summary = get_string(&l, root, "model_reasoning_summary", "");
        c->model_verbosity = get_string(&l, root, "model_verbosity", "");
        c->personality = get_string(&l, root, "personality", "");
        c->base_instructions = get_string(&l, root, "base_instructions", "");
        c->model_instructions_file = get_string(&l, root, "model_instructions_file", "");
        c->approval_policy = get_string(&l, root, "approval_policy", "");
        c->sandbox_mode = get_string(&l, root, "sandbox_mode", "");
        c->service_tier = get_string(&l, root, "service_tier", "");
        c->features = get_table(&l, root, "features", "");
    }
    if (!l.rc && o && o->model) {
        free(c->model);
        c->model = strdup(o->model);
    }
    if (!l.rc && o && o->sandbox_mode) {
        free(c->sandbox_mode);
        c->sandbox_mode = strdup(o->sandbox_mode);
    }
    if (!l.rc && o && o->approval_policy) {
        free(c->approval_policy);
        c->approval_policy = strdup(o->approval_policy);
    }
    if (!l.rc) {
        if (!c->model) c->model = strdup(DEFAULT_MODEL);
        if (!c->model_provider_id) c->model_provider_id = strdup("openai");
        if (!c->sandbox_mode) c->sandbox_mode = strdup("read-only");
        if (!c->approval_policy)
            c->approval_policy = strdup(o && o->interactive ? "on-request" : "never");
        static const char *const sandboxes[] = {"read-only", "workspace-write",
                                                "danger-full-access", NULL};
        static const char *const approvals[] = {"untrusted", "on-failure", "on-request", "never",
                                                NULL};
        if (!one_of(c->sandbox_mode, sandboxes))
            l.rc = cx_error_set(err, CX_ECONFIG,
                                "%s: sandbox_mode '%s' is not one of read-only, workspace-write, "
                                "danger-full-access",
                                path, c->sandbox_mode);
        else if (!one_of(c->approval_policy, approvals))
            l.rc = cx_error_set(
                err, CX_ECONFIG,
                "%s: approval_policy '%s' is not one of untrusted, on-failure, on-request, never",
                path, c->approval_policy);
    }
    if (!l.rc && c->model_instructions_file && c->model_instructions_file[0] != '/') {
        char *abs = NULL;
        if (asprintf(&abs, "%s/%s", c->codex_home, c->model_instructions_file) >= 0) {
            free(c->model_instructions_file);
            c->model_instructions_file = abs;
        }
    }
    if (!l.rc) load_provider(&l, root, c->model_provider_id, &c->provider);
    if (!l.rc && !c->provider.api_key && !strcmp(c->provider.id, "openai"))
        c->provider.api_key = auth_json_key(c->codex_home);
    free(text);
    free(path);
    if (l.rc) {
        json_object_put(root);
        cx_config_free(c);
        return l.rc;
    }
    c->root = root;
    *out = c;
    return 0;
}
