/* `ccodex mcp list|get|add|remove|login|logout`: the [mcp_servers] tables of
 * CODEX_HOME/config.toml, shown and edited as upstream's `codex mcp` does.
 * Edits go through the text editor (base/toml_edit.h) so the rest of the
 * user's file is kept byte for byte, are checked by re-parsing, and replace
 * the file atomically. */
#include "cli/mcp_cli.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/toml.h"
#include "base/toml_edit.h"
#include "mcp/servers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MASK "*****"

typedef struct home_cfg {
    char *path;
    cx_buf text;
    json_object *doc;
} home_cfg;

static void home_free(home_cfg *h)
{
    free(h->path);
    cx__buf_free(&h->text);
    json_object_put(h->doc);
}

/* Reads CODEX_HOME/config.toml (a missing file reads as empty). */
static int home_load(home_cfg *h)
{
    memset(h, 0, sizeof *h);
    char *home = cx_config_home(NULL);
    if (!home || asprintf(&h->path, "%s/config.toml", home) < 0) h->path = NULL;
    free(home);
    if (!h->path) {
        fprintf(stderr, "Error: out of memory\n");
        return 1;
    }
    FILE *f = fopen(h->path, "rb");
    if (f) {
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            cx__buf_append(&h->text, chunk, n);
        fclose(f);
    } else if (errno != ENOENT) {
        fprintf(stderr, "Error: cannot read %s: %s\n", h->path, strerror(errno));
        return 1;
    }
    cx_error err;
    if (cx__toml_parse(cx__buf_str(&h->text), h->text.len, &h->doc, &err) != 0) {
        fprintf(stderr, "Error: %s: %s\n", h->path, err.msg);
        return 1;
    }
    return 0;
}

/* ---- pretty JSON in serde_json's layout (2 spaces, `[]`/`{}` when empty) -------------- */

static void pretty(const json_object *o, int indent, cx_buf *b)
{
    bool arr = json_object_is_type(o, json_type_array);
    if (!arr && !json_object_is_type(o, json_type_object)) {
        cx__json_dump(o, b);
        return;
    }
    size_t n = arr ? json_object_array_length(o) : (size_t)json_object_object_length(o);
    if (!n) {
        cx__buf_puts(b, arr ? "[]" : "{}");
        return;
    }
    cx__buf_puts(b, arr ? "[\n" : "{\n");
    size_t i = 0;
    if (arr) {
        for (; i < n; i++) {
            cx__buf_printf(b, "%*s", indent + 2, "");
            pretty(json_object_array_get_idx(o, i), indent + 2, b);
            cx__buf_puts(b, i + 1 < n ? ",\n" : "\n");
        }
    } else {
        json_object_object_foreach((json_object *)o, k, v)
        {
            cx__buf_printf(b, "%*s", indent + 2, "");
            json_object *key = json_object_new_string(k);
            cx__json_dump(key, b);
            json_object_put(key);
            cx__buf_puts(b, ": ");
            pretty(v, indent + 2, b);
            cx__buf_puts(b, ++i < n ? ",\n" : "\n");
        }
    }
    cx__buf_printf(b, "%*s%s", indent, "", arr ? "]" : "}");
}

void cx_cli_json_pretty(const json_object *o, FILE *out)
{
    cx_buf b = CX_BUF_INIT;
    pretty(o, 0, &b);
    fprintf(out, "%s\n", cx__buf_str(&b));
    cx__buf_free(&b);
}

/* ---- list / get --------------------------------------------------------------------------- */

static json_object *strv_json(char **v, bool null_when_unset)
{
    if (!v) return null_when_unset ? NULL : json_object_new_array();
    json_object *a = json_object_new_array();
    for (char **p = v; *p; p++)
        json_object_array_add(a, json_object_new_string(*p));
    return a;
}

static json_object *secs_json(double s)
{
    return s < 0 ? NULL : json_object_new_double(s);
}

