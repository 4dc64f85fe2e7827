/* Unified exec sessions. */
#include "tools/uexec.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/net.h"
#include "base/uuid.h"
#include "tools/exec_args.h"
#include "tools/output.h"
#include "tools/patch.h"
#include "tools/shell_env.h"
#include "tools/tool_proc.h"
#include "ccodex/config.h"

#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 64
#define KEEP_RECENT 8            /* never prune the most recently used */
#define BUFFER_CAP (1024 * 1024) /* unread output kept per session */
#define DEFAULT_MAX_TOKENS 10000
#define EXEC_DEFAULT_YIELD_MS 10000
#define WRITE_DEFAULT_YIELD_MS 250
#define MIN_YIELD_MS 250
#define MAX_YIELD_MS 30000
#define MIN_EMPTY_POLL_MS 5000

extern char **environ;

typedef struct session {
    int id;
    cx_proc *proc;
    int out_fd; /* read side: PTY master or stdout/stderr pipe */
    int in_fd;  /* write side: PTY master or stdin pipe; -1 when closed */
    pthread_t reader;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cx_buf head; /* unread output, first part */
    cx_buf tail; /* unread output past the head cap (ring of the last bytes) */
    size_t dropped;
    bool eof;
    bool exited;
    int exit_code;
    long long last_used;
    char *command; /* display form */
    char *call_id; /* the exec_command call, for the completion event */
    cx_buf all;    /* everything seen, for the completion event (capped) */
} session;

struct cx_uexec {
    pthread_mutex_t mu;
    session *sessions[MAX_SESSIONS];
    size_t n;
    cx_approver *approver; /* borrowed; NULL: escalations cannot be asked */
};

/* ---- sessions -------------------------------------------------------------- */

static void buffer_output(session *s, const char *data, size_t n)
{
    if (s->all.len < BUFFER_CAP)
        cx__buf_append(&s->all, data, n < BUFFER_CAP - s->all.len ? n : BUFFER_CAP - s->all.len);
    size_t half = BUFFER_CAP / 2;
    if (s->head.len < half) {
        size_t take = n < half - s->head.len ? n : half - s->head.len;
        cx__buf_append(&s->head, data, take);
        data += take;
        n -= take;
    }
    if (!n) return;
    cx__buf_append(&s->tail, data, n);
    if (s->tail.len > half) {
        size_t cut = s->tail.len - half;
        s->dropped += cut;
        cx__buf_consume(&s->tail, cut);
    }
}

