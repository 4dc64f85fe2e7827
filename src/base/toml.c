/* A recursive-descent TOML parser. Tables defined by headers, by dotted keys
 * and inline tables are tracked so redefinitions are rejected. */
#include "base/toml.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/toml_scalar.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct P {
    const char *s;
    size_t len, i;
    cx_error *err;
    int rc;
    json_object *defined; /* set of "explicitly defined" table objects, keyed by pointer */
    json_object *sealed;  /* inline tables and static arrays: immutable */
} P;

static void pos(const P *p, size_t at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t k = 0; k < at && k < p->len; k++) {
        if (p->s[k] == '\n') {
            (*line)++;
            *col = 1;
        } else if (!cx_utf8_is_cont(p->s[k])) {
            (*col)++;
        }
    }
}

static int fail(P *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(P *p, const char *fmt, ...)
{
    if (p->rc) return p->rc;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line, col;
    pos(p, p->i, &line, &col);
    p->rc = cx_error_set(p->err, CX_EPARSE, "line %d, column %d: %s", line, col, msg);
    return p->rc;
}

static bool eof(const P *p)
{
    return p->i >= p->len;
}

static char cur(const P *p)
{
    return p->i < p->len ? p->s[p->i] : '\0';
}

static char at(const P *p, size_t k)
{
    return p->i + k < p->len ? p->s[p->i + k] : '\0';
}

static void skip_ws(P *p)
{
    while (!eof(p) && (cur(p) == ' ' || cur(p) == '\t'))
        p->i++;
}

static int skip_comment(P *p)
{
    if (cur(p) != '#') return 0;
    while (!eof(p) && cur(p) != '\n') {
        unsigned char c = (unsigned char)cur(p);
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return fail(p, "control character in comment");
        if (c == '\r' && at(p, 1) != '\n') return fail(p, "bare carriage return");
        p->i++;
    }
    return 0;
}

/* Skips white space, newlines and comments (inside arrays). */
static int skip_all(P *p)
{
    for (;;) {
        skip_ws(p);
        if (cur(p) == '#') {
            if (skip_comment(p)) return p->rc;
        } else if (cur(p) == '\n') {
            p->i++;
        } else if (cur(p) == '\r' && at(p, 1) == '\n') {
            p->i += 2;
        } else {
            return 0;
        }
    }
}

static int expect_eol(P *p)
{
    skip_ws(p);
    if (skip_comment(p)) return p->rc;
    if (eof(p)) return 0;
    if (cur(p) == '\n') {
        p->i++;
        return 0;
    }
    if (cur(p) == '\r' && at(p, 1) == '\n') {
        p->i += 2;
        return 0;
    }
    return fail(p, "expected the end of the line, found '%c'", cur(p));
}

static int check_char(P *p, bool multiline)
{
    unsigned char c = (unsigned char)cur(p);
    if (c == '\t') return 0;
    if (multiline && c == '\n') return 0;
    if (multiline && c == '\r' && at(p, 1) == '\n') return 0;
    if (c < 0x20 || c == 0x7f) return fail(p, "control character in string");
    return 0;
}

/* Parses a string of any of the four kinds into out. */
static int parse_string(P *p, cx_buf *out)
{
    char q = cur(p);
    bool multi = at(p, 1) == q && at(p, 2) == q;
    bool literal = q == '\'';
    p->i += multi ? 3 : 1;
    if (multi) {
        if (cur(p) == '\n')
            p->i++;
        else if (cur(p) == '\r' && at(p, 1) == '\n')
            p->i += 2;
    }
    for (;;) {
        if (eof(p)) return fail(p, "unterminated string");
        char c = cur(p);
        if (c == q) {
            if (!multi) {
                p->i++;
                return 0;
            }
            if (at(p, 1) == q && at(p, 2) == q) {
                /* up to two quotes may end the content */
                size_t extra = 0;
                while (extra < 2 && at(p, 3 + extra) == q)
                    extra++;
                cx__buf_append(out, p->s + p->i, extra);
                p->i += 3 + extra;
                return 0;
            }
            cx__buf_putc(out, c);
            p->i++;
            continue;
        }
        if (!multi && (c == '\n' || c == '\r')) return fail(p, "newline in a single-line string");
        if (c == '\\' && !literal) {
            size_t backslash = p->i;
            p->i++;
            char e = cur(p);
            switch (e) {
            case 'b':
                cx__buf_putc(out, '\b');
                p->i++;
                continue;
            case 't':
                cx__buf_putc(out, '\t');
                p->i++;
                continue;
            case 'n':
                cx__buf_putc(out, '\n');
                p->i++;
                continue;
            case 'f':
                cx__buf_putc(out, '\f');
                p->i++;
                continue;
            case 'r':
                cx__buf_putc(out, '\r');
                p->i++;
                continue;
            case 'e':
                cx__buf_putc(out, 0x1b);
                p->i++;
                continue;
            case '"':
                cx__buf_putc(out, '"');
                p->i++;
                continue;
            case '\\':
                cx__buf_putc(out, '\\');
                p->i++;
                continue;
            case 'u':
            case 'U': {
                int n = e == 'u' ? 4 : 8;
                unsigned long cp = 0;
                for (int k = 1; k <= n; k++) {
                    char h = at(p, (size_t)k);
                    if (!isxdigit((unsigned char)h)) return fail(p, "bad unicode escape");
                    cp = cp * 16 + (unsigned long)(isdigit((unsigned char)h)
                                                       ? h - '0'
                                                       : (tolower((unsigned char)h) - 'a' + 10));
                }
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                    return fail(p, "invalid unicode scalar value");
                cx__utf8_put(out, (uint32_t)cp);
                p->i += (size_t)n + 1;
                continue;
            }
            default:
                if (multi && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
                    /* line-ending backslash: skip white space up to and across newlines */
                    size_t k = p->i;
                    while (k < p->len && (p->s[k] == ' ' || p->s[k] == '\t'))
                        k++;
                    if (k < p->len && p->s[k] != '\n' &&
                        !(p->s[k] == '\r' && k + 1 < p->len && p->s[k + 1] == '\n'))
                        return fail(p, "invalid escape");
                    while (k < p->len && (p->s[k] == ' ' || p->s[k] == '\t' || p->s[k] == '\n' ||
                                          p->s[k] == '\r'))
                        k++;
                    p->i = k;
                    continue;
                }
                p->i = backslash;
                return fail(p, "invalid escape '\\%c'", e ? e : ' ');
            }
        }
        if (check_char(p, multi)) return p->rc;
        cx__buf_putc(out, c);
        p->i++;
    }
}

static bool is_bare(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* A dotted key as a JSON array of strings (new). */
static json_object *parse_key(P *p)
{
    json_object *parts = json_object_new_array();
    for (;;) {
        skip_ws(p);
        cx_buf b = CX_BUF_INIT;
        if (cur(p) == '"' || cur(p) == '\'') {
            if (at(p, 1) == cur(p) && at(p, 2) == cur(p)) {
                fail(p, "multi-line strings are not allowed as keys");
                cx__buf_free(&b);
                json_object_put(parts);
                return NULL;
            }
            if (parse_string(p, &b)) {
                cx__buf_free(&b);
                json_object_put(parts);
                return NULL;
            }
        } else {
            size_t start = p->i;
            while (!eof(p) && is_bare(cur(p)))
                p->i++;
            if (p->i == start) {
                fail(p, "expected a key");
                json_object_put(parts);
                return NULL;
            }
            cx__buf_append(&b, p->s + start, p->i - start);
            cx__buf_puts(&b, "");
        }
        json_object_array_add(parts, json_object_new_string_len(cx__buf_str(&b), (int)b.len));
        cx__buf_free(&b);
        skip_ws(p);
        if (cur(p) != '.') return parts;
        p->i++;
    }
}

static json_object *parse_value(P *p, int depth);

static bool has_ptr(json_object *set, const void *ptr)
{
    char k[32];
    snprintf(k, sizeof k, "%p", ptr);
    return cx__json_get(set, k) != NULL;
}

static void add_ptr(json_object *set, const void *ptr)
{
    char k[32];
    snprintf(k, sizeof k, "%p", ptr);
    json_object_object_add(set, k, json_object_new_boolean(1));
}

static json_object *parse_inline_table(P *p, int depth)
{
    p->i++; /* { */
    json_object *t = json_object_new_object();
    json_object *implicit = json_object_new_object();
    skip_ws(p);
    if (cur(p) == '}') {
        p->i++;
        json_object_put(implicit);
        add_ptr(p->sealed, t);
        return t;
    }
    for (;;) {
        json_object *key = parse_key(p);
        if (!key) goto bad;
        if (cur(p) != '=') {
            json_object_put(key);
            fail(p, "expected '=' after a key");
            goto bad;
        }
        p->i++;
        skip_ws(p);
        json_object *v = parse_value(p, depth + 1);
        if (!v) {
            json_object_put(key);
            goto bad;
        }
        json_object *tbl = t;
        size_t n = json_object_array_length(key);
        for (size_t k = 0; k + 1 < n; k++) {
            const char *name = json_object_get_string(json_object_array_get_idx(key, k));
            json_object *next = cx__json_get(tbl, name);
            if (!next) {
                next = json_object_new_object();
                json_object_object_add(tbl, name, next);
                add_ptr(implicit, next);
            } else if (!json_object_is_type(next, json_type_object) || !has_ptr(implicit, next)) {
                fail(p, "key '%s' is already defined", name);
                json_object_put(key);
                json_object_put(v);
                goto bad;
            }
            tbl = next;
        }
        const char *last = json_object_get_string(json_object_array_get_idx(key, n - 1));
        if (cx__json_get(tbl, last)) {
            fail(p, "duplicate key '%s'", last);
            json_object_put(key);
            json_object_put(v);
            goto bad;
        }
        json_object_object_add(tbl, last, v);
        json_object_put(key);
        skip_ws(p);
        if (cur(p) == ',') {
            p->i++;
            skip_ws(p);
            if (cur(p) == '}') {
                fail(p, "trailing comma in an inline table");
                goto bad;
            }
            continue;
        }
        if (cur(p) == '}') {
            p->i++;
            break;
        }
        fail(p, "expected ',' or '}' in an inline table");
        goto bad;
    }
    json_object_put(implicit);
    add_ptr(p->sealed, t);
    return t;
bad:
    json_object_put(implicit);
    json_object_put(t);
    return NULL;
}

static json_object *parse_array(P *p, int depth)
{
    p->i++; /* [ */
    json_object *a = json_object_new_array();
    for (;;) {
        if (skip_all(p)) goto bad;
        if (cur(p) == ']') {
            p->i++;
            add_ptr(p->sealed, a);
            return a;
        }
        json_object *v = parse_value(p, depth + 1);
        if (!v) goto bad;
        json_object_array_add(a, v);
        if (skip_all(p)) goto bad;
        if (cur(p) == ',') {
            p->i++;
            continue;
        }
        if (cur(p) == ']') {
            p->i++;
            add_ptr(p->sealed, a);
            return a;
        }
        fail(p, "expected ',' or ']' in an array");
        goto bad;
    }
bad:
    json_object_put(a);
    return NULL;
}

static json_object *parse_scalar(P *p)
{
    size_t start = p->i;
    while (!eof(p) && (isalnum((unsigned char)cur(p)) || strchr("+-_.:", cur(p))))
        p->i++;
    /* a date-time may have one space between date and time */
    if (cur(p) == ' ' && p->i - start == 10 && p->s[start + 4] == '-' &&
        isdigit((unsigned char)at(p, 1))) {
        p->i++;
        while (!eof(p) && (isalnum((unsigned char)cur(p)) || strchr("+-_.:", cur(p))))
            p->i++;
    }
    size_t n = p->i - start;
    const char *t = p->s + start;
    char buf[128];
    if (n == 0 || n >= sizeof buf) {
        p->i = start;
        fail(p, "expected a value");
        return NULL;
    }
    memcpy(buf, t, n);
    buf[n] = '\0';
    bool bad_datetime = false;
    json_object *o = cx__toml_scalar(buf, n, &bad_datetime);
    if (o) return o;
    p->i = start;
    if (bad_datetime)
        fail(p, "invalid date-time '%s'", buf);
    else
        fail(p, "invalid value '%s'", buf);
    return NULL;
}

static json_object *parse_value(P *p, int depth)
{
    if (depth > 200) {
        fail(p, "values nested too deeply");
        return NULL;
    }
    char c = cur(p);
    if (c == '"' || c == '\'') {
        cx_buf b = CX_BUF_INIT;
        cx__buf_puts(&b, "");
        if (parse_string(p, &b)) {
            cx__buf_free(&b);
            return NULL;
        }
        if (!cx__utf8_valid(b.data, b.len)) {
            cx__buf_free(&b);
            fail(p, "invalid UTF-8 in string");
            return NULL;
        }
        json_object *s = json_object_new_string_len(b.data, (int)b.len);
        cx__buf_free(&b);
        return s;
    }
    if (c == '[') return parse_array(p, depth);
    if (c == '{') return parse_inline_table(p, depth);
    return parse_scalar(p);
}

/* Walks/creates the tables of key[0..n) below root for a header or a dotted key. */
static json_object *descend(P *p, json_object *root, json_object *key, size_t n, bool header)
{
    json_object *t = root;
    for (size_t k = 0; k < n; k++) {
        const char *name = json_object_get_string(json_object_array_get_idx(key, k));
        json_object *next = cx__json_get(t, name);
        if (!next) {
            next = json_object_new_object();
            json_object_object_add(t, name, next);
        } else if (json_object_is_type(next, json_type_array) && header &&
                   !has_ptr(p->sealed, next)) {
            size_t len = json_object_array_length(next);
            next = json_object_array_get_idx(next, len - 1); /* last table of an array of tables */
        } else if (!json_object_is_type(next, json_type_object) || has_ptr(p->sealed, next)) {
            fail(p, "key '%s' is already defined as a value", name);
            return NULL;
        } else if (!header && has_ptr(p->defined, next)) {
            fail(p, "table '%s' is already defined", name);
            return NULL;
        }
        t = next;
    }
    return t;
}

static int parse_document(P *p, json_object *root)
{
    json_object *table = root;
    json_object *dotted = json_object_new_object(); /* tables created by dotted keys */
    while (!eof(p)) {
        if (skip_all(p)) break;
        if (eof(p)) break;
        if (cur(p) == '[') {
            bool aot = at(p, 1) == '[';
            p->i += aot ? 2 : 1;
            json_object *key = parse_key(p);
            if (!key) break;
            if (aot ? (cur(p) != ']' || at(p, 1) != ']') : cur(p) != ']') {
                json_object_put(key);
                fail(p, "expected '%s' after a table name", aot ? "]]" : "]");
                break;
            }
            p->i += aot ? 2 : 1;
            size_t n = json_object_array_length(key);
            json_object *parent = descend(p, root, key, n - 1, true);
            if (!parent) {
                json_object_put(key);
                break;
            }
            const char *last = json_object_get_string(json_object_array_get_idx(key, n - 1));
            json_object *existing = cx__json_get(parent, last);
            if (aot) {
                if (!existing) {
                    existing = json_object_new_array();
                    json_object_object_add(parent, last, existing);
                } else if (!json_object_is_type(existing, json_type_array) ||
                           has_ptr(p->sealed, existing)) {
                    fail(p, "'%s' is not an array of tables", last);
                    json_object_put(key);
                    break;
                }
                table = json_object_new_object();
                json_object_array_add(existing, table);
            } else {
                if (!existing) {
                    table = json_object_new_object();
                    json_object_object_add(parent, last, table);
                } else if (!json_object_is_type(existing, json_type_object) ||
                           has_ptr(p->defined, existing) || has_ptr(p->sealed, existing) ||
                           has_ptr(dotted, existing)) {
                    fail(p, "table '%s' is already defined", last);
                    json_object_put(key);
                    break;
                } else {
                    table = existing;
                }
                add_ptr(p->defined, table);
            }
            json_object_put(key);
            if (expect_eol(p)) break;
            continue;
        }
        json_object *key = parse_key(p);
        if (!key) break;
        if (cur(p) != '=') {
            json_object_put(key);
            fail(p, "expected '=' after a key");
            break;
        }
        p->i++;
        skip_ws(p);
        json_object *v = parse_value(p, 0);
        if (!v) {
            json_object_put(key);
            break;
        }
        size_t n = json_object_array_length(key);
        json_object *t = descend(p, table, key, n - 1, false);
        if (t) {
            /* remember every table a dotted key created or walked through: a later
               [header] may not reopen them */
            json_object *w = table;
            for (size_t k = 0; k + 1 < n; k++) {
                w = cx__json_get(w, json_object_get_string(json_object_array_get_idx(key, k)));
                add_ptr(dotted, w);
            }
            const char *last = json_object_get_string(json_object_array_get_idx(key, n - 1));
            if (cx__json_get(t, last)) {
                fail(p, "duplicate key '%s'", last);
                json_object_put(v);
            } else {
                json_object_object_add(t, last, v);
            }
        } else {
            json_object_put(v);
        }
        json_object_put(key);
        if (p->rc || expect_eol(p)) break;
    }
    json_object_put(dotted);
    return p->rc;
}

int cx__toml_parse(const char *text, size_t len, json_object **out, cx_error *err)
{
    *out = NULL;
    P p = {text, len, 0, err, 0, json_object_new_object(), json_object_new_object()};
    if (!cx__utf8_valid(text, len)) {
        /* find the first bad byte for the position */
        size_t k = 0;
        while (k < len && cx__utf8_valid(text, k + 1))
            k++;
        p.i = k;
        fail(&p, "invalid UTF-8");
    } else if (memchr(text, '\0', len)) {
        p.i = (size_t)((const char *)memchr(text, '\0', len) - text);
        fail(&p, "NUL byte in document");
    }
    if (!p.rc && len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        p.i = 3; /* a UTF-8 byte order mark */
    json_object *root = json_object_new_object();
    if (!p.rc) parse_document(&p, root);
    json_object_put(p.defined);
    json_object_put(p.sealed);
    if (p.rc) {
        json_object_put(root);
        return p.rc;
    }
    *out = root;
    return 0;
}

int cx__toml_parse_value(const char *text, size_t len, json_object **out, cx_error *err)
{
    *out = NULL;
    P p = {text, len, 0, err, 0, json_object_new_object(), json_object_new_object()};
    skip_ws(&p);
    json_object *v = parse_value(&p, 0);
    if (v) {
        skip_ws(&p);
        if (!eof(&p)) fail(&p, "unexpected text after the value");
    }
    json_object_put(p.defined);
    json_object_put(p.sealed);
    if (p.rc) {
        json_object_put(v);
        return p.rc;
    }
    *out = v;
    return 0;
}
