/* apply_patch matching and applying: each chunk is found as upstream's
 * seek_sequence does (exact, then ignoring trailing, then surrounding
 * whitespace, then Unicode punctuation), the whole patch is simulated in
 * memory in order, and only then are files written. */
#include "tools/patch.h"
#include "tools/patch_internal.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *normalise(const char *s, int mode)
{
    /* mode 1: trim end; 2: trim both; 3: trim both and fold Unicode punctuation */
    const char *b = mode >= 2 ? cx__patch_trim_start(s) : s;
    size_t n = strlen(b);
    while (n && (b[n - 1] == ' ' || b[n - 1] == '\t' || b[n - 1] == '\r'))
        n--;
    if (mode < 3) return strndup(b, n);
    cx_buf out = CX_BUF_INIT;
    cx__buf_puts(&out, "");
    for (size_t i = 0; i < n;) {
        size_t len;
        uint32_t cp = cx__utf8_decode(b, n, i, &len);
        char rep = 0;
        switch (cp) {
        case 0x2010:
        case 0x2011:
        case 0x2012:
        case 0x2013:
        case 0x2014:
        case 0x2015:
        case 0x2212:
            rep = '-';
            break;
        case 0x2018:
        case 0x2019:
        case 0x201A:
        case 0x201B:
            rep = '\'';
            break;
        case 0x201C:
        case 0x201D:
        case 0x201E:
        case 0x201F:
            rep = '"';
            break;
        case 0x00A0:
        case 0x2002:
        case 0x2003:
        case 0x2004:
        case 0x2005:
        case 0x2006:
        case 0x2007:
        case 0x2008:
        case 0x2009:
        case 0x200A:
        case 0x202F:
        case 0x205F:
        case 0x3000:
            rep = ' ';
            break;
        }
        if (rep)
            cx__buf_putc(&out, rep);
        else
            cx__buf_append(&out, b + i, len);
        i += len;
    }
    return cx__buf_steal(&out);
}

static bool lines_match(char **have, char **want, size_t n, int mode)
{
    for (size_t k = 0; k < n; k++) {
        if (mode == 0) {
            if (strcmp(have[k], want[k])) return false;
            continue;
        }
        char *a = normalise(have[k], mode), *b = normalise(want[k], mode);
        bool eq = !strcmp(a, b);
        free(a);
        free(b);
        if (!eq) return false;
    }
    return true;
}

/* Index of pattern in lines at or after start, or -1. With eof, a match at
 * the very end of the file is tried first. */
static long seek(const cx__strv *lines, char **pattern, size_t plen, size_t start, bool eof)
{
    if (plen == 0) return (long)start;
    if (plen > lines->n) return -1;
    size_t last = lines->n - plen;
    for (int mode = 0; mode < 4; mode++) {
        if (eof && last >= start && lines_match(lines->v + last, pattern, plen, mode))
            return (long)last;
        for (size_t i = start; i <= last; i++)
            if (lines_match(lines->v + i, pattern, plen, mode)) return (long)i;
    }
    return -1;
}

typedef struct repl {
    size_t start, old_len;
    cx__strv *new_lines;
} repl;

static char *join_lines(char **v, size_t n)
{
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (i) cx__buf_putc(&b, '\n');
        cx__buf_puts(&b, v[i]);
    }
    return cx__buf_steal(&b);
}

