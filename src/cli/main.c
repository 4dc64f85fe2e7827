/* ccodex entry point: parses the command line and dispatches to a command.
 * Start-up work stays minimal: nothing here touches the network or scans
 * CODEX_HOME before a command needs it. */
#include "cli/cli.h"
#include "cli/mcp_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Commands that live in other files of the CLI and may be left out of a build. */
#pragma weak cx_cli_serve
#pragma weak cx_cli_doctor
#pragma weak cx_cli_portable_put
#pragma weak cx_cli_portable_call
#pragma weak cx_cli_storage_server

static int missing_command(const char *name)
{
    fprintf(stderr, "error: `ccodex %s` is not part of this build\n", name);
    return 1;
}

static void usage(FILE *f)
{
    fputs(
        "ccodex " CCODEX_VERSION " - a coding agent compatible with Codex CLI\n"
        "\n"
        "Usage:\n"
        "  ccodex [OPTIONS] [PROMPT]         one turn (PROMPT or stdin); no prompt on a TTY: REPL\n"
        "  ccodex exec [--json] [OPTIONS] [PROMPT|-]\n"
        "                                    one non-interactive turn; --json prints JSONL events\n"
        "  ccodex exec [OPTIONS] resume [--last [--all]|ID] [PROMPT|-]\n"
        "                                    continue a stored session (see docs/SESSIONS.md)\n"
        "  ccodex resume [--last|ID]         continue a stored session in the REPL\n"
        "  ccodex serve --downstream-base-url URL [--model-provider vllm|stepfun|openai]\n"
        "               [--host 127.0.0.1] [--port N]\n"
        "                                    Responses API server in front of Chat Completions\n"
        "  ccodex doctor [--json] [--skip-live]   check configuration and connectivity\n"
        "  ccodex mcp list|get|add|remove    manage [mcp_servers] in config.toml\n"
        "  ccodex mcp-server                 serve ccodex as an MCP server on stdio\n"
        "  ccodex sandbox linux [--full-auto] [-c K=V] -- CMD...\n"
        "                                    run CMD under the commands' sandbox\n"
        "  ccodex --put [PATH]@HOST:PORT     upload CODEX_HOME (or PATH) for portable use\n"
        "  ccodex --call TOKEN [PROMPT]      run with a home fetched from a storage server\n"
        "  ccodex storage-server [--host H] [--port N] [--root DIR]\n"
        "                                    the storage server --put/--call talk to\n"
        "\n"
        "Options:\n"
        "  -m, --model MODEL          model to use\n"
        "  -p, --profile NAME         config profile (profiles.NAME in config.toml)\n"
        "  -c, --config KEY=VALUE     override a config key (VALUE in TOML syntax); repeatable\n"
        "      --search               live web search for the interactive client (exec keeps "
        "cached)\n"
        "  -s, --sandbox MODE         read-only | workspace-write | danger-full-access\n"
        "  -a, --ask-for-approval P   untrusted | on-failure | on-request | never\n"
        "      --full-auto            workspace-write sandbox\n"
        "      --add-dir DIR          another writable directory for workspace-write; repeatable\n"
        "      --dangerously-bypass-approvals-and-sandbox, --yolo\n"
        "                             no sandbox and no approvals (docs/SANDBOX.md)\n"
        "  -C, --cd DIR               working directory for the agent\n"
        "      --vllm-endpoint URL    run the responses server in-process in front of the vLLM\n"
        "                             (chat completions) server at URL; no path means /v1\n"
        "      --use-chat-completion  reach the configured provider through that server (as\n"
        "                             a provider with wire_api = \"chat\" always is)\n"
        "      --json                 (exec) print events as JSON lines\n"
        "      --ephemeral            do not record the session under CODEX_HOME/sessions\n"
        "      --skip-git-repo-check  accepted for compatibility\n"
        "  -h, --help                 this help\n"
        "  -V, --version [--verbose]  print the version (--verbose: libraries, CA certificates)\n"
        "\n"
        "Configuration: $CODEX_HOME/config.toml (default ~/.codex). See docs/CONFIG.md.\n",
        f);
}

