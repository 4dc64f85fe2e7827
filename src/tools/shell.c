/* shell and shell_command: see shell.h. */
#include "tools/shell.h"

#include "base/buf.h"
#include "base/json.h"
#include "ccodex/config.h"
#include "tools/exec_args.h"
#include "tools/patch.h"
#include "tools/shell_env.h"
#include "tools/tool_proc.h"
#include "tools/output.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 10000
#define CAPTURE_CAP (1024 * 1024)
#define DEFAULT_MAX_TOKENS 10000
/* After the command exits, background children may still hold the pipe:
 * read on for this long, then stop waiting for them. */
#define DRAIN_MS 2000

extern char **environ;

typedef struct run_result {
    int exit_code;
    bool timed_out;
    bool cancelled;
    long long elapsed_ms;
    cx_buf head; /* the first half of the capture */
    cx_buf tail; /* a ring of the last bytes once head is full */
    size_t tail_start;
    size_t total;
} run_result;

static void capture(run_result *r, const char *data, size_t n)
{
    const size_t half = CAPTURE_CAP / 2;
    r->total += n;
    if (r->head.len < half) {
        size_t take = n < half - r->head.len ? n : half - r->head.len;
        cx__buf_append(&r->head, data, take);
        data += take;
        n -= take;
    }
    for (; n > 0; data++, n--) {
        if (r->tail.len < half) {
            cx__buf_putc(&r->tail, *data);
        } else {
            r->tail.data[r->tail_start] = *data;
            r->tail_start = (r->tail_start + 1) % half;
        }
    }
}

/* The kept output in order: head, then the tail ring unrolled. */
static void captured(const run_result *r, cx_buf *out)
{
    cx__buf_append(out, r->head.data, r->head.len);
    if (r->tail.len) {
        cx__buf_append(out, r->tail.data + r->tail_start, r->tail.len - r->tail_start);
        cx__buf_append(out, r->tail.data, r->tail_start);
    }
}

static int capture_output(void *user, int stream, const char *data, size_t n)
{
    (void)stream;
    capture(user, data, n);
    return 0;
}

/* Runs argv and fills r. Returns 0, or an errno value when the program could
 * not be started (err_msg then says why). */
static int run(const cx_tool_env *env, cx_approver *ap, bool escalated, char *const argv[],
               const char *cwd, char **envp, long timeout_ms, run_result *r, char *err_msg,
               size_t err_size)
{
    cx_proc_opts o = {.argv = argv, .envp = envp, .cwd = cwd, .io = CX_PROC_IO_MERGED};
    cx_proc_run_opts ro = {.timeout_ms = timeout_ms,
                           .cancel = env->cancel,
                           .drain_ms = DRAIN_MS,
                           .on_output = capture_output,
                           .user = r};
    cx_proc_result res;
    cx_error err;
    int e = 0;
    if (cx__tool_run(env, escalated, cx__approval_grants(ap), &o, &ro, &res, &e, &err) != 0) {
        size_t n = strlen(err.msg); /* keep what fits: gcc -O2 warns on a %s cut */
        if (err_size) {
            if (n >= err_size) n = err_size - 1;
            memcpy(err_msg, err.msg, n);
            err_msg[n] = '\0';
        }
        return e ? e : EIO;
    }
    r->timed_out = res.timed_out;
    r->cancelled = res.cancelled;
    r->elapsed_ms = res.elapsed_ms;
    r->exit_code = res.exit_code;
    return 0;
}

/* The text the model sees: timeout note + output, cut to the token budget. */
static void model_text(const run_result *r, cx_buf *content, cx_buf *cut)
{
    if (r->timed_out)
        cx__buf_printf(content, "command timed out after %lld milliseconds\n", r->elapsed_ms);
    captured(r, content);
    cx__buf_puts(content, "");
    cx_buf repaired = CX_BUF_INIT;
    cx__utf8_repair(content->data, content->len, &repaired);
    cx__buf_reset(content);
    cx__buf_append(content, repaired.data, repaired.len);
    cx__buf_puts(content, "");
    cx__buf_free(&repaired);
    cx__output_truncate_middle(content->data, content->len, DEFAULT_MAX_TOKENS, cut);
    cx__buf_puts(cut, "");
}

