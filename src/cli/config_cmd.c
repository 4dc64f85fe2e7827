/* Loading the configuration for a CLI command: .env first (so env_key can
 * name a variable it sets), then config.toml with the command line's
 * overrides. Errors are printed here, in one line, and the command exits. */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/json.h"
#include "model/http.h"
#include "model/request.h"
#include "server/rserver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Puts the responses server in front of a chat completions backend. */
static int start_bridge(const cx_cli_opts *o, cx_config *cfg, cx_rserver **bridge)
{
    bool chat = cfg->provider.wire_api && !strcmp(cfg->provider.wire_api, "chat");
    if (!o->vllm_endpoint && !o->use_chat_completion && !chat) return 0;
    cx_rserver_options so = {
        .host = "127.0.0.1",
        .port = 0,
        .downstream_base_url = o->vllm_endpoint ? o->vllm_endpoint : cfg->provider.base_url,
        .provider = o->vllm_endpoint ? "vllm" : cfg->provider.id,
        .api_key = o->vllm_endpoint ? NULL : cfg->provider.api_key,
    };
    cx_error err;
    cx_rserver *s = cx__rserver_new(&so, &err);
    if (!s || cx__rserver_start(s) != 0) {
        fprintf(stderr, "error: cannot start the responses server for %s: %s\n",
                so.downstream_base_url, s ? "no thread" : err.msg);
        cx__rserver_free(s);
        return 1;
    }
    char *url = NULL;
    if (asprintf(&url, "http://127.0.0.1:%d/v1", cx__rserver_port(s)) < 0) {
        cx__rserver_free(s);
        return 1;
    }
    free(cfg->provider.base_url);
    cfg->provider.base_url = url;
    free(cfg->provider.wire_api);
    cfg->provider.wire_api = strdup("responses");
    *bridge = s;
    return 0;
}

/* --add-dir: appended to [sandbox_workspace_write] writable_roots (after the
 * configured ones, as upstream orders them), made absolute. Prints errors. */
static int add_writable_roots(cx_config *cfg, const char **dirs, size_t n)
{
    if (!n) return 0;
    json_object *ww = cx__json_get(cfg->root, "sandbox_workspace_write");
    if (!ww || !json_object_is_type(ww, json_type_object)) {
        ww = json_object_new_object();
        json_object_object_add(cfg->root, "sandbox_workspace_write", ww);
    }
    json_object *roots = cx__json_get(ww, "writable_roots");
    if (!roots || !json_object_is_type(roots, json_type_array)) {
        roots = json_object_new_array();
        json_object_object_add(ww, "writable_roots", roots);
    }
    for (size_t i = 0; i < n; i++) {
        char *abs = realpath(dirs[i], NULL);
        if (!abs) {
            fprintf(stderr, "error: --add-dir %s: %s\n", dirs[i], strerror(errno));
            return -1;
        }
        json_object_array_add(roots, json_object_new_string(abs));
        free(abs);
    }
    return 0;
}

bool cx_cli_missing_key(const cx_cli_opts *o, const cx_config *cfg)
{
    const cx_provider *p = &cfg->provider;
    if (o->vllm_endpoint || p->api_key) return false;
    if (p->requires_auth) {
        fprintf(stderr,
                "error: no API key for the OpenAI provider: set OPENAI_API_KEY (or "
                "CODEX_API_KEY), or store it in %s/auth.json as {\"OPENAI_API_KEY\": "
                "\"sk-...\"}\n",
                cfg->codex_home);
        return true;
    }
    if (p->env_key && *p->env_key) {
        fprintf(stderr,
                "error: Missing environment variable: `%s`. Model provider '%s' reads its API "
                "key from it; set it, or add it to %s/.env\n",
                p->env_key, p->id, cfg->codex_home);
        return true;
    }
    return false;
}

cx_config *cx_cli_load_config(const cx_cli_opts *o, bool interactive, cx_rserver **bridge)
{
    *bridge = NULL;
    cx_error err;
    cx_error_clear(&err);
    char *home = cx_config_home(o->codex_home);
    if (!home) {
        fprintf(stderr, "error: cannot determine CODEX_HOME (set CODEX_HOME or HOME)\n");
        return NULL;
    }
    if (cx_dotenv_load(home, &err) != 0) {
        fprintf(stderr, "error: %s\n", err.msg);
        free(home);
        return NULL;
    }
    /* --full-auto and --dangerously-bypass-approvals-and-sandbox pick the
       sandbox (an explicit -s wins); the tools layer enforces it */
    const char *sandbox = o->sandbox;
    const char *approval = o->approval;
    if (!sandbox && o->bypass) sandbox = "danger-full-access";
    if (!sandbox && o->full_auto) sandbox = "workspace-write";
    if (o->bypass) approval = "never";
    if (o->full_auto && !approval && interactive) approval = "on-request";
    cx_config_options co = {
        .codex_home = home,
        .profile = o->profile,
        .overrides = o->overrides,
        .n_overrides = o->n_overrides,
        .model = o->model,
        .sandbox_mode = sandbox,
        .approval_policy = approval,
        .interactive = interactive,
    };
    cx_config *cfg = NULL;
    if (cx_config_load(&co, &cfg, &err) != 0) {
        fprintf(stderr, "error: %s\n", err.msg);
        free(home);
        return NULL;
    }
    free(home);
    if (add_writable_roots(cfg, o->add_dirs, o->n_add_dirs)) {
        cx_config_free(cfg);
        return NULL;
    }
    /* exec cannot ask: upstream's exec runs with approval `never` whatever
     * was configured */
    if (!interactive) {
        char *never = strdup("never");
        if (never) {
            free(cfg->approval_policy);
            cfg->approval_policy = never;
        }
    }
    if (start_bridge(o, cfg, bridge)) {
        cx_config_free(cfg);
        return NULL;
    }
    return cfg;
}

char *cx_cli_list_models(const cx_config *cfg, cx_error *err)
{
    char *url = cx__request_url(&cfg->provider, "/models");
    char *auth = NULL;
    if (cfg->provider.api_key &&
        asprintf(&auth, "authorization: Bearer %s", cfg->provider.api_key) < 0)
        auth = NULL;
    const char *headers[] = {"accept: application/json", auth, NULL};
    cx_http_client *http = cx__http_client_new();
    cx_buf body = CX_BUF_INIT;
    int status = 0;
    char *result = NULL;
    if (!http || !url) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
    } else if (cx__http_get(http, url, headers, 30000, &body, &status, err) == 0) {
        json_object *doc = NULL;
        if (cx__json_parse(body.data ? body.data : "", body.len, &doc, err) == 0) {
            json_object *data = cx__json_get(doc, "data");
            if (!data || !json_object_is_type(data, json_type_array)) {
                cx_error_set(err, CX_EPARSE, "the models response has no `data` list");
            } else {
                cx_buf names = CX_BUF_INIT;
                cx__buf_puts(&names, "");
                size_t n = json_object_array_length(data);
                for (size_t i = 0; i < n; i++) {
                    const char *id = cx__json_get_str(json_object_array_get_idx(data, i), "id");
                    if (!id || !*id) continue;
                    if (names.len) cx__buf_puts(&names, ", ");
                    cx__buf_puts(&names, id);
                }
                result = cx__buf_steal(&names);
            }
            json_object_put(doc);
        }
    }
    cx__buf_free(&body);
    cx__http_client_free(http);
    free(url);
    free(auth);
    return result;
}
