/* Listening sockets: see net.h. */
#include "base/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <pthread.h>
#include <unistd.h>

/* with libevent's default backlog, 50 clients connecting at once took seconds */
#define LISTEN_BACKLOG 511

int cx__net_listen(const char *host, int port, int *bound, cx_error *err)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        cx_error_set(err, CX_EINVAL,
                     "cannot listen on '%s': give an IPv4 address such as 127.0.0.1", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        cx_error_set(err, CX_EIO, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *bound = ntohs(sa.sin_port);
    return fd;
}

int cx__net_write_all(int fd, const void *data, size_t len)
{
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    const char *p = data;
    int rc = 0, saved = 0;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            rc = -1;
            saved = errno;
            break;
        }
        p += w;
        len -= (size_t)w;
    }
    if (rc && saved == EPIPE) {
        /* take the SIGPIPE this write raised before unblocking */
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &zero) > 0) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return rc;
}
