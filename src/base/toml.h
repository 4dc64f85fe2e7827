/* TOML 1.0 parser producing a json-c tree: tables are objects (document
 * order), arrays are arrays, integers int64, floats double (inf/nan kept),
 * booleans, strings; date/time values are kept as their text. */
#ifndef CX_BASE_TOML_H
#define CX_BASE_TOML_H

#include <json-c/json.h>
#include <stddef.h>

#include "ccodex/error.h"

/* Parses a document. On success *out is a new object. Errors read
 * "line L, column C: message". */
int cx__toml_parse(const char *text, size_t len, json_object **out, cx_error *err);
/* For a value that came from a TOML date/time: "datetime", "datetime-local",
 * "date-local" or "time-local"; NULL for anything else (kept across no copy). */
const char *cx__toml_datetime_kind(const json_object *o);
/* Parses one TOML value (as on the right of `key = `). */
int cx__toml_parse_value(const char *text, size_t len, json_object **out, cx_error *err);

#endif
