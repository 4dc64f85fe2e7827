/* Sub-agent manager, with upstream 0.115.0's observable rules: "pending_init"
 * after spawn or resume, "running" while input is being worked on,
 * {"completed": last message} or {"errored": message} when its turns are done.
 * A closed agent is gone: close_agent and send_input answer "agent with id X
 * not found" and wait_agent reports "not_found" for it until resume_agent
 * brings it back. Ids are UUIDs in any of the forms upstream accepts; one that
 * is not gets upstream's parse error. wait_agent returns the agents that have
 * settled as soon as one has, or {"status":{},"timed_out":true}. Input for a
 * busy agent joins its running turn. Each call (but resume_agent) is reported
 * to the parent's subscriber as a collab_tool_call item. */
#include "core/subagents.h"

#include "core/subagent_specs.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/uuid.h"
#include "tools/args.h"
#include "ccodex/items.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Upstream's default agent nicknames (scientists and philosophers). */
static const char *const NICKNAMES[] = {
    "Euclid",      "Archimedes",    "Ptolemy",    "Hypatia",   "Avicenna",  "Averroes",
    "Aquinas",     "Copernicus",    "Kepler",     "Galileo",   "Bacon",     "Descartes",
    "Pascal",      "Fermat",        "Huygens",    "Leibniz",   "Newton",    "Halley",
    "Euler",       "Lagrange",      "Laplace",    "Volta",     "Gauss",     "Ampere",
    "Faraday",     "Darwin",        "Lovelace",   "Boole",     "Pasteur",   "Maxwell",
    "Mendel",      "Curie",         "Planck",     "Tesla",     "Poincare",  "Noether",
    "Hilbert",     "Einstein",      "Raman",      "Bohr",      "Turing",    "Hubble",
    "Feynman",     "Franklin",      "McClintock", "Meitner",   "Herschel",  "Linnaeus",
    "Wegener",     "Chandrasekhar", "Sagan",      "Goodall",   "Carson",    "Carver",
    "Socrates",    "Plato",         "Aristotle",  "Epicurus",  "Cicero",    "Confucius",
    "Mencius",     "Zeno",          "Locke",      "Hume",      "Kant",      "Hegel",
    "Kierkegaard", "Mill",          "Nietzsche",  "Peirce",    "James",     "Dewey",
    "Russell",     "Popper",        "Sartre",     "Beauvoir",  "Arendt",    "Rawls",
    "Singer",      "Anscombe",      "Parfit",     "Kuhn",      "Boyle",     "Hooke",
    "Harvey",      "Dalton",        "Ohm",        "Helmholtz", "Gibbs",     "Lorentz",
    "Schrodinger", "Heisenberg",    "Pauli",      "Dirac",     "Bernoulli", "Godel",
    "Nash",        "Banach",        "Ramanujan",  "Erdos",
};
#define N_NICKNAMES (sizeof NICKNAMES / sizeof NICKNAMES[0])

typedef enum sub_state { ST_PENDING, ST_RUNNING, ST_COMPLETED, ST_ERRORED, ST_SHUTDOWN } sub_state;

typedef struct sub {
    struct cx_subagents *mgr;
    char id[CX_UUID_STRLEN + 1];
    const char *nickname;
    struct cx_agent *agent;
    struct cx_runtime *rt;
    sub_state st;
    char *message; /* completed message or error text */
} sub;

struct cx_subagents {
    const cx_config *cfg;
    char *cwd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sub **subs;
    size_t n;
    unsigned char order[N_NICKNAMES]; /* shuffled nickname order */
    size_t next_nick;
};

cx_subagents *cx__subagents_new(const cx_config *cfg, const char *cwd)
{
    cx_subagents *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cfg = cfg;
    m->cwd = cwd ? strdup(cwd) : NULL;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    for (size_t i = 0; i < N_NICKNAMES; i++)
        m->order[i] = (unsigned char)i;
    unsigned char rnd[N_NICKNAMES];
    cx__random_bytes(rnd, sizeof rnd);
    for (size_t i = N_NICKNAMES - 1; i > 0; i--) {
        size_t j = rnd[i] % (i + 1);
        unsigned char t = m->order[i];
        m->order[i] = m->order[j];
        m->order[j] = t;
    }
    return m;
}

