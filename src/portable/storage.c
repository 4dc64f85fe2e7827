/* Portable mode over HTTP: the storage server (evhttp) and the put/call
 * client (libcurl). See portable.h. */
#include "portable/portable.h"

#include "base/json.h"
#include "base/net.h"
#include "base/uuid.h"

#include <curl/curl.h>
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define API "/v1/storage"

static void sha256_hex(const unsigned char *d, size_t n, char out[65])
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    SHA256(d, n, h);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* ---- server ------------------------------------------------------------------------ */

struct cx_storage_server {
    struct event_base *base;
    struct evhttp *http;
    struct event *wake;
    int wake_fds[2];
    int port;
    char *objects;
    char *address; /* host:port, for the "call" field */
    pthread_t thread;
    bool threaded;
};

static void reply(struct evhttp_request *req, int status, const char *json)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, json, strlen(json));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", b);
    evbuffer_free(b);
}

static bool base58_id(const char *s)
{
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    if (!*s || strlen(s) > 64) return false;
    for (; *s; s++)
        if (!strchr(alphabet, *s)) return false;
    return true;
}

static void on_storage(struct evhttp_request *req, void *arg)
{
    cx_storage_server *s = arg;
    const char *uri = evhttp_request_get_uri(req);
    char path[1024];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(uri, "?#"), uri);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cmd == EVHTTP_REQ_GET && !strcmp(path, "/healthz")) {
        reply(req, 200, "{\"ok\": true}");
    } else if (cmd == EVHTTP_REQ_GET && !strncmp(path, API "/call/", strlen(API "/call/"))) {
        char *id = evhttp_uridecode(path + strlen(API "/call/"), 0, NULL);
        /* call ids are base58: anything else cannot name an object (and cannot escape the folder) */
        if (!id || !*id) {
            reply(req, 400, "{\"error\": \"missing call_id\"}");
        } else if (!base58_id(id)) {
            reply(req, 404, "{\"error\": \"not found\"}");
        } else {
            char file[4096];
            snprintf(file, sizeof file, "%s/%s.bin", s->objects, id);
            FILE *f = fopen(file, "rb");
            if (!f) {
                reply(req, 404, "{\"error\": \"not found\"}");
            } else {
                cx_buf data = CX_BUF_INIT;
                char chunk[65536];
                size_t n;
                while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) cx_buf_append(&data, chunk, n);
                fclose(f);
                char hex[65];
                sha256_hex((const unsigned char *)(data.data ? data.data : ""), data.len, hex);
                struct evkeyvalq *h = evhttp_request_get_output_headers(req);
                evhttp_add_header(h, "Content-Type", "application/octet-stream");
                evhttp_add_header(h, "X-Pycodex-Sha256", hex);
                evhttp_add_header(h, "X-Pycodex-Call-Id", id);
                struct evbuffer *b = evbuffer_new();
                evbuffer_add(b, data.data ? data.data : "", data.len);
                evhttp_send_reply(req, 200, "OK", b);
                evbuffer_free(b);
                cx_buf_free(&data);
            }
        }
        free(id);
    } else if (cmd == EVHTTP_REQ_POST && !strcmp(path, API "/put")) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t len = evbuffer_get_length(in);
        if (!len) {
            reply(req, 400, "{\"error\": \"empty body\"}");
            return;
        }
        unsigned char *payload = malloc(len);
        evbuffer_remove(in, payload, len);
        char hex[65];
        sha256_hex(payload, len, hex);
        const char *want = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Pycodex-Sha256");
        if (want && *want && strcasecmp(want, hex)) {
            free(payload);
            reply(req, 400, "{\"error\": \"checksum mismatch\"}");
            return;
        }
        cx_buf id = CX_BUF_INIT;
        cx_portable_call_id(payload, len, &id);
        cx_buf_puts(&id, "");
        char file[4096], tmp[4200];
        snprintf(file, sizeof file, "%s/%s.bin", s->objects, id.data);
        struct stat st;
        bool ok = true;
        if (stat(file, &st) != 0) {
            /* write then rename: a reader never sees half an object */
            snprintf(tmp, sizeof tmp, "%s.tmp%d", file, (int)getpid());
            FILE *f = fopen(tmp, "wb");
            ok = f && fwrite(payload, 1, len, f) == len;
            if (f && fclose(f) != 0) ok = false;
            if (ok) ok = rename(tmp, file) == 0;
            else unlink(tmp);
        }
        free(payload);
        if (!ok) {
            reply(req, 500, "{\"error\": \"cannot store the object\"}");
        } else {
            const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
            json_object *o = json_object_new_object();
            cx_json_set_str(o, "call_id", id.data);
            cx_buf call = CX_BUF_INIT;
            cx_buf_printf(&call, "%s@%s", id.data, host && *host ? host : s->address);
            cx_json_set_str(o, "call", cx_buf_str(&call));
            char *text = cx_json_to_string(o);
            reply(req, 200, text ? text : "{}");
            free(text);
            json_object_put(o);
            cx_buf_free(&call);
        }
        cx_buf_free(&id);
    } else {
        reply(req, 404, "{\"error\": \"not found\"}");
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    cx_storage_server *s = arg;
    char b[16];
    while (read(fd, b, sizeof b) > 0) {
    }
    event_base_loopbreak(s->base);
}

