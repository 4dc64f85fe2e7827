/* UUIDv7 per RFC 9562: 48-bit ms timestamp, version 7, 74 random bits. */
#include "base/uuid.h"

#include "ccodex/error.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

int cx_random_bytes(void *buf, size_t n)
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

int cx_uuid7_at(char out[CX_UUID_STRLEN + 1], uint64_t now_ms)
{
    unsigned char b[16];
    if (cx_random_bytes(b + 6, 10)) return CX_EIO;
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

int cx_uuid7(char out[CX_UUID_STRLEN + 1])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return cx_uuid7_at(out, ms);
}
