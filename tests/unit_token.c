/* unit_token: base64url, HMAC (RFC 4231), JWS (RFC 7515 A.1), sign and verify. */
#include "unit_fixture.h"

#include <json-c/json.h>

#include "buf.h"
#include "keys.h"
#include "token.h"
#include "tokcache.h"

#define NOW 1700000000		/* 2023-11-14T22:13:20Z: a fixed clock */

static char name_main[] = "main", name_old[] = "old";
static unsigned char secret_main[] = FX_SECRET;
static unsigned char secret_old[] = "old-0123456789abcdef0123456789abcdef";
static unsigned char secret_other[] = "another-secret-of-more-than-32-bytes!!";

/* Keys built by hand: main signs (HS256), old only verifies (HS384). */
static struct key keys[2];
static struct config cfg;

static void
setup(void)
{
	keys[0] = (struct key){.name = name_main, .alg = ALG_HS256,
	    .secret = secret_main, .secret_len = sizeof(secret_main) - 1,
	    .sign = true, .line = 1};
	keys[1] = (struct key){.name = name_old, .alg = ALG_HS384,
	    .secret = secret_old, .secret_len = sizeof(secret_old) - 1,
	    .sign = false, .line = 4};
	token_prepare_key(&keys[0]);
	token_prepare_key(&keys[1]);
	cfg.keys = keys;
	cfg.nkeys = 2;
	cfg.signing_key = &keys[0];
	cfg.leeway = 0;
}

/* ---- base64url ---- */

static bool
hex_to_bytes(const char *hex, unsigned char *out, size_t *n)
{
	size_t i, len = strlen(hex);

	for (i = 0; i + 1 < len; i += 2) {
		unsigned v;
		if (sscanf(hex + i, "%2x", &v) != 1)
			return false;
		out[i / 2] = (unsigned char)v;
	}
	*n = len / 2;
	return true;
}

struct b64_row {
	const char *name;
	const char *raw;
	size_t raw_len;
	const char *enc;
};

/* RFC 4648 §10, without padding (RFC 7515 §2), and the url alphabet's two letters. */
static const struct b64_row b64_rows[] = {
	{"base64url_rfc4648_empty", "", 0, ""},
	{"base64url_rfc4648_f", "f", 1, "Zg"},
	{"base64url_rfc4648_fo", "fo", 2, "Zm8"},
	{"base64url_rfc4648_foo", "foo", 3, "Zm9v"},
	{"base64url_rfc4648_foob", "foob", 4, "Zm9vYg"},
	{"base64url_rfc4648_fooba", "fooba", 5, "Zm9vYmE"},
	{"base64url_rfc4648_foobar", "foobar", 6, "Zm9vYmFy"},
	{"base64url_uses_dash_and_underscore", "\xfb\xff\xbf", 3, "-_-_"},
	{"base64url_encodes_high_bytes_unpadded", "\xff\xfe", 2, "__4"},
	{"base64url_encodes_nul_bytes", "\0\0\0\0", 4, "AAAAAA"},
};

static void
check_b64_row(const void *arg)
{
	const struct b64_row *row = arg;
	unsigned char out[64];
	size_t n = 999;
	struct buf b;

	buf_init(&b);
	base64url_encode(&b, row->raw, row->raw_len);
	EXPECT(!b.failed);
	EXPECT(b.len == strlen(row->enc));
	EXPECT(row->raw_len == 0 || b.data == NULL ||
	    strcmp(b.data, row->enc) == 0);
	if (b.data != NULL && strcmp(b.data, row->enc) != 0)
		printf("#   got %s\n", b.data);
	buf_free(&b);
	EXPECT(base64url_decode(row->enc, strlen(row->enc), out, sizeof(out), &n));
	EXPECT(n == row->raw_len && memcmp(out, row->raw, n) == 0);
}

struct b64_bad_row {
	const char *name;
	const char *in;
	size_t len;
};

static const struct b64_bad_row b64_bad_rows[] = {
	{"base64url_rejects_padding", "Zg==", 4},
	{"base64url_rejects_single_padding", "Zm8=", 4},
	{"base64url_rejects_plus", "-_+_", 4},
	{"base64url_rejects_slash", "-_/_", 4},
	{"base64url_rejects_length_mod4_1", "Zm9vY", 5},
	{"base64url_rejects_one_char", "Z", 1},
	{"base64url_rejects_nonzero_trailing_bits_after_1_byte", "Zh", 2},
	{"base64url_rejects_nonzero_trailing_bits_after_2_bytes", "Zm9", 3},
	{"base64url_rejects_space", "Zm9v Zg", 7},
	{"base64url_rejects_newline", "Zm9v\n", 5},
	{"base64url_rejects_nul_byte", "Zm\0v", 4},
	{"base64url_rejects_non_ascii", "Zm9\xc3", 4},
};

static void
check_b64_bad_row(const void *arg)
{
	const struct b64_bad_row *row = arg;
	unsigned char out[64];
	size_t n = 12345;

	EXPECT(!base64url_decode(row->in, row->len, out, sizeof(out), &n));
	/* The out-parameter is written only on success. */
	EXPECT(n == 12345);
}

static void
base64url_decode_respects_outcap(void)
{
	unsigned char out[8];
	size_t n = 0;

	EXPECT(!base64url_decode("Zm9vYmFy", 8, out, 5, &n));
	EXPECT(base64url_decode("Zm9vYmFy", 8, out, 6, &n) && n == 6);
	EXPECT(!base64url_decode("Zm9vYmE", 7, out, 4, &n));
}

