/* The JSON wrapper: parse with positions, the flat fast path, dump, repair. */
#include <stdint.h>
#include <stdlib.h>

#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *o = NULL;
    cx_error err;
    if (cx_json_parse((const char *)data, size, &o, &err) == 0) {
        char *s = cx_json_to_string(o);
        free(s);
        json_object_put(o);
    }
    o = NULL;
    if (cx_json_parse_flat((const char *)data, size, &o) == 0) json_object_put(o);
    cx_buf b = CX_BUF_INIT;
    cx_utf8_repair((const char *)data, size, &b);
    cx_buf_free(&b);
    return 0;
}
