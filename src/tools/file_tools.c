/* read_file, list_dir, grep_files: see file_tools.h. */
#include "tools/file_tools.h"

#include "base/buf.h"
#include "base/json.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE_LENGTH 500
#define MAX_ENTRY_LENGTH 500
#define TAB_WIDTH 4
#define GREP_DEFAULT_LIMIT 100
#define GREP_MAX_LIMIT 2000
#define GREP_TIMEOUT_MS 30000

extern char **environ;

/* ---- shared --------------------------------------------------------------------- */

static int answer(cx_tool_output *out, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int answer(cx_tool_output *out, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_buf b = CX_BUF_INIT;
    cx_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    cx_buf_puts(&b, "");
    free(out->text);
    out->text = cx_buf_steal(&b);
    out->success = ok;
    return out->text ? 0 : CX_ENOMEM;
}

/* Rust's io::Error display, which upstream's messages carry. */
static const char *os_error(int e, char *buf, size_t size)
{
    snprintf(buf, size, "%s (os error %d)", strerror(e), e);
    return buf;
}

static json_object *parse_args(const cx_tool_call *call, cx_tool_output *out, int *rc)
{
    json_object *args = NULL;
    cx_error err = {0};
    const char *in = call->input ? call->input : "";
    if (cx_json_parse(in, strlen(in), &args, &err) || !json_object_is_type(args, json_type_object)) {
        json_object_put(args);
        *rc = answer(out, false, "failed to parse function arguments: %s",
                     err.msg[0] ? err.msg : "expected a JSON object");
        return NULL;
    }
    return args;
}

/* An optional non-negative integer argument; false (and the answer set) when
 * it is there but not one. */
static bool get_count(json_object *args, const char *key, size_t dflt, size_t *out_v, cx_tool_output *out, int *rc)
{
    json_object *v = cx_json_get(args, key);
    *out_v = dflt;
    if (!v || json_object_is_type(v, json_type_null)) return true;
    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
        *rc = answer(out, false, "failed to parse function arguments: `%s` must be a non-negative integer", key);
        return false;
    }
    *out_v = (size_t)json_object_get_int64(v);
    return true;
}

/* Lossy UTF-8 of a line, cut to max bytes on a character boundary. */
static void display_text(const char *s, size_t len, size_t max, cx_buf *out)
{
    cx_buf fixed = CX_BUF_INIT;
    cx_utf8_repair(s, len, &fixed);
    size_t n = fixed.len;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)fixed.data[n] & 0xC0) == 0x80) n--;
    }
    cx_buf_append(out, fixed.data ? fixed.data : "", n);
    cx_buf_free(&fixed);
}

/* ---- read_file -------------------------------------------------------------------- */

typedef struct line {
    char *raw;    /* lossy UTF-8, no line end */
    size_t len;
    size_t indent;
} line;

static void lines_free(line *v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i].raw);
    free(v);
}

