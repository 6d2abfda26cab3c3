/* fuzz_common: the fixed configuration, minted tokens and in-memory request source the harnesses share. */
#ifndef ST_FUZZ_COMMON_H
#define ST_FUZZ_COMMON_H

#include "autoconfig.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../pkeygen.h"
#include "buf.h"
#include "config.h"
#include "request.h"
#include "respond.h"
#include "service.h"
#include "token.h"

/* The bearer tokens of the two configured clients (only their SHA-256 is in the INI). */
#define FZ_BEARER_BACKEND "fuzz-backend-token"
#define FZ_BEARER_LIMITED "fuzz-limited-token"
#define FZ_NTOKENS 7

static char fz_dir[PATH_MAX];
static struct config *fz_cfg;
/* Valid tokens minted at start-up, substituted for "$0".."$6" in the input. */
static struct buf fz_tokens[FZ_NTOKENS];

static inline void
fz_die(const char *what)
{
	perror(what);
	abort();
}

static inline void
fz_write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char path[PATH_MAX];
	FILE *fp;

	if (snprintf(path, sizeof(path), "%s/%s", fz_dir, name) >= (int)sizeof(path))
		fz_die(name);
	fp = fopen(path, "we");
	if (fp == NULL || (len > 0 && fwrite(data, 1, len, fp) != len))
		fz_die(path);
	fclose(fp);
	if (chmod(path, mode) != 0)
		fz_die(path);
}

static inline void
fz_sha256_hex(const char *s, char hex[65])
{
	unsigned char d[32];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), d, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static inline int
