/*
 * cmd_passwd - `mailward passwd check|audit` (issue 6; being built).
 */
#include "cli.h"

#include <stdio.h>

int cmd_passwd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mailward passwd: not implemented yet\n");
    return EXIT_USAGE;
}
