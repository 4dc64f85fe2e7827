/* Quoting a string by hand for the formats ccodex writes byte for byte: JSON as
 * cx__json_dump writes it, TOML basic strings, JSON as Python's json.dumps writes it
 * (ensure_ascii, byte by byte), and the plain quoting of upstream's exec text. One
 * table of what each form escapes, so the forms differ only where their wires do.
 * Pure functions: any thread. */
#ifndef CX_BASE_ESCAPE_H
#define CX_BASE_ESCAPE_H

#include <stddef.h>

#include "base/buf.h"

/* What a form escapes besides '"', '\\', '\n', '\r' and '\t' (always by name). */
enum {
    CX_ESC_BF = 1,     /* \b and \f by name */
    CX_ESC_CTL = 2,    /* every other byte below 0x20 as \u00XX */
    CX_ESC_DEL = 4,    /* 0x7f as \u007f */
    CX_ESC_HIGH = 8,   /* each byte from 0x80 as \u00XX (Latin-1, as Python reads bytes) */
    CX_ESC_UPPER = 16, /* upper-case hex digits in \u00XX */
};
/* JSON as cx__json_dump writes it: raw UTF-8, \u00xx for the other control bytes. */
#define CX_ESC_JSON (CX_ESC_BF | CX_ESC_CTL)
/* A TOML basic string: no \b or \f shorthand, \u00XX (upper case) for controls and DEL. */
#define CX_ESC_TOML (CX_ESC_CTL | CX_ESC_DEL | CX_ESC_UPPER)
/* Python's json.dumps with ensure_ascii over text read as Latin-1. */
#define CX_ESC_PYTHON (CX_ESC_BF | CX_ESC_CTL | CX_ESC_DEL | CX_ESC_HIGH)
/* Upstream's exec text (prompt="..."): quotes, backslashes and \n \r \t only. */
#define CX_ESC_PLAIN 0

/* Appends s[0..len) between double quotes, escaped in the form style names. */
void cx__escape_quoted(cx_buf *out, const char *s, size_t len, unsigned style);

#endif