/* Reads every line of path (a trailing "\r\n" or "\n" removed). */
static int read_lines(const char *path, line **out, size_t *n, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return -1;
    }
    line *v = NULL;
    size_t cnt = 0, cap = 0;
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t got;
    while ((got = getline(&buf, &bcap, f)) > 0) {
        size_t len = (size_t)got;
        if (buf[len - 1] == '\n') {
            len--;
            if (len && buf[len - 1] == '\r') len--;
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            line *p = realloc(v, cap * sizeof *p);
            if (!p) break;
            v = p;
        }
        cx_buf fixed = CX_BUF_INIT;
        cx_utf8_repair(buf, len, &fixed);
        cx_buf_puts(&fixed, "");
        size_t indent = 0;
        for (size_t i = 0; i < fixed.len && (fixed.data[i] == ' ' || fixed.data[i] == '\t'); i++)
            indent += fixed.data[i] == '\t' ? TAB_WIDTH : 1;
        v[cnt].len = fixed.len;
        v[cnt].raw = cx_buf_steal(&fixed);
        v[cnt].indent = indent;
        cnt++;
    }
    int e = ferror(f) ? errno : 0;
    free(buf);
    fclose(f);
    if (e) {
        lines_free(v, cnt);
        *err = e;
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

static bool blank(const line *l)
{
    for (size_t i = 0; i < l->len; i++)
        if (!isspace((unsigned char)l->raw[i])) return false;
    return true;
}

static bool comment(const line *l)
{
    const char *p = l->raw;
    while (isspace((unsigned char)*p)) p++;
    return !strncmp(p, "#", 1) || !strncmp(p, "//", 2) || !strncmp(p, "--", 2);
}

static void put_line(cx_buf *b, size_t number, const line *l)
{
    if (b->len) cx_buf_putc(b, '\n');
    cx_buf_printf(b, "L%zu: ", number);
    display_text(l->raw, l->len, MAX_LINE_LENGTH, b);
}

typedef struct indent_opts {
    size_t anchor, max_levels, max_lines;
    bool has_anchor, include_siblings, include_header, has_max_lines;
} indent_opts;

/* Upstream's block expansion: grow up and down from the anchor while lines
 * are at least min_indent deep; at min_indent, take one boundary line on each
 * side unless siblings are wanted (comment headers above always count). */
static int indentation_block(const line *v, size_t n, size_t offset, size_t limit, const indent_opts *o,
                             cx_buf *out, const char **error)
{
    size_t anchor = o->has_anchor ? o->anchor : offset;
    if (anchor == 0) return *error = "anchor_line must be a 1-indexed line number", -1;
    size_t guard = o->has_max_lines ? o->max_lines : limit;
    if (guard == 0) return *error = "max_lines must be greater than zero", -1;
    if (n == 0 || anchor > n) return *error = "anchor_line exceeds file length", -1;
    size_t *eff = malloc(n * sizeof *eff);
    if (!eff) return *error = "out of memory", -1;
    size_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (!blank(&v[i])) prev = v[i].indent;
        eff[i] = prev;
    }
    size_t ai = anchor - 1;
    size_t aind = eff[ai];
    size_t min_indent = o->max_levels == 0 ? 0 : (aind > o->max_levels * TAB_WIDTH ? aind - o->max_levels * TAB_WIDTH : 0);
    size_t final_limit = limit < guard ? limit : guard;
    if (final_limit > n) final_limit = n;
    if (final_limit == 1) {
        put_line(out, ai + 1, &v[ai]);
        free(eff);
        return 0;
    }
    /* the block is the index range [lo, hi] */
    size_t lo = ai, hi = ai;
    long i = (long)ai - 1;
    size_t j = ai + 1;
    int up_at_min = 0, down_at_min = 0;
    while (hi - lo + 1 < final_limit) {
        int progressed = 0;
        if (i >= 0) {
            size_t iu = (size_t)i;
            if (eff[iu] >= min_indent) {
                lo = iu;
                progressed++;
                i--;
                if (eff[iu] == min_indent && !o->include_siblings) {
                    bool header_comment = o->include_header && comment(&v[iu]);
                    if (header_comment || up_at_min == 0) {
                        up_at_min++;
                    } else {
                        lo = iu + 1; /* that line belongs to a sibling: give it back */
                        progressed--;
                        i = -1;
                    }
                }
                if (hi - lo + 1 >= final_limit) break;
            } else {
                i = -1;
            }
        }
        if (j < n) {
            if (eff[j] >= min_indent) {
                hi = j;
                progressed++;
                j++;
                if (eff[hi] == min_indent && !o->include_siblings) {
                    if (down_at_min > 0) {
                        hi--;
                        progressed--;
                        j = n;
                    }
                    down_at_min++;
                }
            } else {
                j = n;
            }
        }
        if (progressed == 0) break;
    }
    while (lo < hi && blank(&v[lo])) lo++;
    while (hi > lo && blank(&v[hi])) hi--;
    if (!(lo == hi && blank(&v[lo])))
        for (size_t k = lo; k <= hi; k++) put_line(out, k + 1, &v[k]);
    free(eff);
    return 0;
}

