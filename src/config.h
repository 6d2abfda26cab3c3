/*
 * config: the INI file, parsed once into a struct config that is not changed
 * afterwards, except for its cache of verified tokens (tokcache), which
 * token_verify fills, and the revocations it follows (revoke). One
 * request at a time: no lock.
 */
#ifndef ST_CONFIG_H
#define ST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"
#include "route.h"

#define ST_NAME_MAX 128		/* SPEC 4: names are 1 to 128 characters */
#define ST_DEFAULT_CONFIG "/etc/streamtoken/streamtoken.ini"

enum perm {
	PERM_LIVE = 1,
	PERM_DVR = 2,
	PERM_COPY = 4,
	PERM_ALL = PERM_LIVE | PERM_DVR | PERM_COPY
};

enum key_alg { ALG_HS256, ALG_HS384, ALG_HS512, ALG_EDDSA, ALG_ES256, ALG_RS256 };

/* Extra claims a client's tokens carry for another verifier. */
enum claims_profile { CLAIMS_PLAIN, CLAIMS_MEDIAMTX };

#define ST_AUDIENCE_MAX 256

struct key_hmac_state;
struct evp_pkey_st;		/* OpenSSL's EVP_PKEY */
struct evp_md_ctx_st;		/* OpenSSL's EVP_MD_CTX */

struct key {
	char *name;			/* the JWT kid */
	enum key_alg alg;
	unsigned char *secret;		/* wiped when freed */
	size_t secret_len;
	bool sign;
	unsigned line;
	struct key_hmac_state *hmac;	/* precomputed, wiped when freed */
	/* EdDSA, ES256, RS256: the key pair, or the public key alone. */
	struct evp_pkey_st *pkey;
	bool has_private;
	/* Initialised once at load (keys.c): each use copies, never fetches. */
	struct evp_md_ctx_st *sign_ctx, *verify_ctx;
	/* base64url of the JWT header this key signs with, and its length */
	char jwt_header[256];
	size_t jwt_header_len;
};

struct client {
	char *name;
	unsigned char token_sha256[32];
	char **streams;			/* glob patterns */
	size_t nstreams;
	bool may_revoke;		/* Auth.RevokeTokens */
	char *audience;			/* NULL: the server's */
	enum claims_profile profile;
	unsigned line;
};

struct stream {
	char *name;			/* a uid, or a glob */
	bool is_glob;
	bool is_private;
	unsigned allow;			/* enum perm bits */
	uint32_t max_ttl;		/* valid when has_max_ttl */
	bool has_max_ttl;
	bool bind_ip;			/* tokens must carry an ip claim */
	unsigned line;
};

struct config {
	char *path;
	char *issuer;			/* NULL: no iss claim */
	char *audience;			/* NULL: no aud claim, none accepted */
	char *jwks_path;		/* NULL: no JWKS served */
	uint32_t default_ttl;
	uint32_t max_ttl;		/* 0: no cap */
	bool allow_unlimited;
	size_t max_body;
	size_t max_batch;
	uint32_t leeway;		/* seconds of clock skew when checking exp */
	char *url_prefix;		/* media URLs live under it; NULL = "/" */
	uint32_t live_window;		/* seconds a timed segment stays "live" */

	struct key *keys;
	size_t nkeys;
	const struct key *signing_key;

	struct client *clients;
	size_t nclients;

	struct stream *streams;		/* in file order, exact and glob */
	size_t nstreams;
	uint32_t *stream_index;		/* open addressing: index + 1, 0 = empty */
	size_t stream_index_size;	/* a power of two */
	uint32_t *globs;		/* indexes of glob sections, in file order */
	size_t nglobs;

	struct route *routes;		/* [route] sections in file order, then built-ins */
	size_t nroutes;

	/* The JWKS of the asymmetric keys (jwks.c), built once per load. */
	char *jwks;
	size_t jwks_len;
	char jwks_etag[32];		/* a quoted entity tag */

	/* Tokens verified with this configuration's keys (token_verify). */
	struct tokcache *tokcache;

	/* Proxies whose X-Forwarded-For is believed (a token's ip claim). */
	struct ip_net *trusted_proxies;
	size_t ntrusted_proxies;

	/* Revoked tokens: the file every process follows (NULL: none). */
	char *revocation_file;
	struct revoke *revoke;
};

/*
 * Reads and checks the file. On error returns NULL and writes
 * "FILE:LINE: message" to err.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *cfg);

/* The path given by -c, else $STREAMTOKEN_CONFIG, else the default. */
const char *config_default_path(const char *opt_path);

/* SPEC 4: the exact section, else the first glob in file order, else NULL. */
const struct stream *config_find_stream(const struct config *cfg, const char *uid);
const struct key *config_find_key(const struct config *cfg, const char *kid);
const struct client *config_find_client(const struct config *cfg,
    const char *name);
bool config_client_may_use(const struct client *client, const char *uid);

/*
 * The longest ttl a token minted under cfg can have (the largest max_ttl
 * of the server and every stream), 0 when some token may live for ever.
 */
uint32_t config_longest_ttl(const struct config *cfg);

/* The azp of tokens the operator mints without --client (streamtoken mint). */
#define CONFIG_OPERATOR_AZP "cli"

/* SPEC 4: 1..128 characters from A-Z a-z 0-9 . _ ~ - */
bool config_valid_name(const char *s, size_t len);

const char *config_alg_name(enum key_alg alg);
bool config_alg_is_hmac(enum key_alg alg);

/* The aud claim of tokens for a client: its own audience, else the server's. */
const char *config_audience_for(const struct config *cfg,
    const struct client *client);

#endif
