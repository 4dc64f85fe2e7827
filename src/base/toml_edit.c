/* Text-level TOML editing: a small line lexer that knows where strings
 * (including multi-line ones) and comments are, so `[` at the start of a line
 * inside a string is never taken for a table header. */
#include "base/toml_edit.h"

#include "base/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum lex_state { LX_NORMAL, LX_ML_BASIC, LX_ML_LITERAL } lex_state;

typedef enum line_kind { LN_BLANK, LN_COMMENT, LN_HEADER, LN_OTHER } line_kind;

typedef struct line {
    size_t start, end; /* [start, end) including the newline */
    line_kind kind;
    char **path; /* LN_HEADER: the key path */
    size_t depth;
} line;

static bool bare_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static void path_free(char **p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i]);
    free(p);
}

/* Reads a header's dotted key from s[i..e); returns 0 with the path. Only the
 * simple escapes of basic strings are decoded (enough to compare names). */
static int parse_header(const char *s, size_t i, size_t e, char ***out, size_t *depth)
{
    char **path = NULL;
    size_t n = 0;
    for (;;) {
        while (i < e && (s[i] == ' ' || s[i] == '\t'))
            i++;
        cx_buf key = CX_BUF_INIT;
        if (i < e && (s[i] == '"' || s[i] == '\'')) {
            char q = s[i++];
            while (i < e && s[i] != q) {
                if (q == '"' && s[i] == '\\' && i + 1 < e) {
                    char c = s[++i];
                    cx__buf_putc(&key, c == 'n' ? '\n' : c == 't' ? '\t' : c);
                } else {
                    cx__buf_putc(&key, s[i]);
                }
                i++;
            }
            if (i >= e) {
                cx__buf_free(&key);
                path_free(path, n);
                return CX_EPARSE;
            }
            i++;
        } else {
            while (i < e && bare_char(s[i]))
                cx__buf_putc(&key, s[i++]);
            if (!key.len) {
                cx__buf_free(&key);
                path_free(path, n);
                return CX_EPARSE;
            }
        }
        char **p = realloc(path, (n + 1) * sizeof *p);
        if (!p) {
            cx__buf_free(&key);
            path_free(path, n);
            return CX_ENOMEM;
        }
        path = p;
        path[n++] = cx__buf_steal(&key);
        while (i < e && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < e && s[i] == '.') {
            i++;
            continue;
        }
        if (i < e && s[i] == ']') break;
        path_free(path, n);
        return CX_EPARSE;
    }
    *out = path;
    *depth = n;
    return 0;
}

/* Moves the lexer over one line s[i..e) (no newline) from state st. */
static lex_state lex_line(const char *s, size_t i, size_t e, lex_state st)
{
    while (i < e) {
        if (st == LX_ML_BASIC || st == LX_ML_LITERAL) {
            const char *close = st == LX_ML_BASIC ? "\"\"\"" : "'''";
            if (st == LX_ML_BASIC && s[i] == '\\') {
                i += 2;
                continue;
            }
            if (i + 3 <= e && !memcmp(s + i, close, 3)) {
                st = LX_NORMAL;
                i += 3;
                continue;
            }
            i++;
            continue;
        }
        char c = s[i];
        if (c == '#') return st;
        if (c == '"' || c == '\'') {
            if (i + 3 <= e && s[i + 1] == c && s[i + 2] == c) {
                st = c == '"' ? LX_ML_BASIC : LX_ML_LITERAL;
                i += 3;
                continue;
            }
            i++;
            while (i < e && s[i] != c) {
                if (c == '"' && s[i] == '\\') i++;
                i++;
            }
            i++;
            continue;
        }
        i++;
    }
    return st;
}

static void lines_free(line *ls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        path_free(ls[i].path, ls[i].depth);
    free(ls);
}

