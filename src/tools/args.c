/* The one argument decoder of the tools (tools/args.h): it fails the way serde_json
 * fails, because upstream hands its error's Debug text to the model.
 *
 * A small recursive-descent reader over the raw argument text. It tracks the byte
 * offset serde_json would report for each error: `consumed` errors sit after the bytes
 * read so far, `peek` errors one byte further, and errors raised by the derived struct
 * itself (missing or duplicate fields, short arrays) get the offset where the enclosing
 * struct stopped reading, as serde_json's fix_position does. */
#include "tools/args.h"

#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* serde_json's ErrorCode texts */
#define E_EOF_VALUE "EOF while parsing a value"
#define E_EOF_OBJECT "EOF while parsing an object"
#define E_EOF_LIST "EOF while parsing a list"
#define E_EOF_STRING "EOF while parsing a string"
#define E_VALUE "expected value"
#define E_IDENT "expected ident"
#define E_COLON "expected `:`"
#define E_LIST_COMMA "expected `,` or `]`"
#define E_OBJECT_COMMA "expected `,` or `}`"
#define E_NUMBER "invalid number"
#define E_RANGE "number out of range"
#define E_ESCAPE "invalid escape"
#define E_CONTROL "control character (\\u0000-\\u001F) found while parsing a string"
#define E_KEY "key must be a string"
#define E_TRAILING_COMMA "trailing comma"
#define E_TRAILING "trailing characters"
#define E_SURROGATE "lone leading surrogate in hex escape"
#define E_HEX_END "unexpected end of hex escape"

typedef struct dec {
    const char *s;
    size_t len, i;
    bool failed;     /* the first error wins, as `?` propagation does */
    bool positioned; /* false until the enclosing struct fixes the position */
    bool oom;
    size_t pos;
    cx_buf msg;
} dec;

