/* cx_error helpers. */
#include "ccodex/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cx_error_set(cx_error *err, int code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    /* Formatted into a copy first: an argument may be err->msg itself
       (`cx_error_set(err, c, "x: %s", err->msg)`), and vsnprintf into a buffer
       it also reads from is undefined behaviour. */
    char tmp[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(err->msg, tmp, sizeof tmp);
    return code;
}

int cx_error_prefix(cx_error *err, int code, const char *fmt, ...)
{
    if (!err) return code;
    char head[sizeof err->msg], tmp[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t h = strlen(head), room = sizeof tmp - 1 - h, m = strnlen(err->msg, sizeof err->msg);
    memcpy(tmp, head, h);
    memcpy(tmp + h, err->msg, m < room ? m : room);
    tmp[h + (m < room ? m : room)] = '\0';
    memcpy(err->msg, tmp, sizeof tmp);
    err->code = code;
    return code;
}

void cx_error_clear(cx_error *err)
{
    if (!err) return;
    err->code = CX_OK;
    err->http_status = 0;
    err->msg[0] = '\0';
}

const char *cx_error_name(int code)
{
    switch (code) {
    case CX_OK:
        return "ok";
    case CX_ENOMEM:
        return "out of memory";
    case CX_EINVAL:
        return "invalid argument";
    case CX_EIO:
        return "I/O error";
    case CX_EPARSE:
        return "parse error";
    case CX_EHTTP:
        return "HTTP error";
    case CX_ETIMEOUT:
        return "timed out";
    case CX_ECANCELED:
        return "cancelled";
    case CX_ENOTFOUND:
        return "not found";
    case CX_ECONFIG:
        return "configuration error";
    case CX_ENET:
        return "network error";
    case CX_ESTREAM:
        return "stream error";
    default:
        return "unknown error";
    }
}
