/* The floor for starting a process: prints one line and exits. */
#include <stdio.h>

int main(void)
{
    puts("floor 0.0.0");
    return 0;
}