static int read_file_tool(void *state, const cx_tool_call *call, const cx_tool_env *env, cx_tool_output *out)
{
    (void)state;
    (void)env;
    int rc = 0;
    json_object *args = parse_args(call, out, &rc);
    if (!args) return rc;
    const char *path = cx_json_get_str(args, "file_path");
    size_t offset, limit;
    if (!path) {
        rc = answer(out, false, "failed to parse function arguments: missing field `file_path`");
        goto done;
    }
    if (!get_count(args, "offset", 1, &offset, out, &rc) || !get_count(args, "limit", 2000, &limit, out, &rc))
        goto done;
    const char *mode = cx_json_get_str(args, "mode");
    if (mode && strcmp(mode, "slice") && strcmp(mode, "indentation")) {
        rc = answer(out, false, "failed to parse function arguments: unknown variant `%s`, expected `slice` or `indentation`",
                    mode);
        goto done;
    }
    indent_opts o = {.include_header = true};
    json_object *ind = cx_json_get(args, "indentation");
    if (ind && json_object_is_type(ind, json_type_object)) {
        json_object *a = cx_json_get(ind, "anchor_line"), *m = cx_json_get(ind, "max_lines");
        o.has_anchor = a && !json_object_is_type(a, json_type_null);
        o.has_max_lines = m && !json_object_is_type(m, json_type_null);
        if (!get_count(ind, "anchor_line", 0, &o.anchor, out, &rc) ||
            !get_count(ind, "max_levels", 0, &o.max_levels, out, &rc) ||
            !get_count(ind, "max_lines", 0, &o.max_lines, out, &rc))
            goto done;
        cx_json_get_bool(ind, "include_siblings", &o.include_siblings);
        cx_json_get_bool(ind, "include_header", &o.include_header);
    }
    if (offset == 0) {
        rc = answer(out, false, "offset must be a 1-indexed line number");
        goto done;
    }
    if (limit == 0) {
        rc = answer(out, false, "limit must be greater than zero");
        goto done;
    }
    if (path[0] != '/') {
        rc = answer(out, false, "file_path must be an absolute path");
        goto done;
    }
    line *v = NULL;
    size_t n = 0;
    int e = 0;
    char eb[128];
    if (read_lines(path, &v, &n, &e)) {
        rc = answer(out, false, "failed to read file: %s", os_error(e, eb, sizeof eb));
        goto done;
    }
    cx_buf text = CX_BUF_INIT;
    cx_buf_puts(&text, "");
    if (mode && !strcmp(mode, "indentation")) {
        const char *error = NULL;
        if (indentation_block(v, n, offset, limit, &o, &text, &error))
            rc = answer(out, false, "%s", error);
        else
            rc = answer(out, true, "%s", text.data);
    } else if (n < offset) {
        rc = answer(out, false, "offset exceeds file length");
    } else {
        for (size_t k = offset - 1; k < n && k - (offset - 1) < limit; k++) put_line(&text, k + 1, &v[k]);
        rc = answer(out, true, "%s", text.data);
    }
    cx_buf_free(&text);
    lines_free(v, n);
done:
    json_object_put(args);
    return rc;
}

/* ---- list_dir --------------------------------------------------------------------- */

