/* The one process spawner. Every program ccodex starts for the agent (shell
 * tools, exec sessions, code mode's Node.js, grep_files' rg) and for itself
 * (git) goes through cx__proc_spawn, so that process groups, pipes or a PTY,
 * signal dispositions, the environment, reaping and the sandbox hook are
 * handled in one place.
 *
 * The child always gets its own session and process group (setsid), an empty
 * signal mask and default dispositions for the signals a parent commonly
 * ignores (SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGHUP), so signals
 * reach every process it starts and a timeout or cancel kills the whole group.
 *
 * cx__proc_spawn returns only once the program was exec'd: a missing program,
 * a bad working directory or a failing child_setup hook is reported as an
 * error before any of the program's own code ran (unless late_errors asks
 * for a shell's behaviour instead).
 *
 * Threads: a cx_proc is used by one thread at a time, except cx__proc_kill
 * which any thread may call while another waits. */
#ifndef CX_BASE_PROC_H
#define CX_BASE_PROC_H

#include "ccodex/error.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum cx_proc_io {
    CX_PROC_IO_MERGED,      /* stdout and stderr into one pipe, in arrival order */
    CX_PROC_IO_SPLIT,       /* stdout and stderr on separate pipes */
    CX_PROC_IO_DISCARD_ERR, /* stdout piped, stderr to /dev/null */
    CX_PROC_IO_PTY,         /* a new pseudo-terminal for all three, the child's ctty */
    CX_PROC_IO_INHERIT,     /* the parent's own stdin, stdout and stderr */
} cx_proc_io;

/* Runs in the child after fork and redirections, just before exec. Only
 * async-signal-safe calls (the parent may be multi-threaded): prepare
 * everything in the parent. Returns 0, or an errno value: the spawn then
 * fails with that value and the program never runs. */
typedef int (*cx_proc_child_fn)(void *user);

typedef struct cx_proc_opts {
    char *const *argv; /* argv[0] is looked up in PATH unless it contains '/' */
    char *const *envp; /* NULL: the parent's environment */
    const char *cwd;   /* NULL: the parent's working directory */
    cx_proc_io io;
    bool stdin_pipe;           /* pipe modes: a pipe for stdin instead of /dev/null */
    unsigned short rows, cols; /* PTY size; 0 means 24 x 80 */
    bool pty_raw;              /* PTY: no echo and no \n -> \r\n on output */
    /* A shell's behaviour: a missing program or bad cwd becomes "<name>: <reason>"
     * on the child's stderr and exit status 127 (126 for cwd) instead of a
     * spawn error. Hook failures are always spawn errors. */
    bool late_errors;
    cx_proc_child_fn child_setup; /* NULL: none */
    void *child_user;
    const char *setup_what; /* names the hook in errors ("sandbox setup"); NULL: generic */
} cx_proc_opts;

typedef struct cx_proc cx_proc;

/* Starts the program. Returns 0 and *out (free with cx__proc_free), or a
 * negative CX_E* with err: CX_ENOTFOUND for a missing program or directory,
 * CX_EIO otherwise. *errno_out (may be NULL) receives the errno value. */
int cx__proc_spawn(const cx_proc_opts *o, cx_proc **out, int *errno_out, cx_error *err);

pid_t cx__proc_pid(const cx_proc *p);
/* Parent ends of the child's streams (-1 when not piped). In PTY mode all
 * three are the master. The cx_proc keeps ownership. */
int cx__proc_stdin_fd(const cx_proc *p);
int cx__proc_stdout_fd(const cx_proc *p);
int cx__proc_stderr_fd(const cx_proc *p);
/* Closes the write side of stdin (no-op for a PTY or when closed). */
void cx__proc_close_stdin(cx_proc *p);
/* Gives the output descriptors to the caller (the cx_proc forgets them). */
void cx__proc_take_fds(cx_proc *p, int *in_fd, int *out_fd, int *err_fd);

/* Sends sig to the child's whole process group (to the child alone when the
 * group is gone). Safe from any thread and after the child exited but before
 * it was reaped. */
void cx__proc_kill(cx_proc *p, int sig);
/* Reaps the child. block=false returns at once. Returns 1 with *status (raw
 * wait status) once it exited, 0 when still running, or -1 on error. EINTR
 * is retried. Calling again after it returned 1 gives the same status. */
int cx__proc_wait(cx_proc *p, bool block, int *status);
/* The shell's view of a wait status: the exit code, or 128 + signal. */
int cx__proc_exit_code(int status);

/* Kills the group if the child was never reaped, reaps it, closes the fds
 * still owned. NULL is a no-op. */
void cx__proc_free(cx_proc *p);

/* ---- run to completion --------------------------------------------------------------------- */

typedef struct cx_proc_run_opts {
    long timeout_ms;           /* kill the group after this long; <= 0: no limit */
    const atomic_bool *cancel; /* polled every 50 ms; set: kill the group */
    /* After the child exited, background children may still hold the pipes:
     * keep reading this long, then kill them. < 0: until every pipe closes. */
    long drain_ms;
    /* Output as it arrives; stream is 1 or 2 (2 only with CX_PROC_IO_SPLIT).
     * A non-zero return stops the run like a cancel. */
    int (*on_output)(void *user, int stream, const char *data, size_t n);
    void *user;
} cx_proc_run_opts;

typedef struct cx_proc_result {
    int status;    /* raw wait status (valid unless timed_out/cancelled) */
    int exit_code; /* cx__proc_exit_code(status); 124 after a timeout */
    bool timed_out;
    bool cancelled; /* cancel flag or on_output asked to stop */
    long long elapsed_ms;
} cx_proc_result;

/* Spawns o, feeds its output to r->on_output until it exits (and the drain
 * ends), honouring timeout and cancel. Returns 0 with *res filled, or the
 * cx__proc_spawn error (the program did not run). */
int cx__proc_run(const cx_proc_opts *o, const cx_proc_run_opts *r, cx_proc_result *res,
                 int *errno_out, cx_error *err);

/* Milliseconds of CLOCK_MONOTONIC. */
long long cx__proc_now_ms(void);
/* Where a program would be found: name itself when it holds a '/', else the
 * first executable name in a non-empty PATH entry. Writes the path into out
 * and returns true, or false when there is none. */
bool cx__proc_find_program(const char *name, char *out, size_t cap);

#endif
