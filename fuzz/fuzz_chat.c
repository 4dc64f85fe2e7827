/* The responses server's chat chunk translation, fast path included: every
 * input line is one chunk of a backend stream, then the stream ends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "server/chat_request.h"
#include "server/chat_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char req_text[] =
        "{\"model\":\"m\",\"input\":[],\"tools\":[{\"type\":\"web_search\"},"
        "{\"type\":\"custom\",\"name\":\"apply_patch\"}]}";
    json_object *req = NULL, *chat = NULL;
    cx_error err;
    if (cx__json_parse(req_text, sizeof req_text - 1, &req, &err)) return 0;
    if (cx__chat_request_build(req, "vllm", &chat, &err)) {
        json_object_put(req);
        return 0;
    }
    /* the first byte picks the wire, so both event writers are fuzzed */
    cx_chat_wire wire = size && (data[0] & 1) ? CX_CHAT_WIRE_API : CX_CHAT_WIRE_CODEX;
    cx_chat_stream *s = cx__chat_stream_new(req, chat, "vllm", wire);
    cx_buf out = CX_BUF_INIT;
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        cx__chat_stream_chunk(s, p, len, &out, &err);
        p += len + (nl ? 1 : 0);
    }
    json_object *next = NULL;
    if (cx__chat_stream_end(s, &out, &next, &err) == 1) json_object_put(next);
    cx__buf_free(&out);
    cx__chat_stream_free(s);
    json_object_put(chat);
    json_object_put(req);
    return 0;
}