static json_object *server_json(const cx_mcp_server_cfg *s, bool for_get)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "name", s->name);
    cx__json_set(o, "enabled", json_object_new_boolean(s->enabled));
    cx__json_set(o, "disabled_reason", NULL);
    json_object *t = json_object_new_object();
    if (s->url) {
        cx__json_set_str(t, "type", "streamable_http");
        cx__json_set_str(t, "url", s->url);
        cx__json_set_str(t, "bearer_token_env_var", s->bearer_token_env_var);
        cx__json_set(t, "http_headers", s->http_headers ? json_object_get(s->http_headers) : NULL);
        cx__json_set(t, "env_http_headers",
                     s->env_http_headers ? json_object_get(s->env_http_headers) : NULL);
    } else {
        cx__json_set_str(t, "type", "stdio");
        cx__json_set_str(t, "command", s->command);
        cx__json_set(t, "args", strv_json(s->args, false));
        cx__json_set(t, "env", s->env ? json_object_get(s->env) : NULL);
        cx__json_set(t, "env_vars", strv_json(s->env_vars, false));
        cx__json_set_str(t, "cwd", s->cwd);
    }
    cx__json_set(o, "transport", t);
    if (for_get) {
        cx__json_set(o, "enabled_tools", strv_json(s->enabled_tools, true));
        cx__json_set(o, "disabled_tools", strv_json(s->disabled_tools, true));
    }
    cx__json_set(o, "startup_timeout_sec", secs_json(s->startup_timeout_sec));
    cx__json_set(o, "tool_timeout_sec", secs_json(s->tool_timeout_sec));
    if (!for_get)
        cx__json_set_str(o, "auth_status",
                         s->url && s->bearer_token_env_var ? "bearer_token" : "unsupported");
    return o;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "A=*****, B=*****" (keys sorted), or "-". */
static char *masked(const json_object *map)
{
    size_t n = map ? (size_t)json_object_object_length(map) : 0;
    if (!n) return strdup("-");
    const char **keys = calloc(n, sizeof *keys);
    size_t i = 0;
    json_object_object_foreach((json_object *)map, k, v)
    {
        (void)v;
        keys[i++] = k;
    }
    qsort(keys, n, sizeof *keys, by_key);
    cx_buf b = CX_BUF_INIT;
    for (i = 0; i < n; i++)
        cx__buf_printf(&b, "%s%s=" MASK, i ? ", " : "", keys[i]);
    free(keys);
    return cx__buf_steal(&b);
}

static char *joined(char **v, const char *sep)
{
    cx_buf b = CX_BUF_INIT;
    for (char **p = v; p && *p; p++)
        cx__buf_printf(&b, "%s%s", p == v ? "" : sep, *p);
    if (!b.len) cx__buf_puts(&b, "-");
    return cx__buf_steal(&b);
}

/* A table: columns padded to their widest cell, two spaces apart. */
static void print_table(char ***rows, size_t nrows, size_t ncols)
{
    size_t w[8] = {0};
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < ncols; c++)
            if (strlen(rows[r][c]) > w[c]) w[c] = strlen(rows[r][c]);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++)
            printf("%s%-*s", c ? "  " : "", (int)w[c], rows[r][c]);
        printf("\n");
    }
}

static void free_rows(char ***rows, size_t nrows, size_t ncols)
{
    for (size_t r = 1; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++)
            free(rows[r][c]);
        free(rows[r]);
    }
    free(rows);
}

static void list_tables(const cx_mcp_server_cfg *s, size_t n)
{
    static char *stdio_head[] = {"Name", "Command", "Args", "Env", "Cwd", "Status", "Auth"};
    static char *http_head[] = {"Name", "Url", "Bearer Token Env Var", "Status", "Auth"};
    char ***st = calloc(n + 1, sizeof *st), ***ht = calloc(n + 1, sizeof *ht);
    size_t ns = 1, nh = 1;
    st[0] = stdio_head;
    ht[0] = http_head;
    for (size_t i = 0; i < n; i++) {
        const char *status = s[i].enabled ? "enabled" : "disabled";
        if (s[i].url) {
            char **row = calloc(5, sizeof *row);
            row[0] = strdup(s[i].name);
            row[1] = strdup(s[i].url);
            row[2] = strdup(s[i].bearer_token_env_var ? s[i].bearer_token_env_var : "-");
            row[3] = strdup(status);
            row[4] = strdup(s[i].bearer_token_env_var ? "Bearer token" : "Unsupported");
            ht[nh++] = row;
        } else {
            char **row = calloc(7, sizeof *row);
            row[0] = strdup(s[i].name);
            row[1] = strdup(s[i].command);
            row[2] = joined(s[i].args, " ");
            row[3] = masked(s[i].env);
            row[4] = strdup(s[i].cwd ? s[i].cwd : "-");
            row[5] = strdup(status);
            row[6] = strdup("Unsupported");
            st[ns++] = row;
        }
    }
    if (ns > 1) print_table(st, ns, 7);
    if (ns > 1 && nh > 1) printf("\n");
    if (nh > 1) print_table(ht, nh, 5);
    free_rows(st, ns, 7);
    free_rows(ht, nh, 5);
}

