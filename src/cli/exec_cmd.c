/* One turn from the command line: `ccodex exec [--json] PROMPT` and the
 * one-shot `ccodex PROMPT` / `echo PROMPT | ccodex`. The final assistant
 * message goes to stdout (streamed as it arrives in one-shot mode); progress
 * lines go to stderr; with --json, stdout carries upstream's JSONL events. */
#include "cli/cli.h"
#include "cli/mcp_cli.h"
#include "server/rserver.h"

#include "base/buf.h"
#include "base/json.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct exec_ui {
    cx_cli_mcp_render mcp; /* mcp_tool_call items on stderr */
    bool json;
    bool stream_text; /* one-shot: print deltas live */
    bool streamed_any;
    cx_jsonl *jsonl;
} exec_ui;

static void on_event(void *user, const cx_event *ev)
{
    exec_ui *ui = user;
    if (ui->json) {
        cx_jsonl_event(ui->jsonl, ev);
        return;
    }
    switch (ev->kind) {
    case CX_EV_TEXT_DELTA:
        if (ui->stream_text) {
            const char *d = cx_json_get_str(ev->data, "delta");
            if (d) {
                fputs(d, stdout);
                fflush(stdout);
                ui->streamed_any = true;
            }
        }
        break;
    case CX_EV_ITEM_STARTED: {
        cx_cli_mcp_item(&ui->mcp, ev, stderr);
        const char *type = cx_json_get_str(ev->data, "type");
        const char *cmd = cx_json_get_str(ev->data, "command");
        if (type && !strcmp(type, "command_execution") && cmd) fprintf(stderr, "exec %s\n", cmd);
        break;
    }
    case CX_EV_ITEM_COMPLETED: {
        cx_cli_mcp_item(&ui->mcp, ev, stderr);
        const char *type = cx_json_get_str(ev->data, "type");
        if (type && !strcmp(type, "error")) /* e.g. the compaction heads-up */
            fprintf(stderr, "warning: %s\n", cx_json_get_str(ev->data, "message") ?: "");
        break;
    }
    case CX_EV_TOOL_STARTED: {
        const char *name = cx_json_get_str(ev->data, "name");
        if (name && strcmp(name, "exec_command") && strcmp(name, "shell") &&
            strcmp(name, "shell_command") && !cx_cli_mcp_is_tool(name))
            fprintf(stderr, "tool %s\n", name);
        break;
    }
    case CX_EV_RETRY:
        fprintf(stderr, "reconnecting (%s)\n", cx_json_get_str(ev->data, "message") ?: "");
        break;
    case CX_EV_WARNING:
        fprintf(stderr, "warning: %s\n", cx_json_get_str(ev->data, "message") ?: "");
        break;
    case CX_EV_COMPACTED:
        fputs("context compacted\n", stderr);
        break;
    default:
        break;
    }
}

static char *read_all_stdin(void)
{
    cx_buf b = CX_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        cx_buf_append(&b, chunk, n);
    return cx_buf_steal(&b);
}

typedef struct sig_ctx {
    sigset_t set;
    cx_agent *agent;
} sig_ctx;

/* Ctrl-C interrupts the turn once; a second one leaves at once. */
static void *signal_thread(void *arg)
{
    sig_ctx *s = arg;
    int sig, count = 0;
    while (sigwait(&s->set, &sig) == 0) {
        if (sig == SIGUSR1) break; /* our own wake-up at exit */
        if (++count > 1) _exit(130);
        cx_agent_interrupt(s->agent);
    }
    return NULL;
}

int cx_cli_exec(const cx_cli_opts *o, bool exec_mode)
{
    char *prompt = NULL;
    if (o->prompt && strcmp(o->prompt, "-") != 0) {
        prompt = strdup(o->prompt);
    } else {
        if (isatty(STDIN_FILENO)) {
            fprintf(stderr, "error: no prompt given (pass it as an argument or on stdin)\n");
            return 2;
        }
        prompt = read_all_stdin();
    }
    if (!prompt || !*prompt || strspn(prompt, " \t\r\n") == strlen(prompt)) {
        fprintf(stderr, "error: the prompt is empty\n");
        free(prompt);
        return 2;
    }
    cx_rserver *bridge = NULL;
    cx_config *cfg = cx_cli_load_config(o, false, &bridge);
    if (!cfg) {
        free(prompt);
        return 1;
    }
    cx_agent_global_init(cfg);
    exec_ui ui = {.json = o->json, .stream_text = !exec_mode && !o->json};
    if (ui.json) ui.jsonl = cx_jsonl_new(stdout);
    char *resume_path = cx_cli_resume_path(o, cfg, false);
    cx_agent_options ao = {
        .config = cfg,
        .cwd = o->cwd,
        .mode = CX_MODE_EXEC,
        .on_event = on_event,
        .event_user = &ui,
        .persist = !o->ephemeral,
        .resume_path = resume_path,
    };
    cx_error err;
    /* MCP servers start before the first request; a `required` one that
     * fails ends the run here */
    cx_mcp *mcp = NULL;
    if (cx_cli_mcp_start(cfg, o->cwd, ui.json ? CX_CLI_MCP_QUIET : CX_CLI_MCP_ALWAYS, &mcp) != 0) {
        free(resume_path);
        cx_jsonl_free(ui.jsonl);
        cx_rserver_free(bridge);
        cx_config_free(cfg);
        free(prompt);
        return 1;
    }
    cx_agent *agent = cx_agent_new(&ao, &err);
    free(resume_path);
    if (agent && cx_mcp_register(mcp, cx_agent_tools(agent)) != 0) {
        cx_error_set(&err, CX_ENOMEM, "cannot register the MCP tools");
        cx_agent_free(agent);
        agent = NULL;
    }
    if (!agent) {
        fprintf(stderr, "error: %s\n", err.msg);
        cx_mcp_free(mcp);
        cx_jsonl_free(ui.jsonl);
        cx_rserver_free(bridge);
        cx_config_free(cfg);
        free(prompt);
        return 1;
    }
    if (ui.json) cx_jsonl_thread_started(ui.jsonl, cx_agent_session_id(agent));

    sig_ctx sc = {.agent = agent};
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGINT);
    sigaddset(&sc.set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
    pthread_t sig_tid;
    bool have_sig = pthread_create(&sig_tid, NULL, signal_thread, &sc) == 0;

    int rc = cx_agent_run_turn(agent, prompt, &err);

    if (have_sig) {
        pthread_kill(sig_tid, SIGUSR1);
        pthread_join(sig_tid, NULL);
    }
    int exit_code = 0;
    if (rc == 0) {
        const char *last = cx_agent_last_message(agent);
        if (!ui.json) {
            if (ui.stream_text) {
                if (ui.streamed_any)
                    fputc('\n', stdout);
                else if (last)
                    printf("%s\n", last);
            } else if (last) {
                printf("%s\n", last);
            }
        }
    } else {
        if (ui.json && rc != CX_ECANCELED) {
            /* turn.failed was already printed from the event. */
        }
        fprintf(stderr, "error: %s\n", err.msg[0] ? err.msg : cx_error_name(rc));
        exit_code = rc == CX_ECANCELED ? 130 : 1;
    }
    fflush(stdout);
    cx_agent_free(agent);
    cx_mcp_free(mcp); /* after the agent: its registry borrows the servers */
    cx_cli_mcp_render_clear(&ui.mcp);
    cx_jsonl_free(ui.jsonl);
    cx_rserver_free(bridge);
    cx_config_free(cfg);
    free(prompt);
    return exit_code;
}
