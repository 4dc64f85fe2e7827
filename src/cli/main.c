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
        "  ccodex [OPTIONS] [PROMPT...]      one turn (the words, or stdin) as the interactive\n"
        "                                    client; no prompt on a TTY: the REPL\n"
        "  ccodex exec [OPTIONS] [PROMPT|-]  one non-interactive turn (codex exec); no PROMPT:\n"
        "                                    stdin; --json prints JSONL events\n"
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
        "      --json, --experimental-json   (exec) print events as JSON lines\n"
        "  -o, --output-last-message FILE    (exec) also write the last message to FILE\n"
        "      --output-schema FILE   (exec) JSON schema the final answer must follow\n"
        "  -i, --image FILE...        attach images (takes every value up to the next option)\n"
        "      --color always|never|auto     (exec) colour stderr\n"
        "      --enable/--disable FEATURE    set features.FEATURE\n"
        "      --oss, --local-provider ollama|lmstudio   a local open-source model\n"
        "      --progress-cursor      (exec) accepted; no TTY progress is drawn\n"
        "      --ephemeral            do not record the session under CODEX_HOME/sessions\n"
        "      --skip-git-repo-check  (exec) run outside a git repository\n"
        "  -h, --help                 this help\n"
        "  -V, --version [--verbose]  print the version (--verbose: libraries, CA certificates)\n"
        "\n"
        "Configuration: $CODEX_HOME/config.toml (default ~/.codex). See docs/CONFIG.md.\n",
        f);
}

int main(int argc, char **argv)
{
    cx_cli_opts o = {0};
    char *called_home = NULL;
    if (argc > 1 && !strcmp(argv[1], "serve")) {
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
    cx_cli_action action;
    int rc = cx_cli_parse(argc, argv, &o, &action);
    if (rc) goto out;
    if (action == CX_CLI_HELP) {
        usage(stdout);
        goto out;
    }
    if (action == CX_CLI_VERSION) {
        bool verbose = false;
        for (int j = 1; j < argc; j++)
            verbose |= !strcmp(argv[j], "--verbose");
        if (verbose)
            cx_cli_version_verbose(stdout);
        else
            printf("ccodex %s\n", CCODEX_VERSION);
        goto out;
    }
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
    if (o.command && !strcmp(o.command, "exec")) {
        rc = cx_cli_exec(&o, true);
    } else if (!o.resume && (o.prompt || !isatty(STDIN_FILENO))) {
        rc = cx_cli_exec(&o, false);
    } else { /* `ccodex resume` and a terminal without a prompt */
        rc = cx_cli_repl(&o);
    }
out:
    free(called_home);
    cx_cli_opts_free(&o);
#ifndef CX_SANITIZED
    /* Everything ccodex keeps is written and closed by now. What exit() would still do is run
     * the destructors of every library loaded for HTTP (about 35 with Debian's libcurl), which
     * touch ~0.4 MB of pages for nothing and raise the peak RSS (bench/RESULTS.md). Sanitizer
     * builds keep exit() for the leak check. */
    fflush(NULL);
    _exit(rc);
#else
    return rc;
#endif
}
