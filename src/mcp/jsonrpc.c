/* JSON-RPC 2.0 framing and request/answer matching for MCP clients. Ids are
 * 0, 1, 2, ... in send order, and every request but `initialize` carries
 * `_meta.progressToken` counting from 0, as upstream's client sends them. */
#include "mcp/jsonrpc.h"

#include "base/clock.h"
#include "base/json.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t cx__mcp_now_ms(void)
{
    return cx__clock_ms();
}

/* ---- framing ------------------------------------------------------------ */

void cx__mcp_lines_init(cx_mcp_lines *l, size_t max)
{
    memset(l, 0, sizeof *l);
    l->max = max ? max : 1;
}

void cx__mcp_lines_free(cx_mcp_lines *l)
{
    cx__buf_free(&l->pending);
}

static void emit_line(const char *s, size_t n, cx_mcp_line_fn fn, void *user)
{
    if (n && s[n - 1] == '\r') n--;
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n) fn(user, s + i, n - i);
}

int cx__mcp_lines_feed(cx_mcp_lines *l, const char *data, size_t len, cx_mcp_line_fn fn, void *user)
{
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        if (l->skipping) {
            if (nl) l->skipping = false;
        } else if (l->pending.len + take > l->max) {
            l->oversized++;
            cx__buf_reset(&l->pending);
            l->skipping = !nl;
        } else if (nl && !l->pending.len) {
            emit_line(data, take, fn, user); /* the common case: no copy */
        } else {
            if (cx__buf_append(&l->pending, data, take) != 0) return CX_ENOMEM;
            if (nl) {
                emit_line(l->pending.data, l->pending.len, fn, user);
                cx__buf_reset(&l->pending);
            }
        }
        if (!nl) break;
        len -= take + 1;
        data = nl + 1;
    }
    return 0;
}

/* ---- messages ----------------------------------------------------------- */

cx_mcp_msg_kind cx__mcp_msg_classify(const json_object *msg, int64_t *id, bool *has_id)
{
    *has_id = false;
    *id = -1;
    if (!json_object_is_type(msg, json_type_object)) return CX_MCP_MSG_INVALID;
    const char *v = cx__json_get_str(msg, "jsonrpc");
    if (!v || strcmp(v, "2.0")) return CX_MCP_MSG_INVALID;
    json_object *jid = NULL;
    bool id_present = json_object_object_get_ex(msg, "id", &jid);
    if (id_present && json_object_is_type(jid, json_type_int)) {
        *id = json_object_get_int64(jid);
        *has_id = true;
    }
    json_object *method = cx__json_get(msg, "method");
    if (method) {
        if (!json_object_is_type(method, json_type_string)) return CX_MCP_MSG_INVALID;
        return id_present ? CX_MCP_MSG_REQUEST : CX_MCP_MSG_NOTIFICATION;
    }
    json_object *result = NULL, *error = NULL;
    bool has_result = json_object_object_get_ex(msg, "result", &result);
    bool has_error = json_object_object_get_ex(msg, "error", &error);
    if (!id_present || has_result == has_error) return CX_MCP_MSG_INVALID;
    if (has_error) {
        int64_t code;
        if (!json_object_is_type(error, json_type_object) ||
            !cx__json_get_int(error, "code", &code))
            return CX_MCP_MSG_INVALID;
        return CX_MCP_MSG_ERROR;
    }
    /* a result answers a request by number or string; null is for errors only */
    return *has_id || json_object_is_type(jid, json_type_string) ? CX_MCP_MSG_RESULT
                                                                 : CX_MCP_MSG_INVALID;
}

/* ---- connection --------------------------------------------------------- */

typedef struct pending {
    int64_t id;
    bool done;
    int rc;
    json_object *result;
    cx_mcp_rpc_fail fail;
    struct pending *next;
} pending;

struct cx_mcp_rpc {
    cx_mcp_send_fn send;
    void *transport;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t next_id;
    int64_t next_token;
    pending *waiting;
    bool closed;
    bool inline_answers;
    char why[512];
    uint64_t dropped;
};

cx_mcp_rpc *cx__mcp_rpc_new(cx_mcp_send_fn send, void *transport)
{
    cx_mcp_rpc *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->send = send;
    r->transport = transport;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    return r;
}

