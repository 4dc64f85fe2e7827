/* list_dir: a directory's entries, breadth first down to `depth` levels,
 * as upstream's list_dir handler lists them. Each directory's entries are
 * sorted by relative path and queued level by level; the offset/limit
 * window is taken over that breadth-first order and only then sorted by
 * path, so a cut listing keeps the shallow entries. Symlinks are not
 * followed. */
#include "tools/file_tools.h"

#include <dirent.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ENTRY_LENGTH 500
#define INDENTATION_SPACES 2

typedef struct entry {
    char *name;                /* relative path, lossy and cut: the sort key */
    char *display;             /* last component, lossy and cut */
    size_t depth;              /* components in the parent's relative path */
    char mark;                 /* '/' directory, '@' symlink, '?' other, 0 regular file */
    char *walk_dir, *walk_rel; /* a directory to descend into: its path and raw relative path */
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

typedef struct pending {
    char *dir;    /* path to open */
    char *prefix; /* its path relative to the listed directory ("" for the root) */
    size_t depth_left;
} pending;

static void entries_free(entries *e)
{
    for (size_t k = 0; k < e->n; k++) {
        free(e->v[k].name);
        free(e->v[k].display);
        free(e->v[k].walk_dir);
        free(e->v[k].walk_rel);
    }
    free(e->v);
    *e = (entries){0};
}

static int entries_push(entries *e, entry item)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        entry *p = realloc(e->v, cap * sizeof *p);
        if (!p) return CX_ENOMEM;
        e->v = p;
        e->cap = cap;
    }
    e->v[e->n++] = item;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static char *lossy_cut(const char *s)
{
    cx_buf b = CX_BUF_INIT;
    cx__ft_lossy_prefix(s, strlen(s), MAX_ENTRY_LENGTH, &b);
    cx__buf_puts(&b, "");
    return cx__buf_steal(&b);
}

/* Upstream sorts by the relative path with any backslash turned into '/'. */
static char *sort_key(const char *rel)
{
    char *key = lossy_cut(rel);
    for (char *p = key; p && *p; p++)
        if (*p == '\\') *p = '/';
    return key;
}

/* path joined as Rust's Path::join joins: no doubled separator. */
static char *join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    cx_buf b = CX_BUF_INIT;
    cx__buf_append(&b, dir, dl);
    if (dl && dir[dl - 1] != '/') cx__buf_putc(&b, '/');
    cx__buf_puts(&b, name);
    return cx__buf_steal(&b);
}

static size_t components(const char *prefix)
{
    if (!*prefix) return 0;
    size_t n = 1;
    for (const char *p = prefix; *p; p++)
        n += *p == '/';
    return n;
}

/* Lists one directory into *out (sorted by name) and queues its
 * subdirectories. Returns 0, CX_ENOMEM, or 1 with the message in *why. */
static int read_one(const pending *cur, entries *out, pending **queue, size_t *tail, size_t *qcap,
                    char *why, size_t why_size)
{
    char eb[256];
    DIR *d = opendir(cur->dir);
    if (!d) {
        snprintf(why, why_size, "failed to read directory: %s",
                 cx__ft_os_error(errno, eb, sizeof eb));
        return 1;
    }
    entries here = {0};
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) {
                snprintf(why, why_size, "failed to read directory: %s",
                         cx__ft_os_error(errno, eb, sizeof eb));
                rc = 1;
            }
            break;
        }
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char mark = '?';
        switch (de->d_type) {
        case DT_LNK:
            mark = '@';
            break;
        case DT_DIR:
            mark = '/';
            break;
        case DT_REG:
            mark = 0;
            break;
        case DT_UNKNOWN: {
            /* the file system gave no type: ask, without following links */
            char *full = join(cur->dir, de->d_name);
            if (!full) {
                rc = CX_ENOMEM;
                break;
            }
            struct stat st;
            int r = lstat(full, &st);
            int e = errno;
            free(full);
            if (r) {
                snprintf(why, why_size, "failed to inspect entry: %s",
                         cx__ft_os_error(e, eb, sizeof eb));
                rc = 1;
                break;
            }
            mark = S_ISLNK(st.st_mode)   ? '@'
                   : S_ISDIR(st.st_mode) ? '/'
                   : S_ISREG(st.st_mode) ? 0
                                         : '?';
            break;
        }
        default:
            break; /* fifo, socket, device: '?' */
        }
        if (rc) break;
        char *rel = *cur->prefix ? join(cur->prefix, de->d_name) : strdup(de->d_name);
        entry it = {rel ? sort_key(rel) : NULL,
                    lossy_cut(de->d_name),
                    components(cur->prefix),
                    mark,
                    NULL,
                    NULL};
        bool ok = rel && it.name && it.display;
        if (ok && mark == '/' && cur->depth_left > 1) {
            it.walk_dir = join(cur->dir, de->d_name);
            it.walk_rel = rel;
            rel = NULL;
            ok = it.walk_dir != NULL;
        }
        free(rel);
        if (!ok || entries_push(&here, it)) {
            free(it.name);
            free(it.display);
            free(it.walk_dir);
            free(it.walk_rel);
            rc = CX_ENOMEM;
            break;
        }
    }
    closedir(d);
    /* sorted first, so the subdirectories are queued in name order too */
    if (!rc && here.n) qsort(here.v, here.n, sizeof *here.v, by_name);
    for (size_t k = 0; !rc && k < here.n; k++) {
        entry *it = &here.v[k];
        if (it->walk_dir) {
            if (*tail == *qcap) {
                pending *p = realloc(*queue, *qcap * 2 * sizeof *p);
                if (!p) {
                    rc = CX_ENOMEM;
                    break;
                }
                *queue = p;
                *qcap *= 2;
            }
            (*queue)[(*tail)++] = (pending){it->walk_dir, it->walk_rel, cur->depth_left - 1};
            it->walk_dir = it->walk_rel = NULL;
        }
        if (entries_push(out, *it)) {
            rc = CX_ENOMEM;
            break;
        }
        *it = (entry){0};
    }
    entries_free(&here);
    return rc;
}