static void print_secs(const char *key, double s)
{
    if (s < 0) return;
    if (s == (double)(long long)s)
        printf("  %s: %lld\n", key, (long long)s);
    else
        printf("  %s: %g\n", key, s);
}

static void get_text(const cx_mcp_server_cfg *s)
{
    if (!s->enabled) {
        printf("%s (disabled)\n", s->name);
        return;
    }
    printf("%s\n  enabled: true\n", s->name);
    char *v;
    if (s->enabled_tools) {
        v = joined(s->enabled_tools, ", ");
        printf("  enabled_tools: %s\n", v);
        free(v);
    }
    if (s->disabled_tools) {
        v = joined(s->disabled_tools, ", ");
        printf("  disabled_tools: %s\n", v);
        free(v);
    }
    if (s->url) {
        printf("  transport: streamable_http\n  url: %s\n", s->url);
        printf("  bearer_token_env_var: %s\n",
               s->bearer_token_env_var ? s->bearer_token_env_var : "-");
        v = masked(s->http_headers);
        printf("  http_headers: %s\n", v);
        free(v);
        v = masked(s->env_http_headers);
        printf("  env_http_headers: %s\n", v);
        free(v);
    } else {
        printf("  transport: stdio\n  command: %s\n", s->command);
        v = joined(s->args, " ");
        printf("  args: %s\n", v);
        free(v);
        printf("  cwd: %s\n", s->cwd ? s->cwd : "-");
        v = masked(s->env);
        printf("  env: %s\n", v);
        free(v);
    }
    print_secs("startup_timeout_sec", s->startup_timeout_sec);
    print_secs("tool_timeout_sec", s->tool_timeout_sec);
    printf("  remove: codex mcp remove %s\n", s->name);
}

/* Loads the file and its servers; on failure prints why and releases h. */
static int load_servers(home_cfg *h, cx_mcp_server_cfg **s, size_t *n)
{
    cx_error err;
    if (home_load(h) != 0) {
        home_free(h);
        return 1;
    }
    if (cx__mcp_servers_parse(h->doc, s, n, &err) != 0) {
        fprintf(stderr, "Error: %s: %s\n", h->path, err.msg);
        home_free(h);
        return 1;
    }
    return 0;
}

static int cmd_list(bool json)
{
    home_cfg h;
    cx_mcp_server_cfg *s = NULL;
    size_t n = 0;
    if (load_servers(&h, &s, &n) != 0) return 1;
    if (json) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++)
            json_object_array_add(a, server_json(&s[i], false));
        cx_cli_json_pretty(a, stdout);
        json_object_put(a);
    } else if (!n) {
        printf("No MCP servers configured yet. Try `codex mcp add my-tool -- my-command`.\n");
    } else {
        list_tables(s, n);
    }
    cx__mcp_servers_free(s, n);
    home_free(&h);
    return 0;
}

static int cmd_get(const char *name, bool json)
{
    home_cfg h;
    cx_mcp_server_cfg *s = NULL;
    size_t n = 0;
    if (load_servers(&h, &s, &n) != 0) return 1;
    int rc = 1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s[i].name, name)) continue;
        if (json) {
            json_object *o = server_json(&s[i], true);
            cx_cli_json_pretty(o, stdout);
            json_object_put(o);
        } else {
            get_text(&s[i]);
        }
        rc = 0;
    }
    if (rc) fprintf(stderr, "Error: No MCP server named '%s' found.\n", name);
    cx__mcp_servers_free(s, n);
    home_free(&h);
    return rc;
}

/* ---- add / remove ------------------------------------------------------------------------- */

/* Writes text to path through a temporary file in the same folder, keeping
 * the old file's mode. */
static int write_atomic(const char *path, const cx_buf *text)
{
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        mkdir(dir, 0700);
    }
    free(dir);
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0) return -1;
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0600;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    bool ok = fd >= 0 && write(fd, text->data ? text->data : "", text->len) == (ssize_t)text->len &&
              fsync(fd) == 0;
    if (fd >= 0) ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "Error: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

