/* replay: runs a harness on every file of its seed corpus without libFuzzer, one TAP line per file. */
#include "autoconfig.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A harness aborts on a finding, so reaching the ok line is the check. */
static void
replay_file(const char *dir, const char *name)
{
	char path[4096];
	unsigned char *data;
	FILE *fp;
	long len;

	tap_case = name;
	tap_failed_here = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		path[0] = '\0';
	fp = fopen(path, "rb");
	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		printf("not ok %d - %s/%s: cannot read\n", ++tap_count, REPLAY_CORPUS, name);
		tap_failed++;
		if (fp != NULL)
			fclose(fp);
		return;
	}
	data = malloc((size_t)len + 1);
	if (data == NULL || fread(data, 1, (size_t)len, fp) != (size_t)len) {
		printf("not ok %d - %s/%s: cannot read\n", ++tap_count, REPLAY_CORPUS, name);
		tap_failed++;
	} else {
		LLVMFuzzerTestOneInput(data, (size_t)len);
		printf("ok %d - %s/%s\n", ++tap_count, REPLAY_CORPUS, name);
	}
	fflush(stdout);
	free(data);
	fclose(fp);
}

int
main(int argc, char **argv)
{
	const char *top = getenv("TOP_SRCDIR");
	char dir[4096];
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	DIR *d;

	if (snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
	    argc > 1 ? "" : top != NULL ? top : ".", REPLAY_CORPUS) >= (int)sizeof(dir) ||
	    (argc > 1 && snprintf(dir, sizeof(dir), "%s", argv[1]) >= (int)sizeof(dir))) {
		printf("Bail out! corpus path too long\n");
		return 1;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	d = opendir(dir);
	if (d == NULL) {
		printf("Bail out! cannot open %s\n", dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char **grown;
		if (e->d_name[0] == '.')
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (grown == NULL || (grown[n] = strdup(e->d_name)) == NULL) {
			printf("Bail out! out of memory\n");
			return 1;
		}
		names = grown;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		replay_file(dir, names[i]);
		free(names[i]);
	}
	free(names);
	return tap_done();
}
