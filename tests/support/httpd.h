/* A scripted HTTP/1.1 server on 127.0.0.1, in the test's own process: the unit tests
 * of the HTTP client and the stream reader talk to it instead of a real provider.
 * Each request (any method) gets the next reply of the script, in order, on a
 * connection of its own (Connection: close); past the script's end, a 500. The raw
 * requests are kept for the test to inspect. One thread serves; the functions may be
 * called from any thread. */
#ifndef CX_TEST_HTTPD_H
#define CX_TEST_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cx_test_reply {
    const char *status;  /* "200 OK", "429 Too Many Requests", ... */
    const char *headers; /* extra header lines, each ending "\r\n"; may be NULL */
    const char *body;    /* may be NULL */
    /* false: Content-Length is sent. true: none, the body ends when the connection
     * closes (an event stream, or a body cut short) */
    bool until_close;
    int stall_ms; /* after the body: keep the connection open, silent, this long (or until
                   * the client closes it; the next connection waits meanwhile) */
} cx_test_reply;

typedef struct cx_test_httpd cx_test_httpd;

/* Starts serving replies[0..n) (borrowed: they must outlive the server) on an
 * ephemeral port. Fails the test when it cannot. */
cx_test_httpd *cx_test_httpd_start(const cx_test_reply *replies, size_t n);
/* "http://127.0.0.1:PORT" followed by path, in a static-size buffer of the server's. */
const char *cx_test_httpd_url(cx_test_httpd *h, const char *path);
/* How many requests have arrived so far. */
size_t cx_test_httpd_count(cx_test_httpd *h);
/* A copy of request i (head and body as received); NULL when there is none. Caller frees. */
char *cx_test_httpd_request(cx_test_httpd *h, size_t i);
/* Stops (a stalled reply ends at once), joins the thread and frees. */
void cx_test_httpd_stop(cx_test_httpd *h);

#endif
