/* Event rendering for people. The line formats follow pycodex's CLI view
 * (utils/visualize.py) so that users moving over see the same markers. */
#include "cli/render.h"

#include "base/utf8.h"
#include "base/buf.h"
#include "base/json.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct qa {
    char *user;
    char *assistant;
} qa;

struct cx_render {
    FILE *out;
    bool interactive;
    bool color;
    /* events arrive on the turn's thread only (events.h); mu is for the spinner
     * thread and the REPL's /history, which share this state with them */
    pthread_mutex_t mu;
    bool streaming;
    bool prompt_open; /* a prompt was printed and no newline followed yet */
    char *title;
    char *pending_user; /* prompt of the running turn, for /history */
    cx_buf said;        /* assistant text streamed since pending_user began */
    qa *history;
    size_t n_history;
    json_object *calls;  /* call_id -> {"name","arguments"} of running tools */
    json_object *queued; /* /queue texts not yet started, oldest first */
    /* the spinner: shown on a terminal while the model is being asked and
     * nothing streams yet; erased before any other output */
    bool spin_enabled;
    bool waiting;
    bool spin_shown;
    bool spin_stop;
    unsigned frame;
    struct timespec wait_since;
    pthread_t spin_thread;
    pthread_cond_t spin_cv;
};

#define ANSI_RESET "\033[0m"

static const char *color_for(const char *line)
{
    if (!strncmp(line, "[exec]", 6)) return "\033[1;33m";
    if (!strncmp(line, "[plan]", 6) || !strncmp(line, "  [", 3)) return "\033[1;36m";
    if (!strncmp(line, "[agent]", 7)) return "\033[1;34m";
    if (!strncmp(line, "[web]", 5)) return "\033[1;35m";
    if (!strncmp(line, "[error]", 7) || !strncmp(line, "Error:", 6)) return "\033[1;31m";
    if (!strncmp(line, "[steer]", 7) || !strncmp(line, "[model]", 7)) return "\033[1;36m";
    if (!strncmp(line, "[tool]", 6)) return "\033[2m";
    return NULL;
}

static void clear_spin_locked(cx_render *r)
{
    if (!r->spin_shown) return;
    fputs("\r\033[K", r->out);
    r->spin_shown = false;
}

static void *spin_main(void *arg)
{
    static const char *const frames[] = {"-", "\\", "|", "/"};
    cx_render *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->spin_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 120 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->spin_cv, &r->mu, &until);
        if (r->spin_stop || !r->waiting || r->streaming || r->prompt_open) continue;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long secs = (long)(now.tv_sec - r->wait_since.tv_sec);
        fprintf(r->out, "\r\033[K%s working (%lds)", frames[r->frame++ % 4], secs);
        fflush(r->out);
        r->spin_shown = true;
    }
    clear_spin_locked(r);
    fflush(r->out);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void set_waiting_locked(cx_render *r, bool waiting)
{
    if (waiting && !r->waiting) clock_gettime(CLOCK_MONOTONIC, &r->wait_since);
    r->waiting = waiting;
    if (!waiting) clear_spin_locked(r);
}

cx_render *cx_render_new(FILE *out, bool interactive)
{
    cx_render *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->out = out;
    r->interactive = interactive;
    const char *nc = getenv("NO_COLOR");
    const char *pnc = getenv("CCODEX_NO_COLOR");
    r->color = interactive && isatty(fileno(out)) && !(nc && *nc) && !(pnc && *pnc);
    r->calls = json_object_new_object();
    r->queued = json_object_new_array();
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->spin_cv, NULL);
    const char *ns = getenv("CCODEX_NO_SPINNER");
    r->spin_enabled = interactive && isatty(fileno(out)) && !(ns && *ns);
    if (r->spin_enabled && pthread_create(&r->spin_thread, NULL, spin_main, r) != 0)
        r->spin_enabled = false;
    return r;
}