static void
base64url_round_trips_every_byte_value(void)
{
	unsigned char raw[256], back[256];
	size_t i, n = 0, len;
	struct buf b;
	bool ok = true;

	for (i = 0; i < 256; i++)
		raw[i] = (unsigned char)i;
	/* Every length mod 3, so every tail shape. */
	for (len = 0; len <= 256; len++) {
		buf_init(&b);
		base64url_encode(&b, raw + 256 - len, len);
		if (b.len != (len * 4 + 2) / 3 ||
		    (len > 0 && strspn(b.data, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_") != b.len))
			ok = false;
		if (!base64url_decode(b.data != NULL ? b.data : "", b.len, back,
		    sizeof(back), &n) || n != len ||
		    memcmp(back, raw + 256 - len, len) != 0)
			ok = false;
		buf_free(&b);
	}
	EXPECT(ok);
}

/* Six bits at a time, the slow obvious way: the reference for the encoder. */
static void
reference_base64url(const unsigned char *p, size_t len, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t bit, n = 0;

	for (bit = 0; bit < len * 8; bit += 6) {
		unsigned v = 0, k;

		for (k = 0; k < 6; k++) {
			size_t b = bit + k;
			unsigned one = b < len * 8 ?
			    (p[b / 8] >> (7 - b % 8)) & 1u : 0u;
			v = v << 1 | one;
		}
		out[n++] = abc[v];
	}
	out[n] = '\0';
}

static void
base64url_encode_matches_reference_every_length(void)
{
	unsigned char raw[300];
	char want[401];
	size_t i, len;
	struct buf b;
	int bad = 0;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	for (len = 0; len <= sizeof(raw); len++) {
		reference_base64url(raw, len, want);
		buf_init(&b);
		base64url_encode(&b, raw, len);
		if (strcmp(b.data != NULL ? b.data : "", want) != 0)
			bad++;
		buf_free(&b);
	}
	EXPECT(bad == 0);
}

/* Decoded into a heap block of exactly the decoded size (ASan's red zone). */
static void
base64url_decode_exact_outcap_every_length(void)
{
	unsigned char raw[96], *out;
	char enc[130];
	size_t i, len, n;
	int bad = 0;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(255 - i * 7);
	for (len = 1; len <= sizeof(raw); len++) {
		reference_base64url(raw, len, enc);
		out = malloc(len);
		if (out == NULL)
			abort();
		n = 0;
		if (!base64url_decode(enc, strlen(enc), out, len, &n) ||
		    n != len || memcmp(out, raw, len) != 0)
			bad++;
		/* One byte short of room: refused before anything is written. */
		if (base64url_decode(enc, strlen(enc), out, len - 1, &n))
			bad++;
		free(out);
	}
	EXPECT(bad == 0);
}

/* A stray character anywhere, in a word-at-a-time stretch or the tail. */
static void
base64url_decode_refuses_bad_char_at_every_position(void)
{
	static const char stray[] = "=+/.\x80 ";
	unsigned char raw[48], out[64];
	char enc[70];
	size_t i, j, len, n;
	int bad = 0;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 13);
	reference_base64url(raw, sizeof(raw), enc);
	len = strlen(enc);
	for (i = 0; i < len; i++)
		for (j = 0; j < sizeof(stray) - 1; j++) {
			char saved = enc[i];

			enc[i] = stray[j];
			if (base64url_decode(enc, len, out, sizeof(out), &n))
				bad++;
			enc[i] = saved;
		}
	EXPECT(bad == 0);
}

/* ---- HMAC through key_hmac: RFC 4231 ---- */

struct hmac_row {
	const char *name;
	const char *key_hex;		/* NULL: key is key_text */
	const char *key_text;
	const char *data;		/* text, or hex when data_hex */
	bool data_hex;
	enum key_alg alg;
	const char *mac_hex;
};

#define K_0B20 "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
#define K_AA20 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define K_AA131 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaa"
#define D_DD50 \
	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
	"dddddddddddddddddddddddddddddddddddd"
#define D_CD50 \
	"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd" \
	"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
#define T6 "Test Using Larger Than Block-Size Key - Hash Key First"
#define T7 "This is a test using a larger than block-size key and a larger " \
	"than block-size data. The key needs to be hashed before being used " \
	"by the HMAC algorithm."

static const struct hmac_row hmac_rows[] = {
	{"hmac_sha256_rfc4231_case1", K_0B20, NULL, "Hi There", false, ALG_HS256,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{"hmac_sha384_rfc4231_case1", K_0B20, NULL, "Hi There", false, ALG_HS384,
	    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	    "faea9ea9076ede7f4af152e8b2fa9cb6"},
	{"hmac_sha512_rfc4231_case1", K_0B20, NULL, "Hi There", false, ALG_HS512,
	    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
	{"hmac_sha256_rfc4231_case2", NULL, "Jefe", "what do ya want for nothing?",
	    false, ALG_HS256,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{"hmac_sha384_rfc4231_case2", NULL, "Jefe", "what do ya want for nothing?",
	    false, ALG_HS384,
	    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	    "8e2240ca5e69e2c78b3239ecfab21649"},
	{"hmac_sha512_rfc4231_case2", NULL, "Jefe", "what do ya want for nothing?",
	    false, ALG_HS512,
	    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	{"hmac_sha256_rfc4231_case3", K_AA20, NULL, D_DD50, true, ALG_HS256,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	{"hmac_sha256_rfc4231_case4",
	    "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL, D_CD50,
	    true, ALG_HS256,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	{"hmac_sha256_rfc4231_case6", K_AA131, NULL, T6, false, ALG_HS256,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	{"hmac_sha384_rfc4231_case6", K_AA131, NULL, T6, false, ALG_HS384,
	    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	    "0c2ef6ab4030fe8296248df163f44952"},
	{"hmac_sha512_rfc4231_case6", K_AA131, NULL, T6, false, ALG_HS512,
	    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	    "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
	{"hmac_sha256_rfc4231_case7", K_AA131, NULL, T7, false, ALG_HS256,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	{"hmac_sha384_rfc4231_case7", K_AA131, NULL, T7, false, ALG_HS384,
	    "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
	    "a678cc31e799176d3860e6110c46523e"},
	{"hmac_sha512_rfc4231_case7", K_AA131, NULL, T7, false, ALG_HS512,
	    "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
	    "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},
};

static void
check_hmac_row(const void *arg)
{
	const struct hmac_row *row = arg;
	unsigned char secret[256], data[256], want[64], mac[KEY_MAC_MAX];
	size_t secret_len, data_len, want_len, n;
	char name[] = "rfc4231";
	struct key k;

	if (row->key_hex != NULL) {
		EXPECT(hex_to_bytes(row->key_hex, secret, &secret_len));
	} else {
		secret_len = strlen(row->key_text);
		memcpy(secret, row->key_text, secret_len);
	}
	if (row->data_hex) {
		EXPECT(hex_to_bytes(row->data, data, &data_len));
	} else {
		data_len = strlen(row->data);
		memcpy(data, row->data, data_len);
	}
	EXPECT(hex_to_bytes(row->mac_hex, want, &want_len));
	k = (struct key){.name = name, .alg = row->alg, .secret = secret,
	    .secret_len = secret_len, .sign = true};
	n = key_hmac(&k, data, data_len, mac);
	EXPECT(n == want_len);
	EXPECT(n == want_len && memcmp(mac, want, n) == 0);
}

/* ---- RFC 7515 appendix A.1: the HS256 example JWS ---- */

#define A1_KEY "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
#define A1_HEADER "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
#define A1_PAYLOAD "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define A1_SIG "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

static bool
a1_key(struct key *k, unsigned char *secret, size_t cap)
{
	static char name[] = "a1";
	size_t n = 0;

	if (!base64url_decode(A1_KEY, strlen(A1_KEY), secret, cap, &n))
		return false;
	*k = (struct key){.name = name, .alg = ALG_HS256, .secret = secret,
	    .secret_len = n, .sign = true};
	token_prepare_key(k);
	return true;
}

static void
jws_rfc7515_a1_encodes_header_and_payload(void)
{
	static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
	static const char payload[] = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n"
	    " \"http://example.com/is_root\":true}";
	struct buf b;

	buf_init(&b);
	base64url_encode(&b, header, sizeof(header) - 1);
	EXPECT_STR(b.data, A1_HEADER);
	buf_reset(&b);
	base64url_encode(&b, payload, sizeof(payload) - 1);
	EXPECT_STR(b.data, A1_PAYLOAD);
	buf_free(&b);
}

static void
jws_rfc7515_a1_hs256_signature(void)
{
	static const char input[] = A1_HEADER "." A1_PAYLOAD;
	unsigned char secret[128], mac[KEY_MAC_MAX];
	struct key k;
	struct buf b;
	size_t n;

	EXPECT(a1_key(&k, secret, sizeof(secret)));
	EXPECT(k.secret_len == 64);
	n = key_hmac(&k, input, sizeof(input) - 1, mac);
	EXPECT(n == 32);
	buf_init(&b);
	base64url_encode(&b, mac, n);
	EXPECT_STR(b.data, A1_SIG);
	buf_free(&b);
}

/* The A.1 JWS is genuine but names no kid: SPEC 7 refuses it anyway. */
static void
jws_rfc7515_a1_refused_without_kid(void)
{
	static const char tok[] = A1_HEADER "." A1_PAYLOAD "." A1_SIG;
	unsigned char secret[128];
	struct config c1;
	struct claims c;
	struct key k;

	EXPECT(a1_key(&k, secret, sizeof(secret)));
	memset(&c1, 0, sizeof(c1));
	c1.keys = &k;
	c1.nkeys = 1;
	c1.signing_key = &k;
	EXPECT(token_verify(&c1, tok, sizeof(tok) - 1, 1300819000, &c) ==
	    TOKEN_UNKNOWN_KID);
}

/* ---- token_sign ---- */

static void
fill_claims(struct claims *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->sub, "cam-1");
	strcpy(c->azp, "backend");
	c->iat = NOW;
	c->exp = NOW + 3600;
	c->has_exp = true;
	c->live = true;
	c->dvr = true;
	c->copy = false;
	c->from = 1699990000;
	c->to = 1699993600;
}

/* Decodes part idx (0 header, 1 payload) of a compact JWS into a json object. */
static json_object *
jws_part(const char *tok, int idx)
{
	unsigned char raw[4096];
	const char *p = tok, *end;
	size_t n = 0;
	int i;

	for (i = 0; i < idx; i++) {
		p = strchr(p, '.');
		if (p == NULL)
			return NULL;
		p++;
	}
	end = strchr(p, '.');
	if (end == NULL)
		end = p + strlen(p);
	if (!base64url_decode(p, (size_t)(end - p), raw, sizeof(raw) - 1, &n))
		return NULL;
	raw[n] = '\0';
	return json_tokener_parse((const char *)raw);
}

static void
token_sign_then_verify_round_trip(void)
{
	struct claims in, out;
	struct buf tok;

	fill_claims(&in);
	buf_init(&tok);
	EXPECT(token_sign(&keys[0], "media.example.com", &in, &tok));
	EXPECT(tok.len > 0);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &out) == TOKEN_VALID);
	EXPECT_STR(out.sub, "cam-1");
	EXPECT_STR(out.azp, "backend");
	EXPECT_STR(out.kid, "main");
	EXPECT_STR(out.jti, in.jti);
	EXPECT(out.iat == NOW);
	EXPECT(out.has_exp && out.exp == NOW + 3600);
	EXPECT(out.live && out.dvr && !out.copy);
	EXPECT(out.from == 1699990000 && out.to == 1699993600);
	buf_free(&tok);
}

static void
token_sign_header_names_alg_typ_and_kid(void)
{
	unsigned char raw[256];
	struct claims c;
	struct buf tok;
	size_t n = 0;

	fill_claims(&c);
	buf_init(&tok);
	EXPECT(token_sign(&keys[0], NULL, &c, &tok));
	EXPECT(tok.data != NULL && strchr(tok.data, '.') != NULL);
	if (tok.data != NULL && strchr(tok.data, '.') != NULL) {
		EXPECT(base64url_decode(tok.data,
		    (size_t)(strchr(tok.data, '.') - tok.data), raw,
		    sizeof(raw) - 1, &n));
		raw[n] = '\0';
		EXPECT_STR((char *)raw, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"main\"}");
	}
	buf_free(&tok);
}

static void
token_sign_payload_has_spec3_claims(void)
{
	struct claims c;
	struct buf tok;
	json_object *p, *v;

	fill_claims(&c);
	buf_init(&tok);
	EXPECT(token_sign(&keys[0], "media.example.com", &c, &tok));
	p = jws_part(tok.data, 1);
	EXPECT(p != NULL);
	if (p != NULL) {
		EXPECT(json_object_object_get_ex(p, "sub", &v) &&
		    strcmp(json_object_get_string(v), "cam-1") == 0);
		EXPECT(json_object_object_get_ex(p, "iat", &v) &&
		    json_object_get_int64(v) == NOW);
		EXPECT(json_object_object_get_ex(p, "exp", &v) &&
		    json_object_get_int64(v) == NOW + 3600);
		EXPECT(json_object_object_get_ex(p, "iss", &v) &&
		    strcmp(json_object_get_string(v), "media.example.com") == 0);
		EXPECT(json_object_object_get_ex(p, "azp", &v) &&
		    strcmp(json_object_get_string(v), "backend") == 0);
		EXPECT(json_object_object_get_ex(p, "jti", &v) &&
		    json_object_is_type(v, json_type_string));
		EXPECT(json_object_object_get_ex(p, "copy", &v) &&
		    json_object_is_type(v, json_type_boolean) &&
		    !json_object_get_boolean(v));
		EXPECT(json_object_object_get_ex(p, "from", &v) &&
		    json_object_get_int64(v) == 1699990000);
	}
	json_object_put(p);
	buf_free(&tok);
}

/* SPEC 3: exp absent for ttl 0, from/to absent when 0, iss absent when unset. */
static void
token_sign_omits_unset_claims(void)
{
	struct claims c, out;
	struct buf tok;
	json_object *p;

	fill_claims(&c);
	c.has_exp = false;
	c.from = 0;
	c.to = 0;
	buf_init(&tok);
	EXPECT(token_sign(&keys[0], NULL, &c, &tok));
	p = jws_part(tok.data, 1);
	EXPECT(p != NULL);
	EXPECT(!json_object_object_get_ex(p, "exp", NULL));
	EXPECT(!json_object_object_get_ex(p, "iss", NULL));
	EXPECT(!json_object_object_get_ex(p, "from", NULL));
	EXPECT(!json_object_object_get_ex(p, "to", NULL));
	EXPECT(json_object_object_get_ex(p, "live", NULL));
	EXPECT(json_object_object_get_ex(p, "dvr", NULL));
	/* No exp: still valid ten years on. */
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW + 315360000, &out) ==
	    TOKEN_VALID);
	EXPECT(!out.has_exp);
	json_object_put(p);
	buf_free(&tok);
}

static void
token_sign_jti_is_128_random_bits(void)
{
	unsigned char raw[64];
	struct claims a, b;
	struct buf ta, tb;
	size_t n = 0;

	fill_claims(&a);
	fill_claims(&b);
	buf_init(&ta);
	buf_init(&tb);
	EXPECT(token_sign(&keys[0], NULL, &a, &ta));
	EXPECT(token_sign(&keys[0], NULL, &b, &tb));
	EXPECT(base64url_decode(a.jti, strlen(a.jti), raw, sizeof(raw), &n));
	EXPECT(n >= 16);
	EXPECT(strcmp(a.jti, b.jti) != 0);
	EXPECT(ta.data != NULL && tb.data != NULL && strcmp(ta.data, tb.data) != 0);
	buf_free(&ta);
	buf_free(&tb);
}

static void
token_sign_escapes_issuer(void)
{
	struct claims c;
	struct buf tok;
	json_object *p, *v;

	fill_claims(&c);
	buf_init(&tok);
	EXPECT(token_sign(&keys[0], "a \"quoted\" \\ issuer", &c, &tok));
	p = jws_part(tok.data, 1);
	EXPECT(p != NULL);
	EXPECT(json_object_object_get_ex(p, "iss", &v) &&
	    strcmp(json_object_get_string(v), "a \"quoted\" \\ issuer") == 0);
	json_object_put(p);
	buf_free(&tok);
}

/* Key rotation (SPEC 4): a token of a verify-only key stays valid. */
static void
token_verify_accepts_verify_only_key(void)
{
	struct claims c, out;
	struct buf tok;
	json_object *h, *v;

	fill_claims(&c);
	buf_init(&tok);
	EXPECT(token_sign(&keys[1], NULL, &c, &tok));
	h = jws_part(tok.data, 0);
	EXPECT(h != NULL && json_object_object_get_ex(h, "alg", &v) &&
	    strcmp(json_object_get_string(v), "HS384") == 0);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &out) == TOKEN_VALID);
	EXPECT_STR(out.kid, "old");
	json_object_put(h);
	buf_free(&tok);
}

static void
token_sign_appends_to_buffer(void)
{
	struct claims c, out;
	struct buf tok;

	fill_claims(&c);
	buf_init(&tok);
	buf_puts(&tok, "prefix:");
	EXPECT(token_sign(&keys[0], NULL, &c, &tok));
	EXPECT(tok.data != NULL && strncmp(tok.data, "prefix:", 7) == 0);
	EXPECT(tok.len > 7 &&
	    token_verify(&cfg, tok.data + 7, tok.len - 7, NOW, &out) == TOKEN_VALID);
	buf_free(&tok);
}

/* ---- token_verify refusals, on tokens forged by hand ---- */

#define HDR_MAIN "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"main\"}"
#define PAYLOAD_OK "{\"sub\":\"cam-1\",\"iat\":1700000000,\"exp\":1700003600," \
	"\"jti\":\"abc\",\"azp\":\"backend\",\"live\":true,\"dvr\":false,\"copy\":false}"

/* header.payload.MAC, the MAC by secret with alg (which may lie about the header). */
static void
forge(struct buf *out, const char *header, const char *payload,
    const unsigned char *secret, size_t secret_len, enum key_alg alg)
{
	unsigned char mac[KEY_MAC_MAX];
	char name[] = "forger";
	struct key k = {.name = name, .alg = alg,
	    .secret = (unsigned char *)(uintptr_t)secret,
	    .secret_len = secret_len};
	size_t n;

	buf_init(out);
	base64url_encode(out, header, strlen(header));
	buf_append(out, ".", 1);
	base64url_encode(out, payload, strlen(payload));
	n = key_hmac(&k, out->data, out->len, mac);
	buf_append(out, ".", 1);
	base64url_encode(out, mac, n);
}

static enum token_status
verify_forged(const char *header, const char *payload, int64_t now)
{
	struct claims c;
	struct buf tok;
	enum token_status st;

	forge(&tok, header, payload, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	st = token_verify(&cfg, tok.data, tok.len, now, &c);
	buf_free(&tok);
	return st;
}

static void
token_verify_accepts_forged_control(void)
{
	/* The forge helper itself must make valid tokens, or the refusals prove nothing. */
	EXPECT(verify_forged(HDR_MAIN, PAYLOAD_OK, NOW) == TOKEN_VALID);
}

/*
 * Our own tokens skip header decoding (the bytes are the key's); any other
 * spelling of the same header goes the long way and must agree.
 */
static void
token_verify_header_spellings_agree(void)
{
	EXPECT(verify_forged("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"main\"}",
	    PAYLOAD_OK, NOW) == TOKEN_VALID);
	EXPECT(verify_forged("{\"kid\":\"main\",\"alg\":\"HS256\"}",
	    PAYLOAD_OK, NOW) == TOKEN_VALID);
	EXPECT(verify_forged(" {\"typ\":\"JWT\",\"kid\":\"main\",\"alg\":\"HS256\"} ",
	    PAYLOAD_OK, NOW) == TOKEN_VALID);
	EXPECT(verify_forged("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"old\"}",
	    PAYLOAD_OK, NOW) == TOKEN_BAD_ALG);
}

/* The key's own header bytes do not excuse a MAC made with another secret. */
static void
token_verify_known_header_still_checks_mac(void)
{
	struct claims c;
	struct buf tok;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_old, sizeof(secret_old) - 1,
	    ALG_HS256);
	EXPECT(strncmp(tok.data, keys[0].jwt_header, keys[0].jwt_header_len) == 0);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) ==
	    TOKEN_BAD_SIGNATURE);
	buf_free(&tok);
}

#define EVIL "{\"sub\":\"cam-1\",\"iat\":1700000000,\"exp\":1700003600," \
	"\"jti\":\"abc\",\"azp\":\"backend\",\"live\":true,\"dvr\":false,\"copy\":true}"

static void
token_verify_refuses_tampered_payload(void)
{
	struct buf good, evil, tok;
	struct claims c;
	const char *sig;

	forge(&good, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	/* Same header and signature, the payload now grants copy. */
	buf_init(&evil);
	base64url_encode(&evil, EVIL, strlen(EVIL));
	sig = strrchr(good.data, '.');
	buf_init(&tok);
	buf_append(&tok, good.data, (size_t)(strchr(good.data, '.') - good.data) + 1);
	buf_append(&tok, evil.data, evil.len);
	buf_puts(&tok, sig);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_BAD_SIGNATURE);
	EXPECT(!c.copy);
	buf_free(&good);
	buf_free(&evil);
	buf_free(&tok);
}

static void
token_verify_refuses_one_changed_payload_char(void)
{
	struct buf tok;
	struct claims c;
	char *p;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	p = strchr(tok.data, '.') + 5;
	*p = *p == 'A' ? 'B' : 'A';
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_BAD_SIGNATURE);
	buf_free(&tok);
}

static void
token_verify_refuses_tampered_signature(void)
{
	struct buf tok;
	struct claims c;
	char *p;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	p = strrchr(tok.data, '.') + 1;
	*p = *p == 'A' ? 'B' : 'A';
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_BAD_SIGNATURE);
	buf_free(&tok);
}

static void
token_verify_refuses_truncated_signature(void)
{
	struct buf tok;
	struct claims c;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	/* 43 chars → 40: a 30-byte MAC prefix is not the MAC. */
	EXPECT(token_verify(&cfg, tok.data, tok.len - 3, NOW, &c) ==
	    TOKEN_BAD_SIGNATURE);
	buf_free(&tok);
}

static void
token_verify_refuses_empty_signature(void)
{
	struct buf tok;
	struct claims c;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	tok.len = (size_t)(strrchr(tok.data, '.') - tok.data) + 1;
	tok.data[tok.len] = '\0';
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_BAD_SIGNATURE);
	buf_free(&tok);
}

