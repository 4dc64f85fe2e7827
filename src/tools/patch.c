/* apply_patch parsing, matching and writing. Messages follow upstream's
 * texts so models trained on them recognise what went wrong. */
#include "tools/patch.h"
#include "tools/shell.h"
#include "tools/tool_proc.h"

#include "base/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static void strv_push(strv *s, const char *p, size_t len)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = strndup(p, len);
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

typedef struct chunk {
    char *context; /* @@ context line, or NULL */
    strv old_lines, new_lines;
    bool eof;
} chunk;

typedef enum { H_ADD, H_DELETE, H_UPDATE } hunk_kind;

typedef struct hunk {
    hunk_kind kind;
    char *path;
    char *move_to;
    char *contents; /* add */
    chunk *chunks;
    size_t n_chunks;
} hunk;

typedef struct patch {
    hunk *hunks;
    size_t n;
} patch;

static void patch_free(patch *p)
{
    for (size_t i = 0; i < p->n; i++) {
        hunk *h = &p->hunks[i];
        free(h->path);
        free(h->move_to);
        free(h->contents);
        for (size_t j = 0; j < h->n_chunks; j++) {
            free(h->chunks[j].context);
            strv_free(&h->chunks[j].old_lines);
            strv_free(&h->chunks[j].new_lines);
        }
        free(h->chunks);
    }
    free(p->hunks);
}

static const char *trim_start(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static bool line_is(const char *line, const char *what)
{
    const char *t = trim_start(line);
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r'))
        n--;
    return n == strlen(what) && !strncmp(t, what, n);
}

static const char *after_prefix(const char *line, const char *prefix)
{
    const char *t = trim_start(line);
    return strncmp(t, prefix, strlen(prefix)) ? NULL : t + strlen(prefix);
}

static char *trimmed_copy(const char *s)
{
    s = trim_start(s);
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return strndup(s, n);
}

/* Splits text into lines (without '\n'); a final newline adds no empty line. */
static void split_lines(const char *text, strv *out)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            strv_push(out, p, strlen(p));
            break;
        }
        /* like Rust's str::lines, which the upstream parser uses: "\r\n" ends a line too */
        size_t n = (size_t)(nl - p);
        if (n && p[n - 1] == '\r') n--;
        strv_push(out, p, n);
        p = nl + 1;
    }
}

/* Upstream's lenient heredoc form: the patch wrapped in <<'EOF' ... EOF. */
static void strip_heredoc(strv *lines)
{
    if (lines->n < 4) return;
    const char *first = trim_start(lines->v[0]);
    if (strcmp(first, "<<EOF") && strcmp(first, "<<'EOF'") && strcmp(first, "<<\"EOF\"")) return;
    if (!line_is(lines->v[lines->n - 1], "EOF")) return;
    free(lines->v[0]);
    memmove(lines->v, lines->v + 1, (lines->n - 1) * sizeof *lines->v);
    lines->n--;
    free(lines->v[--lines->n]);
}

static int parse_error(cx_error *err, const char *fmt, const char *a, size_t line_no)
{
    char msg[800];
    snprintf(msg, sizeof msg, fmt, a);
    if (line_no) return cx_error_set(err, CX_EPARSE, "invalid hunk at line %zu, %s", line_no, msg);
    return cx_error_set(err, CX_EPARSE, "invalid patch: %s", msg);
}

/* header: the index of the "*** Update File:" line. Error line numbers follow
 * upstream's: a chunk's problems are reported at the chunk's first line + 1
 * (which, for a chunk without "@@", is one past the offending line). */
