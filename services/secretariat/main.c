/* placeholder until the service lands */
#include "svc.h"
int
main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 1;
}