cx_storage_server *cx_storage_server_new(const char *host, int port, const char *root, cx_error *err)
{
    cx_storage_server *s = calloc(1, sizeof *s);
    s->wake_fds[0] = s->wake_fds[1] = -1;
    if (asprintf(&s->objects, "%s/objects", root) < 0) s->objects = NULL;
    char *mk = s->objects ? strdup(s->objects) : NULL;
    for (char *p = mk ? mk + 1 : NULL; p && *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(mk, 0755);
            *p = '/';
        }
    if (mk) mkdir(mk, 0755);
    free(mk);
    struct stat st;
    if (!s->objects || stat(s->objects, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cx_error_set(err, CX_EIO, "cannot create the storage folder %s/objects: %s", root, strerror(errno));
        cx_storage_server_free(s);
        return NULL;
    }
    int fd = cx_net_listen(host, port, &s->port, err);
    if (fd < 0) {
        cx_storage_server_free(s);
        return NULL;
    }
    if (asprintf(&s->address, "%s:%d", host, s->port) < 0) s->address = NULL;
    s->base = event_base_new();
    s->http = evhttp_new(s->base);
    if (pipe2(s->wake_fds, O_CLOEXEC | O_NONBLOCK) != 0 || !evhttp_accept_socket_with_handle(s->http, fd)) {
        close(fd);
        cx_error_set(err, CX_EIO, "cannot set up the storage server");
        cx_storage_server_free(s);
        return NULL;
    }
    evhttp_set_max_body_size(s->http, 512L * 1024 * 1024);
    evhttp_set_gencb(s->http, on_storage, s);
    s->wake = event_new(s->base, s->wake_fds[0], EV_READ | EV_PERSIST, on_wake, s);
    event_add(s->wake, NULL);
    return s;
}

int cx_storage_server_port(const cx_storage_server *s)
{
    return s->port;
}

void cx_storage_server_run(cx_storage_server *s)
{
    event_base_dispatch(s->base);
}

static void *storage_thread(void *arg)
{
    cx_storage_server_run(arg);
    return NULL;
}

int cx_storage_server_start(cx_storage_server *s)
{
    if (pthread_create(&s->thread, NULL, storage_thread, s) != 0) return CX_EIO;
    s->threaded = true;
    return 0;
}

void cx_storage_server_stop(cx_storage_server *s)
{
    if (s && s->wake_fds[1] >= 0) {
        ssize_t w = write(s->wake_fds[1], "x", 1);
        (void)w;
    }
}

void cx_storage_server_free(cx_storage_server *s)
{
    if (!s) return;
    if (s->threaded) {
        cx_storage_server_stop(s);
        pthread_join(s->thread, NULL);
    }
    if (s->wake) event_free(s->wake);
    if (s->http) evhttp_free(s->http);
    if (s->base) event_base_free(s->base);
    if (s->wake_fds[0] >= 0) close(s->wake_fds[0]);
    if (s->wake_fds[1] >= 0) close(s->wake_fds[1]);
    free(s->objects);
    free(s->address);
    free(s);
}

/* ---- client ------------------------------------------------------------------------ */

static size_t collect_body(char *d, size_t sz, size_t n, void *user)
{
    cx_buf_append(user, d, sz * n);
    return sz * n;
}

static size_t collect_header(char *d, size_t sz, size_t n, void *user)
{
    static const char name[] = "x-pycodex-sha256:";
    size_t len = sz * n;
    if (len > sizeof name && !strncasecmp(d, name, sizeof name - 1)) {
        cx_buf *b = user;
        cx_buf_reset(b);
        const char *v = d + sizeof name - 1;
        size_t vl = len - (sizeof name - 1);
        while (vl && (*v == ' ')) v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
        cx_buf_append(b, v, vl);
    }
    return len;
}

/* One HTTP exchange; returns the status (or -1 with err for a transport error). */
static long http(const char *method, const char *url, const void *body, size_t blen, const char *sha, long timeout_ms,
                 cx_buf *out, cx_buf *sha_out, cx_error *err)
{
    CURL *c = curl_easy_init();
    if (!c) return cx_error_set(err, CX_ENOMEM, "out of memory"), -1;
    struct curl_slist *h = NULL;
    char eb[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, eb);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (sha_out) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, sha_out);
    }
    if (!strcmp(method, "POST")) {
        h = curl_slist_append(h, "Content-Type: application/octet-stream");
        char line[128];
        snprintf(line, sizeof line, "X-Pycodex-Sha256: %s", sha);
        h = curl_slist_append(h, line);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else cx_error_set(err, CX_ENET, "%s", eb[0] ? eb : curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* "host:port" or "scheme://host:port" -> (address, base URL of the API). */
static int server_urls(const char *server, char **address, char **base, cx_error *err)
{
    const char *raw = server && *server ? server : getenv("CCODEX_STORAGE_SERVER");
    if (!raw || !*raw) raw = getenv("PYCODEX_STORAGE_SERVER");
    if (!raw || !*raw) raw = CX_PORTABLE_DEFAULT_SERVER;
    const char *sep = strstr(raw, "://");
    if (sep) {
        const char *host = sep + 3;
        size_t hl = strcspn(host, "/");
        if (!hl) return cx_error_set(err, CX_EINVAL, "invalid storage server: %s", raw);
        *address = strndup(host, hl);
        if (asprintf(base, "%.*s%s", (int)(host + hl - raw), raw, API) < 0) *base = NULL;
    } else {
        if (strchr(raw, '/')) return cx_error_set(err, CX_EINVAL, "invalid storage server: %s", raw);
        *address = strdup(raw);
        if (asprintf(base, "http://%s%s", raw, API) < 0) *base = NULL;
    }
    return 0;
}

static void say(cx_portable_progress progress, void *user, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(cx_portable_progress progress, void *user, const char *fmt, ...)
{
    if (!progress) return;
    cx_buf b = CX_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cx_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    progress(user, cx_buf_str(&b));
    cx_buf_free(&b);
}

char *cx_portable_put(const char *home_arg, const char *server, cx_portable_progress progress, void *user,
                      cx_error *err)
{
    char *home = NULL;
    if (home_arg && *home_arg) {
        home = realpath(home_arg, NULL);
    } else {
        const char *env = getenv("CODEX_HOME");
        const char *hd = getenv("HOME");
        char *guess = NULL;
        if (env && *env) guess = strdup(env);
        else if (asprintf(&guess, "%s/.codex", hd ? hd : ".") < 0) guess = NULL;
        home = guess ? realpath(guess, NULL) : NULL;
        if (!home) {
            cx_error_set(err, CX_ENOTFOUND, "Codex home is not a directory: %s", guess ? guess : "~/.codex");
            free(guess);
            return NULL;
        }
        free(guess);
    }
    struct stat st;
    if (!home || stat(home, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cx_error_set(err, CX_ENOTFOUND, "Codex home is not a directory: %s", home ? home : home_arg);
        free(home);
        return NULL;
    }
    char *address = NULL, *base = NULL, *token = NULL;
    char **files = NULL;
    cx_buf zip = CX_BUF_INIT, sealed = CX_BUF_INIT, body = CX_BUF_INIT, secret = CX_BUF_INIT, id = CX_BUF_INIT;
    if (server_urls(server, &address, &base, err)) goto done;
    say(progress, user, "[put] source: %s", home);
    say(progress, user, "[put] checking server: %s", address);
    char health[512];
    snprintf(health, sizeof health, "%.*s/healthz", (int)(strlen(base) - strlen(API)), base);
    long status = http("GET", health, NULL, 0, NULL, 3000, &body, NULL, err);
    if (status < 0 || status >= 400) {
        char why[1200];
        snprintf(why, sizeof why, "%s", status < 0 ? err->msg : "");
        if (status >= 400) snprintf(why, sizeof why, "status %ld", status);
        cx_error_set(err, CX_ENET, "storage server preflight failed for %s: %s", address, why);
        goto done;
    }
    if (!(files = cx_portable_collect(home, err))) goto done;
    size_t nfiles = 0;
    while (files[nfiles]) nfiles++;
    say(progress, user, "[put] mode: whitelist");
    say(progress, user, "[put] packing %zu files", nfiles);
    for (size_t i = 0; i < nfiles; i++) say(progress, user, "[put] file: %s", files[i]);
    if (cx_portable_zip(home, files, &zip, err)) goto done;
    unsigned char raw[16];
    cx_random_bytes(raw, sizeof raw);
    cx_portable_base58(raw, sizeof raw, &secret);
    cx_buf_puts(&secret, "");
    if (cx_portable_seal(secret.data, (const unsigned char *)zip.data, zip.len, &sealed, err)) goto done;
    char hex[65];
    sha256_hex((const unsigned char *)sealed.data, sealed.len, hex);
    cx_portable_call_id((const unsigned char *)sealed.data, sealed.len, &id);
    cx_buf_puts(&id, "");
    if (asprintf(&token, "%s-%s@%s", secret.data, id.data, address) < 0) token = NULL;
    say(progress, user, "[put] bundle: %zu bytes plaintext, sha256=%s", zip.len, hex);
    say(progress, user, "[put] uploading ciphertext to %s", address);
    char url[600];
    snprintf(url, sizeof url, "%s/put", base);
    cx_buf_reset(&body);
    status = http("POST", url, sealed.data, sealed.len, hex, 120000, &body, NULL, err);
    if (status < 0) {
        char why[1100];
        snprintf(why, sizeof why, "%s", err->msg);
        cx_error_set(err, CX_ENET, "storage upload failed: %s", why);
        free(token);
        token = NULL;
    } else if (status >= 400) {
        cx_error_set(err, CX_ENET, "storage upload failed with status %ld", status);
        free(token);
        token = NULL;
    } else {
        say(progress, user, "[put] uploaded: %s", token);
    }
done:
    cx_portable_list_free(files);
    cx_buf_free(&zip);
    cx_buf_free(&sealed);
    cx_buf_free(&body);
    cx_buf_free(&secret);
    cx_buf_free(&id);
    free(address);
    free(base);
    free(home);
    return token;
}

static char *default_root(void)
{
    const char *r = getenv("CCODEX_STORAGE_ROOT");
    char *out = NULL;
    if (r && *r) return strdup(r);
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg) {
        if (asprintf(&out, "%s/ccodex/calls", xdg) < 0) out = NULL;
    } else if (asprintf(&out, "%s/.cache/ccodex/calls", home ? home : "/tmp") < 0) {
        out = NULL;
    }
    return out;
}

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) rm_rf(sub);
            else unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

char *cx_portable_call(const char *text, const char *root_arg, cx_error *err)
{
    cx_portable_token t;
    if (cx_portable_parse_token(text, &t, err)) return NULL;
    char *address = NULL, *base = NULL, *root = root_arg ? strdup(root_arg) : default_root(), *result = NULL;
    cx_buf body = CX_BUF_INIT, sha = CX_BUF_INIT, plain = CX_BUF_INIT, key = CX_BUF_INIT;
    if (!root || server_urls(t.server, &address, &base, err)) goto done;
    /* the cache folder is keyed by the whole token, as pycodex keys it */
    char hex[65];
    sha256_hex((const unsigned char *)text, strlen(text), hex);
    char dir[4096], home[4200], meta[4200], cfg[4300];
    snprintf(dir, sizeof dir, "%s/%.16s", root, hex);
    snprintf(home, sizeof home, "%s/home", dir);
    snprintf(meta, sizeof meta, "%s/metadata.json", dir);
    snprintf(cfg, sizeof cfg, "%s/config.toml", home);
    struct stat st;
    FILE *mf = fopen(meta, "rb");
    if (mf) {
        char mbuf[1024] = "";
        size_t n = fread(mbuf, 1, sizeof mbuf - 1, mf);
        fclose(mf);
        mbuf[n] = '\0';
        json_object *m = NULL;
        if (!cx_json_parse(mbuf, n, &m, NULL) && cx_json_get_str(m, "call_id") &&
            !strcmp(cx_json_get_str(m, "call_id"), t.call_id) && cx_json_get_str(m, "server_address") &&
            !strcmp(cx_json_get_str(m, "server_address"), address) && stat(cfg, &st) == 0) {
            result = strdup(home);
            json_object_put(m);
            goto done;
        }
        json_object_put(m);
    }
    char url[1024];
    snprintf(url, sizeof url, "%s/call/%s", base, t.call_id);
    long status = http("GET", url, NULL, 0, NULL, 120000, &body, &sha, err);
    if (status < 0) {
        char why[1100];
        snprintf(why, sizeof why, "%s", err->msg);
        cx_error_set(err, CX_ENET, "call download failed: %s", why);
        goto done;
    }
    if (status == 404) {
        cx_error_set(err, CX_ENOTFOUND, "call id not found: %s", t.call_id);
        goto done;
    }
    if (status >= 400) {
        cx_error_set(err, CX_ENET, "call download failed with status %ld", status);
        goto done;
    }
    char got[65];
    sha256_hex((const unsigned char *)(body.data ? body.data : ""), body.len, got);
    cx_buf_puts(&sha, "");
    if (sha.len && strcasecmp(sha.data, got)) {
        cx_error_set(err, CX_EPARSE, "downloaded bundle checksum mismatch");
        goto done;
    }
    if (cx_portable_open(t.secret, (const unsigned char *)(body.data ? body.data : ""), body.len, &plain, err)) goto done;
    /* unpack beside the cache entry, then swap it in */
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s/unpack-XXXXXX", dir);
    char mk[4200];
    snprintf(mk, sizeof mk, "%s/", dir);
    for (char *p = mk + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(mk, 0700);
            *p = '/';
        }
    if (!mkdtemp(tmp)) {
        cx_error_set(err, CX_EIO, "cannot create %s: %s", dir, strerror(errno));
        goto done;
    }
    if (cx_portable_unzip((const unsigned char *)plain.data, plain.len, tmp, err)) {
        rm_rf(tmp);
        goto done;
    }
    /* the config may sit at the top or inside one folder (a zipped home folder) */
    char found[4800];
    snprintf(found, sizeof found, "%s/config.toml", tmp);
    char src[4800];
    snprintf(src, sizeof src, "%s", tmp);
    if (stat(found, &st) != 0) {
        DIR *d = opendir(tmp);
        struct dirent *e;
        int dirs = 0;
        char only[4700] = "";
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "__MACOSX")) continue;
            dirs++;
            snprintf(only, sizeof only, "%s/%s", tmp, e->d_name);
        }
        if (d) closedir(d);
        snprintf(found, sizeof found, "%s/config.toml", only);
        if (dirs != 1 || stat(found, &st) != 0) {
            rm_rf(tmp);
            cx_error_set(err, CX_EPARSE, "bundle is missing required config file after extraction");
            goto done;
        }
        snprintf(src, sizeof src, "%s", only);
    }
    rm_rf(home);
    if (rename(src, home) != 0) {
        cx_error_set(err, CX_EIO, "cannot move the unpacked home into %s: %s", home, strerror(errno));
        rm_rf(tmp);
        goto done;
    }
    rm_rf(tmp);
    json_object *m = json_object_new_object();
    cx_json_set_str(m, "call_id", t.call_id);
    cx_json_set_str(m, "server_address", address);
    char *mt = cx_json_to_string(m);
    json_object_put(m);
    mf = fopen(meta, "wb");
    if (mf) {
        fputs(mt ? mt : "{}", mf);
        fclose(mf);
    }
    free(mt);
    result = strdup(home);
done:
    cx_portable_token_free(&t);
    cx_buf_free(&body);
    cx_buf_free(&sha);
    cx_buf_free(&plain);
    cx_buf_free(&key);
    free(address);
    free(base);
    free(root);
    return result;
}