void cx_render_free(cx_render *r)
{
    if (!r) return;
    if (r->spin_enabled) {
        pthread_mutex_lock(&r->mu);
        r->spin_stop = true;
        pthread_cond_signal(&r->spin_cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->spin_thread, NULL);
    }
    pthread_cond_destroy(&r->spin_cv);
    for (size_t i = 0; i < r->n_history; i++) {
        free(r->history[i].user);
        free(r->history[i].assistant);
    }
    free(r->history);
    free(r->title);
    free(r->pending_user);
    cx__buf_free(&r->said);
    json_object_put(r->calls);
    json_object_put(r->queued);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void end_stream_locked(cx_render *r)
{
    clear_spin_locked(r);
    if (r->prompt_open) {
        fputc('\n', r->out);
        r->prompt_open = false;
    }
    if (r->streaming) {
        fputc('\n', r->out);
        r->streaming = false;
    }
}

static void line_locked(cx_render *r, const char *text)
{
    end_stream_locked(r);
    const char *c = r->color ? color_for(text) : NULL;
    if (c)
        fprintf(r->out, "%s%s%s\n", c, text, ANSI_RESET);
    else
        fprintf(r->out, "%s\n", text);
    fflush(r->out);
}

void cx_render_line(cx_render *r, const char *text)
{
    pthread_mutex_lock(&r->mu);
    line_locked(r, text);
    pthread_mutex_unlock(&r->mu);
}

void cx_render_finish(cx_render *r)
{
    pthread_mutex_lock(&r->mu);
    end_stream_locked(r);
    fflush(r->out);
    pthread_mutex_unlock(&r->mu);
}

/* "Session: <first prompt, squeezed to 48 characters>" as pycodex shortens it. */
static char *shorten(const char *text, size_t limit)
{
    cx_buf b = CX_BUF_INIT;
    bool space = false;
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = b.len > 0;
            continue;
        }
        if (space) cx__buf_putc(&b, ' ');
        space = false;
        cx__buf_putc(&b, *p);
    }
    if (b.len > limit) {
        size_t cut = cx__utf8_floor(b.data, b.len, limit - 3);
        cx__buf_truncate(&b, cut);
        while (b.len && b.data[b.len - 1] == ' ')
            cx__buf_truncate(&b, b.len - 1);
        cx__buf_puts(&b, "...");
    }
    return cx__buf_steal(&b);
}

void cx_render_prompt(cx_render *r, const char *prompt)
{
    pthread_mutex_lock(&r->mu);
    end_stream_locked(r);
    fputs(prompt, r->out);
    fflush(r->out);
    r->prompt_open = true;
    pthread_mutex_unlock(&r->mu);
}

/* "[steer] queued: TEXT" / "[steer] inserted: TEXT", the text shortened. */
static void steer_line_locked(cx_render *r, const char *what, const char *text)
{
    char *s = shorten(text, 72);
    cx_buf b = CX_BUF_INIT;
    cx__buf_printf(&b, "[steer] %s: %s", what, s ? s : "");
    line_locked(r, cx__buf_str(&b));
    cx__buf_free(&b);
    free(s);
}

void cx_render_steer_queued(cx_render *r, const char *text)
{
    pthread_mutex_lock(&r->mu);
    steer_line_locked(r, "queued", text);
    pthread_mutex_unlock(&r->mu);
}

void cx_render_history(cx_render *r)
{
    pthread_mutex_lock(&r->mu);
    end_stream_locked(r);
    if (!r->n_history) {
        line_locked(r, "No history yet.");
    } else {
        fprintf(r->out, "Session: %s\n", r->title ? r->title : "untitled");
        for (size_t i = 0; i < r->n_history; i++) {
            fprintf(r->out, "[%zu] user> %s\n", i + 1, r->history[i].user);
            fprintf(r->out, "    assistant> %s\n", r->history[i].assistant);
        }
        fflush(r->out);
    }
    pthread_mutex_unlock(&r->mu);
}

