/* A recursive-descent TOML parser. Tables defined by headers, by dotted keys
 * and inline tables are tracked so redefinitions are rejected. */
#include "base/toml.h"

#include "base/buf.h"
#include "base/json.h"

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
        } else if (((unsigned char)p->s[k] & 0xC0) != 0x80) {
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

static void put_utf8(cx_buf *b, unsigned long cp)
{
    char u[4];
    if (cp < 0x80) {
        cx_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        cx_buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        cx_buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        cx_buf_append(b, u, 4);
    }
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
                cx_buf_append(out, p->s + p->i, extra);
                p->i += 3 + extra;
                return 0;
            }
            cx_buf_putc(out, c);
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
                cx_buf_putc(out, '\b');
                p->i++;
                continue;
            case 't':
                cx_buf_putc(out, '\t');
                p->i++;
                continue;
            case 'n':
                cx_buf_putc(out, '\n');
                p->i++;
                continue;
            case 'f':
                cx_buf_putc(out, '\f');
                p->i++;
                continue;
            case 'r':
                cx_buf_putc(out, '\r');
                p->i++;
                continue;
            case 'e':
                cx_buf_putc(out, 0x1b);
                p->i++;
                continue;
            case '"':
                cx_buf_putc(out, '"');
                p->i++;
                continue;
            case '\\':
                cx_buf_putc(out, '\\');
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
                put_utf8(out, cp);
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
        cx_buf_putc(out, c);
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
                cx_buf_free(&b);
                json_object_put(parts);
                return NULL;
            }
            if (parse_string(p, &b)) {
                cx_buf_free(&b);
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
            cx_buf_append(&b, p->s + start, p->i - start);
            cx_buf_puts(&b, "");
        }
        json_object_array_add(parts, json_object_new_string_len(cx_buf_str(&b), (int)b.len));
        cx_buf_free(&b);
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
    return cx_json_get(set, k) != NULL;
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
            json_object *next = cx_json_get(tbl, name);
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
        if (cx_json_get(tbl, last)) {
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

static bool digits_ok(const char *s, size_t n, int base)
{
    if (!n || s[0] == '_' || s[n - 1] == '_') return false;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (c == '_') {
            if (s[k + 1] == '_') return false;
            continue;
        }
        if (base == 16 && !isxdigit((unsigned char)c)) return false;
        if (base == 10 && !isdigit((unsigned char)c)) return false;
        if (base == 8 && (c < '0' || c > '7')) return false;
        if (base == 2 && c != '0' && c != '1') return false;
    }
    return true;
}

static bool two_digits(const char *s, int *v)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1])) return false;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

/* Validates HH:MM:SS(.frac)? at s; returns the length consumed, or 0. */
static size_t parse_time(const char *s)
{
    int h, m, sec;
    if (!two_digits(s, &h) || s[2] != ':' || !two_digits(s + 3, &m) || s[5] != ':' ||
        !two_digits(s + 6, &sec))
        return 0;
    if (h > 23 || m > 59 || sec > 60) return 0;
    size_t k = 8;
    if (s[k] == '.') {
        k++;
        if (!isdigit((unsigned char)s[k])) return 0;
        while (isdigit((unsigned char)s[k]))
            k++;
    }
    return k;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "datetime", "datetime-local", "date-local", "time-local", or NULL when invalid. */
static const char *datetime_kind(const char *s)
{
    size_t t = parse_time(s);
    if (t) return s[t] == '\0' ? "time-local" : NULL;
    int y1, y2, mo, d;
    if (!two_digits(s, &y1) || !two_digits(s + 2, &y2) || s[4] != '-' || !two_digits(s + 5, &mo) ||
        s[7] != '-' || !two_digits(s + 8, &d))
        return NULL;
    int y = y1 * 100 + y2;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1) return NULL;
    if (d > days[mo - 1] + (mo == 2 && leap(y))) return NULL;
    if (s[10] == '\0') return "date-local";
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return NULL;
    t = parse_time(s + 11);
    if (!t) return NULL;
    const char *z = s + 11 + t;
    if (*z == '\0') return "datetime-local";
    if ((*z == 'Z' || *z == 'z') && z[1] == '\0') return "datetime";
    int oh, om;
    if ((*z == '+' || *z == '-') && two_digits(z + 1, &oh) && z[3] == ':' &&
        two_digits(z + 4, &om) && z[6] == '\0' && oh <= 23 && om <= 59)
        return "datetime";
    return NULL;
}

