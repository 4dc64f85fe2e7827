/* The interactive REPL (`ccodex` on a terminal with no prompt). A runtime
 * worker runs turns while this thread keeps reading lines, so a line typed
 * during a turn steers it ([steer] queued/inserted), `/queue` enqueues a turn
 * of its own, and Ctrl-C interrupts the running turn. Output from the worker
 * (streamed text, tool lines, phase lines) is serialised by one lock. */
#include "cli/cli.h"
#include "cli/mcp_cli.h"
#include "server/rserver.h"

#include "base/buf.h"
#include "base/json.h"
#include "ccodex/runtime.h"
#include "ccodex/session.h"
#include "cli/render.h"
#include "context/context.h"

#include <histedit.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct repl {
    EditLine *el;
    History *hist;
    bool discard_line; /* ^C on an idle prompt: drop what was typed */
    cx_render *view;
    cx_agent *agent;
    cx_runtime *rt;
    cx_config *cfg;
    struct cx_rserver *bridge; /* in-process responses server, or NULL */
    /* a Plan-mode question waiting for the user: the turn's thread blocks in
     * ask_user while this thread routes typed lines to it */
    pthread_mutex_t ask_mu;
    pthread_cond_t ask_cv;
    const json_object *ask_req; /* the questions, or NULL when nothing is asked */
    size_t ask_index;
    json_object *ask_answers;
    bool ask_done, ask_cancel;
    bool closing; /* the REPL is ending: questions get no answer */
    cx_mcp *mcp;  /* the session's MCP servers (freed after the agent) */
    const cx_cli_opts *opts;
} repl;

#define PROMPT "ccodex> "

static void on_event(void *user, const cx_event *ev)
{
    repl *r = user;
    cx_render_event(r->view, ev);
    bool turn_end = ev->kind == CX_EV_TURN_COMPLETED || ev->kind == CX_EV_TURN_FAILED ||
                    ev->kind == CX_EV_TURN_ABORTED;
    /* The pending readline has no prompt while work runs; show one when the
     * last piece of work is done. */
    if (turn_end && r->rt && cx_runtime_queued(r->rt) == 0 && !cx_agent_has_pending_steer(r->agent))
        cx_render_prompt(r->view, PROMPT);
}

static void show_question(repl *r)
{
    json_object *q = json_object_array_get_idx(cx__json_get(r->ask_req, "questions"), r->ask_index);
    cx_buf b = CX_BUF_INIT;
    const char *header = cx__json_get_str(q, "header"), *text = cx__json_get_str(q, "question");
    cx__buf_printf(&b, "[question] %s%s%s", header ? header : "", header ? ": " : "",
                   text ? text : "");
    cx_render_line(r->view, cx__buf_str(&b));
    json_object *opts = cx__json_get(q, "options");
    size_t n = json_object_array_length(opts);
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(opts, i);
        cx__buf_reset(&b);
        const char *d = cx__json_get_str(o, "description");
        cx__buf_printf(&b, "  %zu. %s%s%s", i + 1,
                       cx__json_get_str(o, "label") ? cx__json_get_str(o, "label") : "",
                       d ? " - " : "", d ? d : "");
        cx_render_line(r->view, cx__buf_str(&b));
    }
    cx__buf_reset(&b);
    cx__buf_printf(&b, "  %zu. Other: type your own answer", n + 1);
    cx_render_line(r->view, cx__buf_str(&b));
    cx_render_prompt(r->view, "answer> ");
    cx__buf_free(&b);
}

/* cx_agent_options.ask_user: runs on the turn's thread. */
static json_object *ask_user(void *user, const json_object *request)
{
    repl *r = user;
    pthread_mutex_lock(&r->ask_mu);
    if (r->closing) {
        pthread_mutex_unlock(&r->ask_mu);
        return NULL;
    }
    r->ask_req = request;
    r->ask_index = 0;
    r->ask_answers = json_object_new_object();
    r->ask_done = r->ask_cancel = false;
    show_question(r);
    while (!r->ask_done && !r->ask_cancel)
        pthread_cond_wait(&r->ask_cv, &r->ask_mu);
    json_object *answers = NULL;
    if (r->ask_done) {
        answers = json_object_new_object();
        cx__json_set(answers, "answers", r->ask_answers);
    } else {
        json_object_put(r->ask_answers);
    }
    r->ask_answers = NULL;
    r->ask_req = NULL;
    pthread_mutex_unlock(&r->ask_mu);
    return answers;
}

