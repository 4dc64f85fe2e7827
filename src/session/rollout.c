/* Rollout writer and the stored <-> sent item conversions (upstream:
 * codex-rs/core/src/rollout/recorder.rs for the format, observed in
 * shared/conformance/SESSIONS.md §2). */
#include "session/rollout.h"

#include "base/buf.h"
#include "base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

struct cx_rollout {
    char *path;
    int fd; /* -1 until the first line */
};

static cx_rollout *with_path(char *path)
{
    cx_rollout *r = path ? calloc(1, sizeof *r) : NULL;
    if (!r) {
        free(path);
        return NULL;
    }
    r->path = path;
    r->fd = -1;
    return r;
}

cx_rollout *cx__rollout_new(const char *codex_home, const char *session_id, time_t created)
{
    struct tm tm;
    localtime_r(&created, &tm);
    char *path = NULL;
    if (asprintf(&path, "%s/sessions/%04d/%02d/%02d/rollout-%04d-%02d-%02dT%02d-%02d-%02d-%s.jsonl",
                 codex_home, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, session_id) < 0)
        return NULL;
    return with_path(path);
}

cx_rollout *cx__rollout_reopen(const char *path)
{
    return with_path(strdup(path));
}

void cx__rollout_free(cx_rollout *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->path);
    free(r);
}

const char *cx__rollout_path(const cx_rollout *r)
{
    return r->path;
}

/* mkdir -p for the directories above path. */
static int make_parents(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return 0;
}

void cx__rollout_timestamp(char out[32])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

int cx__rollout_append(cx_rollout *r, const char *type, const json_object *payload, cx_error *err)
{
    if (r->fd < 0) {
        if (make_parents(r->path) != 0)
            return cx_error_set(err, CX_EIO, "cannot create the folder of %s: %s", r->path,
                                strerror(errno));
        r->fd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (r->fd < 0)
            return cx_error_set(err, CX_EIO, "cannot open %s: %s", r->path, strerror(errno));
    }
    char ts[32];
    cx__rollout_timestamp(ts);
    cx_buf b = CX_BUF_INIT;
    cx__buf_printf(&b, "{\"timestamp\":\"%s\",\"type\":\"%s\",\"payload\":", ts, type);
    cx__json_dump(payload, &b);
    cx__buf_puts(&b, "}\n");
    if (cx__buf_failed(&b)) {
        cx__buf_free(&b);
        return cx_error_set(err, CX_ENOMEM, "out of memory writing the rollout");
    }
    /* One write per line: a reader (or a crash) never sees half of two lines. */
    size_t off = 0;
    while (off < b.len) {
        ssize_t n = write(r->fd, b.data + off, b.len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            cx__buf_free(&b);
            return cx_error_set(err, CX_EIO, "cannot write %s: %s", r->path, strerror(errno));
        }
        off += (size_t)n;
    }
    cx__buf_free(&b);
    return 0;
}

int cx__rollout_append_item(cx_rollout *r, const json_object *item, cx_error *err)
{
    json_object *stored = cx__rollout_item_to_stored(item);
    if (!stored) return cx_error_set(err, CX_ENOMEM, "out of memory writing the rollout");
    int rc = cx__rollout_append(r, "response_item", stored, err);
    json_object_put(stored);
    return rc;
}

static bool is_custom_output(const json_object *item)
{
    const char *type = cx__json_get_str(item, "type");
    return type && !strcmp(type, "custom_tool_call_output") && cx__json_get_str(item, "output");
}

/* A copy of item with "output" replaced (value taken). */
static json_object *with_output(const json_object *item, json_object *output)
{
    json_object *copy = json_object_new_object();
    json_object_object_foreach((json_object *)item, k, v)
    {
        if (!strcmp(k, "output"))
            cx__json_set(copy, k, output);
        else
            cx__json_set(copy, k, json_object_get(v));
    }
    return copy;
}

/* Upstream stores a reasoning item with "content": null when it has none
 * (and replays it so); in-process requests leave the key out. */
static json_object *reasoning_to_stored(const json_object *item)
{
    json_object *copy = json_object_new_object();
    json_object_object_foreach((json_object *)item, k, v)
    {
        cx__json_set(copy, k, json_object_get(v));
        if (!strcmp(k, "summary")) cx__json_set(copy, "content", NULL);
    }
    return copy;
}

json_object *cx__rollout_item_to_stored(const json_object *item)
{
    const char *type = cx__json_get_str(item, "type");
    if (type && !strcmp(type, "reasoning") && !json_object_object_get_ex(item, "content", NULL) &&
        json_object_object_get_ex(item, "summary", NULL))
        return reasoning_to_stored(item);
    if (!is_custom_output(item)) return json_object_get((json_object *)item);
    const char *text = cx__json_get_str(item, "output");
    long code;
    char secs[32];
    int used = 0;
    if (sscanf(text, "Exit code: %ld\nWall time: %31[0-9.] seconds\nOutput:\n%n", &code, secs,
               &used) < 2 ||
        used == 0)
        return json_object_get((json_object *)item);
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "output", text + used);
    json_object *meta = json_object_new_object();
    cx__json_set(meta, "exit_code", json_object_new_int64(code));
    cx__json_set(meta, "duration_seconds", json_object_new_double_s(strtod(secs, NULL), secs));
    cx__json_set(o, "metadata", meta);
    char *s = cx__json_to_string(o);
    json_object_put(o);
    json_object *out = s ? with_output(item, json_object_new_string(s)) : NULL;
    free(s);
    return out;
}

json_object *cx__rollout_item_from_stored(const json_object *item)
{
    if (!is_custom_output(item)) return json_object_get((json_object *)item);
    const char *s = cx__json_get_str(item, "output");
    if (s[0] != '{') return json_object_get((json_object *)item);
    json_object *o = NULL;
    if (cx__json_parse(s, strlen(s), &o, NULL) != 0) return json_object_get((json_object *)item);
    const char *text = cx__json_get_str(o, "output");
    json_object *meta = cx__json_get(o, "metadata");
    int64_t code;
    json_object *secs = cx__json_get(meta, "duration_seconds");
    if (!text || !cx__json_get_int(meta, "exit_code", &code) || !secs) {
        json_object_put(o);
        return json_object_get((json_object *)item);
    }
    cx_buf b = CX_BUF_INIT;
    cx__buf_printf(&b, "Exit code: %lld\nWall time: %s seconds\nOutput:\n%s", (long long)code,
                   json_object_to_json_string_ext(secs, JSON_C_TO_STRING_PLAIN), text);
    json_object *out = with_output(item, json_object_new_string(cx__buf_str(&b)));
    cx__buf_free(&b);
    json_object_put(o);
    return out;
}
