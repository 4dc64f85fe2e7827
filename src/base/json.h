/* A thin wrapper over json-c: the output format ccodex sends on the wire
 * (compact, '/' unescaped, raw UTF-8), parse errors as line:column, and UTF-8
 * repair for bytes that come from processes and files. */
#ifndef CX_BASE_JSON_H
#define CX_BASE_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/utf8.h" /* the repair the parser applies, for callers */
#include "ccodex/error.h"

/* Parses exactly one JSON value from text[0..len) (trailing white space
 * allowed). Invalid UTF-8 in strings is repaired to U+FFFD. On success *out
 * owns a new reference. Errors name line:column. */
int cx__json_parse(const char *text, size_t len, json_object **out, cx_error *err);

/* A fast path for the small flat objects that make up most of a stream
 * (text deltas): parses an object whose values are strings, numbers,
 * booleans, null, or empty arrays/objects. Returns 0 with *out set, 1 when
 * the text is not such an object (use cx__json_parse), or CX_EPARSE. Strings
 * are checked and repaired as UTF-8 as by cx__json_parse. */
int cx__json_parse_flat(const char *text, size_t len, json_object **out);
/* Like cx__json_parse_flat, but parses into obj (an object from an earlier
 * parse of the same shape), overwriting string values in place so a stream
 * of same-shaped events costs no allocations. Returns 0, or 1 when the text
 * does not have obj's exact key set (obj is then unusable: drop it). */
int cx__json_parse_flat_reuse(const char *text, size_t len, json_object *obj);

/* Decodes the JSON string whose content starts at s[*i] (just after the
 * opening quote), appending its value to out (escapes resolved, \u pairs
 * joined, lone surrogates as U+FFFD) and leaving *i after the closing quote.
 * Returns 0 or CX_EPARSE. */
int cx__json_scan_string(const char *s, size_t len, size_t *i, cx_buf *out);

/* Appends o serialised compactly (no spaces, '/' not escaped). NULL is "null". */
int cx__json_dump(const json_object *o, cx_buf *out);
/* Returns o serialised compactly in a new allocation the caller frees, or NULL on OOM. */
char *cx__json_to_string(const json_object *o);

/* A new json string from s[0..len), repairing invalid UTF-8. */
json_object *cx__json_string_len(const char *s, size_t len);

/* True when a string in o (o itself, any key or value below it) holds a NUL
 * byte (JSON's \u0000), which C string functions would cut the text at. */
bool cx__json_has_nul(const json_object *o);
/* Same for a NUL-terminated string; NULL s gives JSON null (NULL). */
json_object *cx__json_string(const char *s);

/* Borrowed lookups: NULL/false when obj is not an object, the key is absent,
 * or the value has another type. */
json_object *cx__json_get(const json_object *obj, const char *key);
const char *cx__json_get_str(const json_object *obj, const char *key);
bool cx__json_get_int(const json_object *obj, const char *key, int64_t *out);
bool cx__json_get_bool(const json_object *obj, const char *key, bool *out);
bool cx__json_get_double(const json_object *obj, const char *key, double *out);

/* Adds key -> val to obj, taking ownership of val (json_object_object_add). */
void cx__json_set(json_object *obj, const char *key, json_object *val);
void cx__json_set_str(json_object *obj, const char *key, const char *val);

/* Deep copy (new reference), or NULL on OOM. */
json_object *cx__json_copy(const json_object *o);

#endif
