/* Portable mode: carry a CODEX_HOME to another machine through a storage
 * server, in pycodex's format so either side can be pycodex or ccodex.
 *
 * Bundle: a zip (deflate) of a whitelist of the home: config.toml, .env,
 * AGENTS.md, AGENTS.override.md, everything under skills/, and a relative
 * model_instructions_file the config names (top level or a profile).
 * Sealed: "PCX1" + 12-byte nonce + AES-256-GCM(ciphertext || 16-byte tag),
 * key = SHA-256 of the secret. Call id: base58 of the first 8 bytes of the
 * SHA-256 of the sealed payload. Token: SECRET-CALLID@HOST:PORT.
 * The storage server only ever sees ciphertext. */
#ifndef CX_PORTABLE_PORTABLE_H
#define CX_PORTABLE_PORTABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "ccodex/error.h"

#define CX_PORTABLE_DEFAULT_SERVER "127.0.0.1:5577"

/* Base58 (Bitcoin alphabet) of data, appended to out. */
void cx_portable_base58(const unsigned char *data, size_t len, cx_buf *out);
/* The call id of a sealed payload (appended to out). */
void cx_portable_call_id(const unsigned char *payload, size_t len, cx_buf *out);

/* The files to bundle from home, relative and sorted, as a NULL-terminated
 * array of malloc'd strings (free with cx_portable_list_free). Errors when
 * home has no config.toml or the config points outside home. */
char **cx_portable_collect(const char *home, cx_error *err);
void cx_portable_list_free(char **list);

/* Zips files (relative to home) into out. */
int cx_portable_zip(const char *home, char *const *files, cx_buf *out, cx_error *err);
/* Unzips into dest (which must exist), refusing absolute paths, "." and ".."
 * segments and anything but stored/deflated files; returns 0 or an error. */
int cx_portable_unzip(const unsigned char *zip, size_t len, const char *dest, cx_error *err);

/* Seals plaintext with secret into out (PCX1 format). */
int cx_portable_seal(const char *secret, const unsigned char *plain, size_t len, cx_buf *out, cx_error *err);
/* Opens a sealed payload; a wrong secret or a changed byte is an error. */
int cx_portable_open(const char *secret, const unsigned char *payload, size_t len, cx_buf *out, cx_error *err);

/* A parsed SECRET-CALLID@HOST:PORT token (strings are malloc'd). */
typedef struct cx_portable_token {
    char *secret, *call_id, *server; /* server: host:port */
} cx_portable_token;
int cx_portable_parse_token(const char *text, cx_portable_token *t, cx_error *err);
void cx_portable_token_free(cx_portable_token *t);

/* Client side. progress (may be NULL) receives the "[put] ..." lines. */
typedef void (*cx_portable_progress)(void *user, const char *line);
/* Uploads home (NULL: $CODEX_HOME or ~/.codex) to server (NULL: the default
 * or $CCODEX_STORAGE_SERVER); returns the token (malloc'd) or NULL with err. */
char *cx_portable_put(const char *home, const char *server, cx_portable_progress progress, void *user,
                      cx_error *err);
/* Downloads and unpacks the bundle of token under root (NULL: the cache
 * folder); returns the home directory (malloc'd) or NULL with err. A token
 * already unpacked there is reused. */
char *cx_portable_call(const char *token, const char *root, cx_error *err);

/* The storage server (evhttp): GET /healthz, POST /v1/storage/put, GET
 * /v1/storage/call/<call_id>; objects are kept in root/objects. */
typedef struct cx_storage_server cx_storage_server;
cx_storage_server *cx_storage_server_new(const char *host, int port, const char *root, cx_error *err);
int cx_storage_server_port(const cx_storage_server *s);
/* Runs on the calling thread until cx_storage_server_stop. */
void cx_storage_server_run(cx_storage_server *s);
/* Runs on a new thread. */
int cx_storage_server_start(cx_storage_server *s);
/* Safe from any thread. */
void cx_storage_server_stop(cx_storage_server *s);
void cx_storage_server_free(cx_storage_server *s);

#endif
