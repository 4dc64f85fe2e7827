/* The tools' argument decoder (tools/args.h): binds the serde-style JSON reader
 * (args_json.c) to a caller's field table, the way a #[derive(Deserialize)] struct
 * reads itself, and words the failure as the tool's upstream handler does. */
#include "tools/args.h"

#include "tools/args_json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- typed values --------------------------------------------------------------------------- */

static int decode_struct(cx__aj *d, cx__ft_struct *st);
static void clear_fields(cx__ft_struct *st, bool reset);

static int object_colon(cx__aj *d)
{
    int c = cx__aj_skip_ws(d);
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
        cx__buf_printf(b, "`%s`", names[0]);
    } else if (n == 2) {
        cx__buf_printf(b, "`%s` or `%s`", names[0], names[1]);
    } else {
        cx__buf_puts(b, "one of ");
        for (size_t k = 0; k < n; k++)
            cx__buf_printf(b, "%s`%s`", k ? ", " : "", names[k]);
    }
}

/* A variant name read as serde_json's deserialize_str reads identifiers. */
static int variant_name(cx__aj *d, cx__ft_field *f)
{
    int c = cx__aj_skip_ws(d);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != '"') return cx__aj_invalid_type(d, "variant identifier");
    d->i++;
    cx_buf s = CX_BUF_INIT;
    if (cx__aj_read_str(d, &s)) {
        cx__buf_free(&s);
        return -1;
    }
    const char *name = cx__buf_str(&s);
    for (int k = 0; f->variants[k]; k++) {
        if (s.len == strlen(f->variants[k]) && !memcmp(name, f->variants[k], s.len)) {
            f->variant = k;
            cx__buf_free(&s);
            return 0;
        }
    }
    cx_buf list = CX_BUF_INIT;
    one_of(&list, f->variants);
    cx__aj_fail(d, true, d->i, "unknown variant `%s`, expected %s", name, cx__buf_str(&list));
    cx__buf_free(&list);
    cx__buf_free(&s);
    return -1;
}

/* A unit-variant enum: "name", or the externally tagged {"name": null}. */
static int decode_enum(cx__aj *d, cx__ft_field *f)
{
    int c = cx__aj_skip_ws(d);
    if (c == '"') return variant_name(d, f);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != '{') return ERR_PEEK(d, E_VALUE);
    d->i++;
    if (variant_name(d, f) || object_colon(d)) return -1;
    c = cx__aj_skip_ws(d);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != 'n') return cx__aj_invalid_type(d, "unit");
    d->i++;
    if (cx__aj_read_ident(d, "ull")) return -1;
    c = cx__aj_skip_ws(d);
    if (c == '}') {
        d->i++;
        return 0;
    }
    return c < 0 ? ERR_AT(d, E_EOF_OBJECT) : ERR_AT(d, E_VALUE);
}

/* u64 or i64: serde's wording for a number of the wrong kind or range. */
static int decode_int(cx__aj *d, cx__ft_field *f, int c)
{
    bool is_u64 = f->type == CX__FT_U64;
    int64_t lo = f->type == CX__FT_I32 ? INT32_MIN : INT64_MIN;
    int64_t hi = f->type == CX__FT_I32 ? INT32_MAX : INT64_MAX;
    const char *want = is_u64 ? "u64" : f->type == CX__FT_I32 ? "i32" : "i64";
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != '-' && !cx__aj_is_digit(c)) return cx__aj_invalid_type(d, want);
    size_t start = d->i;
    if (c == '-') d->i++;
    cx__aj_number n = {0};
    if (cx__aj_read_number(d, c != '-', start, &n)) return -1;
    bool fits = n.kind == NUM_U64   ? is_u64 || n.u <= (uint64_t)hi
                : n.kind == NUM_I64 ? !is_u64 && n.i >= lo
                                    : false;
    if (!fits) {
        cx_buf what = CX_BUF_INIT;
        cx__aj_put_unexpected(&what, &n);
        cx__aj_fail(d, true, d->i, "invalid %s: %s, expected %s",
                    n.kind == NUM_F64 ? "type" : "value", cx__buf_str(&what), want);
        cx__buf_free(&what);
        return -1;
    }
    if (is_u64) {
#if SIZE_MAX < UINT64_MAX
        if (n.u > SIZE_MAX) return cx__aj_fail(d, true, d->i, "number out of range");
#endif
        f->num = (size_t)n.u;
    } else {
        f->inum = n.kind == NUM_U64 ? (int64_t)n.u : n.i;
    }
    return 0;
}