#define HOST (&cx__subagent_agents)

static void sub_shutdown(sub *s)
{
    if (s->rt) HOST->stop(s->rt);
    s->rt = NULL;
}

void cx__subagents_free(cx_subagents *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        sub_shutdown(m->subs[i]);
        HOST->free_agent(m->subs[i]->agent);
        free(m->subs[i]->message);
        free(m->subs[i]);
    }
    free(m->subs);
    free(m->cwd);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

size_t cx__subagents_count(cx_subagents *m)
{
    pthread_mutex_lock(&m->mu);
    size_t n = m->n;
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* Sub-agent events only feed its status. */
static void on_sub_event(void *user, const cx_event *ev)
{
    sub *s = user;
    cx_subagents *m = s->mgr;
    if (ev->kind != CX_EV_TURN_COMPLETED && ev->kind != CX_EV_TURN_FAILED &&
        ev->kind != CX_EV_TURN_ABORTED && ev->kind != CX_EV_TURN_STARTED)
        return;
    pthread_mutex_lock(&m->mu);
    if (ev->kind == CX_EV_TURN_STARTED) {
        if (s->st != ST_SHUTDOWN) s->st = ST_RUNNING;
    } else {
        free(s->message);
        s->message = NULL;
        if (ev->kind == CX_EV_TURN_COMPLETED) {
            const char *last = cx__json_get_str(ev->data, "last_message");
            s->message = last ? strdup(last) : NULL;
            if (s->st != ST_SHUTDOWN) s->st = ST_COMPLETED;
        } else {
            const char *msg = cx__json_get_str(ev->data, "message");
            s->message = strdup(msg ? msg : "interrupted");
            if (s->st != ST_SHUTDOWN) s->st = ST_ERRORED;
        }
    }
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static sub *find(cx_subagents *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->subs[i]->id, id)) return m->subs[i];
    return NULL;
}

/* The status value for an agent (new reference), under the lock. */
static json_object *status_json(const sub *s)
{
    if (!s) return json_object_new_string("not_found");
    switch (s->st) {
    case ST_PENDING:
        return json_object_new_string("pending_init");
    case ST_RUNNING:
        return json_object_new_string("running");
    case ST_SHUTDOWN:
        return json_object_new_string("shutdown");
    case ST_COMPLETED: {
        json_object *o = json_object_new_object();
        cx__json_set(o, "completed", s->message ? json_object_new_string(s->message) : NULL);
        return o;
    }
    case ST_ERRORED: {
        json_object *o = json_object_new_object();
        cx__json_set_str(o, "errored", s->message ? s->message : "");
        return o;
    }
    }
    return json_object_new_string("unknown");
}

static bool is_final(const sub *s)
{
    return !s || s->st == ST_COMPLETED || s->st == ST_ERRORED || s->st == ST_SHUTDOWN;
}

/* Joins `message` and the text items of `items` the way pycodex composes a prompt. */
static char *compose_prompt(const char *message, json_object *items)
{
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    if (message && *message) cx__buf_puts(&b, message);
    size_t n =
        items && json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        const char *type = cx__json_get_str(it, "type");
        const char *piece = NULL;
        char *owned = NULL;
        if (type && !strcmp(type, "text")) {
            piece = cx__json_get_str(it, "text");
        } else if (type && !strcmp(type, "image") && cx__json_get_str(it, "image_url")) {
            if (asprintf(&owned, "[image] %s", cx__json_get_str(it, "image_url")) < 0) owned = NULL;
            piece = owned;
        } else {
            owned = cx__json_to_string(it);
            piece = owned;
        }
        if (piece && *piece) {
            if (b.len) cx__buf_puts(&b, "\n\n");
            cx__buf_puts(&b, piece);
        }
        free(owned);
    }
    return cx__buf_steal(&b);
}

