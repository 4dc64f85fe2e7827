/* The storage server: evhttp on one loop, objects as files. See
 * storage_server.h. */
#include "portable/storage_server.h"

#include "base/buf.h"
#include "base/escape.h"
#include "httpd/http_guard.h"
#include "base/net.h"
#include "portable/bundle.h"
#include "portable/seal.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define API_PREFIX "/v1/storage"
#define CALL_PREFIX API_PREFIX "/call/"

struct cx_storage_server {
    struct event_base *base;
    struct evhttp *http;
    struct event *wake;
    int wake_fds[2];
    int port;
    char *root, *objects;
    char *address; /* host:port, the "call" field's fallback when no Host header came */
    cx_storage_log log;
    void *log_user;
    cx_http_guard *guard;
    pthread_t thread;
    bool threaded;
};

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 501:
        return "Not Implemented";
    default:
        return "Internal Server Error";
    }
}

/* A JSON string the way Python's json.dumps writes it (ensure_ascii): the
 * server's answers then match pycodex's byte for byte. Header bytes above
 * 0x7f are Latin-1 to Python's http.server, hence one \u00XX each. */
static void json_str(cx_buf *b, const char *s)
{
    cx__escape_quoted(b, s, strlen(s), CX_ESC_PYTHON);
}

static void send_json(struct evhttp_request *req, int status, const char *json)
{
    struct evbuffer *b = evbuffer_new();
    if (b) evbuffer_add(b, json, strlen(json));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, status, reason(status), b);
    if (b) evbuffer_free(b);
}

static void send_error(struct evhttp_request *req, int status, const char *message)
{
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "{\"error\": ");
    json_str(&b, message);
    cx__buf_putc(&b, '}');
    send_json(req, status, cx__buf_str(&b));
    cx__buf_free(&b);
}

static void say(cx_storage_server *s, struct evhttp_request *req, const char *what, const char *id,
                const char *status, const char *path)
{
    if (!s->log) return;
    char *peer = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer, &port);
    cx_buf line = CX_BUF_INIT;
    cx__buf_printf(&line, "[server] %s: client=%s call_id=%s", what, peer ? peer : "?", id);
    if (status) cx__buf_printf(&line, " status=%s", status);
    cx__buf_printf(&line, " path=%s", path);
    if (!cx__buf_failed(&line)) s->log(s->log_user, line.data);
    cx__buf_free(&line);
}

/* Writes next to the final name and renames, so a reader never sees half an
 * object. Returns true when path holds payload afterwards. */
static bool store(const char *path, const unsigned char *payload, size_t len)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.partial-%d", path, (int)getpid()) < 0) return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    for (size_t done = 0; ok && done < len;) {
        ssize_t n = write(fd, payload + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            ok = false;
        else
            done += (size_t)n;
    }
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) unlink(tmp);
    free(tmp);
    return ok;
}

/* One download in flight: the object is sent in DOWNLOAD_PIECE slices, the
 * next read only once evhttp has written the previous one to the socket, so
 * a slow reader holds one slice, not the object (issue 7 #6). */
#define DOWNLOAD_PIECE (256 * 1024)

typedef struct download {
    struct evhttp_request *req;
    struct evhttp_connection *conn;
    int fd;
    off_t left;
} download;

static void download_free(download *d)
{
    close(d->fd);
    free(d);
}

/* The client went away mid-object. libevent leaves a request it was still
 * sending detached from the connection for us to free; one still attached
 * goes with the connection. */
static void download_closed(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    download *d = arg;
    if (!evhttp_request_get_connection(d->req)) evhttp_request_free(d->req);
    download_free(d);
}

static void download_next(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    download *d = arg;
    struct evbuffer *b = evbuffer_new();
    struct evbuffer_iovec v;
    ssize_t n = 0;
    if (b && d->left > 0 && evbuffer_reserve_space(b, DOWNLOAD_PIECE, &v, 1) == 1) {
        /* read straight into the buffer evhttp will send from */
        size_t want = d->left < (off_t)v.iov_len ? (size_t)d->left : v.iov_len;
        do
            n = read(d->fd, v.iov_base, want);
        while (n < 0 && errno == EINTR);
        v.iov_len = n > 0 ? (size_t)n : 0;
        evbuffer_commit_space(b, &v, 1);
    }
    if (n <= 0) {
        /* all sent, or the file shrank or failed under us: the client sees a short
           body against Content-Length and the checksum header, never a wrong one */
        if (b) evbuffer_free(b);
        evhttp_connection_set_closecb(d->conn, NULL, NULL);
        evhttp_send_reply_end(d->req);
        download_free(d);
        return;
    }
    d->left -= n;
    evhttp_send_reply_chunk_with_cb(d->req, b, download_next, d);
    evbuffer_free(b);
}

/* The side file remembering an object's SHA-256 for one version of it:
 * "<hex> <size> <mtime s>.<mtime ns>". A changed file does not match and is
 * hashed again, as pycodex hashes on every download. */
