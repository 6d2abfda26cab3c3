/* auth: bearer-token authentication of API clients, by SHA-256 and CRYPTO_memcmp. */
#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "keys.h"
#include "text.h"

/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool
is_b64token_char(unsigned char c)
{
	/* SPEC 4's name characters are these but '+' and '/': one table load. */
	return text_is_name_char(c) || c == '+' || c == '/';
}

static bool
is_b64token(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && is_b64token_char((unsigned char)s[i]))
		i++;
	if (i == 0)
		return false;
	while (i < len && s[i] == '=')
		i++;
	return i == len;
}

const char *
auth_bearer_token(const char *authorization, size_t max, size_t *len)
{
	const char *tok;
	size_t n;

	if (authorization == NULL)
		return NULL;
	/* RFC 9110 §11.1: the scheme is case-insensitive. */
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	n = strlen(tok);
	while (n > 0 && tok[n - 1] == ' ')
		n--;
	if (n == 0 || n > max || !is_b64token(tok, n))
		return NULL;
	*len = n;
	return tok;
}

enum st_err
auth_bearer(const struct config *cfg, const char *authorization,
    const struct client **client)
{
	unsigned char digest[32];
	const struct client *found = NULL;
	const char *tok;
	size_t len, i;

	/* SPEC 2.1: no bearer credentials at all is not the same as wrong ones. */
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return ST_ERR_NO_CREDENTIALS;
	tok = auth_bearer_token(authorization, AUTH_TOKEN_MAX, &len);
	if (tok == NULL)
		return ST_ERR_BAD_CREDENTIALS;
	key_sha256(tok, len, digest);
	for (i = 0; i < cfg->nclients; i++)
		if (CRYPTO_memcmp(digest, cfg->clients[i].token_sha256, 32) == 0)
			found = &cfg->clients[i];
	OPENSSL_cleanse(digest, sizeof(digest));
	if (found == NULL)
		return ST_ERR_BAD_CREDENTIALS;
	*client = found;
	return ST_OK;
}
