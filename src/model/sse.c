/* SSE framing. Lines are accumulated in `line`; fields go to `data`,
 * `event` and `id`; a blank line dispatches. */
#include "model/sse.h"

#include "base/buf.h"
#include "ccodex/error.h"

#include <stdlib.h>
#include <string.h>

struct cx_sse_parser {
    cx_sse_fn fn;
    void *user;
    cx_buf line;
    cx_buf data;
    cx_buf event;
    cx_buf id;
    bool has_data;
    bool cr_pending; /* last chunk ended with CR: a following LF belongs to it */
    bool started;    /* past a possible leading BOM */
    bool pending;    /* some field seen since the last dispatch */
    bool overflowed; /* an event outgrew max_event: everything after is refused */
    size_t max_event;
};

cx_sse_parser *cx__sse_new(cx_sse_fn fn, void *user)
{
    cx_sse_parser *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->fn = fn;
    p->user = user;
    p->max_event = CX_SSE_DEFAULT_MAX_EVENT;
    return p;
}

void cx__sse_set_max_event(cx_sse_parser *p, size_t bytes)
{
    p->max_event = bytes ? bytes : CX_SSE_DEFAULT_MAX_EVENT;
}

bool cx__sse_overflowed(const cx_sse_parser *p)
{
    return p->overflowed;
}

/* Checked before the parser grows: the event so far plus what would be
 * added. On overflow the held bytes are released at once. */
static bool too_big(cx_sse_parser *p, size_t more)
{
    size_t held = p->line.len + p->data.len + p->event.len;
    if (held + more <= p->max_event) return false;
    p->overflowed = true;
    cx__buf_free(&p->line);
    cx__buf_free(&p->data);
    cx__buf_free(&p->event);
    return true;
}

void cx__sse_free(cx_sse_parser *p)
{
    if (!p) return;
    cx__buf_free(&p->line);
    cx__buf_free(&p->data);
    cx__buf_free(&p->event);
    cx__buf_free(&p->id);
    free(p);
}

static int dispatch(cx_sse_parser *p)
{
    int rc = 0;
    if (p->has_data) {
        cx_sse_event ev = {
            .event = p->event.len ? cx__buf_str(&p->event) : "message",
            .data = cx__buf_str(&p->data),
            .data_len = p->data.len,
            .id = cx__buf_str(&p->id),
        };
        rc = p->fn(p->user, &ev);
    }
    cx__buf_reset(&p->data);
    cx__buf_reset(&p->event);
    p->has_data = false;
    p->pending = false;
    return rc;
}

static int process_line(cx_sse_parser *p, const char *s, size_t n)
{
    if (n == 0) return dispatch(p);
    if (s[0] == ':') return 0; /* a comment (keep-alive) is not part of an event */
    p->pending = true;
    const char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *val = colon ? colon + 1 : s + n;
    size_t vlen = colon ? n - flen - 1 : 0;
    if (vlen && *val == ' ') {
        val++;
        vlen--;
    }
    if (flen == 4 && !memcmp(s, "data", 4)) {
        if (p->has_data) cx__buf_putc(&p->data, '\n');
        cx__buf_append(&p->data, val, vlen);
        p->has_data = true;
    } else if (flen == 5 && !memcmp(s, "event", 5)) {
        cx__buf_reset(&p->event);
        cx__buf_append(&p->event, val, vlen);
    } else if (flen == 2 && !memcmp(s, "id", 2)) {
        if (!memchr(val, '\0', vlen)) {
            cx__buf_reset(&p->id);
            cx__buf_append(&p->id, val, vlen);
        }
    }
    /* retry and unknown fields are ignored */
    return cx__buf_failed(&p->data) || cx__buf_failed(&p->event) ? CX_ENOMEM : 0;
}

int cx__sse_feed(cx_sse_parser *p, const char *data, size_t len)
{
    if (p->overflowed) return CX_EPARSE;
    size_t i = 0;
    if (!p->started && len) {
        /* A BOM may only open the stream; it can arrive split across chunks. */
        static const char bom[] = "\xEF\xBB\xBF";
        size_t have = p->line.len;
        while (i < len && have + i < 3 && data[i] == bom[have + i])
            i++;
        if (have + i == 3) {
            cx__buf_reset(&p->line);
            p->started = true;
        } else if (i < len) {
            p->started = true;
            if (i) cx__buf_append(&p->line, data, i); /* not a BOM after all */
        } else {
            cx__buf_append(&p->line, data, i);
            return 0;
        }
    }
    if (p->cr_pending && i < len && data[i] == '\n') i++;
    p->cr_pending = false;
    while (i < len) {
        const char *start = data + i;
        size_t left = len - i;
        const char *nl = memchr(start, '\n', left);
        const char *cr = memchr(start, '\r', nl ? (size_t)(nl - start) : left);
        const char *end = cr ? cr : nl;
        if (!end) {
            if (too_big(p, left)) return CX_EPARSE;
            if (cx__buf_append(&p->line, start, left)) return CX_ENOMEM;
            break;
        }
        size_t n = (size_t)(end - start);
        if (too_big(p, n)) return CX_EPARSE;
        int rc;
        if (p->line.len) {
            if (cx__buf_append(&p->line, start, n)) return CX_ENOMEM;
            rc = process_line(p, p->line.data, p->line.len);
            cx__buf_reset(&p->line);
        } else {
            rc = process_line(p, start, n);
        }
        i += n + 1;
        if (end == cr) {
            if (i < len && data[i] == '\n')
                i++;
            else if (i == len)
                p->cr_pending = true;
        }
        if (rc) return rc;
    }
    return 0;
}

bool cx__sse_finish(cx_sse_parser *p)
{
    bool cut = p->line.len > 0 || p->pending;
    cx__buf_reset(&p->line);
    cx__buf_reset(&p->data);
    cx__buf_reset(&p->event);
    p->has_data = false;
    p->pending = false;
    return cut;
}
