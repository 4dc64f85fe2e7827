/* Hand-written string quoting (base/escape.h). */
#include "base/escape.h"

#include <stdbool.h>

static bool needs_escape(unsigned char c, unsigned style)
{
    if (c == '"' || c == '\\') return true;
    if (c < 0x20) {
        if (c == '\n' || c == '\r' || c == '\t') return true;
        if ((c == '\b' || c == '\f') && (style & CX_ESC_BF)) return true;
        return style & CX_ESC_CTL;
    }
    if (c == 0x7f) return style & CX_ESC_DEL;
    return c >= 0x80 && (style & CX_ESC_HIGH);
}

static void put_escape(cx_buf *out, unsigned char c, unsigned style)
{
    const char *named = NULL;
    switch (c) {
    case '"':
        named = "\\\"";
        break;
    case '\\':
        named = "\\\\";
        break;
    case '\n':
        named = "\\n";
        break;
    case '\r':
        named = "\\r";
        break;
    case '\t':
        named = "\\t";
        break;
    case '\b':
        if (style & CX_ESC_BF) named = "\\b";
        break;
    case '\f':
        if (style & CX_ESC_BF) named = "\\f";
        break;
    default:
        break;
    }
    if (named) {
        cx__buf_puts(out, named);
        return;
    }
    const char *hex = style & CX_ESC_UPPER ? "0123456789ABCDEF" : "0123456789abcdef";
    char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    cx__buf_append(out, u, sizeof u);
}

void cx__escape_quoted(cx_buf *out, const char *s, size_t len, unsigned style)
{
    cx__buf_putc(out, '"');
    size_t run = 0; /* unescaped bytes go out in runs: most text has none to escape */
    unsigned high = style & CX_ESC_HIGH ? 0x80 : 0x100;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* the common case first: printable ASCII, or UTF-8 kept raw */
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f && c < high) continue;
        if (!needs_escape(c, style)) continue;
        cx__buf_append(out, s + run, i - run);
        put_escape(out, c, style);
        run = i + 1;
    }
    cx__buf_append(out, s + run, len - run);
    cx__buf_putc(out, '"');
}