static void *reader_main(void *arg)
{
    session *s = arg;
    char chunk[16384];
    for (;;) {
        ssize_t n = read(s->out_fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* EOF, or EIO from a PTY whose child side closed */
        pthread_mutex_lock(&s->mu);
        buffer_output(s, chunk, (size_t)n);
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    int status = 0;
    int r = cx__proc_wait(s->proc, true, &status);
    pthread_mutex_lock(&s->mu);
    s->eof = true;
    s->exited = true;
    s->exit_code = r == 1 ? cx__proc_exit_code(status) : -1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void session_free(session *s)
{
    if (!s) return;
    if (!s->exited) cx__proc_kill(s->proc, SIGKILL);
    if (s->in_fd >= 0 && s->in_fd != s->out_fd) close(s->in_fd);
    /* closing the PTY master makes the reader's read fail and the child get SIGHUP */
    pthread_join(s->reader, NULL);
    close(s->out_fd);
    cx__proc_free(s->proc);
    cx__buf_free(&s->head);
    cx__buf_free(&s->tail);
    cx__buf_free(&s->all);
    free(s->command);
    free(s->call_id);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

cx_uexec *cx__uexec_new(void)
{
    cx_uexec *ux = calloc(1, sizeof *ux);
    if (ux) pthread_mutex_init(&ux->mu, NULL);
    return ux;
}

void cx__uexec_free(cx_uexec *ux)
{
    if (!ux) return;
    for (size_t i = 0; i < ux->n; i++)
        session_free(ux->sessions[i]);
    pthread_mutex_destroy(&ux->mu);
    free(ux);
}

size_t cx__uexec_count(cx_uexec *ux)
{
    pthread_mutex_lock(&ux->mu);
    size_t n = ux->n;
    pthread_mutex_unlock(&ux->mu);
    return n;
}

/* Environment for commands: the shell_environment_policy result, plus what
 * keeps tools from paging or colouring (upstream sets the same for unified
 * exec). Free with cx__shell_env_free. */
static char **command_env(const cx_tool_env *tenv)
{
    static const char *const extra[] = {
        "NO_COLOR=1", "TERM=dumb", "LANG=C.UTF-8",  "LC_CTYPE=C.UTF-8", "LC_ALL=C.UTF-8",
        "COLORTERM=", "PAGER=cat", "GIT_PAGER=cat", "GH_PAGER=cat",     "CODEX_CI=1",
        NULL};
    static const char *const extra_offline[] = {"NO_COLOR=1",
                                                "TERM=dumb",
                                                "LANG=C.UTF-8",
                                                "LC_CTYPE=C.UTF-8",
                                                "LC_ALL=C.UTF-8",
                                                "COLORTERM=",
                                                "PAGER=cat",
                                                "GIT_PAGER=cat",
                                                "GH_PAGER=cat",
                                                "CODEX_CI=1",
                                                "CODEX_SANDBOX_NETWORK_DISABLED=1",
                                                NULL};
    const cx_config *cfg = tenv ? tenv->config : NULL;
    return cx__shell_env_build(environ, cx__shell_env_policy(cfg),
                               cx__shell_env_network_disabled(cfg) ? extra_offline : extra);
}

static int spawn(session *s, char *const argv[], const char *cwd, bool tty, bool escalated,
                 cx_approver *ap, const cx_tool_env *tenv, cx_error *err)
{
    char **env = command_env(tenv);
    if (!env) return cx_error_set(err, CX_ENOMEM, "out of memory");
    /* a shell's behaviour: a missing program shows up as output and exit 127 */
    cx_proc_opts o = {.argv = argv,
                      .envp = env,
                      .cwd = cwd,
                      .io = tty ? CX_PROC_IO_PTY : CX_PROC_IO_MERGED,
                      .stdin_pipe = true,
                      .pty_raw = true,
                      .late_errors = true};
    int rc = cx__tool_spawn(tenv, escalated, cx__approval_grants(ap), &o, &s->proc, NULL, err);
    cx__shell_env_free(env);
    if (rc) return rc;
    cx__proc_take_fds(s->proc, &s->in_fd, &s->out_fd, NULL);
    return 0;
}

/* Waits until the session exits or the deadline passes; then takes the
 * unread output (caller frees). Holds s->mu inside. */
static char *collect(session *s, long long deadline, const atomic_bool *cancel, size_t *len_out,
                     bool *exited, int *code)
{
    pthread_mutex_lock(&s->mu);
    while (!s->exited && cx__clock_ms() < deadline && !(cancel && atomic_load(cancel))) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long step = deadline - cx__clock_ms();
        if (step > 50) step = 50;
        ts.tv_nsec += step * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    cx_buf out = CX_BUF_INIT;
    cx__buf_append(&out, s->head.data ? s->head.data : "", s->head.len);
    if (s->dropped) cx__buf_printf(&out, "\n[... %zu bytes of output dropped ...]\n", s->dropped);
    cx__buf_append(&out, s->tail.data ? s->tail.data : "", s->tail.len);
    cx__buf_reset(&s->head);
    cx__buf_reset(&s->tail);
    s->dropped = 0;
    *exited = s->exited;
    *code = s->exit_code;
    s->last_used = cx__clock_ms();
    pthread_mutex_unlock(&s->mu);
    *len_out = out.len;
    cx__buf_puts(&out, "");
    return cx__buf_steal(&out);
}

static long clamp_yield(int64_t v, long lo, long hi)
{
    return v < lo ? lo : v > hi ? hi : (long)v;
}

static void emit_item(const cx_tool_env *env, cx_event_kind kind, const session *s,
                      const char *output, bool done, int code)
{
    if (!env->emit) return;
    json_object *d = json_object_new_object();
    cx__json_set_str(d, "type", "command_execution");
    cx__json_set_str(d, "call_id", s->call_id ? s->call_id : "");
    cx__json_set_str(d, "command", s->command);
    cx__json_set(d, "aggregated_output", cx__json_string(output ? output : ""));
    cx__json_set(d, "exit_code", done ? json_object_new_int(code) : NULL);
    cx__json_set_str(d, "status", !done ? "in_progress" : code == 0 ? "completed" : "failed");
    cx_event ev = {kind, d};
    env->emit(env->emit_user, &ev);
    json_object_put(d);
}

/* Formats the answer the way upstream's format_response does. */
static void format_reply(cx_buf *b, const char *command, double wall, bool exited, int code,
                         int session_id, const char *output, size_t len, int64_t max_tokens)
{
    unsigned char rnd[3];
    cx__random_bytes(rnd, sizeof rnd);
    if (command) cx__buf_printf(b, "Command: %s\n", command);
    cx__buf_printf(b, "Chunk ID: %02x%02x%02x\n", rnd[0], rnd[1], rnd[2]);
    cx__buf_printf(b, "Wall time: %.4f seconds\n", wall);
    if (exited)
        cx__buf_printf(b, "Process exited with code %d\n", code);
    else
        cx__buf_printf(b, "Process running with session ID %d\n", session_id);
    cx__buf_printf(b, "Original token count: %zu\n", cx__output_approx_tokens(len));
    cx__buf_puts(b, "Output:\n");
    cx__output_truncate_middle(output, len,
                               max_tokens > 0 ? (size_t)max_tokens : DEFAULT_MAX_TOKENS, b);
}

static int new_session_id(cx_uexec *ux)
{
    for (;;) {
        unsigned r = 0;
        cx__random_bytes(&r, sizeof r);
        int id = 1000 + (int)(r % 99000);
        bool taken = false;
        for (size_t i = 0; i < ux->n; i++)
            taken |= ux->sessions[i]->id == id;
        if (!taken) return id;
    }
}

/* Makes room: drops the least recently used session outside the most recent
 * few, preferring ones that already exited. Called with ux->mu held. */
static void prune(cx_uexec *ux)
{
    if (ux->n < MAX_SESSIONS) return;
    size_t victim = ux->n;
    long long oldest = 0;
    for (int pass = 0; pass < 2 && victim == ux->n; pass++) {
        for (size_t i = 0; i < ux->n; i++) {
            session *s = ux->sessions[i];
            size_t newer = 0;
            for (size_t j = 0; j < ux->n; j++)
                newer += ux->sessions[j]->last_used > s->last_used;
            if (newer < KEEP_RECENT) continue;
            if (pass == 0 && !s->exited) continue;
            if (victim == ux->n || s->last_used < oldest) {
                victim = i;
                oldest = s->last_used;
            }
        }
    }
    if (victim == ux->n) victim = 0;
    session_free(ux->sessions[victim]);
    memmove(&ux->sessions[victim], &ux->sessions[victim + 1],
            (ux->n - victim - 1) * sizeof(session *));
    ux->n--;
}

/* Decodes exec_command's or write_stdin's arguments as upstream's structs
 * read them; nonzero when the call was answered (1) or failed (negative). */
static int parse_args(const cx_tool_call *call, const char *tool, json_object **args,
                      cx_tool_output *out)
{
    static const char *const sp[] = CX__SANDBOX_PERMISSION_NAMES;
    cx__ft_field str = {.name = "arg", .type = CX__FT_STRING};
    cx__ft_struct profile = {"PermissionProfile", NULL, 0};
    cx__ft_field exec[] = {
        {.name = "cmd", .type = CX__FT_STRING, .required = true},
        {.name = "workdir", .type = CX__FT_STRING, .option = true},
        {.name = "shell", .type = CX__FT_STRING, .option = true},
        {.name = "tty", .type = CX__FT_BOOL},
        {.name = "yield_time_ms", .type = CX__FT_U64},
        {.name = "max_output_tokens", .type = CX__FT_USIZE, .option = true},
        {.name = "login", .type = CX__FT_BOOL, .option = true},
        CX__PERMISSION_FIELDS(false, sp, &str, &profile),
    };
    cx__ft_field stdin_args[] = {
        {.name = "session_id", .type = CX__FT_I32, .required = true},
        {.name = "chars", .type = CX__FT_STRING},
        {.name = "yield_time_ms", .type = CX__FT_U64},
        {.name = "max_output_tokens", .type = CX__FT_USIZE, .option = true},
    };
    cx__ft_struct st = !strcmp(tool, "exec_command")
                           ? (cx__ft_struct){"ExecCommandArgs", exec, 11}
                           : (cx__ft_struct){"WriteStdinArgs", stdin_args, 4};
    int rc = cx__ft_args(call, &st, args, out);
    cx__ft_clear(&st);
    return rc;
}

static int exec_command(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    cx_uexec *ux = state;
    json_object *args = NULL;
    int arc = parse_args(call, "exec_command", &args, out);
    if (arc) return arc < 0 ? arc : 0;
    const char *cmd = cx__json_get_str(args, "cmd"); /* required: decoded */
    bool escalated = false;
    if (!cx__approval_check(ux->approver, env, args, cmd, NULL, true, &escalated, out)) {
        json_object_put(args);
        return 0;
    }
    const char *shell = cx__json_get_str(args, "shell");
    if (!shell || !*shell) shell = env->shell ? env->shell : "/bin/bash";
    bool login = true, tty = false;
    cx__json_get_bool(args, "login", &login);
    cx__json_get_bool(args, "tty", &tty);
    int64_t yield = EXEC_DEFAULT_YIELD_MS, max_tokens = DEFAULT_MAX_TOKENS;
    cx__json_get_int(args, "yield_time_ms", &yield);
    cx__json_get_int(args, "max_output_tokens", &max_tokens);
    const char *workdir = cx__json_get_str(args, "workdir");
    char *cwd = cx__shell_env_workdir(env->cwd, workdir);
    /* `apply_patch <<'EOF' ... EOF` runs as the apply_patch tool, as upstream intercepts it. */
    char *heredoc = NULL, *hdir = NULL;
    if (cx__patch_from_heredoc(cmd, &heredoc, &hdir)) {
        char *pcwd = hdir ? (hdir[0] == '/' ? strdup(hdir) : NULL) : strdup(cwd ? cwd : ".");
        if (hdir && !pcwd && asprintf(&pcwd, "%s/%s", cwd ? cwd : ".", hdir) < 0) pcwd = NULL;
        long long t0 = cx__clock_ms();
        int prc = cx__patch_run(heredoc, pcwd, call->call_id, env, out);
        const char *body = out->text && out->success ? strstr(out->text, "Output:\n") : NULL;
        if (!prc && body) {
            /* upstream answers an intercepted patch in exec_command's own shape:
               the wall time, then the shell tool's JSON around the patch summary */
            double wall = (double)(cx__clock_ms() - t0) / 1000.0;
            json_object *o = json_object_new_object();
            cx__json_set_str(o, "output", body + strlen("Output:\n"));
            json_object *meta = json_object_new_object();
            cx__json_set(meta, "exit_code", json_object_new_int(0));
            char num[32];
            double d = cx__output_round(wall * 10.0) / 10.0;
            snprintf(num, sizeof num, "%.1f", d);
            cx__json_set(meta, "duration_seconds", json_object_new_double_s(d, num));
            cx__json_set(o, "metadata", meta);
            cx_buf b = CX_BUF_INIT;
            cx__buf_printf(&b, "Wall time: %.4f seconds\nOutput:\n", wall);
            cx__json_dump(o, &b);
            json_object_put(o);
            free(out->text);
            out->text = cx__buf_steal(&b);
        }
        free(pcwd);
        free(heredoc);
        free(hdir);
        free(cwd);
        json_object_put(args);
        return prc;
    }
    const char *argv[] = {shell, login ? "-lc" : "-c", cmd, NULL};
again:;
    session *s = calloc(1, sizeof *s);
    if (!s) {
        free(cwd);
        json_object_put(args);
        return CX_ENOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->in_fd = s->out_fd = -1;
    s->command = cx__output_shlex_join(argv);
    s->call_id = strdup(call->call_id ? call->call_id : "");
    s->last_used = cx__clock_ms();
    emit_item(env, CX_EV_ITEM_STARTED, s, "", false, 0);
    long long t0 = cx__clock_ms();
    cx_error err;
    if (spawn(s, (char *const *)argv, cwd, tty, escalated, ux->approver, env, &err) != 0) {
        emit_item(env, CX_EV_ITEM_COMPLETED, s, err.msg, true, -1);
        cx_tool_output_setf(out, false, "exec_command failed: %s", err.msg);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s->command);
        free(s->call_id);
        free(s);
        free(cwd);
        json_object_put(args);
        return 0;
    }
    if (pthread_create(&s->reader, NULL, reader_main, s) != 0) {
        cx__proc_free(s->proc);
        s->exited = true;
        /* no reader: treat as failed spawn */
        close(s->out_fd);
        if (s->in_fd != s->out_fd) close(s->in_fd);
        cx_tool_output_setf(out, false, "exec_command failed: cannot start a reader thread");
        free(s->command);
        free(s->call_id);
        free(s);
        free(cwd);
        json_object_put(args);
        return 0;
    }
    long wait = clamp_yield(yield, MIN_YIELD_MS, MAX_YIELD_MS);
    size_t len;
    bool exited;
    int code;
    char *output = collect(s, t0 + wait, env->cancel, &len, &exited, &code);
    double wall = (double)(cx__clock_ms() - t0) / 1000.0;
    cx_buf b = CX_BUF_INIT;
    bool denied = exited && cx__approval_denied(env, escalated, code, output);
    if (denied) {
        emit_item(env, CX_EV_ITEM_COMPLETED, s, cx__buf_str(&s->all), true, code);
        /* on-failure: the user may let it run again outside the sandbox */
        if (cx__approval_retry(ux->approver, env, cmd, output)) {
            session_free(s);
            free(output);
            escalated = true;
            goto again;
        }
        cx__output_sandbox_denied(&b, "exec_command", s->command, code, output, len);
        session_free(s);
    } else if (exited) {
        format_reply(&b, s->command, wall, true, code, 0, output, len, max_tokens);
        emit_item(env, CX_EV_ITEM_COMPLETED, s, cx__buf_str(&s->all), true, code);
        session_free(s);
    } else {
        pthread_mutex_lock(&ux->mu);
        prune(ux);
        s->id = new_session_id(ux);
        ux->sessions[ux->n++] = s;
        int id = s->id;
        pthread_mutex_unlock(&ux->mu);
        format_reply(&b, s->command, wall, false, 0, id, output, len, max_tokens);
    }
    free(output);
    free(cwd);
    json_object_put(args);
    free(out->text);
    out->text = cx__buf_steal(&b);
    out->success = !denied;
    return out->text ? 0 : CX_ENOMEM;
}

static int write_stdin(void *state, const cx_tool_call *call, const cx_tool_env *env,
                       cx_tool_output *out)
{
    cx_uexec *ux = state;
    json_object *args = NULL;
    int prc = parse_args(call, "write_stdin", &args, out);
    if (prc) return prc < 0 ? prc : 0;
    int64_t sid = 0;
    cx__json_get_int(args, "session_id", &sid); /* required i32: decoded */
    const char *chars = cx__json_get_str(args, "chars");
    if (!chars) chars = "";
    int64_t yield = WRITE_DEFAULT_YIELD_MS, max_tokens = DEFAULT_MAX_TOKENS;
    cx__json_get_int(args, "yield_time_ms", &yield);
    cx__json_get_int(args, "max_output_tokens", &max_tokens);
    pthread_mutex_lock(&ux->mu);
    session *s = NULL;
    size_t idx = 0;
    for (size_t i = 0; i < ux->n; i++)
        if (ux->sessions[i]->id == sid) {
            s = ux->sessions[i];
            idx = i;
        }
    pthread_mutex_unlock(&ux->mu);
    if (!s) {
        json_object_put(args);
        return cx_tool_output_setf(out, false,
                                   "write_stdin failed: UnknownProcessId { process_id: \"%lld\" }",
                                   (long long)sid);
    }
    long long t0 = cx__clock_ms();
    size_t clen = strlen(chars);
    if (clen) {
        if (s->in_fd < 0) {
            json_object_put(args);
            return cx_tool_output_setf(out, false,
                                       "write_stdin failed: stdin is closed for this session");
        }
        /* a process that closed its input must not take ccodex down with SIGPIPE */
        cx__net_write_all(s->in_fd, chars, clen);
    }
    /* An empty write is a poll: it waits at least 5 s (returning early if the
     * process exits), as upstream does, so polling loops stay cheap. */
    long wait = clamp_yield(yield, clen ? MIN_YIELD_MS : MIN_EMPTY_POLL_MS, MAX_YIELD_MS);
    size_t len;
    bool exited;
    int code;
    char *output = collect(s, t0 + wait, env->cancel, &len, &exited, &code);
    double wall = (double)(cx__clock_ms() - t0) / 1000.0;
    cx_buf b = CX_BUF_INIT;
    format_reply(&b, NULL, wall, exited, code, (int)sid, output, len, max_tokens);
    free(output);
    if (exited) {
        emit_item(env, CX_EV_ITEM_COMPLETED, s, cx__buf_str(&s->all), true, code);
        pthread_mutex_lock(&ux->mu);
        for (size_t i = 0; i < ux->n; i++)
            if (ux->sessions[i] == s) idx = i;
        memmove(&ux->sessions[idx], &ux->sessions[idx + 1], (ux->n - idx - 1) * sizeof(session *));
        ux->n--;
        pthread_mutex_unlock(&ux->mu);
        session_free(s);
    }
    json_object_put(args);
    free(out->text);
    out->text = cx__buf_steal(&b);
    out->success = true;
    return out->text ? 0 : CX_ENOMEM;
}

static const char EXEC_SPEC[] =
    "{\"type\":\"function\",\"name\":\"exec_command\",\"description\":\"Run a shell command. "
    "Returns its output and exit code, or, when it is still running after yield_time_ms, a "
    "session ID to use with write_stdin.\",\"strict\":false,\"parameters\":{\"type\":\"object\","
    "\"properties\":{"
    "\"cmd\":{\"type\":\"string\",\"description\":\"The command line to run.\"},"
    "\"justification\":{\"type\":\"string\",\"description\":\"With sandbox_permissions set to "
    "require_escalated: one short question asking the user to allow running this command "
    "outside the sandbox, saying why it is needed.\"},"
    "\"login\":{\"type\":\"boolean\",\"description\":\"Run the shell as a login shell (-l). "
    "True unless set.\"},"
    "\"max_output_tokens\":{\"type\":\"number\",\"description\":\"Cap on the output returned, "
    "in tokens; the middle of longer output is cut.\"},"
    "\"prefix_rule\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"With "
    "require_escalated only: a short command prefix (e.g. [\\\"npm\\\", \\\"test\\\"]) the user "
    "could approve once for similar commands later.\"},"
    "\"sandbox_permissions\":{\"type\":\"string\",\"description\":\"\\\"use_default\\\" (the "
    "default) or \\\"require_escalated\\\" to ask for running outside the sandbox.\"},"
    "\"shell\":{\"type\":\"string\",\"description\":\"Shell to run the command with; the user's "
    "shell if left out.\"},"
    "\"tty\":{\"type\":\"boolean\",\"description\":\"Give the command a terminal (PTY), for "
    "programs that need one. Plain pipes when false, the default.\"},"
    "\"workdir\":{\"type\":\"string\",\"description\":\"Directory to run in; the turn's working "
    "directory if left out.\"},"
    "\"yield_time_ms\":{\"type\":\"number\",\"description\":\"How long to wait for the command "
    "before returning, in milliseconds.\"}},"
    "\"required\":[\"cmd\"],\"additionalProperties\":false}}";

static const char WRITE_SPEC[] =
    "{\"type\":\"function\",\"name\":\"write_stdin\",\"description\":\"Send input to a command "
    "still running under exec_command and return what it printed since.\",\"strict\":false,"
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"chars\":{\"type\":\"string\",\"description\":\"Text to send; empty to just read new "
    "output.\"},"
    "\"max_output_tokens\":{\"type\":\"number\",\"description\":\"Cap on the output returned, "
    "in tokens.\"},"
    "\"session_id\":{\"type\":\"number\",\"description\":\"The session ID exec_command "
    "returned.\"},"
    "\"yield_time_ms\":{\"type\":\"number\",\"description\":\"How long to wait for output "
    "before returning, in milliseconds.\"}},"
    "\"required\":[\"session_id\"],\"additionalProperties\":false}}";

void cx__uexec_set_approver(cx_uexec *ux, cx_approver *ap)
{
    ux->approver = ap;
}

int cx__uexec_register(cx_uexec *ux, cx_tool_registry *reg)
{
    json_object *spec = NULL;
    if (cx__json_parse(EXEC_SPEC, sizeof EXEC_SPEC - 1, &spec, NULL)) return CX_ENOMEM;
    /* upstream lets exec_command calls of one response run side by side */
    cx_tool_def d = {"exec_command", CX_TOOL_FUNCTION, true, spec, exec_command, ux, NULL};
    int rc = cx_tools_add(reg, &d);
    if (rc) return rc;
    if (cx__json_parse(WRITE_SPEC, sizeof WRITE_SPEC - 1, &spec, NULL)) return CX_ENOMEM;
    cx_tool_def w = {"write_stdin", CX_TOOL_FUNCTION, false, spec, write_stdin, ux, NULL};
    return cx_tools_add(reg, &w);
}