fz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static inline void
fz_cleanup(void)
{
	if (fz_dir[0] != '\0')
		(void)nftw(fz_dir, fz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A new key (kind ED25519, RSA of bits, or an EC curve) as name: PKCS#8 PEM
 * of the given mode, and its public key as pub_name (0644) unless NULL.
 */
static inline void
fz_write_pkey(const char *name, const char *kind, size_t bits, mode_t mode,
    const char *pub_name)
{
	EVP_PKEY *pk;
	BIO *bio;
	char *data;
	long len;

	pk = pkeygen(kind, bits);
	bio = BIO_new(BIO_s_mem());
	if (pk == NULL || bio == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1)
		fz_die(name);
	len = BIO_get_mem_data(bio, &data);
	fz_write_file(name, data, (size_t)len, mode);
	if (pub_name != NULL) {
		(void)BIO_reset(bio);
		if (PEM_write_bio_PUBKEY(bio, pk) != 1)
			fz_die(pub_name);
		len = BIO_get_mem_data(bio, &data);
		fz_write_file(pub_name, data, (size_t)len, 0644);
	}
	BIO_free(bio);
	EVP_PKEY_free(pk);
}

/*
 * A private temp dir with key files: main.key and old.key (0600), world.key
 * (0644), short.key; ed.pem (Ed25519) and es.pem (P-256), PKCS#8, 0600.
 */
static inline void
fz_make_dir(const char *tag)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(fz_dir, sizeof(fz_dir), "%s/st-fuzz-%s.XXXXXX", tmp, tag);
	if (mkdtemp(fz_dir) == NULL)
		fz_die("mkdtemp");
	atexit(fz_cleanup);
	fz_write_file("main.key", "0123456789abcdef0123456789abcdef01234567\n", 41, 0600);
	fz_write_file("old.key", "fedcba9876543210fedcba9876543210fedcba9876543210\r\n", 50, 0600);
	fz_write_file("world.key", "0123456789abcdef0123456789abcdef01234567", 40, 0644);
	fz_write_file("short.key", "0123456789", 10, 0600);
	fz_write_pkey("ed.pem", "ED25519", 0, 0600, NULL);
	fz_write_pkey("es.pem", "P-256", 0, 0600, NULL);
}

static inline bool
fz_mint(size_t i, const char *key, const char *sub, int64_t iat, int64_t exp,
    bool live, bool dvr, bool copy, uint32_t from, uint32_t to)
{
	struct claims c;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", sub);
	snprintf(c.azp, sizeof(c.azp), "backend");
	c.iat = iat;
	c.has_exp = exp != 0;
	c.exp = exp;
	c.live = live;
	c.dvr = dvr;
	c.copy = copy;
	c.from = from;
	c.to = to;
	buf_init(&fz_tokens[i]);
	return token_sign(config_find_key(fz_cfg, key), fz_cfg->issuer, &c,
	    &fz_tokens[i]) && !fz_tokens[i].failed;
}

/* Writes the fixed configuration, loads it and mints the substitution tokens. */
static inline void
fz_setup(const char *tag)
{
	char ini[2048], h1[65], h2[65], err[512], path[PATH_MAX];
	int64_t now = (int64_t)time(NULL);
	int n;

	fz_make_dir(tag);
	fz_sha256_hex(FZ_BEARER_BACKEND, h1);
	fz_sha256_hex(FZ_BEARER_LIMITED, h2);
	n = snprintf(ini, sizeof(ini),
	    "[server]\nissuer = fuzz.example\nmax_body = 4096\nmax_batch = 8\n"
	    "leeway = 5\nmax_ttl = 604800\n"
	    "[key main]\nalgorithm = HS256\nsecret_file = main.key\nsign = yes\n"
	    "[key old]\nalgorithm = HS512\nsecret_file = old.key\n"
	    "[key ed]\nalgorithm = EdDSA\nprivate_key_file = ed.pem\n"
	    "[key es]\nalgorithm = ES256\nprivate_key_file = es.pem\n"
	    "[client backend]\ntoken_sha256 = %s\n"
	    "[client limited]\ntoken_sha256 = %s\nstreams = cam-*, lobby\n"
	    "[stream camera-1]\naccess = private\nmax_ttl = 86400\n"
	    "[stream lobby]\naccess = public\n"
	    "[stream nocopy]\naccess = private\nallow = live\nmax_ttl = 60\n"
	    "[stream cam-*]\naccess = private\nallow = live, dvr\n"
	    "[route recordings]\n"
	    "pattern = ^/([A-Za-z0-9._~-]+)/rec-([0-9]+)-([0-9]+)[.]mp4$\n"
	    "stream = 1\nfrom = 2\nduration = 3\npermission = copy\n", h1, h2);
	fz_write_file("streamtoken.ini", ini, (size_t)n, 0600);
	if (snprintf(path, sizeof(path), "%s/streamtoken.ini", fz_dir) >=
	    (int)sizeof(path))
		fz_die("streamtoken.ini");
	fz_cfg = config_load(path, err, sizeof(err));
	if (fz_cfg == NULL) {
		fprintf(stderr, "fuzz config: %s\n", err);
		abort();
	}
	if (!fz_mint(0, "main", "camera-1", now, 0, true, true, true, 0, 0) ||
	    !fz_mint(1, "main", "cam-7", now, now + 86400, true, false, false, 0, 0) ||
	    !fz_mint(2, "main", "camera-1", now, 0, false, true, false,
	    1700000000, 1700003600) ||
	    !fz_mint(3, "main", "camera-1", 1000, 2000, true, true, true, 0, 0) ||
	    !fz_mint(4, "old", "camera-1", now, 0, true, true, true, 0, 0) ||
	    !fz_mint(5, "ed", "camera-1", now, 0, true, true, true, 0, 0) ||
	    !fz_mint(6, "es", "cam-7", now, now + 86400, true, false, false, 0, 0))
		abort();
}

/*
 * Per-request log lines (written to fd 2) would drown the fuzzer's output.
 * Asks libFuzzer for -close_fd_mask=2: it first moves its own and the
 * sanitizers' reports to a duplicate of stderr, then dup2s /dev/null over
 * fd 2 (a plain dup2 here would silence the crash reports as well).
 * LLVMFuzzerInitialize runs before libFuzzer parses its flags, so the
 * flag is appended to argv; FUZZ_VERBOSE=1 keeps the log lines.
 */
static inline void
fz_silence_stderr(int *argc, char ***argv)
{
	static char flag[] = "-close_fd_mask=2";
	static char *args[256];
	int i;

	if (getenv("FUZZ_VERBOSE") != NULL || argc == NULL || argv == NULL ||
	    *argc < 1 || *argc >= (int)(sizeof(args) / sizeof(args[0])) - 1)
		return;
	for (i = 0; i < *argc; i++)
		args[i] = (*argv)[i];
	/* After argv[0], so a trailing corpus list stays last. */
	memmove(args + 2, args + 1, (size_t)(*argc - 1) * sizeof(args[0]));
	args[1] = flag;
	args[++*argc] = NULL;
	*argv = args;
}

/* Copies in[0..len) to out, replacing "$0".."$4" with the minted tokens; NUL-terminates. */
static inline void
fz_expand(struct buf *out, const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] == '$' && i + 1 < len && in[i + 1] >= '0' &&
		    in[i + 1] < '0' + FZ_NTOKENS) {
			const struct buf *t = &fz_tokens[in[i + 1] - '0'];
			buf_append(out, t->data, t->len);
			i++;
		} else {
			buf_append(out, in + i, 1);
		}
	}
	buf_reserve(out, 1);
	if (out->data != NULL)
		out->data[out->len] = '\0';
}

