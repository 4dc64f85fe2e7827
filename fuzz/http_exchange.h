/* Shared by the HTTP fuzz targets: sends one input as the raw bytes of a
 * client connection to a server running on its own thread in this process,
 * half-closes, and reads the answer until the server closes or goes quiet.
 * Whatever the bytes, the server must neither crash (ASan/UBSan stop the run)
 * nor stop answering: after each input a plain request must still get 200. */
#ifndef CX_FUZZ_HTTP_EXCHANGE_H
#define CX_FUZZ_HTTP_EXCHANGE_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sends data to 127.0.0.1:port and reads the reply (at most quiet_ms of
 * silence). Returns the number of bytes read back, or -1 without a
 * connection. */
static long http_exchange(int port, const uint8_t *data, size_t size, int quiet_ms, char *first,
                          size_t first_size)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    for (size_t off = 0; off < size;) {
        ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (n <= 0) break; /* the server may answer and close before reading it all */
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    long total = 0;
    char buf[65536];
    if (first && first_size) first[0] = '\0';
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, quiet_ms) <= 0) break;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        if (first && total == 0) {
            size_t k = (size_t)n < first_size - 1 ? (size_t)n : first_size - 1;
            memcpy(first, buf, k);
            first[k] = '\0';
        }
        total += n;
    }
    close(fd);
    return total;
}

/* The server still answers a well-formed request with 200; aborts if not,
 * so the fuzzer records the input that broke it. */
static void http_still_serves(int port, const char *path)
{
    char req[256], first[64];
    int n =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n", path);
    for (int attempt = 0; attempt < 3; attempt++) {
        if (http_exchange(port, (const uint8_t *)req, (size_t)n, 2000, first, sizeof first) > 0 &&
            !strncmp(first, "HTTP/1.1 200", 12))
            return;
    }
    abort();
}

#endif
