/* The one process spawner: see proc.h. */
#include "base/clock.h"
#include "base/proc.h"

#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct cx_proc {
    pid_t pid;
    int in_fd, out_fd, err_fd;
    bool pty;
    /* kill and reap exclude each other so a signal never reaches a recycled pid */
    pthread_mutex_t mu;
    bool reaped;
    int status;
};

/* Why the child could not exec, sent through a close-on-exec pipe. */
enum { STAGE_CWD = 1, STAGE_EXEC = 2, STAGE_SETUP = 3 };

bool cx__proc_find_program(const char *name, char *out, size_t cap)
{
    if (strchr(name, '/')) {
        snprintf(out, cap, "%s", name);
        return access(out, X_OK) == 0;
    }
    for (const char *path = getenv("PATH"); path && *path;) {
        size_t n = strcspn(path, ":");
        if (n) {
            snprintf(out, cap, "%.*s/%s", (int)n, path, name);
            if (access(out, X_OK) == 0) return true;
        }
        path += n + (path[n] == ':');
    }
    return false;
}

long long cx__proc_now_ms(void)
{
    return cx__clock_ms();
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* A pseudo-terminal pair, both ends close-on-exec (the child dup2s the slave). */
static int open_pty(const cx_proc_opts *o, int *master, int *slave)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return errno;
    char name[128];
    if (grantpt(m) || unlockpt(m) || ptsname_r(m, name, sizeof name)) {
        int e = errno;
        close(m);
        return e;
    }
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        int e = errno;
        close(m);
        return e;
    }
    struct winsize ws = {.ws_row = o->rows ? o->rows : 24, .ws_col = o->cols ? o->cols : 80};
    ioctl(m, TIOCSWINSZ, &ws);
    if (o->pty_raw) {
        struct termios t;
        if (tcgetattr(s, &t) == 0) {
            t.c_lflag &= (tcflag_t)~ECHO;
            t.c_oflag &= (tcflag_t)~ONLCR;
            tcsetattr(s, TCSANOW, &t);
        }
    }
    *master = m;
    *slave = s;
    return 0;
}

/* Only async-signal-safe calls from here to exec. */
static void child_report(int fd, int stage, int e)
{
    int msg[2] = {stage, e};
    if (write(fd, msg, sizeof msg) < 0) _exit(127);
    _exit(127);
}