void cx_render_title(cx_render *r)
{
    pthread_mutex_lock(&r->mu);
    end_stream_locked(r);
    fprintf(r->out, "Session: %s\n", r->title ? r->title : "untitled");
    fflush(r->out);
    pthread_mutex_unlock(&r->mu);
}

/* pycodex squeezes whitespace and cuts previews at a width. */
static void put_preview(cx_buf *b, const char *text, size_t limit)
{
    char *s = shorten(text ? text : "", limit);
    cx__buf_puts(b, s ? s : "");
    free(s);
}

/* The command as the model wrote it (not the shell wrapper around it). */
static void command_preview(cx_buf *b, const char *name, const json_object *args)
{
    if (!strcmp(name, "exec_command")) {
        put_preview(b, cx__json_get_str(args, "cmd"), 72);
    } else if (!strcmp(name, "shell_command")) {
        put_preview(b, cx__json_get_str(args, "command"), 72);
    } else if (!strcmp(name, "shell")) {
        json_object *cmd = cx__json_get(args, "command");
        cx_buf joined = CX_BUF_INIT;
        for (size_t i = 0; cmd && i < json_object_array_length(cmd); i++) {
            const char *part = json_object_get_string(json_object_array_get_idx(cmd, i));
            if (i) cx__buf_putc(&joined, ' ');
            bool plain = part && *part &&
                         strspn(part, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                                      "QRSTUVWXYZ0123456789_-./=:,+@%") == strlen(part);
            cx__buf_printf(&joined, plain ? "%s" : "'%s'", part ? part : "");
        }
        put_preview(b, cx__buf_str(&joined), 72);
        cx__buf_free(&joined);
    } else if (!strcmp(name, "write_stdin")) {
        int64_t sid = 0;
        const char *chars = cx__json_get_str(args, "chars");
        if (!cx__json_get_int(args, "session_id", &sid)) return;
        if (!chars || !*chars) {
            cx__buf_printf(b, "poll session %lld", (long long)sid);
        } else {
            cx__buf_printf(b, "session %lld <- ", (long long)sid);
            put_preview(b, chars, 32);
        }
    }
}

/* The first line of a tool's output worth showing: the first after
 * "Output:", else the first that is not a header line. */
static void output_preview(cx_buf *b, const json_object *output)
{
    const char *text = output && json_object_is_type(output, json_type_string)
                           ? json_object_get_string((json_object *)output)
                           : NULL;
    if (!text) return;
    const char *start = strstr(text, "\nOutput:\n");
    if (start) start += 9;
    if (!start && !strncmp(text, "Output:\n", 8)) start = text + 8;
    for (int pass = start ? 0 : 1; pass < 2; pass++) {
        for (const char *p = pass ? text : start; p && *p;) {
            const char *eol = strchr(p, '\n');
            size_t n = eol ? (size_t)(eol - p) : strlen(p);
            char *line = strndup(p, n);
            if (!line) break;
            const char *t = line;
            while (t && (*t == ' ' || *t == '\t' || *t == '\r'))
                t++;
            bool header = !strncmp(t, "Exit code:", 10) || !strncmp(t, "Wall time:", 10) ||
                          !strncmp(t, "Command:", 8);
            if (t && *t && (pass == 0 || !header)) {
                put_preview(b, t, 96);
                free(line);
                return;
            }
            free(line);
            p = eol ? eol + 1 : NULL;
        }
    }
}

static void plan_lines_locked(cx_render *r, const json_object *args)
{
    const char *why = cx__json_get_str(args, "explanation");
    cx_buf b = CX_BUF_INIT;
    cx__buf_printf(&b, "[plan] %s", why && *why ? why : "Plan updated");
    line_locked(r, cx__buf_str(&b));
    json_object *plan = cx__json_get(args, "plan");
    for (size_t i = 0; plan && i < json_object_array_length(plan); i++) {
        json_object *it = json_object_array_get_idx(plan, i);
        const char *step = cx__json_get_str(it, "step");
        const char *status = cx__json_get_str(it, "status") ?: "";
        if (!step || !*step) continue;
        cx__buf_reset(&b);
        cx__buf_printf(&b, "  %s %s",
                       !strcmp(status, "completed")     ? "[x]"
                       : !strcmp(status, "in_progress") ? "[>]"
                                                        : "[ ]",
                       step);
        line_locked(r, cx__buf_str(&b));
    }
    cx__buf_free(&b);
}

