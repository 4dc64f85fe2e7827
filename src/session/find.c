/* Finding stored sessions by scanning CODEX_HOME/sessions/YYYY/MM/DD
 * (SESSIONS.md §3.2, §4). Names are matched without opening files; for
 * --last and listings the files are stat'ed and sorted newest first. A file
 * the listing cache (index.h) still describes is opened only if it can
 * match; others are opened one by one until enough match, deciding from
 * their first 4 KiB when possible and else reading the first line
 * (session_meta) and then only as far as the first user_message. */
#include "ccodex/session.h"

#include "base/buf.h"
#include "base/json.h"
#include "session/index.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {
    char *path;
    struct stat st;
    const cx__sidx_meta *cached; /* the listing cache's still-valid record */
} entry;

typedef struct scan {
    entry *v;
    size_t n, cap;
    const char *want_suffix; /* "-<id>.jsonl": stop at the first such name */
    char *found;
    /* listing: the filters, the cache and the length of "<home>/sessions/" */
    const cx_session_query *q;
    cx__sidx *ix;
    size_t root_len;
} scan;

static bool passes_fields(const cx_session_query *q, const char *cwd, const char *prov,
                          const char *src);

static bool is_digits(const char *s, size_t n)
{
    if (strlen(s) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int add_file(scan *sc, int dfd, const char *dir, const struct dirent *de)
{
    const char *name = de->d_name;
    if (strncmp(name, "rollout-", 8) != 0 || !ends_with(name, ".jsonl")) return 0;
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0) return CX_ENOMEM;
    if (sc->want_suffix) {
        if (ends_with(name, sc->want_suffix))
            sc->found = path;
        else
            free(path);
        return 0;
    }
    /* a file the cache knows, by its inode, to fail the filters is left
     * unstat'ed: with 10,000 rollouts the stats were most of --last's cost */
    const cx__sidx_meta *m =
        sc->ix ? cx__sidx_meta_by_inode(sc->ix, path + sc->root_len, (unsigned long long)de->d_ino)
               : NULL;
    struct stat st;
    /* relative to the open directory: no path walk per file */
    if ((m && !passes_fields(sc->q, m->cwd, m->provider, m->source)) ||
        fstatat(dfd, name, &st, 0) != 0) {
        free(path);
        return 0;
    }
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 256;
        entry *v = realloc(sc->v, cap * sizeof *v);
        if (!v) {
            free(path);
            return CX_ENOMEM;
        }
        sc->v = v;
        sc->cap = cap;
    }
    memset(&sc->v[sc->n], 0, sizeof sc->v[sc->n]);
    sc->v[sc->n].path = path;
    sc->v[sc->n].st = st;
    sc->n++;
    return 0;
}

/* Walks sessions/YYYY/MM/DD (depth counts the date levels still to go). */
static int walk(scan *sc, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    int rc = 0;
    static const size_t widths[] = {2, 2, 4}; /* DD, MM, YYYY by remaining depth */
    while (!rc && !sc->found && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        if (depth == 0) {
            rc = add_file(sc, dirfd(d), dir, de);
        } else if (is_digits(de->d_name, widths[depth - 1])) {
            char *sub = NULL;
            if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0) {
                rc = CX_ENOMEM;
                break;
            }
            rc = walk(sc, sub, depth - 1);
            free(sub);
        }
    }
    closedir(d);
    return rc;
}

static void scan_free(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++)
        free(sc->v[i].path);
    free(sc->v);
    free(sc->found);
}

static int newest_first(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    const struct timespec *ta = &a->st.st_mtim, *tb = &b->st.st_mtim;
    if (ta->tv_sec != tb->tv_sec) return ta->tv_sec < tb->tv_sec ? 1 : -1;
    if (ta->tv_nsec != tb->tv_nsec) return ta->tv_nsec < tb->tv_nsec ? 1 : -1;
    /* same instant: the later-created session (names start with the time) */
    const char *na = strrchr(a->path, '/'), *nb = strrchr(b->path, '/');
    return -strcmp(na, nb);
}

static bool looks_like_uuid(const char *s)
{
    if (strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i])) return false;
    }
    return true;
}

/* The id a thread name maps to in session_index.jsonl (the last entry wins). */
static char *id_for_name(const char *home, const char *name)
{
    char *path = NULL;
    if (asprintf(&path, "%s/session_index.jsonl", home) < 0) return NULL;
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) return NULL;
    char *line = NULL, *id = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_object *o = NULL;
        if (cx__json_parse(line, (size_t)len, &o, NULL) != 0) continue;
        const char *n = cx__json_get_str(o, "thread_name"), *i = cx__json_get_str(o, "id");
        if (n && i && !strcmp(n, name)) {
            free(id);
            id = strdup(i);
        }
        json_object_put(o);
    }
    free(line);
    fclose(f);
    return id;
}

