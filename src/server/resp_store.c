/* Stored responses: the bounded in-memory kind, and the dispatch to Redis.
 * See resp_store.h. */
#include "server/resp_store.h"

#include <json-c/linkhash.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_COUNT 10000
#define DEFAULT_BYTES (16u * 1024 * 1024)
#define DEFAULT_AGE_S 86400

typedef struct entry {
    char *id;
    char *data;
    size_t len;
    time_t at;
    struct entry *prev, *next; /* oldest first */
} entry;

struct cx_resp_store {
    cx__redis_store *redis; /* or NULL: in memory */
    struct lh_table *map;   /* id -> entry */
    entry *oldest, *newest;
    size_t count, bytes;
    cx_resp_store_limits lim;
};

static time_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

cx_resp_store *cx__resp_store_new(struct event_base *base, const char *spec,
                                  const cx_resp_store_limits *limits, cx_error *err)
{
    cx_resp_store *s = calloc(1, sizeof *s);
    if (!s) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        return NULL;
    }
    if (limits) s->lim = *limits;
    if (!s->lim.max_count) s->lim.max_count = DEFAULT_COUNT;
    if (!s->lim.max_bytes) s->lim.max_bytes = DEFAULT_BYTES;
    if (s->lim.max_age_s <= 0) s->lim.max_age_s = DEFAULT_AGE_S;
    if (spec && !strncmp(spec, "redis://", 8)) {
        s->redis = cx__redis_store_new(base, spec, s->lim.max_age_s, err);
        if (!s->redis) {
            free(s);
            return NULL;
        }
        return s;
    }
    if (spec && *spec && strcmp(spec, "memory")) {
        cx_error_set(err, CX_EINVAL, "unknown store '%s' (want memory or redis://HOST:PORT[/DB])",
                     spec);
        free(s);
        return NULL;
    }
    s->map = lh_kchar_table_new(1024, NULL);
    if (!s->map) {
        cx_error_set(err, CX_ENOMEM, "out of memory");
        free(s);
        return NULL;
    }
    return s;
}

const char *cx__resp_store_kind(const cx_resp_store *s)
{
    return s->redis ? "redis" : "memory";
}

static void unlink_entry(cx_resp_store *s, entry *e)
{
    lh_table_delete(s->map, e->id);
    /* the ends are tested by identity (not by a NULL link), which also tells the
     * static analyzer that s->oldest no longer points at e once it is freed */
    if (s->oldest == e)
        s->oldest = e->next;
    else if (e->prev)
        e->prev->next = e->next;
    if (s->newest == e)
        s->newest = e->prev;
    else if (e->next)
        e->next->prev = e->prev;
    s->count--;
    s->bytes -= e->len;
    free(e->id);
    free(e->data);
    free(e);
}

void cx__resp_store_free(cx_resp_store *s)
{
    if (!s) return;
    if (s->redis) cx__redis_store_free(s->redis);
    for (entry *e = s->oldest, *next; e; e = next) {
        next = e->next;
        free(e->id);
        free(e->data);
        free(e);
    }
    if (s->map) lh_table_free(s->map);
    free(s);
}

static entry *find(cx_resp_store *s, const char *id)
{
    struct lh_entry *le = lh_table_lookup_entry(s->map, id);
    entry *e = le ? (entry *)lh_entry_v(le) : NULL;
    if (e && now_s() - e->at >= s->lim.max_age_s) {
        unlink_entry(s, e);
        return NULL;
    }
    return e;
}

void cx__resp_store_put(cx_resp_store *s, const char *id, const char *data, size_t len)
{
    if (s->redis) {
        cx__redis_store_put(s->redis, id, data, len);
        return;
    }
    entry *old = find(s, id);
    if (old) unlink_entry(s, old);
    if (len > s->lim.max_bytes) return; /* could never fit */
    entry *e = calloc(1, sizeof *e);
    if (!e) return;
    e->id = strdup(id);
    e->data = malloc(len + 1);
    if (!e->id || !e->data) {
        free(e->id);
        free(e->data);
        free(e);
        return;
    }
    memcpy(e->data, data, len);
    e->data[len] = '\0';
    e->len = len;
    e->at = now_s();
    /* the oldest make room; they are also the first to age out */
    for (entry *o = s->oldest, *next; o; o = next) {
        if (s->count + 1 <= s->lim.max_count && s->bytes + len <= s->lim.max_bytes &&
            e->at - o->at < s->lim.max_age_s)
            break;
        next = o->next;
        unlink_entry(s, o);
    }
    if (lh_table_insert(s->map, e->id, e) != 0) {
        free(e->id);
        free(e->data);
        free(e);
        return;
    }
    e->prev = s->newest;
    if (s->newest)
        s->newest->next = e;
    else
        s->oldest = e;
    s->newest = e;
    s->count++;
    s->bytes += len;
}

void cx__resp_store_get(cx_resp_store *s, const char *id, cx_resp_store_cb cb, void *user)
{
    if (s->redis) {
        cx__redis_store_get(s->redis, id, cb, user);
        return;
    }
    entry *e = find(s, id);
    if (e)
        cb(user, 0, e->data, e->len);
    else
        cb(user, CX_ENOTFOUND, NULL, 0);
}

void cx__resp_store_del(cx_resp_store *s, const char *id, cx_resp_store_cb cb, void *user)
{
    if (s->redis) {
        cx__redis_store_del(s->redis, id, cb, user);
        return;
    }
    entry *e = find(s, id);
    if (e) unlink_entry(s, e);
    cb(user, e ? 0 : CX_ENOTFOUND, NULL, 0);
}