static int decode_value(cx__aj *d, cx__ft_field *f);

/* Vec<T>: every element decoded as elem describes (and dropped). */
static int decode_seq(cx__aj *d, cx__ft_field *elem)
{
    int c = cx__aj_skip_ws(d);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != '[') return cx__aj_invalid_type(d, "a sequence");
    d->i++;
    int rc = 0;
    for (bool first = true;; first = false) {
        c = cx__aj_skip_ws(d);
        if (c == ']') {
            d->i++;
            break;
        }
        if (!first) {
            if (c != ',') {
                rc = c < 0 ? ERR_PEEK(d, E_EOF_LIST) : ERR_PEEK(d, E_LIST_COMMA);
                break;
            }
            d->i++;
            c = cx__aj_skip_ws(d);
            if (c == ']') {
                rc = ERR_PEEK(d, E_TRAILING_COMMA);
                break;
            }
        }
        if (c < 0) {
            rc = ERR_PEEK(d, first ? E_EOF_LIST : E_EOF_VALUE);
            break;
        }
        if (elem->type == CX__FT_STRUCT) clear_fields(elem->nested, true);
        if ((rc = decode_value(d, elem))) break;
        free(elem->str);
        elem->str = NULL;
    }
    cx__aj_fix_position(d);
    return rc;
}

static int decode_value(cx__aj *d, cx__ft_field *f)
{
    int c = cx__aj_skip_ws(d);
    if (f->option && c == 'n') {
        d->i++;
        if (cx__aj_read_ident(d, "ull")) return -1;
        f->set = false;
        return 0;
    }
    switch (f->type) {
    case CX__FT_STRING: {
        if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
        if (c != '"') return cx__aj_invalid_type(d, "a string");
        d->i++;
        cx_buf s = CX_BUF_INIT;
        if (cx__aj_read_str(d, &s)) {
            cx__buf_free(&s);
            return -1;
        }
        cx_buf fixed = CX_BUF_INIT;
        cx__utf8_repair(s.data ? s.data : "", s.len, &fixed);
        cx__buf_free(&s);
        free(f->str);
        f->str = cx__buf_steal(&fixed);
        if (!f->str) {
            d->oom = true;
            return ERR_AT(d, "out of memory");
        }
        break;
    }
    case CX__FT_USIZE: {
        if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
        if (c != '-' && !cx__aj_is_digit(c)) return cx__aj_invalid_type(d, "usize");
        size_t start = d->i;
        if (c == '-') d->i++;
        cx__aj_number n = {0};
        if (cx__aj_read_number(d, c != '-', start, &n)) return -1;
        if (n.kind != NUM_U64) {
            cx_buf what = CX_BUF_INIT;
            cx__aj_put_unexpected(&what, &n);
            cx__aj_fail(d, true, d->i, "invalid %s: %s, expected usize",
                        n.kind == NUM_I64 ? "value" : "type", cx__buf_str(&what));
            cx__buf_free(&what);
            return -1;
        }
#if SIZE_MAX < UINT64_MAX
        if (n.u > SIZE_MAX)
            return cx__aj_fail(d, true, d->i, "invalid value: integer `%llu`, expected usize",
                               (unsigned long long)n.u);
#endif
        f->num = (size_t)n.u;
        break;
    }
    case CX__FT_BOOL:
        if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
        if (c != 't' && c != 'f') return cx__aj_invalid_type(d, "a boolean");
        d->i++;
        if (cx__aj_read_ident(d, c == 't' ? "rue" : "alse")) return -1;
        f->flag = c == 't';
        break;
    case CX__FT_ENUM:
        if (decode_enum(d, f)) return -1;
        break;
    case CX__FT_STRUCT:
        if (decode_struct(d, f->nested)) return -1;
        break;
    case CX__FT_U64:
    case CX__FT_I64:
    case CX__FT_I32:
        if (decode_int(d, f, c)) return -1;
        break;
    case CX__FT_SEQ:
        if (decode_seq(d, f->elem)) return -1;
        break;
    case CX__FT_ANY:
        if (cx__aj_ignore_value(d)) return -1;
        break;
    }
    f->set = true;
    return 0;
}

