/* JSON wrapper over json-c. */
#include "base/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *cx__json_string_len(const char *s, size_t len)
{
    if (cx__utf8_valid(s, len)) return json_object_new_string_len(s, (int)len);
    cx_buf b = CX_BUF_INIT;
    cx__utf8_repair(s, len, &b);
    json_object *o =
        cx__buf_failed(&b) ? NULL : json_object_new_string_len(cx__buf_str(&b), (int)b.len);
    cx__buf_free(&b);
    return o;
}

json_object *cx__json_string(const char *s)
{
    return s ? cx__json_string_len(s, strlen(s)) : NULL;
}

static void offset_to_line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int cx__json_parse(const char *text, size_t len, json_object **out, cx_error *err)
{
    *out = NULL;
    cx_buf fixed = CX_BUF_INIT;
    if (!cx__utf8_valid(text, len)) {
        if (cx__utf8_repair(text, len, &fixed))
            return cx_error_set(err, CX_ENOMEM, "out of memory");
        text = cx__buf_str(&fixed);
        len = fixed.len;
    }
    json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
    if (!tok) {
        cx__buf_free(&fixed);
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue && len > 0) {
        /* a bare number (or true/null) at the very end only completes when the
           tokener sees a terminator: give it the NUL json-c expects */
        o = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        off = len;
    }
    int rc = 0;
    if (jerr == json_tokener_continue) {
        off = len;
        rc = cx_error_set(err, CX_EPARSE, "unexpected end of JSON");
    } else if (jerr != json_tokener_success) {
        rc = cx_error_set(err, CX_EPARSE, "%s", json_tokener_error_desc(jerr));
    } else {
        /* strchr would also match the string's own NUL: test the bytes one by one */
        while (off < len &&
               (text[off] == ' ' || text[off] == '\t' || text[off] == '\r' || text[off] == '\n'))
            off++;
        if (off < len) rc = cx_error_set(err, CX_EPARSE, "trailing data after JSON value");
    }
    if (rc) {
        int line, col;
        offset_to_line_col(text, off, &line, &col);
        if (err) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            cx_error_set(err, CX_EPARSE, "%d:%d: %s", line, col, msg);
        }
        json_object_put(o);
    } else {
        *out = o;
    }
    json_tokener_free(tok);
    cx__buf_free(&fixed);
    return rc;
}

#define CX_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int cx__json_dump(const json_object *o, cx_buf *out)
{
    size_t n = 0;
    /* json-c's API is not const-correct; serialising does not change the value
     * but caches the text inside the object. */
    const char *s = json_object_to_json_string_length((json_object *)o, CX_JSON_FLAGS, &n);
    if (!s) return CX_ENOMEM;
    return cx__buf_append(out, s, n);
}

char *cx__json_to_string(const json_object *o)
{
    cx_buf b = CX_BUF_INIT;
    cx__json_dump(o, &b);
    return cx__buf_steal(&b);
}

json_object *cx__json_get(const json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object)) return NULL;
    if (!json_object_object_get_ex(obj, key, &v)) return NULL;
    return v;
}

const char *cx__json_get_str(const json_object *obj, const char *key)
{
    json_object *v = cx__json_get(obj, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool cx__json_get_int(const json_object *obj, const char *key, int64_t *out)
{
    json_object *v = cx__json_get(obj, key);
    if (!v) return false;
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return true;
    }
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (d != d || d > 9.2e18 || d < -9.2e18) return false;
        *out = (int64_t)d;
        return true;
    }
    return false;
}

bool cx__json_get_bool(const json_object *obj, const char *key, bool *out)
{
    json_object *v = cx__json_get(obj, key);
    if (!v || !json_object_is_type(v, json_type_boolean)) return false;
    *out = json_object_get_boolean(v);
    return true;
}

bool cx__json_get_double(const json_object *obj, const char *key, double *out)
{
    json_object *v = cx__json_get(obj, key);
    if (!v) return false;
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_double(v);
    return true;
}

void cx__json_set(json_object *obj, const char *key, json_object *val)
{
    json_object_object_add(obj, key, val);
}

