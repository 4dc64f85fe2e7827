/* `exec --json`: agent events as upstream's JSONL thread events
 * (thread.started, turn.started, item.started/updated/completed,
 * turn.completed with usage, turn.failed, error). Item ids are item_0,
 * item_1, ... in the order items first appear; an item that starts and
 * completes keeps its id (correlated by the call_id the tools report).
 * No lock: the agent delivers events on its turn's thread only, one at a time
 * (include/ccodex/events.h), even while tool calls run in parallel. */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

struct cx_jsonl {
    FILE *out;
    unsigned next_id;
    json_object *open; /* call_id -> item id */
    json_object *todo; /* the open todo_list item's last data, or NULL */
};

cx_jsonl *cx_jsonl_new(FILE *out)
{
    cx_jsonl *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->out = out;
    j->open = json_object_new_object();
    return j;
}

void cx_jsonl_free(cx_jsonl *j)
{
    if (!j) return;
    json_object_put(j->open);
    json_object_put(j->todo);
    free(j);
}

/* Writes o as one line. With raw_id set, the item also carries that "id"
 * right after its "type", as upstream's web_search items do (its exec item
 * id and the search call's own id side by side under the same key). */
static void put_line_raw_id(cx_jsonl *j, json_object *o, const char *raw_id)
{
    cx_buf b = CX_BUF_INIT;
    cx__json_dump(o, &b);
    if (raw_id) {
        json_object *item = cx__json_get(o, "item");
        cx_buf head = CX_BUF_INIT;
        cx__buf_printf(&head, "\"item\":{\"id\":");
        cx__json_dump(cx__json_get(item, "id"), &head);
        cx__buf_puts(&head, ",\"type\":");
        cx__json_dump(cx__json_get(item, "type"), &head);
        const char *at = strstr(cx__buf_str(&b), cx__buf_str(&head));
        if (at) {
            size_t pos = (size_t)(at - b.data) + head.len;
            cx_buf out = CX_BUF_INIT;
            cx__buf_append(&out, b.data, pos);
            cx__buf_puts(&out, ",\"id\":");
            json_object *rid = json_object_new_string(raw_id);
            cx__json_dump(rid, &out);
            json_object_put(rid);
            cx__buf_append(&out, b.data + pos, b.len - pos);
            cx__buf_free(&b);
            b = out;
        }
        cx__buf_free(&head);
    }
    cx__buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, j->out);
    fflush(j->out);
    cx__buf_free(&b);
    json_object_put(o);
}

static void put_line(cx_jsonl *j, json_object *o)
{
    put_line_raw_id(j, o, NULL);
}

static json_object *typed(const char *type)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", type);
    return o;
}

void cx_jsonl_thread_started(cx_jsonl *j, const char *thread_id)
{
    json_object *o = typed("thread.started");
    cx__json_set_str(o, "thread_id", thread_id);
    put_line(j, o);
}

void cx_jsonl_error(cx_jsonl *j, const char *message)
{
    json_object *o = typed("error");
    cx__json_set_str(o, "message", message);
    put_line(j, o);
}

/* The item with "id" first and the tool's call_id left out (an "id" of the
 * data itself is written by put_line_raw_id). */
static json_object *exec_item(const char *id, const json_object *data)
{
    json_object *item = json_object_new_object();
    cx__json_set_str(item, "id", id);
    json_object_object_foreach((json_object *)data, k, v)
    {
        if (strcmp(k, "call_id") != 0 && strcmp(k, "id") != 0)
            cx__json_set(item, k, json_object_get(v));
    }
    return item;
}

static void item_event(cx_jsonl *j, const char *type, const json_object *data, bool closes)
{
    const char *call_id = cx__json_get_str(data, "call_id");
    char id[32];
    const char *known = call_id ? cx__json_get_str(j->open, call_id) : NULL;
    if (known) {
        snprintf(id, sizeof id, "%s", known);
    } else {
        snprintf(id, sizeof id, "item_%u", j->next_id++);
        if (call_id && !closes) cx__json_set_str(j->open, call_id, id);
    }
    if (closes && known) json_object_object_del(j->open, call_id);
    json_object *o = typed(type);
    cx__json_set(o, "item", exec_item(id, data));
    put_line_raw_id(j, o, cx__json_get_str(data, "id"));
}

