/*
 * unit_keys: EdDSA, ES256 and RS256 keys end to end in process: sign and
 * verify, R||S <-> DER, the JWKS and its endpoint, audience and MediaMTX
 * claims, and the attacks a public key invites (each its own case).
 */
#include "unit_fixture.h"

#include <time.h>

#include <json-c/json.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "config.h"
#include "jwks.h"
#include "keys.h"
#include "log.h"
#include "respond.h"
#include "service.h"
#include "tokcache.h"
#include "token.h"

#define NOW 1700000000		/* a fixed clock */

static struct fixture fx;
static struct config *cfg;

#define CLIENTS \
	"[client backend]\ntoken_sha256 = " FX_SHA_TEST "\n" \
	"[client mtx]\ntoken_sha256 = " FX_SHA_TEST "\nclaims = mediamtx\n" \
	"audience = mediamtx.example\n"

/* ed signs; es, rs, ed2 could; old has only its public key; hs is HMAC. */
static const char keys_ini[] =
	"[server]\njwks_path = /.well-known/jwks.json\n"
	"[key ed]\nalgorithm = EdDSA\nprivate_key_file = ed.pem\nsign = yes\n"
	"[key es]\nalgorithm = ES256\nprivate_key_file = es.pem\n"
	"[key rs]\nalgorithm = RS256\nprivate_key_file = rs.pem\n"
	"[key ed2]\nalgorithm = EdDSA\nprivate_key_file = ed2.pem\n"
	"[key old]\nalgorithm = ES256\npublic_key_file = old.pub\n"
	"[key hs]\nalgorithm = HS256\nsecret_file = hs.key\n"
	CLIENTS "[stream cam-*]\naccess = private\n";

static struct config *
load(const char *ini)
{
	char err[1024];
	struct config *c = fx_load(&fx, ini, err, sizeof(err));

	if (c == NULL)
		printf("#   %s\n", err);
	return c;
}

static const struct key *
key_named(const char *kid)
{
	return config_find_key(cfg, kid);
}

/* ---- sign and verify ---- */

static void
round_trip(const char *kid, size_t want_len)
{
	static const char msg[] = "header.payload";
	unsigned char sig[KEY_SIG_MAX];
	const struct key *k = key_named(kid);
	size_t n;
	int i;

	EXPECT(k != NULL);
	if (k == NULL)
		return;
	/*
	 * Three times over: a key's prepared contexts serve every request
	 * (OpenSSL 3.2 finishes a context after a one-shot EdDSA sign).
	 */
	for (i = 0; i < 3; i++) {
		n = key_sign(k, msg, sizeof(msg) - 1, sig);
		EXPECT(n == want_len);
		EXPECT(key_verify(k, msg, sizeof(msg) - 1, sig, n));
		EXPECT(!key_verify(k, msg, sizeof(msg) - 2, sig, n));
		sig[n / 2] ^= 1;
		EXPECT(!key_verify(k, msg, sizeof(msg) - 1, sig, n));
	}
}

static void
eddsa_sign_verify_round_trip(void)
{
	round_trip("ed", 64);
}

static void
es256_sign_verify_round_trip_in_jose_form(void)
{
	round_trip("es", KEY_ES256_SIG_LEN);
}

static void
rs256_sign_verify_round_trip(void)
{
	round_trip("rs", 256);
}

static void
hs256_sign_verify_round_trip(void)
{
	round_trip("hs", 32);
}

static void
verify_only_key_cannot_sign(void)
{
	unsigned char sig[KEY_SIG_MAX];

	EXPECT(key_named("old") != NULL && !key_named("old")->has_private);
	EXPECT(key_sign(key_named("old"), "x", 1, sig) == 0);
}

/* ---- RFC 7518 §3.4: R || S and DER ---- */

