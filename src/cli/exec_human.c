/* `ccodex exec` without --json: upstream 0.115.0's human layout on stderr
 * (the banner, then "user", "exec", "codex", "tokens used" blocks) with its
 * ANSI styles under --color, while stdout gets only the final message. */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/json.h"
#include "cli/exec_collab.h"
#include "cli/mcp_cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Output lines of one command shown on stderr; the model still gets all. */
#define MAX_OUTPUT_LINES 20

struct cx_exec_human {
    FILE *err;
    bool color;
    char *cwd;
    json_object *started; /* call_id -> start time in ms */
};

static const char *const BOLD = "\033[1m", *const DIM = "\033[2m", *const CYAN = "\033[36m",
                         *const GREEN = "\033[32m", *const RED = "\033[31m",
                         *const MAGENTA = "\033[35m", *const ITALIC = "\033[3m",
                         *const RESET = "\033[0m";

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool cx_exec_color_enabled(const char *mode, int fd)
{
    if (mode && !strcmp(mode, "always")) return true;
    if (mode && !strcmp(mode, "never")) return false;
    const char *no = getenv("NO_COLOR");
    return isatty(fd) && !(no && *no);
}

cx_exec_human *cx_exec_human_new(FILE *err, bool color, const char *cwd)
{
    cx_exec_human *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->err = err;
    h->color = color;
    h->cwd = strdup(cwd ? cwd : "");
    h->started = json_object_new_object();
    if (!h->cwd || !h->started) {
        cx_exec_human_free(h);
        return NULL;
    }
    return h;
}

void cx_exec_human_free(cx_exec_human *h)
{
    if (!h) return;
    free(h->cwd);
    json_object_put(h->started);
    free(h);
}

/* Writes text between two style sequences (only when colour is on). */
static void styled(cx_exec_human *h, const char *on, const char *text, const char *off)
{
    if (h->color) fputs(on, h->err);
    fputs(text, h->err);
    if (h->color) fputs(off, h->err);
}

/* A block title: "exec" and "codex" are magenta italic, "user" cyan. */
static void title(cx_exec_human *h, const char *word)
{
    if (!strcmp(word, "user")) {
        styled(h, CYAN, word, RESET);
    } else if (h->color) {
        fprintf(h->err, "%s%s%s%s%s", MAGENTA, ITALIC, word, RESET, RESET);
    } else {
        fputs(word, h->err);
    }
    fputc('\n', h->err);
}

static void banner_key(cx_exec_human *h, const char *key, const char *value)
{
    if (h->color)
        fprintf(h->err, "%s%s:%s %s\n", BOLD, key, RESET, value);
    else
        fprintf(h->err, "%s: %s\n", key, value);
}

void cx_exec_human_banner(cx_exec_human *h, const cx_config *cfg, const char *session_id,
                          const char *prompt, bool mcp_line)
{
    fprintf(h->err, "ccodex v%s (Codex CLI 0.115.0 compatible)\n--------\n", CCODEX_VERSION);
    banner_key(h, "workdir", h->cwd);
    banner_key(h, "model", cfg->model ? cfg->model : "");
    banner_key(h, "provider", cfg->model_provider_id ? cfg->model_provider_id : "");
    banner_key(h, "approval", cfg->approval_policy ? cfg->approval_policy : "never");
    const char *sb = cfg->sandbox_mode ? cfg->sandbox_mode : "read-only";
    if (!strcmp(sb, "workspace-write")) {
        /* the writable roots, as upstream lists them */
        cx_buf b = CX_BUF_INIT;
        cx__buf_printf(&b, "workspace-write [workdir, /tmp, $TMPDIR, %s/memories]",
                       cfg->codex_home);
        banner_key(h, "sandbox", cx__buf_str(&b));
        cx__buf_free(&b);
    } else {
        banner_key(h, "sandbox", sb);
    }
    banner_key(h, "reasoning effort",
               cfg->model_reasoning_effort ? cfg->model_reasoning_effort : "none");
    banner_key(h, "reasoning summaries",
               cfg->model_reasoning_summary ? cfg->model_reasoning_summary : "none");
    banner_key(h, "session id", session_id);
    fputs("--------\n", h->err);
    title(h, "user");
    fprintf(h->err, "%s\n", prompt);
    /* with servers configured, their start-up prints its own lines */
    if (mcp_line) {
        styled(h, CYAN, "mcp startup:", RESET);
        fputs(" no servers\n", h->err);
    }
    fflush(h->err);
}

/* "12ms", "1.23s" or "1m 02s", as upstream formats a duration. */
static void duration(long long ms, char *out, size_t size)
{
    if (ms < 1000)
        snprintf(out, size, "%lldms", ms);
    else if (ms < 60000)
        snprintf(out, size, "%.2fs", (double)ms / 1000.0);
    else
        snprintf(out, size, "%lldm %02llds", ms / 60000, (ms % 60000) / 1000);
}

static void output_lines(cx_exec_human *h, const char *text)
{
    int shown = 0;
    const char *p = text;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        if (shown == MAX_OUTPUT_LINES) {
            fputs(h->color ? DIM : "", h->err);
            fputs("...", h->err);
            fputs(h->color ? RESET : "", h->err);
            fputc('\n', h->err);
            break;
        }
        if (h->color) fputs(DIM, h->err);
        fwrite(p, 1, n, h->err);
        if (h->color) fputs(RESET, h->err);
        fputc('\n', h->err);
        shown++;
        p = eol ? eol + 1 : NULL;
    }
}

