/* Human-readable rendering of agent events for the REPL and one-shot mode:
 * streamed assistant text ("assistant> ..."), tool lines ([exec] ...,
 * [plan] ..., [tool] ...), phase lines, steer notices, a session title and the
 * prompt/answer history. All output goes through one lock, since events come
 * from the runtime's worker thread while the main thread reads input. */
#ifndef CX_CLI_RENDER_H
#define CX_CLI_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "ccodex/events.h"

typedef struct cx_render cx_render;

/* interactive: prefix streamed text with "assistant> " and show phase lines. */
cx_render *cx_render_new(FILE *out, bool interactive);
void cx_render_free(cx_render *r);
void cx_render_event(cx_render *r, const cx_event *ev);
/* Prints one line (ending any streamed text first). */
void cx_render_line(cx_render *r, const char *text);
void cx_render_steer_queued(cx_render *r, const char *text);
/* A /queue text: shown as queued now, and as inserted when its turn starts. */
void cx_render_queued(cx_render *r, const char *text);
void cx_render_history(cx_render *r);
void cx_render_title(cx_render *r);
/* Shows the input prompt again (after a turn ends); the next output starts
 * on a fresh line. */
void cx_render_prompt(cx_render *r, const char *prompt);
/* Ends a streamed line, if any. */
void cx_render_finish(cx_render *r);

#endif
