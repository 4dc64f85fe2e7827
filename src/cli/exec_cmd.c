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
    cx_exec_human *human; /* exec without --json */
    char turn_id[64];     /* the last turn's id, for notify */
    long long total_tokens;
} exec_ui;

/* The one-shot's progress lines on stderr (stdout carries the answer). */
static void one_shot_event(exec_ui *ui, const cx_event *ev)
{
    switch (ev->kind) {
    case CX_EV_TEXT_DELTA:
        if (ui->stream_text) {
            const char *d = cx__json_get_str(ev->data, "delta");
            if (d) {
                fputs(d, stdout);
                fflush(stdout);
                ui->streamed_any = true;
            }
        }
        break;
    case CX_EV_ITEM_STARTED: {
        cx_cli_mcp_item(&ui->mcp, ev, stderr);
        const char *type = cx__json_get_str(ev->data, "type");
        const char *cmd = cx__json_get_str(ev->data, "command");
        if (type && !strcmp(type, "command_execution") && cmd) fprintf(stderr, "exec %s\n", cmd);
        break;
    }
    case CX_EV_ITEM_COMPLETED: {
        cx_cli_mcp_item(&ui->mcp, ev, stderr);
        const char *type = cx__json_get_str(ev->data, "type");
        if (type && !strcmp(type, "error")) /* e.g. the compaction heads-up */
            fprintf(stderr, "warning: %s\n", cx__json_get_str(ev->data, "message") ?: "");
        break;
    }
    case CX_EV_TOOL_STARTED: {
        const char *name = cx__json_get_str(ev->data, "name");
        if (name && strcmp(name, "exec_command") && strcmp(name, "shell") &&
            strcmp(name, "shell_command") && !cx_cli_mcp_is_tool(name))
            fprintf(stderr, "tool %s\n", name);
        break;
    }
    case CX_EV_RETRY:
        fprintf(stderr, "reconnecting (%s)\n", cx__json_get_str(ev->data, "message") ?: "");
        break;
    case CX_EV_WARNING:
        fprintf(stderr, "warning: %s\n", cx__json_get_str(ev->data, "message") ?: "");
        break;
    case CX_EV_COMPACTED:
        fputs("context compacted\n", stderr);
        break;
    default:
        break;
    }
}

static void on_event(void *user, const cx_event *ev)
{
    exec_ui *ui = user;
    if (ev->kind == CX_EV_TURN_STARTED)
        snprintf(ui->turn_id, sizeof ui->turn_id, "%s",
                 cx__json_get_str(ev->data, "turn_id") ?: "");
    if (ev->kind == CX_EV_TURN_COMPLETED) {
        int64_t t = 0;
        cx__json_get_int(cx__json_get(ev->data, "usage"), "total_tokens", &t);
        ui->total_tokens = t; /* the session's usage so far, resumed turns included */
    }
    if (ui->json)
        cx_jsonl_event(ui->jsonl, ev);
    else if (ui->human) {
        if (ev->kind == CX_EV_ITEM_STARTED || ev->kind == CX_EV_ITEM_COMPLETED)
            cx_cli_mcp_item(&ui->mcp, ev, stderr);
        cx_exec_human_event(ui->human, ev);
    } else
        one_shot_event(ui, ev);
}

/* Largest prompt read from stdin: bad input costs a bounded amount. */
#define MAX_STDIN_PROMPT (64u * 1024 * 1024)

static char *read_all_stdin(void)
{
    cx_buf b = CX_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        cx__buf_append(&b, chunk, n);
        if (b.len > MAX_STDIN_PROMPT) {
            fprintf(stderr, "error: the prompt on stdin is larger than %u bytes\n",
                    MAX_STDIN_PROMPT);
            cx__buf_free(&b);
            return NULL;
        }
    }
    cx__buf_puts(&b, "");
    return cx__buf_steal(&b);
}

static bool blank(const char *s)
{
    return strspn(s, " \t\r\n") == strlen(s);
}

/* The prompt by upstream's rules: an argument as given; `exec -` reads all
 * of stdin as is; no argument reads stdin after saying so (exec) or with
 * its surrounding whitespace stripped (the one-shot, as pycodex does).
 * NULL after printing the error (exit code 1). */
