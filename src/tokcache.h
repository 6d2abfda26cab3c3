/* tokcache: tokens whose MAC was verified, so a player's next segment skips the work. */
#ifndef ST_TOKCACHE_H
#define ST_TOKCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

struct tokcache;

/* An empty cache; its slots are allocated by the first tokcache_put. */
struct tokcache *tokcache_new(void);

/*
 * The claims of a token verified before with this configuration, or false.
 * The token is compared in full and in constant time: a hit proves the
 * caller holds exactly that token. The caller still judges exp and iat.
 */
bool tokcache_find(struct tokcache *cache, const char *token, size_t len,
    struct claims *c);

/* Remembers a token whose MAC and claims checked out (best effort). */
void tokcache_put(struct tokcache *cache, const char *token, size_t len,
    const struct claims *c);

/* Wipes and frees the cache (on reload and exit; NULL is fine). */
void tokcache_free(struct tokcache *cache);

#endif
