/* Code mode cells: see code_mode.h. */
#include "tools/code_mode.h"

#include "base/utf8.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/net.h"
#include "base/proc.h"
#include "base/uuid.h"
#include "tools/args.h"
#include "tools/tool_proc.h"

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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CELLS 16
#define DEFAULT_WAIT_MS 10000
#define DEFAULT_MAX_TOKENS 10000
#define GRACE_MS 20
#define PRAGMA "// @exec:"

extern char **environ;

typedef struct cell {
    struct cx_code_mode *cm;
    char id[16];
    cx_proc *proc;
    int to_fd, out_fd, err_fd;
    pthread_t reader;
    bool reader_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    json_object *items; /* content items not yet delivered */
    bool yielded, done, terminated;
    char *error_text;
    cx_buf errbuf;
    double started;
    /* what nested tool calls run with: copies, since a cell may outlive its call */
    char *cwd, *shell, *mode;
    const struct cx_config *config;
} cell;

struct cx_code_mode {
    pthread_mutex_t mu;
    cx_tool_registry *tools;
    char *node;
    bool upstream;       /* upstream's flavour: exec_wait, isolated cells, content items */
    unsigned next_cell;  /* upstream numbers cells 1, 2, ... */
    json_object *stored; /* store()/load() values, kept across cells */
    cell *cells[MAX_CELLS];
    size_t n;
};

static void send_line(cell *c, json_object *msg)
{
    cx_buf b = CX_BUF_INIT;
    cx__json_dump(msg, &b);
    cx__buf_putc(&b, '\n');
    cx__net_write_all(c->to_fd, b.data, b.len); /* a dead cell just misses the message */
    cx__buf_free(&b);
}

static bool is_code_mode_tool(const char *name)
{
    return !strcmp(name, "exec") || !strcmp(name, "wait") || !strcmp(name, "exec_wait");
}

/* Upstream's cells get exec_command / write_stdin results as objects
 * (chunk_id, wall_time_seconds, exit_code or session_id,
 * original_token_count, output) rather than the text the model reads; this
 * reads those fields back from that text. NULL when it is not of that shape. */
static json_object *structured_exec_result(const char *text)
{
    static const char *const labels[] = {"Chunk ID: ", "Wall time: ", "Process exited with code ",
                                         "Process running with session ID ",
                                         "Original token count: "};
    json_object *o = json_object_new_object();
    const char *p = text;
    while (*p) {
        if (!strncmp(p, "Output:\n", 8)) {
            cx__json_set_str(o, "output", p + 8);
            return o;
        }
        const char *eol = strchr(p, '\n');
        if (!eol) break;
        size_t k = 0;
        while (k < 5 && strncmp(p, labels[k], strlen(labels[k])))
            k++;
        if (k < 5) {
            const char *v = p + strlen(labels[k]);
            char *end = NULL;
            if (k == 0)
                cx__json_set(o, "chunk_id", cx__json_string_len(v, (size_t)(eol - v)));
            else if (k == 1)
                cx__json_set(o, "wall_time_seconds", json_object_new_double(strtod(v, &end)));
            else
                cx__json_set(o,
                             k == 2   ? "exit_code"
                             : k == 3 ? "session_id"
                                      : "original_token_count",
                             json_object_new_int64(strtoll(v, &end, 10)));
        }
        p = eol + 1;
    }
    json_object_put(o);
    return NULL;
}