static int fail(dec *d, bool positioned, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(dec *d, bool positioned, size_t pos, const char *fmt, ...)
{
    if (d->failed) return -1;
    d->failed = true;
    d->positioned = positioned;
    d->pos = pos;
    va_list ap;
    va_start(ap, fmt);
    cx_buf_vprintf(&d->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* serde_json's self.error(): after what was consumed */
#define ERR_AT(d, ...) fail((d), true, (d)->i, __VA_ARGS__)
/* serde_json's self.peek_error(): one byte further, capped at the end */
#define ERR_PEEK(d, ...) fail((d), true, (d)->i < (d)->len ? (d)->i + 1 : (d)->len, __VA_ARGS__)
/* a Deserialize impl's own error: positioned later by the enclosing struct */
#define ERR_DATA(d, ...) fail((d), false, 0, __VA_ARGS__)

static void fix_position(dec *d)
{
    if (d->failed && !d->positioned) {
        d->positioned = true;
        d->pos = d->i;
    }
}

static int peek(const dec *d)
{
    return d->i < d->len ? (unsigned char)d->s[d->i] : -1;
}

static int skip_ws(dec *d)
{
    while (d->i < d->len) {
        char c = d->s[d->i];
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') break;
        d->i++;
    }
    return peek(d);
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Rust's `{:?}` of a str, as serde puts it in "string \"..\"" and as the
 * Error's Debug output quotes its whole message. */
static void debug_quote(const char *s, size_t len, cx_buf *out)
{
    cx_buf_putc(out, '"');
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        switch (c) {
        case '"':
            cx_buf_puts(out, "\\\"");
            break;
        case '\\':
            cx_buf_puts(out, "\\\\");
            break;
        case '\n':
            cx_buf_puts(out, "\\n");
            break;
        case '\r':
            cx_buf_puts(out, "\\r");
            break;
        case '\t':
            cx_buf_puts(out, "\\t");
            break;
        case '\0':
            cx_buf_puts(out, "\\0");
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                cx_buf_printf(out, "\\u{%x}", c);
            else if (c == 0xC2 && k + 1 < len && (unsigned char)s[k + 1] >= 0x80 &&
                     (unsigned char)s[k + 1] <= 0x9f)
                cx_buf_printf(out, "\\u{%x}", (unsigned char)s[++k]); /* C1 controls */
            else
                cx_buf_putc(out, (char)c);
        }
    }
    cx_buf_putc(out, '"');
}

/* ---- strings -------------------------------------------------------------------------------- */

/* Four hex digits of a \u escape; like current serde_json, all four are
 * consumed before a bad one is reported. */
static int hex4(dec *d, unsigned *out)
{
    if (d->i + 4 > d->len) {
        d->i = d->len;
        return ERR_AT(d, E_EOF_STRING);
    }
    unsigned n = 0;
    bool bad = false;
    for (int k = 0; k < 4; k++) {
        char c = d->s[d->i++];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        bad |= v < 0;
        n = n << 4 | (unsigned)(v & 0xF);
    }
    if (bad) return ERR_AT(d, E_ESCAPE);
    *out = n;
    return 0;
}

static void put_utf8(cx_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    cx_buf_append(b, u, n);
}

/* Reads a string body (the opening quote already eaten) into out, or only
 * checks it when out is NULL (serde_json's ignore_str, which neither pairs
 * surrogates nor steps over a bad control byte before reporting it). */
static int read_str(dec *d, cx_buf *out)
{
    for (;;) {
        if (d->i >= d->len) return ERR_AT(d, E_EOF_STRING);
        unsigned char c = (unsigned char)d->s[d->i];
        if (c == '"') {
            d->i++;
            return 0;
        }
        if (c < 0x20) {
            if (out) d->i++;
            return ERR_AT(d, E_CONTROL);
        }
        d->i++;
        if (c != '\\') {
            if (out) cx_buf_putc(out, (char)c);
            continue;
        }
        if (d->i >= d->len) return ERR_AT(d, E_EOF_STRING);
        char e = d->s[d->i++];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            if (out) cx_buf_putc(out, to[simple - "\"\\/bfnrt"]);
            continue;
        }
        if (e != 'u') return ERR_AT(d, E_ESCAPE);
        unsigned n1 = 0;
        if (hex4(d, &n1)) return -1;
        if (!out) continue;
        if (n1 >= 0xDC00 && n1 <= 0xDFFF) return ERR_AT(d, E_SURROGATE);
        if (n1 >= 0xD800 && n1 <= 0xDBFF) {
            /* the byte that should continue the pair is consumed before the complaint */
            for (const char *want = "\\u"; *want; want++) {
                if (d->i >= d->len) return ERR_AT(d, E_EOF_STRING);
                if (d->s[d->i++] != *want) return ERR_AT(d, E_HEX_END);
            }
            unsigned n2;
            if (hex4(d, &n2)) return -1;
            if (n2 < 0xDC00 || n2 > 0xDFFF) return ERR_AT(d, E_SURROGATE);
            n1 = (((n1 - 0xD800) << 10) | (n2 - 0xDC00)) + 0x10000;
        }
        put_utf8(out, n1);
    }
}

/* ---- numbers -------------------------------------------------------------------------------- */

typedef struct number {
    enum { NUM_U64, NUM_I64, NUM_F64 } kind;
    uint64_t u;
    int64_t i;
    double f;
} number;

/* Rust's f64 formatting as the ryu crate does it (serde_json prints floats
 * in messages that way): shortest round-trip digits, "1.0", "1e30". */
static void put_float(cx_buf *b, double v)
{
    if (isnan(v)) {
        cx_buf_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        cx_buf_puts(b, v < 0 ? "-inf" : "inf");
        return;
    }
    if (signbit(v)) cx_buf_putc(b, '-');
    v = fabs(v);
    if (v == 0) {
        cx_buf_puts(b, "0.0");
        return;
    }
    char sci[40];
    for (int p = 0; p < 17; p++) {
        snprintf(sci, sizeof sci, "%.*e", p, v);
        if (strtod(sci, NULL) == v) break;
    }
    char digits[24] = {0};
    size_t n = 0;
    const char *p = sci;
    for (; *p && *p != 'e'; p++)
        if (is_digit(*p)) digits[n++] = *p;
    int e10 = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    int len = (int)n, kk = e10 + 1, k = kk - len;
    if (k >= 0 && kk <= 16) {
        cx_buf_append(b, digits, n);
        for (int z = 0; z < k; z++)
            cx_buf_putc(b, '0');
        cx_buf_puts(b, ".0");
    } else if (kk > 0 && kk <= 16) {
        cx_buf_append(b, digits, (size_t)kk);
        cx_buf_putc(b, '.');
        cx_buf_append(b, digits + kk, n - (size_t)kk);
    } else if (kk > -5 && kk <= 0) {
        cx_buf_puts(b, "0.");
        for (int z = 0; z < -kk; z++)
            cx_buf_putc(b, '0');
        cx_buf_append(b, digits, n);
    } else {
        cx_buf_putc(b, digits[0]);
        if (n > 1) {
            cx_buf_putc(b, '.');
            cx_buf_append(b, digits + 1, n - 1);
        }
        cx_buf_printf(b, "e%d", kk - 1);
    }
}

static void put_unexpected_number(cx_buf *b, const number *n)
{
    if (n->kind == NUM_U64)
        cx_buf_printf(b, "integer `%llu`", (unsigned long long)n->u);
    else if (n->kind == NUM_I64)
        cx_buf_printf(b, "integer `%lld`", (long long)n->i);
    else {
        cx_buf_puts(b, "floating point `");
        put_float(b, n->f);
        cx_buf_putc(b, '`');
    }
}

/* Reads a number whose sign (if any) was eaten; start is where it began.
 * With out NULL it only checks the syntax, worded as serde_json's
 * ignore_integer words it (no "EOF" variants, no range check). */
static int read_number(dec *d, bool positive, size_t start, number *out)
{
    bool ignoring = !out;
    if (d->i >= d->len) return ERR_AT(d, ignoring ? E_NUMBER : E_EOF_VALUE);
    char c = d->s[d->i++];
    bool integral = true, overflow = false;
    uint64_t sig = 0;
    if (c == '0') {
        if (is_digit(peek(d))) return ERR_PEEK(d, E_NUMBER);
    } else if (c >= '1' && c <= '9') {
        sig = (uint64_t)(c - '0');
        while (is_digit(peek(d))) {
            unsigned digit = (unsigned)(d->s[d->i++] - '0');
            if (sig > (UINT64_MAX - digit) / 10)
                overflow = true;
            else if (!overflow)
                sig = sig * 10 + digit;
        }
    } else {
        return ERR_AT(d, E_NUMBER);
    }
    if (peek(d) == '.') {
        integral = false;
        d->i++;
        if (!is_digit(peek(d)))
            return d->i >= d->len && !ignoring ? ERR_PEEK(d, E_EOF_VALUE) : ERR_PEEK(d, E_NUMBER);
        while (is_digit(peek(d)))
            d->i++;
    }
    if (peek(d) == 'e' || peek(d) == 'E') {
        integral = false;
        d->i++;
        if (peek(d) == '+' || peek(d) == '-') d->i++;
        if (d->i >= d->len) return ERR_AT(d, ignoring ? E_NUMBER : E_EOF_VALUE);
        if (!is_digit(d->s[d->i++])) return ERR_AT(d, E_NUMBER);
        while (is_digit(peek(d)))
            d->i++;
    }
    if (ignoring) return 0;
    if (integral && !overflow) {
        if (positive) {
            *out = (number){.kind = NUM_U64, .u = sig};
            return 0;
        }
        /* like serde_json: -0 and magnitudes past i64 become floats */
        if (sig != 0 && sig <= (uint64_t)INT64_MAX + 1) {
            *out = (number){.kind = NUM_I64,
                            .i = sig == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)sig};
            return 0;
        }
    }
    char tmp[64];
    size_t n = d->i - start;
    char *text = n < sizeof tmp ? tmp : malloc(n + 1);
    if (!text) {
        d->oom = true;
        return ERR_AT(d, "out of memory");
    }
    memcpy(text, d->s + start, n);
    text[n] = '\0';
    double f = strtod(text, NULL);
    if (text != tmp) free(text);
    if (isinf(f)) return ERR_AT(d, E_RANGE);
    *out = (number){.kind = NUM_F64, .f = f};
    return 0;
}

static int read_ident(dec *d, const char *rest)
{
    for (; *rest; rest++) {
        if (d->i >= d->len) return ERR_AT(d, E_EOF_VALUE);
        if (d->s[d->i++] != *rest) return ERR_AT(d, E_IDENT);
    }
    return 0;
}

/* serde_json's peek_invalid_type: reads the scalar that is there and reports
 * it against what was expected; containers are named but not read. */
static int invalid_type(dec *d, const char *expected)
{
    int c = peek(d);
    cx_buf what = CX_BUF_INIT;
    if (c == 'n' || c == 't' || c == 'f') {
        d->i++;
        if (read_ident(d, c == 'n' ? "ull" : c == 't' ? "rue" : "alse")) return -1;
        cx_buf_puts(&what, c == 'n' ? "null" : c == 't' ? "boolean `true`" : "boolean `false`");
    } else if (c == '-' || is_digit(c)) {
        size_t start = d->i;
        if (c == '-') d->i++;
        number n = {0};
        if (read_number(d, c != '-', start, &n)) return -1;
        put_unexpected_number(&what, &n);
    } else if (c == '"') {
        d->i++;
        cx_buf s = CX_BUF_INIT;
        if (read_str(d, &s)) {
            cx_buf_free(&s);
            return -1;
        }
        cx_buf_puts(&what, "string ");
        debug_quote(s.data ? s.data : "", s.len, &what);
        cx_buf_free(&s);
    } else if (c == '[' || c == '{') {
        cx_buf_puts(&what, c == '[' ? "sequence" : "map");
    } else {
        return ERR_PEEK(d, E_VALUE);
    }
    fail(d, true, d->i, "invalid type: %s, expected %s", cx_buf_str(&what), expected);
    cx_buf_free(&what);
    return -1;
}

/* serde_json's ignore_value: checks one value of any shape without recursion. */
static int ignore_value(dec *d)
{
    cx_buf stack = CX_BUF_INIT; /* the open containers, '[' or '{' */
    int rc = 0;
    for (;;) {
        int c = skip_ws(d);
        bool opened = false;
        if (c < 0) {
            rc = ERR_PEEK(d, E_EOF_VALUE);
            break;
        } else if (c == 'n' || c == 't' || c == 'f') {
            d->i++;
            if ((rc = read_ident(d, c == 'n' ? "ull" : c == 't' ? "rue" : "alse"))) break;
        } else if (c == '-' || is_digit(c)) {
            size_t start = d->i;
            if (c == '-') d->i++;
            if ((rc = read_number(d, c != '-', start, NULL))) break;
        } else if (c == '"') {
            d->i++;
            if ((rc = read_str(d, NULL))) break;
        } else if (c == '[' || c == '{') {
            d->i++;
            cx_buf_putc(&stack, (char)c);
            opened = true;
        } else {
            rc = ERR_PEEK(d, E_VALUE);
            break;
        }
        /* after a value (or an opening bracket): close containers, or move
         * to the next element / key */
        bool accept_comma = !opened;
        bool done = false, next = false;
        while (!done && !next) {
            if (!stack.len) {
                done = true;
                break;
            }
            char frame = stack.data[stack.len - 1];
            c = skip_ws(d);
            if (c == ',' && accept_comma) {
                d->i++;
                next = true;
            } else if ((c == ']' && frame == '[') || (c == '}' && frame == '{')) {
                d->i++;
                cx_buf_truncate(&stack, stack.len - 1);
                accept_comma = true;
            } else if (c < 0) {
                rc = ERR_PEEK(d, frame == '[' ? E_EOF_LIST : E_EOF_OBJECT);
                break;
            } else if (accept_comma) {
                rc = ERR_PEEK(d, frame == '[' ? E_LIST_COMMA : E_OBJECT_COMMA);
                break;
            } else {
                next = true;
            }
        }
        if (rc || done) break;
        if (stack.data[stack.len - 1] == '{') {
            c = skip_ws(d);
            if (c != '"') {
                rc = c < 0 ? ERR_PEEK(d, E_EOF_OBJECT) : ERR_PEEK(d, E_KEY);
                break;
            }
            d->i++;
            if ((rc = read_str(d, NULL))) break;
            c = skip_ws(d);
            if (c != ':') {
                rc = c < 0 ? ERR_PEEK(d, E_EOF_OBJECT) : ERR_PEEK(d, E_COLON);
                break;
            }
            d->i++;
        }
    }
    cx_buf_free(&stack);
    return rc;
}

/* ---- typed values --------------------------------------------------------------------------- */

static int decode_struct(dec *d, cx__ft_struct *st);

static int object_colon(dec *d)
{
    int c = skip_ws(d);
    if (c == ':') {
        d->i++;
        return 0;
    }
    return c < 0 ? ERR_PEEK(d, E_EOF_OBJECT) : ERR_PEEK(d, E_COLON);
}

static void one_of(cx_buf *b, const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    if (n == 1) {
        cx_buf_printf(b, "`%s`", names[0]);
    } else if (n == 2) {
        cx_buf_printf(b, "`%s` or `%s`", names[0], names[1]);
    } else {
        cx_buf_puts(b, "one of ");
        for (size_t k = 0; k < n; k++)
            cx_buf_printf(b, "%s`%s`", k ? ", " : "", names[k]);
    }
}

/* A variant name read as serde_json's deserialize_str reads identifiers. */
static int variant_name(dec *d, cx__ft_field *f)
{
    int c = skip_ws(d);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != '"') return invalid_type(d, "variant identifier");
    d->i++;
    cx_buf s = CX_BUF_INIT;
    if (read_str(d, &s)) {
        cx_buf_free(&s);
        return -1;
    }
    const char *name = cx_buf_str(&s);
    for (int k = 0; f->variants[k]; k++) {
        if (s.len == strlen(f->variants[k]) && !memcmp(name, f->variants[k], s.len)) {
            f->variant = k;
            cx_buf_free(&s);
            return 0;
        }
    }
    cx_buf list = CX_BUF_INIT;
    one_of(&list, f->variants);
    fail(d, true, d->i, "unknown variant `%s`, expected %s", name, cx_buf_str(&list));
    cx_buf_free(&list);
    cx_buf_free(&s);
    return -1;
}