static void
token_verify_refuses_other_secret_same_kid(void)
{
	struct buf tok;
	struct claims c;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_other, sizeof(secret_other) - 1,
	    ALG_HS256);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_BAD_SIGNATURE);
	buf_free(&tok);
}

static void
token_verify_refuses_alg_none(void)
{
	struct buf tok;
	struct claims c;

	buf_init(&tok);
	base64url_encode(&tok, "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"main\"}",
	    strlen("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"main\"}"));
	buf_puts(&tok, ".");
	base64url_encode(&tok, PAYLOAD_OK, strlen(PAYLOAD_OK));
	buf_puts(&tok, ".");
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_BAD_ALG);
	buf_free(&tok);
}

static void
token_verify_refuses_alg_none_even_with_valid_mac(void)
{
	EXPECT(verify_forged("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"main\"}",
	    PAYLOAD_OK, NOW) == TOKEN_BAD_ALG);
}

/* The key pins the algorithm: an HS512 MAC under the HS256 key's kid is refused. */
static void
token_verify_refuses_hs512_on_hs256_key(void)
{
	struct buf tok;
	struct claims c;

	forge(&tok, "{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"main\"}", PAYLOAD_OK,
	    secret_main, sizeof(secret_main) - 1, ALG_HS512);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_BAD_ALG);
	buf_free(&tok);
}