static size_t count_lines(const char *s, size_t len)
{
    /* str::lines(): a final line without '\n' counts, a trailing '\n' adds none */
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n') n++;
    if (len > 0 && s[len - 1] != '\n') n++;
    return n;
}

static void emit_command(const cx_tool_env *env, cx_event_kind kind, const char *call_id,
                         const char *command, const char *output, bool done, int code)
{
    if (!env->emit) return;
    json_object *d = json_object_new_object();
    cx__json_set_str(d, "type", "command_execution");
    cx__json_set_str(d, "call_id", call_id ? call_id : "");
    cx__json_set_str(d, "command", command);
    cx__json_set(d, "aggregated_output", cx__json_string(output ? output : ""));
    cx__json_set(d, "exit_code", done ? json_object_new_int(code) : NULL);
    cx__json_set_str(d, "status", !done ? "in_progress" : code == 0 ? "completed" : "failed");
    cx_event ev = {kind, d};
    env->emit(env->emit_user, &ev);
    json_object_put(d);
}

static char *resolve_dir(const cx_tool_env *env, const char *workdir)
{
    return cx__shell_env_workdir(env->cwd, workdir);
}

static char **tool_env(const cx_tool_env *env)
{
    const char *net[] = {"CODEX_SANDBOX_NETWORK_DISABLED=1", NULL};
    return cx__shell_env_build(environ, cx__shell_env_policy(env->config),
                               cx__shell_env_network_disabled(env->config) ? net : NULL);
}

/* Runs the command and writes the answer; freeform picks shell_command's text
 * form over shell's JSON form. */
