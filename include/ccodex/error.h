/* Error codes and the error record every fallible libccodex call can fill.
 * Library code never prints: it returns a negative CX_E* code and, when the
 * caller passed a cx_error, a sentence a user can read. */
#ifndef CCODEX_ERROR_H
#define CCODEX_ERROR_H

#include <stddef.h>
#include "ccodex/export.h"

CX_BEGIN_DECLS

enum {
    CX_OK = 0,
    CX_ENOMEM = -1,
    CX_EINVAL = -2,    /* bad argument or bad input from the caller */
    CX_EIO = -3,       /* file system or pipe failure */
    CX_EPARSE = -4,    /* malformed JSON, TOML, SSE, patch ... */
    CX_EHTTP = -5,     /* the server answered with an error status */
    CX_ETIMEOUT = -6,  /* idle timeout or deadline */
    CX_ECANCELED = -7, /* cancelled by the caller */
    CX_ENOTFOUND = -8, /* missing file, tool, provider, profile */
    CX_ECONFIG = -9,   /* invalid configuration */
    CX_ENET = -10,     /* connection failure or stream cut short */
    CX_ESTREAM = -11,  /* the model stream reported a failure */
};

typedef struct cx_error {
    int code;
    int http_status; /* set for CX_EHTTP, else 0 */
    char msg[1024];
} cx_error;

/* Fills err (if not NULL) with code and a printf-style message; returns code
 * so callers can write `return cx_error_set(err, CX_EIO, "...")`. */
CX_EXTERN int cx_error_set(cx_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts a printf-style prefix before err's current message and sets code:
 * `cx_error_prefix(err, CX_EHTTP, "backend: ")`. Arguments may point into
 * err->msg (cx_error_set copies too, so neither overlaps). */
CX_EXTERN int cx_error_prefix(cx_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Resets err to CX_OK with an empty message. */
CX_EXTERN void cx_error_clear(cx_error *err);

/* A short fixed name for a code ("out of memory", "I/O error", ...). */
CX_EXTERN const char *cx_error_name(int code);

CX_END_DECLS

#endif
