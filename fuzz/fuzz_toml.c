/* TOML documents and single values (as given to -c key=value). A parse
 * must either fail with a message in the "line L, column C: ..." form or give
 * a table; the tree must print as JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the parser takes a length but callers hand it C strings: give it both */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    json_object *out = NULL;
    cx_error err = {0};
    if (cx__toml_parse(text, size, &out, &err) == 0) {
        if (!json_object_is_type(out, json_type_object)) abort();
        free(cx__json_to_string(out));
        json_object_put(out);
    } else if (strncmp(err.msg, "line ", 5) != 0) {
        abort();
    }
    out = NULL;
    if (cx__toml_parse_value(text, size, &out, &err) == 0) {
        free(cx__json_to_string(out));
        json_object_put(out);
    }
    free(text);
    return 0;
}
