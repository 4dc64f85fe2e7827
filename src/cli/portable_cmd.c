/* Portable mode commands: --put, --call and storage-server. The formats and
 * the protocol live in src/portable; this file only parses and prints. */
#include "cli/cli.h"
#include "portable/portable.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void print_line(void *user, const char *line)
{
    (void)user;
    printf("%s\n", line);
    fflush(stdout);
}

static void remove_tree(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
        _exit(127);
    }
    if (pid > 0) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
    }
}

int cx_cli_portable_put(const char *spec)
{
    /* "[PATH]@HOST:PORT", or a bare PATH for the default server */
    char *copy = strdup(spec ? spec : "");
    char *at = strrchr(copy, '@');
    const char *home = NULL, *server = NULL;
    if (at) {
        *at = '\0';
        home = *copy ? copy : NULL;
        server = at + 1;
        if (!*server) {
            fprintf(stderr, "error: put spec is missing the server after @\n");
            free(copy);
            return 2;
        }
    } else {
        home = *copy ? copy : NULL;
    }
    cx_error err;
    char *token = cx_portable_put(home, server, print_line, NULL, &err);
    free(copy);
    if (!token) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    /* prove the token works before handing it out: a real download and unpack */
    printf("[put] testing call: %s\n", token);
    fflush(stdout);
    char root[] = "/tmp/ccodex-put-call-test-XXXXXX";
    int rc = 0;
    if (!mkdtemp(root)) {
        fprintf(stderr, "error: cannot create a temporary folder for the call test\n");
        rc = 1;
    } else {
        char *home_dir = cx_portable_call(token, root, &err);
        if (!home_dir) {
            fprintf(stderr, "error: call test failed: %s\n", err.msg);
            rc = 1;
        } else {
            printf("[put] call test ok: config.toml\n");
            printf("[put] one-click start:\n");
            printf("ccodex --call %s\n", token);
        }
        free(home_dir);
        remove_tree(root);
    }
    free(token);
    fflush(stdout);
    return rc;
}

int cx_cli_portable_call(const char *token, char **home)
{
    cx_error err;
    *home = cx_portable_call(token, NULL, &err);
    if (!*home) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static void *wait_signal(void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig;
    sigwait(&set, &sig);
    cx_storage_server_stop(arg);
    return NULL;
}

int cx_cli_storage_server(int argc, char **argv)
{
    const char *host = "127.0.0.1", *root = ".ccodex-storage";
    int port = 5577;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            puts("Usage: ccodex storage-server [--host 127.0.0.1] [--port 5577] [--root .ccodex-storage]\n"
                 "Stores encrypted portable bundles for `ccodex --put` / `ccodex --call` (and pycodex's).");
            return 0;
        }
        if (i + 1 >= argc || (strcmp(a, "--host") && strcmp(a, "--port") && strcmp(a, "--root"))) {
            fprintf(stderr, "error: unknown option or missing value '%s' (see ccodex storage-server --help)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--root")) root = v;
        else {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 0 || n > 65535) {
                fprintf(stderr, "error: --port wants a number, not '%s'\n", v);
                return 2;
            }
            port = (int)n;
        }
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    cx_error err;
    cx_storage_server *s = cx_storage_server_new(host, port, root, &err);
    if (!s) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    pthread_t waiter;
    if (pthread_create(&waiter, NULL, wait_signal, s) != 0) {
        cx_storage_server_free(s);
        return 1;
    }
    fprintf(stderr, "ccodex storage-server: listening on http://%s:%d (root %s)\n", host, cx_storage_server_port(s),
            root);
    cx_storage_server_run(s);
    pthread_join(waiter, NULL);
    cx_storage_server_free(s);
    return 0;
}
