/* unit_fixture: a private temp dir for key and INI files, and table-driven TAP rows. */
#ifndef ST_UNIT_FIXTURE_H
#define ST_UNIT_FIXTURE_H

#include "autoconfig.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config.h"
#include "pkeygen.h"
#include "tap.h"

/* Runs fn(arg) as one TAP case named name: lets a table row be a named case. */
#define RUN_ROW(name, fn, arg) do { tap_case = (name); tap_failed_here = 0; \
	fn(arg); tap_count++; if (tap_failed_here) tap_failed++; \
	printf("%s %d - %s\n", tap_failed_here ? "not ok" : "ok", tap_count, \
	    tap_case); fflush(stdout); } while (0)

/* A case that cannot run here (TAP SKIP directive). */
static inline void
fx_skip(const char *name, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_count, name, why);
	fflush(stdout);
}

/* SHA-256("test"), the token_sha256 of the fixture client whose token is "test". */
#define FX_SHA_TEST "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* 40 bytes: comfortably above the 32-byte minimum. */
#define FX_SECRET "0123456789abcdef0123456789abcdef01234567"

struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX];		/* the last path fx_path built */
};

/* mkdtemp under $TMPDIR: git does not keep mode 0600, so files are made here. */
static inline bool
fx_init(struct fixture *fx, const char *tag)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (snprintf(fx->dir, sizeof(fx->dir), "%s/st-%s.XXXXXX", tmp, tag) >=
	    (int)sizeof(fx->dir) || mkdtemp(fx->dir) == NULL) {
		perror("mkdtemp");
		return false;
	}
	return true;
}

static inline const char *
fx_path(struct fixture *fx, const char *name)
{
	if (snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name) >=
	    (int)sizeof(fx->path))
		fx->path[0] = '\0';
	return fx->path;
}

/* Writes len bytes to dir/name with mode (chmod, so the umask does not widen it). */
static inline const char *
fx_write(struct fixture *fx, const char *name, const void *data, size_t len,
    mode_t mode)
{
	const char *path = fx_path(fx, name);
	FILE *fp;

	(void)unlink(path);
	fp = fopen(path, "we");
	if (fp == NULL) {
		perror(path);
		return NULL;
	}
	if (len > 0 && fwrite(data, 1, len, fp) != len)
		perror(path);
	fclose(fp);
	if (chmod(path, mode) != 0)
		perror(path);
	return path;
}

static inline const char *
fx_write_str(struct fixture *fx, const char *name, const char *text, mode_t mode)
{
	return fx_write(fx, name, text, strlen(text), mode);
}

static inline int
fx_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

/*
 * A new key as PEM: kind is ED25519, RSA (of bits) or an EC curve name.
 * The private key in PKCS#8 as name (mode), and the public key
 * (SubjectPublicKeyInfo, 0644) as pub_name unless NULL.
 */
static inline bool
fx_write_new_pkey(struct fixture *fx, const char *name, const char *kind,
    size_t bits, mode_t mode, const char *pub_name)
{
	EVP_PKEY *pk;
	FILE *fp;
	bool ok;

	pk = pkeygen(kind, bits);
	if (pk == NULL)
		return false;
	fp = fopen(fx_path(fx, name), "we");
	ok = fp != NULL && PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL,
	    NULL) == 1;
	if (fp != NULL)
		ok = fclose(fp) == 0 && ok;
	ok = ok && chmod(fx_path(fx, name), mode) == 0;
	if (ok && pub_name != NULL) {
		fp = fopen(fx_path(fx, pub_name), "we");
		ok = fp != NULL && PEM_write_PUBKEY(fp, pk) == 1;
		if (fp != NULL)
			ok = fclose(fp) == 0 && ok;
		ok = ok && chmod(fx_path(fx, pub_name), 0644) == 0;
	}
	EVP_PKEY_free(pk);
	return ok;
}

/* A P-256 key in the pre-PKCS#8 form, "BEGIN EC PRIVATE KEY" (mode 0600). */
static inline bool
fx_write_traditional_ec(struct fixture *fx, const char *name)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *bio;
	bool ok;

	if (pk == NULL)
		return false;
	bio = BIO_new_file(fx_path(fx, name), "w");
	ok = bio != NULL && PEM_write_bio_PrivateKey_traditional(bio, pk, NULL,
	    NULL, 0, NULL, NULL) == 1;
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return ok && chmod(fx_path(fx, name), 0600) == 0;
}

/* Removes the temp dir and everything the case put in it. */
static inline void
fx_cleanup(struct fixture *fx)
{
	if (fx->dir[0] != '\0')
		(void)nftw(fx->dir, fx_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	fx->dir[0] = '\0';
}

/* Writes text as dir/streamtoken.ini (0600) and loads it. */
static inline struct config *
fx_load(struct fixture *fx, const char *text, char *err, size_t errlen)
{
	const char *path = fx_write_str(fx, "streamtoken.ini", text, 0600);

	if (path == NULL) {
		snprintf(err, errlen, "cannot write fixture");
		return NULL;
	}
	return config_load(path, err, errlen);
}

/* Hex SHA-256 of s, as token_sha256 wants it. */
static inline void
fx_sha256_hex(const char *s, char hex[65])
{
	unsigned char d[32];
	unsigned int n = 0;
	size_t i;

	EVP_Digest(s, strlen(s), d, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* The number N of "PATH:N: ..." in a config error, or 0. */
static inline unsigned
fx_err_line(const char *err, const char *path)
{
	size_t n = strlen(path);

	if (strncmp(err, path, n) != 0 || err[n] != ':')
		return 0;
	return (unsigned)strtoul(err + n + 1, NULL, 10);
}

#endif
