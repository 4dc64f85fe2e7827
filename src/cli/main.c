/* ccodex entry point (placeholder until the CLI module lands). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("ccodex %s\n", CCODEX_VERSION);
        return 0;
    }
    return 0;
}