static int execute(char *const argv[], const char *workdir, int64_t timeout_ms, bool freeform,
                   bool escalated, cx_approver *ap, const cx_tool_call *call,
                   const cx_tool_env *env, cx_tool_output *out)
{
    char *cwd = resolve_dir(env, workdir);
    char *display = cx__output_shlex_join((const char *const *)argv);
    char **envp = tool_env(env);
    if (!display || !envp || (!cwd && env->cwd)) {
        free(cwd);
        free(display);
        cx__shell_env_free(envp);
        return CX_ENOMEM;
    }
    emit_command(env, CX_EV_ITEM_STARTED, call->call_id, display, "", false, 0);
    run_result r = {.head = CX_BUF_INIT, .tail = CX_BUF_INIT};
    char err[512] = "";
    long timeout =
        timeout_ms > 0 ? (timeout_ms > 86400000 ? 86400000 : (long)timeout_ms) : DEFAULT_TIMEOUT_MS;
    int e = run(env, ap, escalated, argv, cwd, envp, timeout, &r, err, sizeof err);
    if (!e && !r.cancelled && !escalated && r.exit_code != 0) {
        /* on-failure: a sandbox denial may be re-run outside it, if the user says so */
        cx_buf all = CX_BUF_INIT;
        captured(&r, &all);
        cx__buf_puts(&all, "");
        /* shell_command asks about its script, as the escalation question does */
        bool again = cx__approval_retry(ap, env, freeform ? argv[2] : display, all.data);
        cx__buf_free(&all);
        if (again) {
            cx__buf_free(&r.head);
            cx__buf_free(&r.tail);
            r = (run_result){.head = CX_BUF_INIT, .tail = CX_BUF_INIT};
            escalated = true;
            e = run(env, ap, true, argv, cwd, envp, timeout, &r, err, sizeof err);
        }
    }
    cx__shell_env_free(envp);
    free(cwd);
    int rc = 0;
    if (e) {
        /* the process never ran: upstream reports an execution error */
        emit_command(env, CX_EV_ITEM_COMPLETED, call->call_id, display, err, true, -1);
        rc = cx_tool_output_setf(out, false, "execution error: %s", err[0] ? err : strerror(e));
    } else if (r.cancelled) {
        emit_command(env, CX_EV_ITEM_COMPLETED, call->call_id, display, "", true, r.exit_code);
        rc = CX_ECANCELED;
    } else {
        cx_buf content = CX_BUF_INIT, cut = CX_BUF_INIT, text = CX_BUF_INIT;
        model_text(&r, &content, &cut);
        char secs[32];
        cx__output_format_seconds((double)r.elapsed_ms / 1000.0, secs, sizeof secs);
        /* upstream answers a sandbox denial in the text form, from shell too */
        bool denied = cx__approval_denied(env, escalated, r.exit_code, content.data);
        if (freeform || denied) {
            cx__buf_printf(&text, "Exit code: %d\nWall time: %s seconds\n", r.exit_code, secs);
            size_t total = count_lines(content.data, content.len);
            if (total != count_lines(cut.data, cut.len))
                cx__buf_printf(&text, "Total output lines: %zu\n", total);
            cx__buf_puts(&text, "Output:\n");
            cx__buf_append(&text, cut.data, cut.len);
        } else {
            /* formatted_truncate_text: a line count ahead of a cut body */
            cx_buf body = CX_BUF_INIT;
            if (cut.len != content.len)
                cx__buf_printf(&body, "Total output lines: %zu\n\n",
                               count_lines(content.data, content.len));
            cx__buf_append(&body, cut.data, cut.len);
            json_object *o = json_object_new_object();
            cx__json_set(o, "output", cx__json_string_len(body.data, body.len));
            json_object *meta = json_object_new_object();
            cx__json_set(meta, "exit_code", json_object_new_int(r.exit_code));
            /* serde prints the f32 with a decimal point: 0.0, 1.5 */
            char num[40];
            double d = cx__output_round((double)r.elapsed_ms / 100.0) / 10.0;
            snprintf(num, sizeof num, "%.1f", d);
            cx__json_set(meta, "duration_seconds", json_object_new_double_s(d, num));
            cx__json_set(o, "metadata", meta);
            cx__json_dump(o, &text);
            json_object_put(o);
            cx__buf_free(&body);
        }
        cx_buf all = CX_BUF_INIT;
        captured(&r, &all);
        cx__buf_puts(&all, "");
        emit_command(env, CX_EV_ITEM_COMPLETED, call->call_id, display, all.data, true,
                     r.exit_code);
        cx__buf_free(&all);
        free(out->text);
        out->text = cx__buf_steal(&text);
        /* a non-zero exit is reported to the model as a failed call */
        out->success = r.exit_code == 0;
        rc = out->text ? 0 : CX_ENOMEM;
        cx__buf_free(&content);
        cx__buf_free(&cut);
    }
    cx__buf_free(&r.head);
    cx__buf_free(&r.tail);
    free(display);
    return rc;
}

/* Decodes shell's (or, with argv false, shell_command's) arguments as
 * upstream's structs read them; nonzero when the call was answered (1) or
 * failed (negative). */
static int parse(const cx_tool_call *call, bool argv, json_object **args, cx_tool_output *out)
{
    static const char *const sp[] = CX__SANDBOX_PERMISSION_NAMES;
    cx__ft_field str = {.name = "arg", .type = CX__FT_STRING};
    cx__ft_struct profile = {"PermissionProfile", NULL, 0};
    cx__ft_field shell[] = {
        {.name = "command", .type = CX__FT_SEQ, .required = true, .elem = &str},
        {.name = "workdir", .type = CX__FT_STRING, .option = true},
        {.name = "timeout_ms", .type = CX__FT_U64, .option = true, .alias = "timeout"},
        CX__PERMISSION_FIELDS(true, sp, &str, &profile),
    };
    cx__ft_field command[] = {
        {.name = "command", .type = CX__FT_STRING, .required = true},
        {.name = "workdir", .type = CX__FT_STRING, .option = true},
        {.name = "login", .type = CX__FT_BOOL, .option = true},
        {.name = "timeout_ms", .type = CX__FT_U64, .option = true, .alias = "timeout"},
        CX__PERMISSION_FIELDS(true, sp, &str, &profile),
    };
    cx__ft_struct st = argv ? (cx__ft_struct){"ShellToolCallParams", shell, 7}
                            : (cx__ft_struct){"ShellCommandToolCallParams", command, 8};
    int rc = cx__ft_args(call, &st, args, out);
    cx__ft_clear(&st);
    return rc;
}

