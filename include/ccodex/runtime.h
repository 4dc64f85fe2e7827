/* The submission loop in front of an agent (upstream: codex.rs
 * submission_loop; pycodex runtime.py). A worker thread runs turns one at a
 * time. Two queues of the same shape feed it:
 *  - steer: text submitted while a turn runs joins that turn's next request
 *    (at the next sampling boundary, never mid-stream), several in order;
 *    with no turn running it starts one;
 *  - enqueue: text that waits for the running turn to end and then starts a
 *    turn of its own (the REPL's /queue).
 * All functions are thread-safe. */
#ifndef CCODEX_RUNTIME_H
#define CCODEX_RUNTIME_H

#include <stdbool.h>

#include "ccodex/agent.h"
#include "ccodex/export.h"

CX_BEGIN_DECLS

typedef struct cx_runtime cx_runtime;

/* Starts the worker for agent (borrowed; free the runtime first). NULL on failure. */
CX_EXTERN cx_runtime *cx_runtime_new(cx_agent *agent);
/* Interrupts a running turn, drops queued work, joins the worker. */
CX_EXTERN void cx_runtime_free(cx_runtime *rt);

/* Steer: joins the running turn, or starts a turn when idle. Returns true when
 * the text was steered into a running turn, false when it started a new one
 * (via *steered), 0 or CX_ENOMEM as the return value. */
CX_EXTERN int cx_runtime_submit(cx_runtime *rt, const char *text, bool *steered);
/* Enqueue: a new turn after the ones before it. */
CX_EXTERN int cx_runtime_enqueue(cx_runtime *rt, const char *text);
/* Interrupts the running turn (queued turns stay queued). */
CX_EXTERN void cx_runtime_interrupt(cx_runtime *rt);
/* True while a turn runs or turns wait. */
CX_EXTERN bool cx_runtime_busy(cx_runtime *rt);
/* Blocks until nothing runs and nothing waits. */
CX_EXTERN void cx_runtime_wait_idle(cx_runtime *rt);
/* The status of the last finished turn (0, CX_ECANCELED, or an error) and its message. */
CX_EXTERN int cx_runtime_last_status(cx_runtime *rt, cx_error *err);
/* Number of turns waiting in the enqueue queue. */
CX_EXTERN int cx_runtime_queued(cx_runtime *rt);

CX_END_DECLS

#endif
