/* `ccodex serve`: the responses server as a command. */
#include "httpd/http_guard.h"
#include "cli/cli.h"
#include "cli/stop_signal.h"
#include "server/rserver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void serve_usage(FILE *f)
{
    fputs(
        "Usage: ccodex serve --downstream-base-url URL [OPTIONS]\n"
        "\n"
        "A Responses API endpoint (POST /v1/responses, GET /v1/models, GET /healthz) in front of\n"
        "a Chat Completions backend such as vLLM, Ollama or llama.cpp's server.\n"
        "\n"
        "  --downstream-base-url URL     the backend, e.g. http://127.0.0.1:8000/v1 (no path: "
        "/v1)\n"
        "  --model-provider NAME         vllm (default) | stepfun | openai; selects payload hooks\n"
        "  --host ADDR                   address to listen on (default 127.0.0.1)\n"
        "  --port N                      port to listen on (default 8001; 0 picks a free one)\n"
        "  --downstream-api-key-env VAR  send $VAR as the backend's bearer token\n"
        "  --idle-timeout-ms N           fail a stream whose backend is silent this long (300000)\n"
        "  --store memory|redis://HOST:PORT[/DB]\n"
        "                                where responses are kept for previous_response_id\n"
        "                                (default memory; Redis is shared by several servers)\n"
        "  --store-max-count N           memory store: responses kept (10000)\n"
        "  --store-max-bytes N           memory store: bytes kept (16777216)\n"
        "  --store-max-age-s N           seconds a response is kept; Redis TTL (86400)\n"
        "pycodex's spellings --outcomming-base-url and --outcomming-api-key-env are accepted.\n",
        f);
}

static void stop_server(void *server)
{
    cx__rserver_stop(server);
}

static void log_line(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "%s\n", line);
}

int cx_cli_serve(int argc, char **argv)
{
    cx_rserver_options o = {.host = "127.0.0.1", .port = 8001, .provider = "vllm"};
    const char *key_env = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            serve_usage(stdout);
            return 0;
        }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
#define IS(name) (nlen == strlen(name) && !strncmp(a, name, nlen))
        bool known = IS("--downstream-base-url") || IS("--outcomming-base-url") ||
                     IS("--model-provider") || IS("--host") || IS("--port") ||
                     IS("--downstream-api-key-env") || IS("--outcomming-api-key-env") ||
                     IS("--idle-timeout-ms") || IS("--store") || IS("--store-max-count") ||
                     IS("--store-max-bytes") || IS("--store-max-age-s");
        if (!known) {
            fprintf(stderr, "error: unknown option '%s' for serve (see ccodex serve --help)\n", a);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "error: %.*s needs a value\n", (int)nlen, a);
            return 2;
        }
        if (!eq) i++;
        if (IS("--downstream-base-url") || IS("--outcomming-base-url")) {
            o.downstream_base_url = v;
        } else if (IS("--model-provider")) {
            o.provider = v;
        } else if (IS("--host")) {
            o.host = v;
        } else if (IS("--store")) {
            o.store = v;
        } else if (IS("--port") || IS("--idle-timeout-ms") || IS("--store-max-count") ||
                   IS("--store-max-bytes") || IS("--store-max-age-s")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 0 || (IS("--port") && n > 65535)) {
                fprintf(stderr, "error: %.*s wants a number, not '%s'\n", (int)nlen, a, v);
                return 2;
            }
            if (IS("--port"))
                o.port = (int)n;
            else if (IS("--idle-timeout-ms"))
                o.idle_timeout_ms = n;
            else if (IS("--store-max-count"))
                o.store_max_count = (size_t)n;
            else if (IS("--store-max-bytes"))
                o.store_max_bytes = (size_t)n;
            else
                o.store_max_age_s = n;
        } else {
            key_env = v;
        }
#undef IS
    }
    if (!o.downstream_base_url) {
        fprintf(stderr, "error: ccodex serve needs --downstream-base-url URL\n");
        return 2;
    }
    if (key_env) {
        o.api_key = getenv(key_env);
        if (!o.api_key || !*o.api_key) {
            fprintf(stderr, "error: %s is not set (named by --downstream-api-key-env)\n", key_env);
            return 2;
        }
    }
    cx_cli_server_signals(); /* before the server starts threads */
    o.log = log_line;
    cx_error err;
    cx_rserver *s = cx__rserver_new(&o, &err);
    if (!s) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    cx_cli_stopper waiter;
    if (cx_cli_stopper_start(&waiter, stop_server, s) != 0) {
        fprintf(stderr, "error: cannot start the signal thread\n");
        cx__rserver_free(s);
        return 1;
    }
    fprintf(stderr, "ccodex serve: listening on http://%s:%d/v1 -> %s (provider %s)\n", o.host,
            cx__rserver_port(s), cx__rserver_downstream(s), o.provider);
    cx__rserver_run(s);
    /* the loop ended through the signal thread, which has finished */
    cx_cli_stopper_join(&waiter);
    cx__rserver_free(s);
    return 0;
}