static void
ecdsa_jose_to_der_pads_and_strips(void)
{
	unsigned char jose[64], der[KEY_ES256_DER_MAX], back[64];
	/* r with its top bit set (DER adds a 0x00), s = 1 (DER drops 31 zeros) */
	static const unsigned char want_head[] = {0x30, 0x26, 0x02, 0x21, 0x00,
	    0x80};
	static const unsigned char want_tail[] = {0x02, 0x01, 0x01};
	size_t n;

	memset(jose, 0, sizeof(jose));
	jose[0] = 0x80;
	jose[31] = 0x7f;
	jose[63] = 0x01;
	n = key_ecdsa_jose_to_der(jose, der);
	EXPECT(n == 40);
	EXPECT(memcmp(der, want_head, sizeof(want_head)) == 0);
	EXPECT(n >= 3 && memcmp(der + n - 3, want_tail, 3) == 0);
	EXPECT(key_ecdsa_der_to_jose(der, n, back));
	EXPECT(memcmp(back, jose, 64) == 0);
}

static void
ecdsa_der_to_jose_refuses_trailing_bytes_and_wide_numbers(void)
{
	unsigned char jose[64], der[KEY_ES256_DER_MAX + 1], out[64];
	/* r of 33 significant bytes cannot be a P-256 signature */
	static const unsigned char wide[] = {0x30, 0x26, 0x02, 0x21, 0x01,
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1, 1, 1, 1, 1, 0x02, 0x01, 0x01};
	size_t n;

	memset(jose, 0x11, sizeof(jose));
	n = key_ecdsa_jose_to_der(jose, der);
	EXPECT(n > 0 && key_ecdsa_der_to_jose(der, n, out));
	der[n] = 0;
	EXPECT(!key_ecdsa_der_to_jose(der, n + 1, out));
	EXPECT(!key_ecdsa_der_to_jose(wide, sizeof(wide), out));
	EXPECT(!key_ecdsa_der_to_jose(der, 0, out));
}

static void
es256_der_signature_refused(void)
{
	static const char msg[] = "header.payload";
	unsigned char sig[KEY_SIG_MAX], der[KEY_ES256_DER_MAX];
	const struct key *k = key_named("es");
	size_t n;

	n = key_sign(k, msg, sizeof(msg) - 1, sig);
	EXPECT(n == 64);
	n = key_ecdsa_jose_to_der(sig, der);
	EXPECT(n > 64);
	/* the same signature, DER-encoded as OpenSSL makes it: not JOSE */
	EXPECT(!key_verify(k, msg, sizeof(msg) - 1, der, n));
}

/* ---- tokens ---- */

static const char payload[] =
	"{\"sub\":\"cam-1\",\"iat\":1700000000,\"exp\":1700003600,\"jti\":\"abc\","
	"\"azp\":\"backend\",\"live\":true,\"dvr\":false,\"copy\":false}";

/* header "." payload "." signature, signed by key (NULL: by mac of mac_key). */
static void
make_token(struct buf *b, const char *header, const struct key *key,
    const void *mac_key, size_t mac_key_len)
{
	unsigned char sig[KEY_SIG_MAX];
	unsigned int mac_len = 0;
	size_t n = 0;

	buf_init(b);
	base64url_encode(b, header, strlen(header));
	buf_puts(b, ".");
	base64url_encode(b, payload, strlen(payload));
	if (key != NULL)
		n = key_sign(key, b->data, b->len, sig);
	else if (mac_key != NULL && HMAC(EVP_sha256(), mac_key, (int)mac_key_len,
	    (const unsigned char *)b->data, b->len, sig, &mac_len) != NULL)
		n = mac_len;
	buf_puts(b, ".");
	base64url_encode(b, sig, n);
}

static enum token_status
verify_made(const char *header, const struct key *key, const void *mac_key,
    size_t mac_key_len)
{
	struct claims c;
	struct buf b;
	enum token_status st;

	make_token(&b, header, key, mac_key, mac_key_len);
	st = token_verify(cfg, b.data, b.len, NOW, &c);
	buf_free(&b);
	return st;
}

static void
token_round_trip(const char *kid, const char *alg)
{
	struct claims c, out;
	struct buf tok;
	char header[128];

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "cam-1");
	snprintf(c.azp, sizeof(c.azp), "backend");
	c.iat = NOW;
	c.exp = NOW + 60;
	c.has_exp = c.live = true;
	buf_init(&tok);
	EXPECT(token_sign(key_named(kid), NULL, &c, &tok));
	EXPECT(token_verify(cfg, tok.data, tok.len, NOW, &out) == TOKEN_VALID);
	EXPECT_STR(out.kid, kid);
	EXPECT(out.live && !out.dvr);
	/* the header names the key's algorithm */
	snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\","
	    "\"kid\":\"%s\"}", alg, kid);
	EXPECT(verify_made(header, key_named(kid), NULL, 0) == TOKEN_VALID);
	buf_free(&tok);
}