/* ---- structs -------------------------------------------------------------------------------- */

static bool key_is(const char *name, const cx_buf *key)
{
    return name && strlen(name) == key->len && !memcmp(name, cx__buf_str(key), key->len);
}

static int visit_map(cx__aj *d, cx__ft_struct *st)
{
    cx_buf key = CX_BUF_INIT;
    bool first = true;
    int rc = 0;
    for (;;) {
        int c = cx__aj_skip_ws(d);
        if (c == '}') break;
        if (c == ',' && !first) {
            d->i++;
            c = cx__aj_skip_ws(d);
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
        cx__buf_reset(&key);
        if ((rc = cx__aj_read_str(d, &key))) break;
        cx__ft_field *f = NULL;
        for (size_t k = 0; k < st->count && !f; k++)
            if (key_is(st->fields[k].name, &key) || key_is(st->fields[k].alias, &key))
                f = &st->fields[k];
        if (f && f->seen) {
            rc = ERR_DATA(d, "duplicate field `%s`", f->name);
            break;
        }
        if (f) f->seen = true;
        if ((rc = object_colon(d))) break;
        if ((rc = f ? decode_value(d, f) : cx__aj_ignore_value(d))) break;
    }
    cx__buf_free(&key);
    for (size_t k = 0; !rc && k < st->count; k++)
        if (st->fields[k].required && !st->fields[k].seen)
            rc = ERR_DATA(d, "missing field `%s`", st->fields[k].name);
    return rc;
}

/* A derived struct also reads from an array, its fields in declaration order. */
static int visit_seq(cx__aj *d, cx__ft_struct *st)
{
    bool first = true, ended = false;
    for (size_t k = 0; k < st->count; k++) {
        cx__ft_field *f = &st->fields[k];
        if (!ended) {
            int c = cx__aj_skip_ws(d);
            if (c == ']') {
                ended = true;
            } else {
                if (c == ',' && !first) {
                    d->i++;
                    c = cx__aj_skip_ws(d);
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
        if (ended && (f->required || f->in_seq))
            return ERR_DATA(d, "invalid length %zu, expected struct %s with %zu elements", k,
                            st->name, st->count);
    }
    return 0;
}

static int decode_struct(cx__aj *d, cx__ft_struct *st)
{
    int c = cx__aj_skip_ws(d);
    if (c < 0) return ERR_PEEK(d, E_EOF_VALUE);
    if (c != '{' && c != '[') {
        char expected[128];
        snprintf(expected, sizeof expected, "struct %s", st->name);
        return cx__aj_invalid_type(d, expected);
    }
    d->i++;
    int rc = c == '{' ? visit_map(d, st) : visit_seq(d, st);
    /* serde_json runs end_map / end_seq even after a failure; its reading
     * decides where an unpositioned error is reported */
    int e = cx__aj_skip_ws(d);
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
        if (!rc)
            rc = cx__aj_skip_ws(d) == ']' ? ERR_PEEK(d, E_TRAILING_COMMA) : ERR_PEEK(d, E_TRAILING);
    } else if (!rc) {
        rc = e < 0 ? ERR_PEEK(d, E_EOF_LIST) : ERR_PEEK(d, E_TRAILING);
    }
    cx__aj_fix_position(d);
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
        if (f->type == CX__FT_SEQ && f->elem) {
            free(f->elem->str);
            f->elem->str = NULL;
            if (f->elem->type == CX__FT_STRUCT) clear_fields(f->elem->nested, reset);
        }
    }
}

void cx__ft_clear(cx__ft_struct *st)
{
    clear_fields(st, false);
}

int cx__ft_decode_as(const char *text, size_t len, cx__ft_struct *st, cx__ft_style style,
                     char **msg)
{
    *msg = NULL;
    cx__aj d = {.s = text ? text : "", .len = text ? len : 0};
    clear_fields(st, true);
    int rc = decode_struct(&d, st);
    if (!rc && cx__aj_skip_ws(&d) >= 0) rc = ERR_PEEK(&d, E_TRAILING);
    if (!rc) {
        cx__buf_free(&d.msg);
        return 0;
    }
    if (d.oom || cx__buf_failed(&d.msg)) {
        cx__buf_free(&d.msg);
        return CX_ENOMEM;
    }
    size_t line = 1, col_start = 0;
    for (size_t k = 0; k < d.pos && k < d.len; k++)
        if (d.s[k] == '\n') {
            line++;
            col_start = k + 1;
        }
    cx_buf out = CX_BUF_INIT;
    cx__buf_puts(&out, "failed to parse function arguments: ");
    if (style == CX__FT_DEBUG) {
        cx__buf_puts(&out, "Error(");
        cx__aj_debug_quote(cx__buf_str(&d.msg), d.msg.len, &out);
        cx__buf_printf(&out, ", line: %zu, column: %zu)", line, d.pos - col_start);
    } else {
        cx__buf_printf(&out, "%s at line %zu column %zu", cx__buf_str(&d.msg), line,
                       d.pos - col_start);
    }
    cx__buf_free(&d.msg);
    *msg = cx__buf_steal(&out);
    return *msg ? 1 : CX_ENOMEM;
}

int cx__ft_decode(const char *text, size_t len, cx__ft_struct *st, char **msg)
{
    return cx__ft_decode_as(text, len, st, CX__FT_DEBUG, msg);
}

int cx__ft_args(const cx_tool_call *call, cx__ft_struct *st, json_object **args,
                cx_tool_output *out)
{
    *args = NULL;
    const char *text = call->input ? call->input : "";
    size_t len = strlen(text);
    char *msg = NULL;
    int rc = cx__ft_decode_as(text, len, st, CX__FT_DISPLAY, &msg);
    if (rc == 1) {
        free(out->text);
        out->text = msg;
        out->success = false;
        return 1;
    }
    if (rc) return rc;
    /* the decoder accepted it, so json-c reads it too (NUL escapes aside) */
    json_object *v = NULL;
    if (cx__json_parse(text, len, &v, NULL) != 0) {
        int e = cx_tool_output_setf(out, false,
                                    "failed to parse function arguments: a string holds \\u0000");
        return e ? e : 1;
    }
    if (json_object_is_type(v, json_type_array)) {
        /* the array form of a struct: its elements are the fields in order */
        json_object *o = json_object_new_object();
        size_t n = json_object_array_length(v);
        for (size_t k = 0; o && k < n && k < st->count; k++)
            cx__json_set(o, st->fields[k].name, json_object_get(json_object_array_get_idx(v, k)));
        json_object_put(v);
        v = o;
    } else {
        /* an alias answers to the field's own name for the handler */
        for (size_t k = 0; k < st->count; k++) {
            const cx__ft_field *f = &st->fields[k];
            json_object *a = f->alias ? cx__json_get(v, f->alias) : NULL;
            if (a && !cx__json_get(v, f->name)) cx__json_set(v, f->name, json_object_get(a));
        }
    }
    if (!v) return CX_ENOMEM;
    *args = v;
    return 0;
}