static void
token_verify_refuses_missing_alg(void)
{
	EXPECT(verify_forged("{\"typ\":\"JWT\",\"kid\":\"main\"}", PAYLOAD_OK, NOW) ==
	    TOKEN_BAD_ALG);
}

static void
token_verify_refuses_lowercase_alg(void)
{
	EXPECT(verify_forged("{\"alg\":\"hs256\",\"typ\":\"JWT\",\"kid\":\"main\"}",
	    PAYLOAD_OK, NOW) == TOKEN_BAD_ALG);
}

static void
token_verify_refuses_unknown_kid(void)
{
	EXPECT(verify_forged("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"nope\"}",
	    PAYLOAD_OK, NOW) == TOKEN_UNKNOWN_KID);
}

static void
token_verify_refuses_missing_kid(void)
{
	EXPECT(verify_forged("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", PAYLOAD_OK, NOW) ==
	    TOKEN_UNKNOWN_KID);
}

static void
token_verify_refuses_non_string_kid(void)
{
	EXPECT(verify_forged("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":1}",
	    PAYLOAD_OK, NOW) == TOKEN_UNKNOWN_KID);
}

static void
token_verify_refuses_expired(void)
{
	struct claims c;
	struct buf tok;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	/* RFC 7519 §4.1.4: valid before exp, expired at exp. */
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW + 3599, &c) == TOKEN_VALID);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW + 3600, &c) ==
	    TOKEN_EXPIRED);
	/* Authentic but stale: the claims are still reported. */
	EXPECT_STR(c.sub, "cam-1");
	buf_free(&tok);
}