/* ---- arguments: upstream's derived structs, decoded by tools/args ---- */

static const char *const EFFORTS[] = {"none", "minimal", "low", "medium", "high", "xhigh", NULL};

/* UserInput items are a tagged enum upstream; here a list of any values, shaped later */
#define ITEMS_FIELD(what)                                                                          \
    {                                                                                              \
        .name = "items", .type = CX__FT_SEQ, .option = true, .elem = (what)                        \
    }

/* Decodes call's arguments into args by the tool's field table; nonzero when
 * the call was answered (1) or failed (negative). */
static int parse_args(const cx_tool_call *call, const char *tool, json_object **args,
                      cx_tool_output *out)
{
    cx__ft_field any = {.name = "item", .type = CX__FT_ANY};
    cx__ft_field str = {.name = "id", .type = CX__FT_STRING};
    cx__ft_field spawn[] = {
        {.name = "message", .type = CX__FT_STRING, .option = true},
        ITEMS_FIELD(&any),
        {.name = "agent_type", .type = CX__FT_STRING, .option = true},
        {.name = "model", .type = CX__FT_STRING, .option = true},
        {.name = "reasoning_effort", .type = CX__FT_ENUM, .option = true, .variants = EFFORTS},
        {.name = "fork_context", .type = CX__FT_BOOL},
    };
    cx__ft_field send[] = {
        {.name = "id", .type = CX__FT_STRING, .required = true},
        {.name = "message", .type = CX__FT_STRING, .option = true},
        ITEMS_FIELD(&any),
        {.name = "interrupt", .type = CX__FT_BOOL},
    };
    cx__ft_field by_id[] = {{.name = "id", .type = CX__FT_STRING, .required = true}};
    cx__ft_field wait[] = {
        {.name = "ids", .type = CX__FT_SEQ, .required = true, .elem = &str},
        {.name = "timeout_ms", .type = CX__FT_I64, .option = true},
    };
    cx__ft_struct st = {"ResumeAgentArgs", by_id, 1};
    if (!strcmp(tool, "spawn_agent"))
        st = (cx__ft_struct){"SpawnAgentArgs", spawn, sizeof spawn / sizeof spawn[0]};
    else if (!strcmp(tool, "send_input"))
        st = (cx__ft_struct){"SendInputArgs", send, sizeof send / sizeof send[0]};
    else if (!strcmp(tool, "wait_agent"))
        st = (cx__ft_struct){"WaitArgs", wait, sizeof wait / sizeof wait[0]};
    else if (!strcmp(tool, "close_agent"))
        st = (cx__ft_struct){"CloseAgentArgs", by_id, 1};
    int rc = cx__ft_args(call, &st, args, out);
    cx__ft_clear(&st);
    return rc;
}

static int reply(cx_tool_output *out, json_object *o)
{
    char *s = cx__json_to_string(o);
    json_object_put(o);
    if (!s) return CX_ENOMEM;
    free(out->text);
    out->text = s;
    out->success = true;
    return 0;
}

/* ---- the collab_tool_call items exec --json shows (upstream's shapes) ---- */

/* One agent's entry in agents_states, under the lock (new reference). */
static json_object *agent_state(const sub *s)
{
    const char *status = "not_found";
    const char *message = NULL;
    if (s) {
        switch (s->st) {
        case ST_PENDING:
            status = "pending_init";
            break;
        case ST_RUNNING:
            status = "running";
            break;
        case ST_COMPLETED:
            status = "completed";
            message = s->message;
            break;
        case ST_ERRORED:
            status = "errored";
            message = s->message;
            break;
        case ST_SHUTDOWN:
            status = "not_found"; /* a closed agent is gone, as upstream reports it */
            break;
        }
    }
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "status", status);
    cx__json_set(o, "message", message ? json_object_new_string(message) : NULL);
    return o;
}

/* Reports a collab call to the parent's subscriber. receivers and states are
 * taken (may be NULL: empty); prompt may be NULL (JSON null). */
