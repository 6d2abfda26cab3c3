/* fuzz_config: config_load on the input written to a temp file (libFuzzer). */
#include "fuzz_common.h"

/*
 * The temp dir holds main.key and old.key (0600), world.key (0644) and
 * short.key (10 bytes), so secret_file lines reach every key-file check.
 */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char ini_path[PATH_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silence_stderr(argc, argv);
	fz_make_dir("config");
	if (snprintf(ini_path, sizeof(ini_path), "%s/streamtoken.ini", fz_dir) >=
	    (int)sizeof(ini_path))
		fz_die("streamtoken.ini");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const probes[] = {
		"camera-1", "cam-7", "lobby", "x", "", "a*b",
	};
	char err[512];
	struct config *cfg;
	size_t i;

	fz_write_file("streamtoken.ini", data, size, 0600);
	memset(err, 0x55, sizeof(err));
	cfg = config_load(ini_path, err, sizeof(err));
	if (cfg == NULL) {
		/* SPEC 4: every error is "FILE:LINE: message", NUL-terminated. */
		if (memchr(err, '\0', sizeof(err)) == NULL ||
		    strncmp(err, ini_path, strlen(ini_path)) != 0)
			abort();
		return 0;
	}
	if (cfg->signing_key == NULL || cfg->nclients == 0)
		abort();
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		(void)config_find_stream(cfg, probes[i]);
	(void)config_find_key(cfg, "main");
	for (i = 0; i < cfg->nclients; i++)
		(void)config_client_may_use(&cfg->clients[i], "camera-1");
	config_free(cfg);
	return 0;
}
