/* TOML documents and -c style values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    json_object *out = NULL;
    cx_error err;
    if (cx_toml_parse(text, size, &out, &err) == 0) json_object_put(out);
    out = NULL;
    if (cx_toml_parse_value(text, size, &out, &err) == 0) json_object_put(out);
    free(text);
    return 0;
}