static int parse_update_chunks(strv *lines, size_t *i, size_t end, size_t header, hunk *h,
                               cx_error *err)
{
    bool first = true;
    while (*i < end) {
        const char *line = lines->v[*i];
        if (after_prefix(line, "*** ") && !line_is(line, "*** End of File")) break;
        size_t chunk_start = *i;
        chunk c = {0};
        if (line_is(line, "@@")) {
            (*i)++;
        } else if (!strncmp(line, "@@ ", 3)) {
            c.context = strdup(line + 3);
            (*i)++;
        } else if (!first) {
            return parse_error(err,
                               "Expected update hunk to start with a @@ context marker, got: '%s'",
                               line, *i + 1);
        }
        size_t body = 0;
        while (*i < end) {
            const char *l = lines->v[*i];
            if (line_is(l, "*** End of File")) {
                c.eof = true;
                (*i)++;
                break;
            }
            if (!strncmp(l, "@@", 2) && body) break;
            if (!strncmp(l, "@@", 2)) {
                /* a second header with no line between: upstream's "unexpected line" */
                free(c.context);
                return parse_error(
                    err,
                    "Unexpected line found in update hunk: '%s'. Every line should "
                    "start with ' ' (context line), '+' (added line), or '-' (removed line)",
                    l, chunk_start + 2);
            }
            if (after_prefix(l, "*** ") && body) break;
            if (after_prefix(l, "*** ")) break;
            char t = l[0];
            if (t == '\0') {
                strv_push(&c.old_lines, "", 0);
                strv_push(&c.new_lines, "", 0);
            } else if (t == ' ') {
                strv_push(&c.old_lines, l + 1, strlen(l + 1));
                strv_push(&c.new_lines, l + 1, strlen(l + 1));
            } else if (t == '-') {
                strv_push(&c.old_lines, l + 1, strlen(l + 1));
            } else if (t == '+') {
                strv_push(&c.new_lines, l + 1, strlen(l + 1));
            } else {
                /* as upstream: a stray line ends a chunk that has lines (the next
                   chunk then needs its @@); as a chunk's first line it is an error */
                if (body) break;
                free(c.context);
                strv_free(&c.old_lines);
                strv_free(&c.new_lines);
                return parse_error(
                    err,
                    "Unexpected line found in update hunk: '%s'. Every line should "
                    "start with ' ' (context line), '+' (added line), or '-' (removed line)",
                    l, chunk_start + 2);
            }
            body++;
            (*i)++;
        }
        if (!body && !c.eof) {
            free(c.context);
            return parse_error(err, "Update hunk does not contain any lines%s", "",
                               chunk_start + 2);
        }
        h->chunks = realloc(h->chunks, (h->n_chunks + 1) * sizeof *h->chunks);
        h->chunks[h->n_chunks++] = c;
        first = false;
    }
    if (!h->n_chunks)
        return parse_error(err, "Update file hunk for path '%s' is empty", h->path, header + 1);
    return 0;
}

static int parse_patch(const char *text, patch *p, cx_error *err)
{
    strv lines = {0};
    split_lines(text, &lines);
    /* upstream trims the whole text first: blank lines around the envelope do not count */
    while (lines.n && trim_start(lines.v[lines.n - 1])[0] == '\0')
        free(lines.v[--lines.n]);
    size_t lead = 0;
    while (lead < lines.n && trim_start(lines.v[lead])[0] == '\0')
        free(lines.v[lead++]);
    if (lead) {
        memmove(lines.v, lines.v + lead, (lines.n - lead) * sizeof *lines.v);
        lines.n -= lead;
    }
    strip_heredoc(&lines);
    int rc = 0;
    if (!lines.n || !line_is(lines.v[0], "*** Begin Patch")) {
        rc = parse_error(err, "The first line of the patch must be '*** Begin Patch'%s", "", 0);
    } else if (lines.n < 2 || !line_is(lines.v[lines.n - 1], "*** End Patch")) {
        rc = parse_error(err, "The last line of the patch must be '*** End Patch'%s", "", 0);
    }
    size_t i = 1, end = lines.n ? lines.n - 1 : 0;
    while (!rc && i < end) {
        const char *line = lines.v[i];
        const char *path;
        hunk h = {0};
        if ((path = after_prefix(line, "*** Add File: "))) {
            h.kind = H_ADD;
            h.path = trimmed_copy(path);
            i++;
            cx_buf content = CX_BUF_INIT;
            cx_buf_puts(&content, "");
            while (i < end && lines.v[i][0] == '+') {
                cx_buf_puts(&content, lines.v[i] + 1);
                cx_buf_putc(&content, '\n');
                i++;
            }
            h.contents = cx_buf_steal(&content);
        } else if ((path = after_prefix(line, "*** Delete File: "))) {
            h.kind = H_DELETE;
            h.path = trimmed_copy(path);
            i++;
        } else if ((path = after_prefix(line, "*** Update File: "))) {
            h.kind = H_UPDATE;
            h.path = trimmed_copy(path);
            size_t header = i;
            i++;
            const char *mv = i < end ? after_prefix(lines.v[i], "*** Move to: ") : NULL;
            if (mv) {
                h.move_to = trimmed_copy(mv);
                i++;
            }
            rc = parse_update_chunks(&lines, &i, end, header, &h, err);
        } else {
            rc = parse_error(err,
                             "'%s' is not a valid hunk header. Valid hunk headers: '*** Add File: "
                             "{path}', '*** Delete File: {path}', '*** Update File: {path}'",
                             line, i + 1);
            break;
        }
        p->hunks = realloc(p->hunks, (p->n + 1) * sizeof *p->hunks);
        p->hunks[p->n++] = h;
        if (h.path && !*h.path && !rc) rc = parse_error(err, "a hunk has an empty path%s", "", i);
    }
    /* upstream refuses this before verification, in its own words */
    if (!rc && !p->n) rc = cx_error_set(err, CX_EINVAL, "patch rejected: empty patch");
    strv_free(&lines);
    return rc;
}