static void
token_verify_leeway_accepts_recently_expired(void)
{
	struct claims c;
	struct buf tok;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	cfg.leeway = 30;
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW + 3629, &c) == TOKEN_VALID);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW + 3630, &c) ==
	    TOKEN_EXPIRED);
	cfg.leeway = 0;
	buf_free(&tok);
}

static void
token_verify_refuses_issued_in_future(void)
{
	EXPECT(verify_forged(HDR_MAIN, PAYLOAD_OK, NOW - 60) == TOKEN_NOT_YET_VALID);
	cfg.leeway = 60;
	EXPECT(verify_forged(HDR_MAIN, PAYLOAD_OK, NOW - 60) == TOKEN_VALID);
	cfg.leeway = 0;
}

static void
token_verify_refuses_two_parts(void)
{
	struct claims c;
	struct buf tok;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	tok.len = (size_t)(strrchr(tok.data, '.') - tok.data);
	tok.data[tok.len] = '\0';
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_MALFORMED);
	EXPECT(token_verify(&cfg, "abc", 3, NOW, &c) == TOKEN_MALFORMED);
	buf_free(&tok);
}

static void
token_verify_refuses_four_parts(void)
{
	struct claims c;
	struct buf tok;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	buf_puts(&tok, ".AAAA");
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_MALFORMED);
	buf_free(&tok);
}

static void
token_verify_refuses_empty_token(void)
{
	struct claims c;

	EXPECT(token_verify(&cfg, "", 0, NOW, &c) == TOKEN_MALFORMED);
	EXPECT(token_verify(&cfg, "..", 2, NOW, &c) == TOKEN_MALFORMED);
}

/* A correctly signed token longer than TOKEN_MAX_LEN is refused before decoding. */
static void
token_verify_refuses_oversized_token(void)
{
	struct claims c;
	struct buf payload, tok;
	size_t i;

	buf_init(&payload);
	buf_puts(&payload, "{\"sub\":\"cam-1\",\"iat\":1700000000,\"live\":true,"
	    "\"dvr\":false,\"copy\":false,\"pad\":\"");
	for (i = 0; i < 3200; i++)
		buf_puts(&payload, "x");
	buf_puts(&payload, "\"}");
	forge(&tok, HDR_MAIN, payload.data, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	EXPECT(tok.len > TOKEN_MAX_LEN);
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_MALFORMED);
	buf_free(&payload);
	buf_free(&tok);
}

static void
token_verify_refuses_non_json_header(void)
{
	EXPECT(verify_forged("not json at all", PAYLOAD_OK, NOW) == TOKEN_MALFORMED);
}

static void
token_verify_refuses_array_header(void)
{
	EXPECT(verify_forged("[\"HS256\",\"main\"]", PAYLOAD_OK, NOW) ==
	    TOKEN_MALFORMED);
}

static void
token_verify_refuses_header_with_trailing_bytes(void)
{
	EXPECT(verify_forged(HDR_MAIN "x", PAYLOAD_OK, NOW) == TOKEN_MALFORMED);
}

static void
token_verify_refuses_padded_header(void)
{
	struct buf tok, padded;
	struct claims c;
	char *dot;

	/* HDR_MAIN is 40 bytes: padded, its encoding would end in one '='. */
	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	dot = strchr(tok.data, '.');
	buf_init(&padded);
	buf_append(&padded, tok.data, (size_t)(dot - tok.data));
	buf_puts(&padded, "=");
	buf_puts(&padded, dot);
	EXPECT(token_verify(&cfg, padded.data, padded.len, NOW, &c) ==
	    TOKEN_MALFORMED);
	buf_free(&padded);
	buf_free(&tok);
}

static void
token_verify_refuses_nul_byte(void)
{
	struct claims c;
	struct buf tok;

	forge(&tok, HDR_MAIN, PAYLOAD_OK, secret_main, sizeof(secret_main) - 1,
	    ALG_HS256);
	tok.data[3] = '\0';
	EXPECT(token_verify(&cfg, tok.data, tok.len, NOW, &c) == TOKEN_MALFORMED);
	buf_free(&tok);
}

struct claims_row {
	const char *name;
	const char *payload;
};