static void child_say(const char *what, int e)
{
    const char *why = strerror(e);
    struct iovec_like {
        const char *p;
        size_t n;
    } parts[] = {{what, strlen(what)}, {": ", 2}, {why, strlen(why)}, {"\n", 1}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (write(2, parts[i].p, parts[i].n) < 0) break;
}

static void child_main(const cx_proc_opts *o, int stdin_fd, int out_fd, int err_fd, int report)
{
    setsid();
    if (o->io == CX_PROC_IO_PTY) ioctl(stdin_fd, TIOCSCTTY, 0);
    if (o->io != CX_PROC_IO_INHERIT) {
        dup2(stdin_fd, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    static const int reset[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGHUP, SIGTSTP};
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        signal(reset[i], SIG_DFL);
    if (o->cwd && chdir(o->cwd) != 0) {
        int e = errno;
        if (!o->late_errors) child_report(report, STAGE_CWD, e);
        child_say(o->cwd, e);
        _exit(126);
    }
    if (o->child_setup) {
        int e = o->child_setup(o->child_user);
        if (e) child_report(report, STAGE_SETUP, e);
    }
    char *const *envp = o->envp ? o->envp : environ;
    if (strchr(o->argv[0], '/'))
        execve(o->argv[0], o->argv, envp);
    else
        execvpe(o->argv[0], o->argv, envp);
    int e = errno;
    if (!o->late_errors) child_report(report, STAGE_EXEC, e);
    child_say(o->argv[0], e);
    _exit(e == ENOENT ? 127 : 126);
}

int cx__proc_spawn(const cx_proc_opts *o, cx_proc **out, int *errno_out, cx_error *err)
{
    *out = NULL;
    if (errno_out) *errno_out = 0;
    if (!o->argv || !o->argv[0] || !o->argv[0][0])
        return cx_error_set(err, CX_EINVAL, "no program to run");
    cx_proc *p = calloc(1, sizeof *p);
    if (!p) return cx_error_set(err, CX_ENOMEM, "out of memory");
    p->in_fd = p->out_fd = p->err_fd = -1;
    p->pty = o->io == CX_PROC_IO_PTY;
    pthread_mutex_init(&p->mu, NULL);
    /* child ends: [0] stdin, [1] stdout, [2] stderr */
    int child[3] = {-1, -1, -1}, report[2] = {-1, -1};
    int e = 0;
    if (p->pty) {
        int m = -1, s = -1;
        e = open_pty(o, &m, &s);
        if (!e) {
            p->in_fd = p->out_fd = m;
            child[0] = s;
            child[1] = dup(s);
            child[2] = dup(s);
            if (child[1] < 0 || child[2] < 0) e = errno;
        }
    } else if (o->io != CX_PROC_IO_INHERIT) {
        int pi[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1};
        if (o->stdin_pipe ? pipe2(pi, O_CLOEXEC)
                          : (pi[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
            e = errno;
        if (!e && pipe2(po, O_CLOEXEC)) e = errno;
        if (!e && o->io == CX_PROC_IO_SPLIT && pipe2(pe, O_CLOEXEC)) e = errno;
        if (!e && o->io == CX_PROC_IO_DISCARD_ERR &&
            (pe[1] = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
            e = errno;
        if (!e && o->io == CX_PROC_IO_MERGED && (pe[1] = dup(po[1])) < 0) e = errno;
        child[0] = pi[0];
        child[1] = po[1];
        child[2] = pe[1];
        p->in_fd = pi[1];
        p->out_fd = po[0];
        p->err_fd = pe[0];
    }
    if (!e && pipe2(report, O_CLOEXEC)) e = errno;
    if (e) {
        for (int i = 0; i < 3; i++)
            close_fd(&child[i]);
        cx__proc_free(p);
        if (errno_out) *errno_out = e;
        return cx_error_set(err, CX_EIO, "cannot create the child's streams: %s", strerror(e));
    }
    pid_t pid = fork();
    if (pid == 0) child_main(o, child[0], child[1], child[2], report[1]);
    int fork_err = errno;
    for (int i = 0; i < 3; i++)
        close_fd(&child[i]);
    close_fd(&report[1]);
    if (pid < 0) {
        close_fd(&report[0]);
        p->reaped = true;
        cx__proc_free(p);
        if (errno_out) *errno_out = fork_err;
        return cx_error_set(err, CX_EIO, "fork: %s", strerror(fork_err));
    }
    p->pid = pid;
    int msg[2];
    ssize_t got;
    do {
        got = read(report[0], msg, sizeof msg);
    } while (got < 0 && errno == EINTR);
    close_fd(&report[0]);
    if (got != (ssize_t)sizeof msg) { /* EOF: the exec happened */
        *out = p;
        return 0;
    }
    int status;
    cx__proc_wait(p, true, &status);
    cx__proc_free(p);
    if (errno_out) *errno_out = msg[1];
    int code = msg[1] == ENOENT || msg[1] == ENOTDIR ? CX_ENOTFOUND : CX_EIO;
    if (msg[0] == STAGE_CWD)
        return cx_error_set(err, code, "working directory %s: %s", o->cwd, strerror(msg[1]));
    if (msg[0] == STAGE_SETUP)
        return cx_error_set(err, CX_EIO, "%s failed: %s",
                            o->setup_what ? o->setup_what : "preparing the child",
                            strerror(msg[1]));
    return cx_error_set(err, code, "%s: %s", o->argv[0], strerror(msg[1]));
}

pid_t cx__proc_pid(const cx_proc *p)
{
    return p->pid;
}

int cx__proc_stdin_fd(const cx_proc *p)
{
    return p->in_fd;
}

int cx__proc_stdout_fd(const cx_proc *p)
{
    return p->out_fd;
}

int cx__proc_stderr_fd(const cx_proc *p)
{
    return p->err_fd;
}

void cx__proc_close_stdin(cx_proc *p)
{
    if (!p->pty) close_fd(&p->in_fd);
}

void cx__proc_take_fds(cx_proc *p, int *in_fd, int *out_fd, int *err_fd)
{
    if (in_fd) *in_fd = p->in_fd;
    if (out_fd) *out_fd = p->out_fd;
    if (err_fd) *err_fd = p->err_fd;
    p->in_fd = p->out_fd = p->err_fd = -1;
}

void cx__proc_kill(cx_proc *p, int sig)
{
    pthread_mutex_lock(&p->mu);
    /* once the leader is reaped its pid stays reserved while the group has members */
    if (kill(-p->pid, sig) != 0 && !p->reaped) kill(p->pid, sig);
    pthread_mutex_unlock(&p->mu);
}

int cx__proc_wait(cx_proc *p, bool block, int *status)
{
    pthread_mutex_lock(&p->mu);
    bool done = p->reaped;
    pthread_mutex_unlock(&p->mu);
    if (!done && block) {
        /* wait without reaping, so a concurrent kill still sees a live pid */
        siginfo_t si;
        while (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
        }
    }
    pthread_mutex_lock(&p->mu);
    int rc = 1;
    if (!p->reaped) {
        pid_t r;
        do {
            r = waitpid(p->pid, &p->status, block ? 0 : WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r == p->pid)
            p->reaped = true;
        else
            rc = r == 0 ? 0 : -1;
    }
    if (rc == 1 && status) *status = p->status;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int cx__proc_exit_code(int status)
{
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

void cx__proc_free(cx_proc *p)
{
    if (!p) return;
    if (p->pid > 0 && !p->reaped) {
        cx__proc_kill(p, SIGKILL);
        cx__proc_wait(p, true, NULL);
    }
    if (p->in_fd == p->out_fd) p->in_fd = -1; /* PTY master: one descriptor */
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* ---- run to completion --------------------------------------------------------------------- */

int cx__proc_run(const cx_proc_opts *o, const cx_proc_run_opts *r, cx_proc_result *res,
                 int *errno_out, cx_error *err)
{
    memset(res, 0, sizeof *res);
    long long t0 = cx__proc_now_ms();
    cx_proc *p = NULL;
    int rc = cx__proc_spawn(o, &p, errno_out, err);
    if (rc || !p) return rc ? rc : CX_EIO;
    long long deadline = r->timeout_ms > 0 ? t0 + r->timeout_ms : -1;
    long long drain_until = -1;
    bool exited = false, stop = false, final_pass = false;
    int final_reads = 0;
    struct pollfd fds[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
    int nfds = p->err_fd >= 0 ? 2 : 1, open_fds = nfds;
    char chunk[65536];
    while (!stop) {
        if (!exited && cx__proc_wait(p, false, NULL) == 1) {
            exited = true;
            drain_until = r->drain_ms >= 0 ? cx__proc_now_ms() + r->drain_ms : deadline;
        }
        if (exited && open_fds == 0) break;
        long long now = cx__proc_now_ms();
        if (!exited && deadline >= 0 && now >= deadline) {
            res->timed_out = true;
            break;
        }
        if (r->cancel && atomic_load(r->cancel)) {
            res->cancelled = true;
            break;
        }
        /* the drain is over: take what is already buffered, then stop */
        if (exited && drain_until >= 0 && now >= drain_until) final_pass = true;
        long wait = 50; /* keep noticing cancel and exit promptly */
        long long until = exited ? drain_until : deadline;
        if (until >= 0 && until - now < wait) wait = (long)(until - now);
        if (open_fds == 0 && final_pass) break;
        if (open_fds == 0) {
            /* nothing left to read: the child is still running with closed streams */
            struct timespec ts = {0, wait * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (final_pass && final_reads++ >= 64) break;
        int pr = poll(fds, (nfds_t)nfds, final_pass ? 0 : (int)wait);
        if (pr <= 0) {
            if (final_pass) break;
            continue;
        }
        for (int k = 0; k < nfds && !stop; k++) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[k].fd, chunk, sizeof chunk);
            if (n > 0) {
                if (r->on_output && r->on_output(r->user, k + 1, chunk, (size_t)n)) {
                    res->cancelled = true;
                    stop = true;
                }
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                fds[k].fd = -1; /* every writer is gone (EIO: a PTY's child side closed) */
                open_fds--;
            }
        }
    }
    /* a timeout, a cancel or the end of the drain: nothing of the group stays */
    cx__proc_kill(p, SIGKILL);
    cx__proc_wait(p, true, &res->status);
    res->elapsed_ms = cx__proc_now_ms() - t0;
    res->exit_code = res->timed_out ? 124 : cx__proc_exit_code(res->status);
    cx__proc_free(p);
    return 0;
}
