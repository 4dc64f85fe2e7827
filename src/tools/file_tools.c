/* What read_file, list_dir and grep_files share besides the argument decoder
 * (tools/args.c): Rust's wording of OS errors, the lossy-UTF-8 and white-space
 * helpers, and the registration of their specs. */
#include "tools/file_tools.h"

#include "base/utf8.h"
#include "base/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text helpers --------------------------------------------------------------------------- */

int cx__ft_answer(cx_tool_output *out, bool success, const char *fmt, ...)
{
    cx_buf b = CX_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cx__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *text = cx__buf_steal(&b);
    if (!text) return CX_ENOMEM;
    cx_tool_output_clear(out);
    out->text = text;
    out->success = success;
    return 0;
}

const char *cx__ft_os_error(int err, char *buf, size_t size)
{
    char text[256];
#ifdef __GLIBC__
    const char *s = strerror_r(err, text, sizeof text); /* GNU's: returns the text */
#else
    /* the XSI form (musl, the static release) returns 0 and fills text */
    const char *s = strerror_r(err, text, sizeof text) == 0 ? text : "Unknown error";
#endif
    snprintf(buf, size, "%s (os error %d)", s, err);
    return buf;
}

int cx__ft_lossy_prefix(const char *s, size_t len, size_t max, cx_buf *out)
{
    cx_buf fixed = CX_BUF_INIT;
    int rc = cx__utf8_repair(s, len, &fixed);
    size_t n = fixed.len;
    if (n > max) n = cx__utf8_floor(fixed.data, fixed.len, max);
    if (!rc) rc = cx__buf_append(out, fixed.data ? fixed.data : "", n);
    cx__buf_free(&fixed);
    return rc;
}

int cx__ft_put_text(cx_buf *out, const char *s, size_t len)
{
    size_t from = 0;
    for (size_t k = 0; k < len; k++) {
        if (s[k]) continue;
        cx__buf_append(out, s + from, k - from);
        cx__buf_puts(out, CX_UTF8_REPLACEMENT);
        from = k + 1;
    }
    return cx__buf_append(out, s + from, len - from);
}

bool cx__ft_is_space(unsigned cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

size_t cx__ft_space_prefix(const char *s, size_t len)
{
    size_t k = 0, n;
    while (k < len && cx__ft_is_space(cx__utf8_decode(s, len, k, &n)))
        k += n;
    return k;
}

size_t cx__ft_space_suffix(const char *s, size_t len)
{
    size_t end = len;
    while (end > 0) {
        size_t start = cx__utf8_floor(s, len, end - 1), n;
        if (!cx__ft_is_space(cx__utf8_decode(s, len, start, &n))) break;
        end = start;
    }
    return len - end;
}

int cx__ft_register(cx_tool_registry *reg, const char *name, const char *spec_json,
                    cx_tool_handler handler)
{
    json_object *spec = NULL;
    if (cx__json_parse(spec_json, strlen(spec_json), &spec, NULL)) return CX_ENOMEM;
    cx_tool_def d = {name, CX_TOOL_FUNCTION, true, spec, handler, NULL, NULL};
    return cx_tools_add(reg, &d);
}
