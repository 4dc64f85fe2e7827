/* Stored responses in Redis, through hiredis's async API and its libevent
 * adapter on the server's own event_base: no thread and no blocking call.
 * Keys are "ccodex:response:<id>", each SET with EX max_age_s. A connection
 * that drops is replaced by the next operation. See resp_store.h. */
#include "server/resp_store.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX "ccodex:response:"

struct cx__redis_store {
    struct event_base *base;
    redisAsyncContext *ac; /* NULL while disconnected */
    char *host;
    int port, db;
    long ttl_s;
};

typedef struct op {
    cx_resp_store_cb cb;
    void *user;
    bool del;
} op;

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    cx__redis_store *r = ac->data;
    /* hiredis frees the context itself after this callback */
    if (r && r->ac == ac) r->ac = NULL;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    cx__redis_store *r = ac->data;
    if (status != REDIS_OK && r && r->ac == ac) r->ac = NULL;
}

/* The live context, connecting when there is none. */
static redisAsyncContext *context(cx__redis_store *r)
{
    if (r->ac) return r->ac;
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac) return NULL;
    if (ac->err) {
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = r;
    if (redisLibeventAttach(ac, r->base) != REDIS_OK) {
        redisAsyncFree(ac);
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* commands queue until the connection is up, in order */
    if (r->db > 0) redisAsyncCommand(ac, NULL, NULL, "SELECT %d", r->db);
    r->ac = ac;
    return ac;
}

cx__redis_store *cx__redis_store_new(struct event_base *base, const char *url, long ttl_s,
                                     cx_error *err)
{
    const char *hp = url + strlen("redis://");
    const char *colon = strrchr(hp, ':');
    const char *slash = strchr(hp, '/');
    char *end = NULL;
    long port = 6379, db = 0;
    size_t host_len = colon && (!slash || colon < slash) ? (size_t)(colon - hp)
                      : slash                            ? (size_t)(slash - hp)
                                                         : strlen(hp);
    if (colon && (!slash || colon < slash)) {
        port = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || (*end && *end != '/') || port <= 0 || port > 65535) goto bad;
    }
    if (slash && slash[1]) {
        db = strtol(slash + 1, &end, 10);
        if (*end || db < 0 || db > 1000000) goto bad;
    }
    if (!host_len) goto bad;
    cx__redis_store *r = calloc(1, sizeof *r);
    if (!r || !(r->host = strndup(hp, host_len))) {
        free(r);
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    r->base = base;
    r->port = (int)port;
    r->db = (int)db;
    r->ttl_s = ttl_s;
    context(r); /* early, so the first request does not wait for the handshake */
    return r;
bad:
    cx_error_set(err, CX_EINVAL, "invalid Redis URL '%s' (want redis://HOST:PORT[/DB])", url);
    return NULL;
}

void cx__redis_store_free(cx__redis_store *r)
{
    if (!r) return;
    /* pending callbacks run now, with no reply: their ops answer CX_ECANCELED */
    if (r->ac) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    free(r->host);
    free(r);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    op *o = privdata;
    redisReply *rep = reply;
    if (!rep) {
        o->cb(o->user, ac->data ? CX_EIO : CX_ECANCELED, NULL, 0);
    } else if (rep->type == REDIS_REPLY_ERROR) {
        o->cb(o->user, CX_EIO, NULL, 0);
    } else if (o->del) {
        o->cb(o->user, rep->type == REDIS_REPLY_INTEGER && rep->integer > 0 ? 0 : CX_ENOTFOUND,
              NULL, 0);
    } else if (rep->type == REDIS_REPLY_STRING) {
        o->cb(o->user, 0, rep->str, rep->len);
    } else {
        o->cb(o->user, CX_ENOTFOUND, NULL, 0);
    }
    free(o);
}

static void command(cx__redis_store *r, op *o, int argc, const char **argv, const size_t *lens)
{
    redisAsyncContext *ac = context(r);
    if (!ac || redisAsyncCommandArgv(ac, o ? on_reply : NULL, o, argc, argv, lens) != REDIS_OK) {
        if (o) {
            o->cb(o->user, CX_EIO, NULL, 0);
            free(o);
        }
    }
}

static int key_for(const char *id, char *key, size_t size)
{
    int n = snprintf(key, size, KEY_PREFIX "%s", id);
    return n > 0 && (size_t)n < size ? n : -1;
}

void cx__redis_store_put(cx__redis_store *r, const char *id, const char *data, size_t len)
{
    char key[256], ttl[32];
    int klen = key_for(id, key, sizeof key);
    if (klen < 0) return;
    int tlen = snprintf(ttl, sizeof ttl, "%ld", r->ttl_s);
    const char *argv[] = {"SET", key, data, "EX", ttl};
    size_t lens[] = {3, (size_t)klen, len, 2, (size_t)tlen};
    command(r, NULL, 5, argv, lens);
}

static void keyed(cx__redis_store *r, const char *verb, bool del, const char *id,
                  cx_resp_store_cb cb, void *user)
{
    char key[256];
    int klen = key_for(id, key, sizeof key);
    if (klen < 0) {
        cb(user, CX_ENOTFOUND, NULL, 0);
        return;
    }
    op *o = calloc(1, sizeof *o);
    if (!o) {
        cb(user, CX_EIO, NULL, 0);
        return;
    }
    *o = (op){cb, user, del};
    const char *argv[] = {verb, key};
    size_t lens[] = {strlen(verb), (size_t)klen};
    command(r, o, 2, argv, lens);
}

void cx__redis_store_get(cx__redis_store *r, const char *id, cx_resp_store_cb cb, void *user)
{
    keyed(r, "GET", false, id, cb, user);
}

void cx__redis_store_del(cx__redis_store *r, const char *id, cx_resp_store_cb cb, void *user)
{
    keyed(r, "DEL", true, id, cb, user);
}
