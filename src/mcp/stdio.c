/* The stdio transport: the server is a child process speaking
 * newline-delimited JSON-RPC on its stdin/stdout. A reader thread frames its
 * output (bounded lines) and hands messages to the rpc; a stop pipe lets
 * shutdown end the thread even when the child keeps its stdout open. */
#include "mcp/transport.h"

#include "base/net.h"
#include "base/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cx_mcp_stdio {
    cx_proc *proc;   /* the server (its own process group) */
    bool terminated; /* SIGTERM was sent */
    int to_child;    /* child's stdin */
    int from_child;  /* child's stdout */
    int stop[2];     /* written at shutdown to wake the reader */
    pthread_t reader;
    bool reader_started;
    pthread_mutex_t write_lock;
    cx_mcp_rpc *rpc;
    cx_mcp_lines lines;
};

/* Writes in pieces of at most PIPE_BUF once the pipe has room, so a child
 * that stops reading cannot block a caller past its deadline. */
static int write_bounded(int fd, const char *p, size_t len, int64_t deadline)
{
    while (len) {
        int wait_ms = 1000;
        if (deadline) {
            int64_t left = deadline - cx__mcp_now_ms();
            if (left <= 0) return CX_ETIMEOUT;
            if (left < wait_ms) wait_ms = (int)left;
        }
        struct pollfd pfd = {fd, POLLOUT, 0};
        int pr = poll(&pfd, 1, wait_ms);
        if (pr < 0 && errno != EINTR) return CX_ENET;
        if (pr <= 0) continue;
        if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) return CX_ENET;
        size_t n = len < PIPE_BUF ? len : PIPE_BUF;
        if (cx__net_write_all(fd, p, n) != 0) return CX_ENET;
        p += n;
        len -= n;
    }
    return 0;
}

static int stdio_send(void *t, const char *msg, size_t len, int64_t deadline, cx_error *err)
{
    cx_mcp_stdio *s = t;
    pthread_mutex_lock(&s->write_lock);
    int rc = write_bounded(s->to_child, msg, len, deadline);
    if (rc == 0) rc = write_bounded(s->to_child, "\n", 1, deadline);
    pthread_mutex_unlock(&s->write_lock);
    if (rc == CX_ETIMEOUT) return cx_error_set(err, rc, "timed out writing to the MCP server");
    if (rc != 0) return cx_error_set(err, CX_ENET, "connection closed");
    return 0;
}

static void on_line(void *user, const char *line, size_t len)
{
    cx_mcp_stdio *s = user;
    cx__mcp_rpc_deliver(s->rpc, line, len);
}

static void *reader_main(void *arg)
{
    cx_mcp_stdio *s = arg;
    char buf[65536];
    for (;;) {
        struct pollfd fds[2] = {{s->from_child, POLLIN, 0}, {s->stop[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[1].revents) break;
        ssize_t n = read(s->from_child, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) break;
        if (cx__mcp_lines_feed(&s->lines, buf, (size_t)n, on_line, s) != 0) break;
    }
    cx__mcp_rpc_closed(s->rpc, "connection closed");
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

cx_mcp_stdio *cx__mcp_stdio_start(const cx_mcp_stdio_opts *o, cx_error *err)
{
    cx_mcp_stdio *s = calloc(1, sizeof *s);
    if (!s) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    s->to_child = s->from_child = s->stop[0] = s->stop[1] = -1;
    pthread_mutex_init(&s->write_lock, NULL);
    cx__mcp_lines_init(&s->lines, CX_MCP_MAX_MESSAGE);
    if (pipe2(s->stop, O_CLOEXEC)) {
        cx_error_set(err, CX_EIO, "%s (os error %d)", strerror(errno), errno);
        cx__mcp_stdio_free(s);
        return NULL;
    }
    size_t n = 0;
    while (o->args && o->args[n])
        n++;
    char **argv = calloc(n + 2, sizeof *argv);
    if (!argv) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        cx__mcp_stdio_free(s);
        return NULL;
    }
    argv[0] = (char *)o->command;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)o->args[i];
    /* stdin/stdout are the message pipes; the server's stderr is not shown */
    cx_proc_opts po = {.argv = argv,
                       .envp = (char *const *)o->envp,
                       .cwd = o->cwd,
                       .io = CX_PROC_IO_DISCARD_ERR,
                       .stdin_pipe = true};
    int spawn_errno = 0;
    cx_error perr;
    int rc = cx__proc_spawn(&po, &s->proc, &spawn_errno, &perr);
    free(argv);
    if (rc != 0) {
        /* upstream words OS errors as Rust's io::Error prints them */
        if (spawn_errno)
            cx_error_set(err, CX_ENOTFOUND, "%s (os error %d)", strerror(spawn_errno), spawn_errno);
        else
            cx_error_set(err, rc, "%s", perr.msg);
        cx__mcp_stdio_free(s);
        return NULL;
    }
    int err_fd = -1;
    cx__proc_take_fds(s->proc, &s->to_child, &s->from_child, &err_fd);
    if (err_fd >= 0) close(err_fd);
    s->rpc = cx__mcp_rpc_new(stdio_send, s);
    if (!s->rpc || pthread_create(&s->reader, NULL, reader_main, s) != 0) {
        cx_error_set(err, CX_ENOMEM, "cannot start the MCP reader");
        cx__mcp_stdio_free(s);
        return NULL;
    }
    s->reader_started = true;
    return s;
}

cx_mcp_rpc *cx__mcp_stdio_rpc(cx_mcp_stdio *s)
{
    return s->rpc;
}

/* Waits up to ms for the server to exit; true when reaped. */
static bool reap(cx_proc *p, int ms)
{
    int status;
    for (int waited = 0; waited <= ms; waited += 10) {
        if (cx__proc_wait(p, false, &status) != 0) return true;
        usleep(10000);
    }
    return false;
}

void cx__mcp_stdio_terminate(cx_mcp_stdio *s)
{
    if (s && s->proc && !s->terminated) {
        cx__proc_kill(s->proc, SIGTERM);
        s->terminated = true;
    }
}

void cx__mcp_stdio_kill(cx_mcp_stdio *s)
{
    if (s && s->proc) {
        cx__proc_kill(s->proc, SIGKILL);
        reap(s->proc, 2000);
        cx__proc_free(s->proc);
        s->proc = NULL;
    }
}

void cx__mcp_stdio_free(cx_mcp_stdio *s)
{
    if (!s) return;
    if (s->proc) {
        /* upstream sends SIGTERM without closing stdin first */
        cx__mcp_stdio_terminate(s);
        if (!reap(s->proc, 2000)) {
            cx__proc_kill(s->proc, SIGKILL);
            reap(s->proc, 2000);
        }
        cx__proc_free(s->proc);
    }
    if (s->reader_started) {
        if (s->stop[1] >= 0) {
            ssize_t w = write(s->stop[1], "x", 1);
            (void)w;
        }
        pthread_join(s->reader, NULL);
    }
    cx__mcp_rpc_free(s->rpc);
    close_fd(&s->to_child);
    close_fd(&s->from_child);
    close_fd(&s->stop[0]);
    close_fd(&s->stop[1]);
    cx__mcp_lines_free(&s->lines);
    pthread_mutex_destroy(&s->write_lock);
    free(s);
}
