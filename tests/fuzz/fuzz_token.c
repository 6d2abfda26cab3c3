/* fuzz_token: token_verify and the check_decide verification decision for a URL + token (libFuzzer). */
#include "fuzz_common.h"

#include <openssl/hmac.h>

#include "check.h"

/*
 * Input: one mode byte, then "URL\nTOKEN" (bit 0 clear) or
 * "URL\nHEADER-JSON\nPAYLOAD-JSON" (bit 0 set: the harness encodes and signs
 * them, with key main/HS256 or, bit 2, old/HS512, so claim parsing behind the
 * MAC is reached). Bit 1: the token is offered to check_decide only through
 * the URL. Bit 3: now is the real time (minted tokens are current), else a
 * fixed instant. "$0".."$4" become valid minted tokens. With bit 0 set, the
 * payload is also read by token_read_payload alone, which must judge it
 * as token_verify did.
 */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silence_stderr(argc, argv);
	fz_setup("token");
	return 0;
}

/* header.payload.signature, signed here as the issuer would. */
static void
sign_parts(struct buf *tok, const struct buf *header, const struct buf *payload,
    bool old)
{
	const struct key *k = config_find_key(fz_cfg, old ? "old" : "main");
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	base64url_encode(tok, header->data != NULL ? header->data : "", header->len);
	buf_append(tok, ".", 1);
	base64url_encode(tok, payload->data != NULL ? payload->data : "",
	    payload->len);
	if (tok->failed || HMAC(old ? EVP_sha512() : EVP_sha256(), k->secret,
	    (int)k->secret_len, (const unsigned char *)tok->data, tok->len, mac,
	    &maclen) == NULL)
		abort();
	buf_append(tok, ".", 1);
	base64url_encode(tok, mac, maclen);
}

static bool
is_minted(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < FZ_NTOKENS; i++)
		if (fz_tokens[i].len == len && memcmp(fz_tokens[i].data, t, len) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	struct buf url, tok, header, payload;
	struct check_result res;
	struct claims c;
	enum token_status st;
	int64_t now;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	now = (mode & 8) ? (int64_t)time(NULL) : 1700001800;
	buf_init(&url);
	buf_init(&tok);
	buf_init(&header);
	buf_init(&payload);
	fz_take_line(&p, end, &url);
	if (mode & 1) {
		fz_take_line(&p, end, &header);
		fz_expand(&payload, p, (size_t)(end - p));
		sign_parts(&tok, &header, &payload, (mode & 4) != 0);
	} else {
		fz_expand(&tok, p, (size_t)(end - p));
	}
	if (url.failed || tok.failed)
		abort();
	if (tok.data == NULL)
		buf_puts(&tok, "");

	memset(&c, 0, sizeof(c));
	st = token_verify(fz_cfg, tok.data, tok.len, now, &c);
	if ((unsigned)st > TOKEN_BAD_CLAIMS)
		abort();
	/* The verified-token cache must not change a verdict or a claim. */
	{
		struct config plain = *fz_cfg;
		struct claims c2;

		plain.tokcache = NULL;
		if (token_verify(&plain, tok.data, tok.len, now, &c2) != st ||
		    memcmp(&c, &c2, sizeof(c)) != 0)
			abort();
	}
	/* The payload alone reads as valid claims or bad ones, nothing else. */
	if (mode & 1) {
		const char *text = payload.data != NULL ? payload.data : "";
		struct claims alone;
		enum token_status pst;

		memset(&alone, 0, sizeof(alone));
		pst = token_read_payload(text, payload.len, &alone);
		if (pst != TOKEN_VALID && pst != TOKEN_BAD_CLAIMS)
			abort();
		/* A signed token with claims token_verify accepted reads the same. */
		if ((st == TOKEN_VALID || token_refused_by_clock(st)) &&
		    (pst != TOKEN_VALID ||
		    strcmp(alone.sub, c.sub) != 0 || alone.iat != c.iat))
			abort();
	}
	/* Forgery: only the harness's own signatures may verify. */
	if (st == TOKEN_VALID && !(mode & 1) && !is_minted(tok.data, tok.len))
		abort();
	if (token_status_reason(st) == NULL)
		abort();

	check_decide(fz_cfg, url.data != NULL ? url.data : "",
	    (mode & 2) ? NULL : tok.data, now, &res);
	if (res.status != 200 && res.status != 401 && res.status != 403)
		abort();
	if (res.reason == NULL)
		abort();
	/* A private stream opens only with an authentic, current token. */
	if (res.status == 200 && res.routed) {
		const struct stream *s = config_find_stream(fz_cfg, res.match.stream);
		if (s == NULL || (s->is_private && (!res.token_checked ||
		    res.token_status != TOKEN_VALID ||
		    strcmp(res.claims.sub, res.match.stream) != 0)))
			abort();
	}
	if (res.status == 200 && !res.routed)
		abort();

	buf_free(&url);
	buf_free(&tok);
	buf_free(&header);
	buf_free(&payload);
	return 0;
}
