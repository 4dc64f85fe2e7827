/* SSE framing: the first byte picks a chunk size, the rest is the stream. */
#include <stdint.h>
#include <string.h>

#include "model/sse.h"

static int count(void *user, const cx_sse_event *ev)
{
    size_t *n = user;
    *n += ev->data_len + strlen(ev->event) + strlen(ev->id);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) return 0;
    size_t step = (size_t)data[0] % 17 + 1, total = 0;
    cx_sse_parser *p = cx_sse_new(count, &total);
    if (!p) return 0;
    for (size_t i = 1; i < size; i += step)
        cx_sse_feed(p, (const char *)data + i, size - i < step ? size - i : step);
    cx_sse_finish(p);
    cx_sse_free(p);
    return 0;
}
