/* The MCP client's JSON-RPC reader: bytes from a server are split into lines
 * (at points the input chooses, with a small size cap) and every line is
 * delivered to a connection with a request waiting. Besides not crashing or
 * leaking:
 * - no delivered line is longer than the cap or contains a newline;
 * - the framing drops exactly the oversized lines, whatever the split points;
 * - a server request in the input gets one well-formed answer on the wire. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "mcp/jsonrpc.h"

#define CAP 512

typedef struct sink {
    cx_mcp_rpc *rpc;
    size_t lines;
} sink;

static int on_send(void *t, const char *msg, size_t len, int64_t deadline, cx_error *err)
{
    json_object *o = NULL;
    int64_t id;
    bool has;
    /* everything the client writes is one valid JSON-RPC message */
    if (cx__json_parse(msg, len, &o, err) != 0 || memchr(msg, '\n', len)) abort();
    if (cx__mcp_msg_classify(o, &id, &has) == CX_MCP_MSG_INVALID) abort();
    json_object_put(o);
    return 0;
}

static void on_line(void *user, const char *line, size_t len)
{
    sink *s = user;
    if (len == 0 || len > CAP || memchr(line, '\n', len)) abort();
    s->lines++;
    if (s->rpc) cx__mcp_rpc_deliver(s->rpc, line, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    /* the first byte picks the size of the pieces the bytes arrive in */
    size_t piece = 1 + data[0] % 64;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    sink s = {0};
    s.rpc = cx__mcp_rpc_new(on_send, &s);
    cx_mcp_lines l;
    cx__mcp_lines_init(&l, CAP);
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        if (cx__mcp_lines_feed(&l, text + off, n, on_line, &s) != 0) abort();
    }
    uint64_t dropped = l.oversized;
    size_t lines = s.lines;
    cx__mcp_lines_free(&l);
    cx__mcp_rpc_free(s.rpc);

    /* the same bytes in one piece frame the same way */
    sink whole = {0};
    cx__mcp_lines_init(&l, CAP);
    if (cx__mcp_lines_feed(&l, text, len, on_line, &whole) != 0) abort();
    if (whole.lines != lines || l.oversized != dropped) abort();
    cx__mcp_lines_free(&l);
    return 0;
}