/* Signed with the right key, but claims of the wrong shape: never trusted. */
static const struct claims_row claims_rows[] = {
	{"token_verify_refuses_missing_sub",
	    "{\"iat\":1700000000,\"live\":true,\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_non_string_sub",
	    "{\"sub\":7,\"iat\":1700000000,\"live\":true,\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_string_permission",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"live\":\"yes\",\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_missing_permission",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"live\":true,\"dvr\":false}"},
	{"token_verify_refuses_string_exp",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"exp\":\"1700003600\",\"live\":true,"
	    "\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_fractional_exp",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"exp\":1700003600.5,\"live\":true,"
	    "\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_negative_exp",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"exp\":-1,\"live\":true,"
	    "\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_from_above_uint32",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"live\":true,\"dvr\":false,"
	    "\"copy\":false,\"from\":4294967296}"},
	/* azp and jti reach Variable- header lines: no CR/LF or other bytes */
	{"token_verify_refuses_azp_with_crlf_header_injection",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"azp\":\"a\\r\\nX-Evil: 1\","
	    "\"live\":true,\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_jti_with_space",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"jti\":\"a b\","
	    "\"live\":true,\"dvr\":false,\"copy\":false}"},
	/* base64 is not base64url: '+', '/' and '=' are refused, at any place. */
	{"token_verify_refuses_jti_with_plus",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"jti\":\"+Ab-_9\","
	    "\"live\":true,\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_jti_with_slash",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"jti\":\"Ab/-_9\","
	    "\"live\":true,\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_jti_with_padding",
	    "{\"sub\":\"cam-1\",\"iat\":1700000000,\"jti\":\"Ab-_9w=\","
	    "\"live\":true,\"dvr\":false,\"copy\":false}"},
	{"token_verify_refuses_non_json_payload", "sub=cam-1"},
	{"token_verify_refuses_array_payload", "[\"cam-1\"]"},
};

static void
check_claims_row(const void *arg)
{
	const struct claims_row *row = arg;

	EXPECT(verify_forged(HDR_MAIN, row->payload, NOW) == TOKEN_BAD_CLAIMS);
}

/*
 * token_read_payload on json-c: our own form, other spellings of the same
 * claims, and the strict refusals (types, NUL, numbers, trailing bytes).
 */
struct payload_row {
	const char *name;
	const char *payload;
	enum token_status status;
	const char *sub;		/* expected on TOKEN_VALID */
	bool live;
};

