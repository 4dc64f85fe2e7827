/* The scripted loopback HTTP server of the unit tests (httpd.h). */
#include "httpd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"

#define MAX_REQUESTS 64

struct cx_test_httpd {
    int listener, port;
    const cx_test_reply *replies;
    size_t n_replies;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t mu;
    char *requests[MAX_REQUESTS];
    size_t n_requests;
    char url[512];
};

/* Reads one request: the head, then Content-Length bytes of body. */
static char *read_request(cx_test_httpd *h, int fd)
{
    cx_buf b = CX_BUF_INIT;
    size_t want = 0;
    bool head_done = false;
    while (!atomic_load(&h->stop)) {
        if (head_done && b.len >= want) break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) break;
        cx__buf_append(&b, chunk, (size_t)n);
        const char *end = head_done ? NULL : strstr(cx__buf_str(&b), "\r\n\r\n");
        if (end) {
            head_done = true;
            size_t head = (size_t)(end - b.data) + 4, body = 0;
            const char *cl = strcasestr(b.data, "\r\nContent-Length:");
            if (cl && cl < end) body = strtoul(cl + 17, NULL, 10);
            want = head + body;
        }
    }
    return cx__buf_steal(&b);
}

static void write_all(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
        if (n <= 0) return;
        s += n;
        len -= (size_t)n;
    }
}

static void answer(cx_test_httpd *h, int fd, const cx_test_reply *r)
{
    static const cx_test_reply missing = {"500 Internal Server Error", NULL, "no reply scripted",
                                          false, 0};
    if (!r) r = &missing;
    const char *body = r->body ? r->body : "";
    cx_buf b = CX_BUF_INIT;
    cx__buf_printf(&b, "HTTP/1.1 %s\r\nConnection: close\r\n%s", r->status,
                   r->headers ? r->headers : "");
    if (!r->until_close) cx__buf_printf(&b, "Content-Length: %zu\r\n", strlen(body));
    cx__buf_printf(&b, "\r\n%s", body);
    write_all(fd, b.data, b.len);
    cx__buf_free(&b);
    /* the stall ends early when the client hangs up (one connection at a time) */
    long long until = cx__clock_ms() + r->stall_ms;
    while (cx__clock_ms() < until && !atomic_load(&h->stop)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10) <= 0) continue;
        char sink[512];
        if (read(fd, sink, sizeof sink) <= 0) break;
    }
}

static void *serve(void *arg)
{
    cx_test_httpd *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd p = {h->listener, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(h->listener, NULL, NULL);
        if (fd < 0) continue;
        char *req = read_request(h, fd);
        pthread_mutex_lock(&h->mu);
        size_t i = h->n_requests;
        if (i < MAX_REQUESTS) h->requests[h->n_requests++] = req;
        pthread_mutex_unlock(&h->mu);
        if (i >= MAX_REQUESTS) free(req);
        answer(h, fd, i < h->n_replies ? &h->replies[i] : NULL);
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
    return NULL;
}

cx_test_httpd *cx_test_httpd_start(const cx_test_reply *replies, size_t n)
{
    cx_test_httpd *h = calloc(1, sizeof *h);
    if (!h) fail_msg("out of memory");
    h->replies = replies;
    h->n_replies = n;
    pthread_mutex_init(&h->mu, NULL);
    h->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (h->listener < 0 || bind(h->listener, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(h->listener, 16) != 0 || getsockname(h->listener, (struct sockaddr *)&a, &alen) != 0)
        fail_msg("test server: %s", strerror(errno));
    h->port = ntohs(a.sin_port);
    if (pthread_create(&h->thread, NULL, serve, h) != 0) fail_msg("test server: no thread");
    return h;
}

const char *cx_test_httpd_url(cx_test_httpd *h, const char *path)
{
    snprintf(h->url, sizeof h->url, "http://127.0.0.1:%d%s", h->port, path ? path : "");
    return h->url;
}

size_t cx_test_httpd_count(cx_test_httpd *h)
{
    pthread_mutex_lock(&h->mu);
    size_t n = h->n_requests;
    pthread_mutex_unlock(&h->mu);
    return n;
}

char *cx_test_httpd_request(cx_test_httpd *h, size_t i)
{
    pthread_mutex_lock(&h->mu);
    char *r = i < h->n_requests && h->requests[i] ? strdup(h->requests[i]) : NULL;
    pthread_mutex_unlock(&h->mu);
    return r;
}

void cx_test_httpd_stop(cx_test_httpd *h)
{
    if (!h) return;
    atomic_store(&h->stop, true);
    pthread_join(h->thread, NULL);
    close(h->listener);
    for (size_t i = 0; i < h->n_requests; i++)
        free(h->requests[i]);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