static void emit_collab(const cx_tool_env *env, cx_event_kind kind, const cx_tool_call *call,
                        const char *tool, json_object *receivers, const char *prompt,
                        json_object *states, const char *status)
{
    if (!env->emit) {
        json_object_put(receivers);
        json_object_put(states);
        return;
    }
    json_object *d = json_object_new_object();
    cx__json_set_str(d, "type", "collab_tool_call");
    cx__json_set_str(d, "call_id", call->call_id ? call->call_id : "");
    cx__json_set_str(d, "tool", tool);
    cx__json_set_str(d, "sender_thread_id", env->thread_id ? env->thread_id : "");
    cx__json_set(d, "receiver_thread_ids", receivers ? receivers : json_object_new_array());
    cx__json_set(d, "prompt", prompt ? json_object_new_string(prompt) : NULL);
    cx__json_set(d, "agents_states", states ? states : json_object_new_object());
    cx__json_set_str(d, "status", status);
    cx_event ev = {kind, d};
    env->emit(env->emit_user, &ev);
    json_object_put(d);
}

static json_object *one_id(const char *id)
{
    json_object *a = json_object_new_array();
    json_object_array_add(a, json_object_new_string(id));
    return a;
}

/* agents_states with one entry for id, taken from s under the lock. */
static json_object *one_state(cx_subagents *m, const char *id, const sub *s)
{
    json_object *o = json_object_new_object();
    pthread_mutex_lock(&m->mu);
    cx__json_set(o, id, agent_state(s));
    pthread_mutex_unlock(&m->mu);
    return o;
}

/* ---- argument rules shared by the handlers ---- */

/* The agent id argument in canonical form, or NULL after writing upstream's
 * error for it into out. */
static bool agent_id(json_object *args, const char *key, char canon[CX_UUID_STRLEN + 1],
                     cx_tool_output *out)
{
    const char *id = cx__json_get_str(args, key); /* required: decoded */
    char why[160];
    if (cx__uuid_parse(id, canon, why, sizeof why) != 0) {
        cx_tool_output_setf(out, false, "invalid agent id %s: %s", id, why);
        return false;
    }
    return true;
}

/* Checks message / items the way upstream does and gives the preview text its
 * collab items show (text as is, images as placeholders, one per line). NULL
 * after writing the error into out. */
static char *collab_input(json_object *args, cx_tool_output *out)
{
    json_object *msg = cx__json_get(args, "message");
    json_object *items = cx__json_get(args, "items");
    if (msg && items) {
        cx_tool_output_setf(out, false, "Provide either message or items, but not both");
        return NULL;
    }
    if (!msg && !items) {
        cx_tool_output_setf(out, false, "Provide one of: message or items");
        return NULL;
    }
    if (msg) {
        const char *text = json_object_get_string(msg);
        const char *p = text;
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p) {
            cx_tool_output_setf(out, false, "Empty message can't be sent to an agent");
            return NULL;
        }
        return strdup(text);
    }
    if (!json_object_is_type(items, json_type_array)) {
        cx_tool_output_setf(
            out, false, "failed to parse function arguments: invalid type: expected a sequence");
        return NULL;
    }
    size_t n = json_object_array_length(items);
    if (!n) {
        cx_tool_output_setf(out, false, "Items can't be empty");
        return NULL;
    }
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        const char *type = cx__json_get_str(it, "type");
        if (i) cx__buf_putc(&b, '\n');
        if (type && !strcmp(type, "text"))
            cx__buf_puts(&b, cx__json_get_str(it, "text") ?: "");
        else if (type && !strcmp(type, "image"))
            cx__buf_puts(&b, "[image]");
        else if (type && !strcmp(type, "local_image"))
            cx__buf_printf(&b, "[local_image:%s]", cx__json_get_str(it, "path") ?: "");
        else
            cx__buf_puts(&b, "[input]");
    }
    return cx__buf_steal(&b);
}

/* Starts a turn with text, or joins the running one (upstream delivers input
 * for a busy agent inside its current turn). */
