/* SSE framing. The stream is parsed twice: whole, and cut at split points
 * that the first bytes of the input choose. Both runs must report the same
 * events (name, data, id) and the same end state, whatever the cuts: a
 * difference means the parser depends on where the network split the bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "model/sse.h"

/* Every event as "event\0data\0id\0" into the buffer, so equal logs mean
 * equal event sequences. */
static int record(void *user, const cx_sse_event *ev)
{
    cx_buf *log = user;
    cx__buf_append(log, ev->event, strlen(ev->event) + 1);
    cx__buf_append(log, ev->data, ev->data_len);
    cx__buf_putc(log, '\0');
    cx__buf_append(log, ev->id, strlen(ev->id) + 1);
    return 0;
}

/* Feeds data[0..size) in pieces whose lengths cycle through cuts[0..ncuts)
 * (all of it at once when ncuts is 0). */
static bool parse(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts, cx_buf *log)
{
    cx_sse_parser *p = cx__sse_new(record, log);
    if (!p) abort();
    size_t at = 0, k = 0;
    while (at < size) {
        size_t step = ncuts ? (size_t)cuts[k++ % ncuts] % 64 + 1 : size;
        if (step > size - at) step = size - at;
        if (cx__sse_feed(p, (const char *)data + at, step) != 0) abort();
        at += step;
    }
    bool pending = cx__sse_finish(p);
    cx__sse_free(p);
    return pending;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    /* byte 0 says how many of the next bytes are cut lengths (none: byte by byte) */
    static const uint8_t byte_by_byte[] = {0};
    size_t ncuts = data[0] % 8;
    if (size < 1 + ncuts) return 0;
    const uint8_t *cuts = ncuts ? data + 1 : byte_by_byte, *stream = data + 1 + ncuts;
    size_t len = size - 1 - ncuts;

    cx_buf whole = CX_BUF_INIT, pieces = CX_BUF_INIT;
    bool pending_whole = parse(stream, len, NULL, 0, &whole);
    bool pending_pieces = parse(stream, len, cuts, ncuts ? ncuts : 1, &pieces);
    if (pending_whole != pending_pieces || whole.len != pieces.len ||
        (whole.len && memcmp(whole.data, pieces.data, whole.len) != 0))
        abort();
    cx__buf_free(&whole);
    cx__buf_free(&pieces);
    return 0;
}