static char *get_prompt(const cx_cli_opts *o, bool exec_mode)
{
    if (o->prompt && strcmp(o->prompt, "-") != 0) return strdup(o->prompt);
    if (!o->prompt && isatty(STDIN_FILENO)) {
        fprintf(stderr, "No prompt provided. Either specify one as an argument or pipe the "
                        "prompt into stdin.\n");
        return NULL;
    }
    if (!o->prompt && exec_mode) fprintf(stderr, "Reading prompt from stdin...\n");
    char *text = read_all_stdin();
    if (!text) return NULL;
    if (blank(text)) {
        fprintf(stderr, "No prompt provided via stdin.\n");
        free(text);
        return NULL;
    }
    if (!exec_mode) {
        size_t start = strspn(text, " \t\r\n"), len = strlen(text);
        while (len > start && strchr(" \t\r\n", text[len - 1]))
            len--;
        memmove(text, text + start, len - start);
        text[len - start] = '\0';
    }
    return text;
}

/* --oss: the local provider becomes the model provider and its default
 * model the model unless -m named one (upstream's precedence); the config is
 * loaded again with those overrides. NULL after an error was printed. */
static cx_config *oss_config(cx_cli_opts *o, bool interactive, cx_config *cfg, cx_rserver **bridge,
                             const char ***owned, char **override)
{
    /* p may point into cfg: everything taken from it before cfg goes */
    const char *p = cx_cli_oss_provider(o, cfg);
    const char **ov = p ? calloc(o->n_overrides + 1, sizeof *ov) : NULL;
    bool ok = ov && asprintf(override, "model_provider=\"%s\"", p) >= 0;
    if (ok && !o->model) o->model = cx_cli_oss_default_model(p);
    cx_config_free(cfg);
    cx__rserver_free(*bridge); /* a bridge of the first provider, if any */
    *bridge = NULL;
    if (!ok) {
        *override = NULL; /* asprintf leaves it undefined when it fails */
        if (p) fputs("Error: out of memory\n", stderr);
        free(ov);
        return NULL;
    }
    for (size_t i = 0; i < o->n_overrides; i++)
        ov[i] = o->overrides[i];
    ov[o->n_overrides] = *override;
    *owned = ov;
    o->overrides = ov;
    o->n_overrides++;
    return cx_cli_load_config(o, interactive, bridge);
}