/* A unit-variant enum: "name", or the externally tagged {"name": null}. */
static int decode_enum(dec *d, cx__ft_field *f)
{
    int c = skip_ws(d);
    if (c == '"') return variant_name(d, f);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != '{') return ERR_PEEK(d, E_VALUE);
    d->i++;
    if (variant_name(d, f) || object_colon(d)) return -1;
    c = skip_ws(d);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != 'n') return invalid_type(d, "unit");
    d->i++;
    if (read_ident(d, "ull")) return -1;
    c = skip_ws(d);
    if (c == '}') {
        d->i++;
        return 0;
    }
    return c < 0 ? ERR_AT(d, E_EOF_OBJECT) : ERR_AT(d, E_VALUE);
}

static int decode_value(dec *d, cx__ft_field *f)
{
    int c = skip_ws(d);
    if (f->option && c == 'n') {
        d->i++;
        if (read_ident(d, "ull")) return -1;
        f->set = false;
        return 0;
    }
    switch (f->type) {
    case CX__FT_STRING: {
        if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
        if (c != '"') return invalid_type(d, "a string");
        d->i++;
        cx_buf s = CX_BUF_INIT;
        if (read_str(d, &s)) {
            cx_buf_free(&s);
            return -1;
        }
        cx_buf fixed = CX_BUF_INIT;
        cx_utf8_repair(s.data ? s.data : "", s.len, &fixed);
        cx_buf_free(&s);
        free(f->str);
        f->str = cx_buf_steal(&fixed);
        if (!f->str) {
            d->oom = true;
            return ERR_AT(d, "out of memory");
        }
        break;
    }
    case CX__FT_USIZE: {
        if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
        if (c != '-' && !is_digit(c)) return invalid_type(d, "usize");
        size_t start = d->i;
        if (c == '-') d->i++;
        number n = {0};
        if (read_number(d, c != '-', start, &n)) return -1;
        if (n.kind != NUM_U64) {
            cx_buf what = CX_BUF_INIT;
            put_unexpected_number(&what, &n);
            fail(d, true, d->i, "invalid %s: %s, expected usize",
                 n.kind == NUM_I64 ? "value" : "type", cx_buf_str(&what));
            cx_buf_free(&what);
            return -1;
        }
#if SIZE_MAX < UINT64_MAX
        if (n.u > SIZE_MAX)
            return fail(d, true, d->i, "invalid value: integer `%llu`, expected usize",
                        (unsigned long long)n.u);
#endif
        f->num = (size_t)n.u;
        break;
    }
    case CX__FT_BOOL:
        if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
        if (c != 't' && c != 'f') return invalid_type(d, "a boolean");
        d->i++;
        if (read_ident(d, c == 't' ? "rue" : "alse")) return -1;
        f->flag = c == 't';
        break;
    case CX__FT_ENUM:
        if (decode_enum(d, f)) return -1;
        break;
    case CX__FT_STRUCT:
        if (decode_struct(d, f->nested)) return -1;
        break;
    }
    f->set = true;
    return 0;
}

