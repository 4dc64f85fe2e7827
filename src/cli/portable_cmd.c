/* Portable mode commands: --put, --call and storage-server. The formats and
 * the protocol live in src/portable; this file parses arguments and prints,
 * with pycodex's lines where pycodex prints something. */
#include "httpd/http_guard.h"
#include "cli/cli.h"
#include "cli/stop_signal.h"
#include "portable/bundle.h"
#include "portable/client.h"
#include "portable/storage_server.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_line(void *user, const char *line)
{
    (void)user;
    printf("%s\n", line);
    fflush(stdout);
}

/* shlex.quote, so the last line of --put pastes into any POSIX shell as
 * pycodex's does (tokens are normally plain and come out unquoted). */
static void print_shell_word(const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("_@%+=:,./-", *p) != NULL;
    if (plain) {
        fputs(s, stdout);
        return;
    }
    putchar('\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            fputs("'\"'\"'", stdout);
        else
            putchar(*p);
    }
    putchar('\'');
}

int cx_cli_portable_put(const char *spec)
{
    char *home = NULL, *server = NULL;
    cx_error err;
    if (cx__portable_put_spec(spec, &home, &server, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 2;
    }
    char *token = cx__portable_put(home, server, print_line, NULL, &err);
    free(home);
    free(server);
    if (!token) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    /* prove the token works before handing it out: a real download and unpack */
    printf("[put] testing call: %s\n", token);
    fflush(stdout);
    const char *tmp = getenv("TMPDIR");
    char *root = NULL;
    int rc = 1;
    if (asprintf(&root, "%s/ccodex-put-call-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
        root = NULL;
    if (!root || !mkdtemp(root)) {
        fprintf(stderr, "error: cannot create a temporary folder for the call test\n");
    } else {
        char *called = cx__portable_call(token, root, &err);
        if (!called) {
            fprintf(stderr, "error: call test failed: %s\n", err.msg);
        } else {
            printf("[put] call test ok: config.toml\n");
            printf("[put] one-click start:\n");
            fputs("ccodex --call ", stdout);
            print_shell_word(token);
            putchar('\n');
            rc = 0;
        }
        free(called);
        cx__bundle_rmtree(root);
    }
    free(root);
    free(token);
    fflush(stdout);
    return rc;
}

int cx_cli_portable_call(const char *token, char **home)
{
    cx_error err;
    *home = cx__portable_call(token, NULL, &err);
    if (!*home) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static void stop_server(void *server)
{
    cx__storage_server_stop(server);
}

static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (!argv[*i]) return NULL;
    if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') return argv[*i] + n + 1;
    if (strcmp(argv[*i], name)) return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "error: %s needs a value\n", name);
        return "";
    }
    return argv[++*i];
}

int cx_cli_storage_server(int argc, char **argv)
{
    const char *host = "127.0.0.1", *root = ".ccodex-storage", *port_text = "5577";
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("Usage: ccodex storage-server [--host 127.0.0.1] [--port 5577] [--root "
                 ".ccodex-storage]\n"
                 "Keeps the encrypted bundles of `ccodex --put` (and pycodex's) for `--call`.\n"
                 "--port 0 picks a free port; objects go to ROOT/objects. Stops on Ctrl-C or "
                 "SIGTERM.");
            return 0;
        } else if ((v = option_value(argc, argv, &i, "--host"))) {
            host = v;
        } else if ((v = option_value(argc, argv, &i, "--port"))) {
            port_text = v;
        } else if ((v = option_value(argc, argv, &i, "--root"))) {
            root = v;
        } else {
            fprintf(stderr, "error: unknown argument '%s' (see ccodex storage-server --help)\n",
                    argv[i]);
            return 2;
        }
        if (!*v) {
            if (i < argc && strchr(argv[i], '='))
                fprintf(stderr, "error: %.*s needs a value\n",
                        (int)(strchr(argv[i], '=') - argv[i]), argv[i]);
            return 2;
        }
    }
    char *end;
    long port = strtol(port_text, &end, 10);
    if (*end || end == port_text || port < 0 || port > 65535) {
        fprintf(stderr, "error: --port wants a number from 0 to 65535, not '%s'\n", port_text);
        return 2;
    }
    cx_cli_server_signals(); /* before the server starts threads */
    cx_error err;
    cx_storage_server *s = cx__storage_server_new(host, (int)port, root, print_line, NULL, &err);
    if (!s) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    cx_cli_stopper waiter;
    if (cx_cli_stopper_start(&waiter, stop_server, s) != 0) {
        fprintf(stderr, "error: cannot start the signal thread\n");
        cx__storage_server_free(s);
        return 1;
    }
    int bound = cx__storage_server_port(s);
    printf("storage server listening on http://%s:%d/v1/storage\n", host, bound);
    printf("storage root: %s\n", cx__storage_server_root(s));
    printf("put current home: ccodex --put @%s:%d\n", host, bound);
    printf("put custom home: ccodex --put /data/.codex/@%s:%d\n", host, bound);
    fflush(stdout);
    cx__storage_server_run(s);
    cx_cli_stopper_join(&waiter);
    cx__storage_server_free(s);
    return 0;
}