static void
eddsa_token_round_trip(void)
{
	token_round_trip("ed", "EdDSA");
}

static void
es256_token_round_trip(void)
{
	token_round_trip("es", "ES256");
}

static void
rs256_token_round_trip(void)
{
	token_round_trip("rs", "RS256");
}

static void
unknown_kid_not_in_jwks_refused(void)
{
	EXPECT(verify_made("{\"alg\":\"EdDSA\",\"kid\":\"gone\"}", key_named("ed"),
	    NULL, 0) == TOKEN_UNKNOWN_KID);
}

static void
signature_from_another_key_refused(void)
{
	/* signed by ed2 (a configured EdDSA key), but naming ed */
	EXPECT(verify_made("{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", key_named("ed2"),
	    NULL, 0) == TOKEN_BAD_SIGNATURE);
}

static void
alg_swap_refused(void)
{
	/* es's own valid signature, under a header claiming another alg */
	EXPECT(verify_made("{\"alg\":\"RS256\",\"kid\":\"es\"}", key_named("es"),
	    NULL, 0) == TOKEN_BAD_ALG);
	EXPECT(verify_made("{\"alg\":\"EdDSA\",\"kid\":\"es\"}", key_named("es"),
	    NULL, 0) == TOKEN_BAD_ALG);
	EXPECT(verify_made("{\"alg\":\"ES256\",\"kid\":\"ed\"}", key_named("ed"),
	    NULL, 0) == TOKEN_BAD_ALG);
}

static void
alg_none_refused(void)
{
	struct claims c;
	struct buf b;

	buf_init(&b);
	base64url_encode(&b, "{\"alg\":\"none\",\"kid\":\"ed\"}", 25);
	buf_puts(&b, ".");
	base64url_encode(&b, payload, strlen(payload));
	buf_puts(&b, ".");
	EXPECT(token_verify(cfg, b.data, b.len, NOW, &c) == TOKEN_BAD_ALG);
	buf_free(&b);
}

/* The whole file's bytes, as a confused verifier would use them for HMAC. */
static size_t
file_bytes(const char *name, char *out, size_t cap)
{
	FILE *fp = fopen(fx_path(&fx, name), "re");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(out, 1, cap, fp);
		fclose(fp);
	}
	return n;
}

static void
hs256_keyed_with_public_key_pem_refused(void)
{
	char pem[4096];
	size_t n = file_bytes("old.pub", pem, sizeof(pem));

	EXPECT(n > 100);
	/* the classic confusion: the public key's PEM used as an HMAC secret */
	EXPECT(verify_made("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"old\"}",
	    NULL, pem, n) == TOKEN_BAD_ALG);
	n = file_bytes("ed.pub", pem, sizeof(pem));
	EXPECT(verify_made("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"ed\"}",
	    NULL, pem, n) == TOKEN_BAD_ALG);
}

/* The JWK of kid in the served JWKS, serialised by json-c. */
static char *
jwk_text(const char *kid)
{
	json_object *doc = json_tokener_parse(cfg->jwks), *keys, *k, *v;
	char *out = NULL;
	size_t i;

	if (doc == NULL || !json_object_object_get_ex(doc, "keys", &keys))
		goto out;
	for (i = 0; i < json_object_array_length(keys); i++) {
		k = json_object_array_get_idx(keys, i);
		if (json_object_object_get_ex(k, "kid", &v) &&
		    strcmp(json_object_get_string(v), kid) == 0)
			out = strdup(json_object_to_json_string_ext(k,
			    JSON_C_TO_STRING_PLAIN));
	}
out:
	json_object_put(doc);
	return out;
}

static void
hs256_keyed_with_jwk_json_refused(void)
{
	char *jwk = jwk_text("rs");

	EXPECT(jwk != NULL);
	if (jwk == NULL)
		return;
	EXPECT(verify_made("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"rs\"}",
	    NULL, jwk, strlen(jwk)) == TOKEN_BAD_ALG);
	free(jwk);
}