/* A tool call made from JavaScript, run on the reader thread. */
static void nested_call(cell *c, json_object *msg)
{
    const char *id = cx__json_get_str(msg, "id");
    const char *name = cx__json_get_str(msg, "tool_name");
    json_object *reply = json_object_new_object();
    cx__json_set_str(reply, "type", "tool_result");
    cx__json_set_str(reply, "id", id ? id : "");
    const cx_tool_def *d = name ? cx_tools_find(c->cm->tools, name) : NULL;
    if (!d || is_code_mode_tool(name)) {
        cx__json_set(reply, "ok", json_object_new_boolean(0));
        cx_buf e = CX_BUF_INIT;
        cx__buf_printf(&e, "unknown tool: %s", name ? name : "");
        cx__json_set_str(reply, "error", cx__buf_str(&e));
        cx__buf_free(&e);
    } else if (!d->handler) {
        cx__json_set(reply, "ok", json_object_new_boolean(0));
        cx_buf e = CX_BUF_INIT;
        cx__buf_printf(&e, "tool `%s` is not available inside exec", name);
        cx__json_set_str(reply, "error", cx__buf_str(&e));
        cx__buf_free(&e);
    } else {
        json_object *args = cx__json_get(msg, "arguments");
        char *input = args && json_object_is_type(args, json_type_string)
                          ? strdup(json_object_get_string(args))
                          : cx__json_to_string(args);
        char call_id[64];
        snprintf(call_id, sizeof call_id, "%s_%s", c->id, id ? id : "");
        cx_tool_call call = {name, call_id, d->kind, input ? input : "{}"};
        cx_tool_env env = {
            .cwd = c->cwd, .shell = c->shell, .config = c->config, .collaboration_mode = c->mode};
        cx_tool_output out = {0};
        int rc = d->handler(d->state, &call, &env, &out);
        bool ok = rc == 0 && out.success;
        cx__json_set(reply, "ok", json_object_new_boolean(ok));
        json_object *structured =
            ok && c->cm->upstream && !out.content && out.text &&
                    (!strcmp(name, "exec_command") || !strcmp(name, "write_stdin"))
                ? structured_exec_result(out.text)
                : NULL;
        if (structured)
            cx__json_set(reply, "result", structured);
        else if (ok)
            cx__json_set(reply, "result",
                         out.content ? json_object_get(out.content)
                                     : cx__json_string(out.text ? out.text : ""));
        else
            cx__json_set_str(reply, "error", out.text ? out.text : cx_error_name(rc));
        cx_tool_output_clear(&out);
        free(input);
    }
    send_line(c, reply);
    json_object_put(reply);
}