void cx__json_set_str(json_object *obj, const char *key, const char *val)
{
    json_object_object_add(obj, key, cx__json_string(val));
}

json_object *cx__json_copy(const json_object *o)
{
    json_object *copy = NULL;
    if (!o) return NULL;
    if (json_object_deep_copy((json_object *)o, &copy, NULL) != 0) return NULL;
    return copy;
}

/* ---- flat-object fast path ------------------------------------------------ */

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

int cx__json_scan_string(const char *s, size_t len, size_t *i, cx_buf *out)
{
    size_t k = *i, run = k;
    while (k < len) {
        unsigned char c = (unsigned char)s[k];
        if (c == '"') {
            cx__buf_append(out, s + run, k - run);
            *i = k + 1;
            return 0;
        }
        if (c < 0x20) return CX_EPARSE;
        if (c != '\\') {
            k++;
            continue;
        }
        cx__buf_append(out, s + run, k - run);
        if (k + 1 >= len) return CX_EPARSE;
        char e = s[k + 1];
        k += 2;
        switch (e) {
        case '"':
            cx__buf_putc(out, '"');
            break;
        case '\\':
            cx__buf_putc(out, '\\');
            break;
        case '/':
            cx__buf_putc(out, '/');
            break;
        case 'b':
            cx__buf_putc(out, '\b');
            break;
        case 'f':
            cx__buf_putc(out, '\f');
            break;
        case 'n':
            cx__buf_putc(out, '\n');
            break;
        case 'r':
            cx__buf_putc(out, '\r');
            break;
        case 't':
            cx__buf_putc(out, '\t');
            break;
        case 'u': {
            unsigned cp;
            if (k + 4 > len || hex4(s + k, &cp)) return CX_EPARSE;
            k += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (k + 6 <= len && s[k] == '\\' && s[k + 1] == 'u' && !hex4(s + k + 2, &lo) &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    k += 6;
                } else {
                    cp = 0xFFFD; /* lone surrogate */
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            cx__utf8_put(out, cp);
            break;
        }
        default:
            return CX_EPARSE;
        }
        run = k;
    }
    return CX_EPARSE;
}

static void skip_sp(const char *s, size_t len, size_t *i)
{
    while (*i < len && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r'))
        (*i)++;
}

static int parse_flat_into(const char *s, size_t len, json_object *obj, bool reuse, size_t *nkeys)
{
    size_t i = 0;
    *nkeys = 0;
    skip_sp(s, len, &i);
    if (i >= len || s[i] != '{') return 1;
    i++;
    cx_buf key = CX_BUF_INIT, val = CX_BUF_INIT;
    int rc = 0;
    skip_sp(s, len, &i);
    if (i < len && s[i] == '}') {
        i++;
        goto end;
    }
    for (;;) {
        skip_sp(s, len, &i);
        if (i >= len || s[i] != '"') {
            rc = CX_EPARSE;
            break;
        }
        i++;
        cx__buf_reset(&key);
        if (cx__json_scan_string(s, len, &i, &key)) {
            rc = CX_EPARSE;
            break;
        }
        cx__buf_puts(&key, "");
        /* a key that needs repair goes the general way, which repairs it */
        if (!cx__utf8_valid(key.data, key.len) || memchr(key.data, '\0', key.len)) {
            rc = 1;
            break;
        }
        skip_sp(s, len, &i);
        if (i >= len || s[i] != ':') {
            rc = CX_EPARSE;
            break;
        }
        i++;
        skip_sp(s, len, &i);
        if (i >= len) {
            rc = CX_EPARSE;
            break;
        }
        json_object *v = NULL;
        char c = s[i];
        if (c == '"') {
            i++;
            cx__buf_reset(&val);
            if (cx__json_scan_string(s, len, &i, &val)) {
                rc = CX_EPARSE;
                break;
            }
            json_object *old = reuse ? cx__json_get(obj, key.data) : NULL;
            /* (not for "": json-c's in-place set loses the old buffer then) */
            if (old && json_object_is_type(old, json_type_string) && val.len > 0 &&
                cx__utf8_valid(val.data ? val.data : "", val.len)) {
                /* same key, string again: overwrite in place, no new object */
                json_object_set_string_len(old, val.data ? val.data : "", (int)val.len);
                (*nkeys)++;
                goto next;
            }
            v = cx__json_string_len(val.data ? val.data : "", val.len);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t st = i;
            bool frac = false;
            size_t d0 = i + (c == '-');
            /* JSON has no leading zeros: leave such input to the general parser's error */
            if (d0 + 1 < len && s[d0] == '0' && s[d0 + 1] >= '0' && s[d0 + 1] <= '9') {
                rc = 1;
                break;
            }
            while (i < len && s[i] && strchr("0123456789+-.eE", s[i])) {
                frac |= s[i] == '.' || s[i] == 'e' || s[i] == 'E';
                i++;
            }
            char num[64];
            if (i - st >= sizeof num) {
                rc = 1;
                break;
            }
            memcpy(num, s + st, i - st);
            num[i - st] = '\0';
            char *end;
            if (frac) {
                double d = strtod(num, &end);
                v = json_object_new_double(d);
            } else {
                errno = 0;
                long long n = strtoll(num, &end, 10);
                if (errno) {
                    rc = 1;
                    break;
                }
                v = json_object_new_int64(n);
            }
            if (*end) {
                json_object_put(v);
                rc = CX_EPARSE;
                break;
            }
        } else if (len - i >= 4 && !memcmp(s + i, "true", 4)) {
            v = json_object_new_boolean(1);
            i += 4;
        } else if (len - i >= 5 && !memcmp(s + i, "false", 5)) {
            v = json_object_new_boolean(0);
            i += 5;
        } else if (len - i >= 4 && !memcmp(s + i, "null", 4)) {
            v = NULL;
            i += 4;
        } else if (c == '[' || c == '{') {
            size_t k = i + 1;
            skip_sp(s, len, &k);
            if (k < len && s[k] == (c == '[' ? ']' : '}')) {
                v = c == '[' ? json_object_new_array() : json_object_new_object();
                i = k + 1;
            } else {
                rc = 1; /* nested data: not flat */
                break;
            }
        } else {
            rc = CX_EPARSE;
            break;
        }
        json_object_object_add(obj, key.data, v);
        (*nkeys)++;
    next:
        skip_sp(s, len, &i);
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        if (i < len && s[i] == '}') {
            i++;
            break;
        }
        rc = CX_EPARSE;
        break;
    }
end:
    skip_sp(s, len, &i);
    if (!rc && i != len) rc = CX_EPARSE;
    cx__buf_free(&key);
    cx__buf_free(&val);
    /* on failure the full parser gives the precise error message */
    return rc ? 1 : 0;
}

int cx__json_parse_flat(const char *s, size_t len, json_object **out)
{
    json_object *obj = json_object_new_object();
    size_t n;
    int rc = parse_flat_into(s, len, obj, false, &n);
    if (rc) {
        json_object_put(obj);
        *out = NULL;
        return rc;
    }
    *out = obj;
    return 0;
}

int cx__json_parse_flat_reuse(const char *s, size_t len, json_object *obj)
{
    size_t n;
    int rc = parse_flat_into(s, len, obj, true, &n);
    if (rc) return rc;
    /* the same key set as before, or the object holds stale keys */
    return (int)n == json_object_object_length(obj) ? 0 : 1;
}

bool cx__json_has_nul(const json_object *o)
{
    if (!o) return false;
    switch (json_object_get_type(o)) {
    case json_type_string:
        return memchr(json_object_get_string((json_object *)o), '\0',
                      (size_t)json_object_get_string_len(o)) != NULL;
    case json_type_array: {
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++)
            if (cx__json_has_nul(json_object_array_get_idx(o, i))) return true;
        return false;
    }
    case json_type_object: {
        json_object_object_foreach((json_object *)o, k, v)
        {
            (void)k; /* keys with a NUL are refused when parsing */
            if (cx__json_has_nul(v)) return true;
        }
        return false;
    }
    default:
        return false;
    }
}