static bool is_exec_tool(const char *name)
{
    static const char *const names[] = {"exec_command", "write_stdin", "shell", "shell_command",
                                        "exec",         "wait",        NULL};
    for (const char *const *p = names; *p; p++)
        if (!strcmp(name, *p)) return true;
    return false;
}

static void tool_completed_locked(cx_render *r, const json_object *d)
{
    const char *name = cx__json_get_str(d, "name");
    bool ok = true;
    cx__json_get_bool(d, "success", &ok);
    if (!name) return;
    const char *call_id = cx__json_get_str(d, "call_id");
    json_object *call = call_id ? cx__json_get(r->calls, call_id) : NULL;
    json_object *args = NULL;
    const char *raw = call ? cx__json_get_str(call, "arguments") : NULL;
    if (raw && cx__json_parse(raw, strlen(raw), &args, NULL) != 0) args = NULL;
    cx_buf b = CX_BUF_INIT;
    if (!strcmp(name, "update_plan")) {
        if (ok && args)
            plan_lines_locked(r, args);
        else if (!ok)
            cx__buf_puts(&b, "[error] plan failed");
    } else if (is_exec_tool(name)) {
        cx_buf sum = CX_BUF_INIT;
        if (args) command_preview(&sum, name, args);
        size_t cmd_len = sum.len;
        if (cmd_len) cx__buf_puts(&sum, " -> ");
        size_t before = sum.len;
        output_preview(&sum, cx__json_get(d, "output"));
        if (sum.len == before) cx__buf_truncate(&sum, cmd_len);
        if (ok)
            cx__buf_printf(&b, "[exec] %s", sum.len ? cx__buf_str(&sum) : name);
        else
            cx__buf_printf(&b, sum.len ? "[error] exec failed: %s" : "[error] exec failed%s",
                           cx__buf_str(&sum));
        cx__buf_free(&sum);
    } else if (!strcmp(name, "spawn_agent") || !strcmp(name, "send_input") ||
               !strcmp(name, "wait_agent") || !strcmp(name, "resume_agent") ||
               !strcmp(name, "close_agent")) {
        const char *verb = !strcmp(name, "spawn_agent")    ? "spawned"
                           : !strcmp(name, "send_input")   ? "send"
                           : !strcmp(name, "wait_agent")   ? "wait"
                           : !strcmp(name, "resume_agent") ? "resume"
                                                           : "close";
        if (ok)
            cx__buf_printf(&b, "[agent] %s", verb);
        else
            cx__buf_printf(&b, "[error] agent %s failed", verb);
    } else if (ok) {
        cx__buf_printf(&b, "[tool] %s", name);
    } else {
        cx__buf_printf(&b, "[error] %s failed", name);
    }
    if (b.len) line_locked(r, cx__buf_str(&b));
    cx__buf_free(&b);
    json_object_put(args);
    if (call_id) json_object_object_del(r->calls, call_id);
}

/* "[web] searched: QUERY", "[web] opened: URL", ... as pycodex words them. */
static void web_line(cx_buf *b, const json_object *d)
{
    json_object *action = cx__json_get(d, "action");
    const char *type = cx__json_get_str(action, "type") ?: "";
    const char *q = cx__json_get_str(action, "query");
    if (!q || !*q) q = cx__json_get_str(d, "query");
    const char *url = cx__json_get_str(action, "url");
    const char *pattern = cx__json_get_str(action, "pattern");
    if (!strcmp(type, "search") || (!*type && q && *q))
        cx__buf_printf(b, q && *q ? "[web] searched: %s" : "[web] searched%s", q && *q ? q : "");
    else if (!strcmp(type, "open_page"))
        cx__buf_printf(b, url && *url ? "[web] opened: %s" : "[web] opened%s", url ? url : "");
    else if (!strcmp(type, "find_in_page") && pattern && *pattern && url && *url)
        cx__buf_printf(b, "[web] found: %s @ %s", pattern, url);
    else if (!strcmp(type, "find_in_page") && pattern && *pattern)
        cx__buf_printf(b, "[web] found: %s", pattern);
    else if (!strcmp(type, "find_in_page"))
        cx__buf_puts(b, "[web] found in page");
    else
        cx__buf_puts(b, "[web] browsing");
}

