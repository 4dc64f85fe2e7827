/* Portable-mode client: put and call over HTTP. See client.h. */
#include "portable/client.h"

#include "base/json.h"
#include "portable/bundle.h"
#include "portable/seal.h"
#include "model/tls.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define API_PREFIX "/v1/storage"
#define SHA_HEADER "X-Pycodex-Sha256"
#define MAX_PAYLOAD                                                                                \
    (CX_BUNDLE_MAX_TOTAL + (64u << 20)) /* deflate can grow data a little; be generous */

/* ---- HTTP ----------------------------------------------------------------------- */

typedef struct exchange {
    cx_buf *body;
    cx_buf sha; /* the X-Pycodex-Sha256 header of the answer */
    bool too_big;
    long idle_s;
    curl_off_t moved;
    struct timespec last;
} exchange;

static size_t on_body(char *d, size_t sz, size_t n, void *user)
{
    exchange *x = user;
    if (x->body->len + sz * n > MAX_PAYLOAD) {
        x->too_big = true;
        return 0;
    }
    return cx__buf_append(x->body, d, sz * n) ? 0 : sz * n;
}

static size_t on_header(char *d, size_t sz, size_t n, void *user)
{
    exchange *x = user;
    size_t len = sz * n, name = sizeof SHA_HEADER - 1;
    if (len > name && d[name] == ':' && !strncasecmp(d, SHA_HEADER, name)) {
        const char *v = d + name + 1, *e = d + len;
        while (v < e && isspace((unsigned char)*v))
            v++;
        while (e > v && isspace((unsigned char)e[-1]))
            e--;
        cx__buf_reset(&x->sha);
        cx__buf_append(&x->sha, v, (size_t)(e - v));
    }
    return len;
}

/* An idle watchdog in place of a total timeout: a big bundle on a slow link
 * may take long, a silent server should not (requests' read timeout, which
 * pycodex relies on, behaves the same way). */
static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)ultotal;
    exchange *x = user;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (dlnow + ulnow != x->moved) {
        x->moved = dlnow + ulnow;
        x->last = now;
        return 0;
    }
    return now.tv_sec - x->last.tv_sec > x->idle_s;
}

/* One request. Returns the HTTP status, or -1 with err for a transport
 * failure. body may be NULL for a GET; sha_out (optional) receives the
 * X-Pycodex-Sha256 header of the answer. */
