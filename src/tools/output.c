/* Formatting shared by the tools that report on commands (shell, shell_command,
 * exec_command, apply_patch): wall times as upstream prints them, shell quoting of a
 * command line, the token estimate and the cut in the middle of long output. A leaf:
 * it uses only base/, so every tool may use it. */
#include "tools/output.h"

#include "base/utf8.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

double cx__output_round(double x)
{
    /* C's round() without libm, which the program would map whole (~0.3 MB resident) for
     * it: x - trunc(x) is exact, and from 2^52 up every double is whole already */
    if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return x;
    double whole = (double)(long long)x, frac = x - whole;
    if (frac >= 0.5) whole += 1.0;
    if (frac <= -0.5) whole -= 1.0;
    return whole;
}

const char *cx__output_format_seconds(double seconds, char *buf, unsigned size)
{
    /* one decimal, dropped when it is 0: "3", "2.5" */
    int n = snprintf(buf, size, "%.1f", cx__output_round(seconds * 10.0) / 10.0);
    if (n >= 2 && (unsigned)n < size && !strcmp(buf + n - 2, ".0")) buf[n - 2] = '\0';
    return buf;
}

/* Quoting styles a stretch of a word can use, best first. */
enum { Q_BARE = 1, Q_SINGLE = 2, Q_DOUBLE = 4 };

/* Which styles may hold byte c. Bytes >= 0x80 are quoted; backslash and '^'
 * never go in single quotes; '$', '`', '!' and '^' never in double quotes
 * (upstream's quoting rules, shared with its shlex crate). */
static unsigned styles_for(unsigned char c)
{
    unsigned ok = Q_SINGLE | Q_DOUBLE;
    if (c < 0x80 && (isalnum(c) || strchr("+-./:@]_", c))) ok |= Q_BARE;
    if (c == '\'' || c == '^' || c == '\\') ok &= ~(unsigned)Q_SINGLE;
    if (c == '$' || c == '`' || c == '!' || c == '^') ok &= ~(unsigned)Q_DOUBLE;
    return ok;
}

/* Appends one word: the longest prefix one style can hold, in the best such
 * style, then the same for the rest. */
static void quote_word(cx_buf *b, const char *w)
{
    const unsigned char *p = (const unsigned char *)w;
    if (!*p) {
        cx__buf_puts(b, "''");
        return;
    }
    while (*p) {
        unsigned ok = Q_BARE | Q_SINGLE | Q_DOUBLE;
        size_t n = 0;
        if (p[0] == '^') { /* a leading caret is safe only right after a single quote */
            ok = Q_SINGLE;
            n = 1;
        }
        for (; p[n]; n++) {
            unsigned next = ok & styles_for(p[n]);
            if (!next) break;
            ok = next;
        }
        if (ok & Q_BARE) {
            cx__buf_append(b, (const char *)p, n);
        } else if (ok & Q_SINGLE) {
            cx__buf_putc(b, '\'');
            cx__buf_append(b, (const char *)p, n);
            cx__buf_putc(b, '\'');
        } else {
            cx__buf_putc(b, '"');
            for (size_t i = 0; i < n; i++) {
                if (p[i] == '"' || p[i] == '\\') cx__buf_putc(b, '\\');
                cx__buf_putc(b, (char)p[i]);
            }
            cx__buf_putc(b, '"');
        }
        p += n;
    }
}

char *cx__output_shlex_join(const char *const *argv)
{
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    for (size_t i = 0; argv[i]; i++) {
        if (i) cx__buf_putc(&b, ' ');
        quote_word(&b, argv[i]);
    }
    return cx__buf_steal(&b);
}

/* s as Rust's Debug prints a str: quoted, with \\ \" \n \r \t \0 escaped and
 * other control characters as \u{..}. */
static void debug_str(cx_buf *b, const char *s, size_t len)
{
    static const char plain[] = "\"\\\n\r\t", shown[] = "\"\\nrt";
    cx__buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *hit = c ? memchr(plain, c, sizeof plain - 1) : NULL;
        if (hit) {
            cx__buf_putc(b, '\\');
            cx__buf_putc(b, shown[hit - plain]);
        } else if (c == 0) {
            cx__buf_puts(b, "\\0");
        } else if (c < 0x20 || c == 0x7f) {
            cx__buf_printf(b, "\\u{%x}", c);
        } else {
            cx__buf_putc(b, (char)c);
        }
    }
    cx__buf_putc(b, '"');
}

void cx__output_sandbox_denied(cx_buf *b, const char *tool, const char *command, int exit_code,
                               const char *output, size_t len)
{
    /* the inner error is printed with Debug, then printed again as a field */
    cx_buf inner = CX_BUF_INIT;
    cx__buf_printf(&inner,
                   "Codex(Sandbox(Denied { output: ExecToolCallOutput { exit_code: %d, stdout: "
                   "StreamOutput { text: \"\", truncated_after_lines: None }, stderr: StreamOutput "
                   "{ text: ",
                   exit_code);
    debug_str(&inner, output, len);
    cx__buf_puts(&inner,
                 ", truncated_after_lines: None }, aggregated_output: StreamOutput { text: ");
    debug_str(&inner, output, len);
    cx__buf_puts(&inner, ", truncated_after_lines: None }, duration: 0ns, timed_out: false }, "
                         "network_policy_decision: None }))");
    cx__buf_printf(b, "%s failed for `%s`: CreateProcess { message: ", tool, command);
    debug_str(b, inner.data ? inner.data : "", inner.len);
    cx__buf_puts(b, " }");
    cx__buf_free(&inner);
}

size_t cx__output_approx_tokens(size_t bytes)
{
    return (bytes + 3) / 4;
}

void cx__output_truncate_middle(const char *text, size_t len, size_t max_tokens, cx_buf *out)
{
    size_t max_bytes = max_tokens * 4;
    if (len <= max_bytes) {
        cx__buf_append(out, text, len);
        return;
    }
    size_t head = max_bytes / 2, tail = max_bytes - head;
    /* cut on UTF-8 boundaries */
    while (head > 0 && ((unsigned char)text[head] & 0xC0) == 0x80)
        head--;
    size_t tail_start = len - tail;
    while (tail_start < len && ((unsigned char)text[tail_start] & 0xC0) == 0x80)
        tail_start++;
    size_t removed = cx__output_approx_tokens(tail_start - head);
    cx__buf_append(out, text, head);
    cx__buf_printf(out, "…%zu tokens truncated…", removed);
    cx__buf_append(out, text + tail_start, len - tail_start);
}
