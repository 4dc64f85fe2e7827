/* Events the agent core emits while it works. One callback type carries them
 * all; the CLI renders them, `exec --json` serialises them, embedders do what
 * they like. The event and its data are borrowed for the duration of the call.
 *
 * Thread rule: the core calls an agent's callback only from the thread running
 * that agent's turn (the caller of cx_agent_run_turn, or the cx_runtime worker),
 * one event at a time, never reentrantly from another thread. Tool calls that run
 * in parallel on worker threads hand their events to the turn's thread, which
 * delivers them in the order they were emitted. A subscriber therefore needs no
 * lock for its own state, unless it shares that state with threads of its own.
 * Each agent (a sub-agent too) has its own turn thread: callbacks of different
 * agents may run at the same time. */
#ifndef CCODEX_EVENTS_H
#define CCODEX_EVENTS_H

#include <json-c/json.h>
#include "ccodex/export.h"

CX_BEGIN_DECLS

typedef enum cx_event_kind {
    CX_EV_TURN_STARTED,    /* data: {"turn_id"} */
    CX_EV_TURN_COMPLETED,  /* data:
                              {"turn_id","usage":{input_tokens,cached_input_tokens,output_tokens,...},"last_message"}
                            */
    CX_EV_TURN_FAILED,     /* data: {"turn_id","message"} */
    CX_EV_TURN_ABORTED,    /* data: {"turn_id","reason"} */
    CX_EV_TEXT_DELTA,      /* data: {"item_id","delta"}: assistant text as it streams */
    CX_EV_REASONING_DELTA, /* data: {"item_id","delta"} */
    CX_EV_ITEM_STARTED, /* data: a thread item, exec --json shape: {"type":"command_execution",...}
                         */
    CX_EV_ITEM_UPDATED, /* data: same shape (e.g. todo_list) */
    CX_EV_ITEM_COMPLETED, /* data: same shape, e.g. {"type":"agent_message","text"} */
    CX_EV_TOOL_STARTED,   /* data: {"call_id","name","arguments"} */
    CX_EV_TOOL_COMPLETED, /* data: {"call_id","name","success","output"} */
    CX_EV_SAMPLING,       /* data: {"phase":"request"|"tool_results"}: the model is being asked */
    CX_EV_STEER_INSERTED, /* data: {"text"}: a steer text joined the next request */
    CX_EV_RETRY,          /* data: {"attempt","max","delay_ms","message"} */
    CX_EV_WARNING,        /* data: {"message"} */
    CX_EV_COMPACTED,      /* data: {"mode":"remote"|"inline"}: the history was compacted */
} cx_event_kind;

typedef struct cx_event {
    cx_event_kind kind;
    json_object *data; /* borrowed; never NULL */
} cx_event;

typedef void (*cx_event_fn)(void *user, const cx_event *ev);

/* Fixed lower-case name of a kind ("turn_started", ...), for logs and tests. */
CX_EXTERN const char *cx_event_kind_name(cx_event_kind kind);

CX_END_DECLS

#endif
