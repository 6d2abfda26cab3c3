/* keys: secret files (checked before use) and HMAC through OpenSSL. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * OpenSSL 3's EVP HMAC fetches an algorithm and allocates contexts on every
 * call; the SHA-2 context structs (deprecated, still supported) let each key's
 * padded inner and outer states be computed once and copied per MAC.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "keys.h"

/*
 * Left to itself, the first RAND_bytes loads openssl.cnf and the legacy
 * algorithm tables: about 600 kB more of libcrypto resident in every
 * serving process, for settings this program never reads. The CSPRNG is
 * the same either way.
 */
bool
key_init(void)
{
	return OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
	    OPENSSL_INIT_NO_ADD_ALL_DIGESTS, NULL) == 1;
}

static size_t
read_all(int fd, unsigned char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return len;
}

bool
key_read_secret(const char *path, unsigned char **secret, size_t *len,
    char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t n;
	struct stat st;
	bool ok = false;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open secret_file %s: %s", path,
		    strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "secret_file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errlen, "secret_file %s is accessible by every user "
		    "(mode %03o); chmod o-rw it", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	/* One byte more than allowed, to tell "too long" from "exactly max". */
	buf = OPENSSL_secure_malloc(KEY_SECRET_MAX + 3);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = read_all(fd, buf, KEY_SECRET_MAX + 3);
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	if (n < KEY_SECRET_MIN) {
		snprintf(err, errlen, "secret_file %s holds %zu bytes, at least %d "
		    "are needed", path, n, KEY_SECRET_MIN);
		goto out;
	}
	if (n > KEY_SECRET_MAX) {
		snprintf(err, errlen, "secret_file %s is longer than %d bytes",
		    path, KEY_SECRET_MAX);
		goto out;
	}
	*secret = buf;
	*len = n;
	buf = NULL;
	ok = true;
out:
	if (buf != NULL)
		OPENSSL_secure_clear_free(buf, KEY_SECRET_MAX + 3);
	close(fd);
	return ok;
}

void
key_free_secret(unsigned char *secret, size_t len)
{
	(void)len;
	if (secret != NULL)
		OPENSSL_secure_clear_free(secret, KEY_SECRET_MAX + 3);
}

/* The running state of any of the three SHA-2 functions. */
union sha_state {
	SHA256_CTX s256;
	SHA512_CTX s512;
};

/* RFC 2104: H(K ^ opad, H(K ^ ipad, text)), with both keyed states precomputed. */
struct key_hmac_state {
	union sha_state inner, outer;
};

static bool
is_sha512_family(enum key_alg alg)
{
	return alg == ALG_HS384 || alg == ALG_HS512;
}

/* The bytes of union sha_state the algorithm uses. */
static size_t
sha_state_size(enum key_alg alg)
{
	return is_sha512_family(alg) ? sizeof(SHA512_CTX) : sizeof(SHA256_CTX);
}

static void
sha_init(enum key_alg alg, void *ctx)
{
	if (alg == ALG_HS256)
		SHA256_Init(ctx);
	else if (alg == ALG_HS384)
		SHA384_Init(ctx);
	else
		SHA512_Init(ctx);
}

static void
sha_update(enum key_alg alg, void *ctx, const void *data, size_t len)
{
	if (is_sha512_family(alg))
		SHA512_Update(ctx, data, len);
	else
		SHA256_Update(ctx, data, len);
}

/* Returns the digest length. */
static size_t
sha_final(enum key_alg alg, void *ctx, unsigned char *md)
{
	if (alg == ALG_HS256) {
		SHA256_Final(md, ctx);
		return 32;
	}
	if (alg == ALG_HS384) {
		SHA384_Final(md, ctx);
		return 48;
	}
	SHA512_Final(md, ctx);
	return 64;
}

