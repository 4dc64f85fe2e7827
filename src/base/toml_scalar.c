/* TOML's bare values: booleans, integers (with bases and underscores), floats (inf and
 * nan too) and the four date/time forms, classified from the word the parser cut out.
 * Pure functions on a NUL-terminated word, apart from the document's structure
 * (src/base/toml.c). */
#include "base/toml_scalar.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

const char *cx__toml_datetime_kind(const json_object *o)
{
    return o && json_object_is_type(o, json_type_string)
               ? (const char *)json_object_get_userdata((json_object *)o)
               : NULL;
}

json_object *cx__toml_scalar(const char *buf, size_t n, bool *bad_datetime)
{
    *bad_datetime = false;
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
            *bad_datetime = true;
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
    return NULL;
}