/* Returns the value for an option taking one, advancing *i; NULL when missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *arg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) == 0 && arg[n] == '=') return arg + n + 1;
    if (*i + 1 >= argc) {
        fprintf(stderr, "error: %s needs a value\n", name);
        return NULL;
    }
    return argv[++*i];
}

static bool is_opt(const char *arg, const char *s, const char *l)
{
    size_t n = l ? strlen(l) : 0;
    return (s && !strcmp(arg, s)) ||
           (l && (!strcmp(arg, l) || (!strncmp(arg, l, n) && arg[n] == '=')));
}

int main(int argc, char **argv)
{
    cx_cli_opts o = {0};
    char *called_home = NULL;
    const char *command = NULL;
    int first = 1;
    if (argc > 1 && (!strcmp(argv[1], "exec") || !strcmp(argv[1], "e"))) {
        command = "exec";
        first = 2;
    } else if (argc > 1 && !strcmp(argv[1], "serve")) {
        return cx_cli_serve ? cx_cli_serve(argc - 1, argv + 1) : missing_command("serve");
    } else if (argc > 1 && !strcmp(argv[1], "sandbox")) {
        return cx_cli_sandbox(argc - 1, argv + 1);
    } else if (argc > 1 && !strcmp(argv[1], "doctor")) {
        return cx_cli_doctor ? cx_cli_doctor(argc - 1, argv + 1) : missing_command("doctor");
    } else if (argc > 1 && !strcmp(argv[1], "storage-server")) {
        return cx_cli_storage_server ? cx_cli_storage_server(argc - 1, argv + 1)
                                     : missing_command("storage-server");
    } else if (argc > 1 && !strcmp(argv[1], "mcp")) {
        return cx_cli_mcp(argc - 1, argv + 1);
    } else if (argc > 1 && !strcmp(argv[1], "mcp-server")) {
        return cx_cli_mcp_server(argc - 1, argv + 1);
    } else if (argc > 1 && !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    const char **overrides = calloc((size_t)argc, sizeof *overrides);
    const char **add_dirs = calloc((size_t)argc, sizeof *add_dirs);
    if (!overrides || !add_dirs) return 1;
    o.overrides = overrides;
    o.add_dirs = add_dirs;
    int rc = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (!strcmp(a, "--")) {
            if (i + 1 < argc) o.prompt = argv[i + 1];
            break;
        } else if (is_opt(a, "-h", "--help")) {
            usage(stdout);
            goto out;
        } else if (is_opt(a, "-V", "--version")) {
            bool verbose = false;
            for (int j = 1; j < argc; j++)
                verbose |= !strcmp(argv[j], "--verbose");
            if (verbose)
                cx_cli_version_verbose(stdout);
            else
                printf("ccodex %s\n", CCODEX_VERSION);
            goto out;
        } else if (!strcmp(a, "--json")) {
            o.json = true;
            continue;
        } else if (!strcmp(a, "--search")) {
            /* upstream's interactive client turns on live web search; its exec
             * accepts the flag and keeps cached search */
            o.search = true;
            continue;
        } else if (!strcmp(a, "--ephemeral")) {
            o.ephemeral = true;
            continue;
        } else if (!o.resume && !o.prompt && !strcmp(a, "resume") &&
                   (i == first || (command && !strcmp(command, "exec")))) {
            o.resume = true;
            continue;
        } else if (o.resume && (!strcmp(a, "--last") || !strcmp(a, "--all"))) {
            if (!strcmp(a, "--last"))
                o.resume_last = true;
            else
                o.resume_all = true;
            continue;
        } else if (!strcmp(a, "--use-chat-completion")) {
            o.use_chat_completion = true;
            continue;
        } else if (!strcmp(a, "--dangerously-bypass-approvals-and-sandbox") ||
                   !strcmp(a, "--yolo")) {
            o.sandbox = "danger-full-access";
            o.approval = "never";
            continue;
        } else if (is_opt(a, NULL, "--add-dir")) {
            slot = &add_dirs[o.n_add_dirs];
            a = "--add-dir";
        } else if (!strcmp(a, "--skip-git-repo-check") || !strcmp(a, "--full-auto")) {
            if (!strcmp(a, "--full-auto")) o.sandbox = "workspace-write";
            continue;
        } else if (is_opt(a, "-m", "--model")) {
            slot = &o.model;
            a = "--model";
        } else if (is_opt(a, "-p", "--profile")) {
            slot = &o.profile;
            a = "--profile";
        } else if (is_opt(a, "-s", "--sandbox")) {
            slot = &o.sandbox;
            a = "--sandbox";
        } else if (is_opt(a, "-a", "--ask-for-approval")) {
            slot = &o.approval;
            a = "--ask-for-approval";
        } else if (is_opt(a, "-C", "--cd")) {
            slot = &o.cwd;
            a = "--cd";
        } else if (is_opt(a, NULL, "--vllm-endpoint")) {
            slot = &o.vllm_endpoint;
            a = "--vllm-endpoint";
        } else if (is_opt(a, NULL, "--put")) {
            slot = &o.put;
            a = "--put";
        } else if (is_opt(a, NULL, "--call")) {
            slot = &o.call;
            a = "--call";
        } else if (is_opt(a, "-c", "--config")) {
            slot = &overrides[o.n_overrides];
            a = "--config";
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "error: unknown option '%s' (see ccodex --help)\n", a);
            rc = 2;
            goto out;
        } else if (o.resume) {
            if (!cx_cli_resume_positional(&o, a)) {
                fprintf(stderr, "error: unexpected argument '%s' (quote the prompt)\n", a);
                rc = 2;
                goto out;
            }
            continue;
        } else {
            if (o.prompt) {
                fprintf(stderr, "error: unexpected argument '%s' (quote the prompt)\n", a);
                rc = 2;
                goto out;
            }
            o.prompt = a;
            continue;
        }
        const char *orig = argv[i];
        const char *v = (orig[0] == '-' && orig[1] == '-' && strchr(orig, '='))
                            ? strchr(orig, '=') + 1
                            : opt_value(argc, argv, &i, orig, a);
        if (!v) {
            rc = 2;
            goto out;
        }
        *slot = v;
        if (slot == &overrides[o.n_overrides]) o.n_overrides++;
        if (slot == &add_dirs[o.n_add_dirs]) o.n_add_dirs++;
    }
    /* (room: overrides has argc slots and each -c takes two arguments) */
    if (o.search && !command) overrides[o.n_overrides++] = "web_search=\"live\"";
    if (o.put && o.call) {
        fprintf(stderr, "error: --put and --call cannot be combined\n");
        rc = 2;
        goto out;
    }
    if (o.put) {
        if (o.prompt) {
            fprintf(stderr, "error: --put does not take a prompt\n");
            rc = 2;
        } else {
            rc = cx_cli_portable_put ? cx_cli_portable_put(o.put) : missing_command("--put");
        }
        goto out;
    }
    if (o.call) {
        if (!cx_cli_portable_call) {
            rc = missing_command("--call");
            goto out;
        }
        if ((rc = cx_cli_portable_call(o.call, &called_home)) != 0) goto out;
        o.codex_home = called_home;
        /* the fetched home is a scratch copy: record no session in it */
        o.ephemeral = true;
    }
    if (command && !strcmp(command, "exec")) {
        rc = cx_cli_exec(&o, true);
    } else if (o.resume) {
        rc = cx_cli_repl(&o);
    } else if (o.prompt || !isatty(STDIN_FILENO)) {
        rc = cx_cli_exec(&o, false);
    } else {
        rc = cx_cli_repl(&o);
    }
out:
    free(called_home);
    free(overrides);
    free(add_dirs);
    return rc;
}