#define PERMS "\"live\":true,\"dvr\":false,\"copy\":false"
static const struct payload_row payload_rows[] = {
	{"payload_ours_flat", "{\"sub\":\"cam-1\",\"iat\":1700000000,"
	    "\"exp\":1700003600,\"jti\":\"AAAA\",\"azp\":\"backend\"," PERMS
	    ",\"from\":1,\"to\":4294967295}", TOKEN_VALID, "cam-1", true},
	{"payload_with_iss", "{\"iss\":\"https://x.example\",\"sub\":\"cam-1\","
	    PERMS "}", TOKEN_VALID, "cam-1", true},
	{"payload_whitespace", "{ \"sub\" : \"cam-1\",\n\"live\":true,"
	    "\"dvr\":false,\"copy\":false }", TOKEN_VALID, "cam-1", true},
	{"payload_escaped_value", "{\"sub\":\"cam\\u002d1\"," PERMS "}",
	    TOKEN_VALID, "cam-1", true},
	{"payload_escaped_name", "{\"s\\u0075b\":\"cam-1\"," PERMS "}",
	    TOKEN_VALID, "cam-1", true},
	{"payload_utf8_sub", "{\"sub\":\"cam\xc3\xa9ra\"," PERMS "}",
	    TOKEN_VALID, "cam\xc3\xa9ra", true},
	{"payload_del_byte_sub", "{\"sub\":\"cam\x7f\"," PERMS "}",
	    TOKEN_VALID, "cam\x7f", true},
	{"payload_brace_in_string", "{\"sub\":\"a}b\"," PERMS "}",
	    TOKEN_VALID, "a}b", true},
	{"payload_long_string_run", "{\"sub\":\"abcdefghijklmnopqrstuvwxyz0123"
	    "456789\"," PERMS "}", TOKEN_VALID,
	    "abcdefghijklmnopqrstuvwxyz0123456789", true},
	{"payload_duplicate_last_wins", "{\"sub\":\"a\",\"sub\":\"cam-1\","
	    PERMS ",\"live\":false}", TOKEN_VALID, "cam-1", false},
	{"payload_duplicate_last_bad", "{\"sub\":\"cam-1\",\"sub\":7," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_unknown_nested", "{\"x\":{\"a\":[1,{\"b\":null}]},"
	    "\"sub\":\"cam-1\"," PERMS "}", TOKEN_VALID, "cam-1", true},
	{"payload_unknown_null", "{\"x\":null,\"sub\":\"cam-1\"," PERMS "}",
	    TOKEN_VALID, "cam-1", true},
	{"payload_19_digit_iat", "{\"sub\":\"cam-1\",\"iat\":1234567890123456789,"
	    PERMS "}", TOKEN_VALID, "cam-1", true},
	{"payload_20_digit_iat", "{\"sub\":\"cam-1\",\"iat\":18446744073709551617,"
	    PERMS "}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_long_digit_run_in_range", "{\"sub\":\"cam-1\",\"iat\":"
	    "000000000000000000001," PERMS "}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_18_digit_iat", "{\"sub\":\"cam-1\",\"iat\":123456789012345678,"
	    PERMS "}", TOKEN_VALID, "cam-1", true},
	{"payload_zero_from", "{\"sub\":\"cam-1\",\"from\":0," PERMS "}",
	    TOKEN_VALID, "cam-1", true},
	{"payload_leading_zero", "{\"sub\":\"cam-1\",\"from\":01," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_negative", "{\"sub\":\"cam-1\",\"from\":-1," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_exponent", "{\"sub\":\"cam-1\",\"exp\":1e9," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_fraction", "{\"sub\":\"cam-1\",\"exp\":5.0," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_dot_after_int", "{\"sub\":\"cam-1\",\"exp\":5.," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_true_prefix", "{\"sub\":\"cam-1\",\"live\":truex,"
	    "\"dvr\":false,\"copy\":false}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_control_byte", "{\"sub\":\"cam\x01\"," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_trailing_comma", "{\"sub\":\"cam-1\"," PERMS ",}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_trailing_bytes", "{\"sub\":\"cam-1\"," PERMS "}x",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_two_objects", "{\"sub\":\"cam-1\"," PERMS "}{\"a\":1}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_unclosed", "{\"sub\":\"cam-1\"," PERMS,
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_empty_object", "{}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_empty_text", "", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_empty_value", "{\"sub\":\"cam-1\",\"from\":," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_null_permission", "{\"sub\":\"cam-1\",\"live\":null,"
	    "\"dvr\":false,\"copy\":false}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_null_dvr", "{\"sub\":\"cam-1\",\"live\":true,\"dvr\":null,"
	    "\"copy\":false}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_null_from", "{\"sub\":\"cam-1\",\"from\":null," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_nul_escape_in_sub", "{\"sub\":\"cam-1\\u0000x\"," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_nul_escape_in_azp", "{\"sub\":\"cam-1\",\"azp\":\"b\\u0000\","
	    PERMS "}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_nul_escape_in_jti", "{\"sub\":\"cam-1\",\"jti\":\"A\\u0000\","
	    PERMS "}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_19_nines_iat", "{\"sub\":\"cam-1\",\"iat\":9999999999999999999,"
	    PERMS "}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_truncated_true", "{\"live\":t}", TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_truncated_false", "{\"live\":fa}", TOKEN_BAD_CLAIMS, NULL,
	    false},
	{"payload_missing_colon", "{\"sub\" \"cam-1\"," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
	{"payload_bare_name", "{sub:\"cam-1\"," PERMS "}",
	    TOKEN_BAD_CLAIMS, NULL, false},
};
#undef PERMS

static void
check_payload_row(const void *arg)
{
	const struct payload_row *row = arg;
	size_t n = strlen(row->payload);
	struct claims c;
	enum token_status st;

	/* An exact-size heap copy: ASan sees any read past the text. */
	char *text = malloc(n > 0 ? n : 1);

	if (text == NULL)
		abort();
	memcpy(text, row->payload, n);
	memset(&c, 0, sizeof(c));
	st = token_read_payload(text, n, &c);
	free(text);
	EXPECT(st == row->status);
	if (row->status == TOKEN_VALID) {
		EXPECT_STR(c.sub, row->sub);
		EXPECT(c.live == row->live);
	}
}

/*
 * Every single-byte change of our own payload reads as valid claims or
 * bad ones, never as no memory; a valid reading keeps the permissions'
 * types (a changed boolean is refused, not read as false).
 */
static void
payload_every_byte_change_is_judged(void)
{
	static const char base[] = "{\"sub\":\"cam-1\",\"iat\":1700000000,"
	    "\"exp\":1700003600,\"jti\":\"AAAA\",\"azp\":\"backend\","
	    "\"live\":true,\"dvr\":false,\"copy\":false,\"from\":1,\"to\":2}";
	static const char bytes[] = "\"\\{}[],:0123456789-.eE tfnulraxs\x7f\x80\x01";
	char text[sizeof(base)];
	struct claims c;
	enum token_status st;
	size_t i, j;
	int wrong = 0;

	for (i = 0; i < sizeof(base) - 1; i++)
		for (j = 0; j < sizeof(bytes) - 1; j++) {
			memcpy(text, base, sizeof(base));
			text[i] = bytes[j];
			memset(&c, 0, sizeof(c));
			st = token_read_payload(text, sizeof(base) - 1, &c);
			if (st != TOKEN_VALID && st != TOKEN_BAD_CLAIMS)
				wrong++;
			/* A changed letter of "live":true is no boolean. */
			if (st == TOKEN_VALID && i >= 85 && i < 89 &&
			    text[i] != base[i])
				wrong++;
		}
	EXPECT(wrong == 0);
}

static void
token_verify_refuses_129_char_sub(void)
{
	char payload[512], sub[200];

	memset(sub, 's', 129);
	sub[129] = '\0';
	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":1700000000,"
	    "\"live\":true,\"dvr\":false,\"copy\":false}", sub);
	EXPECT(verify_forged(HDR_MAIN, payload, NOW) == TOKEN_BAD_CLAIMS);
}

static void
token_status_reason_names_each_status(void)
{
	int i, j;

	for (i = TOKEN_VALID; i <= TOKEN_BAD_CLAIMS; i++) {
		const char *r = token_status_reason((enum token_status)i);
		EXPECT(r != NULL && *r != '\0');
		for (j = TOKEN_VALID; j < i; j++)
			EXPECT(strcmp(r, token_status_reason((enum token_status)j)) != 0);
	}
	EXPECT_STR(token_status_reason(TOKEN_EXPIRED), "token expired");
}

/* ---- the verified-token cache ---- */

/* cfg with a cache of its own; the caller frees it with tokcache_free. */
static struct config
cached_cfg(void)
{
	struct config c = cfg;

	c.tokcache = tokcache_new();
	return c;
}

static void
signed_token(struct buf *tok, const struct key *key)
{
	struct claims c;

	fill_claims(&c);
	buf_init(tok);
	EXPECT(token_sign(key, NULL, &c, tok));
}

static void
tokcache_remembers_a_verified_token(void)
{
	struct config cc = cached_cfg();
	struct claims first, again, found;
	struct buf tok;

	signed_token(&tok, &keys[0]);
	EXPECT(!tokcache_find(cc.tokcache, tok.data, tok.len, &found));
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &first) == TOKEN_VALID);
	EXPECT(tokcache_find(cc.tokcache, tok.data, tok.len, &found));
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &again) == TOKEN_VALID);
	EXPECT(memcmp(&first, &again, sizeof(first)) == 0);
	EXPECT_STR(again.kid, "main");
	EXPECT_STR(again.sub, "cam-1");
	tokcache_free(cc.tokcache);
	buf_free(&tok);
}

/* A hit skips the MAC, never the clock. */
static void
tokcache_hit_still_judges_exp_and_iat(void)
{
	struct config cc = cached_cfg();
	struct claims c;
	struct buf tok;

	signed_token(&tok, &keys[0]);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW + 3600, &c) ==
	    TOKEN_EXPIRED);
	EXPECT(c.exp == NOW + 3600);	/* claims of an expired token still shown */
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW - 60, &c) ==
	    TOKEN_NOT_YET_VALID);
	tokcache_free(cc.tokcache);
	buf_free(&tok);
}

/* Same slot, same length, one payload byte changed: a miss, then a refusal. */
static void
tokcache_changed_token_is_checked_again(void)
{
	struct config cc = cached_cfg();
	struct claims c;
	struct buf tok;
	char *dot;

	signed_token(&tok, &keys[0]);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	dot = strchr(tok.data, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	EXPECT(!tokcache_find(cc.tokcache, tok.data, tok.len, &c));
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) != TOKEN_VALID);
	EXPECT(!tokcache_find(cc.tokcache, tok.data, tok.len, &c));
	tokcache_free(cc.tokcache);
	buf_free(&tok);
}

/* Refused tokens are never remembered; over-long ones are not either. */
static void
tokcache_keeps_only_valid_short_tokens(void)
{
	static char issuer[257], aud[ST_AUDIENCE_MAX + 1];
	struct config cc = cached_cfg();
	struct claims c;
	struct buf tok;
	char *sig;

	signed_token(&tok, &keys[0]);
	sig = strrchr(tok.data, '.') + 1;
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) ==
	    TOKEN_BAD_SIGNATURE);
	EXPECT(!tokcache_find(cc.tokcache, tok.data, tok.len, &c));
	buf_free(&tok);
	/* over 1,000 characters of claims: valid, but beyond a slot */
	fill_claims(&c);
	memset(c.sub, 'x', ST_NAME_MAX);
	c.sub[ST_NAME_MAX] = '\0';
	memset(issuer, 'i', sizeof(issuer) - 1);
	issuer[sizeof(issuer) - 1] = '\0';
	memset(c.aud, 'a', ST_AUDIENCE_MAX);
	c.aud[ST_AUDIENCE_MAX] = '\0';
	memcpy(aud, c.aud, sizeof(aud));
	cc.audience = aud;
	buf_init(&tok);
	EXPECT(token_sign(&keys[0], issuer, &c, &tok));
	EXPECT(tok.len > 1024);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	EXPECT(!tokcache_find(cc.tokcache, tok.data, tok.len, &c));
	tokcache_free(cc.tokcache);
	buf_free(&tok);
}

/* The configured leeway applies to a cached token as to a new one. */
static void
tokcache_hit_applies_leeway(void)
{
	struct config cc = cached_cfg();
	struct claims c;
	struct buf tok;

	cc.leeway = 30;
	signed_token(&tok, &keys[0]);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	EXPECT(tokcache_find(cc.tokcache, tok.data, tok.len, &c));
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW + 3600 + 29, &c) ==
	    TOKEN_VALID);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW + 3600 + 30, &c) ==
	    TOKEN_EXPIRED);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW - 30, &c) == TOKEN_VALID);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW - 31, &c) ==
	    TOKEN_NOT_YET_VALID);
	tokcache_free(cc.tokcache);
	buf_free(&tok);
}

