/* The portable-mode storage server, speaking pycodex's protocol (evhttp, one
 * event loop):
 *   GET  /healthz                    -> 200 {"ok": true}
 *   POST /v1/storage/put             body = sealed payload; an
 *        X-Pycodex-Sha256 header, when sent, must match -> 200
 *        {"call_id": ID, "call": "ID@<Host header>"}; stored as
 *        ROOT/objects/ID.bin (ID computed here from the bytes, so a client
 *        cannot choose it; an object already there is reused)
 *   GET  /v1/storage/call/<ID>       -> the payload, application/octet-stream,
 *        with X-Pycodex-Sha256 and X-Pycodex-Call-Id
 * Errors are JSON {"error": "..."} with 400/404/500. The server never sees a
 * secret and never decrypts. IDs that are not base58 are answered 404, so
 * no request can name a file outside ROOT/objects. */
#ifndef CX_PORTABLE_STORAGE_SERVER_H
#define CX_PORTABLE_STORAGE_SERVER_H

#include "ccodex/error.h"

#define CX_STORAGE_MAX_BODY (512L * 1024 * 1024)

typedef struct cx_storage_server cx_storage_server;

/* Receives one "[server] put: ..." or "[server] call: ..." line per stored
 * or served object, on the server's thread. */
typedef void (*cx_storage_log)(void *user, const char *line);

/* Creates ROOT/objects and listens on host (IPv4) and port (0: any free
 * port). Returns NULL with err when the folder or the socket fails. log may
 * be NULL. */
cx_storage_server *cx__storage_server_new(const char *host, int port, const char *root,
                                          cx_storage_log log, void *user, cx_error *err);
/* The port actually bound. */
int cx__storage_server_port(const cx_storage_server *s);
/* ROOT made absolute, as the server uses it (owned by s). */
const char *cx__storage_server_root(const cx_storage_server *s);
/* Serves on the calling thread until cx__storage_server_stop. */
void cx__storage_server_run(cx_storage_server *s);
/* Serves on a new thread (for tests and embedders). Returns 0 or CX_EIO. */
int cx__storage_server_start(cx_storage_server *s);
/* Asks the loop to end; safe from any thread and from a signal handler. */
void cx__storage_server_stop(cx_storage_server *s);
/* Stops and joins a started server, then frees everything. NULL is fine. */
void cx__storage_server_free(cx_storage_server *s);

#endif
