/* The tools' argument decoder, with serde_json's semantics and error texts (args.c).
 * Library-internal (`cx__ft_` prefix, from the file tools it was written for). */
#ifndef CX_TOOLS_ARGS_H
#define CX_TOOLS_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* Argument decoding with serde_json's semantics, so that a bad call gets the
 * same "failed to parse function arguments: Error(\"...\", line: L, column:
 * C)" text upstream's derived structs produce: fields in document order,
 * unknown keys ignored, duplicate keys refused, defaults for absent fields,
 * `null` accepted only by Option fields, and the array form of a struct. */
typedef enum cx__ft_type {
    CX__FT_STRING, /* String */
    CX__FT_USIZE,  /* usize (64-bit) */
    CX__FT_BOOL,   /* bool */
    CX__FT_ENUM,   /* a unit-variant enum named by snake_case strings */
    CX__FT_STRUCT, /* a nested derived struct */
} cx__ft_type;

struct cx__ft_struct;

typedef struct cx__ft_field {
    /* description, set by the caller */
    const char *name;
    cx__ft_type type;
    bool required;                /* no serde default: absence is "missing field" */
    bool option;                  /* Option<T>: JSON null counts as absent */
    const char *const *variants;  /* CX__FT_ENUM: NULL-terminated names */
    struct cx__ft_struct *nested; /* CX__FT_STRUCT: its fields (caller-owned) */
    /* result, filled by cx__ft_decode (holding the caller's default when absent) */
    bool seen;   /* the key appeared */
    bool set;    /* it carried a value (false for an absent key or an Option's null) */
    char *str;   /* CX__FT_STRING: owned, freed by cx__ft_clear */
    size_t num;  /* CX__FT_USIZE */
    bool flag;   /* CX__FT_BOOL */
    int variant; /* CX__FT_ENUM: index into variants */
} cx__ft_field;

typedef struct cx__ft_struct {
    const char *name; /* the Rust type name, e.g. "ReadFileArgs" (it shows in messages) */
    cx__ft_field *fields;
    size_t count;
} cx__ft_struct;

/* Decodes text[0..len) into st. Returns 0, 1 with *msg set to the message
 * for the model (malloc'd, the caller frees), or CX_ENOMEM. Strings decoded
 * into fields must be released with cx__ft_clear, also after a failure. */
int cx__ft_decode(const char *text, size_t len, cx__ft_struct *st, char **msg);
void cx__ft_clear(cx__ft_struct *st);

#endif
