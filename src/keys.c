/* keys: secret files (checked before use) and HMAC through OpenSSL. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
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

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

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

/*
 * Zeroed memory for a secret: OpenSSL's secure heap, or the ordinary heap
 * when there is none or it is full (OPENSSL_secure_clear_free wipes and
 * frees either; key_secrets_in_secure_heap tells which it was).
 */
static void *
secret_alloc(size_t n)
{
	void *p = OPENSSL_secure_zalloc(n);

	return p != NULL ? p : OPENSSL_zalloc(n);
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

/*
 * Opens a key file of the kind what names (the INI key), refusing all but
 * a regular file and, unless world_ok (public keys), a file every user
 * may read or write. Returns the descriptor, -1 with err written.
 */
static int
open_key_file(const char *path, const char *what, bool world_ok, char *err,
    size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s is not a regular file", what, path);
		goto fail;
	}
	if (!world_ok && (st.st_mode & (S_IROTH | S_IWOTH))) {
		snprintf(err, errlen, "%s %s is accessible by every user "
		    "(mode %03o); chmod o-rw it", what, path,
		    (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	if (world_ok && (st.st_mode & S_IWOTH)) {
		snprintf(err, errlen, "%s %s is writable by every user "
		    "(mode %03o); chmod o-w it", what, path,
		    (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

bool
key_read_secret(const char *path, unsigned char **secret, size_t *len,
    char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t n;
	bool ok = false;
	int fd;

	fd = open_key_file(path, "secret_file", false, err, errlen);
	if (fd < 0)
		return false;
	/* One byte more than allowed, to tell "too long" from "exactly max". */
	buf = secret_alloc(KEY_SECRET_MAX + 3);
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

	st = secret_alloc(sizeof(*st));
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
	case ALG_EDDSA: return NULL;	/* RFC 8032: Ed25519 hashes by itself */
	case ALG_ES256:
	case ALG_RS256: return EVP_sha256();
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
#define SECURE_HEAP_MIN ((size_t)256 << 10)
#define SECURE_HEAP_MINSIZE 16

size_t
key_secure_heap_size(size_t nkeys)
{
	size_t size = SECURE_HEAP_MIN;

	while (size < 2 * nkeys * SECURE_HEAP_PER_KEY && size < ((size_t)1 << 30))
		size *= 2;
	return size;
}

bool
key_secrets_in_secure_heap(const struct config *cfg)
{
	size_t i;

	if (!CRYPTO_secure_malloc_initialized())
		return false;
	for (i = 0; i < cfg->nkeys; i++)
		if ((cfg->keys[i].secret != NULL &&
		    !CRYPTO_secure_allocated(cfg->keys[i].secret)) ||
		    (cfg->keys[i].hmac != NULL &&
		    !CRYPTO_secure_allocated(cfg->keys[i].hmac)))
			return false;
	return true;
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

/* ---- EdDSA, ES256, RS256: PEM key files and signatures through EVP ---- */

static const char *
pkey_kind(enum key_alg alg)
{
	switch (alg) {
	case ALG_EDDSA: return "an Ed25519 key";
	case ALG_ES256: return "an EC P-256 key";
	case ALG_RS256: return "an RSA key";
	default: break;
	}
	return "a secret_file";
}

static bool
is_p256(EVP_PKEY *pk)
{
	char group[64];

	/* OpenSSL names the curve prime256v1; RFC 7518 calls it P-256. */
	return EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) == 1 &&
	    (strcasecmp(group, "prime256v1") == 0 ||
	    strcasecmp(group, "P-256") == 0);
}

/* The key type algorithm alg needs (RFC 7518 §3.3, §3.4; RFC 8037 §3.1). */
static bool
pkey_fits(EVP_PKEY *pk, enum key_alg alg, const char *what, const char *path,
    char *err, size_t errlen)
{
	bool fits = false;
	int bits;

	if (alg == ALG_EDDSA)
		fits = EVP_PKEY_is_a(pk, "ED25519");
	else if (alg == ALG_ES256)
		fits = EVP_PKEY_is_a(pk, "EC") && is_p256(pk);
	else if (alg == ALG_RS256)
		fits = EVP_PKEY_is_a(pk, "RSA");
	if (!fits) {
		snprintf(err, errlen, "%s %s holds a key of type %s; %s needs %s",
		    what, path, EVP_PKEY_get0_type_name(pk) != NULL ?
		    EVP_PKEY_get0_type_name(pk) : "unknown",
		    config_alg_name(alg), pkey_kind(alg));
		return false;
	}
	bits = EVP_PKEY_get_bits(pk);
	if (alg == ALG_RS256 && (bits < KEY_RSA_MIN_BITS ||
	    bits > KEY_RSA_MAX_BITS)) {
		snprintf(err, errlen, "%s %s holds a %d-bit RSA key; RS256 needs "
		    "%d to %d bits", what, path, bits, KEY_RSA_MIN_BITS,
		    KEY_RSA_MAX_BITS);
		return false;
	}
	return true;
}

/* The DER of one PEM block, named as a private or a public key must be. */
static EVP_PKEY *
pem_to_pkey(BIO *bio, bool private_part, const char *what, const char *path,
    char *err, size_t errlen)
{
	const char *want = private_part ? "PRIVATE KEY" : "PUBLIC KEY";
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *q;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pk = NULL;
	long len = 0;

	if (PEM_read_bio(bio, &name, &header, &data, &len) != 1) {
		snprintf(err, errlen, "%s %s is not a PEM file", what, path);
		goto out;
	}
	if (strcmp(name, want) != 0) {
		snprintf(err, errlen, "%s %s holds \"%s\", not \"%s\"%s", what,
		    path, name, want, !private_part ? "" :
		    strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 ?
		    " (encrypted keys are not supported)" :
		    " (PKCS#8: openssl pkcs8 -topk8 -nocrypt converts)");
		goto out;
	}
	q = data;
	if (private_part) {
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, len);
		if (p8 != NULL && q == data + len)
			pk = EVP_PKCS82PKEY(p8);
	} else {
		pk = d2i_PUBKEY(NULL, &q, len);
		if (pk != NULL && q != data + len) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	if (pk == NULL)
		snprintf(err, errlen, "%s %s: bad PEM (the key cannot be decoded)",
		    what, path);
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_free(name);
	OPENSSL_free(header);
	if (data != NULL)
		OPENSSL_clear_free(data, (size_t)len);
	return pk;
}

static bool prepare_ctxs(struct key *key);

bool
key_load_pem(struct key *key, const char *path, bool private_part, char *err,
    size_t errlen)
{
	const char *what = private_part ? "private_key_file" : "public_key_file";
	unsigned char *text = NULL;
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	bool ok = false;
	size_t n;
	int fd;

	fd = open_key_file(path, what, !private_part, err, errlen);
	if (fd < 0)
		return false;
	text = secret_alloc(KEY_PEM_MAX + 1);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = read_all(fd, text, KEY_PEM_MAX + 1);
	if (n > KEY_PEM_MAX) {
		snprintf(err, errlen, "%s %s is longer than %d bytes", what, path,
		    KEY_PEM_MAX);
		goto out;
	}
	bio = BIO_new_mem_buf(text, (int)n);
	if (bio == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	pk = pem_to_pkey(bio, private_part, what, path, err, errlen);
	if (pk == NULL || !pkey_fits(pk, key->alg, what, path, err, errlen))
		goto out;
	key_free_pkey(key);
	key->pkey = pk;
	key->has_private = private_part;
	pk = NULL;
	if (!prepare_ctxs(key)) {
		snprintf(err, errlen, "%s %s: OpenSSL cannot use the key", what,
		    path);
		key_free_pkey(key);
		goto out;
	}
	ok = true;
out:
	EVP_PKEY_free(pk);
	BIO_free(bio);
	if (text != NULL)
		OPENSSL_secure_clear_free(text, KEY_PEM_MAX + 1);
	close(fd);
	return ok;
}

void
key_free_pkey(struct key *key)
{
	EVP_MD_CTX_free(key->sign_ctx);
	EVP_MD_CTX_free(key->verify_ctx);
	key->sign_ctx = key->verify_ctx = NULL;
	EVP_PKEY_free(key->pkey);
	key->pkey = NULL;
	key->has_private = false;
}

bool
key_ecdsa_der_to_jose(const unsigned char *der, size_t derlen,
    unsigned char jose[KEY_ES256_SIG_LEN])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;
	bool ok = false;

	sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (sig == NULL)
		return false;
	ECDSA_SIG_get0(sig, &r, &s);
	/* Fixed width, left-padded with zeros: 32 bytes for P-256. */
	if (p == der + derlen && BN_bn2binpad(r, jose, 32) == 32 &&
	    BN_bn2binpad(s, jose + 32, 32) == 32)
		ok = true;
	ECDSA_SIG_free(sig);
	return ok;
}

size_t
key_ecdsa_jose_to_der(const unsigned char jose[KEY_ES256_SIG_LEN],
    unsigned char der[KEY_ES256_DER_MAX])
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(jose, 32, NULL), *s = BN_bin2bn(jose + 32, 32, NULL);
	unsigned char *q = der;
	size_t n = 0;
	int len;

	if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1)
		goto out;
	r = s = NULL;		/* sig owns them now */
	len = i2d_ECDSA_SIG(sig, NULL);
	if (len > 0 && len <= KEY_ES256_DER_MAX && i2d_ECDSA_SIG(sig, &q) == len)
		n = (size_t)len;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return n;
}

/*
 * One EVP_MD_CTX for the process (one request at a time), for the copy of a
 * key's initialised context that each ES256 or RS256 operation works on.
 */
static EVP_MD_CTX *
work_ctx(void)
{
	static EVP_MD_CTX *ctx;

	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	return ctx;
}

/*
 * Contexts initialised once per key: EVP_DigestSignInit fetches the
 * algorithm and sets the key up, which costs as much again as an Ed25519
 * signature. Ed25519's one-shot context is used as it is, again and again
 * (as openssl speed does); a digest's context is copied first, since a
 * signature consumes the digest state.
 */
static bool
prepare_ctxs(struct key *key)
{
	key->verify_ctx = EVP_MD_CTX_new();
	if (key->verify_ctx == NULL || EVP_DigestVerifyInit(key->verify_ctx, NULL,
	    alg_md(key->alg), NULL, key->pkey) != 1)
		return false;
	if (!key->has_private)
		return true;
	key->sign_ctx = EVP_MD_CTX_new();
	return key->sign_ctx != NULL && EVP_DigestSignInit(key->sign_ctx, NULL,
	    alg_md(key->alg), NULL, key->pkey) == 1;
}

/* The context to use once: the key's own (Ed25519), or a fresh copy of it. */
static EVP_MD_CTX *
use_ctx(EVP_MD_CTX *prepared)
{
	EVP_MD_CTX *work;

	if (prepared == NULL)
		return NULL;
	/*
	 * Every algorithm works on a copy: since OpenSSL 3.2 a one-shot
	 * EVP_DigestSign/EVP_DigestVerify (EdDSA's) finishes its context
	 * (openssl/openssl#23075), so the prepared one must stay unused.
	 */
	work = work_ctx();
	if (work == NULL || EVP_MD_CTX_copy_ex(work, prepared) != 1)
		return NULL;
	return work;
}

static void
done_ctx(EVP_MD_CTX *ctx, const EVP_MD_CTX *prepared)
{
	if (ctx != NULL && ctx != prepared)
		EVP_MD_CTX_reset(ctx);
}

static size_t
pkey_sign(const struct key *key, const void *data, size_t len,
    unsigned char sig[KEY_SIG_MAX])
{
	EVP_MD_CTX *ctx = use_ctx(key->sign_ctx);
	unsigned char der[KEY_SIG_MAX];
	size_t n = sizeof(der), out = 0;

	if (ctx == NULL || (size_t)EVP_PKEY_get_size(key->pkey) > sizeof(der))
		goto out;
	if (EVP_DigestSign(ctx, der, &n, data, len) != 1)
		goto out;
	if (key->alg == ALG_ES256) {
		if (key_ecdsa_der_to_jose(der, n, sig))
			out = KEY_ES256_SIG_LEN;
	} else {
		memcpy(sig, der, n);
		out = n;
	}
out:
	done_ctx(ctx, key->sign_ctx);
	return out;
}

static bool
pkey_verify(const struct key *key, const void *data, size_t len,
    const unsigned char *sig, size_t siglen)
{
	unsigned char der[KEY_ES256_DER_MAX];
	EVP_MD_CTX *ctx;
	bool ok;

	if (key->alg == ALG_ES256) {
		/* RFC 7518 §3.4: R || S only; a DER signature is refused here. */
		if (siglen != KEY_ES256_SIG_LEN)
			return false;
		siglen = key_ecdsa_jose_to_der(sig, der);
		if (siglen == 0)
			return false;
		sig = der;
	} else if (siglen != (size_t)EVP_PKEY_get_size(key->pkey)) {
		return false;	/* Ed25519: 64 bytes; RSA: the modulus' length */
	}
	ctx = use_ctx(key->verify_ctx);
	ok = ctx != NULL && EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	done_ctx(ctx, key->verify_ctx);
	return ok;
}

size_t
key_sign(const struct key *key, const void *data, size_t len,
    unsigned char sig[KEY_SIG_MAX])
{
	if (key->pkey == NULL)
		return key->secret != NULL ? key_hmac(key, data, len, sig) : 0;
	return pkey_sign(key, data, len, sig);
}

bool
key_verify(const struct key *key, const void *data, size_t len,
    const unsigned char *sig, size_t siglen)
{
	unsigned char mac[KEY_MAC_MAX];
	size_t mac_len;
	bool ok;

	if (key->pkey != NULL)
		return pkey_verify(key, data, len, sig, siglen);
	if (key->secret == NULL)
		return false;
	mac_len = key_hmac(key, data, len, mac);
	ok = mac_len != 0 && siglen == mac_len &&
	    CRYPTO_memcmp(mac, sig, mac_len) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

/* A BIGNUM parameter of the key, big-endian; pad > 0: exactly that wide. */
static bool
bn_param(const EVP_PKEY *pk, const char *name, size_t pad,
    unsigned char *out, size_t cap, size_t *len)
{
	BIGNUM *bn = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		return false;
	/* RFC 7518 §6.3.1: n and e without leading zero bytes. */
	n = pad > 0 ? BN_bn2binpad(bn, out, (int)pad) :
	    (size_t)BN_num_bytes(bn) <= cap ? BN_bn2bin(bn, out) : -1;
	BN_free(bn);
	if (n <= 0 || (size_t)n > cap)
		return false;
	*len = (size_t)n;
	return true;
}

bool
key_jwk_params(const struct key *key, struct key_jwk *jwk)
{
	size_t n = sizeof(jwk->a);

	if (key->pkey == NULL)
		return false;
	memset(jwk, 0, sizeof(*jwk));
	switch (key->alg) {
	case ALG_EDDSA:	/* RFC 8037 §2: x is the raw public key */
		jwk->kty = "OKP";
		jwk->crv = "Ed25519";
		if (EVP_PKEY_get_raw_public_key(key->pkey, jwk->a, &n) != 1)
			return false;
		jwk->a_len = n;
		return true;
	case ALG_ES256:	/* RFC 7518 §6.2.1: x and y, each the curve's 32 bytes */
		jwk->kty = "EC";
		jwk->crv = "P-256";
		return bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32, jwk->a,
		    sizeof(jwk->a), &jwk->a_len) &&
		    bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32, jwk->b,
		    sizeof(jwk->b), &jwk->b_len);
	case ALG_RS256:
		jwk->kty = "RSA";
		return bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, 0, jwk->a,
		    sizeof(jwk->a), &jwk->a_len) &&
		    bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, 0, jwk->b,
		    sizeof(jwk->b), &jwk->b_len);
	default:
		break;
	}
	return false;
}

static EVP_PKEY *
generate_pkey(enum key_alg alg)
{
	switch (alg) {
	case ALG_EDDSA: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case ALG_ES256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case ALG_RS256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)KEY_RSA_MIN_BITS);
	default:
		break;
	}
	return NULL;
}

bool
key_generate_file(enum key_alg alg, const char *path, char *err,
    size_t errlen)
{
	EVP_PKEY *pk = generate_pkey(alg);
	BIO *bio = NULL;
	bool ok = false;
	int fd = -1;

	if (pk == NULL) {
		snprintf(err, errlen, "cannot generate %s", pkey_kind(alg));
		goto out;
	}
	/* Never overwrite a key: O_EXCL, and mode 0600 from the start. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path,
		    strerror(errno));
		goto out;
	}
	bio = BIO_new_fd(fd, BIO_NOCLOSE);
	/* OpenSSL 3 writes PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted. */
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL,
	    NULL) != 1 || BIO_flush(bio) != 1) {
		snprintf(err, errlen, "cannot write %s", path);
		goto out;
	}
	ok = true;
out:
	BIO_free(bio);
	if (fd >= 0 && close(fd) != 0 && ok) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		ok = false;
	}
	if (!ok && fd >= 0)
		(void)unlink(path);
	EVP_PKEY_free(pk);
	return ok;
}