typedef struct entry {
    char *name;    /* relative path: the sort key */
    char *display; /* the last component */
    size_t depth;
    char mark; /* '/', '@', '?' or 0 */
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

typedef struct pending {
    char *dir, *prefix;
    size_t depth_left;
} pending;

static int collect(const char *root, size_t depth, entries *all, char *errbuf, size_t errsize)
{
    pending *queue = malloc(sizeof *queue);
    size_t head = 0, tail = 0, qcap = 1;
    if (!queue) return -1;
    queue[tail++] = (pending){strdup(root), strdup(""), depth};
    int rc = 0;
    while (head < tail) {
        pending cur = queue[head++];
        DIR *d = opendir(cur.dir);
        if (!d) {
            char eb[128];
            snprintf(errbuf, errsize, "failed to read directory: %s", os_error(errno, eb, sizeof eb));
            free(cur.dir);
            free(cur.prefix);
            rc = -1;
            break;
        }
        entries here = {0};
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char *full = NULL, *rel = NULL;
            if (asprintf(&full, "%s/%s", cur.dir, de->d_name) < 0) continue;
            if (asprintf(&rel, "%s%s%s", cur.prefix, *cur.prefix ? "/" : "", de->d_name) < 0) {
                free(full);
                continue;
            }
            struct stat st;
            char mark = '?';
            if (lstat(full, &st) == 0)
                mark = S_ISLNK(st.st_mode) ? '@' : S_ISDIR(st.st_mode) ? '/' : S_ISREG(st.st_mode) ? 0 : '?';
            if (here.n == here.cap) {
                here.cap = here.cap ? here.cap * 2 : 32;
                here.v = realloc(here.v, here.cap * sizeof *here.v);
            }
            cx_buf disp = CX_BUF_INIT, key = CX_BUF_INIT;
            display_text(de->d_name, strlen(de->d_name), MAX_ENTRY_LENGTH, &disp);
            display_text(rel, strlen(rel), MAX_ENTRY_LENGTH, &key);
            cx_buf_puts(&disp, "");
            cx_buf_puts(&key, "");
            size_t depth_of = 0;
            for (const char *p = cur.prefix; *cur.prefix && p; p = strchr(p + 1, '/')) depth_of++;
            here.v[here.n++] = (entry){cx_buf_steal(&key), cx_buf_steal(&disp), depth_of, mark};
            if (mark == '/' && cur.depth_left > 1) {
                if (tail == qcap) {
                    qcap *= 2;
                    queue = realloc(queue, qcap * sizeof *queue);
                }
                queue[tail++] = (pending){full, rel, cur.depth_left - 1};
            } else {
                free(full);
                free(rel);
            }
        }
        closedir(d);
        free(cur.dir);
        free(cur.prefix);
        for (size_t k = 0; k < here.n; k++) {
            if (all->n == all->cap) {
                all->cap = all->cap ? all->cap * 2 : 64;
                all->v = realloc(all->v, all->cap * sizeof *all->v);
            }
            all->v[all->n++] = here.v[k];
        }
        free(here.v);
    }
    for (size_t k = head; k < tail; k++) {
        free(queue[k].dir);
        free(queue[k].prefix);
    }
    free(queue);
    return rc;
}

static int list_dir_tool(void *state, const cx_tool_call *call, const cx_tool_env *env, cx_tool_output *out)
{
    (void)state;
    (void)env;
    int rc = 0;
    json_object *args = parse_args(call, out, &rc);
    if (!args) return rc;
    const char *path = cx_json_get_str(args, "dir_path");
    size_t offset, limit, depth;
    if (!path) {
        rc = answer(out, false, "failed to parse function arguments: missing field `dir_path`");
        goto done;
    }
    if (!get_count(args, "offset", 1, &offset, out, &rc) || !get_count(args, "limit", 25, &limit, out, &rc) ||
        !get_count(args, "depth", 2, &depth, out, &rc))
        goto done;
    if (offset == 0) {
        rc = answer(out, false, "offset must be a 1-indexed entry number");
    } else if (limit == 0) {
        rc = answer(out, false, "limit must be greater than zero");
    } else if (depth == 0) {
        rc = answer(out, false, "depth must be greater than zero");
    } else if (path[0] != '/') {
        rc = answer(out, false, "dir_path must be an absolute path");
    } else {
        entries all = {0};
        char err[512];
        if (collect(path, depth, &all, err, sizeof err)) {
            rc = answer(out, false, "%s", err);
        } else {
            cx_buf b = CX_BUF_INIT;
            cx_buf_printf(&b, "Absolute path: %s", path);
            if (all.n) qsort(all.v, all.n, sizeof *all.v, by_name);
            if (all.n && offset - 1 >= all.n) {
                rc = answer(out, false, "offset exceeds directory entry count");
            } else if (all.n) {
                size_t start = offset - 1, take = limit < all.n - start ? limit : all.n - start;
                for (size_t k = start; k < start + take; k++) {
                    cx_buf_putc(&b, '\n');
                    for (size_t s = 0; s < all.v[k].depth * 2; s++) cx_buf_putc(&b, ' ');
                    cx_buf_puts(&b, all.v[k].display);
                    if (all.v[k].mark) cx_buf_putc(&b, all.v[k].mark);
                }
                if (start + take < all.n) cx_buf_printf(&b, "\nMore than %zu entries found", take);
            }
            if (!out->text) rc = answer(out, true, "%s", cx_buf_str(&b));
            cx_buf_free(&b);
        }
        for (size_t k = 0; k < all.n; k++) {
            free(all.v[k].name);
            free(all.v[k].display);
        }
        free(all.v);
    }
done:
    json_object_put(args);
    return rc;
}