/* ---- matching (upstream seek_sequence: exact, trim end, trim, punctuation) -- */

static char *normalise(const char *s, int mode)
{
    /* mode 1: trim end; 2: trim both; 3: trim both and fold Unicode punctuation */
    const char *b = mode >= 2 ? trim_start(s) : s;
    size_t n = strlen(b);
    while (n && (b[n - 1] == ' ' || b[n - 1] == '\t' || b[n - 1] == '\r'))
        n--;
    if (mode < 3) return strndup(b, n);
    cx_buf out = CX_BUF_INIT;
    cx_buf_puts(&out, "");
    for (size_t i = 0; i < n;) {
        const unsigned char *u = (const unsigned char *)b + i;
        unsigned cp = u[0];
        size_t len = 1;
        if (cp >= 0xE0 && cp < 0xF0 && i + 2 < n + 1 && i + 2 < n) {
            cp = ((u[0] & 0x0F) << 12) | ((u[1] & 0x3F) << 6) | (u[2] & 0x3F);
            len = 3;
        } else if (cp >= 0xC0 && cp < 0xE0 && i + 1 < n) {
            cp = ((u[0] & 0x1F) << 6) | (u[1] & 0x3F);
            len = 2;
        }
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
            cx_buf_putc(&out, rep);
        else
            cx_buf_append(&out, b + i, len);
        i += len;
    }
    return cx_buf_steal(&out);
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
static long seek(const strv *lines, char **pattern, size_t plen, size_t start, bool eof)
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
    strv *new_lines;
} repl;

static char *join_lines(char **v, size_t n)
{
    cx_buf b = CX_BUF_INIT;
    cx_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (i) cx_buf_putc(&b, '\n');
        cx_buf_puts(&b, v[i]);
    }
    return cx_buf_steal(&b);
}

/* Computes the new content of an updated file (new string) or NULL + err. */
static char *apply_chunks(const char *original, const hunk *h, const char *abs, cx_error *err)
{
    strv lines = {0};
    const char *p = original;
    /* split on \n keeping a trailing empty element dropped, as upstream */
    for (;;) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            strv_push(&lines, p, strlen(p));
            break;
        }
        strv_push(&lines, p, (size_t)(nl - p));
        p = nl + 1;
    }
    if (lines.n && lines.v[lines.n - 1][0] == '\0') free(lines.v[--lines.n]);
    repl *reps = calloc(h->n_chunks + 1, sizeof *reps);
    size_t nreps = 0, line_index = 0;
    char *result = NULL;
    for (size_t c = 0; c < h->n_chunks; c++) {
        chunk *ch = &h->chunks[c];
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
        cx_buf_puts(&b, "");
        for (size_t i = 0; i < lines.n; i++) {
            cx_buf_puts(&b, lines.v[i]);
            cx_buf_putc(&b, '\n');
        }
        result = cx_buf_steal(&b);
    }