void cx__mcp_rpc_free(cx_mcp_rpc *r)
{
    if (!r) return;
    cx__mcp_rpc_closed(r, "connection closed");
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void cx__mcp_rpc_set_inline_answers(cx_mcp_rpc *r, bool on)
{
    r->inline_answers = on;
}

static void fail_set(cx_mcp_rpc_fail *f, const char *fmt, const char *arg)
{
    memset(f, 0, sizeof *f);
    snprintf(f->message, sizeof f->message, fmt, arg);
}

void cx__mcp_rpc_closed(cx_mcp_rpc *r, const char *why)
{
    pthread_mutex_lock(&r->lock);
    if (!r->closed) {
        r->closed = true;
        snprintf(r->why, sizeof r->why, "%s", why ? why : "connection closed");
    }
    for (pending *p = r->waiting; p; p = p->next)
        if (!p->done) {
            p->done = true;
            p->rc = CX_ENET;
            fail_set(&p->fail, "%s", r->why);
        }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

bool cx__mcp_rpc_is_closed(cx_mcp_rpc *r)
{
    pthread_mutex_lock(&r->lock);
    bool c = r->closed;
    pthread_mutex_unlock(&r->lock);
    return c;
}

uint64_t cx__mcp_rpc_dropped(cx_mcp_rpc *r)
{
    pthread_mutex_lock(&r->lock);
    uint64_t d = r->dropped;
    pthread_mutex_unlock(&r->lock);
    return d;
}

static int send_obj(cx_mcp_rpc *r, json_object *msg, int64_t deadline, cx_error *err)
{
    char *text = cx__json_to_string(msg);
    if (!text) return cx_error_set(err, CX_ENOMEM, "out of memory");
    int rc = r->send(r->transport, text, strlen(text), deadline, err);
    free(text);
    return rc;
}

/* The answer to a request the server sent us: we offer no capabilities, so
 * only ping gets a result. */
static void answer_server_request(cx_mcp_rpc *r, const json_object *msg)
{
    json_object *ans = json_object_new_object();
    cx__json_set_str(ans, "jsonrpc", "2.0");
    cx__json_set(ans, "id", json_object_get(cx__json_get(msg, "id")));
    const char *method = cx__json_get_str(msg, "method");
    if (method && !strcmp(method, "ping")) {
        cx__json_set(ans, "result", json_object_new_object());
    } else {
        json_object *e = json_object_new_object();
        cx__json_set(e, "code", json_object_new_int(-32601));
        cx__json_set_str(e, "message", "Method not found");
        cx__json_set(ans, "error", e);
    }
    cx_error err;
    send_obj(r, ans, cx__mcp_now_ms() + 5000, &err);
    json_object_put(ans);
}

void cx__mcp_rpc_deliver(cx_mcp_rpc *r, const char *text, size_t len)
{
    json_object *msg = NULL;
    cx_error err;
    int64_t id = -1;
    bool has_id = false;
    cx_mcp_msg_kind kind = CX_MCP_MSG_INVALID;
    if (cx__json_parse(text, len, &msg, &err) == 0) kind = cx__mcp_msg_classify(msg, &id, &has_id);
    if (kind == CX_MCP_MSG_REQUEST) {
        answer_server_request(r, msg);
        json_object_put(msg);
        return;
    }
    pthread_mutex_lock(&r->lock);
    pending *p = NULL;
    if (has_id &&
        (kind == CX_MCP_MSG_RESULT || kind == CX_MCP_MSG_ERROR || kind == CX_MCP_MSG_INVALID))
        for (p = r->waiting; p && p->id != id; p = p->next)
            ;
    if (p && !p->done) {
        p->done = true;
        if (kind == CX_MCP_MSG_RESULT) {
            p->rc = 0;
            p->result = json_object_get(cx__json_get(msg, "result"));
        } else if (kind == CX_MCP_MSG_ERROR) {
            json_object *e = cx__json_get(msg, "error");
            memset(&p->fail, 0, sizeof p->fail);
            p->rc = 1;
            p->fail.rpc = true;
            cx__json_get_int(e, "code", &p->fail.code);
            snprintf(p->fail.message, sizeof p->fail.message, "%s",
                     cx__json_get_str(e, "message") ?: "");
        } else {
            /* the answer to this request is malformed: end the wait now
             * rather than at the timeout */
            p->rc = CX_EPARSE;
            fail_set(&p->fail, "%s", "invalid JSON-RPC response");
        }
        pthread_cond_broadcast(&r->cond);
    } else {
        if (kind != CX_MCP_MSG_NOTIFICATION) r->dropped++;
    }
    pthread_mutex_unlock(&r->lock);
    json_object_put(msg);
}

static json_object *with_meta(json_object *params, int64_t token)
{
    json_object *out = json_object_new_object();
    json_object *meta = json_object_new_object();
    cx__json_set(meta, "progressToken", json_object_new_int64(token));
    cx__json_set(out, "_meta", meta);
    if (json_object_is_type(params, json_type_object)) {
        json_object_object_foreach(params, k, v)
        {
            if (strcmp(k, "_meta") != 0) cx__json_set(out, k, json_object_get(v));
        }
    }
    json_object_put(params);
    return out;
}

static void unlink_pending(cx_mcp_rpc *r, pending *p)
{
    for (pending **pp = &r->waiting; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
}

int cx__mcp_rpc_call(cx_mcp_rpc *r, const char *method, json_object *params, long timeout_ms,
                     const atomic_bool *cancel, json_object **result, cx_mcp_rpc_fail *fail)
{
    *result = NULL;
    memset(fail, 0, sizeof *fail);
    pending *p = calloc(1, sizeof *p);
    if (!p) {
        json_object_put(params);
        fail_set(fail, "%s", "out of memory");
        return CX_ENOMEM;
    }
    int64_t deadline = timeout_ms > 0 ? cx__mcp_now_ms() + timeout_ms : 0;
    pthread_mutex_lock(&r->lock);
    if (r->closed) {
        pthread_mutex_unlock(&r->lock);
        json_object_put(params);
        free(p);
        fail_set(fail, "%s", r->why);
        return CX_ENET;
    }
    p->id = r->next_id++;
    if (strcmp(method, "initialize") != 0) params = with_meta(params, r->next_token++);
    p->next = r->waiting;
    r->waiting = p;
    pthread_mutex_unlock(&r->lock);

    json_object *msg = json_object_new_object();
    cx__json_set_str(msg, "jsonrpc", "2.0");
    cx__json_set(msg, "id", json_object_new_int64(p->id));
    cx__json_set_str(msg, "method", method);
    if (params) cx__json_set(msg, "params", params);
    cx_error err;
    cx_error_clear(&err);
    int src = send_obj(r, msg, deadline, &err);
    json_object_put(msg);

    pthread_mutex_lock(&r->lock);
    if (src != 0 && !p->done) {
        p->done = true;
        p->rc = src == CX_ETIMEOUT ? CX_ETIMEOUT : CX_ENET;
        fail_set(&p->fail, "%s", err.msg[0] ? err.msg : "send failed");
        p->fail.timeout = src == CX_ETIMEOUT;
    } else if (src == 0 && !p->done && r->inline_answers) {
        p->done = true;
        p->rc = CX_EPARSE;
        fail_set(&p->fail, "%s", "the server's reply held no answer to the request");
    }
    while (!p->done) {
        if (cancel && atomic_load(cancel)) {
            p->done = true;
            p->rc = CX_ECANCELED;
            fail_set(&p->fail, "%s", "cancelled");
            break;
        }
        /* wake at least every 100 ms to notice cancellation */
        int64_t now = cx__mcp_now_ms();
        if (deadline && now >= deadline) {
            p->done = true;
            p->rc = CX_ETIMEOUT;
            fail_set(&p->fail, "%s", "timed out");
            p->fail.timeout = true;
            break;
        }
        int64_t until = now + 100;
        if (deadline && deadline < until) until = deadline;
        struct timespec ts = {until / 1000, (long)(until % 1000) * 1000000L};
        pthread_cond_timedwait(&r->cond, &r->lock, &ts);
    }
    unlink_pending(r, p);
    pthread_mutex_unlock(&r->lock);
    int rc = p->rc;
    *result = p->result;
    *fail = p->fail;
    free(p);
    return rc;
}

int cx__mcp_rpc_notify(cx_mcp_rpc *r, const char *method, json_object *params, cx_error *err)
{
    json_object *msg = json_object_new_object();
    cx__json_set_str(msg, "jsonrpc", "2.0");
    cx__json_set_str(msg, "method", method);
    if (params) cx__json_set(msg, "params", params);
    int rc = send_obj(r, msg, cx__mcp_now_ms() + 5000, err);
    json_object_put(msg);
    return rc;
}
