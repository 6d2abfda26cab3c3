/* tokcache: a small direct-mapped cache of verified tokens, owned by one configuration. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tokcache.h"

/*
 * An HLS or DASH player asks for a segment every few seconds with the same
 * token; most authorizer requests carry a token already checked. 64 slots
 * of 1024 bytes (an RS256 token of a 2048-bit key fits) hold the tokens of
 * that many viewers at once; longer tokens (large issuers, long names, RSA
 * keys above 4096 bits) are simply not cached.
 */
#define TOKCACHE_SLOTS 64
#define TOKCACHE_TOKEN_MAX 1024

struct slot {
	size_t len;			/* 0: empty */
	char token[TOKCACHE_TOKEN_MAX];
	struct claims claims;
};

struct tokcache {
	struct slot *slots;		/* TOKCACHE_SLOTS, or NULL until needed */
};

struct tokcache *
tokcache_new(void)
{
	return calloc(1, sizeof(struct tokcache));
}

/*
 * The slot of a token: its last bytes are the MAC, which a valid token's
 * signer made unpredictable. A forger can pick the slot of a bogus token,
 * but bogus tokens are never stored, so that only costs it a miss.
 */
static struct slot *
slot_of(struct tokcache *cache, const char *token, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i = len > 16 ? len - 16 : 0;

	for (; i < len; i++)
		h = (h ^ (unsigned char)token[i]) * 16777619u;
	return &cache->slots[h % TOKCACHE_SLOTS];
}

bool
tokcache_find(struct tokcache *cache, const char *token, size_t len,
    struct claims *c)
{
	struct slot *s;

	if (cache == NULL || cache->slots == NULL || len == 0 ||
	    len > TOKCACHE_TOKEN_MAX)
		return false;
	s = slot_of(cache, token, len);
	/* Constant time: a probe must not learn a cached token byte by byte. */
	if (s->len != len || CRYPTO_memcmp(s->token, token, len) != 0)
		return false;
	memcpy(c, &s->claims, sizeof(*c));
	return true;
}

void
tokcache_put(struct tokcache *cache, const char *token, size_t len,
    const struct claims *c)
{
	struct slot *s;

	if (cache == NULL || len == 0 || len > TOKCACHE_TOKEN_MAX)
		return;
	/* Allocated on first use: an issuing-only process never pays for it. */
	if (cache->slots == NULL &&
	    (cache->slots = calloc(TOKCACHE_SLOTS, sizeof(struct slot))) == NULL)
		return;
	s = slot_of(cache, token, len);
	OPENSSL_cleanse(s, sizeof(*s));	/* no tail of the token it replaces */
	memcpy(s->token, token, len);
	s->len = len;
	memcpy(&s->claims, c, sizeof(*c));
}

void
tokcache_free(struct tokcache *cache)
{
	if (cache == NULL)
		return;
	/* Cached tokens are live bearer credentials. */
	if (cache->slots != NULL) {
		OPENSSL_cleanse(cache->slots, TOKCACHE_SLOTS * sizeof(struct slot));
		free(cache->slots);
	}
	free(cache);
}