/* ---- structs -------------------------------------------------------------------------------- */

static int visit_map(dec *d, cx__ft_struct *st)
{
    cx_buf key = CX_BUF_INIT;
    bool first = true;
    int rc = 0;
    for (;;) {
        int c = skip_ws(d);
        if (c == '}') break;
        if (c == ',' && !first) {
            d->i++;
            c = skip_ws(d);
        } else if (c < 0) {
            rc = ERR_PEEK(d, E_EOF_OBJECT);
            break;
        } else if (first) {
            first = false;
        } else {
            rc = ERR_PEEK(d, E_OBJECT_COMMA);
            break;
        }
        if (c != '"') {
            rc = c == '}' ? ERR_PEEK(d, E_TRAILING_COMMA)
                 : c < 0  ? ERR_PEEK(d, E_EOF_VALUE)
                          : ERR_PEEK(d, E_KEY);
            break;
        }
        d->i++;
        cx_buf_reset(&key);
        if ((rc = read_str(d, &key))) break;
        cx__ft_field *f = NULL;
        for (size_t k = 0; k < st->count && !f; k++)
            if (strlen(st->fields[k].name) == key.len &&
                !memcmp(st->fields[k].name, cx_buf_str(&key), key.len))
                f = &st->fields[k];
        if (f && f->seen) {
            rc = ERR_DATA(d, "duplicate field `%s`", f->name);
            break;
        }
        if (f) f->seen = true;
        if ((rc = object_colon(d))) break;
        if ((rc = f ? decode_value(d, f) : ignore_value(d))) break;
    }
    cx_buf_free(&key);
    for (size_t k = 0; !rc && k < st->count; k++)
        if (st->fields[k].required && !st->fields[k].seen)
            rc = ERR_DATA(d, "missing field `%s`", st->fields[k].name);
    return rc;
}

