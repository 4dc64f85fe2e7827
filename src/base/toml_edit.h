/* Editing a TOML document as text, so that everything the user wrote outside
 * the edited tables (comments, order, spacing, quoting) stays byte for byte.
 * Works on `[a.b.c]` table sections; the caller re-parses the result to check
 * it (cx__toml_parse). */
#ifndef CX_BASE_TOML_EDIT_H
#define CX_BASE_TOML_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "ccodex/error.h"

/* Copies text[0..len) to out without every table section whose header path
 * starts with path[0..n) (e.g. {"mcp_servers","foo"} removes
 * [mcp_servers.foo] and [mcp_servers.foo.env]), each with the comment lines
 * attached right above its header and the blank lines before them. Then puts
 * `insert` (may be NULL) where the first removed section was, or at the end
 * of the document (after a blank line) when none was found. *removed tells
 * whether any section went. Returns 0, CX_ENOMEM, or CX_EPARSE for a header
 * line it cannot read. */
int cx__toml_edit_replace_tables(const char *text, size_t len, const char *const *path, size_t n,
                                 const char *insert, cx_buf *out, bool *removed, cx_error *err);

/* Appends key as TOML writes it: bare when it is [A-Za-z0-9_-]+, else a
 * basic string. */
void cx__toml_put_key(cx_buf *b, const char *key);
/* Appends s as a TOML basic string (quoted, escaped). */
void cx__toml_put_string(cx_buf *b, const char *s);

#endif
