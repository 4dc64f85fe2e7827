/* apply_patch parser and matcher: input = ORIGINAL TEXT, a NUL byte, PATCH.
 * Nothing touches the file system (cx_patch_check works in memory). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 2);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    const char *nul = memchr(buf, '\0', size);
    const char *original = nul ? buf : NULL;
    const char *patch = nul ? nul + 1 : buf;
    cx_error err;
    cx_patch_check(patch, original, &err);
    free(buf);
    return 0;
}
