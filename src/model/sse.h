/* Server-sent events framing (the WHATWG algorithm): bytes arrive in
 * arbitrary pieces; events are dispatched on blank lines. Handles LF, CRLF
 * and CR line ends, multi-line `data:` (joined with \n), comments, `event:`
 * and `id:` fields. No global state; one parser per stream. */
#ifndef CX_MODEL_SSE_H
#define CX_MODEL_SSE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cx_sse_event {
    const char *event; /* "message" when the stream named none */
    const char *data;  /* NUL-terminated, data_len bytes */
    size_t data_len;
    const char *id; /* last event id seen, "" if none */
} cx_sse_event;

/* Called per event; the event is borrowed. A non-zero return stops the
 * parser and is returned from cx__sse_feed. */
typedef int (*cx_sse_fn)(void *user, const cx_sse_event *ev);

typedef struct cx_sse_parser cx_sse_parser;

/* The default cap on one event (its pending line plus its data): a server
 * that never ends a line cannot make the reader hold more than this. */
#define CX_SSE_DEFAULT_MAX_EVENT ((size_t)16 << 20)

cx_sse_parser *cx__sse_new(cx_sse_fn fn, void *user);
/* Sets the cap on one event in bytes (0: the default). */
void cx__sse_set_max_event(cx_sse_parser *p, size_t bytes);
/* True once an event outgrew the cap: cx__sse_feed returned CX_EPARSE and
 * the stream must end (the parser drops what it held). */
bool cx__sse_overflowed(const cx_sse_parser *p);
void cx__sse_free(cx_sse_parser *p);
/* Feeds bytes. Returns 0, the callback's non-zero value, CX_ENOMEM, or
 * CX_EPARSE when an event outgrew the cap (see cx__sse_overflowed). */
int cx__sse_feed(cx_sse_parser *p, const char *data, size_t len);
/* Call at end of stream. Returns true if a partly received event (no blank
 * line after it) was pending: per the SSE rules it is not dispatched, and the
 * caller should treat the stream as cut off. */
bool cx__sse_finish(cx_sse_parser *p);

#endif
