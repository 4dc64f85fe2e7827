/* cx_buf implementation: doubling growth, sticky failure. */
#include "base/buf.h"

#include "ccodex/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cx__buf_init(cx_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
}

void cx__buf_free(cx_buf *b)
{
    free(b->data);
    cx__buf_init(b);
}

void cx__buf_reset(cx_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

int cx__buf_reserve(cx_buf *b, size_t extra)
{
    if (b->failed) return CX_ENOMEM;
    if (extra > SIZE_MAX - b->len - 1) goto oom;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) goto oom;
    b->data = p;
    b->cap = cap;
    return 0;
oom:
    b->failed = true;
    return CX_ENOMEM;
}

int cx__buf_append(cx_buf *b, const void *data, size_t len)
{
    if (cx__buf_reserve(b, len)) return CX_ENOMEM;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int cx__buf_puts(cx_buf *b, const char *s)
{
    return cx__buf_append(b, s, strlen(s));
}

int cx__buf_putc(cx_buf *b, char c)
{
    return cx__buf_append(b, &c, 1);
}

int cx__buf_vprintf(cx_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0) return CX_EINVAL;
    if ((size_t)n < sizeof small) return cx__buf_append(b, small, (size_t)n);
    if (cx__buf_reserve(b, (size_t)n)) return CX_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int cx__buf_printf(cx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cx__buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void cx__buf_consume(cx_buf *b, size_t n)
{
    if (n >= b->len) {
        cx__buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void cx__buf_truncate(cx_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

bool cx__buf_failed(const cx_buf *b)
{
    return b->failed;
}

const char *cx__buf_str(const cx_buf *b)
{
    return b->data ? b->data : "";
}

char *cx__buf_steal(cx_buf *b)
{
    if (b->failed) {
        cx__buf_free(b);
        return NULL;
    }
    char *p = b->data;
    if (!p) p = calloc(1, 1);
    cx__buf_init(b);
    return p;
}