/* Computes the new content of an updated file (new string) or NULL + err. */
char *cx__patch_apply_chunks(const char *original, const cx__patch_hunk *h, const char *abs,
                             cx_error *err)
{
    cx__strv lines = {0};
    const char *p = original;
    /* split on \n keeping a trailing empty element dropped, as upstream */
    for (;;) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            cx__strv_push(&lines, p, strlen(p));
            break;
        }
        cx__strv_push(&lines, p, (size_t)(nl - p));
        p = nl + 1;
    }
    if (lines.n && lines.v[lines.n - 1][0] == '\0') free(lines.v[--lines.n]);
    repl *reps = calloc(h->n_chunks + 1, sizeof *reps);
    size_t nreps = 0, line_index = 0;
    char *result = NULL;
    for (size_t c = 0; c < h->n_chunks; c++) {
        cx__patch_chunk *ch = &h->chunks[c];
        if (ch->context) {
            char *ctx[1] = {ch->context};
            long idx = seek(&lines, ctx, 1, line_index, false);
            if (idx < 0) {
                cx_error_set(err, CX_EIO, "Failed to find context '%s' in %s", ch->context, abs);
                goto out;
            }
            line_index = (size_t)idx + 1;
        }
        if (ch->old_lines.n == 0) {
            size_t at = lines.n && lines.v[lines.n - 1][0] == '\0' ? lines.n - 1 : lines.n;
            reps[nreps++] = (repl){at, 0, &ch->new_lines};
            continue;
        }
        size_t olen = ch->old_lines.n;
        long idx = seek(&lines, ch->old_lines.v, olen, line_index, ch->eof);
        if (idx < 0 && olen > 0 && ch->old_lines.v[olen - 1][0] == '\0') {
            /* a trailing empty line in the hunk stands for the final newline */
            olen--;
            idx = seek(&lines, ch->old_lines.v, olen, line_index, ch->eof);
        }
        if (idx < 0) {
            char *want = join_lines(ch->old_lines.v, ch->old_lines.n);
            cx_error_set(err, CX_EIO, "Failed to find expected lines in %s:\n%s", abs, want);
            free(want);
            goto out;
        }
        reps[nreps++] = (repl){(size_t)idx, olen, &ch->new_lines};
        line_index = (size_t)idx + olen;
    }
    /* apply from the bottom up so indexes stay valid: in file order first, as
       upstream sorts them (an addition-only chunk lands at the end of the file
       whatever its place in the patch) */
    for (size_t i = 1; i < nreps; i++)
        for (size_t j = i; j > 0 && reps[j - 1].start > reps[j].start; j--) {
            repl t = reps[j];
            reps[j] = reps[j - 1];
            reps[j - 1] = t;
        }
    for (size_t r = nreps; r-- > 0;) {
        repl *x = &reps[r];
        size_t add = x->new_lines->n;
        if (x->start > lines.n || x->old_len > lines.n - x->start) {
            /* chunks that overlap cannot all apply */
            cx_error_set(err, CX_EIO, "Failed to apply overlapping changes in %s", abs);
            goto out;
        }
        for (size_t k = 0; k < x->old_len; k++)
            free(lines.v[x->start + k]);
        size_t tail = lines.n - x->start - x->old_len;
        if (lines.n - x->old_len + add > lines.cap) {
            lines.cap = lines.n - x->old_len + add + 16;
            lines.v = realloc(lines.v, lines.cap * sizeof *lines.v);
        }
        memmove(lines.v + x->start + add, lines.v + x->start + x->old_len, tail * sizeof *lines.v);
        for (size_t k = 0; k < add; k++)
            lines.v[x->start + k] = strdup(x->new_lines->v[k]);
        lines.n = lines.n - x->old_len + add;
    }
    {
        cx_buf b = CX_BUF_INIT;
        cx__buf_puts(&b, "");
        for (size_t i = 0; i < lines.n; i++) {
            cx__buf_puts(&b, lines.v[i]);
            cx__buf_putc(&b, '\n');
        }
        result = cx__buf_steal(&b);
    }
out:
    free(reps);
    cx__strv_free(&lines);
    return result;
}

/* Rust's io::Error display ("No such file or directory (os error 2)"), which
 * upstream's messages carry; the buffer is a compound literal of the caller. */
static const char *os_error_text(int e, char *buf, size_t size)
{
    snprintf(buf, size, "%s (os error %d)", strerror(e), e);
    return buf;
}
#define OSERR(e) os_error_text((e), (char[128]){0}, 128)

static char *resolve(const char *cwd, const char *path)
{
    char *s = NULL;
    if (path[0] == '/' || !cwd) return strdup(path);
    if (asprintf(&s, "%s/%s", cwd, path) < 0) return NULL;
    return s;
}

static char *read_all(const char *path, cx_error *err, const char *what)
{
    /* (a folder fails here too, with EISDIR, as Rust's read_to_string does) */
    char *text = cx__fs_slurp(path, SIZE_MAX, NULL);
    if (!text)
        cx_error_set(err, CX_EIO, "Failed to read file to %s %s: %s", what, path, OSERR(errno));
    return text;
}

static int mkdirs_for(const char *path)
{
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        free(dir);
        return 0;
    }
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(dir, 0777);
        *p = '/';
    }
    int rc = mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
    free(dir);
    return rc;
}

