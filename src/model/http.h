/* The HTTP transport over libcurl: a client object that keeps one connection
 * cache, a streaming POST with request retries (429, 5xx, connection errors;
 * Retry-After honoured), an idle watchdog on the last byte received, and
 * cancellation noticed within ~50 ms; plus a plain GET. */
#ifndef CX_MODEL_HTTP_H
#define CX_MODEL_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "ccodex/error.h"

typedef struct cx_http_client cx_http_client;

typedef struct cx_http_request {
    const char *url;
    const char *const *headers; /* NULL-terminated "name: value" strings */
    const char *body;
    size_t body_len;
    int max_retries;           /* retries before the first response byte (request_max_retries) */
    long idle_timeout_ms;      /* abort when no byte arrives for this long; 0: none */
    const atomic_bool *cancel; /* abort when it becomes true; may be NULL */
    const char *redact;        /* a secret never to appear in error messages; may be NULL */
    const char *content_type;  /* a 2xx must carry this media type (e.g. "text/event-stream"),
                                  else the request fails at once naming what came; NULL: any */
    long max_retry_wait_ms;    /* longest single wait before a retry: a server asking for more
                                  (Retry-After) fails the request with its answer; 0: no cap */
} cx_http_request;

/* Body bytes of a 2xx response, in order. Non-zero return aborts the transfer
 * and is returned from cx__http_post_stream. */
typedef int (*cx_http_data_fn)(void *user, const char *data, size_t len);
/* Told before each retry's wait (may be NULL); reason is the failure that
 * caused it, redacted, e.g. "unexpected status 429 from URL: body". */
typedef void (*cx_http_retry_fn)(void *user, int attempt, long delay_ms, const char *reason);

/* Call once from main before threads start (curl's global init). tls=false
 * when every URL of the session is plain http: skips OpenSSL's set-up. */
void cx__http_global_init(bool tls);

cx_http_client *cx__http_client_new(void);
void cx__http_client_free(cx_http_client *c);

/* POSTs req and streams the response body to on_data. Returns 0 after a
 * complete 2xx response; CX_EHTTP (err->http_status set) for an error status
 * after retries; CX_ENET for a connection failure or a body cut short;
 * CX_ETIMEOUT for the idle watchdog; CX_ECANCELED; or on_data's value. */
int cx__http_post_stream(cx_http_client *c, const cx_http_request *req, cx_http_data_fn on_data,
                         cx_http_retry_fn on_retry, void *user, int *status_out, cx_error *err);

/* GETs url into body (appended). Returns 0 for a 2xx, else as above. */
int cx__http_get(cx_http_client *c, const char *url, const char *const *headers, long timeout_ms,
                 cx_buf *body, int *status_out, cx_error *err);

/* The standard reason phrase of an HTTP status ("Not Found"), or NULL. */
const char *cx__http_reason_phrase(long code);

/* Exponential backoff with jitter for retry attempt n (1-based): about
 * 200 ms * 2^(n-1), +-10 %. */
long cx__http_backoff_ms(int attempt);

/* Sleeps up to ms in 50 ms steps, returning early (true) when cancel becomes
 * true (cancel may be NULL). */
bool cx__http_sleep_cancellable(long ms, const atomic_bool *cancel);

#endif
