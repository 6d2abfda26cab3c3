/* fuzz_config: config_load on the input written to a temp file (libFuzzer). */
#include "fuzz_common.h"

/*
 * The temp dir holds main.key and old.key (0600), world.key (0644) and
 * short.key (10 bytes), so secret_file lines reach every key-file check;
 * and PEM keys so private_key_file and public_key_file lines reach theirs:
 * ed.pem, es.pem, rs.pem (RSA 2048) with ed.pub and es.pub (0644), p384.pem,
 * rs1024.pem, world.pem (Ed25519, 0644) and bad.pem (not a key).
 */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char ini_path[PATH_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silence_stderr(argc, argv);
	fz_make_dir("config");
	fz_write_pkey("ed.pem", "ED25519", 0, 0600, "ed.pub");
	fz_write_pkey("es.pem", "P-256", 0, 0600, "es.pub");
	fz_write_pkey("rs.pem", "RSA", 2048, 0600, NULL);
	fz_write_pkey("rs1024.pem", "RSA", 1024, 0600, NULL);
	fz_write_pkey("p384.pem", "P-384", 0, 0600, NULL);
	fz_write_pkey("world.pem", "ED25519", 0, 0644, NULL);
	fz_write_file("bad.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n", 59, 0600);
	if (snprintf(ini_path, sizeof(ini_path), "%s/streamtoken.ini", fz_dir) >=
	    (int)sizeof(ini_path))
		fz_die("streamtoken.ini");
	return 0;
}

/* True when the JWKS has a member "kid":"<kid>". */
static bool
jwks_names_kid(const char *jwks, const char *kid)
{
	char want[ST_NAME_MAX + 16];

	snprintf(want, sizeof(want), "\"kid\":\"%s\"", kid);
	return strstr(jwks, want) != NULL;
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
	/* The JWKS: always built, never a private member or an HMAC key. */
	if (cfg->jwks == NULL || cfg->jwks_len != strlen(cfg->jwks) ||
	    strncmp(cfg->jwks, "{\"keys\":[", 9) != 0 ||
	    strstr(cfg->jwks, "\"d\":") != NULL ||
	    strstr(cfg->jwks, "\"k\":") != NULL ||
	    (cfg->signing_key->pkey == NULL) != (cfg->signing_key->secret != NULL) ||
	    (cfg->signing_key->pkey != NULL && !cfg->signing_key->has_private))
		abort();
	for (i = 0; i < cfg->nkeys; i++)
		if (cfg->keys[i].pkey == NULL &&
		    jwks_names_kid(cfg->jwks, cfg->keys[i].name))
			abort();
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		(void)config_find_stream(cfg, probes[i]);
	(void)config_find_key(cfg, "main");
	for (i = 0; i < cfg->nclients; i++)
		(void)config_client_may_use(&cfg->clients[i], "camera-1");
	config_free(cfg);
	return 0;
}
