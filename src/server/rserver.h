/* The responses server: a local Responses API endpoint in front of a Chat
 * Completions backend (vLLM, Ollama, llama.cpp's server, ...).
 *
 *   POST /v1/responses       a Responses request, translated by chat_request.c
 *                            and chat_stream.c; events, or one JSON Response
 *   GET|DELETE /v1/responses/{id}  a stored response
 *   GET  /v1/models          the backend's model list, passed through
 *   GET  /healthz            {"ok":true}
 * (the same paths without /v1 are accepted too). Anything else gets a JSON
 * error with status 404 or 405.
 *
 * One libevent loop drives both sides: evhttp for clients and curl's
 * multi-socket interface for the backend, so no thread per stream. Events are
 * forwarded as the backend's chunks arrive; a client that goes away cancels
 * its backend transfer at once; a backend that fails, stalls or drops
 * mid-stream ends the client's stream with response.failed; one that fails
 * before its first byte gives the client its status. Responses are kept (in
 * memory, or in Redis shared by several servers) for previous_response_id. */
#ifndef CX_SERVER_RSERVER_H
#define CX_SERVER_RSERVER_H

#include "ccodex/error.h"

typedef struct cx_rserver cx_rserver;

typedef struct cx_rserver_options {
    const char *host;                /* NULL: 127.0.0.1 */
    int port;                        /* 0: any free port */
    const char *downstream_base_url; /* e.g. http://127.0.0.1:8000/v1; an empty path means /v1 */
    const char *provider;            /* vllm (default) | stepfun | openai | ... */
    const char *api_key;             /* sent as Bearer to the backend, or NULL */
    long idle_timeout_ms;            /* backend silence that fails a stream; 0: 300000 */
    const char *store;               /* NULL/"memory", or "redis://HOST:PORT[/DB]" */
    size_t store_max_count;          /* memory store: responses kept; 0: 10000 */
    size_t store_max_bytes;          /* memory store: bytes kept; 0: 16 MiB */
    long store_max_age_s;            /* age (Redis: TTL) of a stored response; 0: 86400 */
    void (*log)(void *user, const char *line); /* operational notes (accept failing); may be NULL */
    void *log_user;
} cx_rserver_options;

/* Creates the server and binds its socket (listen backlog 511). NULL with err
 * when the URL or the store is invalid or the address cannot be bound. */
cx_rserver *cx__rserver_new(const cx_rserver_options *o, cx_error *err);
/* The port actually bound. */
int cx__rserver_port(const cx_rserver *s);
/* The downstream base URL after normalisation (borrowed). */
const char *cx__rserver_downstream(const cx_rserver *s);
/* Runs the loop on the calling thread until cx__rserver_stop. Returns 0. */
int cx__rserver_run(cx_rserver *s);
/* Runs the loop on a new thread. Returns 0 or CX_EIO. */
int cx__rserver_start(cx_rserver *s);
/* Asks the loop to stop; safe from any thread and from a signal handler. */
void cx__rserver_stop(cx_rserver *s);
/* Stops (joining a thread started by cx__rserver_start), cancels every
 * transfer and frees. */
void cx__rserver_free(cx_rserver *s);

#endif