static void command_done(cx_exec_human *h, const json_object *d)
{
    const char *call_id = cx__json_get_str(d, "call_id");
    int64_t t0 = 0, code = -1;
    long long ms = 0;
    if (call_id && cx__json_get_int(h->started, call_id, &t0)) {
        ms = now_ms() - t0;
        json_object_object_del(h->started, call_id);
    }
    cx__json_get_int(d, "exit_code", &code);
    char dur[32], tail[96];
    duration(ms, dur, sizeof dur);
    if (code == 0)
        snprintf(tail, sizeof tail, " succeeded in %s:", dur);
    else
        snprintf(tail, sizeof tail, " exited %lld in %s:", (long long)code, dur);
    title(h, "exec");
    styled(h, BOLD, cx__json_get_str(d, "command") ?: "", RESET);
    fprintf(h->err, " in %s", h->cwd);
    styled(h, code == 0 ? GREEN : RED, tail, RESET);
    fputc('\n', h->err);
    output_lines(h, cx__json_get_str(d, "aggregated_output"));
}

static void file_change(cx_exec_human *h, const json_object *d)
{
    const char *status = cx__json_get_str(d, "status");
    bool ok = !status || strcmp(status, "failed") != 0;
    title(h, "apply_patch");
    json_object *changes = cx__json_get(d, "changes");
    size_t n = changes ? json_object_array_length(changes) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(changes, i);
        const char *kind = cx__json_get_str(c, "kind") ?: "update";
        fprintf(h->err, "%c %s\n",
                kind[0] == 'a'   ? 'A'
                : kind[0] == 'd' ? 'D'
                                 : 'M',
                cx__json_get_str(c, "path") ?: "");
    }
    styled(h, ok ? GREEN : RED, ok ? "apply_patch succeeded" : "apply_patch failed", RESET);
    fputc('\n', h->err);
}

/* Sub-agent calls: upstream's "collab ..." block when one starts, the
 * agents' states when it ends. */
static void collab(cx_exec_human *h, const json_object *d, bool started)
{
    cx_buf b = CX_BUF_INIT;
    cx_exec_collab_lines(&b, d, started);
    if (b.len) fwrite(b.data, 1, b.len, h->err);
    cx__buf_free(&b);
}

void cx_exec_human_event(cx_exec_human *h, const cx_event *ev)
{
    const json_object *d = ev->data;
    const char *type = cx__json_get_str(d, "type");
    switch (ev->kind) {
    case CX_EV_ITEM_STARTED:
        if (type && !strcmp(type, "command_execution") && cx__json_get_str(d, "call_id"))
            cx__json_set(h->started, cx__json_get_str(d, "call_id"),
                         json_object_new_int64(now_ms()));
        if (type && !strcmp(type, "web_search"))
            fputs("\xf0\x9f\x8c\x90 Searching the web...\n", h->err);
        if (type && !strcmp(type, "collab_tool_call")) collab(h, d, true);
        break;
    case CX_EV_ITEM_COMPLETED:
        if (!type) break;
        if (!strcmp(type, "command_execution")) {
            command_done(h, d);
        } else if (!strcmp(type, "file_change")) {
            file_change(h, d);
        } else if (!strcmp(type, "agent_message")) {
            title(h, "codex");
            fprintf(h->err, "%s\n", cx__json_get_str(d, "text") ?: "");
        } else if (!strcmp(type, "reasoning")) {
            title(h, "thinking");
            fprintf(h->err, "%s\n", cx__json_get_str(d, "text") ?: "");
        } else if (!strcmp(type, "collab_tool_call")) {
            collab(h, d, false);
        } else if (!strcmp(type, "error")) { /* e.g. the compaction heads-up */
            fprintf(h->err, "warning: %s\n", cx__json_get_str(d, "message") ?: "");
        } else if (!strcmp(type, "web_search")) {
            fprintf(h->err, "\xf0\x9f\x8c\x90 Searched: %s\n", cx__json_get_str(d, "query") ?: "");
        }
        break;
    case CX_EV_TOOL_STARTED: {
        const char *name = cx__json_get_str(d, "name");
        static const char *const own_lines[] = {"exec_command",  "write_stdin",  "shell",
                                                "shell_command", "apply_patch",  "update_plan",
                                                "spawn_agent",   "send_input",   "wait_agent",
                                                "close_agent",   "resume_agent", NULL};
        bool own = false;
        for (const char *const *p = own_lines; name && *p; p++)
            own |= !strcmp(name, *p);
        if (name && !own && !cx_cli_mcp_is_tool(name)) {
            styled(h, MAGENTA, "tool", RESET);
            fputc(' ', h->err);
            styled(h, BOLD, name, RESET);
            fputc('\n', h->err);
        }
        break;
    }
    case CX_EV_RETRY: {
        int64_t attempt = 0, max = 0;
        cx__json_get_int(d, "attempt", &attempt);
        cx__json_get_int(d, "max", &max);
        fprintf(h->err, "Reconnecting... %lld/%lld (%s)\n", (long long)attempt, (long long)max,
                cx__json_get_str(d, "message") ?: "");
        break;
    }
    case CX_EV_WARNING:
        fprintf(h->err, "warning: %s\n", cx__json_get_str(d, "message") ?: "");
        break;
    case CX_EV_COMPACTED:
        fputs("context compacted\n", h->err);
        break;
    case CX_EV_TURN_FAILED:
        fprintf(h->err, "ERROR: %s\n", cx__json_get_str(d, "message") ?: "");
        break;
    default:
        break;
    }
    fflush(h->err);
}

void cx_exec_human_tokens(cx_exec_human *h, long long total)
{
    if (h->color)
        fprintf(h->err, "%s%stokens used%s%s\n", ITALIC, MAGENTA, RESET, RESET);
    else
        fputs("tokens used\n", h->err);
    fprintf(h->err, "%lld\n", total);
    fflush(h->err);
}