out:
    free(reps);
    strv_free(&lines);
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
    FILE *f = fopen(path, "rb");
    if (!f) {
        cx_error_set(err, CX_EIO, "Failed to read file to %s %s: %s", what, path, OSERR(errno));
        return NULL;
    }
    cx_buf b = CX_BUF_INIT;
    char block[16384];
    size_t n;
    while ((n = fread(block, 1, sizeof block, f)) > 0)
        cx_buf_append(&b, block, n);
    fclose(f);
    cx_buf_puts(&b, "");
    return cx_buf_steal(&b);
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

typedef struct planned {
    char *abs;     /* file written or deleted */
    char *content; /* new content; NULL: delete */
    char *remove;  /* old path of a move, deleted after the write */
} planned;

int cx_patch_check(const char *text, const char *original, cx_error *err)
{
    patch p = {0};
    int rc = parse_patch(text, &p, err);
    for (size_t i = 0; !rc && original && i < p.n; i++) {
        if (p.hunks[i].kind != H_UPDATE) continue;
        char *out = apply_chunks(original, &p.hunks[i], "(text)", err);
        if (!out) rc = CX_EIO;
        free(out);
    }
    size_t n = p.n;
    patch_free(&p);
    return rc ? rc : (int)n;
}

int cx_patch_apply(const char *text, const char *cwd, cx_buf *summary, json_object *changes,
                   cx_error *err)
{
    return cx__patch_apply_checked(text, cwd, NULL, NULL, summary, changes, err);
}

int cx__patch_apply_checked(const char *text, const char *cwd,
                            bool (*may_write)(const void *user, const char *path), const void *user,
                            cx_buf *summary, json_object *changes, cx_error *err)
{
    patch p = {0};
    int rc = parse_patch(text, &p, err);
    planned *plan = calloc(p.n + 1, sizeof *plan);
    for (size_t i = 0; !rc && i < p.n; i++) {
        hunk *h = &p.hunks[i];
        char *abs = resolve(cwd, h->path);
        plan[i].abs = abs;
        if (h->kind == H_ADD) {
            plan[i].content = strdup(h->contents);
        } else if (h->kind == H_DELETE) {
            struct stat st;
            if (stat(abs, &st) != 0)
                rc = cx_error_set(err, CX_EIO, "Failed to read %s: %s", abs, OSERR(errno));
            else if (S_ISDIR(st.st_mode))
                rc = cx_error_set(err, CX_EIO, "Failed to read %s: %s", abs, OSERR(EISDIR));
        } else {
            char *orig = read_all(abs, err, "update");
            if (!orig) {
                rc = CX_EIO;
                break;
            }
            plan[i].content = apply_chunks(orig, h, abs, err);
            free(orig);
            if (!plan[i].content) {
                rc = CX_EIO;
                break;
            }
            if (h->move_to) {
                plan[i].remove = abs;
                plan[i].abs = resolve(cwd, h->move_to);
            }
        }
    }
    /* Everything verified: may it be written? (upstream verifies first, then
     * asks the sandbox policy) */
    for (size_t i = 0; !rc && may_write && i < p.n; i++)
        if (!may_write(user, plan[i].abs) || (plan[i].remove && !may_write(user, plan[i].remove)))
            rc = CX_PATCH_REJECTED;
    /* Now write. */
    for (size_t i = 0; !rc && i < p.n; i++) {
        if (plan[i].content)
            rc = write_all(plan[i].abs, plan[i].content, err);
        else if (unlink(plan[i].abs) != 0)
            rc = cx_error_set(err, CX_EIO, "Failed to delete file %s: %s", plan[i].abs,
                              OSERR(errno));
        if (!rc && plan[i].remove && strcmp(plan[i].remove, plan[i].abs) != 0)
            unlink(plan[i].remove);
    }
    if (!rc) {
        cx_buf_puts(summary, "Success. Updated the following files:\n");
        /* as upstream: added files, then modified, then deleted, each in patch order */
        static const hunk_kind order[] = {H_ADD, H_UPDATE, H_DELETE};
        for (int o = 0; o < 3; o++)
            for (size_t i = 0; i < p.n; i++) {
                hunk *h = &p.hunks[i];
                if (h->kind != order[o]) continue;
                char mark = h->kind == H_ADD ? 'A' : h->kind == H_DELETE ? 'D' : 'M';
                cx_buf_printf(summary, "%c %s\n", mark, h->move_to ? h->move_to : h->path);
            }
        for (size_t i = 0; i < p.n; i++) {
            hunk *h = &p.hunks[i];
            if (changes) {
                json_object *c = json_object_new_object();
                cx_json_set_str(c, "path", plan[i].abs);
                cx_json_set_str(c, "kind",
                                h->kind == H_ADD      ? "add"
                                : h->kind == H_DELETE ? "delete"
                                                      : "update");
                json_object_array_add(changes, c);
            }
        }
    }
    for (size_t i = 0; i < p.n; i++) {
        free(plan[i].abs);
        free(plan[i].content);
        free(plan[i].remove);
    }
    free(plan);
    patch_free(&p);
    return rc;
}