static void item_locked(cx_render *r, const json_object *d, bool started)
{
    const char *type = cx__json_get_str(d, "type");
    if (!type) return;
    cx_buf b = CX_BUF_INIT;
    /* commands and the plan are shown when their tool call completes, with
       the command as written and the plan's explanation (pycodex's lines) */
    if (!strcmp(type, "command_execution") || !strcmp(type, "todo_list")) {
        /* nothing */
    } else if (!strcmp(type, "file_change") && !started) {
        json_object *changes = cx__json_get(d, "changes");
        size_t n = changes ? json_object_array_length(changes) : 0;
        const char *status = cx__json_get_str(d, "status");
        bool failed = status && !strcmp(status, "failed");
        cx__buf_puts(&b, failed ? "[error] patch failed:" : "[patch]");
        for (size_t i = 0; i < n; i++) {
            json_object *c = json_object_array_get_idx(changes, i);
            const char *kind = cx__json_get_str(c, "kind") ?: "update";
            cx__buf_printf(&b, " %c %s",
                           kind[0] == 'a'   ? 'A'
                           : kind[0] == 'd' ? 'D'
                                            : 'M',
                           cx__json_get_str(c, "path") ?: "");
        }
    } else if (!strcmp(type, "error") && !started) {
        cx__buf_printf(&b, "[warning] %s", cx__json_get_str(d, "message") ?: "");
    } else if (!strcmp(type, "web_search") && !started) {
        web_line(&b, d);
    }
    if (b.len) line_locked(r, cx__buf_str(&b));
    cx__buf_free(&b);
}

static void steer_inserted_locked(cx_render *r, const char *text)
{
    steer_line_locked(r, "inserted", text);
}

/* Closes the running /history entry (pending_user) with the answer given. */
static void add_history_locked(cx_render *r, const char *answer)
{
    qa *p = realloc(r->history, (r->n_history + 1) * sizeof *p);
    if (!p) return;
    r->history = p;
    r->history[r->n_history].user = r->pending_user ? r->pending_user : strdup("");
    r->history[r->n_history].assistant = strdup(answer ? answer : "");
    r->n_history++;
    r->pending_user = NULL;
}

void cx_render_queued(cx_render *r, const char *text)
{
    pthread_mutex_lock(&r->mu);
    json_object_array_add(r->queued, json_object_new_string(text));
    pthread_mutex_unlock(&r->mu);
    cx_render_steer_queued(r, text);
}

