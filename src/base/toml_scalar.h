/* TOML's bare values (base/toml_scalar.c), for the parser in base/toml.c. */
#ifndef CX_BASE_TOML_SCALAR_H
#define CX_BASE_TOML_SCALAR_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The value of the bare word buf[0..n) (NUL-terminated, n < 128): a boolean, an
 * int64, a double, or a date/time kept as its text with its kind as userdata (read it
 * with cx__toml_datetime_kind). NULL when the word is no valid value; *bad_datetime
 * then tells a malformed date/time from any other bad word. */
json_object *cx__toml_scalar(const char *buf, size_t n, bool *bad_datetime);

#endif
