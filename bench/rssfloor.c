/*
 * rssfloor: the resident memory a process pays, on this system, before it
 * does any work of its own: the shared libraries streamtoken links, OpenSSL
 * initialised as streamtoken initialises it, and one draw from OpenSSL's
 * CSPRNG (which every issued token needs for its jti). scripts/bench prints
 * it next to the serving processes' RSS.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(fp);
	return kb;
}

int
main(void)
{
	unsigned char jti[16];
	long start, init, drawn;

	start = rss_kb();
	if (!key_init())
		return 1;
	init = rss_kb();
	if (!key_random(jti, sizeof(jti)))
		return 1;
	drawn = rss_kb();
	printf("%ld %ld %ld\n", start, init, drawn);
	return 0;
}