/* ---- heredoc form inside shell commands ------------------------------------ */

bool cx_patch_from_heredoc(const char *script, char **patch_out, char **dir_out)
{
    *patch_out = NULL;
    *dir_out = NULL;
    const char *s = trim_start(script);
    char *dir = NULL;
    if (!strncmp(s, "cd ", 3)) {
        const char *d = trim_start(s + 3);
        const char *amp = strstr(d, "&&");
        if (!amp) return false;
        size_t n = (size_t)(amp - d);
        while (n && (d[n - 1] == ' ' || d[n - 1] == '\t'))
            n--;
        if (n >= 2 && (d[0] == '\'' || d[0] == '"') && d[n - 1] == d[0]) {
            d++;
            n -= 2;
        }
        dir = strndup(d, n);
        s = trim_start(amp + 2);
    }
    const char *cmd = !strncmp(s, "apply_patch", 11)  ? s + 11
                      : !strncmp(s, "applypatch", 10) ? s + 10
                                                      : NULL;
    if (!cmd) {
        free(dir);
        return false;
    }
    cmd = trim_start(cmd);
    if (strncmp(cmd, "<<", 2)) {
        free(dir);
        return false;
    }
    cmd = trim_start(cmd + 2);
    char delim[64];
    size_t k = 0;
    char q = (*cmd == '\'' || *cmd == '"') ? *cmd++ : 0;
    while (*cmd && *cmd != '\n' && *cmd != q && *cmd != ' ' && k < sizeof delim - 1)
        delim[k++] = *cmd++;
    delim[k] = '\0';
    const char *body = strchr(cmd, '\n');
    if (!k || !body) {
        free(dir);
        return false;
    }
    body++;
    /* find the closing delimiter line */
    const char *p = body;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n == k && !strncmp(p, delim, k)) {
            const char *rest = trim_start(p + n);
            if (*rest && *rest != '\n') break; /* more commands follow: not the simple form */
            *patch_out = strndup(body, (size_t)(p - body));
            *dir_out = dir;
            return true;
        }
        if (!nl) break;
        p = nl + 1;
    }
    free(dir);
    return false;
}

/* ---- the tool ------------------------------------------------------------- */

static const char GRAMMAR[] =
    "start: begin_patch hunk+ end_patch\n"
    "begin_patch: \"*** Begin Patch\" LF\n"
    "end_patch: \"*** End Patch\" LF?\n"
    "\n"
    "hunk: add_hunk | delete_hunk | update_hunk\n"
    "add_hunk: \"*** Add File: \" filename LF add_line+\n"
    "delete_hunk: \"*** Delete File: \" filename LF\n"
    "update_hunk: \"*** Update File: \" filename LF change_move? change?\n"
    "\n"
    "filename: /(.+)/\n"
    "add_line: \"+\" /(.*)/ LF -> line\n"
    "\n"
    "change_move: \"*** Move to: \" filename LF\n"
    "change: (change_context | change_line)+ eof_line?\n"
    "change_context: (\"@@\" | \"@@ \" /(.+)/) LF\n"
    "change_line: (\"+\" | \"-\" | \" \") /(.*)/ LF\n"
    "eof_line: \"*** End of File\" LF\n"
    "\n"
    "%import common.LF\n";

