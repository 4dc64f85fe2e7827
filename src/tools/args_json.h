/* The JSON reader under the tools' argument decoder (args_json.c): serde_json's
 * grammar, its error texts and the byte offsets it reports them at.
 * Library-internal to tools/args*.c; not thread-shared (one reader per decode). */
#ifndef CX_TOOLS_ARGS_JSON_H
#define CX_TOOLS_ARGS_JSON_H

#include "base/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* serde_json's ErrorCode texts */
#define E_EOF_VALUE "EOF while parsing a value"
#define E_EOF_OBJECT "EOF while parsing an object"
#define E_EOF_LIST "EOF while parsing a list"
#define E_EOF_STRING "EOF while parsing a string"
#define E_VALUE "expected value"
#define E_IDENT "expected ident"
#define E_COLON "expected `:`"
#define E_LIST_COMMA "expected `,` or `]`"
#define E_OBJECT_COMMA "expected `,` or `}`"
#define E_NUMBER "invalid number"
#define E_RANGE "number out of range"
#define E_ESCAPE "invalid escape"
#define E_CONTROL "control character (\\u0000-\\u001F) found while parsing a string"
#define E_KEY "key must be a string"
#define E_TRAILING_COMMA "trailing comma"
#define E_TRAILING "trailing characters"
#define E_SURROGATE "lone leading surrogate in hex escape"
#define E_HEX_END "unexpected end of hex escape"

typedef struct cx__aj {
    const char *s;
    size_t len, i;
    bool failed;     /* the first error wins, as `?` propagation does */
    bool positioned; /* false until the enclosing struct fixes the position */
    bool oom;
    size_t pos;
    cx_buf msg;
} cx__aj;

typedef struct cx__aj_number {
    enum { NUM_U64, NUM_I64, NUM_F64 } kind;
    uint64_t u;
    int64_t i;
    double f;
} cx__aj_number;

/* Records the first error (later ones are ignored, as `?` propagation does); -1. */
int cx__aj_fail(cx__aj *d, bool positioned, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* serde_json's self.error(): after what was consumed */
#define ERR_AT(d, ...) cx__aj_fail((d), true, (d)->i, __VA_ARGS__)
/* serde_json's self.peek_error(): one byte further, capped at the end */
#define ERR_PEEK(d, ...)                                                                           \
    cx__aj_fail((d), true, (d)->i < (d)->len ? (d)->i + 1 : (d)->len, __VA_ARGS__)
/* a Deserialize impl's own error: positioned later by the enclosing struct */
#define ERR_DATA(d, ...) cx__aj_fail((d), false, 0, __VA_ARGS__)

/* Gives an unpositioned (data) error the offset where reading stopped. */
void cx__aj_fix_position(cx__aj *d);
/* The next byte, or -1 at the end. */
int cx__aj_peek(const cx__aj *d);
/* Skips JSON whitespace; the next byte or -1. */
int cx__aj_skip_ws(cx__aj *d);
bool cx__aj_is_digit(int c);
/* Rust's `{:?}` of a str, appended to out. */
void cx__aj_debug_quote(const char *s, size_t len, cx_buf *out);
/* A string body after its opening quote, into out (or only checked when out is NULL). */
int cx__aj_read_str(cx__aj *d, cx_buf *out);
/* serde's "integer `5`" / "floating point `1.5`" for an unexpected number. */
void cx__aj_put_unexpected(cx_buf *b, const cx__aj_number *n);
/* A number whose sign (if any) was eaten, begun at start; out NULL only checks it. */
int cx__aj_read_number(cx__aj *d, bool positive, size_t start, cx__aj_number *out);
/* The rest of a literal (`ull` after `n`). */
int cx__aj_read_ident(cx__aj *d, const char *rest);
/* Reads the scalar there and reports it as "invalid type: X, expected <expected>". */
int cx__aj_invalid_type(cx__aj *d, const char *expected);
/* Checks one value of any shape, without recursion. */
int cx__aj_ignore_value(cx__aj *d);

#endif
