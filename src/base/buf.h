/* cx_buf: the one growable byte buffer used across ccodex.
 * The data is always NUL-terminated (when non-NULL) so it can be used as a C
 * string. An allocation failure makes the buffer sticky-failed: later appends
 * do nothing and cx__buf_failed() reports it, so callers can check once after a
 * series of appends instead of after each. */
#ifndef CX_BASE_BUF_H
#define CX_BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cx_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} cx_buf;

#define CX_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

void cx__buf_init(cx_buf *b);
/* Frees the storage and resets b to empty. */
void cx__buf_free(cx_buf *b);
/* Empties b but keeps its storage. */
void cx__buf_reset(cx_buf *b);
/* Ensures room for `extra` more bytes plus the NUL. Returns 0 or CX_ENOMEM. */
int cx__buf_reserve(cx_buf *b, size_t extra);
int cx__buf_append(cx_buf *b, const void *data, size_t len);
int cx__buf_puts(cx_buf *b, const char *s);
int cx__buf_putc(cx_buf *b, char c);
int cx__buf_printf(cx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cx__buf_vprintf(cx_buf *b, const char *fmt, va_list ap);
/* Drops the first n bytes (n <= len). */
void cx__buf_consume(cx_buf *b, size_t n);
/* Truncates to len bytes (len <= current len). */
void cx__buf_truncate(cx_buf *b, size_t len);
bool cx__buf_failed(const cx_buf *b);
/* The contents as a C string; "" for an empty buffer (never NULL). */
const char *cx__buf_str(const cx_buf *b);
/* Hands the storage to the caller (who frees it) and resets b. Returns a
 * freshly allocated "" for an empty buffer, or NULL if the buffer failed. */
char *cx__buf_steal(cx_buf *b);

#endif
