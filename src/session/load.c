/* Replaying a rollout file into a history (SESSIONS.md §3.3): response_item
 * payloads in file order, a `compacted` line replacing everything before it,
 * the last turn_context kept to diff settings against. Also the REPL's
 * prompt history file. */
#include "ccodex/session.h"

#include "base/buf.h"
#include "base/json.h"
#include "session/rollout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cx_session_state_free(cx_session_state *s)
{
    if (!s) return;
    free(s->path);
    free(s->id);
    json_object_put(s->meta);
    json_object_put(s->history);
    json_object_put(s->turn_context);
    json_object_put(s->token_info);
    free(s);
}

static void replace(json_object **slot, json_object *v)
{
    json_object_put(*slot);
    *slot = v;
}

static void apply_line(cx_session_state *s, const json_object *line)
{
    const char *type = cx__json_get_str(line, "type");
    json_object *p = cx__json_get(line, "payload");
    if (!type || !p || !json_object_is_type(p, json_type_object)) return;
    if (!strcmp(type, "session_meta")) {
        if (!s->meta) s->meta = json_object_get(p);
    } else if (!strcmp(type, "response_item")) {
        json_object_array_add(s->history, cx__rollout_item_from_stored(p));
    } else if (!strcmp(type, "compacted")) {
        json_object *repl = cx__json_get(p, "replacement_history");
        if (!repl || !json_object_is_type(repl, json_type_array)) return;
        json_object *h = json_object_new_array();
        size_t n = json_object_array_length(repl);
        for (size_t i = 0; i < n; i++)
            json_object_array_add(h,
                                  cx__rollout_item_from_stored(json_object_array_get_idx(repl, i)));
        replace(&s->history, h);
        /* settings after a compaction are unknown: the next turn injects the
         * full context again unless a turn_context follows */
        replace(&s->turn_context, NULL);
    } else if (!strcmp(type, "turn_context")) {
        replace(&s->turn_context, json_object_get(p));
    } else if (!strcmp(type, "event_msg")) {
        const char *ev = cx__json_get_str(p, "type");
        if (!ev) return;
        if (!strcmp(ev, "user_message")) s->has_user_message = true;
        json_object *info = cx__json_get(p, "info");
        if (!strcmp(ev, "token_count") && info && json_object_is_type(info, json_type_object))
            replace(&s->token_info, json_object_get(info));
    }
}

int cx_session_load(const char *path, cx_session_state **out, cx_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return cx_error_set(err, CX_ENOTFOUND, "cannot open %s: %s", path, strerror(errno));
    cx_session_state *s = calloc(1, sizeof *s);
    if (!s || !(s->history = json_object_new_array()) || !(s->path = strdup(path))) {
        fclose(f);
        cx_session_state_free(s);
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_object *o = NULL;
        if (cx__json_parse(line, (size_t)len, &o, NULL) != 0) continue; /* a torn last line */
        apply_line(s, o);
        json_object_put(o);
    }
    free(line);
    fclose(f);
    const char *id = cx__json_get_str(s->meta, "id");
    if (!id || !(s->id = strdup(id))) {
        cx_session_state_free(s);
        return cx_error_set(err, CX_EPARSE, "%s is not a session rollout (no session_meta)", path);
    }
    *out = s;
    return 0;
}

int cx_session_history_append(const char *codex_home, const char *session_id, const char *text,
                              cx_error *err)
{
    char *path = NULL;
    if (asprintf(&path, "%s/history.jsonl", codex_home) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "session_id", session_id);
    cx__json_set(o, "ts", json_object_new_int64((int64_t)time(NULL)));
    cx__json_set_str(o, "text", text);
    cx_buf b = CX_BUF_INIT;
    cx__json_dump(o, &b);
    cx__buf_putc(&b, '\n');
    json_object_put(o);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len)
        rc = cx_error_set(err, CX_EIO, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    cx__buf_free(&b);
    free(path);
    return rc;
}

char **cx_session_history_read(const char *codex_home, size_t max)
{
    char *path = NULL;
    if (!max || asprintf(&path, "%s/history.jsonl", codex_home) < 0) return NULL;
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) return NULL;
    char **ring = calloc(max, sizeof *ring);
    size_t count = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (ring && (len = getline(&line, &cap, f)) > 0) {
        json_object *o = NULL;
        if (cx__json_parse(line, (size_t)len, &o, NULL) != 0) continue;
        const char *text = cx__json_get_str(o, "text");
        if (text) {
            free(ring[count % max]);
            ring[count % max] = strdup(text);
            count++;
        }
        json_object_put(o);
    }
    free(line);
    fclose(f);
    if (!ring || !count) {
        free(ring);
        return NULL;
    }
    size_t n = count < max ? count : max;
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        out[i] = ring[(count - n + i) % max];
    if (!out)
        for (size_t i = 0; i < max; i++)
            free(ring[i]);
    free(ring);
    return out;
}