static int submit(cx_subagents *m, sub *s, const char *text, bool interrupt)
{
    pthread_mutex_lock(&m->mu);
    s->st = ST_RUNNING;
    free(s->message);
    s->message = NULL;
    pthread_mutex_unlock(&m->mu);
    if (interrupt) HOST->interrupt(s->rt);
    return HOST->submit(s->rt, text);
}

/* A live (not closed) agent by canonical id, or NULL. Under the lock. */
static sub *find_live(cx_subagents *m, const char *id)
{
    sub *s = find(m, id);
    return s && s->st != ST_SHUTDOWN ? s : NULL;
}

/* An agent whose turns are all done (or that is gone). Under the lock. */
static bool settled(const sub *s)
{
    return !s || s->st == ST_SHUTDOWN || (is_final(s) && !(s->rt && HOST->busy(s->rt)));
}

static int spawn_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                         cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    int prc = parse_args(call, "spawn_agent", &args, out);
    if (prc) return prc < 0 ? prc : 0;
    char *preview = collab_input(args, out);
    if (!preview) {
        json_object_put(args);
        return 0;
    }
    const char *message = cx__json_get_str(args, "message");
    json_object *items = cx__json_get(args, "items");
    bool fork = false;
    cx__json_get_bool(args, "fork_context", &fork);
    const char *model = cx__json_get_str(args, "model");
    const char *effort = cx__json_get_str(args, "reasoning_effort");
    emit_collab(env, CX_EV_ITEM_STARTED, call, "spawn_agent", NULL, preview, NULL, "in_progress");
    sub *s = calloc(1, sizeof *s);
    if (!s) {
        free(preview);
        json_object_put(args);
        return CX_ENOMEM;
    }
    s->mgr = m;
    cx__uuid7(s->id);
    cx__subagent_spawn sp = {
        .config = m->cfg,
        .cwd = env->cwd ? env->cwd : m->cwd,
        .session_id = s->id,
        .model = model && *model ? model : NULL,
        .reasoning_effort = effort && *effort ? effort : NULL,
        .history = fork ? env->history : NULL,
        .on_event = on_sub_event,
        .event_user = s,
    };
    cx_error err;
    s->agent = HOST->spawn(&sp, &err);
    s->rt = s->agent ? HOST->start(s->agent) : NULL;
    sub **p = NULL;
    if (s->rt) {
        pthread_mutex_lock(&m->mu);
        p = realloc(m->subs, (m->n + 1) * sizeof(sub *));
        if (p) {
            m->subs = p;
            s->nickname = NICKNAMES[m->order[m->next_nick++ % N_NICKNAMES]];
            m->subs[m->n++] = s;
        }
        pthread_mutex_unlock(&m->mu);
    }
    if (!p) {
        emit_collab(env, CX_EV_ITEM_COMPLETED, call, "spawn_agent", NULL, preview, NULL, "failed");
        cx_tool_output_setf(out, false, "collab spawn failed: %s",
                            s->rt ? "out of memory" : err.msg);
        if (s->rt) HOST->stop(s->rt);
        if (s->agent) HOST->free_agent(s->agent);
        free(s);
        free(preview);
        json_object_put(args);
        return 0;
    }
    /* the state is reported as the spawn left it, before its first turn starts */
    emit_collab(env, CX_EV_ITEM_COMPLETED, call, "spawn_agent", one_id(s->id), preview,
                one_state(m, s->id, s), "completed");
    char *prompt = compose_prompt(message, items);
    if (prompt && *prompt) submit(m, s, prompt, false);
    free(prompt);
    free(preview);
    json_object_put(args);
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "agent_id", s->id);
    cx__json_set_str(o, "nickname", s->nickname);
    return reply(out, o);
}