/* Wakes a pending question without an answer (interrupt, end of input). */
static void ask_cancel(repl *r)
{
    pthread_mutex_lock(&r->ask_mu);
    if (r->ask_req) {
        r->ask_cancel = true;
        pthread_cond_broadcast(&r->ask_cv);
    }
    pthread_mutex_unlock(&r->ask_mu);
}

/* A typed line while a question waits: an option number, or free text.
 * Returns false when no question was waiting. */
static bool take_answer(repl *r, const char *text)
{
    pthread_mutex_lock(&r->ask_mu);
    if (!r->ask_req) {
        pthread_mutex_unlock(&r->ask_mu);
        return false;
    }
    json_object *qs = cx__json_get(r->ask_req, "questions");
    json_object *q = json_object_array_get_idx(qs, r->ask_index);
    json_object *opts = cx__json_get(q, "options");
    size_t n = json_object_array_length(opts);
    char *end;
    long pick = strtol(text, &end, 10);
    const char *answer = text;
    if (*end == '\0' && pick >= 1 && (size_t)pick <= n)
        answer = cx__json_get_str(json_object_array_get_idx(opts, (size_t)pick - 1), "label");
    if (*end == '\0' && (size_t)pick == n + 1) {
        cx_render_prompt(r->view, "your answer> ");
        pthread_mutex_unlock(&r->ask_mu);
        return true;
    }
    json_object *entry = json_object_new_object();
    json_object *list = json_object_new_array();
    json_object_array_add(list, json_object_new_string(answer ? answer : text));
    cx__json_set(entry, "answers", list);
    const char *id = cx__json_get_str(q, "id");
    cx__json_set(r->ask_answers, id ? id : "answer", entry);
    if (++r->ask_index < json_object_array_length(qs)) {
        show_question(r);
    } else {
        r->ask_done = true;
        pthread_cond_broadcast(&r->ask_cv);
    }
    pthread_mutex_unlock(&r->ask_mu);
    return true;
}

typedef struct sig_ctx {
    sigset_t set;
    repl *r;
} sig_ctx;

static void *signal_thread(void *arg)
{
    sig_ctx *s = arg;
    int sig;
    while (sigwait(&s->set, &sig) == 0) {
        if (sig == SIGUSR1) break;
        if (cx_runtime_busy(s->r->rt)) {
            cx_runtime_interrupt(s->r->rt);
            ask_cancel(s->r);
            cx_render_line(s->r->view, "[interrupt] stopping the current turn");
        } else {
            cx_render_line(s->r->view, "(type /exit or press Ctrl-D to quit)");
        }
    }
    return NULL;
}

/* Upstream's TUI keeps typed prompts in CODEX_HOME/history.jsonl; the REPL
 * appends to and reads back the same file (include/ccodex/session.h). */
static void history_append(repl *r, const char *text)
{
    cx_error err;
    cx_session_history_append(r->cfg->codex_home, cx_agent_session_id(r->agent), text, &err);
}

static void remember(repl *r, const char *text)
{
    HistEvent ev;
    if (r->hist) history(r->hist, &ev, H_ENTER, text);
}

/* The last 1000 prompts of earlier sessions, for the up-arrow. */
static void history_load(repl *r)
{
    char **texts = cx_session_history_read(r->cfg->codex_home, 1000);
    for (char **t = texts; t && *t; t++) {
        if (**t) remember(r, *t);
        free(*t);
    }
    free(texts);
}

static void show_help(repl *r)
{
    cx_render_line(r->view, "Commands:");
    cx_render_line(r->view, "  /exit, /quit       leave");
    cx_render_line(r->view, "  /history           prompts and answers of this session");
    cx_render_line(r->view, "  /title             the session title");
    cx_render_line(r->view,
                   "  /model [NAME]      show the model and the provider's models, or switch");
    cx_render_line(r->view, "  /queue TEXT        run TEXT as its own turn after the current one");
    cx_render_line(r->view, "  /plan, /default    switch the collaboration mode");
    cx_render_line(r->view,
                   "  /resume [N]        list this directory's sessions, or continue the Nth");
    cx_render_line(r->view, "  /compact           summarise the conversation to free the context");
    cx_render_line(r->view, "  (any other line while a turn runs steers that turn)");
}