/* `apply_patch <<'EOF' ... EOF` written as a command runs as apply_patch. */
static bool intercept_patch(const char *script, const char *workdir, const cx_tool_call *call,
                            const cx_tool_env *env, cx_tool_output *out, int *rc)
{
    char *patch = NULL, *dir = NULL;
    if (!cx__patch_from_heredoc(script, &patch, &dir)) return false;
    char *base = resolve_dir(env, workdir);
    char *where = NULL;
    if (dir && dir[0] == '/')
        where = strdup(dir);
    else if (dir && asprintf(&where, "%s/%s", base ? base : ".", dir) < 0)
        where = NULL;
    else if (!dir)
        where = strdup(base ? base : ".");
    *rc = where ? cx__patch_run(patch, where, call->call_id, env, out) : CX_ENOMEM;
    free(where);
    free(base);
    free(patch);
    free(dir);
    return true;
}

static int shell_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                         cx_tool_output *out)
{
    json_object *args = NULL;
    int prc = parse(call, true, &args, out);
    if (prc) return prc < 0 ? prc : 0;
    /* the decoder guarantees an array of strings; only its length is left to check */
    json_object *cmd = cx__json_get(args, "command");
    size_t n = json_object_array_length(cmd);
    if (!n) {
        json_object_put(args);
        return cx_tool_output_setf(out, false, "failed to parse function arguments: %s",
                                   "`command` must be a non-empty array of strings");
    }
    char **argv = calloc(n + 1, sizeof *argv);
    if (!argv) {
        json_object_put(args);
        return CX_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        argv[i] = (char *)json_object_get_string(json_object_array_get_idx(cmd, i));
    char *shown = cx__output_shlex_join((const char *const *)argv);
    bool escalated = false,
         go = shown && cx__approval_check(state, env, args, shown, (const char *const *)argv, false,
                                          &escalated, out);
    free(shown);
    if (!go) {
        free(argv);
        json_object_put(args);
        return out->text ? 0 : CX_ENOMEM;
    }
    const char *workdir = cx__json_get_str(args, "workdir");
    int64_t timeout = 0;
    cx__json_get_int(args, "timeout_ms", &timeout);
    int rc = 0;
    /* ["bash", "-lc", "apply_patch <<'EOF' ..."] is a patch, not a command */
    if (n == 3 && (!strcmp(argv[1], "-lc") || !strcmp(argv[1], "-c")) &&
        intercept_patch(argv[2], workdir, call, env, out, &rc)) {
        free(argv);
        json_object_put(args);
        return rc;
    }
    if (n == 1 && intercept_patch(argv[0], workdir, call, env, out, &rc)) {
        free(argv);
        json_object_put(args);
        return rc;
    }
    rc = execute(argv, workdir, timeout, false, escalated, state, call, env, out);
    free(argv);
    json_object_put(args);
    return rc;
}

static int shell_command_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                                 cx_tool_output *out)
{
    json_object *args = NULL;
    int prc = parse(call, false, &args, out);
    if (prc) return prc < 0 ? prc : 0;
    const char *script = cx__json_get_str(args, "command"); /* required: decoded */
    bool escalated = false;
    if (!cx__approval_check(state, env, args, script, NULL, false, &escalated, out)) {
        json_object_put(args);
        return 0;
    }
    const char *workdir = cx__json_get_str(args, "workdir");
    int64_t timeout = 0;
    cx__json_get_int(args, "timeout_ms", &timeout);
    bool login = true;
    cx__json_get_bool(args, "login", &login);
    int rc = 0;
    if (intercept_patch(script, workdir, call, env, out, &rc)) {
        json_object_put(args);
        return rc;
    }
    const char *shell = env->shell && *env->shell ? env->shell : "/bin/bash";
    char *argv[] = {(char *)shell, login ? "-lc" : "-c", (char *)script, NULL};
    rc = execute(argv, workdir, timeout, true, escalated, state, call, env, out);
    json_object_put(args);
    return rc;
}