static int send_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    int prc = parse_args(call, "send_input", &args, out);
    if (prc) return prc < 0 ? prc : 0;
    char id[CX_UUID_STRLEN + 1];
    char *preview = NULL;
    if (!agent_id(args, "id", id, out) || !(preview = collab_input(args, out))) goto done;
    bool interrupt = false;
    cx__json_get_bool(args, "interrupt", &interrupt);
    emit_collab(env, CX_EV_ITEM_STARTED, call, "send_input", one_id(id), preview, NULL,
                "in_progress");
    pthread_mutex_lock(&m->mu);
    sub *s = find_live(m, id);
    pthread_mutex_unlock(&m->mu);
    if (!s) {
        emit_collab(env, CX_EV_ITEM_COMPLETED, call, "send_input", one_id(id), preview,
                    one_state(m, id, NULL), "failed");
        cx_tool_output_setf(out, false, "agent with id %s not found", id);
        goto done;
    }
    char *prompt = compose_prompt(cx__json_get_str(args, "message"), cx__json_get(args, "items"));
    submit(m, s, prompt ? prompt : "", interrupt);
    free(prompt);
    emit_collab(env, CX_EV_ITEM_COMPLETED, call, "send_input", one_id(id), preview,
                one_state(m, id, s), "completed");
    char sid[CX_UUID_STRLEN + 1];
    cx__uuid7(sid);
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "submission_id", sid);
    reply(out, o);
done:
    free(preview);
    json_object_put(args);
    return 0;
}

/* resume_agent brings a closed agent back (its history kept); upstream shows
 * no item for it in exec --json. */
static int resume_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                          cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    int prc = parse_args(call, "resume_agent", &args, out);
    if (prc) return prc < 0 ? prc : 0;
    char id[CX_UUID_STRLEN + 1];
    if (agent_id(args, "id", id, out)) {
        pthread_mutex_lock(&m->mu);
        sub *s = find(m, id);
        bool restart = s && s->st == ST_SHUTDOWN;
        pthread_mutex_unlock(&m->mu);
        if (!s) {
            cx_tool_output_setf(out, false, "agent with id %s not found", id);
        } else {
            if (restart) {
                struct cx_runtime *rt = HOST->start(s->agent);
                pthread_mutex_lock(&m->mu);
                s->rt = rt;
                s->st = rt ? ST_PENDING : ST_SHUTDOWN;
                free(s->message);
                s->message = NULL;
                pthread_mutex_unlock(&m->mu);
            }
            json_object *o = json_object_new_object();
            pthread_mutex_lock(&m->mu);
            cx__json_set(o, "status", status_json(s->st == ST_SHUTDOWN ? NULL : s));
            pthread_cond_broadcast(&m->cv);
            pthread_mutex_unlock(&m->mu);
            reply(out, o);
        }
    }
    json_object_put(args);
    return 0;
}

static int close_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                         cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    int prc = parse_args(call, "close_agent", &args, out);
    if (prc) return prc < 0 ? prc : 0;
    char id[CX_UUID_STRLEN + 1];
    if (agent_id(args, "id", id, out)) {
        emit_collab(env, CX_EV_ITEM_STARTED, call, "close_agent", one_id(id), NULL, NULL,
                    "in_progress");
        pthread_mutex_lock(&m->mu);
        sub *s = find_live(m, id);
        json_object *prev = s ? status_json(s) : NULL;
        json_object *states = json_object_new_object();
        cx__json_set(states, id, agent_state(s));
        pthread_mutex_unlock(&m->mu);
        if (!s) {
            emit_collab(env, CX_EV_ITEM_COMPLETED, call, "close_agent", one_id(id), NULL, states,
                        "failed");
            cx_tool_output_setf(out, false, "agent with id %s not found", id);
        } else {
            sub_shutdown(s); /* interrupts a running turn and joins the worker */
            pthread_mutex_lock(&m->mu);
            s->st = ST_SHUTDOWN;
            pthread_cond_broadcast(&m->cv);
            pthread_mutex_unlock(&m->mu);
            emit_collab(env, CX_EV_ITEM_COMPLETED, call, "close_agent", one_id(id), NULL, states,
                        "completed");
            json_object *o = json_object_new_object();
            cx__json_set(o, "status", prev);
            reply(out, o);
        }
    }
    json_object_put(args);
    return 0;
}

