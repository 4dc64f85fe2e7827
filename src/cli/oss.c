/* `--oss`: getting a local model server ready before the turn, as upstream
 * Codex 0.115.0 does (MCP-SANDBOX-EXEC.md §3, opt_oss* captures).
 *
 * Ollama: probe the server (GET <host>/v1/models when the base URL ends in
 * /v1, else /api/tags), refuse a server older than 0.13.4 (/api/version),
 * probe again, list the models (/api/tags) and pull the model when it is
 * missing (POST /api/pull, a stream of JSON lines whose progress is drawn on
 * stderr). LM Studio: probe <base>/models, list the models there; a missing
 * model would be fetched with LM Studio's `lms` tool, which ccodex does not
 * drive: it reports what upstream reports when `lms` is absent.
 * Every failure is one "Error: ..." line on stderr and exit 1. */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "model/http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OLLAMA_DOWN                                                                                \
    "No running Ollama server detected. Start it with: `ollama serve` (after installing). "        \
    "Install instructions: https://github.com/ollama/ollama?tab=readme-ov-file#ollama"
#define LMSTUDIO_DOWN                                                                              \
    "LM Studio is not responding. Install from https://lmstudio.ai/download and run 'lms server "  \
    "start'."
#define LMSTUDIO_MISSING "LM Studio not found. Please install LM Studio from https://lmstudio.ai/"

/* A probe waits this long for the server (upstream's connect timeout). */
enum { PROBE_MS = 5000 };

const char *cx_cli_oss_provider(const cx_cli_opts *o, const cx_config *cfg)
{
    const char *p = o->local_provider;
    if (!p && cfg->root) p = cx__json_get_str(cfg->root, "oss_provider");
    if (!p || !*p) {
        fprintf(stderr, "Error: No default OSS provider configured. Use --local-provider=provider "
                        "or set oss_provider to one of: lmstudio, ollama in config.toml\n");
        return NULL;
    }
    if (strcmp(p, "ollama") && strcmp(p, "lmstudio")) {
        fprintf(stderr, "Error: unknown OSS provider `%s`: use one of: lmstudio, ollama\n", p);
        return NULL;
    }
    return p;
}