static void
verify_only_key_accepts_its_pair(void)
{
	char err[1024];
	struct config *signer;
	struct claims c, out;
	struct buf tok;

	/* the old key, still held privately by the signer of last year */
	signer = load("[key old]\nalgorithm = ES256\nprivate_key_file = old.pem\n"
	    CLIENTS);
	EXPECT(signer != NULL);
	if (signer == NULL)
		return;
	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "cam-1");
	c.iat = NOW;
	buf_init(&tok);
	EXPECT(token_sign(signer->signing_key, NULL, &c, &tok));
	EXPECT(token_verify(cfg, tok.data, tok.len, NOW, &out) == TOKEN_VALID);
	EXPECT_STR(out.kid, "old");
	buf_free(&tok);
	config_free(signer);
	(void)err;
}

static void
eddsa_token_cached_once_verified(void)
{
	struct claims c, out;
	struct buf tok;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "cam-9");
	c.iat = NOW;
	buf_init(&tok);
	EXPECT(token_sign(key_named("ed"), NULL, &c, &tok));
	EXPECT(!tokcache_find(cfg->tokcache, tok.data, tok.len, &out));
	EXPECT(token_verify(cfg, tok.data, tok.len, NOW, &out) == TOKEN_VALID);
	EXPECT(tokcache_find(cfg->tokcache, tok.data, tok.len, &out));
	EXPECT_STR(out.sub, "cam-9");
	/* a forged neighbour is neither cached nor valid */
	tok.data[tok.len - 2] = tok.data[tok.len - 2] == 'A' ? 'B' : 'A';
	EXPECT(token_verify(cfg, tok.data, tok.len, NOW, &out) ==
	    TOKEN_BAD_SIGNATURE);
	EXPECT(!tokcache_find(cfg->tokcache, tok.data, tok.len, &out));
	buf_free(&tok);
}

/* ---- the JWKS ---- */

static bool
member_string(json_object *o, const char *name, const char **out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return false;
	*out = json_object_get_string(v);
	return true;
}

static size_t
b64_len(const char *s)
{
	unsigned char raw[KEY_SIG_MAX];
	size_t n = 0;

	if (!base64url_decode(s, strlen(s), raw, sizeof(raw), &n))
		return 0;
	return n > 0 && raw[0] == 0 ? n + 1000 : n;	/* flags a leading zero */
}

static void
check_jwk(json_object *k, int *seen)
{
	static const char *const private_members[] = {"d", "p", "q", "dp", "dq",
	    "qi", "k", "oth"};
	const char *kid = "", *kty = "", *crv = "", *alg = "", *use = "", *x, *y;
	const char *n, *e;
	size_t i;

	EXPECT(member_string(k, "kid", &kid) && member_string(k, "kty", &kty) &&
	    member_string(k, "alg", &alg) && member_string(k, "use", &use));
	EXPECT_STR(use, "sig");
	for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		EXPECT(!json_object_object_get_ex(k, private_members[i], NULL));
	EXPECT(strcmp(kid, "hs") != 0);
	if (!strcmp(kid, "ed") || !strcmp(kid, "ed2")) {
		EXPECT_STR(kty, "OKP");
		EXPECT(member_string(k, "crv", &crv) && !strcmp(crv, "Ed25519"));
		EXPECT(member_string(k, "x", &x) && b64_len(x) % 1000 == 32);
		EXPECT_STR(alg, "EdDSA");
		*seen |= !strcmp(kid, "ed") ? 1 : 2;
	} else if (!strcmp(kid, "es") || !strcmp(kid, "old")) {
		EXPECT_STR(kty, "EC");
		EXPECT(member_string(k, "crv", &crv) && !strcmp(crv, "P-256"));
		/* RFC 7518 §6.2.1.2: the full 32 bytes, leading zeros kept */
		EXPECT(member_string(k, "x", &x) && b64_len(x) % 1000 == 32);
		EXPECT(member_string(k, "y", &y) && b64_len(y) % 1000 == 32);
		EXPECT_STR(alg, "ES256");
		*seen |= !strcmp(kid, "es") ? 4 : 8;
	} else {
		EXPECT_STR(kid, "rs");
		EXPECT_STR(kty, "RSA");
		/* RFC 7518 §6.3.1: no leading zero byte */
		EXPECT(member_string(k, "n", &n) && b64_len(n) == 256);
		EXPECT(member_string(k, "e", &e) && !strcmp(e, "AQAB"));
		EXPECT(!json_object_object_get_ex(k, "crv", NULL));
		EXPECT_STR(alg, "RS256");
		*seen |= 16;
	}
}

