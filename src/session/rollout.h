/* Rollout files: the on-disk record of one session, in upstream Codex's
 * format (CODEX_HOME/sessions/YYYY/MM/DD/rollout-<local time>-<id>.jsonl,
 * one {"timestamp","type","payload"} object per line).
 *
 * The session layer sits between model/context and core: it knows the file
 * format, how a file replays into a history, and how sessions are found; it
 * knows nothing about turns. A cx_rollout is used from one thread at a time
 * (the turn's); every line is written with one write(2) on an O_APPEND
 * descriptor, so a killed process loses at most the line being written. */
#ifndef CX_SESSION_ROLLOUT_H
#define CX_SESSION_ROLLOUT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "ccodex/error.h"

typedef struct cx_rollout cx_rollout;

/* A writer for a new session: the file name is fixed now (local time of
 * `created`), the file itself appears with the first line. */
cx_rollout *cx__rollout_new(const char *codex_home, const char *session_id, time_t created);
/* A writer that appends to an existing rollout file (a resumed session). */
cx_rollout *cx__rollout_reopen(const char *path);
void cx__rollout_free(cx_rollout *r);
/* Borrowed; the path the lines go (or will go) to. */
const char *cx__rollout_path(const cx_rollout *r);

/* Appends one line {"timestamp":now,"type":type,"payload":payload} (payload
 * borrowed). Creates the directories and the file on first use. Returns 0 or
 * a negative CX_E* with err filled. */
int cx__rollout_append(cx_rollout *r, const char *type, const json_object *payload, cx_error *err);
/* Appends a response_item line for a history item, storing the apply_patch
 * output in upstream's JSON form (see cx__rollout_item_to_stored). */
int cx__rollout_append_item(cx_rollout *r, const json_object *item, cx_error *err);

/* The current time as upstream writes it: UTC, milliseconds, "Z". */
void cx__rollout_timestamp(char out[32]);

/* Item conversions between what is sent and what is stored: a
 * custom_tool_call_output whose output is the text form "Exit code: N\nWall
 * time: S seconds\nOutput:\nTEXT" is stored as the JSON string
 * {"output":TEXT,"metadata":{"exit_code":N,"duration_seconds":S}} and turned
 * back on replay. Both return a new reference (the item itself, with its
 * count raised, when nothing changes). */
json_object *cx__rollout_item_to_stored(const json_object *item);
json_object *cx__rollout_item_from_stored(const json_object *item);

#endif