static int split_lines(const char *text, size_t len, line **out, size_t *count)
{
    size_t cap = 64, n = 0;
    line *ls = malloc(cap * sizeof *ls);
    if (!ls) return CX_ENOMEM;
    lex_state st = LX_NORMAL;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) + 1 : len;
        size_t content_end = nl ? end - 1 : end;
        if (n == cap) {
            line *p = realloc(ls, (cap *= 2) * sizeof *ls);
            if (!p) {
                lines_free(ls, n);
                return CX_ENOMEM;
            }
            ls = p;
        }
        line *l = &ls[n++];
        *l = (line){pos, end, LN_OTHER, NULL, 0};
        size_t i = pos;
        while (i < content_end && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
            i++;
        if (st != LX_NORMAL) {
            l->kind = LN_OTHER;
        } else if (i == content_end) {
            l->kind = LN_BLANK;
        } else if (text[i] == '#') {
            l->kind = LN_COMMENT;
        } else if (text[i] == '[') {
            size_t k = i + 1 + (i + 1 < content_end && text[i + 1] == '[');
            int rc = parse_header(text, k, content_end, &l->path, &l->depth);
            if (rc) {
                n--;
                lines_free(ls, n);
                return rc;
            }
            l->kind = LN_HEADER;
        }
        if (l->kind == LN_OTHER || l->kind == LN_HEADER) st = lex_line(text, i, content_end, st);
        pos = end;
    }
    *out = ls;
    *count = n;
    return 0;
}

static bool matches(const line *l, const char *const *path, size_t n)
{
    if (l->kind != LN_HEADER || l->depth < n) return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(l->path[i], path[i])) return false;
    return true;
}

/* The first line of the header at h's section: its attached comment block
 * and the blank lines above it. */
static size_t section_start(const line *ls, size_t h)
{
    size_t s = h;
    while (s > 0 && ls[s - 1].kind == LN_COMMENT)
        s--;
    while (s > 0 && ls[s - 1].kind == LN_BLANK)
        s--;
    return s;
}

int cx__toml_edit_replace_tables(const char *text, size_t len, const char *const *path, size_t n,
                                 const char *insert, cx_buf *out, bool *removed, cx_error *err)
{
    *removed = false;
    line *ls = NULL;
    size_t count = 0;
    int rc = split_lines(text, len, &ls, &count);
    if (rc == CX_EPARSE) return cx_error_set(err, rc, "cannot read a table header of the file");
    if (rc) return cx_error_set(err, rc, "out of memory");
    bool *drop = calloc(count ? count : 1, sizeof *drop);
    if (!drop) {
        lines_free(ls, count);
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    size_t insert_at = (size_t)-1;
    for (size_t h = 0; h < count; h++) {
        if (!matches(&ls[h], path, n)) continue;
        size_t s = section_start(ls, h), e = h + 1;
        while (e < count && ls[e].kind != LN_HEADER)
            e++;
        if (e < count) e = section_start(ls, e) > h ? section_start(ls, e) : e;
        for (size_t k = s; k < e; k++)
            drop[k] = true;
        if (insert_at == (size_t)-1) insert_at = s;
        *removed = true;
    }
    for (size_t k = 0; k < count; k++) {
        if (k == insert_at && insert) {
            if (out->len) cx__buf_putc(out, '\n');
            cx__buf_puts(out, insert);
        }
        if (!drop[k]) cx__buf_append(out, text + ls[k].start, ls[k].end - ls[k].start);
    }
    if (insert_at == (size_t)-1 && insert) {
        if (out->len && out->data[out->len - 1] != '\n') cx__buf_putc(out, '\n');
        if (out->len) cx__buf_putc(out, '\n');
        cx__buf_puts(out, insert);
    }
    /* a removal at the very end leaves no blank tail behind */
    if (!insert && *removed && count && drop[count - 1])
        while (out->len >= 2 && out->data[out->len - 1] == '\n' && out->data[out->len - 2] == '\n')
            cx__buf_truncate(out, out->len - 1);
    free(drop);
    lines_free(ls, count);
    return cx__buf_failed(out) ? cx_error_set(err, CX_ENOMEM, "out of memory") : 0;
}

void cx__toml_put_key(cx_buf *b, const char *key)
{
    bool bare = *key != 0;
    for (const char *p = key; *p; p++)
        bare = bare && bare_char(*p);
    if (bare)
        cx__buf_puts(b, key);
    else
        cx__toml_put_string(b, key);
}

void cx__toml_put_string(cx_buf *b, const char *s)
{
    cx__escape_quoted(b, s, strlen(s), CX_ESC_TOML);
}
