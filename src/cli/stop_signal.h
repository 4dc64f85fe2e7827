/* How the long-running servers (`ccodex serve`, `ccodex storage-server`) stop: SIGINT
 * and SIGTERM go to one waiting thread, which asks the server's loop to stop, so the
 * loop ends cleanly and its owner frees everything. */
#ifndef CX_CLI_STOP_SIGNAL_H
#define CX_CLI_STOP_SIGNAL_H

#include <pthread.h>

typedef struct cx_cli_stopper {
    pthread_t thread;
    void (*stop)(void *server);
    void *server;
} cx_cli_stopper;

/* Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts
 * afterwards: call it before the server exists), ignores SIGPIPE and raises the fd
 * limit as far as the system allows. */
void cx_cli_server_signals(void);
/* Starts the thread that waits for SIGINT or SIGTERM and then calls stop(server)
 * once; st must stay valid until cx_cli_stopper_join. Returns 0 or -1 (no thread). */
int cx_cli_stopper_start(cx_cli_stopper *st, void (*stop)(void *server), void *server);
/* Waits for that thread: call after the server's loop returned through it. */
void cx_cli_stopper_join(cx_cli_stopper *st);

#endif