static void
jwks_holds_public_keys_only(void)
{
	json_object *doc = json_tokener_parse(cfg->jwks), *keys = NULL;
	int seen = 0;
	size_t i;

	EXPECT(doc != NULL && json_object_object_get_ex(doc, "keys", &keys));
	EXPECT(keys != NULL && json_object_array_length(keys) == 5);
	for (i = 0; keys != NULL && i < json_object_array_length(keys); i++)
		check_jwk(json_object_array_get_idx(keys, i), &seen);
	/* every asymmetric key, the verify-only one too; never the HMAC one */
	EXPECT(seen == 31);
	EXPECT(strstr(cfg->jwks, "\"hs\"") == NULL);
	json_object_put(doc);
}

static void
jwks_etag_is_quoted_hash(void)
{
	EXPECT(strlen(cfg->jwks_etag) == 24);
	EXPECT(cfg->jwks_etag[0] == '"' && cfg->jwks_etag[23] == '"');
}

static void
jwks_of_hmac_only_config_is_empty(void)
{
	struct config *c = load("[key hs]\nsecret_file = hs.key\n" CLIENTS);

	EXPECT(c != NULL && c->jwks != NULL);
	if (c != NULL)
		EXPECT_STR(c->jwks, "{\"keys\":[]}");
	config_free(c);
}

/* ---- the JWKS endpoint, through service_handle ---- */

/* CGI parameters: name, value, ..., NULL. */
struct fake {
	const char *const *params;
};

static const char *
fake_param(void *ctx, const char *name)
{
	const struct fake *f = ctx;
	size_t i;

	for (i = 0; f->params[i] != NULL; i += 2)
		if (!strcmp(name, f->params[i]))
			return f->params[i + 1];
	return NULL;
}

static int
fake_read(void *ctx, char *buf, int len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static bool
collect(void *ctx, const char *data, size_t len)
{
	buf_append(ctx, data, len);
	return true;
}

/* The CGI response to a request of these parameters. */
static void
serve_params(const char *const *params, struct buf *out)
{
	struct fake f = {params};
	struct request_source src = {fake_param, fake_read, &f, NULL};
	struct request req;

	request_init(&req, cfg, &src);
	service_handle(&req);
	buf_init(out);
	(void)respond_write(&req, collect, out);
	request_free(&req);
}

/* The CGI response to method uri (If-None-Match: inm unless NULL). */
static void
serve(const char *method, const char *uri, const char *inm, struct buf *out)
{
	const char *params[] = {"REQUEST_METHOD", method, "REQUEST_URI", uri,
	    "HTTP_IF_NONE_MATCH", inm, NULL};

	if (inm == NULL)
		params[4] = NULL;
	serve_params(params, out);
}

/* A live token for cam-1 signed by kid, in the media URL's query. */
static void
media_uri(const char *kid, const char *stream, char *uri, size_t cap)
{
	struct claims c;
	struct buf tok;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "cam-1");
	snprintf(c.azp, sizeof(c.azp), "backend");
	c.iat = (int64_t)time(NULL);
	c.live = true;
	buf_init(&tok);
	if (!token_sign(key_named(kid), NULL, &c, &tok))
		tok.len = 0;
	snprintf(uri, cap, "/%s/index.m3u8?token=%.*s", stream, (int)tok.len,
	    tok.data != NULL ? tok.data : "");
	buf_free(&tok);
}

static bool
status_is(const struct buf *r, const char *status)
{
	return r->data != NULL && strncmp(r->data, status, strlen(status)) == 0;
}