static void show_models(repl *r)
{
    char line[512];
    snprintf(line, sizeof line, "Current model: %s", cx_agent_model(r->agent));
    cx_render_line(r->view, line);
    /* the catalogue: models whose window and compaction threshold are known */
    const cx_model_facts *cat = NULL;
    size_t ncat = cx__context_model_catalog(&cat);
    cx_buf known = CX_BUF_INIT;
    cx__buf_puts(&known, "Known models:");
    for (size_t i = 0; i < ncat; i++)
        cx__buf_printf(&known, "%s %s (%lldk)", i ? "," : "", cat[i].slug,
                       (long long)(cat[i].context_window / 1000));
    cx_render_line(r->view, cx__buf_str(&known));
    cx__buf_free(&known);
    cx_error err;
    char *models = cx_cli_list_models(r->cfg, &err);
    if (models) {
        cx_buf b = CX_BUF_INIT;
        cx__buf_printf(&b, "Available models: %s", models);
        cx_render_line(r->view, cx__buf_str(&b));
        cx__buf_free(&b);
        free(models);
    } else {
        cx_buf b = CX_BUF_INIT;
        cx__buf_printf(&b, "Could not list models: %s", err.msg);
        cx_render_line(r->view, cx__buf_str(&b));
        cx__buf_free(&b);
    }
}

static json_object *ask_user(void *user, const json_object *request);

/* A new agent (recorded unless --ephemeral), continuing resume_path when
 * given. Prints the error and returns NULL on failure. */
static cx_agent *new_agent(repl *r, const char *resume_path)
{
    cx_agent_options ao = {
        .config = r->cfg,
        .cwd = r->opts->cwd,
        .mode = CX_MODE_INTERACTIVE,
        .on_event = on_event,
        .event_user = r,
        .ask_user = ask_user,
        .ask_user_data = r,
        .persist = !r->opts->ephemeral,
        .resume_path = resume_path,
        .originator = getenv("CODEX_INTERNAL_ORIGINATOR_OVERRIDE"),
    };
    cx_error err;
    cx_agent *a = cx_agent_new(&ao, &err);
    if (a && cx__mcp_register(r->mcp, cx_agent_tools(a)) != 0) {
        cx_agent_free(a);
        a = NULL;
        cx_error_set(&err, CX_ENOMEM, "cannot register the MCP tools");
    }
    if (!a) fprintf(stderr, "error: %s\n", err.msg);
    return a;
}

/* /resume lists this directory's REPL sessions; /resume N continues the
 * Nth (the current conversation stays in its own file). */