/* Whether config.toml marks dir (or a parent) as a trusted project. */
static bool trusted_project(const cx_config *cfg, const char *dir)
{
    json_object *projects = cfg->root ? cx__json_get(cfg->root, "projects") : NULL;
    char *p = realpath(dir ? dir : ".", NULL);
    bool trusted = false;
    while (p && projects && !trusted) {
        const char *level = cx__json_get_str(cx__json_get(projects, p), "trust_level");
        trusted = level && !strcmp(level, "trusted");
        char *slash = strrchr(p, '/');
        if (!slash || slash == p) break;
        *slash = '\0';
    }
    free(p);
    return trusted;
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

int cx_cli_exec(const cx_cli_opts *opts, bool exec_mode)
{
    cx_cli_opts o = *opts;
    if (exec_mode) o.approval = "never"; /* exec never asks, whatever the config says */
    char *prompt = get_prompt(&o, exec_mode);
    if (!prompt) return 1;
    cx_rserver *bridge = NULL;
    cx_config *cfg = cx_cli_load_config(&o, !exec_mode, &bridge);
    const char **oss_overrides = NULL;
    char *oss_override = NULL;
    if (cfg && o.oss) cfg = oss_config(&o, !exec_mode, cfg, &bridge, &oss_overrides, &oss_override);
    if (!cfg) {
        free(oss_overrides);
        free(oss_override);
        free(prompt);
        return 1;
    }
    int exit_code = 1;
    json_object *schema = NULL, *images = NULL;
    cx_agent *agent = NULL;
    cx_mcp *mcp = NULL;
    exec_ui ui = {.json = o.json, .stream_text = !exec_mode && !o.json};
    if (cx_cli_missing_key(&o, cfg)) goto out;
    if (exec_mode && !o.skip_git_repo_check && !cx_exec_in_git_repo(o.cwd) &&
        !trusted_project(cfg, o.cwd)) {
        fprintf(stderr,
                "Not inside a trusted directory and --skip-git-repo-check was not specified.\n");
        goto out;
    }
    if (o.output_schema && !(schema = cx_exec_load_schema(o.output_schema))) goto out;
    if (o.n_images) images = cx_exec_image_parts(o.images, o.n_images);
    cx_agent_global_init(cfg);
    if (o.oss && cx_cli_oss_ready(cfg) != 0) goto out;
    if (ui.json) ui.jsonl = cx_jsonl_new(stdout);
    const char *originator = getenv("CODEX_INTERNAL_ORIGINATOR_OVERRIDE");
    char *resume_path = cx_cli_resume_path(&o, cfg, false);
    cx_agent_options ao = {
        .config = cfg,
        .cwd = o.cwd,
        /* the plain one-shot is the interactive client's turn (originator
           codex-tui, collaboration mode), as in pycodex and upstream's TUI */
        .mode = exec_mode ? CX_MODE_EXEC : CX_MODE_INTERACTIVE,
        .on_event = on_event,
        .event_user = &ui,
        .originator = originator && *originator ? originator : NULL,
        .output_schema = schema,
        .persist = !o.ephemeral,
        .resume_path = resume_path,
    };
    cx_error err;
    agent = cx_agent_new(&ao, &err);
    free(resume_path);
    if (!agent) {
        fprintf(stderr, "error: %s\n", err.msg);
        goto out;
    }
    char *cwd = realpath(o.cwd ? o.cwd : ".", NULL);
    bool has_mcp = cfg->root && cx__json_get(cfg->root, "mcp_servers");
    if (exec_mode && !ui.json) {
        ui.human = cx_exec_human_new(stderr, cx_exec_color_enabled(o.color, STDERR_FILENO),
                                     cwd ? cwd : ".");
        if (ui.human)
            cx_exec_human_banner(ui.human, cfg, cx_agent_session_id(agent), prompt, !has_mcp);
    }
    /* MCP servers start before the first request (their lines follow the
     * banner, as upstream's); a `required` one that fails ends the run */
    cx_cli_mcp_lines lines = ui.json                  ? CX_CLI_MCP_QUIET
                             : (has_mcp || !ui.human) ? CX_CLI_MCP_ALWAYS
                                                      : CX_CLI_MCP_QUIET;
    if (cx_cli_mcp_start(cfg, o.cwd, lines, &mcp) != 0) {
        free(cwd);
        goto out;
    }
    if (cx__mcp_register(mcp, cx_agent_tools(agent)) != 0) {
        fprintf(stderr, "error: cannot register the MCP tools\n");
        free(cwd);
        goto out;
    }
    if (ui.json) cx_jsonl_thread_started(ui.jsonl, cx_agent_session_id(agent));

    sig_ctx sc = {.agent = agent};
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGINT);
    sigaddset(&sc.set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
    pthread_t sig_tid;
    bool have_sig = pthread_create(&sig_tid, NULL, signal_thread, &sc) == 0;

    int rc = cx_agent_run_turn_content(agent, prompt, images, &err);

    if (have_sig) {
        pthread_kill(sig_tid, SIGUSR1);
        pthread_join(sig_tid, NULL);
    }
    const char *last = rc == 0 ? cx_agent_last_message(agent) : NULL;
    if (o.last_message_file) cx_exec_write_last_message(o.last_message_file, last);
    if (rc == 0) {
        exit_code = 0;
        if (ui.human) cx_exec_human_tokens(ui.human, ui.total_tokens);
        if (ui.json) {
            /* stdout carries the events only */
        } else if (ui.stream_text && ui.streamed_any) {
            fputc('\n', stdout);
        } else if (last) {
            printf("%s\n", last);
        }
        fflush(stdout);
        cx_exec_notify(cfg, exec_mode ? "codex-exec" : "codex-tui", cx_agent_session_id(agent),
                       ui.turn_id, cwd ? cwd : ".", prompt, last);
    } else {
        if (!ui.human && !ui.json)
            fprintf(stderr, "error: %s\n", err.msg[0] ? err.msg : cx_error_name(rc));
        exit_code = rc == CX_ECANCELED ? 130 : 1;
    }
    free(cwd);
out:
    fflush(stdout);
    cx_agent_free(agent);
    cx__mcp_free(mcp); /* after the agent: its registry borrows the servers */
    cx_cli_mcp_render_clear(&ui.mcp);
    cx_exec_human_free(ui.human);
    cx_jsonl_free(ui.jsonl);
    json_object_put(schema);
    json_object_put(images);
    cx__rserver_free(bridge);
    cx_config_free(cfg);
    free(oss_overrides);
    free(oss_override);
    free(prompt);
    return exit_code;
}
