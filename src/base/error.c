/* cx_error helpers. */
#include "ccodex/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cx_error_set(cx_error *err, int code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
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