/* A derived struct also reads from an array, its fields in declaration order. */
static int visit_seq(dec *d, cx__ft_struct *st)
{
    bool first = true, ended = false;
    for (size_t k = 0; k < st->count; k++) {
        cx__ft_field *f = &st->fields[k];
        if (!ended) {
            int c = skip_ws(d);
            if (c == ']') {
                ended = true;
            } else {
                if (c == ',' && !first) {
                    d->i++;
                    c = skip_ws(d);
                } else if (c < 0) {
                    return ERR_PEEK(d, E_EOF_LIST);
                } else if (first) {
                    first = false;
                } else {
                    return ERR_PEEK(d, E_LIST_COMMA);
                }
                if (c == ']') return ERR_PEEK(d, E_TRAILING_COMMA);
                if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
                f->seen = true;
                if (decode_value(d, f)) return -1;
            }
        }
        if (ended && f->required)
            return ERR_DATA(d, "invalid length %zu, expected struct %s with %zu elements", k,
                            st->name, st->count);
    }
    return 0;
}

static int decode_struct(dec *d, cx__ft_struct *st)
{
    int c = skip_ws(d);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != '{' && c != '[') {
        char expected[128];
        snprintf(expected, sizeof expected, "struct %s", st->name);
        return invalid_type(d, expected);
    }
    d->i++;
    int rc = c == '{' ? visit_map(d, st) : visit_seq(d, st);
    /* serde_json runs end_map / end_seq even after a failure; its reading
     * decides where an unpositioned error is reported */
    int e = skip_ws(d);
    if (c == '{') {
        if (e == '}')
            d->i++;
        else if (!rc)
            rc = e < 0      ? ERR_PEEK(d, E_EOF_OBJECT)
                 : e == ',' ? ERR_PEEK(d, E_TRAILING_COMMA)
                            : ERR_PEEK(d, E_TRAILING);
    } else if (e == ']') {
        d->i++;
    } else if (e == ',') {
        d->i++;
        if (!rc) rc = skip_ws(d) == ']' ? ERR_PEEK(d, E_TRAILING_COMMA) : ERR_PEEK(d, E_TRAILING);
    } else if (!rc) {
        rc = e < 0 ? ERR_PEEK(d, E_EOF_LIST) : ERR_PEEK(d, E_TRAILING);
    }
    fix_position(d);
    return rc;
}

