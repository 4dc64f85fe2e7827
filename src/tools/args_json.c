/* The JSON reader under the tools' argument decoder (tools/args_json.h): serde_json's
 * grammar and error texts, because upstream hands its errors to the model.
 *
 * It tracks the byte offset serde_json would report for each error: `consumed` errors
 * sit after the bytes read so far, `peek` errors one byte further, and errors raised by
 * a derived struct itself (missing or duplicate fields, short arrays) get the offset
 * where the enclosing struct stopped reading, as serde_json's fix_position does. */
#include "tools/args_json.h"

#include "base/utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cx__aj_fail(cx__aj *d, bool positioned, size_t pos, const char *fmt, ...)
{
    if (d->failed) return -1;
    d->failed = true;
    d->positioned = positioned;
    d->pos = pos;
    va_list ap;
    va_start(ap, fmt);
    cx__buf_vprintf(&d->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void cx__aj_fix_position(cx__aj *d)
{
    if (d->failed && !d->positioned) {
        d->positioned = true;
        d->pos = d->i;
    }
}

int cx__aj_peek(const cx__aj *d)
{
    return d->i < d->len ? (unsigned char)d->s[d->i] : -1;
}

int cx__aj_skip_ws(cx__aj *d)
{
    while (d->i < d->len) {
        char c = d->s[d->i];
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') break;
        d->i++;
    }
    return cx__aj_peek(d);
}

bool cx__aj_is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Rust's `{:?}` of a str, as serde puts it in "string \"..\"" and as the
 * Error's Debug output quotes its whole message. */
void cx__aj_debug_quote(const char *s, size_t len, cx_buf *out)
{
    cx__buf_putc(out, '"');
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        switch (c) {
        case '"':
            cx__buf_puts(out, "\\\"");
            break;
        case '\\':
            cx__buf_puts(out, "\\\\");
            break;
        case '\n':
            cx__buf_puts(out, "\\n");
            break;
        case '\r':
            cx__buf_puts(out, "\\r");
            break;
        case '\t':
            cx__buf_puts(out, "\\t");
            break;
        case '\0':
            cx__buf_puts(out, "\\0");
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                cx__buf_printf(out, "\\u{%x}", c);
            else if (c == 0xC2 && k + 1 < len && (unsigned char)s[k + 1] >= 0x80 &&
                     (unsigned char)s[k + 1] <= 0x9f)
                cx__buf_printf(out, "\\u{%x}", (unsigned char)s[++k]); /* C1 controls */
            else
                cx__buf_putc(out, (char)c);
        }
    }
    cx__buf_putc(out, '"');
}

/* ---- strings -------------------------------------------------------------------------------- */

/* Four hex digits of a \u escape; like current serde_json, all four are
 * consumed before a bad one is reported. */
static int hex4(cx__aj *d, unsigned *out)
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

/* Reads a string body (the opening quote already eaten) into out, or only
 * checks it when out is NULL (serde_json's ignore_str, which neither pairs
 * surrogates nor steps over a bad control byte before reporting it). */
int cx__aj_read_str(cx__aj *d, cx_buf *out)
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
            if (out) cx__buf_putc(out, (char)c);
            continue;
        }
        if (d->i >= d->len) return ERR_AT(d, E_EOF_STRING);
        char e = d->s[d->i++];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            if (out) cx__buf_putc(out, to[simple - "\"\\/bfnrt"]);
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
        cx__utf8_put(out, n1);
    }
}

/* ---- numbers -------------------------------------------------------------------------------- */

/* Rust's f64 formatting as the ryu crate does it (serde_json prints floats
 * in messages that way): shortest round-trip digits, "1.0", "1e30". */
