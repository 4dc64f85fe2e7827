/* Submission loop: one worker thread, a mutex and a condition variable. Steer
 * text goes straight into the agent's steer queue while a turn runs (the turn
 * loop inserts it at its next sampling boundary); text that arrives when the
 * worker is idle, or that the turn ended before taking, starts a turn. */
#include "ccodex/runtime.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct queue {
    char **items;
    size_t len;
    size_t cap;
} queue;

struct cx_runtime {
    cx_agent *agent;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    queue enqueued;
    queue starting;   /* steer text submitted while idle: starts the next turn */
    bool running;     /* a turn is in progress */
    bool start_steer; /* steer text waits in the agent with no turn running */
    bool stop;
    int last_rc;
    cx_error last_err;
};

static int queue_push(queue *q, const char *text)
{
    char *copy = strdup(text);
    if (!copy) return CX_ENOMEM;
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        char **p = realloc(q->items, cap * sizeof *p);
        if (!p) {
            free(copy);
            return CX_ENOMEM;
        }
        q->items = p;
        q->cap = cap;
    }
    q->items[q->len++] = copy;
    return 0;
}

static char *queue_pop(queue *q)
{
    if (!q->len) return NULL;
    char *s = q->items[0];
    memmove(q->items, q->items + 1, (q->len - 1) * sizeof *q->items);
    q->len--;
    return s;
}

static void queue_clear(queue *q)
{
    for (size_t i = 0; i < q->len; i++)
        free(q->items[i]);
    free(q->items);
    memset(q, 0, sizeof *q);
}

static void *worker(void *arg)
{
    cx_runtime *rt = arg;
    pthread_mutex_lock(&rt->mu);
    for (;;) {
        while (!rt->stop && !rt->start_steer && rt->starting.len == 0 && rt->enqueued.len == 0)
            pthread_cond_wait(&rt->cv, &rt->mu);
        if (rt->stop) break;
        /* Steer has priority over queued turns, as in pycodex's runtime. The
         * first text submitted while idle opens the turn; more that arrived
         * before it started join its first request. */
        char *text = NULL;
        if (rt->starting.len) {
            text = queue_pop(&rt->starting);
            for (char *more; (more = queue_pop(&rt->starting));) {
                cx_agent_steer(rt->agent, more);
                free(more);
            }
        } else if (rt->start_steer) {
            rt->start_steer = false;
        } else {
            text = queue_pop(&rt->enqueued);
        }
        rt->running = true;
        pthread_mutex_unlock(&rt->mu);

        cx_error err;
        cx_error_clear(&err);
        int rc = cx_agent_run_turn(rt->agent, text, &err);
        free(text);

        pthread_mutex_lock(&rt->mu);
        rt->running = false;
        rt->last_rc = rc;
        rt->last_err = err;
        /* Steer text that arrived after the turn's last request starts the next turn. */
        if (cx_agent_has_pending_steer(rt->agent)) rt->start_steer = true;
        pthread_cond_broadcast(&rt->cv);
    }
    rt->running = false;
    pthread_cond_broadcast(&rt->cv);
    pthread_mutex_unlock(&rt->mu);
    return NULL;
}

cx_runtime *cx_runtime_new(cx_agent *agent)
{
    cx_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) return NULL;
    rt->agent = agent;
    pthread_mutex_init(&rt->mu, NULL);
    pthread_cond_init(&rt->cv, NULL);
    if (pthread_create(&rt->thread, NULL, worker, rt) != 0) {
        pthread_mutex_destroy(&rt->mu);
        pthread_cond_destroy(&rt->cv);
        free(rt);
        return NULL;
    }
    return rt;
}

void cx_runtime_free(cx_runtime *rt)
{
    if (!rt) return;
    pthread_mutex_lock(&rt->mu);
    rt->stop = true;
    queue_clear(&rt->enqueued);
    queue_clear(&rt->starting);
    if (rt->running) cx_agent_interrupt(rt->agent);
    pthread_cond_broadcast(&rt->cv);
    pthread_mutex_unlock(&rt->mu);
    pthread_join(rt->thread, NULL);
    pthread_mutex_destroy(&rt->mu);
    pthread_cond_destroy(&rt->cv);
    free(rt);
}

int cx_runtime_submit(cx_runtime *rt, const char *text, bool *steered)
{
    pthread_mutex_lock(&rt->mu);
    bool into_turn = rt->running;
    int rc = into_turn ? cx_agent_steer(rt->agent, text) : queue_push(&rt->starting, text);
    pthread_cond_broadcast(&rt->cv);
    pthread_mutex_unlock(&rt->mu);
    if (steered) *steered = into_turn;
    return rc;
}

int cx_runtime_enqueue(cx_runtime *rt, const char *text)
{
    pthread_mutex_lock(&rt->mu);
    int rc = queue_push(&rt->enqueued, text);
    pthread_cond_broadcast(&rt->cv);
    pthread_mutex_unlock(&rt->mu);
    return rc;
}

void cx_runtime_interrupt(cx_runtime *rt)
{
    pthread_mutex_lock(&rt->mu);
    if (rt->running) cx_agent_interrupt(rt->agent);
    pthread_mutex_unlock(&rt->mu);
}

bool cx_runtime_busy(cx_runtime *rt)
{
    pthread_mutex_lock(&rt->mu);
    bool busy = rt->running || rt->start_steer || rt->starting.len || rt->enqueued.len > 0;
    pthread_mutex_unlock(&rt->mu);
    return busy;
}

void cx_runtime_wait_idle(cx_runtime *rt)
{
    pthread_mutex_lock(&rt->mu);
    while (!rt->stop &&
           (rt->running || rt->start_steer || rt->starting.len || rt->enqueued.len > 0))
        pthread_cond_wait(&rt->cv, &rt->mu);
    pthread_mutex_unlock(&rt->mu);
}

int cx_runtime_last_status(cx_runtime *rt, cx_error *err)
{
    pthread_mutex_lock(&rt->mu);
    int rc = rt->last_rc;
    if (err) *err = rt->last_err;
    pthread_mutex_unlock(&rt->mu);
    return rc;
}

int cx_runtime_queued(cx_runtime *rt)
{
    pthread_mutex_lock(&rt->mu);
    int n = (int)rt->enqueued.len;
    pthread_mutex_unlock(&rt->mu);
    return n;
}