static int write_all(const char *path, const char *text, cx_error *err)
{
    if (mkdirs_for(path) != 0)
        return cx_error_set(err, CX_EIO, "Failed to create parent directories for %s: %s", path,
                            OSERR(errno));
    FILE *f = fopen(path, "wb");
    if (!f) return cx_error_set(err, CX_EIO, "Failed to write file %s: %s", path, OSERR(errno));
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok &= fclose(f) == 0;
    return ok ? 0 : cx_error_set(err, CX_EIO, "Failed to write file %s: %s", path, OSERR(errno));
}

/* The tree as the patch so far left it: one entry per path the patch
 * touches, in the order first touched. Hunks run against it in order, so a
 * second hunk on a file sees the first one's result, and nothing reaches the
 * disk until every hunk has applied. */
typedef struct vfile {
    char *abs;
    char *content; /* current content; NULL: deleted (or absent) */
    bool changed;  /* to be written (content) or removed (NULL) */
} vfile;

typedef struct vtree {
    vfile *f;
    size_t n;
} vtree;

static vfile *vtree_find(vtree *t, const char *abs)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->f[i].abs, abs)) return &t->f[i];
    return NULL;
}

/* The entry for abs, added (unread, not changed) when the patch has not
 * touched it yet. */
static vfile *vtree_get(vtree *t, const char *abs, bool *fresh)
{
    vfile *v = vtree_find(t, abs);
    *fresh = v == NULL;
    if (v) return v;
    t->f = realloc(t->f, (t->n + 1) * sizeof *t->f);
    v = &t->f[t->n++];
    *v = (vfile){strdup(abs), NULL, false};
    return v;
}

static void vtree_set(vtree *t, const char *abs, char *content)
{
    bool fresh;
    vfile *v = vtree_get(t, abs, &fresh);
    free(v->content);
    v->content = content;
    v->changed = true;
}

static void vtree_free(vtree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->f[i].abs);
        free(t->f[i].content);
    }
    free(t->f);
}

/* Runs hunk h against the tree. abs is its resolved path, dest the resolved
 * move target (or NULL). Messages are upstream's for the same failures. */
static int simulate_hunk(vtree *t, const cx__patch_hunk *h, const char *abs, const char *dest,
                         cx_error *err)
{
    if (h->kind == CX__H_ADD) {
        vtree_set(t, abs, strdup(h->contents));
        return 0;
    }
    bool fresh;
    vfile *v = vtree_get(t, abs, &fresh);
    if (h->kind == CX__H_DELETE) {
        if (fresh) {
            struct stat st;
            if (stat(abs, &st) != 0)
                return cx_error_set(err, CX_EIO, "Failed to read %s: %s", abs, OSERR(errno));
            if (S_ISDIR(st.st_mode))
                return cx_error_set(err, CX_EIO, "Failed to read %s: %s", abs, OSERR(EISDIR));
        } else if (!v->content) {
            /* deleted or moved away earlier in this patch: upstream's apply-time words */
            return cx_error_set(err, CX_EIO, "Failed to delete file %s: %s", abs, OSERR(ENOENT));
        }
        free(v->content);
        v->content = NULL;
        v->changed = true;
        return 0;
    }
    if (fresh) {
        v->content = read_all(abs, err, "update");
        if (!v->content) return CX_EIO;
    } else if (!v->content) {
        return cx_error_set(err, CX_EIO, "Failed to read file to update %s: %s", abs,
                            OSERR(ENOENT));
    }
    char *next = cx__patch_apply_chunks(v->content, h, abs, err);
    if (!next) return CX_EIO;
    if (dest && strcmp(dest, abs) != 0) {
        free(v->content);
        v->content = NULL;
        v->changed = true;
        vtree_set(t, dest, next); /* may move the array: v is not used after this */
    } else {
        free(v->content);
        v->content = next;
        v->changed = true;
    }
    return 0;
}

/* Writes every changed file, then removes the deleted ones, so a failed write
 * leaves what was to be deleted in place. */
static int vtree_commit(vtree *t, cx_error *err)
{
    for (size_t i = 0; i < t->n; i++) {
        vfile *v = &t->f[i];
        if (!v->changed || !v->content) continue;
        int rc = write_all(v->abs, v->content, err);
        if (rc) return rc;
    }
    for (size_t i = 0; i < t->n; i++) {
        vfile *v = &t->f[i];
        if (!v->changed || v->content) continue;
        /* a file the patch both added and deleted never reached the disk */
        if (unlink(v->abs) != 0 && errno != ENOENT)
            return cx_error_set(err, CX_EIO, "Failed to delete file %s: %s", v->abs, OSERR(errno));
    }
    return 0;
}

