/* Request body and headers. The body is written by hand rather than built as
 * one JSON tree so the (possibly long) history is serialised in place, not
 * deep-copied per request. */
#include "model/request.h"

#include "base/json.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static void put_key(cx_buf *b, const char *key)
{
    cx__buf_printf(b, ",\"%s\":", key);
}

static void put_string(cx_buf *b, const char *s)
{
    json_object *js = cx__json_string(s);
    cx__json_dump(js, b);
    json_object_put(js);
}

int cx__request_body(const cx_request_body_opts *o, cx_buf *out)
{
    cx__buf_puts(out, "{\"model\":");
    put_string(out, o->model ? o->model : "");
    put_key(out, "instructions");
    put_string(out, o->instructions ? o->instructions : "");
    put_key(out, "input");
    cx__buf_putc(out, '[');
    size_t n = o->input ? json_object_array_length(o->input) : 0;
    for (size_t i = 0; i < n; i++) {
        if (i) cx__buf_putc(out, ',');
        cx__json_dump(json_object_array_get_idx(o->input, i), out);
    }
    if (o->input_tail_len) {
        if (n) cx__buf_putc(out, ',');
        cx__buf_append(out, o->input_tail, o->input_tail_len);
    }
    cx__buf_putc(out, ']');
    put_key(out, "tools");
    if (o->tools)
        cx__json_dump(o->tools, out);
    else
        cx__buf_puts(out, "[]");
    put_key(out, "tool_choice");
    cx__buf_puts(out, "\"auto\"");
    put_key(out, "parallel_tool_calls");
    cx__buf_puts(out, o->parallel_tool_calls ? "true" : "false");
    put_key(out, "reasoning");
    if (o->reasoning) {
        json_object *r = json_object_new_object();
        if (o->reasoning_effort) cx__json_set_str(r, "effort", o->reasoning_effort);
        if (o->reasoning_summary) cx__json_set_str(r, "summary", o->reasoning_summary);
        cx__json_dump(r, out);
        json_object_put(r);
    } else {
        cx__buf_puts(out, "null");
    }
    put_key(out, "store");
    cx__buf_puts(out, "false");
    put_key(out, "stream");
    cx__buf_puts(out, "true");
    put_key(out, "include");
    cx__buf_puts(out, o->reasoning ? "[\"reasoning.encrypted_content\"]" : "[]");
    if (o->service_tier) {
        put_key(out, "service_tier");
        put_string(out, o->service_tier);
    }
    if (o->prompt_cache_key) {
        put_key(out, "prompt_cache_key");
        put_string(out, o->prompt_cache_key);
    }
    if (o->verbosity || o->output_schema) {
        put_key(out, "text");
        cx__buf_putc(out, '{');
        if (o->verbosity) {
            cx__buf_puts(out, "\"verbosity\":");
            put_string(out, o->verbosity);
        }
        if (o->output_schema) {
            /* upstream's structured-output block for exec --output-schema */
            cx__buf_puts(out, o->verbosity ? ",\"format\":" : "\"format\":");
            cx__buf_puts(out, "{\"type\":\"json_schema\",\"strict\":true,\"schema\":");
            cx__json_dump(o->output_schema, out);
            cx__buf_puts(out, ",\"name\":\"codex_output_schema\"}");
        }
        cx__buf_putc(out, '}');
    }
    cx__buf_putc(out, '}');
    return cx__buf_failed(out) ? CX_ENOMEM : 0;
}

static int push(char ***arr, size_t *n, size_t *cap, char *s)
{
    if (!s) return CX_ENOMEM;
    if (*n + 2 > *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        char **p = realloc(*arr, c * sizeof *p);
        if (!p) {
            free(s);
            return CX_ENOMEM;
        }
        *arr = p;
        *cap = c;
    }
    (*arr)[(*n)++] = s;
    (*arr)[*n] = NULL;
    return 0;
}

static char *header(const char *name, const char *value)
{
    char *s = NULL;
    /* Header values must not carry line breaks: that would split the request. */
    if (strpbrk(value, "\r\n")) return strdup("x-ccodex-dropped: invalid-header-value");
    if (asprintf(&s, "%s: %s", name, value) < 0) return NULL;
    return s;
}