static void put_float(cx_buf *b, double v)
{
    if (isnan(v)) {
        cx__buf_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        cx__buf_puts(b, v < 0 ? "-inf" : "inf");
        return;
    }
    if (signbit(v)) cx__buf_putc(b, '-');
    v = fabs(v);
    if (v == 0) {
        cx__buf_puts(b, "0.0");
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
        if (cx__aj_is_digit(*p)) digits[n++] = *p;
    int e10 = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    int len = (int)n, kk = e10 + 1, k = kk - len;
    if (k >= 0 && kk <= 16) {
        cx__buf_append(b, digits, n);
        for (int z = 0; z < k; z++)
            cx__buf_putc(b, '0');
        cx__buf_puts(b, ".0");
    } else if (kk > 0 && kk <= 16) {
        cx__buf_append(b, digits, (size_t)kk);
        cx__buf_putc(b, '.');
        cx__buf_append(b, digits + kk, n - (size_t)kk);
    } else if (kk > -5 && kk <= 0) {
        cx__buf_puts(b, "0.");
        for (int z = 0; z < -kk; z++)
            cx__buf_putc(b, '0');
        cx__buf_append(b, digits, n);
    } else {
        cx__buf_putc(b, digits[0]);
        if (n > 1) {
            cx__buf_putc(b, '.');
            cx__buf_append(b, digits + 1, n - 1);
        }
        cx__buf_printf(b, "e%d", kk - 1);
    }
}

void cx__aj_put_unexpected(cx_buf *b, const cx__aj_number *n)
{
    if (n->kind == NUM_U64)
        cx__buf_printf(b, "integer `%llu`", (unsigned long long)n->u);
    else if (n->kind == NUM_I64)
        cx__buf_printf(b, "integer `%lld`", (long long)n->i);
    else {
        cx__buf_puts(b, "floating point `");
        put_float(b, n->f);
        cx__buf_putc(b, '`');
    }
}

/* Reads a cx__aj_number whose sign (if any) was eaten; start is where it began.
 * With out NULL it only checks the syntax, worded as serde_json's
 * ignore_integer words it (no "EOF" variants, no range check). */
int cx__aj_read_number(cx__aj *d, bool positive, size_t start, cx__aj_number *out)
{
    bool ignoring = !out;
    if (d->i >= d->len) return ERR_AT(d, ignoring ? E_NUMBER : E_EOF_VALUE);
    char c = d->s[d->i++];
    bool integral = true, overflow = false;
    uint64_t sig = 0;
    if (c == '0') {
        if (cx__aj_is_digit(cx__aj_peek(d))) return ERR_PEEK(d, E_NUMBER);
    } else if (c >= '1' && c <= '9') {
        sig = (uint64_t)(c - '0');
        while (cx__aj_is_digit(cx__aj_peek(d))) {
            unsigned digit = (unsigned)(d->s[d->i++] - '0');
            if (sig > (UINT64_MAX - digit) / 10)
                overflow = true;
            else if (!overflow)
                sig = sig * 10 + digit;
        }
    } else {
        return ERR_AT(d, E_NUMBER);
    }
    if (cx__aj_peek(d) == '.') {
        integral = false;
        d->i++;
        if (!cx__aj_is_digit(cx__aj_peek(d)))
            return d->i >= d->len && !ignoring ? ERR_PEEK(d, E_EOF_VALUE) : ERR_PEEK(d, E_NUMBER);
        while (cx__aj_is_digit(cx__aj_peek(d)))
            d->i++;
    }
    if (cx__aj_peek(d) == 'e' || cx__aj_peek(d) == 'E') {
        integral = false;
        d->i++;
        if (cx__aj_peek(d) == '+' || cx__aj_peek(d) == '-') d->i++;
        if (d->i >= d->len) return ERR_AT(d, ignoring ? E_NUMBER : E_EOF_VALUE);
        if (!cx__aj_is_digit(d->s[d->i++])) return ERR_AT(d, E_NUMBER);
        while (cx__aj_is_digit(cx__aj_peek(d)))
            d->i++;
    }
    if (ignoring) return 0;
    if (integral && !overflow) {
        if (positive) {
            *out = (cx__aj_number){.kind = NUM_U64, .u = sig};
            return 0;
        }
        /* like serde_json: -0 and magnitudes past i64 become floats */
        if (sig != 0 && sig <= (uint64_t)INT64_MAX + 1) {
            *out = (cx__aj_number){.kind = NUM_I64,
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
    *out = (cx__aj_number){.kind = NUM_F64, .f = f};
    return 0;
}

int cx__aj_read_ident(cx__aj *d, const char *rest)
{
    for (; *rest; rest++) {
        if (d->i >= d->len) return ERR_AT(d, E_EOF_VALUE);
        if (d->s[d->i++] != *rest) return ERR_AT(d, E_IDENT);
    }
    return 0;
}

/* serde_json's peek_invalid_type: reads the scalar that is there and reports
 * it against what was expected; containers are named but not read. */
int cx__aj_invalid_type(cx__aj *d, const char *expected)
{
    int c = cx__aj_peek(d);
    cx_buf what = CX_BUF_INIT;
    if (c == 'n' || c == 't' || c == 'f') {
        d->i++;
        if (cx__aj_read_ident(d, c == 'n' ? "ull" : c == 't' ? "rue" : "alse")) return -1;
        cx__buf_puts(&what, c == 'n' ? "null" : c == 't' ? "boolean `true`" : "boolean `false`");
    } else if (c == '-' || cx__aj_is_digit(c)) {
        size_t start = d->i;
        if (c == '-') d->i++;
        cx__aj_number n = {0};
        if (cx__aj_read_number(d, c != '-', start, &n)) return -1;
        cx__aj_put_unexpected(&what, &n);
    } else if (c == '"') {
        d->i++;
        cx_buf s = CX_BUF_INIT;
        if (cx__aj_read_str(d, &s)) {
            cx__buf_free(&s);
            return -1;
        }
        cx__buf_puts(&what, "string ");
        cx__aj_debug_quote(s.data ? s.data : "", s.len, &what);
        cx__buf_free(&s);
    } else if (c == '[' || c == '{') {
        cx__buf_puts(&what, c == '[' ? "sequence" : "map");
    } else {
        return ERR_PEEK(d, E_VALUE);
    }
    cx__aj_fail(d, true, d->i, "invalid type: %s, expected %s", cx__buf_str(&what), expected);
    cx__buf_free(&what);
    return -1;
}

/* serde_json's ignore_value: checks one value of any shape without recursion. */
int cx__aj_ignore_value(cx__aj *d)
{
    cx_buf stack = CX_BUF_INIT; /* the open containers, '[' or '{' */
    int rc = 0;
    for (;;) {
        int c = cx__aj_skip_ws(d);
        bool opened = false;
        if (c < 0) {
            rc = ERR_PEEK(d, E_EOF_VALUE);
            break;
        } else if (c == 'n' || c == 't' || c == 'f') {
            d->i++;
            if ((rc = cx__aj_read_ident(d, c == 'n' ? "ull" : c == 't' ? "rue" : "alse"))) break;
        } else if (c == '-' || cx__aj_is_digit(c)) {
            size_t start = d->i;
            if (c == '-') d->i++;
            if ((rc = cx__aj_read_number(d, c != '-', start, NULL))) break;
        } else if (c == '"') {
            d->i++;
            if ((rc = cx__aj_read_str(d, NULL))) break;
        } else if (c == '[' || c == '{') {
            d->i++;
            cx__buf_putc(&stack, (char)c);
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
            c = cx__aj_skip_ws(d);
            if (c == ',' && accept_comma) {
                d->i++;
                next = true;
            } else if ((c == ']' && frame == '[') || (c == '}' && frame == '{')) {
                d->i++;
                cx__buf_truncate(&stack, stack.len - 1);
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
            c = cx__aj_skip_ws(d);
            if (c != '"') {
                rc = c < 0 ? ERR_PEEK(d, E_EOF_OBJECT) : ERR_PEEK(d, E_KEY);
                break;
            }
            d->i++;
            if ((rc = cx__aj_read_str(d, NULL))) break;
            c = cx__aj_skip_ws(d);
            if (c != ':') {
                rc = c < 0 ? ERR_PEEK(d, E_EOF_OBJECT) : ERR_PEEK(d, E_COLON);
                break;
            }
            d->i++;
        }
    }
    cx__buf_free(&stack);
    return rc;
}