/* Parameter names and types as upstream declares them; the texts are ours. */
#define JUSTIFICATION_PROP                                                                         \
    "\"justification\":{\"type\":\"string\",\"description\":\"With sandbox_permissions set to "    \
    "require_escalated: one short question asking the user to allow the command outside the "      \
    "sandbox, saying why.\"},"
#define ESCALATION_PROPS                                                                           \
    "\"prefix_rule\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"With "  \
    "require_escalated only: a command prefix the user could approve once for similar "            \
    "commands.\"},"                                                                                \
    "\"sandbox_permissions\":{\"type\":\"string\",\"description\":\"\\\"use_default\\\" (the "     \
    "default) or \\\"require_escalated\\\" to ask for running outside the sandbox.\"},"
/* upstream lists the properties in name order */
#define APPROVAL_PROPS JUSTIFICATION_PROP ESCALATION_PROPS

static const char SHELL_SPEC[] =
    "{\"type\":\"function\",\"name\":\"shell\",\"description\":\"Run a program given as an argv "
    "array (use [\\\"bash\\\", \\\"-lc\\\", \\\"...\\\"] for shell syntax) and return its exit "
    "code, wall time and combined output as JSON.\",\"strict\":false,\"parameters\":{\"type\":"
    "\"object\",\"properties\":{"
    "\"command\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"The "
    "program and its arguments.\"}," APPROVAL_PROPS
    "\"timeout_ms\":{\"type\":\"number\",\"description\":\"Kill the command after this many "
    "milliseconds (10000 if left out).\"},"
    "\"workdir\":{\"type\":\"string\",\"description\":\"Directory to run in; the turn's working "
    "directory if left out.\"}},"
    "\"required\":[\"command\"],\"additionalProperties\":false}}";

static const char SHELL_COMMAND_SPEC[] =
    "{\"type\":\"function\",\"name\":\"shell_command\",\"description\":\"Run a script with the "
    "user's shell and return its exit code, wall time and combined output.\",\"strict\":false,"
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"command\":{\"type\":\"string\",\"description\":\"The script to run.\"}," JUSTIFICATION_PROP
    "\"login\":{\"type\":\"boolean\",\"description\":\"Run the shell as a login shell (-l). "
    "True unless set.\"}," ESCALATION_PROPS
    "\"timeout_ms\":{\"type\":\"number\",\"description\":\"Kill the command after this many "
    "milliseconds (10000 if left out).\"},"
    "\"workdir\":{\"type\":\"string\",\"description\":\"Directory to run in; the turn's working "
    "directory if left out.\"}},"
    "\"required\":[\"command\"],\"additionalProperties\":false}}";

static int add(cx_tool_registry *reg, const char *name, const char *spec_text, size_t len,
               bool declared, cx_tool_handler h, cx_approver *ap)
{
    json_object *spec = NULL;
    if (declared && cx__json_parse(spec_text, len, &spec, NULL)) return CX_ENOMEM;
    /* upstream runs shell calls of one response side by side */
    cx_tool_def d = {name, CX_TOOL_FUNCTION, true, spec, h, ap, NULL};
    return cx_tools_add(reg, &d);
}

int cx__shell_tool_register(cx_tool_registry *reg, bool declared, cx_approver *ap)
{
    return add(reg, "shell", SHELL_SPEC, sizeof SHELL_SPEC - 1, declared, shell_handler, ap);
}

int cx__shell_command_tool_register(cx_tool_registry *reg, bool declared, cx_approver *ap)
{
    return add(reg, "shell_command", SHELL_COMMAND_SPEC, sizeof SHELL_COMMAND_SPEC - 1, declared,
               shell_command_handler, ap);
}