/* What a listing needs from one file: its session_meta and first prompt. */
typedef struct head {
    json_object *meta;
    char *first_prompt; /* NULL: no user_message event */
} head;

static void head_free(head *h)
{
    json_object_put(h->meta);
    free(h->first_prompt);
}

static bool passes_fields(const cx_session_query *q, const char *cwd, const char *prov,
                          const char *src)
{
    if (q->cwd && (!cwd || strcmp(cwd, q->cwd) != 0)) return false;
    if (q->provider && (!prov || strcmp(prov, q->provider) != 0)) return false;
    if (q->interactive_only && (!src || (strcmp(src, "cli") != 0 && strcmp(src, "vscode") != 0)))
        return false;
    return true;
}

/* The string value of "key" in the first line's head (session_meta keys
 * come before the long base_instructions), or NULL. Inside a JSON string a
 * quote is escaped, so the raw pattern "key":" only matches a real key. */
static char *probe_str(const char *text, size_t len, const char *key)
{
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *at = memmem(text, len, pat, strlen(pat));
    if (!at) return NULL;
    size_t i = (size_t)(at - text) + strlen(pat);
    cx_buf b = CX_BUF_INIT;
    char *out = NULL;
    if (cx__json_scan_string(text, len, &i, &b) == 0) out = cx__buf_steal(&b);
    cx__buf_free(&b);
    return out;
}

/* The session_meta fields a listing filters on. */
typedef struct probe {
    char *v[4]; /* id, cwd, model_provider, source */
} probe;
static const char *const probe_keys[] = {"id", "cwd", "model_provider", "source"};

static void probe_free(probe *p)
{
    for (int k = 0; k < 4; k++)
        free(p->v[k]);
}

/* Fills p from the first bytes of a file when session_meta's short keys
 * are all there before base_instructions (upstream's and our key order),
 * without parsing the instructions; false when the full line is needed. */
static bool probe_meta(const char *buf, size_t n, probe *p)
{
    static const char bi_key[] = "\"base_instructions\"", meta_type[] = "\"type\":\"session_meta\"";
    const char *bi = memmem(buf, n, bi_key, sizeof bi_key - 1);
    size_t len = bi ? (size_t)(bi - buf) : 0;
    memset(p, 0, sizeof *p);
    if (!len || memmem(buf, n, meta_type, sizeof meta_type - 1) == NULL) return false;
    for (int k = 0; k < 4; k++) {
        if (!(p->v[k] = probe_str(buf, len, probe_keys[k]))) {
            probe_free(p);
            return false;
        }
    }
    return true;
}

static cx__sidx_meta probe_as_meta(const probe *p, int has_prompt)
{
    return (cx__sidx_meta){p->v[0], p->v[1], p->v[2], p->v[3], has_prompt};
}

/* Reads on from the start of f: session_meta, then the first user_message. */
static void read_lines(FILE *f, head *h)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool first = true;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (first) {
            first = false;
            json_object *o = NULL;
            if (cx__json_parse(line, (size_t)len, &o, NULL) != 0) break;
            const char *t = cx__json_get_str(o, "type");
            if (t && !strcmp(t, "session_meta"))
                h->meta = json_object_get(cx__json_get(o, "payload"));
            json_object_put(o);
            if (!h->meta) break;
            continue;
        }
        /* cheap test before parsing: most lines are not user messages */
        if (!strstr(line, "\"user_message\"")) continue;
        json_object *o = NULL;
        if (cx__json_parse(line, (size_t)len, &o, NULL) != 0) continue;
        json_object *p = cx__json_get(o, "payload");
        const char *t = cx__json_get_str(o, "type"), *pt = cx__json_get_str(p, "type");
        const char *msg = cx__json_get_str(p, "message");
        if (t && pt && msg && !strcmp(t, "event_msg") && !strcmp(pt, "user_message"))
            h->first_prompt = strdup(msg);
        json_object_put(o);
        if (h->first_prompt) break;
    }
    free(line);
}

/* Reads what the filters need from e's file, recording it in the cache
 * (ix may be NULL). Returns 0 with h filled when the file is a listed
 * session passing the filters. */
