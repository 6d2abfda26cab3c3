/* pkeygen: a new key pair for the test fixtures, by kind. */
#ifndef ST_PKEYGEN_H
#define ST_PKEYGEN_H

#include <string.h>

#include <openssl/evp.h>

/* kind: ED25519, RSA (of bits), or an EC curve name (P-256, P-384); NULL on failure. */
static inline EVP_PKEY *
pkeygen(const char *kind, size_t bits)
{
	if (strcmp(kind, "ED25519") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (strcmp(kind, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", kind);
}

#endif
