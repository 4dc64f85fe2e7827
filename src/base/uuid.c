/* UUIDv7 per RFC 9562: 48-bit ms timestamp, version 7, 74 random bits. */
#include "base/uuid.h"

#include "ccodex/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

int cx__random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return CX_EIO;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int cx__uuid7_at(char out[CX_UUID_STRLEN + 1], uint64_t now_ms)
{
    unsigned char b[16];
    if (cx__random_bytes(b + 6, 10)) return CX_EIO;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(now_ms >> (8 * (5 - i)));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0F));
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3F));
    snprintf(out, CX_UUID_STRLEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

int cx__uuid7(char out[CX_UUID_STRLEN + 1])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return cx__uuid7_at(out, ms);
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads exactly `n` hex digits (hyphens at the 8-4-4-4-12 places when
 * hyphenated) into 16 bytes. */
static bool read_hex(const char *s, size_t n, bool hyphenated, unsigned char out[16])
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (s[i] != '-') return false;
            continue;
        }
        int hi = hexval((unsigned char)s[i]);
        int lo = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
        if (hi < 0 || lo < 0) return false;
        out[k++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return k == 16;
}

/* The reason a string is not a UUID, worked out the way the uuid crate does
 * once its fast parse has failed: bad characters first, then the length of a
 * simple form, then the number of groups, then the first group of the wrong
 * length. */
static void explain(const char *s, char *why, size_t why_len)
{
    size_t len = strlen(s), offset = 0;
    const char *body = s;
    size_t body_len = len;
    bool simple = true;
    if (len >= 2 && s[0] == '{' && s[len - 1] == '}') {
        body = s + 1;
        body_len = len - 2;
        offset = 1;
        simple = false;
    } else if (!strncmp(s, "urn:uuid:", 9)) {
        body = s + 9;
        body_len = len - 9;
        offset = 9;
        simple = false;
    }
    size_t hyphens = 0, bounds[4] = {0};
    for (size_t i = 0; i < body_len; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c >= 0x80) {
            /* a multi-byte character: shown whole; the index counts bytes, as Rust's does */
            size_t w = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
            if (i + w > body_len) w = body_len - i;
            snprintf(why, why_len, "Error(ParseChar { character: '%.*s', index: %zu })", (int)w,
                     body + i, i + offset + 1);
            return;
        }
        if (c == '-') {
            if (hyphens < 4) bounds[hyphens] = i;
            hyphens++;
        } else if (hexval(c) < 0) {
            char shown[8];
            if (c == '\'' || c == '\\')
                snprintf(shown, sizeof shown, "\\%c", c);
            else if (c == '\n')
                snprintf(shown, sizeof shown, "\\n");
            else if (c == '\t')
                snprintf(shown, sizeof shown, "\\t");
            else if (c == '\r')
                snprintf(shown, sizeof shown, "\\r");
            else if (c < 0x20 || c == 0x7f)
                snprintf(shown, sizeof shown, "\\u{%x}", c);
            else
                snprintf(shown, sizeof shown, "%c", c);
            snprintf(why, why_len, "Error(ParseChar { character: '%s', index: %zu })", shown,
                     i + offset + 1);
            return;
        }
    }
    static const size_t starts[5] = {0, 9, 14, 19, 24};
    if (hyphens == 0 && simple) {
        snprintf(why, why_len, "Error(ParseSimpleLength { len: %zu })", len);
    } else if (hyphens != 4) {
        snprintf(why, why_len, "Error(ParseGroupCount { count: %zu })", hyphens + 1);
    } else {
        for (int g = 0; g < 4; g++) {
            if (bounds[g] != starts[g + 1] - 1) {
                snprintf(why, why_len,
                         "Error(ParseGroupLength { group: %d, len: %zu, index: %zu })", g,
                         bounds[g] - starts[g], offset + starts[g] + 1);
                return;
            }
        }
        snprintf(why, why_len, "Error(ParseGroupLength { group: 4, len: %zu, index: %zu })",
                 len - starts[4], offset + starts[4] + 1);
    }
}

int cx__uuid_parse(const char *s, char canon[CX_UUID_STRLEN + 1], char *why, size_t why_len)
{
    unsigned char b[16];
    size_t len = strlen(s);
    bool ok = false;
    if (len == 32)
        ok = read_hex(s, 32, false, b);
    else if (len == 36)
        ok = read_hex(s, 36, true, b);
    else if (len == 38 && s[0] == '{' && s[37] == '}')
        ok = read_hex(s + 1, 36, true, b);
    else if (len == 45 && !strncmp(s, "urn:uuid:", 9))
        ok = read_hex(s + 9, 36, true, b);
    if (!ok) {
        if (why && why_len) explain(s, why, why_len);
        return -1;
    }
    snprintf(canon, CX_UUID_STRLEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}
