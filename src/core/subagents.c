/* Sub-agent manager. Status per agent follows pycodex: "pending_init" after
 * spawn or resume, "running" while input is being worked on, {"completed":
 * last message} or {"errored": message} when its turns are done, "shutdown"
 * after close, "not_found" for unknown ids. wait_agent returns as soon as one
 * of the named agents is in a final state (completed, errored, shutdown,
 * not_found), or {"status":{},"timed_out":true}. */
#include "core/subagents.h"

#include "core/subagent_specs.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/uuid.h"
#include "ccodex/agent.h"
#include "ccodex/runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Upstream's default agent nicknames (scientists and philosophers). */
static const char *const NICKNAMES[] = {
    "Bacon",    "Descartes",   "Pascal",      "Fermat",        "Huygens",    "Leibniz",
    "Newton",   "Halley",      "Euler",       "Lagrange",      "Laplace",    "Volta",
    "Gauss",    "Ampere",      "Faraday",     "Darwin",        "Lovelace",   "Boole",
    "Pasteur",  "Maxwell",     "Mendel",      "Curie",         "Planck",     "Tesla",
    "Poincare", "Noether",     "Hilbert",     "Einstein",      "Raman",      "Bohr",
    "Turing",   "Hubble",      "Feynman",     "Franklin",      "McClintock", "Meitner",
    "Herschel", "Linnaeus",    "Wegener",     "Chandrasekhar", "Sagan",      "Goodall",
    "Carson",   "Carver",      "Socrates",    "Plato",         "Aristotle",  "Epicurus",
    "Cicero",   "Confucius",   "Mencius",     "Zeno",          "Locke",      "Hume",
    "Kant",     "Hegel",       "Kierkegaard", "Mill",          "Nietzsche",  "Peirce",
    "James",    "Dewey",       "Russell",     "Popper",        "Sartre",     "Beauvoir",
    "Arendt",   "Rawls",       "Singer",      "Anscombe",      "Parfit",     "Kuhn",
    "Boyle",    "Hooke",       "Harvey",      "Dalton",        "Helmholtz",  "Gibbs",
    "Lorentz",  "Schrodinger", "Heisenberg",  "Pauli",         "Dirac",      "Bernoulli",
    "Godel",    "Nash",        "Banach",      "Ramanujan",     "Erdos",
};
#define N_NICKNAMES (sizeof NICKNAMES / sizeof NICKNAMES[0])

typedef enum sub_state { ST_PENDING, ST_RUNNING, ST_COMPLETED, ST_ERRORED, ST_SHUTDOWN } sub_state;

typedef struct sub {
    struct cx_subagents *mgr;
    char id[CX_UUID_STRLEN + 1];
    const char *nickname;
    cx_agent *agent;
    cx_runtime *rt;
    sub_state st;
    char *message; /* completed message or error text */
    int pending;   /* submitted inputs not yet finished */
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

cx_subagents *cx_subagents_new(const cx_config *cfg, const char *cwd)
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
    cx_random_bytes(rnd, sizeof rnd);
    for (size_t i = N_NICKNAMES - 1; i > 0; i--) {
        size_t j = rnd[i] % (i + 1);
        unsigned char t = m->order[i];
        m->order[i] = m->order[j];
        m->order[j] = t;
    }
    return m;
}

static void sub_shutdown(sub *s)
{
    cx_runtime_free(s->rt);
    s->rt = NULL;
}

void cx_subagents_free(cx_subagents *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        sub_shutdown(m->subs[i]);
        cx_agent_free(m->subs[i]->agent);
        free(m->subs[i]->message);
        free(m->subs[i]);
    }
    free(m->subs);
    free(m->cwd);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

size_t cx_subagents_count(cx_subagents *m)
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
        if (s->pending > 0) s->pending--;
        free(s->message);
        s->message = NULL;
        if (ev->kind == CX_EV_TURN_COMPLETED) {
            const char *last = cx_json_get_str(ev->data, "last_message");
            s->message = last ? strdup(last) : NULL;
            if (s->st != ST_SHUTDOWN) s->st = ST_COMPLETED;
        } else {
            const char *msg = cx_json_get_str(ev->data, "message");
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
        cx_json_set(o, "completed", s->message ? json_object_new_string(s->message) : NULL);
        return o;
    }
    case ST_ERRORED: {
        json_object *o = json_object_new_object();
        cx_json_set_str(o, "errored", s->message ? s->message : "");
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
    cx_buf_puts(&b, "");
    if (message && *message) cx_buf_puts(&b, message);
    size_t n =
        items && json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        const char *type = cx_json_get_str(it, "type");
        const char *piece = NULL;
        char *owned = NULL;
        if (type && !strcmp(type, "text")) {
            piece = cx_json_get_str(it, "text");
        } else if (type && !strcmp(type, "image") && cx_json_get_str(it, "image_url")) {
            if (asprintf(&owned, "[image] %s", cx_json_get_str(it, "image_url")) < 0) owned = NULL;
            piece = owned;
        } else {
            owned = cx_json_to_string(it);
            piece = owned;
        }
        if (piece && *piece) {
            if (b.len) cx_buf_puts(&b, "\n\n");
            cx_buf_puts(&b, piece);
        }
        free(owned);
    }
    return cx_buf_steal(&b);
}