/* Replaces (insert non-NULL) or removes mcp_servers.NAME in the file, and
 * checks the result: it parses, and the server is gone / present. */
static int edit_server(home_cfg *h, const char *name, const char *insert, bool *existed)
{
    const char *path[] = {"mcp_servers", name};
    cx_buf out = CX_BUF_INIT;
    cx_error err;
    if (cx__toml_edit_replace_tables(cx__buf_str(&h->text), h->text.len, path, 2, insert, &out,
                                     existed, &err) != 0) {
        fprintf(stderr, "Error: %s: %s\n", h->path, err.msg);
        cx__buf_free(&out);
        return 1;
    }
    json_object *doc = NULL;
    int rc = 0;
    if (cx__toml_parse(cx__buf_str(&out), out.len, &doc, &err) != 0) {
        fprintf(stderr, "Error: editing %s would break it (%s); it was left unchanged\n", h->path,
                err.msg);
        rc = 1;
    } else {
        json_object *servers = cx__json_get(doc, "mcp_servers");
        bool present = cx__json_get(servers, name) != NULL;
        if (present != (insert != NULL)) {
            fprintf(stderr,
                    "Error: mcp_servers.%s in %s is not written as a [mcp_servers.%s] table; "
                    "edit it by hand\n",
                    name, h->path, name);
            rc = 1;
        }
    }
    json_object_put(doc);
    if (!rc && (insert || *existed)) rc = write_atomic(h->path, &out) ? 1 : 0;
    cx__buf_free(&out);
    return rc;
}

static int cmd_remove(const char *name)
{
    home_cfg h;
    if (home_load(&h) != 0) {
        home_free(&h);
        return 1;
    }
    bool existed = cx__json_get(cx__json_get(h.doc, "mcp_servers"), name) != NULL;
    bool removed = false;
    int rc = existed ? edit_server(&h, name, NULL, &removed) : 0;
    if (!rc) {
        if (existed)
            printf("Removed global MCP server '%s'.\n", name);
        else
            printf("No MCP server named '%s' found.\n", name);
    }
    home_free(&h);
    return rc;
}

static void add_usage(void)
{
    fprintf(stderr, "error: the following required arguments were not provided:\n"
                    "  <COMMAND|--url <URL>>\n\n"
                    "Usage: codex mcp add [OPTIONS] <NAME> (--url <URL> | -- <COMMAND>...)\n\n"
                    "For more information, try '--help'.\n");
}