const char *cx_toml_datetime_kind(const json_object *o)
{
    return o && json_object_is_type(o, json_type_string)
               ? (const char *)json_object_get_userdata((json_object *)o)
               : NULL;
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
    if (!strcmp(buf, "true")) return json_object_new_boolean(1);
    if (!strcmp(buf, "false")) return json_object_new_boolean(0);
    const char *u = buf + (buf[0] == '+' || buf[0] == '-');
    if (!strcmp(u, "inf") || !strcmp(u, "nan")) {
        double d = !strcmp(u, "inf") ? INFINITY : NAN;
        return json_object_new_double(buf[0] == '-' ? -d : d);
    }
    /* date / time: digits with '-' at 4 or ':' at 2 */
    if ((n >= 10 && isdigit((unsigned char)buf[0]) && buf[4] == '-') || (n >= 8 && buf[2] == ':')) {
        const char *kind = datetime_kind(buf);
        if (!kind) {
            p->i = start;
            fail(p, "invalid date-time '%s'", buf);
            return NULL;
        }
        json_object *o = json_object_new_string(buf);
        /* the kind travels as userdata so toml-test style typing can be recovered */
        json_object_set_userdata(o, (void *)kind, NULL);
        return o;
    }
    if (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'o' || buf[1] == 'b')) {
        int base = buf[1] == 'x' ? 16 : buf[1] == 'o' ? 8 : 2;
        if (!digits_ok(buf + 2, n - 2, base)) goto bad_number;
        char clean[128];
        size_t m = 0;
        for (size_t k = 2; k < n; k++)
            if (buf[k] != '_') clean[m++] = buf[k];
        clean[m] = '\0';
        errno = 0;
        unsigned long long v = strtoull(clean, NULL, base);
        if (errno || v > INT64_MAX) goto bad_number;
        return json_object_new_int64((int64_t)v);
    }
    bool is_float = strpbrk(u, ".eE") != NULL;
    const char *mant = u;
    /* leading zeros are not allowed */
    if (mant[0] == '0' && (isdigit((unsigned char)mant[1]) || mant[1] == '_')) goto bad_number;
    char clean[128];
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        char c = buf[k];
        if (c == '_') {
            if (k == 0 || !isdigit((unsigned char)buf[k - 1]) ||
                !isdigit((unsigned char)buf[k + 1]))
                goto bad_number;
            continue;
        }
        clean[m++] = c;
    }
    clean[m] = '\0';
    if (!is_float) {
        if (!digits_ok(u, strlen(u), 10)) goto bad_number;
        errno = 0;
        char *end;
        long long v = strtoll(clean, &end, 10);
        if (errno || *end) goto bad_number;
        return json_object_new_int64(v);
    }
    /* float: digits '.' digits, exponent */
    const char *dot = strchr(u, '.');
    if (dot && (dot == u || !isdigit((unsigned char)dot[-1]) || !isdigit((unsigned char)dot[1])))
        goto bad_number;
    const char *e = strpbrk(u, "eE");
    if (e && (e == u || !isdigit((unsigned char)e[-1]))) goto bad_number;
    char *end;
    errno = 0;
    double d = strtod(clean, &end);
    if (*end || end == clean) goto bad_number;
    return json_object_new_double(d);
bad_number:
    p->i = start;
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
        cx_buf_puts(&b, "");
        if (parse_string(p, &b)) {
            cx_buf_free(&b);
            return NULL;
        }
        if (!cx_utf8_valid(b.data, b.len)) {
            cx_buf_free(&b);
            fail(p, "invalid UTF-8 in string");
            return NULL;
        }
        json_object *s = json_object_new_string_len(b.data, (int)b.len);
        cx_buf_free(&b);
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
        json_object *next = cx_json_get(t, name);
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
            json_object *existing = cx_json_get(parent, last);
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
                w = cx_json_get(w, json_object_get_string(json_object_array_get_idx(key, k)));
                add_ptr(dotted, w);
            }
            const char *last = json_object_get_string(json_object_array_get_idx(key, n - 1));
            if (cx_json_get(t, last)) {
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

int cx_toml_parse(const char *text, size_t len, json_object **out, cx_error *err)
{
    *out = NULL;
    P p = {text, len, 0, err, 0, json_object_new_object(), json_object_new_object()};
    if (!cx_utf8_valid(text, len)) {
        /* find the first bad byte for the position */
        size_t k = 0;
        while (k < len && cx_utf8_valid(text, k + 1))
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

int cx_toml_parse_value(const char *text, size_t len, json_object **out, cx_error *err)
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
