/* apply_patch parsing: patch text into hunks and chunks, with upstream's
 * error texts and line numbers so models trained on them recognise what
 * went wrong. */
#include "tools/patch_internal.h"

#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cx__strv_push(cx__strv *s, const char *p, size_t len)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = strndup(p, len);
}

void cx__strv_free(cx__strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

void cx__patch_free(cx__patch *p)
{
    for (size_t i = 0; i < p->n; i++) {
        cx__patch_hunk *h = &p->hunks[i];
        free(h->path);
        free(h->move_to);
        free(h->contents);
        for (size_t j = 0; j < h->n_chunks; j++) {
            free(h->chunks[j].context);
            cx__strv_free(&h->chunks[j].old_lines);
            cx__strv_free(&h->chunks[j].new_lines);
        }
        free(h->chunks);
    }
    free(p->hunks);
}

const char *cx__patch_trim_start(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static bool line_is(const char *line, const char *what)
{
    const char *t = cx__patch_trim_start(line);
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r'))
        n--;
    return n == strlen(what) && !strncmp(t, what, n);
}

static const char *after_prefix(const char *line, const char *prefix)
{
    const char *t = cx__patch_trim_start(line);
    return strncmp(t, prefix, strlen(prefix)) ? NULL : t + strlen(prefix);
}

static char *trimmed_copy(const char *s)
{
    s = cx__patch_trim_start(s);
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return strndup(s, n);
}

/* Splits text into lines (without '\n'); a final newline adds no empty line. */
static void split_lines(const char *text, cx__strv *out)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            cx__strv_push(out, p, strlen(p));
            break;
        }
        /* like Rust's str::lines, which the upstream parser uses: "\r\n" ends a line too */
        size_t n = (size_t)(nl - p);
        if (n && p[n - 1] == '\r') n--;
        cx__strv_push(out, p, n);
        p = nl + 1;
    }
}

/* Upstream's lenient heredoc form: the patch wrapped in <<'EOF' ... EOF. */
static void strip_heredoc(cx__strv *lines)
{
    if (lines->n < 4) return;
    const char *first = cx__patch_trim_start(lines->v[0]);
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
static int parse_update_chunks(cx__strv *lines, size_t *i, size_t end, size_t header,
                               cx__patch_hunk *h, cx_error *err)
{
    bool first = true;
    while (*i < end) {
        const char *line = lines->v[*i];
        if (after_prefix(line, "*** ") && !line_is(line, "*** End of File")) break;
        size_t chunk_start = *i;
        cx__patch_chunk c = {0};
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
                cx__strv_free(&c.old_lines);
                cx__strv_free(&c.new_lines);
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
                cx__strv_push(&c.old_lines, "", 0);
                cx__strv_push(&c.new_lines, "", 0);
            } else if (t == ' ') {
                cx__strv_push(&c.old_lines, l + 1, strlen(l + 1));
                cx__strv_push(&c.new_lines, l + 1, strlen(l + 1));
            } else if (t == '-') {
                cx__strv_push(&c.old_lines, l + 1, strlen(l + 1));
            } else if (t == '+') {
                cx__strv_push(&c.new_lines, l + 1, strlen(l + 1));
            } else {
                /* as upstream: a stray line ends a chunk that has lines (the next
                   chunk then needs its @@); as a chunk's first line it is an error */
                if (body) break;
                free(c.context);
                cx__strv_free(&c.old_lines);
                cx__strv_free(&c.new_lines);
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

int cx__patch_parse(const char *text, cx__patch *p, cx_error *err)
{
    cx__strv lines = {0};
    split_lines(text, &lines);
    /* upstream trims the whole text first: blank lines around the envelope do not count */
    while (lines.n && cx__patch_trim_start(lines.v[lines.n - 1])[0] == '\0')
        free(lines.v[--lines.n]);
    size_t lead = 0;
    while (lead < lines.n && cx__patch_trim_start(lines.v[lead])[0] == '\0')
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
        cx__patch_hunk h = {0};
        if ((path = after_prefix(line, "*** Add File: "))) {
            h.kind = CX__H_ADD;
            h.path = trimmed_copy(path);
            i++;
            cx_buf content = CX_BUF_INIT;
            cx__buf_puts(&content, "");
            while (i < end && lines.v[i][0] == '+') {
                cx__buf_puts(&content, lines.v[i] + 1);
                cx__buf_putc(&content, '\n');
                i++;
            }
            h.contents = cx__buf_steal(&content);
        } else if ((path = after_prefix(line, "*** Delete File: "))) {
            h.kind = CX__H_DELETE;
            h.path = trimmed_copy(path);
            i++;
        } else if ((path = after_prefix(line, "*** Update File: "))) {
            h.kind = CX__H_UPDATE;
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
    cx__strv_free(&lines);
    return rc;
}