/* The FastCGI authorizer and the nginx auth_request sub-request, per algorithm. */
static void
media_checks_accept_every_algorithm(void)
{
	static const char *const kids[] = {"ed", "es", "rs", "hs"};
	char uri[TOKEN_MAX_LEN + 64];
	struct buf r;
	size_t i;

	for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		const char *authz[] = {"FCGI_ROLE", "AUTHORIZER", "REQUEST_METHOD",
		    "GET", "REQUEST_URI", uri, NULL};
		const char *sub[] = {"STREAMTOKEN_MODE", "verify", "STREAMTOKEN_URI",
		    uri, "REQUEST_METHOD", "GET", "REQUEST_URI", "/auth", NULL};

		media_uri(kids[i], "cam-1", uri, sizeof(uri));
		serve_params(authz, &r);
		if (!status_is(&r, "Status: 200"))
			printf("#   %s authorizer: %.60s\n", kids[i], r.data);
		EXPECT(status_is(&r, "Status: 200"));
		buf_free(&r);
		serve_params(sub, &r);
		EXPECT(status_is(&r, "Status: 200"));
		buf_free(&r);
		/* the same token for another stream: authentic, not granted */
		media_uri(kids[i], "cam-2", uri, sizeof(uri));
		serve_params(sub, &r);
		EXPECT(status_is(&r, "Status: 403"));
		buf_free(&r);
	}
}

static void
jwks_get_200_cacheable_with_etag(void)
{
	struct buf r;
	char etag[64];

	serve("GET", "/.well-known/jwks.json", NULL, &r);
	EXPECT(r.data != NULL && strncmp(r.data, "Status: 200 OK\r\n", 16) == 0);
	EXPECT(strstr(r.data, "Content-Type: application/json\r\n") != NULL);
	EXPECT(strstr(r.data, "Cache-Control: public, max-age=300\r\n") != NULL);
	EXPECT(strstr(r.data, "no-store") == NULL);
	snprintf(etag, sizeof(etag), "ETag: %s\r\n", cfg->jwks_etag);
	EXPECT(strstr(r.data, etag) != NULL);
	EXPECT(strstr(r.data, "\r\n\r\n") != NULL &&
	    strcmp(strstr(r.data, "\r\n\r\n") + 4, cfg->jwks) == 0);
	buf_free(&r);
	/* a query string does not change the path */
	serve("GET", "/.well-known/jwks.json?x=1", NULL, &r);
	EXPECT(r.data != NULL && strncmp(r.data, "Status: 200", 11) == 0);
	buf_free(&r);
}

static void
jwks_if_none_match_304_without_body(void)
{
	char list[128];
	struct buf r;

	snprintf(list, sizeof(list), "\"other\", W/%s", cfg->jwks_etag);
	serve("GET", "/.well-known/jwks.json", list, &r);
	EXPECT(r.data != NULL && strncmp(r.data, "Status: 304 Not Modified\r\n",
	    26) == 0);
	EXPECT(strstr(r.data, "ETag: ") != NULL);
	EXPECT(strstr(r.data, "\r\n\r\n") != NULL &&
	    strstr(r.data, "\r\n\r\n")[4] == '\0');
	buf_free(&r);
	serve("GET", "/.well-known/jwks.json", "\"stale\"", &r);
	EXPECT(r.data != NULL && strncmp(r.data, "Status: 200", 11) == 0);
	buf_free(&r);
}

static void
jwks_head_has_headers_no_body(void)
{
	struct buf r;

	serve("HEAD", "/.well-known/jwks.json", NULL, &r);
	EXPECT(r.data != NULL && strncmp(r.data, "Status: 200", 11) == 0);
	EXPECT(strstr(r.data, "ETag: ") != NULL);
	EXPECT(strstr(r.data, "\r\n\r\n") != NULL &&
	    strstr(r.data, "\r\n\r\n")[4] == '\0');
	buf_free(&r);
}

static void
jwks_post_405_allow_get_head(void)
{
	struct buf r;

	serve("POST", "/.well-known/jwks.json", NULL, &r);
	EXPECT(r.data != NULL && strncmp(r.data, "Status: 405", 11) == 0);
	EXPECT(strstr(r.data, "Allow: GET, HEAD\r\n") != NULL);
	EXPECT(strstr(r.data, "-32600") != NULL);
	buf_free(&r);
	/* any other path is the issuing API, as before */
	serve("GET", "/api/", NULL, &r);
	EXPECT(r.data != NULL && strncmp(r.data, "Status: 405", 11) == 0);
	EXPECT(strstr(r.data, "Allow: POST\r\n") != NULL);
	buf_free(&r);
	serve("GET", "/.well-known/jwks.jsonx", NULL, &r);
	EXPECT(r.data != NULL && strstr(r.data, "Allow: POST\r\n") != NULL);
	buf_free(&r);
}