const char *cx_cli_oss_default_model(const char *provider)
{
    return !strcmp(provider, "lmstudio") ? "openai/gpt-oss-20b" : "gpt-oss:20b";
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* GET url; 0 for a 2xx (body appended to out when given). */
static int get(cx_http_client *c, const char *url, cx_buf *out)
{
    cx_buf tmp = CX_BUF_INIT;
    cx_error err;
    int rc = cx__http_get(c, url, NULL, PROBE_MS, out ? out : &tmp, NULL, &err);
    cx__buf_free(&tmp);
    return rc;
}

static int get_path(cx_http_client *c, const char *root, const char *path, cx_buf *out)
{
    char *url = NULL;
    if (asprintf(&url, "%s%s", root, path) < 0) return -1;
    int rc = get(c, url, out);
    free(url);
    return rc;
}

/* Whether the JSON list in body names model: key "models"[].name (Ollama)
 * or "data"[].id (OpenAI-compatible). */
static bool lists_model(const cx_buf *body, const char *list, const char *field, const char *model)
{
    json_object *o = NULL;
    if (!body->len || cx__json_parse(body->data, body->len, &o, NULL) != 0) return false;
    json_object *arr = cx__json_get(o, list);
    bool found = false;
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    for (size_t i = 0; i < n && !found; i++) {
        const char *name = cx__json_get_str(json_object_array_get_idx(arr, i), field);
        found = name && !strcmp(name, model);
    }
    json_object_put(o);
    return found;
}

/* "0.13.5" or "v0.13.5" (pre-release and build parts ignored); false when
 * it does not parse, which upstream lets pass. */
static bool parse_version(const char *s, long v[3])
{
    if (*s == 'v') s++;
    char *end = NULL;
    for (int i = 0; i < 3; i++) {
        if (*s < '0' || *s > '9') return false;
        v[i] = strtol(s, &end, 10);
        s = end;
        if (i < 2 && *s++ != '.') return false;
    }
    return *s == '\0' || *s == '-' || *s == '+';
}

/* NULL when the server may serve the Responses API, else the error text. */
static char *version_problem(cx_http_client *c, const char *root)
{
    cx_buf b = CX_BUF_INIT;
    json_object *o = NULL;
    char *msg = NULL;
    long v[3];
    if (get_path(c, root, "/api/version", &b) == 0 && b.len &&
        cx__json_parse(b.data, b.len, &o, NULL) == 0) {
        const char *ver = cx__json_get_str(o, "version");
        bool parsed = ver && parse_version(ver, v);
        bool dev = parsed && !v[0] && !v[1] && !v[2];
        bool old = parsed && !dev && v[0] == 0 && (v[1] < 13 || (v[1] == 13 && v[2] < 4));
        if (old &&
            asprintf(&msg, "Ollama %ld.%ld.%ld is too old. Codex requires Ollama 0.13.4 or newer.",
                     v[0], v[1], v[2]) < 0)
            msg = NULL;
    }
    json_object_put(o);
    cx__buf_free(&b);
    return msg;
}

/* The pull's progress on stderr, drawn in place as upstream's CLI does. */
typedef struct pull {
    cx_buf line;         /* a partial JSON line */
    size_t last_len;     /* length of the text drawn last (padding erases it) */
    json_object *totals; /* digest -> [total, completed] */
    bool header, done;
    char *error;       /* the stream's "error", or NULL */
    double last_done;  /* bytes done at the last progress line */
    long long last_ms; /* and when (the speed is measured between lines) */
} pull;

static void draw(pull *p, const char *text)
{
    size_t len = strlen(text);
    fprintf(stderr, "\r%s%*s", text, (int)(p->last_len > len ? p->last_len - len : 0), "");
    p->last_len = len;
    fflush(stderr);
}

static void progress(pull *p, json_object *o, const char *digest)
{
    json_object *t = cx__json_get(p->totals, digest);
    if (!t) {
        t = json_object_new_array();
        json_object_array_add(t, json_object_new_int64(0));
        json_object_array_add(t, json_object_new_int64(0));
        cx__json_set(p->totals, digest, t);
    }
    int64_t v;
    if (cx__json_get_int(o, "total", &v)) json_object_array_put_idx(t, 0, json_object_new_int64(v));
    if (cx__json_get_int(o, "completed", &v))
        json_object_array_put_idx(t, 1, json_object_new_int64(v));
    double total = 0, done = 0;
    json_object_object_foreach(p->totals, k, pair)
    {
        (void)k;
        total += (double)json_object_get_int64(json_object_array_get_idx(pair, 0));
        done += (double)json_object_get_int64(json_object_array_get_idx(pair, 1));
    }
    if (total <= 0) return;
    const double gb = 1024.0 * 1024.0 * 1024.0;
    if (!p->header) {
        fprintf(stderr, "\r\x1b[2KDownloading model: total %.2f GB\n", total / gb);
        p->header = true;
    }
    long long now = cx__clock_ms();
    double dt = (double)(now - p->last_ms) / 1000.0;
    double speed = (done > p->last_done ? done - p->last_done : 0) / (1024.0 * 1024.0) /
                   (dt > 0.001 ? dt : 0.001);
    p->last_done = done;
    p->last_ms = now;
    char text[160];
    snprintf(text, sizeof text, "%.2f/%.2f GB (%.1f%%) %.1f MB/s", done / gb, total / gb,
             done * 100.0 / total, speed);
    draw(p, text);
}

static void pull_line(pull *p, const char *text, size_t len)
{
    json_object *o = NULL;
    if (p->done || cx__json_parse(text, len, &o, NULL) != 0) return;
    const char *status = cx__json_get_str(o, "status");
    if (status && strcasecmp(status, "pulling manifest") != 0) draw(p, status);
    if (cx__json_get(o, "total") || cx__json_get(o, "completed"))
        progress(p, o, cx__json_get_str(o, "digest") ?: "");
    const char *error = cx__json_get_str(o, "error");
    if (error) {
        p->error = strdup(error);
        p->done = true;
    } else if (status && !strcmp(status, "success")) {
        fputc('\n', stderr);
        p->done = true;
    }
    json_object_put(o);
}

static int on_pull_bytes(void *user, const char *data, size_t len)
{
    pull *p = user;
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n') {
            if (p->line.len < (1u << 20)) cx__buf_putc(&p->line, data[i]); /* bounded */
            continue;
        }
        pull_line(p, p->line.data ? p->line.data : "", p->line.len);
        cx__buf_reset(&p->line);
    }
    return 0;
}