/* Breadth-first collection. Returns 0, CX_ENOMEM, CX_ECANCELED or 1 with *why. */
static int collect(const char *root, size_t depth, const atomic_bool *cancel, entries *all,
                   char *why, size_t why_size)
{
    size_t head = 0, tail = 0, qcap = 16;
    pending *queue = malloc(qcap * sizeof *queue);
    char *dir = strdup(root), *prefix = strdup("");
    if (!queue || !dir || !prefix) {
        free(queue);
        free(dir);
        free(prefix);
        return CX_ENOMEM;
    }
    queue[tail++] = (pending){dir, prefix, depth};
    int rc = 0;
    while (!rc && head < tail) {
        if (cancel && atomic_load(cancel)) {
            rc = CX_ECANCELED;
            break;
        }
        pending cur = queue[head++];
        rc = read_one(&cur, all, &queue, &tail, &qcap, why, why_size);
        free(cur.dir);
        free(cur.prefix);
    }
    for (size_t k = head; k < tail; k++) {
        free(queue[k].dir);
        free(queue[k].prefix);
    }
    free(queue);
    return rc;
}

static int list(const char *path, size_t offset, size_t limit, size_t depth,
                const atomic_bool *cancel, cx_tool_output *out)
{
    entries all = {0};
    char why[1024];
    int rc = collect(path, depth, cancel, &all, why, sizeof why);
    if (rc == 1) {
        rc = cx__ft_answer(out, false, "%s", why);
    } else if (rc == 0 && all.n && offset - 1 >= all.n) {
        rc = cx__ft_answer(out, false, "offset exceeds directory entry count");
    } else if (rc == 0) {
        cx_buf b = CX_BUF_INIT;
        cx__buf_printf(&b, "Absolute path: %s", path);
        if (all.n) {
            size_t start = offset - 1, remaining = all.n - start;
            size_t take = limit < remaining ? limit : remaining;
            qsort(all.v + start, take, sizeof *all.v, by_name);
            for (size_t k = start; k < start + take; k++) {
                cx__buf_putc(&b, '\n');
                for (size_t s = 0; s < all.v[k].depth * INDENTATION_SPACES; s++)
                    cx__buf_putc(&b, ' ');
                cx__buf_puts(&b, all.v[k].display);
                if (all.v[k].mark) cx__buf_putc(&b, all.v[k].mark);
            }
            if (start + take < all.n) cx__buf_printf(&b, "\nMore than %zu entries found", take);
        }
        rc = cx__buf_failed(&b) ? CX_ENOMEM : cx__ft_answer(out, true, "%s", cx__buf_str(&b));
        cx__buf_free(&b);
    }
    entries_free(&all);
    return rc;
}

static int list_dir_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                            cx_tool_output *out)
{
    (void)state;
    /* upstream's ListDirArgs, in declaration order, with its defaults */
    cx__ft_field fields[] = {
        {.name = "dir_path", .type = CX__FT_STRING, .required = true},
        {.name = "offset", .type = CX__FT_USIZE, .num = 1},
        {.name = "limit", .type = CX__FT_USIZE, .num = 25},
        {.name = "depth", .type = CX__FT_USIZE, .num = 2},
    };
    cx__ft_struct args = {"ListDirArgs", fields, sizeof fields / sizeof *fields};
    const char *in = call->input ? call->input : "";
    char *msg = NULL;
    int rc = cx__ft_decode(in, strlen(in), &args, &msg);
    if (rc == 1) {
        rc = cx__ft_answer(out, false, "%s", msg);
        free(msg);
    } else if (rc == 0) {
        const char *path = fields[0].str;
        size_t offset = fields[1].num, limit = fields[2].num, depth = fields[3].num;
        if (offset == 0)
            rc = cx__ft_answer(out, false, "offset must be a 1-indexed entry number");
        else if (limit == 0)
            rc = cx__ft_answer(out, false, "limit must be greater than zero");
        else if (depth == 0)
            rc = cx__ft_answer(out, false, "depth must be greater than zero");
        else if (path[0] != '/')
            rc = cx__ft_answer(out, false, "dir_path must be an absolute path");
        else
            rc = list(path, offset, limit, depth, env ? env->cancel : NULL, out);
    }
    cx__ft_clear(&args);
    return rc;
}

/* Names, types and the required list are upstream's; the wording is ours. */
static const char LIST_DIR_SPEC[] =
    "{\"type\":\"function\",\"name\":\"list_dir\","
    "\"description\":\"List what a local directory contains, descending into subdirectories up "
    "to `depth` levels. Nested entries are indented; names end in `/` for directories, `@` for "
    "symbolic links and `?` for other special files.\","
    "\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"depth\":{\"type\":\"number\",\"description\":\"How many directory levels to descend (at "
    "least 1).\"},"
    "\"dir_path\":{\"type\":\"string\",\"description\":\"The directory to list, as an absolute "
    "path.\"},"
    "\"limit\":{\"type\":\"number\",\"description\":\"Most entries to return.\"},"
    "\"offset\":{\"type\":\"number\",\"description\":\"First entry to return, counting from 1.\"}},"
    "\"required\":[\"dir_path\"],\"additionalProperties\":false}}";

int cx__list_dir_tool_register(cx_tool_registry *reg)
{
    return cx__ft_register(reg, "list_dir", LIST_DIR_SPEC, list_dir_handler);
}
