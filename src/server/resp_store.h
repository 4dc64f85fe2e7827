/* Stored responses of the responses server, for previous_response_id and
 * GET/DELETE /v1/responses/{id}. Each record is an opaque JSON text the server
 * writes (the Response object and the conversation's input), keyed by the
 * response id.
 *
 * Two kinds, chosen by a spec string:
 *  - NULL or "memory": in this process, bounded by count, bytes and age (the
 *    oldest go first);
 *  - "redis://HOST:PORT[/DB]": in Redis, through hiredis's libevent adapter on
 *    the server's own event_base, each key with a TTL of max_age_s, so that
 *    several server processes share one conversation store.
 *
 * Loop thread only. Every get/del callback is called exactly once: at once
 * for the memory store, from the loop for Redis, and with CX_ECANCELED when
 * the store is freed first. */
#ifndef CX_SERVER_RESP_STORE_H
#define CX_SERVER_RESP_STORE_H

#include <stddef.h>

#include "ccodex/error.h"

struct event_base;

typedef struct cx_resp_store cx_resp_store;

typedef struct cx_resp_store_limits {
    size_t max_count; /* records kept in memory; 0: 10000 */
    size_t max_bytes; /* bytes of records kept in memory; 0: 16 MiB */
    long max_age_s;   /* age at which a record is forgotten (Redis: the TTL); 0: 86400 */
} cx_resp_store_limits;

/* rc 0 with the record (borrowed for the call), CX_ENOTFOUND, or CX_EIO /
 * CX_ECANCELED when the store could not answer. For del, data is NULL. */
typedef void (*cx_resp_store_cb)(void *user, int rc, const char *data, size_t len);

/* NULL with err for a spec that is neither, or a Redis address that cannot
 * be resolved. A Redis server that is down is not an error here: each
 * operation reconnects, and fails with CX_EIO while it cannot. */
cx_resp_store *cx__resp_store_new(struct event_base *base, const char *spec,
                                  const cx_resp_store_limits *limits, cx_error *err);
void cx__resp_store_free(cx_resp_store *s);
/* "memory" or "redis". */
const char *cx__resp_store_kind(const cx_resp_store *s);
/* Stores (or replaces) a record; failures are only counted (a response that
 * was not stored answers 404 later). */
void cx__resp_store_put(cx_resp_store *s, const char *id, const char *data, size_t len);
void cx__resp_store_get(cx_resp_store *s, const char *id, cx_resp_store_cb cb, void *user);
void cx__resp_store_del(cx_resp_store *s, const char *id, cx_resp_store_cb cb, void *user);

/* Library-internal: the Redis kind (resp_store_redis.c). */
typedef struct cx__redis_store cx__redis_store;
cx__redis_store *cx__redis_store_new(struct event_base *base, const char *url, long ttl_s,
                                     cx_error *err);
void cx__redis_store_free(cx__redis_store *r);
void cx__redis_store_put(cx__redis_store *r, const char *id, const char *data, size_t len);
void cx__redis_store_get(cx__redis_store *r, const char *id, cx_resp_store_cb cb, void *user);
void cx__redis_store_del(cx__redis_store *r, const char *id, cx_resp_store_cb cb, void *user);

#endif
