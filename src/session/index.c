/* The session listing cache (see index.h). File format, one record a line
 * after a version line, fields separated by tabs:
 *   rel ino size mtime_s mtime_ns has_prompt id cwd provider source
 * Strings are escaped (\\ \t \n) so any path fits on one line; the four
 * meta strings are "-" when absent or "=" + the value. */
#include "session/index.h"

#include "ccodex/error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char header[] = "ccodex-session-index 1\n";
/* A bigger file is not ours to parse (10,000 sessions take ~2 MB). */
enum { MAX_INDEX_BYTES = 64 << 20, NFIELDS = 10 };

typedef struct rec {
    char *rel;
    unsigned long long ino, size;
    long long mtime_s;
    long mtime_ns;
    cx__sidx_meta m;
    bool keep;  /* confirmed or added in this run: written back */
    bool owned; /* strings are our own copies, not pieces of x->text */
} rec;

struct cx__sidx {
    char *path;
    char *text; /* the loaded file, unescaped in place */
    rec *v;     /* loaded records, sorted by rel */
    size_t n;
    rec *added;
    size_t n_added, cap_added;
};

static bool same_file(const rec *r, const struct stat *st)
{
    return r->ino == (unsigned long long)st->st_ino && r->size == (unsigned long long)st->st_size &&
           r->mtime_s == (long long)st->st_mtim.tv_sec && r->mtime_ns == st->st_mtim.tv_nsec;
}

/* Undoes the escaping in place; false on a bad escape. */
static bool unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r != '\\') {
            *w++ = *r;
            continue;
        }
        r++;
        if (*r == '\\')
            *w++ = '\\';
        else if (*r == 't')
            *w++ = '\t';
        else if (*r == 'n')
            *w++ = '\n';
        else
            return false;
    }
    *w = '\0';
    return true;
}

static bool parse_str(char *f, const char **out)
{
    if (!strcmp(f, "-")) {
        *out = NULL;
        return true;
    }
    if (f[0] != '=' || !unescape(f + 1)) return false;
    *out = f + 1;
    return true;
}

static bool parse_num(const char *f, unsigned long long *out)
{
    if (!*f || *f == '-') return false;
    char *end = NULL;
    errno = 0;
    *out = strtoull(f, &end, 10);
    return !errno && !*end;
}

static bool parse_line(char *line, rec *r)
{
    char *f[NFIELDS];
    size_t k = 0;
    for (char *p = line; k < NFIELDS; k++) {
        f[k] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = '\0';
        p = tab + 1;
    }
    if (k != NFIELDS - 1) return false; /* exactly ten fields */
    unsigned long long ms, mns;
    memset(r, 0, sizeof *r);
    if (!unescape(f[0]) || !parse_num(f[1], &r->ino) || !parse_num(f[2], &r->size) ||
        !parse_num(f[3], &ms) || !parse_num(f[4], &mns) || mns >= 1000000000ULL || ms > INT64_MAX)
        return false;
    r->rel = f[0];
    r->mtime_s = (long long)ms;
    r->mtime_ns = (long)mns;
    if (!strcmp(f[5], "1"))
        r->m.has_prompt = 1;
    else if (!strcmp(f[5], "0"))
        r->m.has_prompt = 0;
    else if (!strcmp(f[5], "?"))
        r->m.has_prompt = -1;
    else
        return false;
    return parse_str(f[6], &r->m.id) && parse_str(f[7], &r->m.cwd) &&
           parse_str(f[8], &r->m.provider) && parse_str(f[9], &r->m.source);
}

static int by_rel(const void *a, const void *b)
{
    return strcmp(((const rec *)a)->rel, ((const rec *)b)->rel);
}

/* A record to write (the save sorts these, not the records). */
typedef struct rec_ref {
    const rec *r;
} rec_ref;

static int by_rel_ref(const void *a, const void *b)
{
    return strcmp(((const rec_ref *)a)->r->rel, ((const rec_ref *)b)->r->rel);
}

static void load_text(cx__sidx *x)
{
    FILE *f = fopen(x->path, "rb");
    if (!f) return;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 || st.st_size > MAX_INDEX_BYTES) {
        fclose(f);
        return;
    }
    size_t len = (size_t)st.st_size;
    char *text = malloc(len + 1);
    if (text && fread(text, 1, len, f) == len) {
        text[len] = '\0';
        x->text = text;
    } else {
        free(text);
    }
    fclose(f);
}

static void parse_text(cx__sidx *x)
{
    size_t hl = sizeof header - 1;
    if (!x->text || strncmp(x->text, header, hl) != 0) return;
    size_t lines = 0;
    for (const char *p = x->text + hl; *p; p++)
        lines += *p == '\n';
    x->v = calloc(lines ? lines : 1, sizeof *x->v);
    if (!x->v) return;
    char *p = x->text + hl;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (!nl) break; /* a torn last line is dropped */
        *nl = '\0';
        if (parse_line(p, &x->v[x->n])) x->n++;
        p = nl + 1;
    }
    /* saved in order: checking is cheaper than sorting 10,000 paths */
    bool sorted = true;
    for (size_t i = 1; i < x->n && sorted; i++)
        sorted = x->v[i - 1].rel && x->v[i].rel && strcmp(x->v[i - 1].rel, x->v[i].rel) < 0;
    if (!sorted) qsort(x->v, x->n, sizeof *x->v, by_rel);
}