static int parse_args(const cx_tool_call *call, json_object **args, cx_tool_output *out)
{
    if (cx_json_parse(call->input, strlen(call->input), args, NULL) != 0 ||
        !json_object_is_type(*args, json_type_object)) {
        json_object_put(*args);
        *args = NULL;
        cx_tool_output_setf(out, false,
                            "failed to parse function arguments: expected a JSON object");
        return -1;
    }
    return 0;
}

static int reply(cx_tool_output *out, json_object *o)
{
    char *s = cx_json_to_string(o);
    json_object_put(o);
    if (!s) return CX_ENOMEM;
    free(out->text);
    out->text = s;
    out->success = true;
    return 0;
}

/* Queues input for a sub-agent; the caller holds no lock. */
static int submit(cx_subagents *m, sub *s, const char *text, bool interrupt)
{
    pthread_mutex_lock(&m->mu);
    s->pending++;
    s->st = ST_RUNNING;
    free(s->message);
    s->message = NULL;
    pthread_mutex_unlock(&m->mu);
    if (interrupt) cx_runtime_interrupt(s->rt);
    return interrupt ? cx_runtime_submit(s->rt, text, NULL) : cx_runtime_enqueue(s->rt, text);
}

static int spawn_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                         cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    if (parse_args(call, &args, out)) return 0;
    const char *message = cx_json_get_str(args, "message");
    json_object *items = cx_json_get(args, "items");
    if (items && !json_object_is_type(items, json_type_array)) {
        json_object_put(args);
        return cx_tool_output_setf(out, false, "Error: `items` must be a list when provided.");
    }
    bool has_items = items && json_object_array_length(items) > 0;
    if ((!message || !*message) && !has_items) {
        json_object_put(args);
        return cx_tool_output_setf(out, false, "Provide one of: message or items");
    }
    bool fork = false;
    cx_json_get_bool(args, "fork_context", &fork);
    const char *model = cx_json_get_str(args, "model");
    const char *effort = cx_json_get_str(args, "reasoning_effort");
    sub *s = calloc(1, sizeof *s);
    if (!s) {
        json_object_put(args);
        return CX_ENOMEM;
    }
    s->mgr = m;
    cx_uuid7(s->id);
    cx_agent_options ao = {
        .config = m->cfg,
        .cwd = env->cwd ? env->cwd : m->cwd,
        .mode = CX_MODE_SUBAGENT,
        .on_event = on_sub_event,
        .event_user = s,
        .session_id = s->id,
        .subagent_header = "collab_spawn",
        .model = model && *model ? model : NULL,
        .reasoning_effort = effort && *effort ? effort : NULL,
        .initial_history = fork ? env->history : NULL,
    };
    cx_error err;
    s->agent = cx_agent_new(&ao, &err);
    s->rt = s->agent ? cx_runtime_new(s->agent) : NULL;
    if (!s->rt) {
        cx_agent_free(s->agent);
        free(s);
        json_object_put(args);
        return cx_tool_output_setf(out, false, "failed to spawn agent: %s", err.msg);
    }
    pthread_mutex_lock(&m->mu);
    sub **p = realloc(m->subs, (m->n + 1) * sizeof *p);
    if (p) {
        m->subs = p;
        s->nickname = NICKNAMES[m->order[m->next_nick++ % N_NICKNAMES]];
        m->subs[m->n++] = s;
    }
    pthread_mutex_unlock(&m->mu);
    if (!p) {
        cx_runtime_free(s->rt);
        cx_agent_free(s->agent);
        free(s);
        json_object_put(args);
        return CX_ENOMEM;
    }
    char *prompt = compose_prompt(message, items);
    if (prompt && *prompt) submit(m, s, prompt, false);
    free(prompt);
    json_object_put(args);
    json_object *o = json_object_new_object();
    cx_json_set_str(o, "agent_id", s->id);
    cx_json_set_str(o, "nickname", s->nickname);
    return reply(out, o);
}

static const char *required_id(json_object *args, cx_tool_output *out)
{
    const char *id = cx_json_get_str(args, "id");
    if (!id || !*id) {
        cx_tool_output_setf(out, false, "Error: `id` is required.");
        return NULL;
    }
    return id;
}

