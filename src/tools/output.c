/* Formatting shared by the tools that report on commands (shell, shell_command,
 * exec_command, apply_patch): wall times as upstream prints them, shell quoting of a
 * command line, the token estimate and the cut in the middle of long output. A leaf:
 * it uses only base/, so every tool may use it. */
#include "tools/output.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

double cx_output_round(double x)
{
    /* C's round() without libm, which the program would map whole (~0.3 MB resident) for
     * it: x - trunc(x) is exact, and from 2^52 up every double is whole already */
    if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return x;
    double whole = (double)(long long)x, frac = x - whole;
    if (frac >= 0.5) whole += 1.0;
    if (frac <= -0.5) whole -= 1.0;
    return whole;
}

const char *cx_output_format_seconds(double seconds, char *buf, unsigned size)
{
    /* one decimal, dropped when it is 0: "3", "2.5" */
    int n = snprintf(buf, size, "%.1f", cx_output_round(seconds * 10.0) / 10.0);
    if (n >= 2 && (unsigned)n < size && !strcmp(buf + n - 2, ".0")) buf[n - 2] = '\0';
    return buf;
}

char *cx_output_shlex_join(const char *const *argv)
{
    cx_buf b = CX_BUF_INIT;
    cx_buf_puts(&b, "");
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        if (i) cx_buf_putc(&b, ' ');
        bool safe = *a != '\0';
        for (const char *c = a; *c; c++)
            if (!(((*c | 32) >= 'a' && (*c | 32) <= 'z') || (*c >= '0' && *c <= '9') ||
                  strchr("@%+=:,./-_", *c)))
                safe = false;
        if (safe) {
            cx_buf_puts(&b, a);
            continue;
        }
        cx_buf_putc(&b, '\'');
        for (const char *c = a; *c; c++) {
            if (*c == '\'')
                cx_buf_puts(&b, "'\"'\"'");
            else
                cx_buf_putc(&b, *c);
        }
        cx_buf_putc(&b, '\'');
    }
    return cx_buf_steal(&b);
}

size_t cx_output_approx_tokens(size_t bytes)
{
    return (bytes + 3) / 4;
}

void cx_output_truncate_middle(const char *text, size_t len, size_t max_tokens, cx_buf *out)
{
    size_t max_bytes = max_tokens * 4;
    if (len <= max_bytes) {
        cx_buf_append(out, text, len);
        return;
    }
    size_t head = max_bytes / 2, tail = max_bytes - head;
    /* cut on UTF-8 boundaries */
    while (head > 0 && ((unsigned char)text[head] & 0xC0) == 0x80)
        head--;
    size_t tail_start = len - tail;
    while (tail_start < len && ((unsigned char)text[tail_start] & 0xC0) == 0x80)
        tail_start++;
    size_t removed = cx_output_approx_tokens(tail_start - head);
    cx_buf_append(out, text, head);
    cx_buf_printf(out, "…%zu tokens truncated…", removed);
    cx_buf_append(out, text + tail_start, len - tail_start);
}