int cx__patch_check(const char *text, const char *original, cx_error *err)
{
    cx__patch p = {0};
    int rc = cx__patch_parse(text, &p, err);
    for (size_t i = 0; !rc && original && i < p.n; i++) {
        if (p.hunks[i].kind != CX__H_UPDATE) continue;
        char *out = cx__patch_apply_chunks(original, &p.hunks[i], "(text)", err);
        if (!out) rc = CX_EIO;
        free(out);
    }
    size_t n = p.n;
    cx__patch_free(&p);
    return rc ? rc : (int)n;
}

int cx__patch_apply(const char *text, const char *cwd, cx_buf *summary, json_object *changes,
                    cx_error *err)
{
    return cx__patch_apply_checked(text, cwd, NULL, NULL, summary, changes, err);
}

int cx__patch_apply_checked(const char *text, const char *cwd,
                            bool (*may_write)(const void *user, const char *path), const void *user,
                            cx_buf *summary, json_object *changes, cx_error *err)
{
    cx__patch p = {0};
    int rc = cx__patch_parse(text, &p, err);
    char **shown = calloc(p.n + 1, sizeof *shown); /* each hunk's resolved final path */
    /* Upstream's verification first: each hunk against the files as they
       are, so a patch upstream refuses is refused here with its words. */
    for (size_t i = 0; !rc && i < p.n; i++) {
        cx__patch_hunk *h = &p.hunks[i];
        char *abs = resolve(cwd, h->path);
        vtree alone = {0};
        rc = abs ? simulate_hunk(&alone, h, abs, NULL, err)
                 : cx_error_set(err, CX_ENOMEM, "out of memory");
        vtree_free(&alone);
        free(abs);
    }
    /* Then the whole patch in order, each hunk against what the earlier ones
       left: where upstream would stop halfway with some files written, this
       fails before anything is. */
    vtree tree = {0};
    for (size_t i = 0; !rc && i < p.n; i++) {
        cx__patch_hunk *h = &p.hunks[i];
        char *abs = resolve(cwd, h->path);
        char *dest = h->kind == CX__H_UPDATE && h->move_to ? resolve(cwd, h->move_to) : NULL;
        if (!abs || (h->move_to && !dest)) {
            rc = cx_error_set(err, CX_ENOMEM, "out of memory");
        } else {
            rc = simulate_hunk(&tree, h, abs, dest, err);
        }
        shown[i] = dest ? dest : abs;
        if (dest) free(abs);
    }
    /* Every hunk applied in memory: may each file be written or removed? (upstream
       verifies first, then asks the sandbox policy) */
    for (size_t i = 0; !rc && may_write && i < tree.n; i++)
        if (tree.f[i].changed && !may_write(user, tree.f[i].abs)) rc = CX_PATCH_REJECTED;
    /* Now write. */
    if (!rc) rc = vtree_commit(&tree, err);
    if (!rc) {
        cx__buf_puts(summary, "Success. Updated the following files:\n");
        /* as upstream: added files, then modified, then deleted, each in patch order */
        static const cx__hunk_kind order[] = {CX__H_ADD, CX__H_UPDATE, CX__H_DELETE};
        for (int o = 0; o < 3; o++)
            for (size_t i = 0; i < p.n; i++) {
                cx__patch_hunk *h = &p.hunks[i];
                if (h->kind != order[o]) continue;
                char mark = h->kind == CX__H_ADD ? 'A' : h->kind == CX__H_DELETE ? 'D' : 'M';
                cx__buf_printf(summary, "%c %s\n", mark, h->move_to ? h->move_to : h->path);
            }
        for (size_t i = 0; changes && i < p.n; i++) {
            cx__patch_hunk *h = &p.hunks[i];
            json_object *c = json_object_new_object();
            cx__json_set_str(c, "path", shown[i]);
            cx__json_set_str(c, "kind",
                             h->kind == CX__H_ADD      ? "add"
                             : h->kind == CX__H_DELETE ? "delete"
                                                       : "update");
            json_object_array_add(changes, c);
        }
    }
    for (size_t i = 0; i < p.n; i++)
        free(shown[i]);
    free(shown);
    vtree_free(&tree);
    cx__patch_free(&p);
    return rc;
}