bool
key_prepare(struct key *key)
{
	unsigned char block[128], pad[128], digest[KEY_MAC_MAX];
	size_t bs = is_sha512_family(key->alg) ? 128 : 64, i;
	struct key_hmac_state *st;

	st = OPENSSL_secure_zalloc(sizeof(*st));
	if (st == NULL)
		return false;
	memset(block, 0, sizeof(block));
	if (key->secret_len > bs) {
		sha_init(key->alg, &st->inner);
		sha_update(key->alg, &st->inner, key->secret, key->secret_len);
		size_t n = sha_final(key->alg, &st->inner, digest);

		memcpy(block, digest, n);
	} else {
		memcpy(block, key->secret, key->secret_len);
	}
	for (i = 0; i < bs; i++)
		pad[i] = block[i] ^ 0x36;
	sha_init(key->alg, &st->inner);
	sha_update(key->alg, &st->inner, pad, bs);
	for (i = 0; i < bs; i++)
		pad[i] = block[i] ^ 0x5c;
	sha_init(key->alg, &st->outer);
	sha_update(key->alg, &st->outer, pad, bs);
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(digest, sizeof(digest));
	key_unprepare(key);
	key->hmac = st;
	return true;
}

void
key_unprepare(struct key *key)
{
	if (key->hmac != NULL)
		OPENSSL_secure_clear_free(key->hmac, sizeof(*key->hmac));
	key->hmac = NULL;
}

static size_t
prepared_hmac(const struct key *key, const void *data, size_t len,
    unsigned char mac[KEY_MAC_MAX])
{
	union sha_state work;
	/* Only the state the algorithm uses is copied and wiped. */
	size_t state = sha_state_size(key->alg);
	unsigned char inner[KEY_MAC_MAX];
	size_t n;

	memcpy(&work, &key->hmac->inner, state);
	sha_update(key->alg, &work, data, len);
	n = sha_final(key->alg, &work, inner);
	memcpy(&work, &key->hmac->outer, state);
	sha_update(key->alg, &work, inner, n);
	n = sha_final(key->alg, &work, mac);
	/* explicit_bzero: as sure as OPENSSL_cleanse, at memset's speed. */
	explicit_bzero(&work, state);
	return n;
}

void
key_sha256(const void *data, size_t len, unsigned char out[32])
{
	SHA256_CTX ctx;

	SHA256_Init(&ctx);
	SHA256_Update(&ctx, data, len);
	SHA256_Final(out, &ctx);
	explicit_bzero(&ctx, sizeof(ctx));
}

static const EVP_MD *
alg_md(enum key_alg alg)
{
	switch (alg) {
	case ALG_HS256: return EVP_sha256();
	case ALG_HS384: return EVP_sha384();
	case ALG_HS512: return EVP_sha512();
	}
	return NULL;
}

size_t
key_hmac(const struct key *key, const void *data, size_t len,
    unsigned char mac[KEY_MAC_MAX])
{
	unsigned int mac_len = 0;

	if (key->hmac != NULL)
		return prepared_hmac(key, data, len, mac);
	if (HMAC(alg_md(key->alg), key->secret, (int)key->secret_len, data, len,
	    mac, &mac_len) == NULL)
		return 0;
	return mac_len;
}

bool
key_random(unsigned char *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1;
}

/*
 * What one key may hold in the secure heap: its secret's block (4 KB,
 * 8 KB in OpenSSL's buddy allocator), its HMAC states, or an asymmetric
 * key's private numbers. Twice that for all keys: during a reload the old
 * configuration's keys and the new one's are held at once.
 */
#define SECURE_HEAP_PER_KEY 16384
#define SECURE_HEAP_MIN (256 * 1024)
#define SECURE_HEAP_MINSIZE 16

size_t
key_secure_heap_size(size_t nkeys)
{
	size_t size = SECURE_HEAP_MIN;

	while (size < 2 * nkeys * SECURE_HEAP_PER_KEY && size < ((size_t)1 << 30))
		size *= 2;
	return size;
}

int
key_secure_heap_start(size_t size)
{
	if (CRYPTO_secure_malloc_initialized()) {
		/* Only an empty heap can be made again, at another size. */
		if (CRYPTO_secure_used() != 0 || !CRYPTO_secure_malloc_done())
			return 0;
	}
	return CRYPTO_secure_malloc_init(size, SECURE_HEAP_MINSIZE);
}