static void clear_fields(cx__ft_struct *st, bool reset)
{
    if (!st) return;
    for (size_t k = 0; k < st->count; k++) {
        cx__ft_field *f = &st->fields[k];
        free(f->str);
        f->str = NULL;
        if (reset) f->seen = f->set = false;
        if (f->type == CX__FT_STRUCT) clear_fields(f->nested, reset);
    }
}

void cx__ft_clear(cx__ft_struct *st)
{
    clear_fields(st, false);
}

int cx__ft_decode(const char *text, size_t len, cx__ft_struct *st, char **msg)
{
    *msg = NULL;
    dec d = {.s = text ? text : "", .len = text ? len : 0};
    clear_fields(st, true);
    int rc = decode_struct(&d, st);
    if (!rc && skip_ws(&d) >= 0) rc = ERR_PEEK(&d, E_TRAILING);
    if (!rc) {
        cx_buf_free(&d.msg);
        return 0;
    }
    if (d.oom || cx_buf_failed(&d.msg)) {
        cx_buf_free(&d.msg);
        return CX_ENOMEM;
    }
    size_t line = 1, col_start = 0;
    for (size_t k = 0; k < d.pos && k < d.len; k++)
        if (d.s[k] == '\n') {
            line++;
            col_start = k + 1;
        }
    cx_buf out = CX_BUF_INIT;
    cx_buf_puts(&out, "failed to parse function arguments: Error(");
    debug_quote(cx_buf_str(&d.msg), d.msg.len, &out);
    cx_buf_printf(&out, ", line: %zu, column: %zu)", line, d.pos - col_start);
    cx_buf_free(&d.msg);
    *msg = cx_buf_steal(&out);
    return *msg ? 1 : CX_ENOMEM;
}