cx__sidx *cx__sidx_load(const char *codex_home)
{
    cx__sidx *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    if (asprintf(&x->path, "%s/ccodex-sessions-index", codex_home) < 0) {
        free(x);
        return NULL;
    }
    load_text(x);
    parse_text(x);
    return x;
}

static void rec_free_owned(rec *r)
{
    if (!r->owned) return;
    free(r->rel);
    free((char *)r->m.id);
    free((char *)r->m.cwd);
    free((char *)r->m.provider);
    free((char *)r->m.source);
}

void cx__sidx_free(cx__sidx *x)
{
    if (!x) return;
    for (size_t i = 0; i < x->n_added; i++)
        rec_free_owned(&x->added[i]);
    free(x->added);
    free(x->v);
    free(x->text);
    free(x->path);
    free(x);
}

const cx__sidx_meta *cx__sidx_get(cx__sidx *x, const char *rel, const struct stat *st)
{
    rec key = {.rel = (char *)rel};
    rec *r = x->n ? bsearch(&key, x->v, x->n, sizeof *x->v, by_rel) : NULL;
    if (!r || !same_file(r, st)) return NULL;
    r->keep = true;
    return &r->m;
}

const cx__sidx_meta *cx__sidx_meta_by_inode(cx__sidx *x, const char *rel, unsigned long long ino)
{
    rec key = {.rel = (char *)rel};
    rec *r = x->n ? bsearch(&key, x->v, x->n, sizeof *x->v, by_rel) : NULL;
    if (!r || r->ino != ino) return NULL;
    r->keep = true;
    return &r->m;
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = true;
    return d;
}

int cx__sidx_put(cx__sidx *x, const char *rel, const struct stat *st, const cx__sidx_meta *m)
{
    if (x->n_added == x->cap_added) {
        size_t cap = x->cap_added ? x->cap_added * 2 : 64;
        rec *v = realloc(x->added, cap * sizeof *v);
        if (!v) return CX_ENOMEM;
        x->added = v;
        x->cap_added = cap;
    }
    bool oom = false;
    rec r = {.ino = (unsigned long long)st->st_ino,
             .size = (unsigned long long)st->st_size,
             .mtime_s = (long long)st->st_mtim.tv_sec,
             .mtime_ns = st->st_mtim.tv_nsec,
             .keep = true,
             .owned = true};
    r.rel = dup_or_null(rel, &oom);
    r.m.id = dup_or_null(m->id, &oom);
    r.m.cwd = dup_or_null(m->cwd, &oom);
    r.m.provider = dup_or_null(m->provider, &oom);
    r.m.source = dup_or_null(m->source, &oom);
    r.m.has_prompt = m->has_prompt;
    x->added[x->n_added++] = r;
    /* the new record replaces a loaded one for the same file (even one that
     * cx__sidx_meta_by_inode kept): one line per file on save */
    rec key = {.rel = (char *)rel};
    rec *old = x->n ? bsearch(&key, x->v, x->n, sizeof *x->v, by_rel) : NULL;
    if (old) old->keep = false;
    if (oom) return CX_ENOMEM; /* freed with x; a NULL rel is skipped on save */
    return 0;
}

static void put_escaped(FILE *f, const char *s)
{
    /* the usual string has nothing to escape: one call for all of it */
    size_t plain = strcspn(s, "\\\t\n");
    fwrite(s, 1, plain, f);
    for (s += plain; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\t')
            fputs("\\t", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void put_str(FILE *f, const char *s)
{
    fputc('\t', f);
    if (!s) {
        fputc('-', f);
        return;
    }
    fputc('=', f);
    put_escaped(f, s);
}

static void put_rec(FILE *f, const rec *r)
{
    if (!r->keep || !r->rel) return;
    put_escaped(f, r->rel);
    fprintf(f, "\t%llu\t%llu\t%lld\t%ld\t%s", r->ino, r->size, r->mtime_s, r->mtime_ns,
            r->m.has_prompt > 0    ? "1"
            : r->m.has_prompt == 0 ? "0"
                                   : "?");
    put_str(f, r->m.id);
    put_str(f, r->m.cwd);
    put_str(f, r->m.provider);
    put_str(f, r->m.source);
    fputc('\n', f);
}

void cx__sidx_save(cx__sidx *x)
{
    bool dirty = x->n_added > 0;
    for (size_t i = 0; !dirty && i < x->n; i++)
        dirty = !x->v[i].keep;
    if (!dirty) return;
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.%ld.tmp", x->path, (long)getpid()) < 0) return;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(tmp);
        return;
    }
    fputs(header, f);
    /* one sorted run: the loaded records (sorted) merged with the added ones */
    rec_ref *all = calloc(x->n + x->n_added + 1, sizeof *all);
    bool complete = all != NULL;
    size_t n = 0;
    for (size_t i = 0; all && i < x->n; i++)
        all[n++].r = &x->v[i];
    for (size_t i = 0; all && i < x->n_added; i++)
        if (x->added[i].rel) all[n++].r = &x->added[i];
    if (all) qsort(all, n, sizeof *all, by_rel_ref);
    for (size_t i = 0; all && i < n; i++)
        put_rec(f, all[i].r);
    free(all);
    bool ok = !ferror(f) && complete;
    ok = fclose(f) == 0 && ok;
    /* rename replaces the old index in one step: readers see old or new */
    if (!ok || rename(tmp, x->path) != 0) unlink(tmp);
    free(tmp);
}
