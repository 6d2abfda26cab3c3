/* keys: secret and key files, and the signatures made and checked with them. */
#ifndef ST_KEYS_H
#define ST_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define KEY_SECRET_MIN 32	/* SPEC 4: at least 32 bytes of secret */
#define KEY_SECRET_MAX 4096
#define KEY_MAC_MAX 64		/* SHA-512 */
#define KEY_SIG_MAX 1024	/* any signature: RSA 8192 */
#define KEY_RSA_MIN_BITS 2048
#define KEY_RSA_MAX_BITS 8192
#define KEY_ES256_SIG_LEN 64	/* RFC 7518 §3.4: R || S, 32 bytes each */
#define KEY_ES256_DER_MAX 72	/* the same as an ASN.1 ECDSA-Sig-Value */
#define KEY_PEM_MAX 16383	/* an RSA-8192 PKCS#8 PEM is 6.5 KB; + 1 fills 16 KB */

/*
 * Initialises OpenSSL for what this program uses: no openssl.cnf, no error
 * strings, no legacy cipher and digest tables. Call before any other key_*.
 */
bool key_init(void);

/*
 * Reads a secret file: refuses anything but a regular file, a file any
 * user may read, and secrets outside [KEY_SECRET_MIN, KEY_SECRET_MAX] once
 * one trailing newline is dropped. On error writes a message (never the
 * secret) to err and returns false; *secret is written only on success.
 */
bool key_read_secret(const char *path, unsigned char **secret, size_t *len,
    char *err, size_t errlen);
void key_free_secret(unsigned char *secret, size_t len);

/*
 * Precomputes the key's HMAC states so each MAC costs two digest copies;
 * key_hmac works without it too (one-shot HMAC). key_unprepare wipes them.
 */
bool key_prepare(struct key *key);
void key_unprepare(struct key *key);

/* Computes the key's HMAC of data. Returns the MAC length, 0 on failure. */
size_t key_hmac(const struct key *key, const void *data, size_t len,
    unsigned char mac[KEY_MAC_MAX]);

/*
 * Reads a PEM key file for an EdDSA, ES256 or RS256 key: private_key_file
 * (PKCS#8, "BEGIN PRIVATE KEY", not readable by every user) or
 * public_key_file (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY", may be).
 * Refuses a key of another type than key->alg needs and RSA keys outside
 * [KEY_RSA_MIN_BITS, KEY_RSA_MAX_BITS]. On error writes a message (never
 * key material) to err; key->pkey is set only on success.
 */
bool key_load_pem(struct key *key, const char *path, bool private_part,
    char *err, size_t errlen);
/* Frees key->pkey (OpenSSL wipes private parts). */
void key_free_pkey(struct key *key);

/*
 * The JWS signature of data with the key's algorithm: an HMAC, or an
 * EdDSA, ES256 (R || S) or RS256 signature. Returns its length, 0 on
 * failure (a verify-only key cannot sign).
 */
size_t key_sign(const struct key *key, const void *data, size_t len,
    unsigned char sig[KEY_SIG_MAX]);
/* True when sig is the key's valid signature of data (MACs in constant time). */
bool key_verify(const struct key *key, const void *data, size_t len,
    const unsigned char *sig, size_t siglen);

/* RFC 7518 §3.4: OpenSSL's DER ECDSA signature to R || S, and back. */
bool key_ecdsa_der_to_jose(const unsigned char *der, size_t derlen,
    unsigned char jose[KEY_ES256_SIG_LEN]);
size_t key_ecdsa_jose_to_der(const unsigned char jose[KEY_ES256_SIG_LEN],
    unsigned char der[KEY_ES256_DER_MAX]);

/* The public numbers of an asymmetric key, as a JWK states them. */
struct key_jwk {
	const char *kty;		/* OKP, EC or RSA */
	const char *crv;		/* Ed25519, P-256; NULL for RSA */
	unsigned char a[KEY_SIG_MAX];	/* x (OKP, EC) or n (RSA) */
	size_t a_len;
	unsigned char b[64];		/* y (EC) or e (RSA); empty for OKP */
	size_t b_len;
};
bool key_jwk_params(const struct key *key, struct key_jwk *jwk);

/*
 * A new private key for alg (EdDSA, ES256, RS256 of 2048 bits) written
 * as PKCS#8 PEM to a new file of mode 0600 (never over an existing one).
 */
bool key_generate_file(enum key_alg alg, const char *path, char *err,
    size_t errlen);

/* SHA-256 without EVP's per-call fetch (bearer tokens are hashed per request). */
void key_sha256(const void *data, size_t len, unsigned char out[32]);

/*
 * OpenSSL's secure heap (mlock'ed, never in a core or swap, guard pages
 * around it), where secrets and HMAC states are allocated: the size for
 * nkeys keys, and its start. key_secure_heap_start returns 1 when the heap
 * is locked in memory, 2 when it could not be locked (RLIMIT_MEMLOCK), 0
 * when there is none (allocations then fall back to the ordinary heap).
 */
size_t key_secure_heap_size(size_t nkeys);
int key_secure_heap_start(size_t size);
/* Every secret and HMAC state of cfg is in the secure heap (none full). */
bool key_secrets_in_secure_heap(const struct config *cfg);

/* Fills out with n random bytes from OpenSSL's CSPRNG. */
bool key_random(unsigned char *out, size_t n);

#endif