/* Signed but refused, or signed but expired: asked twice, refused twice. */
static void
tokcache_never_stores_a_refused_signed_token(void)
{
	static const char *const payloads[] = {
		/* no sub: bad claims behind a good MAC */
		"{\"iat\":1700000000,\"exp\":1700003600,\"live\":true,"
		"\"dvr\":false,\"copy\":false}",
		/* live is a string */
		"{\"sub\":\"cam-1\",\"iat\":1700000000,\"live\":\"yes\","
		"\"dvr\":false,\"copy\":false}",
		/* expired an hour before NOW */
		"{\"sub\":\"cam-1\",\"iat\":1699990000,\"exp\":1699996400,"
		"\"live\":true,\"dvr\":false,\"copy\":false}",
	};
	static const enum token_status want[] = {
		TOKEN_BAD_CLAIMS, TOKEN_BAD_CLAIMS, TOKEN_EXPIRED,
	};
	struct config cc = cached_cfg();
	struct claims c;
	struct buf tok;
	size_t i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		forge(&tok, HDR_MAIN, payloads[i], secret_main,
		    sizeof(secret_main) - 1, ALG_HS256);
		EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) == want[i]);
		EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) == want[i]);
		EXPECT(!tokcache_find(cc.tokcache, tok.data, tok.len, &c));
		buf_free(&tok);
	}
	/* A prefix of a cached token is another token. */
	signed_token(&tok, &keys[0]);
	EXPECT(token_verify(&cc, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	EXPECT(!tokcache_find(cc.tokcache, tok.data, tok.len - 1, &c));
	EXPECT(token_verify(&cc, tok.data, tok.len - 1, NOW, &c) ==
	    TOKEN_BAD_SIGNATURE);
	tokcache_free(cc.tokcache);
	buf_free(&tok);
}

/* The cache belongs to one configuration: a reload without the key refuses. */
static void
tokcache_does_not_outlive_its_configuration(void)
{
	struct config before = cached_cfg(), after = cached_cfg();
	struct claims c;
	struct buf tok;

	signed_token(&tok, &keys[1]);	/* "old", verify-only */
	EXPECT(token_verify(&before, tok.data, tok.len, NOW, &c) == TOKEN_VALID);
	after.nkeys = 1;		/* "old" retired */
	EXPECT(token_verify(&after, tok.data, tok.len, NOW, &c) ==
	    TOKEN_UNKNOWN_KID);
	tokcache_free(before.tokcache);
	tokcache_free(after.tokcache);
	buf_free(&tok);
}

int
main(void)
{
	size_t i;

	setup();
	RUN(tokcache_remembers_a_verified_token);
	RUN(tokcache_hit_still_judges_exp_and_iat);
	RUN(tokcache_changed_token_is_checked_again);
	RUN(tokcache_keeps_only_valid_short_tokens);
	RUN(tokcache_does_not_outlive_its_configuration);
	RUN(tokcache_hit_applies_leeway);
	RUN(tokcache_never_stores_a_refused_signed_token);
	for (i = 0; i < sizeof(b64_rows) / sizeof(b64_rows[0]); i++)
		RUN_ROW(b64_rows[i].name, check_b64_row, &b64_rows[i]);
	for (i = 0; i < sizeof(b64_bad_rows) / sizeof(b64_bad_rows[0]); i++)
		RUN_ROW(b64_bad_rows[i].name, check_b64_bad_row, &b64_bad_rows[i]);
	RUN(base64url_decode_respects_outcap);
	RUN(base64url_round_trips_every_byte_value);
	RUN(base64url_encode_matches_reference_every_length);
	RUN(base64url_decode_exact_outcap_every_length);
	RUN(base64url_decode_refuses_bad_char_at_every_position);
	for (i = 0; i < sizeof(hmac_rows) / sizeof(hmac_rows[0]); i++)
		RUN_ROW(hmac_rows[i].name, check_hmac_row, &hmac_rows[i]);
	RUN(jws_rfc7515_a1_encodes_header_and_payload);
	RUN(jws_rfc7515_a1_hs256_signature);
	RUN(jws_rfc7515_a1_refused_without_kid);

	RUN(token_sign_then_verify_round_trip);
	RUN(token_sign_header_names_alg_typ_and_kid);
	RUN(token_sign_payload_has_spec3_claims);
	RUN(token_sign_omits_unset_claims);
	RUN(token_sign_jti_is_128_random_bits);
	RUN(token_sign_escapes_issuer);
	RUN(token_sign_appends_to_buffer);
	RUN(token_verify_accepts_verify_only_key);

	RUN(token_verify_accepts_forged_control);
	RUN(token_verify_header_spellings_agree);
	RUN(token_verify_known_header_still_checks_mac);
	RUN(token_verify_refuses_tampered_payload);
	RUN(token_verify_refuses_one_changed_payload_char);
	RUN(token_verify_refuses_tampered_signature);
	RUN(token_verify_refuses_truncated_signature);
	RUN(token_verify_refuses_empty_signature);
	RUN(token_verify_refuses_other_secret_same_kid);
	RUN(token_verify_refuses_alg_none);
	RUN(token_verify_refuses_alg_none_even_with_valid_mac);
	RUN(token_verify_refuses_hs512_on_hs256_key);
	RUN(token_verify_refuses_missing_alg);
	RUN(token_verify_refuses_lowercase_alg);
	RUN(token_verify_refuses_unknown_kid);
	RUN(token_verify_refuses_missing_kid);
	RUN(token_verify_refuses_non_string_kid);
	RUN(token_verify_refuses_expired);
	RUN(token_verify_leeway_accepts_recently_expired);
	RUN(token_verify_refuses_issued_in_future);
	RUN(token_verify_refuses_two_parts);
	RUN(token_verify_refuses_four_parts);
	RUN(token_verify_refuses_empty_token);
	RUN(token_verify_refuses_oversized_token);
	RUN(token_verify_refuses_non_json_header);
	RUN(token_verify_refuses_array_header);
	RUN(token_verify_refuses_header_with_trailing_bytes);
	RUN(token_verify_refuses_padded_header);
	RUN(token_verify_refuses_nul_byte);
	for (i = 0; i < sizeof(claims_rows) / sizeof(claims_rows[0]); i++)
		RUN_ROW(claims_rows[i].name, check_claims_row, &claims_rows[i]);
	RUN(token_verify_refuses_129_char_sub);
	for (i = 0; i < sizeof(payload_rows) / sizeof(payload_rows[0]); i++)
		RUN_ROW(payload_rows[i].name, check_payload_row, &payload_rows[i]);
	RUN(payload_every_byte_change_is_judged);
	RUN(token_status_reason_names_each_status);
	return tap_done();
}