static int cmd_add(int argc, char **argv)
{
    const char *name = NULL, *url = NULL, *bearer = NULL;
    json_object *env = json_object_new_object();
    char **cmd = NULL;
    int ncmd = 0, rc = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            cmd = argv + i + 1;
            ncmd = argc - i - 1;
            break;
        } else if (!strcmp(a, "--env") && i + 1 < argc) {
            const char *kv = argv[++i];
            const char *eq = strchr(kv, '=');
            if (!eq || eq == kv) {
                fprintf(stderr,
                        "error: invalid value '%s' for '--env <KEY=VALUE>': environment entries "
                        "must be in KEY=VALUE form\n",
                        kv);
                json_object_put(env);
                return 2;
            }
            char *k = strndup(kv, (size_t)(eq - kv));
            cx__json_set_str(env, k, eq + 1);
            free(k);
        } else if (!strcmp(a, "--url") && i + 1 < argc) {
            url = argv[++i];
        } else if (!strcmp(a, "--bearer-token-env-var") && i + 1 < argc) {
            bearer = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "error: unexpected argument '%s' found\n", a);
            json_object_put(env);
            return 2;
        } else if (!name) {
            name = a;
        } else {
            cmd = argv + i;
            ncmd = argc - i;
            break;
        }
    }
    if (!name || (!url && ncmd == 0)) {
        add_usage();
        json_object_put(env);
        return 2;
    }
    if (!cx__mcp_name_valid(name)) {
        fprintf(stderr, "Error: invalid server name '%s' (use letters, numbers, '-', '_')\n", name);
        json_object_put(env);
        return 1;
    }
    if (url && (ncmd || json_object_object_length(env))) {
        fprintf(stderr, "Error: command is required\n");
        json_object_put(env);
        return 1;
    }
    cx_buf t = CX_BUF_INIT;
    cx__buf_puts(&t, "[mcp_servers.");
    cx__toml_put_key(&t, name);
    cx__buf_puts(&t, "]\n");
    if (url) {
        cx__buf_puts(&t, "url = ");
        cx__toml_put_string(&t, url);
        cx__buf_putc(&t, '\n');
        if (bearer) {
            cx__buf_puts(&t, "bearer_token_env_var = ");
            cx__toml_put_string(&t, bearer);
            cx__buf_putc(&t, '\n');
        }
    } else {
        cx__buf_puts(&t, "command = ");
        cx__toml_put_string(&t, cmd[0]);
        cx__buf_putc(&t, '\n');
        if (ncmd > 1) {
            cx__buf_puts(&t, "args = [");
            for (int i = 1; i < ncmd; i++) {
                if (i > 1) cx__buf_puts(&t, ", ");
                cx__toml_put_string(&t, cmd[i]);
            }
            cx__buf_puts(&t, "]\n");
        }
        size_t n = (size_t)json_object_object_length(env);
        if (n) {
            const char **keys = calloc(n, sizeof *keys);
            size_t i = 0;
            json_object_object_foreach(env, k, v)
            {
                (void)v;
                keys[i++] = k;
            }
            qsort(keys, n, sizeof *keys, by_key);
            cx__buf_puts(&t, "\n[mcp_servers.");
            cx__toml_put_key(&t, name);
            cx__buf_puts(&t, ".env]\n");
            for (i = 0; i < n; i++) {
                cx__toml_put_key(&t, keys[i]);
                cx__buf_puts(&t, " = ");
                cx__toml_put_string(&t, cx__json_get_str(env, keys[i]));
                cx__buf_putc(&t, '\n');
            }
            free(keys);
        }
    }
    home_cfg h;
    bool existed = false;
    if (home_load(&h) == 0 && edit_server(&h, name, cx__buf_str(&t), &existed) == 0) {
        printf("Added global MCP server '%s'.\n", name);
        rc = 0;
    }
    home_free(&h);
    cx__buf_free(&t);
    json_object_put(env);
    return rc;
}

static int cmd_auth(const char *name, bool login)
{
    home_cfg h;
    cx_mcp_server_cfg *s = NULL;
    size_t n = 0;
    if (load_servers(&h, &s, &n) != 0) return 1;
    const cx_mcp_server_cfg *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s[i].name, name)) found = &s[i];
    if (!found)
        fprintf(stderr, "Error: No MCP server named '%s' found.\n", name);
    else if (!found->url)
        fprintf(stderr, "%s\n",
                login ? "Error: OAuth login is only supported for streamable HTTP servers."
                      : "Error: OAuth logout is only supported for streamable_http transports.");
    else
        fprintf(stderr, "Error: OAuth %s is not supported by ccodex; use bearer_token_env_var.\n",
                login ? "login" : "logout");
    cx__mcp_servers_free(s, n);
    home_free(&h);
    return 1;
}

static void mcp_usage(FILE *f)
{
    fputs("Usage: ccodex mcp <COMMAND>\n\n"
          "Commands:\n"
          "  list [--json]            the configured MCP servers\n"
          "  get NAME [--json]        one server\n"
          "  add NAME [--env K=V]... -- COMMAND [ARGS]...\n"
          "  add NAME --url URL [--bearer-token-env-var VAR]\n"
          "  remove NAME              delete a server from config.toml\n",
          f);
}

int cx_cli_mcp(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        mcp_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    bool json = false;
    const char *name = NULL;
    if (strcmp(sub, "add") != 0)
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--json"))
                json = true;
            else if (!name && argv[i][0] != '-')
                name = argv[i];
            else {
                fprintf(stderr, "error: unexpected argument '%s' found\n", argv[i]);
                return 2;
            }
        }
    if (!strcmp(sub, "list")) return cmd_list(json);
    if (!strcmp(sub, "add")) return cmd_add(argc - 2, argv + 2);
    if (!name) {
        fprintf(stderr, "error: the following required arguments were not provided:\n  <NAME>\n");
        return 2;
    }
    if (!strcmp(sub, "get")) return cmd_get(name, json);
    if (!strcmp(sub, "remove")) return cmd_remove(name);
    if (!strcmp(sub, "login") || !strcmp(sub, "logout")) return cmd_auth(name, sub[3] == 'i');
    fprintf(stderr, "error: unrecognized subcommand '%s'\n", sub);
    mcp_usage(stderr);
    return 2;
}