static void side_line(const struct stat *st, const char *sha, char *out, size_t size)
{
    snprintf(out, size, "%.64s %lld %lld.%09ld\n", sha, (long long)st->st_size,
             (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
}

/* The object's SHA-256 (hex), from the side file when it describes this
 * version of the object, else computed in slices and remembered. A reader
 * of a large object then does not stall the loop hashing it each time.
 * fd is left at offset 0. */
static int object_sha(const char *path, int fd, const struct stat *st, char sha[65])
{
    char *side = NULL;
    if (asprintf(&side, "%.*s.sha256", (int)(strlen(path) - 4), path) < 0) return CX_ENOMEM;
    int rc = 0;
    char have[160] = "", want[160];
    int sfd = open(side, O_RDONLY | O_CLOEXEC);
    ssize_t got = sfd >= 0 ? read(sfd, have, sizeof have - 1) : -1;
    if (sfd >= 0) close(sfd);
    if (got > 0) have[got] = '\0';
    side_line(st, have, want, sizeof want);
    if (got > 64 && !strcmp(have, want) && strspn(have, "0123456789abcdef") == 64) {
        memcpy(sha, have, 64);
        sha[64] = '\0';
    } else {
        rc = cx__seal_sha256_fd_hex(fd, sha);
        side_line(st, sha, want, sizeof want);
        if (!rc) store(side, (const unsigned char *)want, strlen(want));
    }
    free(side);
    if (!rc && lseek(fd, 0, SEEK_SET) != 0) rc = CX_EIO;
    return rc;
}

static void serve_call(cx_storage_server *s, struct evhttp_request *req, const char *raw_id)
{
    char *id = evhttp_uridecode(raw_id, 0, NULL);
    /* pycodex strips the decoded id; do the same before judging it */
    char *start = id, *end = id ? id + strlen(id) : NULL;
    while (start && (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n'))
        start++;
    while (end && end > start &&
           (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        *--end = '\0';
    char *path = NULL;
    int fd = -1;
    struct stat st;
    bool found = false;
    if (start && cx__seal_is_base58(start) && strlen(start) <= 64) {
        if (asprintf(&path, "%s/%s.bin", s->objects, start) < 0) path = NULL;
        if (path && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
            found = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    }
    char sha[65];
    download *d = NULL;
    if (!start || !*start) {
        send_error(req, 400, "missing call_id");
    } else if (!found) {
        send_error(req, 404, "not found");
    } else if (object_sha(path, fd, &st, sha) != 0 || !(d = calloc(1, sizeof *d))) {
        send_error(req, 500, "cannot read the object");
    } else {
        say(s, req, "call", start, NULL, path);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        char len[32];
        snprintf(len, sizeof len, "%lld", (long long)st.st_size);
        evhttp_add_header(h, "Content-Type", "application/octet-stream");
        evhttp_add_header(h, "Content-Length", len); /* a plain body, not chunked */
        evhttp_add_header(h, "X-Pycodex-Sha256", sha);
        evhttp_add_header(h, "X-Pycodex-Call-Id", start);
        *d = (download){req, evhttp_request_get_connection(req), fd, st.st_size};
        fd = -1; /* the download owns it now */
        evhttp_connection_set_closecb(d->conn, download_closed, d);
        evhttp_send_reply_start(req, 200, "OK");
        download_next(d->conn, d);
    }
    if (fd >= 0) close(fd);
    free(path);
    free(id);
}

static void serve_put(cx_storage_server *s, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (!len) {
        send_error(req, 400, "empty body");
        return;
    }
    const unsigned char *payload = evbuffer_pullup(in, -1);
    if (!payload) {
        send_error(req, 500, "out of memory");
        return;
    }
    char sha[65];
    cx__seal_sha256_hex(payload, len, sha);
    const char *want =
        evhttp_find_header(evhttp_request_get_input_headers(req), "X-Pycodex-Sha256");
    while (want && *want == ' ')
        want++;
    if (want && *want && strcasecmp(want, sha)) {
        send_error(req, 400, "checksum mismatch");
        return;
    }
    cx_buf id = CX_BUF_INIT, answer = CX_BUF_INIT, call = CX_BUF_INIT;
    char *path = NULL;
    struct stat st;
    if (cx__seal_call_id(payload, len, &id) ||
        asprintf(&path, "%s/%s.bin", s->objects, cx__buf_str(&id)) < 0) {
        path = NULL;
        send_error(req, 500, "out of memory");
    } else {
        bool exists = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        if (!exists && !store(path, payload, len)) {
            send_error(req, 500, "cannot store the object");
        } else {
            say(s, req, "put", id.data, exists ? "reused" : "stored", path);
            const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
            cx__buf_printf(&call, "%s@%s", id.data, host && *host ? host : s->address);
            cx__buf_puts(&answer, "{\"call_id\": ");
            json_str(&answer, id.data);
            cx__buf_puts(&answer, ", \"call\": ");
            json_str(&answer, cx__buf_str(&call));
            cx__buf_putc(&answer, '}');
            if (cx__buf_failed(&answer))
                send_error(req, 500, "out of memory");
            else
                send_json(req, 200, answer.data);
        }
    }
    free(path);
    cx__buf_free(&id);
    cx__buf_free(&answer);
    cx__buf_free(&call);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    cx_storage_server *s = arg;
    const char *uri = evhttp_request_get_uri(req);
    size_t plen = strcspn(uri, "?#");
    char *path = strndup(uri, plen);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cx__http_guard_refuse(req))
        ;
    else if (!path)
        send_error(req, 500, "out of memory");
    else if (cmd == EVHTTP_REQ_GET && !strcmp(path, "/healthz"))
        send_json(req, 200, "{\"ok\": true}");
    else if (cmd == EVHTTP_REQ_GET && !strncmp(path, CALL_PREFIX, strlen(CALL_PREFIX)))
        serve_call(s, req, path + strlen(CALL_PREFIX));
    else if (cmd == EVHTTP_REQ_POST && !strcmp(path, API_PREFIX "/put"))
        serve_put(s, req);
    else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST)
        send_error(req, 501, "unsupported method");
    else
        send_error(req, 404, "not found");
    free(path);
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

cx_storage_server *cx__storage_server_new(const char *host, int port, const char *root,
                                          cx_storage_log log, void *user, cx_error *err)
{
    cx_storage_server *s = calloc(1, sizeof *s);
    if (!s) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    s->wake_fds[0] = s->wake_fds[1] = -1;
    s->log = log;
    s->log_user = user;
    char *objects = NULL;
    if (asprintf(&objects, "%s/objects", root) < 0) objects = NULL;
    int e = objects ? cx__bundle_mkdirs(objects, 0755) : ENOMEM;
    free(objects);
    if (e || !(s->root = realpath(root, NULL)) ||
        asprintf(&s->objects, "%s/objects", s->root) < 0) {
        s->objects = NULL;
        cx_error_set(err, CX_EIO, "cannot create the storage folder %s/objects: %s", root,
                     strerror(e ? e : errno));
        cx__storage_server_free(s);
        return NULL;
    }
    int fd = cx__net_listen(host, port, &s->port, err);
    if (fd < 0) {
        cx__storage_server_free(s);
        return NULL;
    }
    if (asprintf(&s->address, "%s:%d", host, s->port) < 0) s->address = NULL;
    s->base = event_base_new();
    s->http = s->base ? evhttp_new(s->base) : NULL;
    struct evhttp_bound_socket *bound = NULL;
    bool listening = s->address && s->http && pipe2(s->wake_fds, O_CLOEXEC | O_NONBLOCK) == 0 &&
                     (bound = evhttp_accept_socket_with_handle(s->http, fd)) != NULL;
    if (!listening) close(fd); /* evhttp owns it only once accepted */
    if (!listening || !(s->guard = cx__http_guard_new(s->base, s->http, bound, log, user)) ||
        !(s->wake = event_new(s->base, s->wake_fds[0], EV_READ | EV_PERSIST, on_wake, s)) ||
        event_add(s->wake, NULL) != 0) {
        cx_error_set(err, CX_EIO, "cannot set up the storage server");
        cx__storage_server_free(s);
        return NULL;
    }
    evhttp_set_max_body_size(s->http, CX_STORAGE_MAX_BODY);
    evhttp_set_timeout(s->http, 120);
    evhttp_set_gencb(s->http, on_request, s);
    return s;
}

int cx__storage_server_port(const cx_storage_server *s)
{
    return s->port;
}

const char *cx__storage_server_root(const cx_storage_server *s)
{
    return s->root;
}

void cx__storage_server_run(cx_storage_server *s)
{
    event_base_dispatch(s->base);
}

static void *serve_thread(void *arg)
{
    cx__storage_server_run(arg);
    return NULL;
}

int cx__storage_server_start(cx_storage_server *s)
{
    if (pthread_create(&s->thread, NULL, serve_thread, s) != 0) return CX_EIO;
    s->threaded = true;
    return 0;
}

void cx__storage_server_stop(cx_storage_server *s)
{
    if (s && s->wake_fds[1] >= 0) {
        ssize_t w = write(s->wake_fds[1], "x", 1); /* async-signal-safe */
        (void)w;
    }
}

void cx__storage_server_free(cx_storage_server *s)
{
    if (!s) return;
    if (s->threaded) {
        cx__storage_server_stop(s);
        pthread_join(s->thread, NULL);
    }
    if (s->wake) event_free(s->wake);
    cx__http_guard_free(s->guard);
    if (s->http) evhttp_free(s->http);
    if (s->base) event_base_free(s->base);
    if (s->wake_fds[0] >= 0) close(s->wake_fds[0]);
    if (s->wake_fds[1] >= 0) close(s->wake_fds[1]);
    free(s->root);
    free(s->objects);
    free(s->address);
    free(s);
}