/* ---- grep_files ------------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv in cwd collecting stdout and stderr. Returns the exit status, -2
 * on timeout, -3 when cancelled, or -1 with *spawn_err when it could not
 * start. */
static int run_capture(char *const argv[], const char *cwd, long timeout_ms, const atomic_bool *cancel, cx_buf *so,
                       cx_buf *se, int *spawn_err)
{
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC)) return *spawn_err = errno, -1;
    if (pipe2(e, O_CLOEXEC)) {
        *spawn_err = errno;
        close(o[0]);
        close(o[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    pid_t pid;
    int r = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(o[1]);
    close(e[1]);
    if (r) {
        close(o[0]);
        close(e[0]);
        *spawn_err = r;
        return -1;
    }
    long long deadline = now_ms() + timeout_ms;
    struct pollfd p[2] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
    int open_fds = 2, result = 0;
    char chunk[16384];
    while (open_fds > 0) {
        if (cancel && atomic_load(cancel)) {
            result = -3;
            break;
        }
        long left = (long)(deadline - now_ms());
        if (left <= 0) {
            result = -2;
            break;
        }
        if (poll(p, 2, left < 100 ? (int)left : 100) < 0 && errno != EINTR) break;
        for (int k = 0; k < 2; k++) {
            if (p[k].fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(p[k].fd, chunk, sizeof chunk);
            if (n > 0) {
                cx_buf_append(k ? se : so, chunk, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(p[k].fd);
                p[k].fd = -1;
                open_fds--;
            }
        }
    }
    for (int k = 0; k < 2; k++)
        if (p[k].fd >= 0) close(p[k].fd);
    if (result < 0) kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (result < 0) return result;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int grep_files_tool(void *state, const cx_tool_call *call, const cx_tool_env *env, cx_tool_output *out)
{
    (void)state;
    int rc = 0;
    json_object *args = parse_args(call, out, &rc);
    if (!args) return rc;
    const char *raw = cx_json_get_str(args, "pattern");
    size_t limit;
    char *pattern = NULL, *search = NULL, *include = NULL;
    if (!raw) {
        rc = answer(out, false, "failed to parse function arguments: missing field `pattern`");
        goto done;
    }
    if (!get_count(args, "limit", GREP_DEFAULT_LIMIT, &limit, out, &rc)) goto done;
    /* trim, as upstream does, before deciding it is empty */
    while (isspace((unsigned char)*raw)) raw++;
    pattern = strdup(raw);
    for (size_t n = strlen(pattern); n > 0 && isspace((unsigned char)pattern[n - 1]); n--) pattern[n - 1] = '\0';
    if (!*pattern) {
        rc = answer(out, false, "pattern must not be empty");
        goto done;
    }
    if (limit == 0) {
        rc = answer(out, false, "limit must be greater than zero");
        goto done;
    }
    if (limit > GREP_MAX_LIMIT) limit = GREP_MAX_LIMIT;
    const char *p = cx_json_get_str(args, "path");
    const char *cwd = env->cwd ? env->cwd : ".";
    if (p && *p && p[0] == '/')
        search = strdup(p);
    else if (p && *p)
        rc = asprintf(&search, "%s/%s", cwd, p) < 0 ? CX_ENOMEM : 0;
    else
        search = strdup(cwd);
    if (rc || !search) {
        rc = CX_ENOMEM;
        goto done;
    }
    struct stat st;
    char eb[128];
    if (stat(search, &st) != 0) {
        rc = answer(out, false, "unable to access `%s`: %s", search, os_error(errno, eb, sizeof eb));
        goto done;
    }
    const char *inc = cx_json_get_str(args, "include");
    if (inc) {
        while (isspace((unsigned char)*inc)) inc++;
        include = strdup(inc);
        for (size_t n = strlen(include); n > 0 && isspace((unsigned char)include[n - 1]); n--) include[n - 1] = '\0';
    }
    char *argv[12];
    int k = 0;
    argv[k++] = "rg";
    argv[k++] = "--files-with-matches";
    argv[k++] = "--sortr=modified";
    argv[k++] = "--regexp";
    argv[k++] = pattern;
    argv[k++] = "--no-messages";
    if (include && *include) {
        argv[k++] = "--glob";
        argv[k++] = include;
    }
    argv[k++] = "--";
    argv[k++] = search;
    argv[k] = NULL;
    cx_buf so = CX_BUF_INIT, se = CX_BUF_INIT;
    int spawn_err = 0;
    int status = run_capture(argv, cwd, GREP_TIMEOUT_MS, env->cancel, &so, &se, &spawn_err);
    cx_buf_puts(&so, "");
    cx_buf_puts(&se, "");
    if (status == -1) {
        rc = answer(out, false, "failed to launch ripgrep (`rg`): %s. Install ripgrep and make sure `rg` is on PATH.",
                    os_error(spawn_err, eb, sizeof eb));
    } else if (status == -2) {
        rc = answer(out, false, "rg timed out after 30 seconds");
    } else if (status == -3) {
        rc = CX_ECANCELED;
    } else if (status == 1 || (status == 0 && !so.len)) {
        rc = answer(out, false, "No matches found.");
    } else if (status != 0) {
        cx_buf msg = CX_BUF_INIT;
        display_text(se.data, se.len, 4096, &msg);
        cx_buf_puts(&msg, "");
        rc = answer(out, false, "rg failed: %s", msg.data);
        cx_buf_free(&msg);
    } else {
        cx_buf list = CX_BUF_INIT;
        size_t count = 0;
        for (char *ln = so.data, *nl; ln && *ln && count < limit; ln = nl ? nl + 1 : NULL) {
            nl = strchr(ln, '\n');
            size_t len = nl ? (size_t)(nl - ln) : strlen(ln);
            if (!len || !cx_utf8_valid(ln, len)) continue; /* upstream skips non-UTF-8 paths */
            if (count++) cx_buf_putc(&list, '\n');
            cx_buf_append(&list, ln, len);
        }
        cx_buf_puts(&list, "");
        rc = count ? answer(out, true, "%s", list.data) : answer(out, false, "No matches found.");
        cx_buf_free(&list);
    }
    cx_buf_free(&so);
    cx_buf_free(&se);
done:
    free(pattern);
    free(search);
    free(include);
    json_object_put(args);
    return rc;
}

/* ---- specs --------------------------------------------------------------------------- */

static const char READ_FILE_SPEC[] =
    "{\"type\":\"function\",\"name\":\"read_file\",\"description\":\"Read lines of a local file, each "
    "prefixed with its number as `L<n>: `. In `slice` mode it returns `limit` lines from `offset`; in "
    "`indentation` mode it returns the code block around an anchor line, following indentation to "
    "parents (and optionally siblings).\",\"strict\":false,\"parameters\":{\"type\":\"object\","
    "\"properties\":{"
    "\"file_path\":{\"type\":\"string\",\"description\":\"Absolute path of the file.\"},"
    "\"indentation\":{\"type\":\"object\",\"properties\":{"
    "\"anchor_line\":{\"type\":\"number\",\"description\":\"Line the block is built around; offset "
    "if left out.\"},"
    "\"include_header\":{\"type\":\"boolean\",\"description\":\"Also take comment lines just above "
    "the block (true unless set).\"},"
    "\"include_siblings\":{\"type\":\"boolean\",\"description\":\"Also take neighbouring blocks at "
    "the same depth.\"},"
    "\"max_levels\":{\"type\":\"number\",\"description\":\"How many indentation levels to climb; 0 "
    "for no bound.\"},"
    "\"max_lines\":{\"type\":\"number\",\"description\":\"Upper bound on lines returned; limit if "
    "left out.\"}},\"additionalProperties\":false},"
    "\"limit\":{\"type\":\"number\",\"description\":\"Most lines to return (2000 if left out).\"},"
    "\"mode\":{\"type\":\"string\",\"description\":\"`slice` (the default) or `indentation`.\"},"
    "\"offset\":{\"type\":\"number\",\"description\":\"First line to return, counting from 1.\"}},"
    "\"required\":[\"file_path\"],\"additionalProperties\":false}}";

static const char LIST_DIR_SPEC[] =
    "{\"type\":\"function\",\"name\":\"list_dir\",\"description\":\"List a local directory's entries, "
    "nested folders indented, with `/` after directories, `@` after symlinks and `?` after other "
    "special files.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"depth\":{\"type\":\"number\",\"description\":\"How many levels to descend (2 if left out).\"},"
    "\"dir_path\":{\"type\":\"string\",\"description\":\"Absolute path of the directory.\"},"
    "\"limit\":{\"type\":\"number\",\"description\":\"Most entries to return (25 if left out).\"},"
    "\"offset\":{\"type\":\"number\",\"description\":\"First entry to return, counting from 1.\"}},"
    "\"required\":[\"dir_path\"],\"additionalProperties\":false}}";

static const char GREP_FILES_SPEC[] =
    "{\"type\":\"function\",\"name\":\"grep_files\",\"description\":\"Find files whose contents match "
    "a regular expression (ripgrep syntax); returns their paths, most recently modified "
    "first.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"include\":{\"type\":\"string\",\"description\":\"Only search files matching this glob, e.g. "
    "`*.rs`.\"},"
    "\"limit\":{\"type\":\"number\",\"description\":\"Most paths to return (100 if left out, at most "
    "2000).\"},"
    "\"path\":{\"type\":\"string\",\"description\":\"File or directory to search; the working "
    "directory if left out.\"},"
    "\"pattern\":{\"type\":\"string\",\"description\":\"The regular expression.\"}},"
    "\"required\":[\"pattern\"],\"additionalProperties\":false}}";

static int add(cx_tool_registry *reg, const char *name, const char *spec_text, size_t len, cx_tool_handler h)
{
    json_object *spec = NULL;
    if (cx_json_parse(spec_text, len, &spec, NULL)) return CX_ENOMEM;
    cx_tool_def d = {name, CX_TOOL_FUNCTION, true, spec, h, NULL, NULL};
    return cx_tools_add(reg, &d);
}

int cx_read_file_tool_register(cx_tool_registry *reg)
{
    return add(reg, "read_file", READ_FILE_SPEC, sizeof READ_FILE_SPEC - 1, read_file_tool);
}

int cx_list_dir_tool_register(cx_tool_registry *reg)
{
    return add(reg, "list_dir", LIST_DIR_SPEC, sizeof LIST_DIR_SPEC - 1, list_dir_tool);
}

int cx_grep_files_tool_register(cx_tool_registry *reg)
{
    return add(reg, "grep_files", GREP_FILES_SPEC, sizeof GREP_FILES_SPEC - 1, grep_files_tool);
}