char **cx__request_headers(const cx_request_header_opts *o)
{
    char **arr = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    const cx_provider *p = o->provider;
    /* The order upstream 0.115.0 puts them on the wire. The built-in OpenAI
     * provider also gets the client version upstream sends it. */
    if (p && p->id && !strcmp(p->id, "openai") && !(p->name && strcmp(p->name, "OpenAI")))
        rc |= push(&arr, &n, &cap, header("version", "0.115.0"));
    if (o->turn_metadata)
        rc |= push(&arr, &n, &cap, header("x-codex-turn-metadata", o->turn_metadata));
    if (o->session_id) {
        rc |= push(&arr, &n, &cap, header("x-client-request-id", o->session_id));
        rc |= push(&arr, &n, &cap, header("session_id", o->session_id));
    }
    if (p && p->api_key && *p->api_key) {
        char *v = NULL;
        if (asprintf(&v, "Bearer %s", p->api_key) < 0) v = NULL;
        rc |= push(&arr, &n, &cap, v ? header("authorization", v) : NULL);
        free(v);
    }
    rc |= push(&arr, &n, &cap, header("accept", "text/event-stream"));
    rc |= push(&arr, &n, &cap, header("content-type", "application/json"));
    if (o->user_agent) rc |= push(&arr, &n, &cap, header("user-agent", o->user_agent));
    if (o->originator) rc |= push(&arr, &n, &cap, header("originator", o->originator));
    if (o->subagent) rc |= push(&arr, &n, &cap, header("x-openai-subagent", o->subagent));
    if (p && p->http_headers && json_object_is_type(p->http_headers, json_type_object)) {
        json_object_object_foreach(p->http_headers, k, v)
        {
            if (json_object_is_type(v, json_type_string))
                rc |= push(&arr, &n, &cap, header(k, json_object_get_string(v)));
        }
    }
    if (p && p->env_http_headers && json_object_is_type(p->env_http_headers, json_type_object)) {
        json_object_object_foreach(p->env_http_headers, k, v)
        {
            const char *val =
                json_object_is_type(v, json_type_string) ? getenv(json_object_get_string(v)) : NULL;
            if (val && *val) rc |= push(&arr, &n, &cap, header(k, val));
        }
    }
    if (rc) {
        cx__request_headers_free(arr);
        return NULL;
    }
    if (!arr) push(&arr, &n, &cap, strdup("accept: text/event-stream"));
    return arr;
}

void cx__request_headers_free(char **headers)
{
    if (!headers) return;
    for (char **h = headers; *h; h++)
        free(*h);
    free(headers);
}

char *cx__request_url(const cx_provider *p, const char *path)
{
    cx_buf b = CX_BUF_INIT;
    const char *base = p && p->base_url ? p->base_url : "https://api.openai.com/v1";
    size_t len = strlen(base);
    while (len && base[len - 1] == '/')
        len--;
    cx__buf_append(&b, base, len);
    cx__buf_puts(&b, path);
    if (p && p->query_params && json_object_is_type(p->query_params, json_type_object)) {
        char sep = strchr(cx__buf_str(&b), '?') ? '&' : '?';
        json_object_object_foreach(p->query_params, k, v)
        {
            const char *val = json_object_get_string(v);
            char *ek = curl_easy_escape(NULL, k, 0);
            char *ev = curl_easy_escape(NULL, val ? val : "", 0);
            if (ek && ev) cx__buf_printf(&b, "%c%s=%s", sep, ek, ev);
            curl_free(ek);
            curl_free(ev);
            sep = '&';
        }
    }
    return cx__buf_steal(&b);
}

/* "Debian 12.0.0": the distribution name and a three-part version, the way
 * upstream's os_info crate prints it. */
static void os_name_version(char *out, size_t size)
{
    char name[64] = "", version[64] = "";
    FILE *f = fopen("/etc/os-release", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            char *v = strchr(line, '=');
            if (!v) continue;
            *v++ = '\0';
            v[strcspn(v, "\r\n")] = '\0';
            if (*v == '"') {
                v++;
                char *q = strchr(v, '"');
                if (q) *q = '\0';
            }
            if (!strcmp(line, "NAME")) {
                snprintf(name, sizeof name, "%.*s", (int)strcspn(v, " "), v);
            } else if (!strcmp(line, "VERSION_ID")) {
                snprintf(version, sizeof version, "%s", v);
            }
        }
        fclose(f);
    }
    if (!*name) {
        struct utsname u;
        if (uname(&u) == 0) {
            snprintf(out, size, "%s %s", u.sysname, u.release);
            return;
        }
        snprintf(out, size, "Linux unknown");
        return;
    }
    int dots = 0;
    for (const char *c = version; *c; c++)
        dots += *c == '.';
    if (!*version)
        snprintf(version, sizeof version, "unknown");
    else if (strspn(version, "0123456789.") == strlen(version))
        for (; dots < 2; dots++)
            strncat(version, ".0", sizeof version - strlen(version) - 1);
    snprintf(out, size, "%s %s", name, version);
}

static void terminal_name(char *out, size_t size)
{
    const char *prog = getenv("TERM_PROGRAM");
    const char *ver = getenv("TERM_PROGRAM_VERSION");
    const char *term = getenv("TERM");
    if (prog && *prog) {
        if (ver && *ver)
            snprintf(out, size, "%s/%s", prog, ver);
        else
            snprintf(out, size, "%s", prog);
    } else if (term && *term) {
        snprintf(out, size, "%s", term);
    } else {
        snprintf(out, size, "unknown");
    }
    /* A user agent is one header line: keep it to safe characters. */
    for (char *c = out; *c; c++)
        if (*c <= ' ' || *c == '(' || *c == ')' || *c == ';' || *c == 0x7f) *c = '_';
}

char *cx__request_user_agent(const char *originator, const char *client)
{
    char os[160], term[128];
    struct utsname u;
    const char *arch = uname(&u) == 0 ? u.machine : "unknown";
    os_name_version(os, sizeof os);
    terminal_name(term, sizeof term);
    char *s = NULL;
    if (asprintf(&s, "%s/%s (%s; %s) %s (%s; %s)", originator, CCODEX_VERSION, os, arch, term,
                 client, CCODEX_VERSION) < 0)
        return NULL;
    return s;
}