static int read_head(const cx_session_query *q, cx__sidx *ix, const char *rel, const entry *e,
                     head *h)
{
    memset(h, 0, sizeof *h);
    int fd = open(e->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    /* most files fail the filters: decide from a probe of the first bytes */
    char buf[4096];
    ssize_t got = read(fd, buf, sizeof buf);
    probe p;
    if (got > 0 && probe_meta(buf, (size_t)got, &p)) {
        bool ok = passes_fields(q, p.v[1], p.v[2], p.v[3]);
        if (!ok && ix) {
            cx__sidx_meta m = probe_as_meta(&p, -1);
            (void)cx__sidx_put(ix, rel, &e->st, &m); /* out of memory: just not cached */
        }
        probe_free(&p);
        if (!ok) {
            close(fd);
            return -1;
        }
    }
    FILE *f = lseek(fd, 0, SEEK_SET) == 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        close(fd);
        return -1;
    }
    read_lines(f, h);
    fclose(f);
    if (!h->meta) return -1;
    const char *cwd = cx__json_get_str(h->meta, "cwd");
    const char *prov = cx__json_get_str(h->meta, "model_provider");
    const char *src = cx__json_get_str(h->meta, "source");
    if (ix) {
        cx__sidx_meta m = {cx__json_get_str(h->meta, "id"), cwd, prov, src,
                           h->first_prompt != NULL};
        (void)cx__sidx_put(ix, rel, &e->st, &m);
    }
    /* never had a prompt: not listed (upstream) */
    return h->first_prompt && passes_fields(q, cwd, prov, src) ? 0 : -1;
}

/* Lists sessions/ and stats the files that may match sc->q, newest first.
 * Loads the cache first (sc->ix; NULL when out of memory, and then every
 * file is simply read). */
static int scan_sorted(const char *root, scan *sc, cx_error *err)
{
    sc->ix = cx__sidx_load(sc->q->codex_home);
    sc->root_len = strlen(root) + 1;
    int rc = walk(sc, root, 3);
    if (rc) return cx_error_set(err, rc, "out of memory listing sessions");
    if (sc->n) qsort(sc->v, sc->n, sizeof *sc->v, newest_first);
    return 0;
}

int cx_session_list(const cx_session_query *q, size_t max, cx_session_info **out, size_t *n,
                    cx_error *err)
{
    *out = NULL;
    *n = 0;
    char *root = NULL;
    if (asprintf(&root, "%s/sessions", q->codex_home) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    scan sc = {.q = q};
    int rc = scan_sorted(root, &sc, err);
    cx__sidx *ix = sc.ix;
    cx_session_info *v = rc ? NULL : calloc(max ? max : 1, sizeof *v);
    if (!v) {
        cx__sidx_free(ix);
        scan_free(&sc);
        free(root);
        return rc ? rc : cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    /* look every file up first: records of files not seen are dropped */
    for (size_t i = 0; ix && i < sc.n; i++)
        sc.v[i].cached = cx__sidx_get(ix, sc.v[i].path + sc.root_len, &sc.v[i].st);
    for (size_t i = 0; i < sc.n && *n < max; i++) {
        const cx__sidx_meta *m = sc.v[i].cached;
        if (m && (m->has_prompt == 0 || !passes_fields(q, m->cwd, m->provider, m->source)))
            continue;
        head h;
        if (read_head(q, m ? NULL : ix, sc.v[i].path + sc.root_len, &sc.v[i], &h) == 0) {
            cx_session_info *e = &v[(*n)++];
            e->path = strdup(sc.v[i].path);
            e->id = strdup(cx__json_get_str(h.meta, "id") ?: "");
            e->cwd = strdup(cx__json_get_str(h.meta, "cwd") ?: "");
            e->first_prompt = h.first_prompt;
            h.first_prompt = NULL;
            e->updated = sc.v[i].st.st_mtim.tv_sec;
        }
        head_free(&h);
    }
    if (ix) cx__sidx_save(ix);
    cx__sidx_free(ix);
    scan_free(&sc);
    free(root);
    *out = v;
    return 0;
}

void cx_session_info_free(cx_session_info *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].path);
        free(v[i].id);
        free(v[i].cwd);
        free(v[i].first_prompt);
    }
    free(v);
}

int cx_session_find(const cx_session_query *q, char **path, cx_error *err)
{
    *path = NULL;
    if (!q->id) {
        cx_session_info *v = NULL;
        size_t n = 0;
        int rc = cx_session_list(q, 1, &v, &n, err);
        if (rc) return rc;
        if (n) {
            *path = v[0].path;
            v[0].path = NULL;
        }
        cx_session_info_free(v, n);
        return *path ? 0 : CX_ENOTFOUND;
    }
    char *id = looks_like_uuid(q->id) ? strdup(q->id) : id_for_name(q->codex_home, q->id);
    if (!id) return CX_ENOTFOUND;
    char suffix[64];
    snprintf(suffix, sizeof suffix, "-%s.jsonl", id);
    free(id);
    scan sc = {.want_suffix = suffix};
    char *root = NULL;
    if (asprintf(&root, "%s/sessions", q->codex_home) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    int rc = walk(&sc, root, 3);
    free(root);
    if (rc) {
        scan_free(&sc);
        return cx_error_set(err, rc, "out of memory looking for the session");
    }
    *path = sc.found;
    sc.found = NULL;
    scan_free(&sc);
    return *path ? 0 : CX_ENOTFOUND;
}