static int send_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    if (parse_args(call, &args, out)) return 0;
    const char *id = required_id(args, out);
    if (!id) goto done;
    json_object *items = cx_json_get(args, "items");
    if (items && !json_object_is_type(items, json_type_array)) {
        cx_tool_output_setf(out, false, "Error: `items` must be a list when provided.");
        goto done;
    }
    char *prompt = compose_prompt(cx_json_get_str(args, "message"), items);
    if (!prompt || !*prompt) {
        free(prompt);
        cx_tool_output_setf(out, false, "Error: `message` or `items` is required.");
        goto done;
    }
    pthread_mutex_lock(&m->mu);
    sub *s = find(m, id);
    sub_state st = s ? s->st : ST_SHUTDOWN;
    pthread_mutex_unlock(&m->mu);
    if (!s) {
        cx_tool_output_setf(out, false, "unknown agent: %s", id);
    } else if (st == ST_SHUTDOWN) {
        cx_tool_output_setf(out, false, "agent is shutdown: %s", id);
    } else {
        bool interrupt = false;
        cx_json_get_bool(args, "interrupt", &interrupt);
        submit(m, s, prompt, interrupt);
        char sid[CX_UUID_STRLEN + 1];
        cx_uuid7(sid);
        json_object *o = json_object_new_object();
        cx_json_set_str(o, "submission_id", sid);
        reply(out, o);
    }
    free(prompt);
done:
    json_object_put(args);
    return 0;
}

static int resume_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                          cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    if (parse_args(call, &args, out)) return 0;
    const char *id = required_id(args, out);
    if (id) {
        pthread_mutex_lock(&m->mu);
        sub *s = find(m, id);
        bool restart = s && s->st == ST_SHUTDOWN;
        pthread_mutex_unlock(&m->mu);
        if (restart) {
            cx_runtime *rt = cx_runtime_new(s->agent);
            pthread_mutex_lock(&m->mu);
            s->rt = rt;
            s->st = rt ? ST_PENDING : ST_SHUTDOWN;
            free(s->message);
            s->message = NULL;
            pthread_mutex_unlock(&m->mu);
        }
        json_object *o = json_object_new_object();
        pthread_mutex_lock(&m->mu);
        cx_json_set(o, "status", status_json(s));
        pthread_cond_broadcast(&m->cv);
        pthread_mutex_unlock(&m->mu);
        reply(out, o);
    }
    json_object_put(args);
    return 0;
}

static int close_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                         cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    if (parse_args(call, &args, out)) return 0;
    const char *id = required_id(args, out);
    if (id) {
        pthread_mutex_lock(&m->mu);
        sub *s = find(m, id);
        json_object *prev = status_json(s);
        pthread_mutex_unlock(&m->mu);
        if (s && s->rt) {
            sub_shutdown(s); /* interrupts a running turn and joins the worker */
            pthread_mutex_lock(&m->mu);
            s->st = ST_SHUTDOWN;
            s->pending = 0;
            pthread_cond_broadcast(&m->cv);
            pthread_mutex_unlock(&m->mu);
        }
        json_object *o = json_object_new_object();
        cx_json_set(o, "status", prev);
        reply(out, o);
    }
    json_object_put(args);
    return 0;
}

static int wait_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    cx_subagents *m = state;
    json_object *args = NULL;
    if (parse_args(call, &args, out)) return 0;
    json_object *ids = cx_json_get(args, "ids");
    size_t n = ids && json_object_is_type(ids, json_type_array) ? json_object_array_length(ids) : 0;
    if (!n) {
        json_object_put(args);
        return cx_tool_output_setf(out, false, "Error: `ids` must be a non-empty list.");
    }
    int64_t timeout_ms = 30000;
    cx_json_get_int(args, "timeout_ms", &timeout_ms);
    /* Upstream's bounds: at least 10 s, at most an hour. */
    if (timeout_ms < 10000) timeout_ms = 10000;
    if (timeout_ms > 3600000) timeout_ms = 3600000;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    json_object *result = json_object_new_object();
    pthread_mutex_lock(&m->mu);
    for (;;) {
        bool any_final = false;
        for (size_t i = 0; i < n; i++) {
            const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
            sub *s = id ? find(m, id) : NULL;
            /* still has queued input: not final yet */
            if (is_final(s) && !(s && s->pending > 0 && s->st != ST_SHUTDOWN)) any_final = true;
        }
        if (any_final) {
            json_object *status = json_object_new_object();
            for (size_t i = 0; i < n; i++) {
                const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
                if (id) cx_json_set(status, id, status_json(find(m, id)));
            }
            cx_json_set(result, "status", status);
            cx_json_set(result, "timed_out", json_object_new_boolean(false));
            break;
        }
        bool cancelled = env->cancel && atomic_load(env->cancel);
        struct timespec step;
        clock_gettime(CLOCK_REALTIME, &step);
        step.tv_nsec += 100000000L;
        if (step.tv_nsec >= 1000000000L) {
            step.tv_sec++;
            step.tv_nsec -= 1000000000L;
        }
        bool past = step.tv_sec > deadline.tv_sec ||
                    (step.tv_sec == deadline.tv_sec && step.tv_nsec >= deadline.tv_nsec);
        if (cancelled || past) {
            cx_json_set(result, "status", json_object_new_object());
            cx_json_set(result, "timed_out", json_object_new_boolean(true));
            break;
        }
        pthread_cond_timedwait(&m->cv, &m->mu, &step); /* wake at least every 100 ms for cancel */
    }
    pthread_mutex_unlock(&m->mu);
    json_object_put(args);
    return reply(out, result);
}

int cx_subagents_register(cx_subagents *m, cx_tool_registry *reg)
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
