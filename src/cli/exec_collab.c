/* The human-readable exec lines for sub-agent calls, as upstream's exec
 * prints them on stderr:
 *   collab spawn_agent(CALL, prompt="...")        when the call starts
 *   spawn_agent(CALL, prompt="...") pending init:  when it ends, with the
 *     agent: ID                                    agents it touched
 * The state words are upstream's ("pending init", "running", `completed:
 * "message"`, "not found", ...). */
#include "cli/exec_collab.h"

#include "base/buf.h"
#include "base/escape.h"
#include "base/json.h"

#include <string.h>

/* `prompt="..."` with the text quoted as upstream quotes it. */
static void quoted(cx_buf *b, const char *s)
{
    cx__escape_quoted(b, s, strlen(s), CX_ESC_PLAIN);
}

/* TOOL(CALL[, prompt="..."]) */
static void call_text(cx_buf *b, const json_object *d)
{
    const char *prompt = cx__json_get_str(d, "prompt");
    cx__buf_printf(b, "%s(%s", cx__json_get_str(d, "tool") ?: "",
                   cx__json_get_str(d, "call_id") ?: "");
    if (prompt) {
        cx__buf_puts(b, ", prompt=");
        quoted(b, prompt);
    }
    cx__buf_putc(b, ')');
}

/* One agent's state in upstream's words. */
static void state_text(cx_buf *b, const json_object *state)
{
    const char *status = cx__json_get_str(state, "status") ?: "";
    const char *message = cx__json_get_str(state, "message");
    if (!strcmp(status, "pending_init"))
        cx__buf_puts(b, "pending init");
    else if (!strcmp(status, "not_found"))
        cx__buf_puts(b, "not found");
    else
        cx__buf_puts(b, status);
    if (message && (!strcmp(status, "completed") || !strcmp(status, "errored"))) {
        cx__buf_puts(b, ": ");
        quoted(b, message);
    }
}

static void receivers(cx_buf *b, const json_object *d, const char *label)
{
    json_object *ids = cx__json_get(d, "receiver_thread_ids");
    size_t n = ids ? json_object_array_length(ids) : 0;
    if (!n) return;
    cx__buf_printf(b, "  %s: ", label);
    for (size_t i = 0; i < n; i++)
        cx__buf_printf(b, "%s%s", i ? ", " : "",
                       json_object_get_string(json_object_array_get_idx(ids, i)));
    cx__buf_putc(b, '\n');
}

void cx_exec_collab_lines(cx_buf *b, const json_object *d, bool started)
{
    const char *tool = cx__json_get_str(d, "tool") ?: "";
    bool many = !strcmp(tool, "wait");
    json_object *states = cx__json_get(d, "agents_states");
    if (started) {
        cx__buf_puts(b, "collab ");
        call_text(b, d);
        cx__buf_putc(b, '\n');
        receivers(b, d, many ? "receivers" : "receiver");
        return;
    }
    call_text(b, d);
    if (many) {
        size_t n = states ? (size_t)json_object_object_length(states) : 0;
        cx__buf_printf(b, " %zu agents complete:\n", n);
        if (states) {
            json_object_object_foreach(states, id, st)
            {
                cx__buf_printf(b, "  %s ", id);
                state_text(b, st);
                cx__buf_putc(b, '\n');
            }
        }
        return;
    }
    /* one agent: its state on the title line, then who it was */
    json_object *ids = cx__json_get(d, "receiver_thread_ids");
    const char *id = ids && json_object_array_length(ids)
                         ? json_object_get_string(json_object_array_get_idx(ids, 0))
                         : NULL;
    json_object *st = id && states ? cx__json_get(states, id) : NULL;
    cx__buf_putc(b, ' ');
    if (st)
        state_text(b, st);
    else
        cx__buf_puts(b, cx__json_get_str(d, "status") ?: "");
    cx__buf_puts(b, ":\n");
    if (id)
        cx__buf_printf(b, "  %s: %s\n", !strcmp(tool, "spawn_agent") ? "agent" : "receiver", id);
}