void cx_render_event(cx_render *r, const cx_event *ev)
{
    const json_object *d = ev->data;
    pthread_mutex_lock(&r->mu);
    switch (ev->kind) {
    case CX_EV_TURN_STARTED: {
        const char *user = cx__json_get_str(d, "user_text");
        if (user && *user) {
            if (!r->title) {
                r->title = shorten(user, 48);
                cx_buf b = CX_BUF_INIT;
                cx__buf_printf(&b, "Session: %s", r->title ? r->title : "");
                if (r->interactive) line_locked(r, cx__buf_str(&b));
                cx__buf_free(&b);
            }
            free(r->pending_user);
            r->pending_user = strdup(user);
            cx__buf_reset(&r->said);
            /* a /queue text starting its own turn is reported as a typed
               steer line is when it joins a request */
            json_object *head = json_object_array_get_idx(r->queued, 0);
            if (head && !strcmp(json_object_get_string(head), user)) {
                steer_inserted_locked(r, user);
                json_object_array_del_idx(r->queued, 0, 1);
            }
        }
        break;
    }
    case CX_EV_SAMPLING:
        /* the spinner shows that the model works; no line stays for it */
        set_waiting_locked(r, true);
        break;
    case CX_EV_TEXT_DELTA: {
        const char *delta = cx__json_get_str(d, "delta");
        if (!delta || !*delta) break;
        set_waiting_locked(r, false);
        if (!r->streaming) {
            if (r->prompt_open) {
                fputc('\n', r->out);
                r->prompt_open = false;
            }
            if (r->interactive)
                fputs(r->color ? "\033[1;32massistant>\033[0m " : "assistant> ", r->out);
            r->streaming = true;
        }
        fputs(delta, r->out);
        fflush(r->out);
        cx__buf_puts(&r->said, delta);
        break;
    }
    case CX_EV_ITEM_STARTED:
        set_waiting_locked(r, false);
        item_locked(r, d, true);
        break;
    case CX_EV_TOOL_STARTED: {
        set_waiting_locked(r, false);
        const char *call_id = cx__json_get_str(d, "call_id");
        if (call_id) {
            json_object *c = json_object_new_object();
            cx__json_set_str(c, "name", cx__json_get_str(d, "name"));
            cx__json_set_str(c, "arguments", cx__json_get_str(d, "arguments"));
            cx__json_set(r->calls, call_id, c);
        }
        break;
    }
    case CX_EV_ITEM_UPDATED:
    case CX_EV_ITEM_COMPLETED:
        item_locked(r, d, false);
        break;
    case CX_EV_TOOL_COMPLETED:
        tool_completed_locked(r, d);
        break;
    case CX_EV_STEER_INSERTED: {
        const char *text = cx__json_get_str(d, "text") ?: "";
        steer_inserted_locked(r, text);
        /* /history keeps what was said before the steer as its own entry,
           and the steered prompt starts the next one */
        add_history_locked(r, cx__buf_str(&r->said));
        r->pending_user = strdup(text);
        cx__buf_reset(&r->said);
        break;
    }
    case CX_EV_RETRY: {
        cx_buf b = CX_BUF_INIT;
        int64_t attempt = 0, max = 0;
        cx__json_get_int(d, "attempt", &attempt);
        cx__json_get_int(d, "max", &max);
        cx__buf_printf(&b, "[model] reconnecting %lld/%lld: %s", (long long)attempt, (long long)max,
                       cx__json_get_str(d, "message") ?: "");
        line_locked(r, cx__buf_str(&b));
        cx__buf_free(&b);
        break;
    }
    case CX_EV_COMPACTED:
        line_locked(r, "[context compacted]");
        break;
    case CX_EV_WARNING: {
        cx_buf b = CX_BUF_INIT;
        cx__buf_printf(&b, "[warning] %s", cx__json_get_str(d, "message") ?: "");
        line_locked(r, cx__buf_str(&b));
        cx__buf_free(&b);
        break;
    }
    case CX_EV_TURN_COMPLETED: {
        set_waiting_locked(r, false);
        end_stream_locked(r);
        const char *last = cx__json_get_str(d, "last_message");
        add_history_locked(r, last ? last : cx__buf_str(&r->said));
        cx__buf_reset(&r->said);
        fflush(r->out);
        break;
    }
    case CX_EV_TURN_FAILED: {
        set_waiting_locked(r, false);
        cx_buf b = CX_BUF_INIT;
        cx__buf_printf(&b, "Error: %s", cx__json_get_str(d, "message") ?: "turn failed");
        line_locked(r, cx__buf_str(&b));
        cx__buf_free(&b);
        break;
    }
    case CX_EV_TURN_ABORTED:
        set_waiting_locked(r, false);
        line_locked(r, "[interrupted]");
        /* the interrupted answer's partial text stays in /history */
        if (r->pending_user) add_history_locked(r, cx__buf_str(&r->said));
        cx__buf_reset(&r->said);
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&r->mu);
}
