/* unit_regress: one named case per fuzzing finding, so a fixed bug stays fixed. */
#include "unit_fixture.h"

#include <openssl/hmac.h>

#include "buf.h"
#include "check.h"
#include "config.h"
#include "request.h"
#include "respond.h"
#include "service.h"
#include "token.h"

static struct fixture fx;
static struct config *cfg;

#define NOW 1700001800

/* header.payload.MAC with the fixture key: what only the key holder can make. */
static void
sign_parts(struct buf *tok, const char *header, const char *payload)
{
	const struct key *k = config_find_key(cfg, "main");
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	base64url_encode(tok, header, strlen(header));
	buf_append(tok, ".", 1);
	base64url_encode(tok, payload, strlen(payload));
	HMAC(EVP_sha256(), k->secret, (int)k->secret_len,
	    (const unsigned char *)tok->data, tok->len, mac, &maclen);
	buf_append(tok, ".", 1);
	base64url_encode(tok, mac, maclen);
}

/*
 * fuzz_token, first minute: an authentic token whose sub is not a valid
 * stream name (SPEC 4) verifies, but must never open the stream whose
 * name it resembles.
 */
static void
regress_authentic_token_with_malformed_sub_opens_nothing(void)
{
	struct check_result res;
	struct buf tok;

	buf_init(&tok);
	sign_parts(&tok, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"main\"}",
	    "{\"sub\":\"came<ra-1\",\"iat\":1700000000,\"jti\":\"x\",\"azp\":\"b\","
	    "\"live\":true,\"dvr\":true,\"copy\":true}");
	EXPECT(!tok.failed);
	check_decide(cfg, "/camera-1/index.m3u8", tok.data, NOW, &res);
	EXPECT(res.status == 403);
	check_decide(cfg, "/came<ra-1/index.m3u8", tok.data, NOW, &res);
	EXPECT(res.status != 200);
	buf_free(&tok);
}

int
main(void)
{
	char err[512];

	if (!fx_init(&fx, "regress")) {
		printf("Bail out! no temp dir\n");
		return 1;
	}
	fx_write_str(&fx, "main.key", FX_SECRET "\n", 0600);
	cfg = fx_load(&fx, "[key main]\nsecret_file = main.key\n"
	    "[client backend]\ntoken_sha256 = " FX_SHA_TEST "\n"
	    "[stream camera-1]\naccess = private\n", err, sizeof(err));
	if (cfg == NULL) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	RUN(regress_authentic_token_with_malformed_sub_opens_nothing);
	config_free(cfg);
	fx_cleanup(&fx);
	return tap_done();
}
