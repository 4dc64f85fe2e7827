/* The JSON wrapper. Besides not crashing:
 * - what cx__json_parse accepts, cx__json_to_string prints as JSON that parses
 *   again and prints the same (the wire format is stable);
 * - when the flat fast path accepts an object, the general parser accepts the
 *   same bytes and reads the same value; re-parsing into that object (the
 *   reuse path), when it takes the text, reads the same value again;
 * - UTF-8 repair always yields valid UTF-8, and leaves valid input alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

static void round_trip(const json_object *o)
{
    char *printed = cx__json_to_string(o);
    json_object *again = NULL;
    cx_error err;
    if (!printed || cx__json_parse(printed, strlen(printed), &again, &err) != 0) abort();
    char *reprinted = cx__json_to_string(again);
    if (!reprinted || strcmp(printed, reprinted) != 0) abort();
    free(reprinted);
    free(printed);
    json_object_put(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_object *general = NULL;
    cx_error err;
    if (cx__json_parse(text, size, &general, &err) == 0) round_trip(general);

    json_object *flat = NULL;
    if (cx__json_parse_flat(text, size, &flat) == 0) {
        /* json_object_equal compares values: 1.50 and 1.5 are the same number */
        if (!general || !json_object_equal(general, flat)) abort();
        /* 1 (a key set it cannot reuse, e.g. a repeated key) is a documented answer */
        int reuse = cx__json_parse_flat_reuse(text, size, flat);
        if (reuse < 0 || (reuse == 0 && !json_object_equal(general, flat))) abort();
        json_object_put(flat);
    }
    json_object_put(general);

    cx_buf b = CX_BUF_INIT;
    if (cx__utf8_repair(text, size, &b) != 0) abort();
    if (!cx__utf8_valid(b.data ? b.data : "", b.len)) abort();
    if (cx__utf8_valid(text, size) && (b.len != size || (size && memcmp(b.data, text, size) != 0)))
        abort();
    cx__buf_free(&b);
    return 0;
}
