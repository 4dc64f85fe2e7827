/* The tool registry: what the model may call and who handles it.
 *
 * A tool is declared by a spec (the JSON object placed in the request's
 * `tools` array), a handler, and whether calls to it may run in parallel with
 * other parallel-safe calls of the same response. Handlers run on the turn
 * thread or on a worker thread (when parallel), so they must only touch their
 * own state and what the cx_tool_env hands them. */
#ifndef CCODEX_TOOLS_H
#define CCODEX_TOOLS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "ccodex/events.h"
#include "ccodex/export.h"

CX_BEGIN_DECLS

struct cx_config;

typedef enum cx_tool_kind {
    CX_TOOL_FUNCTION, /* function_call / function_call_output */
    CX_TOOL_CUSTOM,   /* custom_tool_call / custom_tool_call_output (freeform, e.g. apply_patch) */
    CX_TOOL_PROVIDER, /* declared only (web_search): the provider runs it, no local handler */
} cx_tool_kind;

typedef struct cx_tool_call {
    const char *name;
    const char *call_id;
    cx_tool_kind kind;
    const char *input; /* function: the JSON arguments text; custom: the raw input */
} cx_tool_call;

/* What a handler may use; borrowed, valid during the call. */
typedef struct cx_tool_env {
    const char *cwd;                /* the turn's working directory */
    const char *shell;              /* the user's shell (absolute path) */
    const struct cx_config *config; /* may be NULL in tests */
    /* The turn's interrupt flag (an atomic_bool inside the library; opaque here so
     * that C++ can include this header): test it with cx_tool_cancelled(env). */
    const void *cancel;
    /* Emits an event (e.g. CX_EV_ITEM_STARTED for a command) to the agent's
     * subscriber. emit may be NULL. */
    cx_event_fn emit;
    void *emit_user;
    const char *collaboration_mode; /* "default" or "plan" */
    const json_object *history;     /* the conversation so far (read-only), or NULL */
    const char *thread_id;          /* the calling agent's session (thread) id, or NULL */
} cx_tool_env;

/* A handler's answer. Exactly one of text / content is used:
 * `content` (an array of input content items, e.g. an input_image) wins when
 * set; otherwise `text` is the output string. success is false for outputs
 * that report a failure to the model (it still gets the text). */
typedef struct cx_tool_output {
    char *text;           /* owned (malloc) */
    json_object *content; /* owned reference, or NULL */
    bool success;
} cx_tool_output;

/* Sets out->text to a malloc'd copy of the formatted string. Returns 0 or CX_ENOMEM. */
CX_EXTERN int cx_tool_output_setf(cx_tool_output *out, bool success, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Releases what out owns and zeroes it. */
CX_EXTERN void cx_tool_output_clear(cx_tool_output *out);

/* True once the turn the handler runs in was interrupted (false without a flag);
 * a long handler polls it and stops early. */
CX_EXTERN bool cx_tool_cancelled(const cx_tool_env *env);

/* A handler returns 0 after filling out (also when the model is told about a
 * failure, e.g. bad arguments), or a negative CX_E* code for a failure that
 * must end the turn (out of memory, cancelled). */
typedef int (*cx_tool_handler)(void *state, const cx_tool_call *call, const cx_tool_env *env,
                               cx_tool_output *out);

typedef struct cx_tool_def {
    const char *name;
    cx_tool_kind kind;
    bool parallel;              /* may run concurrently with other parallel-safe calls */
    json_object *spec;          /* owned by the registry once added; NULL: handled
                                   when called but not declared (upstream's aliases) */
    cx_tool_handler handler;    /* NULL for CX_TOOL_PROVIDER */
    void *state;                /* handed to handler */
    void (*state_free)(void *); /* called on registry free, may be NULL */
} cx_tool_def;

typedef struct cx_tool_registry cx_tool_registry;

CX_EXTERN cx_tool_registry *cx_tools_new(void);
CX_EXTERN void cx_tools_free(cx_tool_registry *reg);
/* Adds a tool (the registry takes def->spec and def->state, also on failure).
 * A tool with the same name is replaced in place, keeping its position.
 * Returns 0, CX_EINVAL (no name) or CX_ENOMEM. */
CX_EXTERN int cx_tools_add(cx_tool_registry *reg, const cx_tool_def *def);
/* Like cx_tools_add, but a new tool goes to index pos (at the end when pos is
 * past it); a tool with the same name is replaced in place. */
CX_EXTERN int cx_tools_insert(cx_tool_registry *reg, size_t pos, const cx_tool_def *def);
/* Removes a tool by name; returns 0 or CX_ENOTFOUND. */
CX_EXTERN int cx_tools_remove(cx_tool_registry *reg, const char *name);
/* Borrowed; NULL when absent. */
CX_EXTERN const cx_tool_def *cx_tools_find(const cx_tool_registry *reg, const char *name);
CX_EXTERN size_t cx_tools_count(const cx_tool_registry *reg);
CX_EXTERN const cx_tool_def *cx_tools_at(const cx_tool_registry *reg, size_t i);
/* A new JSON array of the specs in registration order (new reference). */
CX_EXTERN json_object *cx_tools_specs(const cx_tool_registry *reg);

/* Images as user input (view_image, exec -i): a "data:MIME;base64,..." URL
 * for PNG, JPEG, GIF or WebP bytes (new string), or NULL when the bytes are
 * none of those (or on OOM); and upstream's text for a file that is not such
 * an image, by the MIME type its name suggests (new string, NULL on OOM). */
CX_EXTERN char *cx_image_data_url(const unsigned char *data, size_t n);
CX_EXTERN char *cx_image_unsupported_text(const char *path);
/* Largest image file view_image and exec -i accept. */
#define CX_MAX_IMAGE_BYTES (20 * 1024 * 1024)

CX_END_DECLS

#endif
