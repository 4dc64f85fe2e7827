/* Masking secrets in text that may carry a URL, a header or a server's
 * words before it reaches a user, a log or a JSON event. Every message built
 * from such text goes through here, so the rules live in one place. */
#ifndef CX_BASE_REDACT_H
#define CX_BASE_REDACT_H

#include <stddef.h>

#include "base/buf.h"

enum {
    CX_REDACT_ONE_LINE = 1, /* line breaks and other control bytes become spaces */
};

/* Appends s[0..n) to out with these masked:
 *  - credentials in a URL: "scheme://user:pa/ss@host" -> "scheme://host";
 *  - the value after an authorization-like name (Authorization, Proxy-Authorization,
 *    api-key, x-api-key, access_token, password, secret, ...) followed by ':' or '=',
 *    quoted or not, its scheme word (Bearer, Basic) kept: "Authorization: Bearer ***";
 *  - "Bearer <token>" anywhere, and the value of a `key=` query parameter;
 *  - OpenAI-style keys ("sk-..." with 8 or more key characters) -> "sk-***";
 *  - each string of secrets (NULL-terminated, may be NULL; entries shorter than
 *    4 bytes are ignored) -> "***".
 * Returns 0 or CX_ENOMEM. */
int cx__redact_append(cx_buf *out, const char *s, size_t n, const char *const *secrets,
                      unsigned flags);

/* cx__redact_append of a NUL-terminated string with at most one secret, as a
 * new string (NULL when out of memory); s NULL gives NULL. */
char *cx__redact(const char *s, const char *secret, unsigned flags);

#endif