static void deadline_after(struct timespec *t, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, t);
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static bool reached(const struct timespec *now, const struct timespec *deadline)
{
    return now->tv_sec > deadline->tv_sec ||
           (now->tv_sec == deadline->tv_sec && now->tv_nsec >= deadline->tv_nsec);
}

/* wait_agent returns the agents that have settled as soon as one has, or
 * timed_out with none. */
static int wait_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    int prc = parse_args(call, "wait_agent", &args, out);
    if (prc) return prc < 0 ? prc : 0;
    json_object *ids = cx__json_get(args, "ids"); /* required array: decoded */
    size_t n = json_object_array_length(ids);
    if (!n) {
        json_object_put(args);
        return cx_tool_output_setf(out, false, "ids must be non-empty");
    }
    char(*canon)[CX_UUID_STRLEN + 1] = calloc(n, sizeof *canon);
    if (!canon) {
        json_object_put(args);
        return CX_ENOMEM;
    }
    json_object *receivers = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
        char why[160];
        if (cx__uuid_parse(id ? id : "", canon[i], why, sizeof why) != 0) {
            cx_tool_output_setf(out, false, "invalid agent id %s: %s", id ? id : "", why);
            json_object_put(receivers);
            free(canon);
            json_object_put(args);
            return 0;
        }
        json_object_array_add(receivers, json_object_new_string(canon[i]));
    }
    int64_t timeout_ms = 30000;
    cx__json_get_int(args, "timeout_ms", &timeout_ms);
    json_object_put(args);
    if (timeout_ms <= 0) {
        json_object_put(receivers);
        free(canon);
        return cx_tool_output_setf(out, false, "timeout_ms must be greater than zero");
    }
    /* Upstream's bounds: at least 10 s, at most an hour. */
    if (timeout_ms < 10000) timeout_ms = 10000;
    if (timeout_ms > 3600000) timeout_ms = 3600000;
    emit_collab(env, CX_EV_ITEM_STARTED, call, "wait", json_object_get(receivers), NULL, NULL,
                "in_progress");
    struct timespec deadline;
    deadline_after(&deadline, timeout_ms);
    json_object *status = json_object_new_object();
    json_object *states = json_object_new_object();
    bool failed = false;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            sub *s = find_live(m, canon[i]);
            if (!settled(s) || cx__json_get(status, canon[i])) continue;
            cx__json_set(status, canon[i], status_json(s));
            cx__json_set(states, canon[i], agent_state(s));
            if (!s || s->st == ST_ERRORED) failed = true;
        }
        if (json_object_object_length(status) > 0) break;
        struct timespec step;
        deadline_after(&step, 100); /* wake at least every 100 ms for cancel */
        if (cx_tool_cancelled(env) || reached(&step, &deadline)) break;
        pthread_cond_timedwait(&m->cv, &m->mu, &step);
    }
    pthread_mutex_unlock(&m->mu);
    free(canon);
    bool timed_out = json_object_object_length(status) == 0;
    emit_collab(env, CX_EV_ITEM_COMPLETED, call, "wait", receivers, NULL, states,
                failed ? "failed" : "completed");
    json_object *result = json_object_new_object();
    cx__json_set(result, "status", status);
    cx__json_set(result, "timed_out", json_object_new_boolean(timed_out));
    return reply(out, result);
}

int cx__subagents_register(cx_subagents *m, cx_tool_registry *reg)
{
    static const struct {
        const char *name;
        cx_tool_handler handler;
    } tools[] = {
        {"spawn_agent", spawn_handler},   {"send_input", send_handler},
        {"resume_agent", resume_handler}, {"wait_agent", wait_handler},
        {"close_agent", close_handler},
    };
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        json_object *spec = cx__subagent_spec(tools[i].name);
        if (!spec) return CX_ENOMEM;
        cx_tool_def d = {tools[i].name, CX_TOOL_FUNCTION, false, spec, tools[i].handler, m, NULL};
        int rc = cx_tools_add(reg, &d);
        if (rc) return rc;
    }
    return 0;
}
