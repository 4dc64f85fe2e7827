/* `ccodex doctor`: checks the configuration and the way to the model, step by
 * step, the way pycodex's doctor does (same check names, report fields and
 * exit status), so a user can tell where a setup breaks. Every network step
 * is bounded by --timeout-seconds. */
#include "cli/cli.h"
#include "sandbox/sandbox.h"

#include "base/clock.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/redact.h"
#include "model/request.h"
#include "model/tls.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct report {
    json_object *o;      /* the --json document */
    json_object *checks; /* borrowed from o */
    bool ok;
} report;

static void check(report *r, const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void check(report *r, const char *name, bool ok, const char *fmt, ...)
{
    cx_buf b = CX_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cx__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    json_object *c = json_object_new_object();
    cx__json_set_str(c, "name", name);
    cx__json_set(c, "ok", json_object_new_boolean(ok));
    /* a detail may carry a URL, a proxy setting or a server's words */
    cx_buf red = CX_BUF_INIT;
    cx__redact_append(&red, b.data ? b.data : "", b.len, NULL, 0);
    cx__json_set(c, "detail", cx__json_string_len(red.data ? red.data : "", red.len));
    cx__buf_free(&red);
    json_object_array_add(r->checks, c);
    cx__buf_free(&b);
    if (!ok) r->ok = false;
}

static const char *env2(const char *lower, const char *upper)
{
    const char *v = getenv(lower);
    if (!v || !*v) v = getenv(upper);
    return v && *v ? v : NULL;
}

/* Whether no_proxy exempts host (exact, a domain suffix, or "*"). */
static bool bypassed(const char *host)
{
    const char *np = env2("no_proxy", "NO_PROXY");
    if (!np) return false;
    char *list = strdup(np), *save = NULL;
    bool hit = false;
    for (char *t = strtok_r(list, ", ", &save); t && !hit; t = strtok_r(NULL, ", ", &save)) {
        if (!strcmp(t, "*")) hit = true;
        const char *d = t[0] == '.' ? t + 1 : t;
        size_t hl = strlen(host), dl = strlen(d);
        if (hl >= dl && !strcasecmp(host + hl - dl, d) && (hl == dl || host[hl - dl - 1] == '.'))
            hit = true;
    }
    free(list);
    return hit;
}

/* Splits "scheme://host[:port]/..." into its parts; false if it is not a URL. */
static bool split_url(const char *url, char *scheme, size_t ss, char *host, size_t hs, int *port)
{
    const char *sep = strstr(url, "://");
    if (!sep || (size_t)(sep - url) >= ss) return false;
    snprintf(scheme, ss, "%.*s", (int)(sep - url), url);
    const char *h = sep + 3;
    const char *end = h + strcspn(h, "/?#");
    const char *at = memrchr(h, '@', (size_t)(end - h));
    if (at) h = at + 1;
    const char *colon = NULL;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close) return false;
        snprintf(host, hs, "%.*s", (int)(close - h - 1), h + 1);
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        snprintf(host, hs, "%.*s", (int)((colon ? colon : end) - h), h);
    }
    *port = colon ? atoi(colon + 1) : !strcmp(scheme, "https") ? 443 : 80;
    return *host != '\0';
}

static bool live_request(const cx_config *cfg, double timeout, char **text, char *detail,
                         size_t dsize)
{
    cx_tool_registry *none = cx_tools_new();
    cx_agent_options ao = {.config = cfg,
                           .mode = CX_MODE_EXEC,
                           .tools = none,
                           .base_instructions = "Reply with exactly OK."};
    cx_error err;
    double t0 = cx__clock_s();
    cx_agent *a = cx_agent_new(&ao, &err);
    bool ok = a && cx_agent_run_turn(a, "Reply with exactly OK.", &err) == 0;
    double took = cx__clock_s() - t0;
    (void)timeout;
    if (ok) {
        const char *last = cx_agent_last_message(a);
        *text = last ? strdup(last) : NULL;
        snprintf(detail, dsize, "completed in %.2fs", took);
    } else {
        snprintf(detail, dsize, "failed after %.2fs: %s", took, err.msg);
    }
    cx_agent_free(a);
    cx_tools_free(none);
    return ok;
}

static void doctor_usage(FILE *f)
{
    fputs("Usage: ccodex doctor [--json] [--skip-live] [-p PROFILE] [-c KEY=VALUE]... "
          "[--timeout-seconds N]\n"
          "\n"
          "Checks, in order: config, dotenv, provider, api_key, proxy, dns, transport, live.\n"
          "Exit status 0 when every check passed, 1 otherwise.\n",
          f);
}