static long http_exchange(const char *url, const void *body, size_t blen, const char *sha,
                          long connect_s, long idle_s, cx_buf *out, cx_buf *sha_out, cx_error *err)
{
    CURL *c = curl_easy_init();
    if (!c) return cx_error_set(err, CX_ENOMEM, "cannot start an HTTP client"), -1;
    exchange x = {.body = out, .sha = CX_BUF_INIT, .idle_s = idle_s};
    clock_gettime(CLOCK_MONOTONIC, &x.last);
    struct curl_slist *headers = NULL;
    char eb[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect_s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, eb);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    if (body) {
        char line[128];
        snprintf(line, sizeof line, SHA_HEADER ": %s", sha);
        headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
        headers = curl_slist_append(headers, line);
        headers = curl_slist_append(
            headers, "Expect:"); /* no 100-continue round trip: not every server sends it */
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    long status = -1;
    CURLcode rc;
    if (cx__tls_apply(c, url, err) < 0) {
        /* err already names the places searched */
    } else if ((rc = curl_easy_perform(c)) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else if (x.too_big)
        cx_error_set(err, CX_ENET, "the answer is larger than any bundle can be");
    else if (rc == CURLE_ABORTED_BY_CALLBACK)
        cx_error_set(err, CX_ETIMEOUT, "no data for %ld seconds", idle_s);
    else
        cx_error_set(err, CX_ENET, "%s", eb[0] ? eb : curl_easy_strerror(rc));
    if (sha_out) cx__buf_append(sha_out, x.sha.data, x.sha.len);
    cx__buf_free(&x.sha);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return status;
}

/* ---- arguments ------------------------------------------------------------------ */

static char *strip_dup(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    return strndup(s, len);
}

int cx__portable_server(const char *server, char **address, char **base_url, cx_error *err)
{
    *address = *base_url = NULL;
    const char *sources[] = {server, getenv("CCODEX_STORAGE_SERVER"),
                             getenv("PYCODEX_STORAGE_SERVER")};
    char *raw = NULL;
    for (size_t i = 0; i < 3 && (!raw || !*raw); i++) {
        free(raw);
        raw = sources[i] ? strip_dup(sources[i], strlen(sources[i])) : NULL;
    }
    if (!raw || !*raw) {
        free(raw);
        raw = strdup(CX_PORTABLE_DEFAULT_SERVER);
    }
    if (!raw) return cx_error_set(err, CX_ENOMEM, "out of memory");
    int rc = 0;
    const char *sep = strstr(raw, "://");
    if (sep) {
        const char *host = sep + 3;
        size_t hl = strcspn(host, "/?#");
        if (sep == raw || !hl)
            rc = cx_error_set(err, CX_EINVAL, "invalid storage server: %s", raw);
        else if (!(*address = strndup(host, hl)) ||
                 asprintf(base_url, "%.*s%s", (int)(host + hl - raw), raw, API_PREFIX) < 0)
            rc = cx_error_set(err, CX_ENOMEM, "out of memory");
    } else if (strchr(raw, '/')) {
        rc = cx_error_set(err, CX_EINVAL, "invalid storage server: %s", raw);
    } else if (!(*address = strdup(raw)) ||
               asprintf(base_url, "http://%s%s", raw, API_PREFIX) < 0) {
        rc = cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    if (rc) {
        free(*address);
        *address = *base_url = NULL; /* asprintf leaves *base_url undefined on failure */
    }
    free(raw);
    return rc;
}

/* Why a stripped token text is not SECRET-CALLID@SERVER, or NULL when it is;
 * cuts s at the '@' and the '-' and points *server and *id at the parts. */
static const char *split_token(char *s, char **id, char **server)
{
    char *at = strrchr(s, '@');
    if (!*s || !at) return "call spec must look like <secret>-<call_id>@<host:port>";
    *at = '\0';
    *server = at + 1;
    char *dash = strrchr(s, '-');
    if (!dash) return "call spec must include secret and call_id";
    *dash = '\0';
    *id = dash + 1;
    if (!*s || !**id) return "call spec is missing secret or call_id";
    if (!cx__seal_is_base58(*id)) return "call spec has a call_id that is not base58";
    return NULL;
}

int cx__portable_token_parse(const char *text, cx_portable_token *t, cx_error *err)
{
    memset(t, 0, sizeof *t);
    char *s = strip_dup(text ? text : "", text ? strlen(text) : 0), *id = NULL, *server = NULL;
    if (!s) return cx_error_set(err, CX_ENOMEM, "out of memory");
    const char *why = split_token(s, &id, &server);
    int rc = why ? cx_error_set(err, CX_EINVAL, "%s", why)
                 : cx__portable_server(server, &t->address, &t->base_url, err);
    if (!rc && (!id || !(t->secret = strdup(s)) || !(t->call_id = strdup(id))))
        rc = cx_error_set(err, CX_ENOMEM, "out of memory");
    free(s);
    if (rc) cx__portable_token_free(t);
    return rc;
}

void cx__portable_token_free(cx_portable_token *t)
{
    free(t->secret);
    free(t->call_id);
    free(t->address);
    free(t->base_url);
    memset(t, 0, sizeof *t);
}

int cx__portable_put_spec(const char *spec, char **home, char **server, cx_error *err)
{
    *home = *server = NULL;
    char *s = strip_dup(spec ? spec : "", spec ? strlen(spec) : 0);
    if (!s) return cx_error_set(err, CX_ENOMEM, "out of memory");
    char *at = strrchr(s, '@');
    int rc = 0;
    if (at) {
        *home = strip_dup(s, (size_t)(at - s));
        *server = strip_dup(at + 1, strlen(at + 1));
        if (!*home || !*server)
            rc = cx_error_set(err, CX_ENOMEM, "out of memory");
        else if (!**server)
            rc = cx_error_set(err, CX_EINVAL, "put spec is missing server after @");
        else if (!**home && s[0] != '@')
            rc = cx_error_set(err, CX_EINVAL, "put spec is missing source before @");
    } else if (*s && !(*home = strdup(s))) {
        rc = cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    if (!rc && *home && !**home) {
        free(*home);
        *home = NULL;
    }
    if (rc) {
        free(*home);
        free(*server);
        *home = *server = NULL;
    }
    free(s);
    return rc;
}

char *cx__portable_home(const char *arg, cx_error *err)
{
    const char *env = getenv("CODEX_HOME"), *user_home = getenv("HOME");
    char *cand = NULL;
    int n;
    if (arg && *arg) {
        if (arg[0] == '~' && (arg[1] == '\0' || arg[1] == '/') && user_home && *user_home)
            n = asprintf(&cand, "%s%s", user_home, arg + 1);
        else
            n = (cand = strdup(arg)) ? 0 : -1;
    } else if (env && *env) {
        n = (cand = strdup(env)) ? 0 : -1;
    } else if (user_home && *user_home) {
        n = asprintf(&cand, "%s/.codex", user_home);
    } else {
        cx_error_set(err, CX_ENOTFOUND,
                     "cannot find a Codex home: give a path, or set CODEX_HOME or HOME");
        return NULL;
    }
    if (n < 0 || !cand) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    char *home = realpath(cand, NULL), *config = NULL;
    struct stat st;
    if (!home || stat(home, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cx_error_set(err, CX_ENOTFOUND, "Codex home is not a directory: %s", home ? home : cand);
    } else if (asprintf(&config, "%s/config.toml", home) < 0) {
        config = NULL;
        cx_error_set(err, CX_ENOMEM, "out of memory");
    } else if (stat(config, &st) != 0 || !S_ISREG(st.st_mode)) {
        cx_error_set(err, CX_ENOTFOUND, "Codex home is missing required file: %s", config);
    } else {
        free(config);
        free(cand);
        return home;
    }
    free(config);
    free(home);
    free(cand);
    return NULL;
}

/* ---- the protocol --------------------------------------------------------------- */

int cx__portable_health(const char *address, const char *base_url, cx_error *err)
{
    char *url = NULL;
    if (!base_url) return cx_error_set(err, CX_EINVAL, "no storage server address");
    size_t root = strlen(base_url) - (sizeof API_PREFIX - 1);
    if (asprintf(&url, "%.*s/healthz", (int)root, base_url) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    cx_buf body = CX_BUF_INIT;
    cx_error why;
    long status = http_exchange(url, NULL, 0, NULL, 3, 3, &body, NULL, &why);
    free(url);
    cx__buf_free(&body);
    if (status < 0)
        return cx_error_set(err, CX_ENET, "storage server preflight failed for %s: %s", address,
                            why.msg);
    if (status >= 400)
        return cx_error_set(err, CX_EHTTP, "storage server preflight failed for %s: status %ld",
                            address, status);
    return 0;
}

int cx__portable_upload(const char *base_url, const void *payload, size_t len, cx_error *err)
{
    char sha[65], *url = NULL;
    cx__seal_sha256_hex(payload, len, sha);
    if (asprintf(&url, "%s/put", base_url) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    cx_buf answer = CX_BUF_INIT;
    cx_error why;
    long status = http_exchange(url, payload, len, sha, 5, 120, &answer, NULL, &why);
    free(url);
    cx__buf_free(&answer);
    if (status < 0) return cx_error_set(err, CX_ENET, "storage upload failed: %s", why.msg);
    if (status >= 400)
        return cx_error_set(err, CX_EHTTP, "storage upload failed with status %ld", status);
    return 0;
}

int cx__portable_download(const char *base_url, const char *call_id, cx_buf *out, cx_error *err)
{
    if (!cx__seal_is_base58(call_id))
        return cx_error_set(err, CX_EINVAL, "call id is not base58: %s", call_id);
    char *url = NULL;
    if (asprintf(&url, "%s/call/%s", base_url, call_id) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    cx_buf sha = CX_BUF_INIT;
    cx_error why;
    size_t start = out->len;
    long status = http_exchange(url, NULL, 0, NULL, 5, 120, out, &sha, &why);
    free(url);
    int rc = 0;
    if (status < 0) {
        rc = cx_error_set(err, CX_ENET, "call download failed: %s", why.msg);
    } else if (status == 404) {
        rc = cx_error_set(err, CX_ENOTFOUND, "call id not found: %s", call_id);
    } else if (status >= 400) {
        rc = cx_error_set(err, CX_EHTTP, "call download failed with status %ld", status);
    } else if (sha.len) {
        char got[65];
        cx__seal_sha256_hex(out->data ? out->data + start : "", out->len - start, got);
        if (strcasecmp(cx__buf_str(&sha), got))
            rc = cx_error_set(err, CX_EPARSE, "downloaded bundle checksum mismatch");
    }
    if (rc) cx__buf_truncate(out, start);
    cx__buf_free(&sha);
    return rc;
}

static void say(cx_portable_progress progress, void *user, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(cx_portable_progress progress, void *user, const char *fmt, ...)
{
    if (!progress) return;
    cx_buf b = CX_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cx__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    progress(user, cx__buf_str(&b));
    cx__buf_free(&b);
}

char *cx__portable_put(const char *home_arg, const char *server, cx_portable_progress progress,
                       void *user, cx_error *err)
{
    char *home = cx__portable_home(home_arg, err);
    if (!home) return NULL;
    char *address = NULL, *base = NULL, *token = NULL, **files = NULL;
    cx_buf zip = CX_BUF_INIT, sealed = CX_BUF_INIT, secret = CX_BUF_INIT, id = CX_BUF_INIT;
    if (cx__portable_server(server, &address, &base, err)) goto done;
    say(progress, user, "[put] source: %s", home);
    say(progress, user, "[put] checking server: %s", address);
    /* before any packing: a typo in the address should cost nothing */
    if (cx__portable_health(address, base, err)) goto done;
    if (!(files = cx__bundle_collect(home, err))) goto done;
    size_t n = 0;
    while (files[n])
        n++;
    say(progress, user, "[put] mode: whitelist");
    say(progress, user, "[put] packing %zu files", n);
    for (size_t i = 0; i < n; i++)
        say(progress, user, "[put] file: %s", files[i]);
    if (cx__bundle_zip(home, files, &zip, err) || cx__seal_new_secret(&secret, err) ||
        cx__seal_seal(cx__buf_str(&secret), zip.data, zip.len, &sealed, err))
        goto done;
    char sha[65];
    cx__seal_sha256_hex(sealed.data, sealed.len, sha);
    if (cx__seal_call_id(sealed.data, sealed.len, &id) ||
        asprintf(&token, "%s-%s@%s", cx__buf_str(&secret), cx__buf_str(&id), address) < 0) {
        token = NULL;
        cx_error_set(err, CX_ENOMEM, "out of memory");
        goto done;
    }
    /* pycodex's wording: the size is the zip's, the digest the ciphertext's */
    say(progress, user, "[put] bundle: %zu bytes plaintext, sha256=%s", zip.len, sha);
    say(progress, user, "[put] uploading ciphertext to %s", address);
    if (cx__portable_upload(base, sealed.data, sealed.len, err)) {
        free(token);
        token = NULL;
        goto done;
    }
    say(progress, user, "[put] uploaded: %s", token);
done:
    cx__bundle_files_free(files);
    cx__buf_free(&zip);
    cx__buf_free(&sealed);
    cx__buf_free(&secret);
    cx__buf_free(&id);
    free(address);
    free(base);
    free(home);
    return token;
}

/* ---- call ----------------------------------------------------------------------- */

char *cx__portable_default_root(void)
{
    const char *r = getenv("CCODEX_STORAGE_ROOT"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    char *out = NULL;
    int n = 0;
    if (r && *r)
        out = strdup(r);
    else if (xdg && xdg[0] == '/')
        n = asprintf(&out, "%s/ccodex/calls", xdg);
    else if (home && *home)
        n = asprintf(&out, "%s/.cache/ccodex/calls", home);
    return n < 0 ? NULL : out;
}

/* "dir/name" (malloc'd), or NULL when dir is NULL or memory ran out. */
static char *path_join(const char *dir, const char *name)
{
    char *out = NULL;
    if (!dir || asprintf(&out, "%s/%s", dir, name) < 0) return NULL;
    return out;
}

static bool cached(const char *meta_path, const char *config, const cx_portable_token *t)
{
    struct stat st;
    if (stat(config, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    FILE *f = fopen(meta_path, "rb");
    if (!f) return false;
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    json_object *m = NULL;
    if (cx__json_parse(text, n, &m, NULL) != 0) return false;
    const char *id = cx__json_get_str(m, "call_id"), *addr = cx__json_get_str(m, "server_address");
    bool same = id && addr && t->call_id && t->address && !strcmp(id, t->call_id) &&
                !strcmp(addr, t->address);
    json_object_put(m);
    return same;
}

/* pycodex writes json.dumps(..., indent=2): keep the same bytes */
static int write_metadata(const char *path, const cx_portable_token *t)
{
    json_object *id = cx__json_string(t->call_id), *addr = cx__json_string(t->address);
    cx_buf text = CX_BUF_INIT, a = CX_BUF_INIT, b = CX_BUF_INIT;
    cx__json_dump(id, &a);
    cx__json_dump(addr, &b);
    cx__buf_printf(&text, "{\n  \"call_id\": %s,\n  \"server_address\": %s\n}", cx__buf_str(&a),
                   cx__buf_str(&b));
    json_object_put(id);
    json_object_put(addr);
    FILE *f = cx__buf_failed(&text) ? NULL : fopen(path, "wb");
    bool ok = f && fwrite(text.data, 1, text.len, f) == text.len;
    if (f && fclose(f) != 0) ok = false;
    cx__buf_free(&text);
    cx__buf_free(&a);
    cx__buf_free(&b);
    return ok ? 0 : CX_EIO;
}

char *cx__portable_call(const char *text, const char *root_arg, cx_error *err)
{
    cx_portable_token t;
    if (cx__portable_token_parse(text, &t, err)) return NULL;
    char *root = root_arg ? strdup(root_arg) : cx__portable_default_root(), *real_root = NULL;
    char *cache = NULL, *home = NULL, *meta = NULL, *config = NULL, *unpack = NULL, *found = NULL,
         *result = NULL;
    cx_buf payload = CX_BUF_INIT, plain = CX_BUF_INIT;
    bool made_unpack = false;
    char key[65], *trimmed = strip_dup(text, strlen(text));
    int e;
    /* the cache key is the token as typed (whitespace trimmed), like pycodex's */
    cx__seal_sha256_hex(trimmed ? trimmed : "", trimmed ? strlen(trimmed) : 0, key);
    free(trimmed);
    key[16] = '\0';
    if (!root) {
        cx_error_set(err, CX_ENOTFOUND,
                     "no folder to unpack into: set CCODEX_STORAGE_ROOT or HOME");
        goto done;
    }
    if ((e = cx__bundle_mkdirs(root, 0700)) || !(real_root = realpath(root, NULL))) {
        cx_error_set(err, CX_EIO, "cannot create %s: %s", root, strerror(e ? e : errno));
        goto done;
    }
    cache = path_join(real_root, key);
    home = path_join(cache, "home");
    meta = path_join(cache, "metadata.json");
    config = path_join(home, "config.toml");
    unpack = path_join(cache, "unpack-XXXXXX");
    if (!cache || !home || !meta || !config || !unpack) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        goto done;
    }
    if (cached(meta, config, &t)) {
        result = home;
        home = NULL;
        goto done;
    }
    if ((e = cx__bundle_mkdirs(cache, 0700))) {
        cx_error_set(err, CX_EIO, "cannot create %s: %s", cache, strerror(e));
        goto done;
    }
    if (cx__portable_download(t.base_url, t.call_id, &payload, err) ||
        cx__seal_open(t.secret, payload.data, payload.len, &plain, err))
        goto done;
    if (!mkdtemp(unpack)) {
        cx_error_set(err, CX_EIO, "cannot create a folder in %s: %s", cache, strerror(errno));
        goto done;
    }
    made_unpack = true;
    if (cx__bundle_unzip(plain.data, plain.len, unpack, err) ||
        cx__bundle_find_home(unpack, &found, err))
        goto done;
    cx__bundle_rmtree(home);
    if (rename(found, home) != 0) {
        cx_error_set(err, CX_EIO, "cannot move the unpacked home to %s: %s", home, strerror(errno));
        goto done;
    }
    if (write_metadata(meta, &t)) {
        cx_error_set(err, CX_EIO, "cannot write %s: %s", meta, strerror(errno));
        goto done;
    }
    result = home;
    home = NULL;
done:
    if (made_unpack) cx__bundle_rmtree(unpack);
    /* the plaintext held the .env: do not leave it in freed memory */
    if (plain.data) explicit_bzero(plain.data, plain.len);
    cx__buf_free(&plain);
    cx__buf_free(&payload);
    cx__portable_token_free(&t);
    free(root);
    free(real_root);
    free(cache);
    free(home);
    free(meta);
    free(config);
    free(unpack);
    free(found);
    return result;
}
