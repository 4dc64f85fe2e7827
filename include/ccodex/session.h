/* Stored sessions: finding, listing and loading the rollout files under
 * CODEX_HOME/sessions that ccodex and upstream Codex write (format and rules
 * in shared/conformance/SESSIONS.md). No index is kept: the files are
 * scanned, newest first, and each is read only as far as needed. */
#ifndef CCODEX_SESSION_H
#define CCODEX_SESSION_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ccodex/error.h"
#include "ccodex/export.h"

CX_BEGIN_DECLS

typedef struct cx_session_query {
    const char *codex_home;
    /* A session id (UUID) or a thread name from session_index.jsonl; NULL:
     * the most recently updated session that passes the filters below. */
    const char *id;
    const char *cwd;       /* only sessions started in this directory; NULL: any (--all) */
    const char *provider;  /* only sessions of this model_provider id; NULL: any */
    bool interactive_only; /* only sessions whose source is cli or vscode (the REPL picker) */
} cx_session_query;

/* Finds one session. By id the filters are not applied (as upstream). On
 * success *path is a new string; CX_ENOTFOUND when nothing matches (not an
 * error for `resume`: a new session starts), other codes with err. */
CX_EXTERN int cx_session_find(const cx_session_query *q, char **path, cx_error *err);

typedef struct cx_session_info {
    char *path;
    char *id;
    char *cwd;
    char *first_prompt; /* the first user_message of the session */
    time_t updated;     /* the file's modification time */
} cx_session_info;

/* Lists up to max sessions passing the filters (id ignored), newest first.
 * *out is a new array of *n entries (free with cx_session_info_free). */
CX_EXTERN int cx_session_list(const cx_session_query *q, size_t max, cx_session_info **out,
                              size_t *n, cx_error *err);
CX_EXTERN void cx_session_info_free(cx_session_info *v, size_t n);

/* A rollout replayed into what a resumed conversation starts from. */
typedef struct cx_session_state {
    char *path;
    char *id;
    json_object *meta;         /* the session_meta payload */
    json_object *history;      /* items as they are sent, in order; compactions applied */
    json_object *turn_context; /* the last turn_context after the last compaction, or NULL */
    bool has_user_message;     /* an event_msg user_message exists */
    json_object *token_info;   /* the last non-null token_count info, or NULL */
} cx_session_state;

/* Reads a rollout file. A line that does not parse (e.g. cut short by a
 * crash) is skipped. Returns 0 with *out new (cx_session_state_free), or an
 * error when the file cannot be read or has no session_meta. */
CX_EXTERN int cx_session_load(const char *path, cx_session_state **out, cx_error *err);
CX_EXTERN void cx_session_state_free(cx_session_state *s);

/* Appends {"session_id","ts","text"} to CODEX_HOME/history.jsonl (the REPL's
 * prompt history, shared with upstream's TUI). */
CX_EXTERN int cx_session_history_append(const char *codex_home, const char *session_id,
                                        const char *text, cx_error *err);
/* The texts of history.jsonl, oldest first (at most the last max entries):
 * a new NULL-terminated array of new strings, or NULL when there is none. */
CX_EXTERN char **cx_session_history_read(const char *codex_home, size_t max);

CX_END_DECLS

#endif
