/* UTF-8 helpers (base/utf8.h). */
#include "base/utf8.h"

#include "ccodex/error.h"

/* The length of the valid sequence starting at p[0] (a byte >= 0x80), or 0 when it is
 * not one: a bad lead or continuation byte, an overlong form, a surrogate, past U+10FFFF
 * or past the end. */
static size_t seq_len(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n > left) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

bool cx__utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = seq_len(p + i, len - i);
        if (!n) return false;
        i += n;
    }
    return true;
}

int cx__utf8_repair(const char *s, size_t len, cx_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < len) {
        size_t n = p[i] < 0x80 ? 1 : seq_len(p + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        cx__buf_append(out, s + run, i - run);
        cx__buf_append(out, CX_UTF8_REPLACEMENT, 3);
        i++;
        run = i;
    }
    cx__buf_append(out, s + run, len - run);
    return cx__buf_failed(out) ? CX_ENOMEM : 0;
}

int cx__utf8_put(cx_buf *out, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    cx__buf_append(out, u, n);
    return cx__buf_failed(out) ? CX_ENOMEM : 0;
}

uint32_t cx__utf8_decode(const char *s, size_t len, size_t k, size_t *n)
{
    const unsigned char *p = (const unsigned char *)s + k;
    size_t want = p[0] < 0x80 ? 1 : seq_len(p, len - k);
    if (want <= 1) {
        *n = 1;
        return p[0];
    }
    uint32_t cp = want == 2 ? p[0] & 0x1Fu : want == 3 ? p[0] & 0x0Fu : p[0] & 0x07u;
    for (size_t j = 1; j < want; j++)
        cp = cp << 6 | (p[j] & 0x3Fu);
    *n = want;
    return cp;
}

size_t cx__utf8_floor(const char *s, size_t len, size_t at)
{
    if (at >= len) return len;
    while (at > 0 && cx_utf8_is_cont(s[at]))
        at--;
    return at;
}

size_t cx__utf8_ceil(const char *s, size_t len, size_t at)
{
    while (at < len && cx_utf8_is_cont(s[at]))
        at++;
    return at < len ? at : len;
}

size_t cx__utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += !cx_utf8_is_cont(s[i]);
    return n;
}
