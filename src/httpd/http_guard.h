/* Hardening shared by ccodex's two evhttp servers (the responses server and
 * the storage server) against one bad peer taking the process (issue 7):
 *  - request headers bounded: a block over CX_HTTP_MAX_HEADER_BYTES or with
 *    more than CX_HTTP_MAX_HEADER_FIELDS fields is answered 431; evhttp itself
 *    stops reading at CX_HTTP_HARD_HEADER_BYTES (it answers that with 413 and
 *    closes), so no connection buffers more than that for its headers;
 *  - accept() failing (EMFILE/ENFILE at the fd limit, ENOBUFS, ...) pauses the
 *    listener with a growing delay instead of retrying at once, logging at most
 *    once per CX_HTTP_ACCEPT_LOG_SECONDS; connections already open keep being
 *    served meanwhile.
 * A guard lives on the server's loop thread; create it after binding and free
 * it before the evhttp and event_base. */
#ifndef CX_HTTPD_HTTP_GUARD_H
#define CX_HTTPD_HTTP_GUARD_H

#include <stdbool.h>

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;

#define CX_HTTP_MAX_HEADER_BYTES 65536
#define CX_HTTP_MAX_HEADER_FIELDS 100
#define CX_HTTP_HARD_HEADER_BYTES (4 * CX_HTTP_MAX_HEADER_BYTES)
#define CX_HTTP_ACCEPT_LOG_SECONDS 10

typedef void (*cx_http_guard_log)(void *user, const char *line);

typedef struct cx_http_guard cx_http_guard;

/* Sets evhttp's header limit on http and takes over accept errors of bound.
 * log (may be NULL) receives one line per interval while accepts fail.
 * Returns NULL when out of memory. */
cx_http_guard *cx__http_guard_new(struct event_base *base, struct evhttp *http,
                                  struct evhttp_bound_socket *bound, cx_http_guard_log log,
                                  void *user);
void cx__http_guard_free(cx_http_guard *g);

/* Call first in the request callback: when req's headers are over the
 * limits it answers 431 and returns true (the request is done). */
bool cx__http_guard_refuse(struct evhttp_request *req);

/* Raises the soft limit on open files to the hard limit, so a server meets
 * the limit as late as the system allows. Returns the new soft limit. */
long cx__net_raise_fd_limit(void);

#endif