/* The plan's todo_list item stays open while the turn runs and completes
 * with the turn, carrying its last state. */
static void close_todo_list(cx_jsonl *j)
{
    if (!j->todo) return;
    item_event(j, "item.completed", j->todo, true);
    json_object_put(j->todo);
    j->todo = NULL;
}

static void remember_todo(cx_jsonl *j, const json_object *data)
{
    const char *type = cx__json_get_str(data, "type");
    if (!type || strcmp(type, "todo_list") != 0) return;
    json_object_put(j->todo);
    j->todo = cx__json_copy(data);
}

void cx_jsonl_event(cx_jsonl *j, const cx_event *ev)
{
    if (ev->kind == CX_EV_ITEM_STARTED || ev->kind == CX_EV_ITEM_UPDATED)
        remember_todo(j, ev->data);
    switch (ev->kind) {
    case CX_EV_TURN_STARTED:
        put_line(j, typed("turn.started"));
        break;
    case CX_EV_ITEM_STARTED: {
        /* upstream reports a patch once, when it is applied or has failed:
           its statuses are only "completed" and "failed" */
        const char *type = cx__json_get_str(ev->data, "type");
        if (type && !strcmp(type, "file_change")) break;
        item_event(j, "item.started", ev->data, false);
        break;
    }
    case CX_EV_ITEM_UPDATED:
        item_event(j, "item.updated", ev->data, false);
        break;
    case CX_EV_ITEM_COMPLETED:
        item_event(j, "item.completed", ev->data, true);
        break;
    case CX_EV_TURN_COMPLETED: {
        close_todo_list(j);
        json_object *o = typed("turn.completed");
        json_object *u = cx__json_get(ev->data, "usage");
        json_object *usage = json_object_new_object();
        int64_t v = 0;
        cx__json_set(usage, "input_tokens",
                     json_object_new_int64(cx__json_get_int(u, "input_tokens", &v) ? v : 0));
        cx__json_set(usage, "cached_input_tokens",
                     json_object_new_int64(cx__json_get_int(u, "cached_input_tokens", &v) ? v : 0));
        cx__json_set(usage, "output_tokens",
                     json_object_new_int64(cx__json_get_int(u, "output_tokens", &v) ? v : 0));
        cx__json_set(o, "usage", usage);
        put_line(j, o);
        break;
    }
    case CX_EV_TURN_FAILED: {
        /* upstream reports the error itself first, then the failed turn */
        close_todo_list(j);
        cx_jsonl_error(j, cx__json_get_str(ev->data, "message"));
        json_object *o = typed("turn.failed");
        json_object *e = json_object_new_object();
        cx__json_set_str(e, "message", cx__json_get_str(ev->data, "message"));
        cx__json_set(o, "error", e);
        put_line(j, o);
        break;
    }
    case CX_EV_WARNING: {
        /* upstream turns every warning into a completed "error" item */
        json_object *d = json_object_new_object();
        cx__json_set_str(d, "type", "error");
        cx__json_set_str(d, "message", cx__json_get_str(ev->data, "message") ?: "");
        item_event(j, "item.completed", d, true);
        json_object_put(d);
        break;
    }
    case CX_EV_RETRY: {
        char msg[512];
        int64_t attempt = 0, max = 0;
        cx__json_get_int(ev->data, "attempt", &attempt);
        cx__json_get_int(ev->data, "max", &max);
        snprintf(msg, sizeof msg, "Reconnecting... %lld/%lld (%s)", (long long)attempt,
                 (long long)max, cx__json_get_str(ev->data, "message") ?: "stream error");
        cx_jsonl_error(j, msg);
        break;
    }
    default:
        break;
    }
}