/* ---- audience and MediaMTX claims ---- */

/* The decoded payload of a token signed for client (NULL: the CLI's). */
static void
payload_of(const struct config *c, const char *client, bool live, bool dvr,
    bool copy, char *out, size_t cap, struct buf *tok)
{
	const struct client *cl = client != NULL ? config_find_client(c, client) :
	    NULL;
	struct claims cs;
	const char *d1, *d2;
	size_t n = 0;

	memset(&cs, 0, sizeof(cs));
	snprintf(cs.sub, sizeof(cs.sub), "cam-1");
	cs.iat = NOW;
	cs.live = live;
	cs.dvr = dvr;
	cs.copy = copy;
	if (config_audience_for(c, cl) != NULL)
		snprintf(cs.aud, sizeof(cs.aud), "%s", config_audience_for(c, cl));
	if (cl != NULL) {
		snprintf(cs.azp, sizeof(cs.azp), "%s", cl->name);
		cs.mediamtx = cl->profile == CLAIMS_MEDIAMTX;
	}
	buf_init(tok);
	out[0] = '\0';
	if (!token_sign(c->signing_key, NULL, &cs, tok))
		return;
	d1 = strchr(tok->data, '.');
	d2 = strrchr(tok->data, '.');
	if (base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), (unsigned char *)out,
	    cap - 1, &n))
		out[n] = '\0';
}

