/* UTF-8: the one place that knows how characters are laid out in bytes. Validation and
 * repair (bytes from processes, files and the network), encoding a code point, lenient
 * decoding, and cutting text without splitting a character. Pure functions: any thread. */
#ifndef CX_BASE_UTF8_H
#define CX_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* U+FFFD, the replacement character, as UTF-8. */
#define CX_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* True if s[0..len) is valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF). */
bool cx__utf8_valid(const char *s, size_t len);

/* Appends s[0..len) to out with every invalid byte replaced by U+FFFD (one replacement
 * per byte that cannot start a valid sequence). Returns 0 or CX_ENOMEM. */
int cx__utf8_repair(const char *s, size_t len, cx_buf *out);

/* Appends the encoding of code point cp (1 to 4 bytes; cp must be at most 0x10FFFF).
 * Returns 0 or CX_ENOMEM (out's sticky failure). */
int cx__utf8_put(cx_buf *out, uint32_t cp);

/* Decodes the character at s[k] (k < len): a valid sequence gives its code point and
 * *n its length; a byte that starts no valid sequence gives its own value and *n = 1,
 * so a scan over any bytes moves on and never reads past len. */
uint32_t cx__utf8_decode(const char *s, size_t len, size_t k, size_t *n);

/* True when byte c continues a multi-byte sequence (10xxxxxx). */
static inline bool cx_utf8_is_cont(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

/* The largest character boundary at or below at (at >= len gives len): where text may
 * be cut so that s[0..result) keeps whole characters. */
size_t cx__utf8_floor(const char *s, size_t len, size_t at);
/* The smallest character boundary at or above at (at most len): where a kept tail
 * s[result..len) starts on a whole character. */
size_t cx__utf8_ceil(const char *s, size_t len, size_t at);

/* The number of characters in s[0..len): bytes that are not continuation bytes. */
size_t cx__utf8_count(const char *s, size_t len);

#endif
