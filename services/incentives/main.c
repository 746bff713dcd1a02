/* placeholder until the service lands: refuses to start */
#include <stdio.h>
int
main(void)
{
    fprintf(stderr, "cogov-incentives: not built yet\n");
    return 1;
}