/* The first line of [*p, end), advanced past; copied ($N expanded) into line. */
static inline void
fz_take_line(const char **p, const char *end, struct buf *line)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *stop = nl != NULL ? nl : end;

	fz_expand(line, *p, (size_t)(stop - *p));
	*p = nl != NULL ? nl + 1 : end;
}

/* ---- an in-memory request source: CGI params and a body read in chunks ---- */

#define FZ_MAX_PARAMS 16

struct fz_source {
	const char *names[FZ_MAX_PARAMS];
	const char *values[FZ_MAX_PARAMS];
	size_t nparams;
	const char *body;
	size_t body_len, pos;
	int chunk;			/* at most this many bytes per read; 0: no limit */
	bool read_error;		/* the read after the body fails instead of ending */
};

static inline void
fz_param_set(struct fz_source *s, const char *name, const char *value)
{
	if (value != NULL && s->nparams < FZ_MAX_PARAMS) {
		s->names[s->nparams] = name;
		s->values[s->nparams++] = value;
	}
}

static inline const char *
fz_param(void *ctx, const char *name)
{
	struct fz_source *s = ctx;
	size_t i;

	for (i = 0; i < s->nparams; i++)
		if (strcmp(s->names[i], name) == 0)
			return s->values[i];
	return NULL;
}

static inline int
fz_read(void *ctx, char *out, int len)
{
	struct fz_source *s = ctx;
	size_t n = s->body_len - s->pos;

	if (n == 0)
		return s->read_error ? -1 : 0;
	if ((size_t)len < n)
		n = (size_t)len;
	if (s->chunk > 0 && (size_t)s->chunk < n)
		n = (size_t)s->chunk;
	memcpy(out, s->body + s->pos, n);
	s->pos += n;
	return (int)n;
}

static inline bool
fz_write(void *ctx, const char *data, size_t len)
{
	buf_append(ctx, data, len);
	return true;
}

/* Runs the whole pipeline, service_handle and respond_write, into out. */
static inline void
fz_run(const struct config *cfg, struct fz_source *s, struct buf *out)
{
	struct request_source src = {fz_param, fz_read, s, NULL};
	struct request req;

	request_init(&req, cfg, &src);
	service_handle(&req);
	respond_write(&req, fz_write, out);
	request_free(&req);
	buf_reserve(out, 1);
	if (out->data != NULL)
		out->data[out->len] = '\0';
}

#endif
