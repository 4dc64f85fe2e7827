/* The library's version at run time (version.h is generated from version.h.in). */
#include "ccodex/version.h"

const char *cx_version(void)
{
    return CCODEX_VERSION_STRING;
}

int cx_version_number(void)
{
    return CCODEX_VERSION_NUMBER;
}