static void handle_line(cell *c, const char *line, size_t len)
{
    json_object *m = NULL;
    if (cx__json_parse(line, len, &m, NULL) || !json_object_is_type(m, json_type_object)) {
        /* anything the script printed itself is kept as text */
        json_object *it = json_object_new_object();
        cx__json_set_str(it, "type", "input_text");
        cx__json_set(it, "text", cx__json_string_len(line, len));
        pthread_mutex_lock(&c->mu);
        json_object_array_add(c->items, it);
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        json_object_put(m);
        return;
    }
    const char *type = cx__json_get_str(m, "type");
    if (type && !strcmp(type, "tool_call")) {
        nested_call(c, m);
        json_object_put(m);
        return;
    }
    pthread_mutex_lock(&c->mu);
    if (type && !strcmp(type, "output_text")) {
        json_object *it = json_object_new_object();
        cx__json_set_str(it, "type", "input_text");
        cx__json_set_str(it, "text",
                         cx__json_get_str(m, "text") ? cx__json_get_str(m, "text") : "");
        json_object_array_add(c->items, it);
    } else if (type && !strcmp(type, "output_image")) {
        json_object *it = json_object_new_object();
        cx__json_set_str(it, "type", "input_image");
        cx__json_set_str(it, "image_url",
                         cx__json_get_str(m, "image_url") ? cx__json_get_str(m, "image_url") : "");
        const char *detail = cx__json_get_str(m, "detail");
        if (detail) cx__json_set_str(it, "detail", detail);
        json_object_array_add(c->items, it);
    } else if (type && !strcmp(type, "yield")) {
        c->yielded = true;
    } else if (type && !strcmp(type, "result")) {
        const char *e = cx__json_get_str(m, "error_text");
        free(c->error_text);
        c->error_text = e && *e ? strdup(e) : NULL;
        json_object *sv = cx__json_get(m, "stored_values");
        if (sv && json_object_is_type(sv, json_type_object)) {
            pthread_mutex_lock(&c->cm->mu);
            json_object_put(c->cm->stored);
            c->cm->stored = json_object_get(sv);
            pthread_mutex_unlock(&c->cm->mu);
        }
        c->done = true;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    json_object_put(m);
}

static void *reader_main(void *arg)
{
    cell *c = arg;
    cx_buf line = CX_BUF_INIT;
    char chunk[8192];
    struct pollfd p[2] = {{c->out_fd, POLLIN, 0}, {c->err_fd, POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int k = 0; k < 2; k++) {
            if (p[k].fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(p[k].fd, chunk, sizeof chunk);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                p[k].fd = -1;
                open_fds--;
                continue;
            }
            if (k == 1) {
                pthread_mutex_lock(&c->mu);
                if (c->errbuf.len < 65536) cx__buf_append(&c->errbuf, chunk, (size_t)n);
                pthread_mutex_unlock(&c->mu);
                continue;
            }
            cx__buf_append(&line, chunk, (size_t)n);
            char *nl;
            while (line.len && (nl = memchr(line.data, '\n', line.len))) {
                size_t len = (size_t)(nl - line.data);
                if (len) handle_line(c, line.data, len);
                cx__buf_consume(&line, len + 1);
            }
        }
    }
    if (line.len) handle_line(c, line.data, line.len);
    cx__buf_free(&line);
    int status = 0;
    cx__proc_wait(c->proc, true, &status);
    pthread_mutex_lock(&c->mu);
    if (!c->done) {
        /* the process ended without a result: say why */
        cx__buf_puts(&c->errbuf, "");
        char *e = c->errbuf.data ? c->errbuf.data : (char *)"";
        while (*e == '\n' || *e == ' ')
            e++;
        if (*e)
            c->error_text = strdup(e);
        else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            char msg[64];
            snprintf(msg, sizeof msg, "process exited with code %d", WEXITSTATUS(status));
            c->error_text = strdup(msg);
        }
        c->done = true;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static void cell_free(cell *c)
{
    if (!c) return;
    if (c->reader_started) {
        pthread_mutex_lock(&c->mu);
        bool done = c->done;
        pthread_mutex_unlock(&c->mu);
        if (!done) cx__proc_kill(c->proc, SIGKILL);
        close(c->to_fd);
        pthread_join(c->reader, NULL);
    }
    if (c->out_fd >= 0) close(c->out_fd);
    if (c->err_fd >= 0) close(c->err_fd);
    cx__proc_free(c->proc);
    json_object_put(c->items);
    free(c->error_text);
    cx__buf_free(&c->errbuf);
    free(c->cwd);
    free(c->shell);
    free(c->mode);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

cx_code_mode *cx__code_mode_new(cx_tool_registry *tools, const char *node)
{
    cx_code_mode *cm = calloc(1, sizeof *cm);
    if (!cm) return NULL;
    pthread_mutex_init(&cm->mu, NULL);
    cm->tools = tools;
    cm->node = strdup(node ? node : "node");
    cm->stored = json_object_new_object();
    return cm;
}

void cx__code_mode_free(cx_code_mode *cm)
{
    if (!cm) return;
    for (size_t i = 0; i < cm->n; i++)
        cell_free(cm->cells[i]);
    json_object_put(cm->stored);
    free(cm->node);
    pthread_mutex_destroy(&cm->mu);
    free(cm);
}

/* JavaScript names for the tools: anything not an identifier character becomes "_". */
static json_object *tool_list(cx_code_mode *cm)
{
    json_object *list = json_object_new_array();
    size_t n = cx_tools_count(cm->tools);
    for (size_t i = 0; i < n; i++) {
        const cx_tool_def *d = cx_tools_at(cm->tools, i);
        if (!d->handler || is_code_mode_tool(d->name)) continue;
        if (d->kind != CX_TOOL_FUNCTION && d->kind != CX_TOOL_CUSTOM) continue;
        char js[128];
        size_t k = 0;
        for (const char *p = d->name; *p && k + 1 < sizeof js; p++, k++) {
            bool ok = *p == '_' || *p == '$' || (*p >= 'a' && *p <= 'z') ||
                      (*p >= 'A' && *p <= 'Z') || (k > 0 && *p >= '0' && *p <= '9');
            js[k] = ok ? *p : '_';
        }
        js[k] = '\0';
        json_object *t = json_object_new_object();
        cx__json_set_str(t, "tool_name", d->name);
        cx__json_set_str(t, "js_name", k ? js : "_");
        const char *desc = d->spec ? cx__json_get_str(d->spec, "description") : NULL;
        cx__json_set_str(t, "description", desc ? desc : "");
        cx__json_set_str(t, "tool_type", d->kind == CX_TOOL_CUSTOM ? "custom" : "function");
        json_object_array_add(list, t);
    }
    return list;
}

static cell *start_cell(cx_code_mode *cm, const char *source, const cx_tool_env *env, char *err,
                        size_t esize)
{
    char *argv[] = {cm->node, "-e", (char *)cx__code_mode_runtime_js, NULL};
    cx_proc_opts o = {.argv = argv, .cwd = env->cwd, .io = CX_PROC_IO_SPLIT, .stdin_pipe = true};
    cx_proc *proc;
    cx_error perr;
    if (cx__tool_spawn(env, false, NULL, &o, &proc, NULL, &perr) != 0) {
        /* the reason may be long (a sandbox error): keep what fits */
        static const char prefix[] = "cannot start node: ";
        size_t pre = sizeof prefix - 1, len = strlen(perr.msg);
        if (esize <= pre) return NULL;
        if (pre + len >= esize) len = esize - pre - 1;
        memcpy(err, prefix, pre);
        memcpy(err + pre, perr.msg, len);
        err[pre + len] = '\0';
        return NULL;
    }
    cell *c = calloc(1, sizeof *c);
    c->cm = cm;
    c->proc = proc;
    cx__proc_take_fds(proc, &c->to_fd, &c->out_fd, &c->err_fd);
    c->items = json_object_new_array();
    c->started = cx__clock_s();
    c->cwd = env->cwd ? strdup(env->cwd) : NULL;
    c->shell = env->shell ? strdup(env->shell) : NULL;
    c->mode = env->collaboration_mode ? strdup(env->collaboration_mode) : NULL;
    c->config = env->config;
    cx__buf_init(&c->errbuf);
    if (cm->upstream) {
        pthread_mutex_lock(&cm->mu);
        snprintf(c->id, sizeof c->id, "%u", ++cm->next_cell);
        pthread_mutex_unlock(&cm->mu);
    } else {
        unsigned char r[5];
        cx__random_bytes(r, sizeof r);
        snprintf(c->id, sizeof c->id, "%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4]);
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    json_object *init = json_object_new_object();
    cx__json_set_str(init, "type", "init");
    cx__json_set_str(init, "cell_id", c->id);
    cx__json_set_str(init, "source", source);
    cx__json_set(init, "isolated", json_object_new_boolean(cm->upstream));
    pthread_mutex_lock(&cm->mu);
    cx__json_set(init, "stored_values", cx__json_copy(cm->stored));
    pthread_mutex_unlock(&cm->mu);
    cx__json_set(init, "tools", tool_list(cm));
    send_line(c, init);
    json_object_put(init);
    c->reader_started = pthread_create(&c->reader, NULL, reader_main, c) == 0;
    return c;
}

/* Waits (c->mu held) until the cell is done, yields, or the deadline (<0: none). */
static void wait_cell(cell *c, double deadline, const atomic_bool *cancel, bool stop_on_output)
{
    size_t seen = json_object_array_length(c->items);
    while (!c->done && !c->yielded) {
        if (cancel && atomic_load(cancel)) break;
        if (stop_on_output && json_object_array_length(c->items) > seen) {
            /* a little grace so output and completion arrive together */
            double grace = cx__clock_s() + GRACE_MS / 1000.0;
            if (deadline < 0 || grace < deadline) deadline = grace;
            stop_on_output = false;
        }
        double now = cx__clock_s();
        if (deadline >= 0 && now >= deadline) break;
        double step = deadline < 0 ? 0.05 : (deadline - now < 0.05 ? deadline - now : 0.05);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long ns = ts.tv_nsec + (long)(step * 1e9);
        ts.tv_sec += ns / 1000000000L;
        ts.tv_nsec = ns % 1000000000L;
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    c->yielded = false;
}

/* The answer: status, wall time, then what the cell produced since last time. */
static int snapshot(cx_code_mode *cm, cell *c, int64_t max_tokens, double call_started,
                    cx_tool_output *out)
{
    json_object *items = c->items;
    c->items = json_object_new_array();
    bool done = c->done;
    cx_buf head = CX_BUF_INIT;
    if (c->terminated)
        cx__buf_puts(&head, "Script terminated");
    else if (!done)
        cx__buf_printf(&head, "Script running with cell ID %s", c->id);
    else if (c->error_text)
        cx__buf_puts(&head, "Script failed");
    else
        cx__buf_puts(&head, "Script completed");
    /* upstream counts the time of this call; pycodex the cell's whole life */
    cx__buf_printf(&head, "\nWall time %.1f seconds\nOutput:\n",
                   cx__clock_s() - (cm->upstream ? call_started : c->started));
    if (done && c->error_text) {
        json_object *it = json_object_new_object();
        cx__json_set_str(it, "type", "input_text");
        cx_buf e = CX_BUF_INIT;
        cx__buf_printf(&e, "Script error:\n%s", c->error_text);
        cx__json_set_str(it, "text", cx__buf_str(&e));
        cx__buf_free(&e);
        json_object_array_add(items, it);
    }
    /* the token budget, counted in characters as 4 per token */
    size_t budget = (size_t)(max_tokens > 0 ? max_tokens : 1) * 4, used = 0;
    json_object *content = json_object_new_array();
    json_object *h = json_object_new_object();
    cx__json_set_str(h, "type", "input_text");
    cx__json_set_str(h, "text", cx__buf_str(&head));
    json_object *all = json_object_new_array();
    json_object_array_add(all, h);
    for (size_t i = 0; i < json_object_array_length(items); i++)
        json_object_array_add(all, json_object_get(json_object_array_get_idx(items, i)));
    bool images = false;
    cx_buf text = CX_BUF_INIT;
    for (size_t i = 0; i < json_object_array_length(all); i++) {
        json_object *it = json_object_array_get_idx(all, i);
        if (strcmp(cx__json_get_str(it, "type"), "input_text") != 0) {
            images = true;
            json_object_array_add(content, json_object_get(it));
            continue;
        }
        const char *t = cx__json_get_str(it, "text");
        size_t len = strlen(t);
        if (used >= budget) break;
        if (text.len) cx__buf_putc(&text, '\n');
        json_object *copy = json_object_new_object();
        cx__json_set_str(copy, "type", "input_text");
        if (len > budget - used) {
            size_t keep = cx__utf8_floor(t, len, budget - used);
            cx_buf cut = CX_BUF_INIT;
            cx__buf_append(&cut, t, keep);
            cx__buf_puts(&cut, "\n...[truncated]...");
            cx__buf_append(&text, cut.data, cut.len);
            cx__json_set(copy, "text", cx__json_string_len(cut.data, cut.len));
            cx__buf_free(&cut);
            json_object_array_add(content, copy);
            break;
        }
        cx__buf_puts(&text, t);
        cx__json_set_str(copy, "text", t);
        json_object_array_add(content, copy);
        used += len;
    }
    cx__buf_puts(&text, "");
    free(out->text);
    out->text = cx__buf_steal(&text);
    out->success = true;
    /* upstream answers with the items themselves whenever there is more than
     * the status line; pycodex joins text and sends items only for images */
    if (images || (cm->upstream && json_object_array_length(content) > 1))
        out->content = content;
    else
        json_object_put(content);
    json_object_put(all);
    json_object_put(items);
    cx__buf_free(&head);
    return out->text ? 0 : CX_ENOMEM;
}

/* Removes a finished cell (cm->mu held by the caller is not needed: only the turn's thread calls).
 */
static void drop_cell(cx_code_mode *cm, cell *c)
{
    pthread_mutex_lock(&cm->mu);
    for (size_t i = 0; i < cm->n; i++)
        if (cm->cells[i] == c) {
            memmove(&cm->cells[i], &cm->cells[i + 1], (cm->n - i - 1) * sizeof(cell *));
            cm->n--;
            break;
        }
    pthread_mutex_unlock(&cm->mu);
    cell_free(c);
}

static int exec_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    cx_code_mode *cm = state;
    const char *input = call->input ? call->input : "";
    if (strspn(input, " \t\r\n") == strlen(input))
        return cx_tool_output_setf(out, false,
                                   "Error: exec expects raw JavaScript source text (non-empty).");
    int64_t yield_ms = -1, max_tokens = DEFAULT_MAX_TOKENS;
    const char *source = input;
    const char *first = input + strspn(input, " \t");
    if (!strncmp(first, PRAGMA, strlen(PRAGMA))) {
        const char *nl = strchr(first, '\n');
        if (!nl || strspn(nl + 1, " \t\r\n") == strlen(nl + 1))
            return cx_tool_output_setf(
                out, false,
                "Error: exec pragma must be followed by JavaScript source on subsequent lines");
        cx_buf p = CX_BUF_INIT;
        cx__buf_append(&p, first + strlen(PRAGMA), (size_t)(nl - first) - strlen(PRAGMA));
        cx__buf_puts(&p, "");
        json_object *o = NULL;
        cx_error perr = {0};
        int bad =
            cx__json_parse(p.data, p.len, &o, &perr) || !json_object_is_type(o, json_type_object);
        const char *unknown = NULL;
        if (!bad) {
            json_object_object_foreach(o, k, v)
            {
                (void)v;
                if (strcmp(k, "yield_time_ms") && strcmp(k, "max_output_tokens") && !unknown)
                    unknown = k;
            }
            cx__json_get_int(o, "yield_time_ms", &yield_ms);
            cx__json_get_int(o, "max_output_tokens", &max_tokens);
        }
        int rc = 0;
        if (bad)
            rc = cx_tool_output_setf(
                out, false,
                "Error: exec pragma must be a JSON object with supported fields `yield_time_ms` "
                "and `max_output_tokens`");
        else if (unknown)
            rc = cx_tool_output_setf(out, false, "Error: unsupported exec pragma field `%s`",
                                     unknown);
        json_object_put(o);
        cx__buf_free(&p);
        if (bad || unknown) return rc;
        source = nl + 1;
    }
    pthread_mutex_lock(&cm->mu);
    size_t live = cm->n;
    pthread_mutex_unlock(&cm->mu);
    if (live >= MAX_CELLS)
        return cx_tool_output_setf(
            out, false, "Error: too many running exec cells; finish some with wait first");
    char err[256] = "";
    cell *c = start_cell(cm, source, env, err, sizeof err);
    if (!c) return cx_tool_output_setf(out, false, "Error: %s", err);
    pthread_mutex_lock(&cm->mu);
    cm->cells[cm->n++] = c;
    pthread_mutex_unlock(&cm->mu);
    pthread_mutex_lock(&c->mu);
    wait_cell(c,
              yield_ms >= 0 ? cx__clock_s() + (double)(yield_ms > 0 ? yield_ms : 1) / 1000.0 : -1,
              env->cancel, false);
    int rc = snapshot(cm, c, max_tokens, c->started, out);
    bool done = c->done;
    pthread_mutex_unlock(&c->mu);
    if (done) drop_cell(cm, c);
    return rc;
}

static int wait_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    cx_code_mode *cm = state;
    double call_started = cx__clock_s();
    json_object *args = NULL;
    if (cm->upstream) {
        /* upstream's exec_wait reads ExecWaitArgs with serde */
        cx__ft_field fields[] = {
            {.name = "cell_id", .type = CX__FT_STRING, .required = true},
            {.name = "yield_time_ms", .type = CX__FT_U64},
            {.name = "max_tokens", .type = CX__FT_USIZE, .option = true},
            {.name = "terminate", .type = CX__FT_BOOL},
        };
        cx__ft_struct st = {"ExecWaitArgs", fields, 4};
        int rc = cx__ft_args(call, &st, &args, out);
        cx__ft_clear(&st);
        if (rc) return rc < 0 ? rc : 0;
    } else if (cx__json_parse(call->input ? call->input : "", call->input ? strlen(call->input) : 0,
                              &args, NULL) ||
               !json_object_is_type(args, json_type_object)) {
        json_object_put(args);
        return cx_tool_output_setf(out, false, "Error: wait expects a JSON object");
    }
    const char *id = cx__json_get_str(args, "cell_id");
    char idbuf[32] = "";
    snprintf(idbuf, sizeof idbuf, "%s", id ? id : "");
    char *trim = idbuf + strspn(idbuf, " \t");
    for (size_t n = strlen(trim); n && (trim[n - 1] == ' ' || trim[n - 1] == '\t'); n--)
        trim[n - 1] = '\0';
    if (!*trim) {
        json_object_put(args);
        return cx_tool_output_setf(out, false, "Error: `cell_id` is required.");
    }
    int64_t yield_ms = DEFAULT_WAIT_MS, max_tokens = DEFAULT_MAX_TOKENS;
    bool terminate = false;
    cx__json_get_int(args, "yield_time_ms", &yield_ms);
    cx__json_get_int(args, "max_tokens", &max_tokens);
    cx__json_get_bool(args, "terminate", &terminate);
    json_object_put(args);
    cell *c = NULL;
    pthread_mutex_lock(&cm->mu);
    for (size_t i = 0; i < cm->n; i++)
        if (!strcmp(cm->cells[i]->id, trim)) c = cm->cells[i];
    pthread_mutex_unlock(&cm->mu);
    if (!c) return cx_tool_output_setf(out, false, "Error: unknown exec cell `%s`.", trim);
    pthread_mutex_lock(&c->mu);
    if (terminate && !c->done) {
        c->terminated = true;
        cx__proc_kill(c->proc, SIGTERM);
        double until = cx__clock_s() + 1.0;
        while (!c->done && cx__clock_s() < until)
            wait_cell(c, until, NULL, false);
        if (!c->done) cx__proc_kill(c->proc, SIGKILL);
        while (!c->done)
            wait_cell(c, -1, NULL, false);
    }
    wait_cell(c, cx__clock_s() + (double)(yield_ms > 0 ? yield_ms : 1) / 1000.0, env->cancel, true);
    int rc = snapshot(cm, c, max_tokens, call_started, out);
    bool done = c->done;
    pthread_mutex_unlock(&c->mu);
    if (done) drop_cell(cm, c);
    return rc;
}

/* The grammar tells the model the input is raw source, optionally after a pragma line. */
static const char EXEC_SPEC[] =
    "{\"type\":\"custom\",\"name\":\"exec\",\"description\":\"Run JavaScript (Node.js) in a cell. "
    "Send the source itself, not JSON or a fenced block. Helpers: text(v) and image(url) add to "
    "the "
    "output, store(k, v) / load(k) keep values between cells, tools.<name>(args) calls another "
    "tool "
    "and resolves to its output, ALL_TOOLS lists them, yield_control() hands control back while "
    "the cell keeps running, exit() ends it. A first line `// @exec: {\\\"yield_time_ms\\\": N, "
    "\\\"max_output_tokens\\\": N}` sets how long to wait and how much output to return.\","
    "\"format\":{\"type\":\"grammar\",\"syntax\":\"lark\",\"definition\":\"start: pragma_source | "
    "plain_source\\npragma_source: PRAGMA_LINE NEWLINE SOURCE\\nplain_source: "
    "SOURCE\\nPRAGMA_LINE: "
    "/[ \\\\t]*\\\\/\\\\/ @exec:[^\\\\r\\\\n]*/\\nNEWLINE: /\\\\r?\\\\n/\\nSOURCE: "
    "/[\\\\s\\\\S]+/\\n\"}}";

static const char WAIT_SPEC[] =
    "{\"type\":\"function\",\"name\":\"wait\",\"description\":\"Collect new output from an exec "
    "cell "
    "that is still running, or stop it.\",\"strict\":false,\"parameters\":{\"type\":\"object\","
    "\"properties\":{"
    "\"cell_id\":{\"type\":\"string\",\"description\":\"The running cell's ID.\"},"
    "\"yield_time_ms\":{\"type\":\"integer\",\"description\":\"How long to wait for more output, "
    "in "
    "milliseconds.\"},"
    "\"max_tokens\":{\"type\":\"integer\",\"description\":\"Cap on the output returned, in "
    "tokens.\"},"
    "\"terminate\":{\"type\":\"boolean\",\"description\":\"Stop the cell.\"}},"
    "\"required\":[\"cell_id\"],\"additionalProperties\":false}}";

/* Upstream 0.115.0's declarations: the same grammar laid out as upstream
 * writes it, and exec_wait's numbers typed `number`. */
static const char UPSTREAM_EXEC_SPEC[] =
    "{\"type\":\"custom\",\"name\":\"exec\",\"description\":\"Run JavaScript in an isolated "
    "cell (no Node.js APIs, no file system or network, no timers). Send the source itself, not "
    "JSON or a fenced block; an optional first line `// @exec: {\\\"yield_time_ms\\\": N, "
    "\\\"max_output_tokens\\\": N}` sets how long to wait and how much output to return. "
    "Helpers: text(v) and image(url) add to the output, store(k, v) / load(k) keep values between "
    "cells, `await tools.<name>(args)` calls another tool, ALL_TOOLS lists them, yield_control() "
    "hands control back while the cell keeps running.\","
    "\"format\":{\"type\":\"grammar\",\"syntax\":\"lark\",\"definition\":\"\\nstart: "
    "pragma_source | plain_source\\npragma_source: PRAGMA_LINE NEWLINE SOURCE\\nplain_source: "
    "SOURCE\\n\\nPRAGMA_LINE: /[ \\\\t]*\\\\/\\\\/ @exec:[^\\\\r\\\\n]*/\\nNEWLINE: "
    "/\\\\r?\\\\n/\\nSOURCE: /[\\\\s\\\\S]+/\\n\"}}";

static const char UPSTREAM_WAIT_SPEC[] =
    "{\"type\":\"function\",\"name\":\"exec_wait\",\"description\":\"Collect new output from "
    "an exec cell that is still running (its ID comes from `Script running with cell ID ...`), "
    "or stop it with terminate.\",\"strict\":false,\"parameters\":{\"type\":\"object\","
    "\"properties\":{"
    "\"cell_id\":{\"type\":\"string\",\"description\":\"The running cell's ID.\"},"
    "\"max_tokens\":{\"type\":\"number\",\"description\":\"Cap on the output returned, in "
    "tokens.\"},"
    "\"terminate\":{\"type\":\"boolean\",\"description\":\"Stop the cell.\"},"
    "\"yield_time_ms\":{\"type\":\"number\",\"description\":\"How long to wait for more "
    "output, in milliseconds.\"}},"
    "\"required\":[\"cell_id\"],\"additionalProperties\":false}}";

int cx__code_mode_register(cx_code_mode *cm, cx_tool_registry *reg)
{
    const char *exec_spec = cm->upstream ? UPSTREAM_EXEC_SPEC : EXEC_SPEC;
    const char *wait_spec = cm->upstream ? UPSTREAM_WAIT_SPEC : WAIT_SPEC;
    json_object *spec = NULL;
    if (cx__json_parse(exec_spec, strlen(exec_spec), &spec, NULL)) return CX_ENOMEM;
    cx_tool_def e = {"exec", CX_TOOL_CUSTOM, false, spec, exec_handler, cm, NULL};
    int rc = cx_tools_add(reg, &e);
    if (rc) return rc;
    if (cx__json_parse(wait_spec, strlen(wait_spec), &spec, NULL)) return CX_ENOMEM;
    cx_tool_def w = {
        cm->upstream ? "exec_wait" : "wait", CX_TOOL_FUNCTION, false, spec, wait_handler, cm, NULL};
    return cx_tools_add(reg, &w);
}

void cx__code_mode_use_upstream_flavour(cx_code_mode *cm)
{
    cm->upstream = true;
}
