/* The tools' argument decoder, with serde_json's semantics and error texts
 * (args.c over the JSON reader in args_json.c). Every tool that takes JSON
 * arguments decodes them here, so a bad call gets the text upstream's handler
 * gives. Library-internal (`cx__ft_` prefix, from the file tools it was
 * written for); a field table is used by one thread at a time. */
#ifndef CX_TOOLS_ARGS_H
#define CX_TOOLS_ARGS_H

#include "ccodex/tools.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Argument decoding with serde_json's semantics: fields in document order,
 * unknown keys ignored, duplicate keys refused, defaults for absent fields,
 * `null` accepted only by Option fields, and the array form of a struct. */
typedef enum cx__ft_type {
    CX__FT_STRING, /* String */
    CX__FT_USIZE,  /* usize (64-bit) */
    CX__FT_BOOL,   /* bool */
    CX__FT_ENUM,   /* a unit-variant enum named by snake_case strings */
    CX__FT_STRUCT, /* a nested derived struct */
    CX__FT_U64,    /* u64, kept in num */
    CX__FT_I64,    /* i64, kept in inum */
    CX__FT_I32,    /* i32, kept in inum */
    CX__FT_SEQ,    /* Vec<T>, T described by elem: checked, not kept */
    CX__FT_ANY,    /* serde_json::Value (or a type not modelled here): any value, checked */
} cx__ft_type;

struct cx__ft_struct;

typedef struct cx__ft_field {
    /* description, set by the caller */
    const char *name;
    cx__ft_type type;
    bool required;                /* no serde default: absence is "missing field" */
    bool option;                  /* Option<T>: JSON null counts as absent */
    bool in_seq;                  /* an Option without #[serde(default)]: the array form needs it */
    const char *const *variants;  /* CX__FT_ENUM: NULL-terminated names */
    struct cx__ft_struct *nested; /* CX__FT_STRUCT: its fields (caller-owned) */
    const char *alias;            /* #[serde(alias)]: a second key for the field, or NULL */
    struct cx__ft_field *elem;    /* CX__FT_SEQ: the element's description (caller-owned) */
    /* result, filled by cx__ft_decode (holding the caller's default when absent) */
    bool seen;    /* the key appeared */
    bool set;     /* it carried a value (false for an absent key or an Option's null) */
    char *str;    /* CX__FT_STRING: owned, freed by cx__ft_clear */
    size_t num;   /* CX__FT_USIZE, CX__FT_U64 */
    int64_t inum; /* CX__FT_I64, CX__FT_I32 */
    bool flag;    /* CX__FT_BOOL */
    int variant;  /* CX__FT_ENUM: index into variants */
} cx__ft_field;

typedef struct cx__ft_struct {
    const char *name; /* the Rust type name, e.g. "ReadFileArgs" (it shows in messages) */
    cx__ft_field *fields;
    size_t count;
} cx__ft_struct;

/* How the handler words serde_json's error after "failed to parse function
 * arguments: ": the file tools print its Debug form (`Error("...", line: L,
 * column: C)`), the others its Display form (`... at line L column C`). */
typedef enum cx__ft_style {
    CX__FT_DEBUG,
    CX__FT_DISPLAY,
} cx__ft_style;

/* Decodes text[0..len) into st. Returns 0, 1 with *msg set to the message
 * for the model (malloc'd, the caller frees), or CX_ENOMEM. Strings decoded
 * into fields must be released with cx__ft_clear, also after a failure. */
int cx__ft_decode_as(const char *text, size_t len, cx__ft_struct *st, cx__ft_style style,
                     char **msg);
/* cx__ft_decode_as in the Debug style (the file tools'). */
int cx__ft_decode(const char *text, size_t len, cx__ft_struct *st, char **msg);
void cx__ft_clear(cx__ft_struct *st);

/* The common handler start: decodes call->input against st in the Display
 * style and, when it fits, gives the arguments as a JSON object (*args, the
 * caller puts it; the array form of a struct becomes an object keyed by the
 * field names). Returns 0 with *args set, 1 with the error already answered
 * in out (success false), or a negative CX_E*. Fields stay filled as
 * cx__ft_decode leaves them; the caller runs cx__ft_clear. */
int cx__ft_args(const cx_tool_call *call, cx__ft_struct *st, json_object **args,
                cx_tool_output *out);

#endif