static void
mediamtx_permissions_per_grant(void)
{
	char p[2048];
	struct buf tok;
	struct claims c;

	payload_of(cfg, "mtx", true, false, false, p, sizeof(p), &tok);
	EXPECT(strstr(p, ",\"aud\":\"mediamtx.example\",\"mediamtx_permissions\":"
	    "[{\"action\":\"read\",\"path\":\"cam-1\"}]}") != NULL);
	EXPECT(token_verify(cfg, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	buf_free(&tok);
	payload_of(cfg, "mtx", true, true, true, p, sizeof(p), &tok);
	EXPECT(strstr(p, "[{\"action\":\"read\",\"path\":\"cam-1\"},"
	    "{\"action\":\"playback\",\"path\":\"cam-1\"}]") != NULL);
	buf_free(&tok);
	payload_of(cfg, "mtx", false, false, true, p, sizeof(p), &tok);
	EXPECT(strstr(p, "[{\"action\":\"playback\",\"path\":\"cam-1\"}]") != NULL);
	buf_free(&tok);
	/* the standard profile carries neither */
	payload_of(cfg, "backend", true, true, true, p, sizeof(p), &tok);
	EXPECT(p[0] == '{' && strstr(p, "mediamtx") == NULL &&
	    strstr(p, "aud") == NULL);
	buf_free(&tok);
}

static void
audience_must_match_when_configured(void)
{
	struct config *a = load("[server]\naudience = cdn.example\n"
	    "[key ed]\nalgorithm = EdDSA\nprivate_key_file = ed.pem\n" CLIENTS);
	struct config *b = load("[server]\naudience = other.example\n"
	    "[key ed]\nalgorithm = EdDSA\nprivate_key_file = ed.pem\n" CLIENTS);
	struct config *none = load("[key ed]\nalgorithm = EdDSA\n"
	    "private_key_file = ed.pem\n" CLIENTS);
	char p[2048];
	struct buf tok;
	struct claims c;

	EXPECT(a != NULL && b != NULL && none != NULL);
	if (a == NULL || b == NULL || none == NULL)
		goto out;
	payload_of(a, "backend", true, false, false, p, sizeof(p), &tok);
	EXPECT(strstr(p, "\"aud\":\"cdn.example\"") != NULL);
	EXPECT(token_verify(a, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	EXPECT_STR(c.aud, "cdn.example");
	/* another audience, and none where one is wanted: refused */
	EXPECT(token_verify(b, tok.data, tok.len, NOW, &c) == TOKEN_BAD_AUDIENCE);
	EXPECT(token_verify(none, tok.data, tok.len, NOW, &c) ==
	    TOKEN_BAD_AUDIENCE);
	buf_free(&tok);
	payload_of(none, "backend", true, false, false, p, sizeof(p), &tok);
	EXPECT(strstr(p, "aud") == NULL);
	EXPECT(token_verify(a, tok.data, tok.len, NOW, &c) == TOKEN_BAD_AUDIENCE);
	EXPECT_STR(token_status_reason(TOKEN_BAD_AUDIENCE), "audience not accepted");
	buf_free(&tok);
	/* a client's audience overrides the server's, both ways */
	payload_of(a, "mtx", true, false, false, p, sizeof(p), &tok);
	EXPECT(strstr(p, "\"aud\":\"mediamtx.example\"") != NULL);
	EXPECT(token_verify(a, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	buf_free(&tok);
out:
	config_free(a);
	config_free(b);
	config_free(none);
}

static void
public_key_file_may_be_world_readable(void)
{
	struct stat st;

	EXPECT(stat(fx_path(&fx, "old.pub"), &st) == 0 && (st.st_mode & 0004));
	EXPECT(key_named("old") != NULL && key_named("old")->pkey != NULL);
}

/* The JWKS requests' log lines are not this test's output. */
static void
drop_log_line(const char *line, size_t len)
{
	(void)line;
	(void)len;
}

static bool
setup(void)
{
	log_set_writer(drop_log_line);
	if (!fx_init(&fx, "unit_keys"))
		return false;
	fx_write_str(&fx, "hs.key", FX_SECRET, 0600);
	if (!fx_write_new_pkey(&fx, "ed.pem", "ED25519", 0, 0600, "ed.pub") ||
	    !fx_write_new_pkey(&fx, "ed2.pem", "ED25519", 0, 0600, NULL) ||
	    !fx_write_new_pkey(&fx, "es.pem", "P-256", 0, 0600, NULL) ||
	    !fx_write_new_pkey(&fx, "old.pem", "P-256", 0, 0600, "old.pub") ||
	    !fx_write_new_pkey(&fx, "rs.pem", "RSA", 2048, 0600, NULL))
		return false;
	cfg = load(keys_ini);
	return cfg != NULL;
}

int
main(void)
{
	if (!key_init() || !setup()) {
		fx_cleanup(&fx);
		printf("Bail out! cannot create the key fixture\n");
		return 1;
	}
	RUN(eddsa_sign_verify_round_trip);
	RUN(es256_sign_verify_round_trip_in_jose_form);
	RUN(rs256_sign_verify_round_trip);
	RUN(hs256_sign_verify_round_trip);
	RUN(verify_only_key_cannot_sign);
	RUN(ecdsa_jose_to_der_pads_and_strips);
	RUN(ecdsa_der_to_jose_refuses_trailing_bytes_and_wide_numbers);
	RUN(es256_der_signature_refused);
	RUN(eddsa_token_round_trip);
	RUN(es256_token_round_trip);
	RUN(rs256_token_round_trip);
	RUN(unknown_kid_not_in_jwks_refused);
	RUN(signature_from_another_key_refused);
	RUN(alg_swap_refused);
	RUN(alg_none_refused);
	RUN(hs256_keyed_with_public_key_pem_refused);
	RUN(hs256_keyed_with_jwk_json_refused);
	RUN(verify_only_key_accepts_its_pair);
	RUN(eddsa_token_cached_once_verified);
	RUN(jwks_holds_public_keys_only);
	RUN(jwks_etag_is_quoted_hash);
	RUN(jwks_of_hmac_only_config_is_empty);
	RUN(jwks_get_200_cacheable_with_etag);
	RUN(jwks_if_none_match_304_without_body);
	RUN(jwks_head_has_headers_no_body);
	RUN(jwks_post_405_allow_get_head);
	RUN(media_checks_accept_every_algorithm);
	RUN(mediamtx_permissions_per_grant);
	RUN(audience_must_match_when_configured);
	RUN(public_key_file_may_be_world_readable);
	config_free(cfg);
	fx_cleanup(&fx);
	return tap_done();
}
