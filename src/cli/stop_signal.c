/* Stopping servers on SIGINT/SIGTERM (stop_signal.h). */
#include "cli/stop_signal.h"

#include "httpd/http_guard.h"

#include <signal.h>
#include <stddef.h>

static void stop_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void cx_cli_server_signals(void)
{
    sigset_t set;
    stop_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    cx__net_raise_fd_limit(); /* a server meets the fd limit as late as the system allows */
}

static void *wait_for_signal(void *arg)
{
    cx_cli_stopper *st = arg;
    sigset_t set;
    stop_set(&set);
    int sig;
    sigwait(&set, &sig);
    st->stop(st->server);
    return NULL;
}

int cx_cli_stopper_start(cx_cli_stopper *st, void (*stop)(void *server), void *server)
{
    st->stop = stop;
    st->server = server;
    return pthread_create(&st->thread, NULL, wait_for_signal, st) == 0 ? 0 : -1;
}

void cx_cli_stopper_join(cx_cli_stopper *st)
{
    pthread_join(st->thread, NULL);
}