int cx_cli_doctor(int argc, char **argv)
{
    bool json = false, skip_live = false;
    const char *profile = NULL, *config_path = NULL;
    double timeout = 30;
    const char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
    size_t n_over = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json"))
            json = true;
        else if (!strcmp(a, "--skip-live"))
            skip_live = true;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            doctor_usage(stdout);
            free(overrides);
            return 0;
        } else if ((!strcmp(a, "-p") || !strcmp(a, "--profile") || !strcmp(a, "-c") ||
                    !strcmp(a, "--config") || !strcmp(a, "--timeout-seconds")) &&
                   i + 1 < argc) {
            const char *v = argv[++i];
            if (a[1] == 'p' || !strcmp(a, "--profile"))
                profile = v;
            else if (!strcmp(a, "--timeout-seconds"))
                timeout = atof(v) > 0 ? atof(v) : 30;
            else if (!strcmp(a, "--config") && strchr(v, '/') && !strchr(v, '='))
                config_path = v;
            else
                overrides[n_over++] = v;
        } else {
            fprintf(stderr, "error: unknown option '%s' for doctor (see ccodex doctor --help)\n",
                    a);
            free(overrides);
            return 2;
        }
    }
    /* pycodex takes the config file's path; ccodex's home is the folder holding it */
    char *home = NULL;
    if (config_path) {
        home = strdup(config_path);
        char *slash = strrchr(home, '/');
        if (slash) *slash = '\0';
    } else {
        home = cx_config_home(NULL);
    }
    report r = {json_object_new_object(), json_object_new_array(), true};
    char path[4096], envpath[4096];
    snprintf(path, sizeof path, "%s/config.toml", home ? home : ".");
    snprintf(envpath, sizeof envpath, "%s/.env", home ? home : ".");
    cx__json_set(r.o, "ok", json_object_new_boolean(0));
    cx__json_set_str(r.o, "config_path", path);
    cx__json_set_str(r.o, "dotenv_path", envpath);
    cx__json_set(r.o, "profile", profile ? json_object_new_string(profile) : NULL);
    struct stat st;
    bool have_config = stat(path, &st) == 0;
    /* unlike pycodex, a missing config.toml is fine: Codex's defaults apply */
    check(&r, "config", true, have_config ? "%s" : "missing (defaults apply): %s", path);
    check(&r, "dotenv", true, stat(envpath, &st) == 0 ? "%s" : "missing (optional): %s", envpath);
    cx_error err;
    cx_config *cfg = NULL;
    if (home && cx_dotenv_load(home, &err) != 0) check(&r, "dotenv", false, "%s", err.msg);
    cx_config_options co = {
        .codex_home = home, .profile = profile, .overrides = overrides, .n_overrides = n_over};
    if (r.ok && cx_config_load(&co, &cfg, &err) != 0)
        check(&r, "config_parse", false, "%s", err.msg);
    char *live_text = NULL;
    if (cfg) {
        cx_provider *p = &cfg->provider;
        char *url = cx__request_url(p, "/responses");
        cx__json_set_str(r.o, "provider_name", p->id);
        cx__json_set_str(r.o, "model", cfg->model);
        char *shown_base = cx__redact(p->base_url, p->api_key, 0);
        char *shown_url = cx__redact(url, p->api_key, 0);
        cx__json_set_str(r.o, "base_url", shown_base);
        cx__json_set_str(r.o, "responses_url", shown_url);
        free(shown_base);
        cx__json_set(r.o, "api_key_env", p->env_key ? json_object_new_string(p->env_key) : NULL);
        bool key = p->api_key && *p->api_key;
        cx__json_set(r.o, "api_key_loaded", json_object_new_boolean(key));
        check(&r, "provider", true, "provider=%s model=%s wire_api=%s", p->id, cfg->model,
              p->wire_api);
        if (p->env_key)
            check(&r, "api_key", key, key ? "%s loaded" : "%s is missing", p->env_key);
        else
            check(&r, "api_key", true, "not needed (the provider names no env_key)");
        char scheme[16], host[256];
        int port = 0;
        /* split after redaction: it finds credentials whose password holds a '/' */
        if (!shown_url || !split_url(shown_url, scheme, sizeof scheme, host, sizeof host, &port)) {
            check(&r, "dns", false, "cannot read a host from %s",
                  shown_url ? shown_url : "(no URL)");
        } else {
            /* proxies that would apply to this URL, credentials removed */
            cx_buf px = CX_BUF_INIT;
            static const char *const names[][3] = {{"all", "all_proxy", "ALL_PROXY"},
                                                   {"http", "http_proxy", "HTTP_PROXY"},
                                                   {"https", "https_proxy", "HTTPS_PROXY"}};
            bool proxied = false;
            for (int k = 0; k < 3 && !bypassed(host); k++) {
                const char *v = env2(names[k][1], names[k][2]);
                if (!v) continue;
                char *red = cx__redact(v, NULL, CX_REDACT_ONE_LINE);
                cx__buf_printf(&px, "%s%s=%s", px.len ? ", " : "", names[k][0], red ? red : "");
                free(red);
                if (!strcmp(names[k][0], "all") || !strcmp(names[k][0], scheme)) proxied = true;
            }
            check(&r, "proxy", true, "%s", px.len ? cx__buf_str(&px) : "not configured");
            cx__buf_free(&px);
            struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
            char portstr[16];
            snprintf(portstr, sizeof portstr, "%d", port);
            int gai = getaddrinfo(host, portstr, &hints, &res);
            if (gai != 0) {
                check(&r, "dns", false, "%s:%d -> %s", host, port, gai_strerror(gai));
            } else {
                cx_buf addrs = CX_BUF_INIT;
                for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                    char a[INET6_ADDRSTRLEN] = "";
                    void *src = ai->ai_family == AF_INET
                                    ? (void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                                    : (void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
                    inet_ntop(ai->ai_family, src, a, sizeof a);
                    if (!strstr(cx__buf_str(&addrs), a))
                        cx__buf_printf(&addrs, "%s%s", addrs.len ? ", " : "", a);
                }
                freeaddrinfo(res);
                check(&r, "dns", true, "%s:%d -> %s", host, port,
                      addrs.len ? cx__buf_str(&addrs) : "resolved");
                cx__buf_free(&addrs);
                if (proxied) {
                    check(&r, "transport", true,
                          "skipped direct probe because requests will use environment proxy "
                          "settings");
                } else {
                    /* TCP connect, and the TLS handshake for https, with curl's connect-only mode
                     */
                    CURL *c = curl_easy_init();
                    char target[512];
                    snprintf(target, sizeof target, "%s://%s%s%s:%d/", scheme,
                             strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
                             port);
                    curl_easy_setopt(c, CURLOPT_URL, target);
                    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
                    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
                    curl_easy_setopt(c, CURLOPT_PROXY, "");
                    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
                    char eb[1024] = ""; /* >= CURL_ERROR_SIZE; also holds cx__tls_apply's text */
                    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, eb);
                    double t0 = cx__clock_s();
                    cx_error terr = {0};
                    CURLcode cr = cx__tls_apply(c, target, &terr) < 0 ? CURLE_SSL_CACERT_BADFILE
                                                                      : curl_easy_perform(c);
                    if (terr.code) snprintf(eb, sizeof eb, "%s", terr.msg);
                    double took = cx__clock_s() - t0;
                    curl_easy_cleanup(c);
                    bool tls = !strcmp(scheme, "https");
                    if (cr == CURLE_OK)
                        check(&r, "transport", true, "%s %s:%d connected in %.2fs",
                              tls ? "tls" : "tcp", host, port, took);
                    else
                        check(&r, "transport", false, "%s %s:%d failed after %.2fs: %s",
                              tls ? "HTTPS" : "HTTP", host, port, took,
                              eb[0] ? eb : curl_easy_strerror(cr));
                }
                if (!skip_live) {
                    if (p->env_key && !key) {
                        check(&r, "live", false, "skipped: missing API key");
                    } else {
                        /* one attempt, bounded: doctor must not sit in retries */
                        p->request_max_retries = 0;
                        p->stream_max_retries = 0;
                        p->stream_idle_timeout_ms = (long)(timeout * 1000);
                        char detail[1400];
                        bool ok = live_request(cfg, timeout, &live_text, detail, sizeof detail);
                        check(&r, "live", ok, "%s", detail);
                    }
                }
            }
        }
        free(url);
        free(shown_url);
        /* commands the agent runs: can the kernel sandbox them as configured? */
        const char *mode = cfg->sandbox_mode ? cfg->sandbox_mode : "read-only";
        char why[512];
        bool avail = cx__sandbox_available(why, sizeof why);
        bool needed = strcmp(mode, "danger-full-access") != 0;
        check(&r, "sandbox", avail || !needed, "mode=%s; %s%s", mode, why,
              avail || !needed ? "" : "; sandboxed commands will be refused");
    }
    cx__json_set(r.o, "live_output_text", live_text ? json_object_new_string(live_text) : NULL);
    cx__json_set(r.o, "ok", json_object_new_boolean(r.ok));
    /* move checks after the scalar fields, as pycodex's report orders them */
    cx__json_set(r.o, "checks", r.checks);
    json_object *lo = cx__json_get(r.o, "live_output_text");
    json_object_get(lo);
    json_object_object_del(r.o, "live_output_text");
    cx__json_set(r.o, "live_output_text", lo);
    if (json) {
        const char *s =
            json_object_to_json_string_ext(r.o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        puts(s);
    } else {
        static const char *const fields[] = {"config_path",   "dotenv_path",     "profile",
                                             "provider_name", "model",           "responses_url",
                                             "api_key_env",   "live_output_text"};
        static const char *const labels[] = {"config",      "dotenv",     "profile",
                                             "provider",    "model",      "responses_url",
                                             "api_key_env", "live_output"};
        for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
            const char *v = cx__json_get_str(r.o, fields[k]);
            if (v) printf("%s: %s\n", labels[k], v);
        }
        size_t n = json_object_array_length(r.checks);
        for (size_t k = 0; k < n; k++) {
            json_object *c = json_object_array_get_idx(r.checks, k);
            bool ok = false;
            cx__json_get_bool(c, "ok", &ok);
            printf("%s: %s - %s\n", cx__json_get_str(c, "name"), ok ? "ok" : "fail",
                   cx__json_get_str(c, "detail"));
        }
        printf("overall: %s\n", r.ok ? "ok" : "fail");
    }
    fflush(stdout);
    int rc = r.ok ? 0 : 1;
    free(live_text);
    json_object_put(r.o);
    cx_config_free(cfg);
    free(home);
    free(overrides);
    return rc;
}
