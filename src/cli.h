/* cli: the operator's sub-commands. */
#ifndef ST_CLI_H
#define ST_CLI_H

#include <stdio.h>

/* Runs argv[0] as a sub-command; returns the exit status, or -1 if unknown. */
int cli_run(int argc, char **argv);

void cli_usage(FILE *fp);

#endif