/* Pulls model; NULL on success, else the error text. */
static char *pull_model(cx_http_client *c, const char *root, const char *model)
{
    pull p = {.totals = json_object_new_object(), .last_ms = cx__clock_ms()};
    char *url = NULL, *msg = NULL;
    json_object *body = json_object_new_object();
    cx__json_set_str(body, "model", model);
    cx__json_set(body, "stream", json_object_new_boolean(true));
    const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
    char line[300];
    snprintf(line, sizeof line, "Pulling model %s...", model);
    draw(&p, line);
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    if (asprintf(&url, "%s/api/pull", root) >= 0) {
        cx_http_request req = {
            .url = url, .headers = headers, .body = text, .body_len = strlen(text)};
        cx_error err;
        int status = 0;
        int rc = cx__http_post_stream(c, &req, on_pull_bytes, NULL, &p, &status, &err);
        const char *reason = cx__http_reason_phrase(status);
        if (rc == CX_EHTTP) {
            if (asprintf(&msg, "failed to start pull: HTTP %d%s%s", status, reason ? " " : "",
                         reason ? reason : "") < 0)
                msg = NULL;
        } else if (rc != 0 && !p.done) {
            msg = strdup(err.msg);
        }
    }
    if (!msg && p.error && asprintf(&msg, "Pull failed: %s", p.error) < 0) msg = NULL;
    if (!msg && !p.done) msg = strdup("Pull stream ended unexpectedly without success.");
    free(url);
    free(p.error);
    cx__buf_free(&p.line);
    json_object_put(p.totals);
    json_object_put(body);
    return msg;
}

/* The server root: the base URL without its trailing /v1. */
static char *host_root(const char *base_url)
{
    char *root = strdup(base_url);
    if (root && ends_with(root, "/v1")) root[strlen(root) - 3] = '\0';
    return root;
}

static int ollama_ready(cx_http_client *c, const cx_config *cfg)
{
    const char *base = cfg->provider.base_url ? cfg->provider.base_url : "";
    char *root = host_root(base);
    if (!root) return 1;
    const char *probe = ends_with(base, "/v1") ? "/v1/models" : "/api/tags";
    char *problem = NULL;
    int rc = 1;
    if (get_path(c, root, probe, NULL) != 0) {
        fprintf(stderr, "Error: OSS setup failed: %s\n", OLLAMA_DOWN);
    } else if ((problem = version_problem(c, root))) {
        fprintf(stderr, "Error: OSS setup failed: %s\n", problem);
    } else if (get_path(c, root, probe, NULL) != 0) {
        fprintf(stderr, "Error: OSS setup failed: OSS setup failed: %s\n", OLLAMA_DOWN);
    } else {
        cx_buf tags = CX_BUF_INIT;
        /* a listing that fails is not fatal upstream: the turn reports it */
        bool listed = get_path(c, root, "/api/tags", &tags) == 0;
        if (listed && !lists_model(&tags, "models", "name", cfg->model) &&
            (problem = pull_model(c, root, cfg->model)))
            fprintf(stderr, "Error: OSS setup failed: OSS setup failed: %s\n", problem);
        else
            rc = 0;
        cx__buf_free(&tags);
    }
    free(problem);
    free(root);
    return rc;
}

static int lmstudio_ready(cx_http_client *c, const cx_config *cfg)
{
    const char *base = cfg->provider.base_url ? cfg->provider.base_url : "";
    cx_buf models = CX_BUF_INIT;
    int rc = 1;
    if (get_path(c, base, "/models", NULL) != 0)
        fprintf(stderr, "Error: OSS setup failed: OSS setup failed: %s\n", LMSTUDIO_DOWN);
    else if (get_path(c, base, "/models", &models) != 0 ||
             !lists_model(&models, "data", "id", cfg->model))
        /* upstream downloads it with `lms get`, which ccodex does not run */
        fprintf(stderr, "Error: OSS setup failed: OSS setup failed: %s\n", LMSTUDIO_MISSING);
    else
        rc = 0;
    cx__buf_free(&models);
    return rc;
}

int cx_cli_oss_ready(const cx_config *cfg)
{
    cx_http_client *c = cx__http_client_new();
    if (!c) {
        fputs("Error: out of memory\n", stderr);
        return 1;
    }
    const char *id = cfg->model_provider_id ? cfg->model_provider_id : "";
    int rc = !strcmp(id, "lmstudio") ? lmstudio_ready(c, cfg) : ollama_ready(c, cfg);
    cx__http_client_free(c);
    return rc;
}
