/* keys: secret files and the HMACs computed with them. */
#ifndef ST_KEYS_H
#define ST_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define KEY_SECRET_MIN 32	/* SPEC 4: at least 32 bytes of secret */
#define KEY_SECRET_MAX 4096
#define KEY_MAC_MAX 64		/* SHA-512 */

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

/* Fills out with n random bytes from OpenSSL's CSPRNG. */
bool key_random(unsigned char *out, size_t n);

#endif