static void emit_change(const cx_tool_env *env, cx_event_kind kind, const char *call_id,
                        json_object *changes, const char *status)
{
    if (!env->emit) return;
    json_object *d = json_object_new_object();
    cx_json_set_str(d, "type", "file_change");
    cx_json_set_str(d, "call_id", call_id);
    cx_json_set(d, "changes", json_object_get(changes));
    cx_json_set_str(d, "status", status);
    cx_event ev = {kind, d};
    env->emit(env->emit_user, &ev);
    json_object_put(d);
}

static int patch_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                         cx_tool_output *out)
{
    (void)state;
    const char *input = call->input ? call->input : "";
    if (call->kind == CX_TOOL_FUNCTION) {
        /* a function-style call carries {"input": "..."} */
        json_object *args = NULL;
        if (cx_json_parse(input, strlen(input), &args, NULL) == 0) {
            const char *in = cx_json_get_str(args, "input");
            if (in) {
                char *copy = strdup(in);
                json_object_put(args);
                cx_tool_call c2 = *call;
                c2.input = copy;
                c2.kind = CX_TOOL_CUSTOM;
                int rc = patch_handler(state, &c2, env, out);
                free(copy);
                return rc;
            }
        }
        json_object_put(args);
    }
    return cx_patch_run(input, env->cwd, call->call_id, env, out);
}

static bool may_write(const void *env, const char *path)
{
    return cx__tool_may_write(env, path);
}

int cx_patch_run(const char *input, const char *cwd, const char *call_id, const cx_tool_env *env,
                 cx_tool_output *out)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cx_buf summary = CX_BUF_INIT;
    json_object *changes = json_object_new_array();
    cx_error err;
    emit_change(env, CX_EV_ITEM_STARTED, call_id ? call_id : "", changes, "in_progress");
    /* the sandbox's write policy holds for patches too, before anything is written */
    int rc = cx__patch_apply_checked(input, cwd, may_write, env, &summary, changes, &err);
    if (rc == CX_PATCH_REJECTED) {
        emit_change(env, CX_EV_ITEM_COMPLETED, call_id ? call_id : "", changes, "failed");
        cx_buf_free(&summary);
        json_object_put(changes);
        return cx_tool_output_setf(out, false,
                                   "patch rejected: writing outside of the project; "
                                   "rejected by user approval settings");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    emit_change(env, CX_EV_ITEM_COMPLETED, call_id ? call_id : "", changes,
                rc ? "failed" : "completed");
    char secs[32];
    if (rc == 0)
        cx_tool_output_setf(out, true, "Exit code: 0\nWall time: %s seconds\nOutput:\n%s",
                            cx_shell_format_seconds(wall, secs, sizeof secs), cx_buf_str(&summary));
    else if (rc == CX_EINVAL)
        cx_tool_output_setf(out, false, "%s", err.msg);
    else
        cx_tool_output_setf(out, false, "apply_patch verification failed: %s", err.msg);
    cx_buf_free(&summary);
    json_object_put(changes);
    return 0;
}

int cx_patch_register(cx_tool_registry *reg)
{
    json_object *spec = json_object_new_object();
    cx_json_set_str(spec, "type", "custom");
    cx_json_set_str(spec, "name", "apply_patch");
    cx_json_set_str(spec, "description",
                    "Edit files by sending a patch in the format below (freeform text, not "
                    "JSON): add, delete, update or move files, with a few lines of context around "
                    "each change.");
    json_object *format = json_object_new_object();
    cx_json_set_str(format, "type", "grammar");
    cx_json_set_str(format, "syntax", "lark");
    cx_json_set_str(format, "definition", GRAMMAR);
    cx_json_set(spec, "format", format);
    cx_tool_def d = {"apply_patch", CX_TOOL_CUSTOM, false, spec, patch_handler, NULL, NULL};
    return cx_tools_add(reg, &d);
}
