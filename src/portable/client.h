/* The portable-mode client: `--put` (bundle, seal, upload) and `--call`
 * (download, open, unpack), speaking pycodex's storage protocol over
 * libcurl so it works against either implementation's server.
 *
 * Server addresses are "host:port" (http implied) or "scheme://host:port";
 * the API lives under /v1/storage, the health check at /healthz. */
#ifndef CX_PORTABLE_CLIENT_H
#define CX_PORTABLE_CLIENT_H

#include "base/buf.h"
#include "ccodex/error.h"

#define CX_PORTABLE_DEFAULT_SERVER "127.0.0.1:5577"

/* A parsed SECRET-CALLID@HOST:PORT token; all strings malloc'd. address is
 * the server as pycodex names it (host:port, the scheme dropped). */
typedef struct cx_portable_token {
    char *secret, *call_id, *address, *base_url;
} cx_portable_token;
/* Splits at the last '@' and the last '-' before it, as pycodex does (so a
 * secret may itself hold '-'); the call id must be base58. */
int cx__portable_token_parse(const char *text, cx_portable_token *t, cx_error *err);
void cx__portable_token_free(cx_portable_token *t);

/* The [PATH]@SERVER argument of --put: "@srv", "path@srv" or a bare
 * "path" (server NULL: the default). *home and *server are malloc'd or NULL. */
int cx__portable_put_spec(const char *spec, char **home, char **server, cx_error *err);

/* server (NULL or "": $CCODEX_STORAGE_SERVER, then $PYCODEX_STORAGE_SERVER,
 * then the default) -> *address ("host:port") and *base_url (the API root),
 * both malloc'd. */
int cx__portable_server(const char *server, char **address, char **base_url, cx_error *err);

/* The home --put uploads: arg (a leading "~" means $HOME), else
 * $CODEX_HOME, else ~/.codex, resolved to an absolute path (malloc'd). It
 * must be a folder with a config.toml. */
char *cx__portable_home(const char *arg, cx_error *err);

/* GET /healthz; any status below 400 is healthy. */
int cx__portable_health(const char *address, const char *base_url, cx_error *err);
/* POST /v1/storage/put of a sealed payload, with its X-Pycodex-Sha256. */
int cx__portable_upload(const char *base_url, const void *payload, size_t len, cx_error *err);
/* GET /v1/storage/call/<call_id> into out, checked against the server's
 * X-Pycodex-Sha256 when it sends one. A 404 is CX_ENOTFOUND. */
int cx__portable_download(const char *base_url, const char *call_id, cx_buf *out, cx_error *err);

/* Receives the "[put] ..." progress lines of cx__portable_put. */
typedef void (*cx_portable_progress)(void *user, const char *line);
/* The whole upload, in pycodex's order: resolve the home, check the server,
 * collect and zip the whitelist, seal under a fresh secret, upload. Returns
 * the token (malloc'd) or NULL with err. progress may be NULL. */
char *cx__portable_put(const char *home, const char *server, cx_portable_progress progress,
                       void *user, cx_error *err);

/* Where --call unpacks when no root is given: $CCODEX_STORAGE_ROOT, else
 * $XDG_CACHE_HOME/ccodex/calls, else ~/.cache/ccodex/calls (malloc'd). */
char *cx__portable_default_root(void);
/* Downloads, opens and unpacks the bundle of token into
 * ROOT/<first 16 hex of SHA-256 of the token>/home (root NULL: the
 * default), with a metadata.json beside it, pycodex's layout. A token
 * already unpacked there for the same call id and server is reused without
 * a download. Returns the home folder (malloc'd, absolute) or NULL + err. */
char *cx__portable_call(const char *token, const char *root, cx_error *err);

#endif
