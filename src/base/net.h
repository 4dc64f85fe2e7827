/* Listening sockets for ccodex's servers (responses server, storage server). */
#ifndef CX_BASE_NET_H
#define CX_BASE_NET_H

#include "ccodex/error.h"

/* Opens a non-blocking, close-on-exec TCP socket listening on host (an IPv4
 * address) and port (0: any free port) with a backlog large enough for
 * hundreds of clients (511). Returns the descriptor and sets *bound to the
 * port, or -1 with err. */
int cx__net_listen(const char *host, int port, int *bound, cx_error *err);

#include <stddef.h>
#include <sys/types.h>

/* Writes all of data to a pipe or socket without letting a closed reader
 * raise SIGPIPE in the process (the signal is blocked for this thread during
 * the write and a pending one consumed), so library code never depends on the
 * program's SIGPIPE setting. Returns 0, or -1 with errno (EPIPE when the
 * reader is gone). */
int cx__net_write_all(int fd, const void *data, size_t len);

#endif
