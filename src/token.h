/* token: the JWT codec (RFC 7519, JWS compact RFC 7515) shared by issuer and verifier. */
#ifndef ST_TOKEN_H
#define ST_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "ipaddr.h"

#define TOKEN_MAX_LEN 4096	/* longer tokens are refused before decoding */
#define TOKEN_JTI_BYTES 16	/* SPEC 3: at least 128 random bits */

/* What a token grants; the issuer fills it, the verifier reads it back. */
struct claims {
	char sub[ST_NAME_MAX + 1];
	int64_t iat;
	int64_t exp;			/* valid when has_exp */
	bool has_exp;
	char jti[64];
	char azp[ST_NAME_MAX + 1];
	bool live, dvr, copy;
	uint32_t from, to;		/* 0: unbounded */
	char kid[ST_NAME_MAX + 1];	/* from the header, verifier only */
	int64_t nbf;			/* valid when has_nbf */
	bool has_nbf;
	char ip[IP_NET_TEXT_MAX];	/* "": not bound to an address */
	struct ip_net ip_net;		/* ip, parsed (when ip is set) */
	char aud[ST_AUDIENCE_MAX + 1];	/* "": no aud claim */
	bool mediamtx;			/* issuer only: mediamtx_permissions */
};

enum token_status {
	TOKEN_VALID = 0,
	TOKEN_MALFORMED,		/* not three base64url parts of JSON */
	TOKEN_UNKNOWN_KID,
	TOKEN_BAD_ALG,			/* alg absent, none, or not the key's */
	TOKEN_BAD_SIGNATURE,
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID,		/* iat in the future beyond leeway */
	TOKEN_BEFORE_NBF,		/* nbf not reached, beyond leeway */
	TOKEN_BAD_CLAIMS,		/* signed, but claims of the wrong shape */
	TOKEN_BAD_AUDIENCE,		/* aud absent, or not the configured audience */
	TOKEN_NO_MEMORY,		/* could not decide: our fault, not the token's */
};

/* RFC 7515 §2: base64url without padding. */
void base64url_encode(struct buf *out, const void *data, size_t len);
/* Strict: no padding, no stray characters, canonical final bits. */
bool base64url_decode(const char *in, size_t len, unsigned char *out,
    size_t outcap, size_t *outlen);

struct json_object;

/*
 * The claims as the JSON object a token carries (iss when issuer is set),
 * a new json-c object (NULL when out of memory).
 */
struct json_object *token_claims_object(const char *issuer,
    const struct claims *c);

/* jti is base64url (ours) or empty; it ends up in a header line. */
bool token_valid_jti(const char *s);

/* Fills key->jwt_header, the encoded header of the tokens it signs; false when out of memory. */
bool token_prepare_key(struct key *key);

/*
 * Signs a token for c with key (iat, sub, azp, permissions, window, exp set by
 * the caller; jti drawn here). Appends the compact JWS to out.
 */
bool token_sign(const struct key *key, const char *issuer, struct claims *c,
    struct buf *out);

/*
 * Verifies a compact JWS against cfg's keys at time now: signature first,
 * then claims. Fills *c (only on TOKEN_VALID, or a status for which
 * token_refused_by_clock is true: claims authentic but not current).
 */
enum token_status token_verify(const struct config *cfg, const char *token,
    size_t len, int64_t now, struct claims *c);
const char *token_status_reason(enum token_status st);
/* The signature and claims checked out; only the time is wrong (exp, iat, nbf). */
bool token_refused_by_clock(enum token_status st);

/*
 * The claims of a decoded, authenticated payload: TOKEN_VALID,
 * TOKEN_BAD_CLAIMS or TOKEN_NO_MEMORY.
 */
enum token_status token_read_payload(const char *text, size_t n,
    struct claims *c);

#endif