static void resume_command(repl *r, const char *arg)
{
    while (*arg == ' ')
        arg++;
    if (cx_runtime_busy(r->rt)) {
        cx_render_line(r->view, "Cannot resume while work is running.");
        return;
    }
    char *cwd = r->opts->cwd ? realpath(r->opts->cwd, NULL) : getcwd(NULL, 0);
    cx_session_query q = {
        .codex_home = r->cfg->codex_home,
        .cwd = cwd,
        .provider = r->cfg->model_provider_id,
        .interactive_only = true,
    };
    cx_session_info *v = NULL;
    size_t n = 0;
    cx_error err;
    int rc = cx_session_list(&q, 20, &v, &n, &err);
    free(cwd);
    char line[1100];
    if (rc) {
        snprintf(line, sizeof line, "Could not list sessions: %s", err.msg);
        cx_render_line(r->view, line);
        return;
    }
    char *end = NULL;
    long pick = *arg ? strtol(arg, &end, 10) : 0;
    if (!*arg) {
        if (!n) cx_render_line(r->view, "No earlier sessions in this directory.");
        for (size_t i = 0; i < n; i++) {
            char when[32];
            struct tm tm;
            localtime_r(&v[i].updated, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
            snprintf(line, sizeof line, "%2zu. %s  %.80s", i + 1, when, v[i].first_prompt);
            for (char *c = line; *c; c++)
                if (*c == '\n') *c = ' ';
            cx_render_line(r->view, line);
        }
        if (n) cx_render_line(r->view, "Type /resume N to continue one.");
    } else if (!end || *end || pick < 1 || (size_t)pick > n) {
        cx_render_line(r->view, "Usage: /resume [N] (N from the /resume list)");
    } else {
        cx_agent *a = new_agent(r, v[pick - 1].path);
        if (a) {
            cx_runtime_free(r->rt);
            cx_agent_free(r->agent);
            r->agent = a;
            r->rt = cx_runtime_new(a);
            snprintf(line, sizeof line, "Resumed session %s: %.80s", cx_agent_session_id(a),
                     v[pick - 1].first_prompt);
            cx_render_line(r->view, line);
        }
    }
    cx_session_info_free(v, n);
}

static void compact_command(repl *r)
{
    if (cx_runtime_busy(r->rt)) {
        cx_render_line(r->view, "Cannot compact while work is running.");
        return;
    }
    cx_error err;
    if (cx_agent_compact(r->agent, &err) != 0) {
        char line[1100];
        snprintf(line, sizeof line, "Compaction failed (the conversation is unchanged): %s",
                 err.msg);
        cx_render_line(r->view, line);
    }
}

/* Returns false when the REPL should end. */
static bool handle_line(repl *r, const char *text)
{
    if (!strcmp(text, "/exit") || !strcmp(text, "/quit")) return false;
    if (!strcmp(text, "/help")) {
        show_help(r);
    } else if (!strcmp(text, "/history")) {
        cx_render_history(r->view);
    } else if (!strcmp(text, "/title")) {
        cx_render_title(r->view);
    } else if (!strcmp(text, "/model")) {
        show_models(r);
    } else if (!strncmp(text, "/model ", 7)) {
        const char *name = text + 7;
        while (*name == ' ')
            name++;
        if (!*name) {
            cx_render_line(r->view, "Usage: /model <model>");
        } else if (cx_runtime_busy(r->rt)) {
            cx_render_line(r->view,
                           "Cannot change model while work is running or queued in steer mode.");
        } else {
            cx_agent_set_model(r->agent, name);
            char line[512];
            snprintf(line, sizeof line, "Switched model to %s.", name);
            cx_render_line(r->view, line);
        }
    } else if (!strcmp(text, "/resume") || !strncmp(text, "/resume ", 8)) {
        resume_command(r, text + 7);
    } else if (!strcmp(text, "/compact")) {
        compact_command(r);
    } else if (!strcmp(text, "/queue") || !strncmp(text, "/queue ", 7)) {
        const char *q = text + 6;
        while (*q == ' ')
            q++;
        if (!*q) {
            cx_render_line(r->view, "Usage: /queue <message>");
        } else {
            cx_render_queued(r->view, q);
            cx_runtime_enqueue(r->rt, q);
        }
    } else if (!strcmp(text, "/plan") || !strcmp(text, "/default")) {
        if (cx_runtime_busy(r->rt)) {
            cx_render_line(r->view, "Cannot change mode while work is running.");
        } else {
            cx_agent_set_collaboration_mode(r->agent, text + 1);
            cx_render_line(r->view, !strcmp(text, "/plan") ? "Switched to Plan mode."
                                                           : "Switched to Default mode.");
        }
    } else if (text[0] == '/' && !strchr(text, ' ') && strlen(text) < 32) {
        char line[96];
        snprintf(line, sizeof line, "Unknown command %s (try /help)", text);
        cx_render_line(r->view, line);
    } else {
        bool steered = false;
        history_append(r, text);
        if (cx_runtime_busy(r->rt)) cx_render_steer_queued(r->view, text);
        cx_runtime_submit(r->rt, text, &steered);
    }
    return true;
}

static char *prompt_fn(EditLine *el)
{
    void *data = NULL;
    el_get(el, EL_CLIENTDATA, &data);
    repl *r = data;
    static char empty[] = "", prompt[] = PROMPT;
    if (r && r->ask_req) return empty; /* the question printed its own prompt */
    return r && r->rt && cx_runtime_busy(r->rt) ? empty : prompt;
}

/* ^C while editing: interrupts the running turn, or drops the typed line. */
static unsigned char on_ctrl_c(EditLine *el, int ch)
{
    (void)ch;
    void *data = NULL;
    el_get(el, EL_CLIENTDATA, &data);
    repl *r = data;
    if (cx_runtime_busy(r->rt)) {
        cx_runtime_interrupt(r->rt);
        ask_cancel(r);
        return CC_NORM;
    }
    r->discard_line = true;
    return CC_NEWLINE;
}

int cx_cli_repl(const cx_cli_opts *o)
{
    repl r = {0};
    pthread_mutex_init(&r.ask_mu, NULL);
    pthread_cond_init(&r.ask_cv, NULL);
    r.cfg = cx_cli_load_config(o, true, &r.bridge);
    if (!r.cfg) return 1;
    if (cx_cli_missing_key(o, r.cfg)) {
        cx__rserver_free(r.bridge);
        cx_config_free(r.cfg);
        return 1;
    }
    cx_agent_global_init(r.cfg);
    if (cx_cli_mcp_start(r.cfg, o->cwd, CX_CLI_MCP_IF_SERVERS, &r.mcp) != 0) {
        cx__rserver_free(r.bridge);
        cx_config_free(r.cfg);
        return 1;
    }
    sig_ctx sc;
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGINT);
    sigaddset(&sc.set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL);

    r.view = cx_render_new(stdout, true);
    r.opts = o;
    char *resume_path = cx_cli_resume_path(o, r.cfg, true);
    r.agent = new_agent(&r, resume_path);
    free(resume_path);
    if (r.agent && r.view) r.el = el_init("ccodex", stdin, stdout, stderr);
    if (!r.el) {
        if (r.agent && r.view) /* libedit could not be loaded; why is on stderr already */
            fprintf(stderr, "error: the interactive client needs libedit\n");
        else if (r.agent)
            fprintf(stderr, "error: out of memory\n");
        cx_agent_free(r.agent);
        cx__mcp_free(r.mcp);
        cx_render_free(r.view);
        cx__rserver_free(r.bridge);
        cx_config_free(r.cfg);
        return 1;
    }
    r.rt = cx_runtime_new(r.agent);
    r.hist = history_init();
    if (r.hist) {
        HistEvent hev;
        history(r.hist, &hev, H_SETSIZE, 1000);
        el_set(r.el, EL_HIST, history, r.hist);
    }
    el_set(r.el, EL_CLIENTDATA, &r);
    el_set(r.el, EL_EDITOR, "emacs");
    el_set(r.el, EL_PROMPT, prompt_fn);
    el_set(r.el, EL_ADDFN, "ccodex-interrupt", "interrupt the turn or drop the line", on_ctrl_c);
    el_set(r.el, EL_BIND, "^C", "ccodex-interrupt", NULL);
    el_source(r.el, NULL); /* the user's ~/.editrc */
    history_load(&r);
    sc.r = &r;
    pthread_t sig_tid;
    bool have_sig = pthread_create(&sig_tid, NULL, signal_thread, &sc) == 0;

    cx_render_line(r.view, "ccodex interactive mode. Type /exit to quit.");
    cx_render_line(
        r.view,
        "Extra commands: /history, /title, /model, /queue, /plan, /resume, /compact, /help");
    if (o->resume) {
        char line[160];
        snprintf(line, sizeof line, "session id: %s", cx_agent_session_id(r.agent));
        cx_render_line(r.view, line);
    }
    if (o->resume && !o->resume_id && !o->resume_last)
        resume_command(&r, ""); /* `ccodex resume`: the list to pick from with /resume N */
    if (o->resume && o->prompt) {
        bool steered = false;
        history_append(&r, o->prompt);
        cx_runtime_submit(r.rt, o->prompt, &steered);
    }
    for (;;) {
        int count = 0;
        const char *got = el_gets(r.el, &count);
        if (!got || count <= 0) break; /* EOF (Ctrl-D) */
        if (r.discard_line) {
            r.discard_line = false;
            continue;
        }
        char *line = strdup(got);
        if (!line) break;
        char *t = line;
        while (*t == ' ' || *t == '\t')
            t++;
        size_t len = strlen(t);
        while (len && (t[len - 1] == ' ' || t[len - 1] == '\t' || t[len - 1] == '\r' ||
                       t[len - 1] == '\n'))
            t[--len] = '\0';
        bool go_on = true;
        if (*t && take_answer(&r, t)) {
            /* the line answered a question of the running turn */
        } else if (*t) {
            remember(&r, t);
            go_on = handle_line(&r, t);
        }
        free(line);
        if (!go_on) break;
    }
    /* a question nobody will answer must not hold the worker */
    pthread_mutex_lock(&r.ask_mu);
    r.closing = true;
    pthread_mutex_unlock(&r.ask_mu);
    ask_cancel(&r);
    cx_runtime_free(r.rt);
    if (have_sig) {
        pthread_kill(sig_tid, SIGUSR1);
        pthread_join(sig_tid, NULL);
    }
    cx_render_finish(r.view);
    if (r.hist) history_end(r.hist);
    if (r.el) el_end(r.el);
    cx_agent_free(r.agent);
    cx__mcp_free(r.mcp);
    cx_render_free(r.view);
    cx__rserver_free(r.bridge);
    cx_config_free(r.cfg);
    pthread_cond_destroy(&r.ask_cv);
    pthread_mutex_destroy(&r.ask_mu);
    return 0;
}
