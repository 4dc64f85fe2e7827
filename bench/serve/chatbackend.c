/* A fast fake Chat Completions backend for the responses-server benchmark:
 * every POST .../chat/completions streams N content chunks then [DONE]. One
 * libevent loop; the whole stream is prepared once and sent per request.
 * usage: chatbackend PORT [EVENTS] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct {
    char *body;
    size_t len;
} stream;

static void on_request(struct evhttp_request *req, void *arg)
{
    stream *s = arg;
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        struct evbuffer *b = evbuffer_new();
        evbuffer_add_printf(b, "{\"object\":\"list\",\"data\":[{\"id\":\"bench\"}]}");
        evhttp_send_reply(req, 200, "OK", b);
        evbuffer_free(b);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/event-stream");
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_reference(b, s->body, s->len, NULL, NULL);
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: chatbackend PORT [EVENTS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int events = argc > 2 ? atoi(argv[2]) : 1000;
    size_t cap = (size_t)events * 200 + 256, len = 0;
    char *body = malloc(cap);
    for (int i = 0; i < events; i++)
        len += (size_t)snprintf(
            body + len, cap - len,
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
            "\"delta\":{\"content\":\"t%d \"},\"finish_reason\":null}]}\n\n",
            i % 10);
    len += (size_t)snprintf(
        body + len, cap - len,
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\n"
        "data: [DONE]\n\n",
        events, events + 10);
    stream s = {body, len};
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_gencb(http, on_request, &s);
    /* our own socket: libevent's default listen backlog is too small for 500 clients */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* accepted sockets inherit it (Linux): a stream's last segment must not
       wait for the delayed ACK of the one before, or the backend, not the
       server measured, limits a keep-alive connection to ~25 streams/s */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0 ||
        !evhttp_accept_socket_with_handle(http, fd)) {
        fprintf(stderr, "cannot listen on port %d\n", port);
        return 1;
    }
    fprintf(stderr, "chatbackend on %d, %d events per stream\n", port, events);
    event_base_dispatch(base);
    return 0;
}
