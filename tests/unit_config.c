/* unit_config: config_load (every error path, with its line) and the lookups. */
#include "unit_fixture.h"

#include <errno.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "keys.h"
#include "revoke.h"
#include "text.h"

static struct fixture fx;

#define KEY "[key main]\nsecret_file = main.key\n"
#define CLIENT "[client backend]\ntoken_sha256 = " FX_SHA_TEST "\n"
#define HEX63 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"

/* 31, 32 and 4097 bytes: either side of the SPEC 4 limits. */
#define S31 "0123456789abcdef0123456789abcde"
#define S32 "0123456789abcdef0123456789abcdef"

/* ---- error paths: one row per message; the line is where the fault is ---- */

struct bad_row {
	const char *name;
	const char *ini;
	unsigned line;
	const char *msg;
};

static const struct bad_row bad_rows[] = {
	{"config_rejects_unknown_section", KEY CLIENT "[bogus]\n", 5,
	    "unknown section [bogus]"},
	{"config_rejects_unknown_server_key",
	    "[server]\nissuer = x\nttl = 60\n" KEY CLIENT, 3,
	    "unknown key ttl in [server]"},
	{"config_rejects_unknown_key_key",
	    "[key main]\nsecret_file = main.key\nalgo = HS256\n" CLIENT, 3,
	    "unknown key algo in [key main]"},
	{"config_rejects_unknown_client_key",
	    KEY CLIENT "stream = cam-1\n", 5,
	    "unknown key stream in [client backend]"},
	{"config_rejects_unknown_stream_key",
	    KEY CLIENT "[stream cam-1]\naccess = private\nallowed = live\n", 7,
	    "unknown key allowed in [stream cam-1]"},
	{"config_error_line_counts_comments_and_blanks",
	    "; one\n# two\n\n   ; four\n[server]\nbogus = 1\n" KEY CLIENT, 6,
	    "unknown key bogus in [server]"},
	{"config_rejects_non_integer_default_ttl",
	    "[server]\ndefault_ttl = abc\n" KEY CLIENT, 2,
	    "default_ttl must be an unsigned integer"},
	{"config_rejects_negative_default_ttl",
	    "[server]\ndefault_ttl = -1\n" KEY CLIENT, 2,
	    "default_ttl must be an unsigned integer"},
	{"config_rejects_plus_signed_default_ttl",
	    "[server]\ndefault_ttl = +60\n" KEY CLIENT, 2,
	    "default_ttl must be an unsigned integer"},
	{"config_rejects_fractional_default_ttl",
	    "[server]\ndefault_ttl = 60.5\n" KEY CLIENT, 2,
	    "default_ttl must be an unsigned integer"},
	{"config_rejects_hex_default_ttl",
	    "[server]\ndefault_ttl = 0x3c\n" KEY CLIENT, 2,
	    "default_ttl must be an unsigned integer"},
	{"config_rejects_empty_default_ttl",
	    "[server]\ndefault_ttl =\n" KEY CLIENT, 2,
	    "default_ttl must be an unsigned integer"},
	{"config_rejects_default_ttl_above_uint32",
	    "[server]\ndefault_ttl = 4294967296\n" KEY CLIENT, 2,
	    "default_ttl must be between 0 and 4294967295"},
	{"config_rejects_default_ttl_above_uint64",
	    "[server]\ndefault_ttl = 18446744073709551616\n" KEY CLIENT, 2,
	    "default_ttl must be an unsigned integer"},
	{"config_rejects_max_ttl_above_uint32",
	    "[server]\nmax_ttl = 4294967296\n" KEY CLIENT, 2,
	    "max_ttl must be between 0 and 4294967295"},
	{"config_rejects_max_body_below_64",
	    "[server]\nmax_body = 63\n" KEY CLIENT, 2,
	    "max_body must be between 64 and 16777216"},
	{"config_rejects_max_body_above_16m",
	    "[server]\nmax_body = 16777217\n" KEY CLIENT, 2,
	    "max_body must be between 64 and 16777216"},
	{"config_rejects_max_batch_zero",
	    "[server]\nmax_batch = 0\n" KEY CLIENT, 2,
	    "max_batch must be between 1 and 10000"},
	{"config_rejects_max_batch_above_10000",
	    "[server]\nmax_batch = 10001\n" KEY CLIENT, 2,
	    "max_batch must be between 1 and 10000"},
	{"config_rejects_leeway_above_3600",
	    "[server]\nleeway = 3601\n" KEY CLIENT, 2,
	    "leeway must be between 0 and 3600"},
	{"config_rejects_empty_issuer",
	    "[server]\nissuer =\n" KEY CLIENT, 2,
	    "issuer must be 1 to 256 characters"},
	{"config_rejects_url_prefix_without_leading_slash",
	    "[server]\nurl_prefix = media\n" KEY CLIENT, 2,
	    "url_prefix must be a path like /media"},
	{"config_rejects_url_prefix_with_trailing_slash",
	    "[server]\nurl_prefix = /media/\n" KEY CLIENT, 2,
	    "url_prefix must be a path like /media"},
	{"config_rejects_url_prefix_with_double_slash",
	    "[server]\nurl_prefix = /a//b\n" KEY CLIENT, 2,
	    "url_prefix must be a path like /media"},
	{"config_rejects_url_prefix_with_percent",
	    "[server]\nurl_prefix = /med%69a\n" KEY CLIENT, 2,
	    "url_prefix must be a path like /media"},
	{"config_rejects_bad_boolean_allow_unlimited",
	    "[server]\nallow_unlimited = maybe\n" KEY CLIENT, 2,
	    "allow_unlimited must be yes or no"},
	{"config_rejects_bad_boolean_sign",
	    "[key main]\nsecret_file = main.key\nsign = y\n" CLIENT, 3,
	    "sign must be yes or no"},
	{"config_rejects_trusted_proxy_hostname",
	    "[server]\ntrusted_proxies = 10.0.0.0/8, cdn.example\n" KEY CLIENT, 2,
	    "trusted_proxies: 'cdn.example' is not an IPv4 or IPv6 address"},
	{"config_rejects_trusted_proxy_bad_prefix",
	    "[server]\ntrusted_proxies = 10.0.0.0/33\n" KEY CLIENT, 2,
	    "trusted_proxies: '10.0.0.0/33'"},
	{"config_rejects_empty_trusted_proxies",
	    "[server]\ntrusted_proxies =\n" KEY CLIENT, 2,
	    "trusted_proxies must not be empty"},
	{"config_rejects_issuer_not_ascii",
	    "[server]\nissuer = caf\xe9\n" KEY CLIENT, 2,
	    "issuer must be printable ASCII"},
	{"config_rejects_issuer_with_control_character",
	    "[server]\nissuer = a\x01b\n" KEY CLIENT, 2,
	    "issuer must be printable ASCII"},
	{"config_rejects_reserved_client_name_cli",
	    KEY "[client cli]\ntoken_sha256 = " FX_SHA_TEST "\n", 3,
	    "client name cli is reserved"},
	{"config_rejects_empty_revocation_file",
	    "[server]\nrevocation_file =\n" KEY CLIENT, 2,
	    "revocation_file must not be empty"},
	{"config_rejects_revocation_file_that_is_a_folder",
	    "[server]\nrevocation_file = .\n" KEY CLIENT, 2,
	    "not a regular file"},
	{"config_rejects_revocation_file_twice",
	    "[server]\nrevocation_file = a\nrevocation_file = b\n" KEY CLIENT, 3,
	    "revocation_file"},
	{"config_rejects_bad_boolean_may_revoke",
	    KEY CLIENT "may_revoke = sure\n", 5,
	    "may_revoke must be yes or no"},
	{"config_rejects_unknown_algorithm",
	    "[key main]\nalgorithm = PS256\nsecret_file = main.key\n" CLIENT, 2,
	    "algorithm must be HS256, HS384, HS512, EdDSA, ES256 or RS256"},
	{"config_rejects_algorithm_none",
	    "[key main]\nalgorithm = none\nsecret_file = main.key\n" CLIENT, 2,
	    "algorithm must be HS256, HS384, HS512, EdDSA, ES256 or RS256"},
	{"config_rejects_lowercase_algorithm",
	    "[key main]\nalgorithm = hs256\nsecret_file = main.key\n" CLIENT, 2,
	    "algorithm must be HS256, HS384, HS512, EdDSA, ES256 or RS256"},
	{"config_rejects_secret_file_for_rs256",
	    "[key main]\nalgorithm = RS256\nsecret_file = main.key\n" CLIENT, 3,
	    "secret_file is for HS256, HS384 and HS512 keys; RS256 reads "
	    "private_key_file"},
	{"config_rejects_secret_file_for_eddsa_after_it",
	    "[key main]\nsecret_file = main.key\nalgorithm = EdDSA\n" CLIENT, 2,
	    "secret_file is for HS256, HS384 and HS512 keys; EdDSA reads"},
	{"config_rejects_private_key_file_for_hmac",
	    "[key main]\nalgorithm = HS256\nprivate_key_file = ed.pem\n" CLIENT, 3,
	    "private_key_file is for EdDSA, ES256 and RS256 keys; HS256 reads "
	    "secret_file"},
	{"config_rejects_public_key_file_for_hmac",
	    "[key main]\npublic_key_file = ed.pub\nsecret_file = main.key\n"
	    CLIENT, 2, "public_key_file is for EdDSA, ES256 and RS256 keys"},
	{"config_rejects_bad_pem",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = bad.pem\n" CLIENT, 3,
	    "bad PEM"},
	{"config_rejects_key_file_that_is_not_pem",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = main.key\n" CLIENT,
	    3, "is not a PEM file"},
	{"config_rejects_ed25519_key_for_es256",
	    "[key main]\nalgorithm = ES256\nprivate_key_file = ed.pem\n" CLIENT, 3,
	    "holds a key of type ED25519; ES256 needs an EC P-256 key"},
	{"config_rejects_p384_key_for_es256",
	    "[key main]\nalgorithm = ES256\nprivate_key_file = p384.pem\n" CLIENT,
	    3, "holds a key of type EC; ES256 needs an EC P-256 key"},
	{"config_rejects_rsa_key_for_eddsa",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = rs.pem\n" CLIENT, 3,
	    "holds a key of type RSA; EdDSA needs an Ed25519 key"},
	{"config_rejects_ec_public_key_for_rs256",
	    "[key main]\nalgorithm = RS256\nprivate_key_file = rs.pem\n"
	    "sign = yes\n[key old]\nalgorithm = RS256\npublic_key_file = es.pub\n"
	    CLIENT, 7, "holds a key of type EC; RS256 needs an RSA key"},
	{"config_rejects_rsa_1024_bits",
	    "[key main]\nalgorithm = RS256\nprivate_key_file = rs1024.pem\n"
	    CLIENT, 3, "holds a 1024-bit RSA key; RS256 needs 2048 to 8192 bits"},
	{"config_rejects_world_readable_private_key_file",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = edworld.pem\n"
	    CLIENT, 3, "is accessible by every user (mode 644); chmod o-rw it"},
	{"config_rejects_world_writable_public_key_file",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = ed.pem\nsign = yes\n"
	    "[key old]\nalgorithm = EdDSA\npublic_key_file = edww.pub\n" CLIENT, 7,
	    "is writable by every user"},
	{"config_rejects_public_key_as_private_key_file",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = ed600.pub\n" CLIENT,
	    3, "holds \"PUBLIC KEY\", not \"PRIVATE KEY\""},
	{"config_rejects_private_key_as_public_key_file",
	    "[key main]\nalgorithm = HS256\nsecret_file = main.key\nsign = yes\n"
	    "[key old]\nalgorithm = EdDSA\npublic_key_file = ed.pem\n" CLIENT, 7,
	    "holds \"PRIVATE KEY\", not \"PUBLIC KEY\""},
	{"config_rejects_traditional_ec_private_key",
	    "[key main]\nalgorithm = ES256\nprivate_key_file = trad.pem\n" CLIENT,
	    3, "holds \"EC PRIVATE KEY\", not \"PRIVATE KEY\" (PKCS#8"},
	{"config_rejects_missing_private_key_file",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = nope.pem\n" CLIENT,
	    3, "cannot open private_key_file"},
	{"config_rejects_both_key_files",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = ed.pem\n"
	    "public_key_file = ed.pub\n" CLIENT, 4, "give one of private_key_file "
	    "and public_key_file"},
	{"config_rejects_asymmetric_key_without_key_file",
	    "[key main]\nalgorithm = ES256\n" CLIENT, 1,
	    "[key main] needs private_key_file (or public_key_file to verify only)"},
	{"config_rejects_public_key_only_signing_key",
	    "[key main]\nalgorithm = EdDSA\npublic_key_file = ed.pub\n" CLIENT, 1,
	    "[key main] has only a public_key_file: it cannot sign"},
	{"config_rejects_duplicate_private_key_file",
	    "[key main]\nalgorithm = EdDSA\nprivate_key_file = ed.pem\n"
	    "private_key_file = ed.pem\n" CLIENT, 4,
	    "duplicate key private_key_file"},
	{"config_rejects_audience_with_blank",
	    "[server]\naudience = my media\n" KEY CLIENT, 2,
	    "audience must be printable ASCII without blanks"},
	{"config_rejects_empty_audience",
	    "[server]\naudience =\n" KEY CLIENT, 2,
	    "audience must be 1 to 256 characters"},
	{"config_rejects_bad_client_audience",
	    KEY CLIENT "audience = caf\xc3\xa9\n", 5,
	    "audience must be printable ASCII without blanks"},
	{"config_rejects_relative_jwks_path",
	    "[server]\njwks_path = jwks.json\n" KEY CLIENT, 2,
	    "jwks_path must be a path like /.well-known/jwks.json"},
	{"config_rejects_jwks_path_with_query",
	    "[server]\njwks_path = /jwks?x=1\n" KEY CLIENT, 2,
	    "jwks_path must be a path like /.well-known/jwks.json"},
	{"config_rejects_unknown_claims_profile",
	    KEY CLIENT "claims = nimble\n", 5,
	    "claims must be standard or mediamtx"},
	{"config_rejects_bad_access",
	    KEY CLIENT "[stream cam-1]\naccess = secret\n", 6,
	    "access must be private or public"},
	{"config_rejects_unknown_allow_item",
	    KEY CLIENT "[stream cam-1]\nallow = live, stream\n", 6,
	    "allow: unknown permission 'stream'"},
	{"config_rejects_blank_allow_item",
	    KEY CLIENT "[stream cam-1]\nallow = live, ,dvr\n", 6,
	    "allow has an empty item"},
	{"config_rejects_empty_allow",
	    KEY CLIENT "[stream cam-1]\nallow =\n", 6,
	    "allow must not be empty"},
	{"config_rejects_bad_stream_max_ttl",
	    KEY CLIENT "[stream cam-1]\nmax_ttl = -5\n", 6,
	    "max_ttl must be an unsigned integer"},
	{"config_rejects_bad_client_stream_pattern",
	    KEY CLIENT "streams = cam-*, cam/1\n", 5,
	    "streams: 'cam/1' is not a stream name or glob"},
	{"config_rejects_short_token_sha256",
	    KEY "[client backend]\ntoken_sha256 = " HEX63 "\n", 4,
	    "token_sha256 must be 64 hexadecimal digits"},
	{"config_rejects_long_token_sha256",
	    KEY "[client backend]\ntoken_sha256 = " FX_SHA_TEST "0\n", 4,
	    "token_sha256 must be 64 hexadecimal digits"},
	{"config_rejects_non_hex_token_sha256",
	    KEY "[client backend]\ntoken_sha256 = " HEX63 "g\n", 4,
	    "token_sha256 must be 64 hexadecimal digits"},
	{"config_rejects_duplicate_server_key",
	    "[server]\ndefault_ttl = 60\ndefault_ttl = 70\n" KEY CLIENT, 3,
	    "duplicate key default_ttl"},
	{"config_rejects_duplicate_key_key",
	    "[key main]\nsecret_file = main.key\nsecret_file = main.key\n" CLIENT, 3,
	    "duplicate key secret_file"},
	{"config_rejects_duplicate_client_key",
	    KEY CLIENT "token_sha256 = " FX_SHA_TEST "\n", 5,
	    "duplicate key token_sha256"},
	{"config_rejects_duplicate_stream_key",
	    KEY CLIENT "[stream cam-1]\naccess = private\naccess = public\n", 7,
	    "duplicate key access"},
	{"config_rejects_duplicate_server_section",
	    "[server]\n[server]\n" KEY CLIENT, 2,
	    "duplicate section [server]"},
	{"config_rejects_duplicate_key_section", KEY CLIENT KEY, 5,
	    "duplicate section [key main]"},
	{"config_rejects_duplicate_client_section", KEY CLIENT CLIENT, 5,
	    "duplicate section [client backend]"},
	{"config_rejects_duplicate_stream_section",
	    KEY CLIENT "[stream cam-1]\n[stream cam-2]\n[stream cam-1]\n", 7,
	    "duplicate section [stream cam-1]"},
	{"config_rejects_duplicate_glob_stream_section",
	    KEY CLIENT "[stream cam-*]\n[stream cam-*]\n", 6,
	    "duplicate section [stream cam-*]"},
	{"config_rejects_slash_in_client_name",
	    KEY "[client back/end]\ntoken_sha256 = " FX_SHA_TEST "\n", 3,
	    "invalid client name"},
	{"config_rejects_non_ascii_client_name",
	    KEY "[client b\xc3\xa4" "ckend]\ntoken_sha256 = " FX_SHA_TEST "\n", 3,
	    "invalid client name"},
	{"config_rejects_glob_in_key_name",
	    "[key ma*in]\nsecret_file = main.key\n" CLIENT, 1,
	    "invalid key name"},
	{"config_rejects_slash_in_stream_name",
	    KEY CLIENT "[stream cam/1]\n", 5, "invalid stream name"},
	{"config_rejects_space_in_stream_name",
	    KEY CLIENT "[stream cam 1]\n", 5, "invalid stream name"},
	{"config_rejects_named_server_section",
	    "[server main]\n" KEY CLIENT, 1, "[server] takes no name"},
	{"config_rejects_unnamed_key_section",
	    "[key]\nsecret_file = main.key\n" CLIENT, 1, "[key] needs a name"},
	{"config_rejects_unnamed_stream_section",
	    KEY CLIENT "[stream   ]\n", 5, "[stream] needs a name"},
	{"config_rejects_unclosed_section_header",
	    KEY CLIENT "[stream cam-1\n", 5, "section header must end with ]"},
	{"config_rejects_key_without_secret_file",
	    "[key main]\nalgorithm = HS256\n" CLIENT, 1,
	    "[key main] needs secret_file"},
	{"config_rejects_missing_secret_file",
	    "[key main]\nalgorithm = HS256\nsecret_file = nope.key\n" CLIENT, 3,
	    "cannot open secret_file"},
	{"config_rejects_directory_as_secret_file",
	    "[key main]\nsecret_file = adir\n" CLIENT, 2,
	    "is not a regular file"},
	{"config_rejects_31_byte_secret",
	    "[key main]\nsecret_file = s31.key\n" CLIENT, 2,
	    "holds 31 bytes, at least 32"},
	{"config_rejects_31_byte_secret_plus_newline",
	    "[key main]\nsecret_file = s31lf.key\n" CLIENT, 2,
	    "holds 31 bytes, at least 32"},
	{"config_rejects_31_byte_secret_plus_crlf",
	    "[key main]\nsecret_file = s31crlf.key\n" CLIENT, 2,
	    "holds 31 bytes, at least 32"},
	{"config_rejects_empty_secret_file",
	    "[key main]\nsecret_file = empty.key\n" CLIENT, 2,
	    "holds 0 bytes"},
	{"config_rejects_secret_over_4096_bytes",
	    "[key main]\nsecret_file = s4097.key\n" CLIENT, 2,
	    "longer than 4096 bytes"},
	{"config_refuses_world_readable_key",
	    "[key main]\nsecret_file = world.key\n" CLIENT, 2,
	    "accessible by every user"},
	{"config_refuses_world_writable_key",
	    "[key main]\nsecret_file = worldw.key\n" CLIENT, 2,
	    "accessible by every user"},
	{"config_rejects_no_key", "[server]\n" CLIENT, 3, "no [key] section"},
	{"config_rejects_no_client", KEY, 2, "no [client] section"},
	{"config_rejects_two_keys_without_sign",
	    KEY "[key old]\nsecret_file = main.key\n" CLIENT, 3,
	    "exactly one [key] must have sign = yes (found 0)"},
	{"config_rejects_two_keys_with_sign",
	    "[key main]\nsecret_file = main.key\nsign = yes\n"
	    "[key old]\nsecret_file = main.key\nsign = yes\n" CLIENT, 4,
	    "exactly one [key] must have sign = yes (found 2)"},
	{"config_rejects_only_key_with_sign_no",
	    "[key main]\nsecret_file = main.key\nsign = no\n" CLIENT, 1,
	    "exactly one [key] must have sign = yes (found 0)"},
	{"config_rejects_client_without_token_sha256",
	    KEY "[client backend]\nstreams = *\n[stream cam-1]\n", 3,
	    "[client backend] needs token_sha256"},
	/* A whole-file rule: reported at the last line read. */
	{"config_rejects_default_ttl_above_max_ttl",
	    "[server]\ndefault_ttl = 7200\nmax_ttl = 3600\n" KEY CLIENT, 7,
	    "default_ttl must not exceed max_ttl"},
	{"config_rejects_unlimited_default_ttl_when_not_allowed",
	    "[server]\ndefault_ttl = 0\nallow_unlimited = no\n" KEY CLIENT, 7,
	    "default_ttl = 0 (unlimited) needs allow_unlimited = yes"},
	{"config_rejects_line_without_equals",
	    "[key main]\nsecret_file = main.key\nsign\n" CLIENT, 3,
	    "expected key = value"},
	{"config_rejects_line_with_empty_key",
	    "[key main]\nsecret_file = main.key\n= yes\n" CLIENT, 3,
	    "expected key = value"},
	{"config_rejects_key_outside_section",
	    "issuer = media.example.com\n" KEY CLIENT, 1,
	    "key issuer outside of any section"},
	/* empty list items (strtok_r would have skipped them) */
	{"config_rejects_empty_allow_item",
	    KEY CLIENT "[stream cam-1]\nallow = live,,dvr\n", 6,
	    "allow has an empty item"},
	{"config_rejects_trailing_comma_in_allow",
	    KEY CLIENT "[stream cam-1]\nallow = live,\n", 6,
	    "allow has an empty item"},
	{"config_rejects_empty_client_stream_item",
	    KEY CLIENT "streams = cam-*,,lobby\n", 5,
	    "streams has an empty item"},
};


static void
check_bad_row(const void *arg)
{
	const struct bad_row *row = arg;
	char err[1024];
	struct config *cfg;

	cfg = fx_load(&fx, row->ini, err, sizeof(err));
	EXPECT(cfg == NULL);
	if (fx_err_line(err, fx_path(&fx, "streamtoken.ini")) != row->line)
		printf("#   got: %s\n", err);
	EXPECT(fx_err_line(err, fx_path(&fx, "streamtoken.ini")) == row->line);
	if (strstr(err, row->msg) == NULL)
		printf("#   got: %s\n", err);
	EXPECT(strstr(err, row->msg) != NULL);
	config_free(cfg);
}

/* Errors built at run time: long names, NUL bytes, unreadable files. */

static void
expect_load_error(const char *ini, size_t len, unsigned line, const char *msg)
{
	char err[1024];
	struct config *cfg;
	const char *path = fx_write(&fx, "streamtoken.ini", ini, len, 0600);

	cfg = config_load(path, err, sizeof(err));
	EXPECT(cfg == NULL);
	EXPECT(fx_err_line(err, fx_path(&fx, "streamtoken.ini")) == line);
	if (strstr(err, msg) == NULL)
		printf("#   got: %s\n", err);
	EXPECT(strstr(err, msg) != NULL);
	config_free(cfg);
}

static void
name_of(char *dst, size_t n, char c)
{
	memset(dst, c, n);
	dst[n] = '\0';
}

static void
config_rejects_129_char_client_name(void)
{
	char name[200], ini[1024];

	name_of(name, 129, 'c');
	snprintf(ini, sizeof(ini), KEY "[client %s]\ntoken_sha256 = %s\n", name,
	    FX_SHA_TEST);
	expect_load_error(ini, strlen(ini), 3, "invalid client name");
}

static void
config_rejects_129_char_key_name(void)
{
	char name[200], ini[1024];

	name_of(name, 129, 'k');
	snprintf(ini, sizeof(ini), "[key %s]\nsecret_file = main.key\n" CLIENT,
	    name);
	expect_load_error(ini, strlen(ini), 1, "invalid key name");
}

static void
config_rejects_129_char_stream_name(void)
{
	char name[200], ini[1024];

	name_of(name, 129, 's');
	snprintf(ini, sizeof(ini), KEY CLIENT "[stream %s]\n", name);
	expect_load_error(ini, strlen(ini), 5, "invalid stream name");
}

static void
config_accepts_128_char_names(void)
{
	char k[200], c[200], s[200], ini[2048], err[1024];
	struct config *cfg;

	name_of(k, 128, 'k');
	name_of(c, 128, 'c');
	name_of(s, 128, 's');
	snprintf(ini, sizeof(ini), "[key %s]\nsecret_file = main.key\n"
	    "[client %s]\ntoken_sha256 = %s\n[stream %s]\n", k, c, FX_SHA_TEST, s);
	cfg = fx_load(&fx, ini, err, sizeof(err));
	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT_STR(cfg->keys[0].name, k);
	EXPECT_STR(cfg->clients[0].name, c);
	EXPECT(config_find_stream(cfg, s) == &cfg->streams[0]);
	config_free(cfg);
}

static void
config_rejects_257_char_issuer(void)
{
	char v[300], ini[1024];

	name_of(v, 257, 'i');
	snprintf(ini, sizeof(ini), "[server]\nissuer = %s\n" KEY CLIENT, v);
	expect_load_error(ini, strlen(ini), 2, "issuer must be 1 to 256 characters");
}

static void
config_rejects_nul_byte_in_line(void)
{
	static const char ini[] = KEY "[client backend]\ntoken_sha256 = "
	    FX_SHA_TEST "\nstreams = cam\0-*\n";

	expect_load_error(ini, sizeof(ini) - 1, 5, "NUL byte in line");
}

static void
config_rejects_line_over_8192_bytes(void)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_puts(&b, KEY CLIENT "; ");
	for (i = 0; i < 8200; i++)
		buf_puts(&b, "x");
	buf_puts(&b, "\n");
	expect_load_error(b.data, b.len, 5, "line longer than 8192 bytes");
	buf_free(&b);
}

static void
config_rejects_missing_config_file(void)
{
	char err[1024];
	struct config *cfg;
	const char *path = fx_path(&fx, "does-not-exist.ini");
	size_t n = strlen(path);

	cfg = config_load(path, err, sizeof(err));
	EXPECT(cfg == NULL);
	EXPECT(strncmp(err, path, n) == 0);
	EXPECT(strstr(err, "cannot open") != NULL);
	config_free(cfg);
}

/* A mode-0200 key file: root reads it anyway, so main skips this as root. */
static void
config_rejects_unreadable_secret_file(void)
{
	static const char ini[] = "[key main]\nsecret_file = noread.key\n" CLIENT;

	fx_write_str(&fx, "noread.key", FX_SECRET, 0200);
	expect_load_error(ini, sizeof(ini) - 1, 2, "cannot open secret_file");
}

/* ---- good files ---- */

static struct config *
load_ok(const char *ini)
{
	char err[1024];
	struct config *cfg = fx_load(&fx, ini, err, sizeof(err));

	if (cfg == NULL)
		printf("#   load failed: %s\n", err);
	return cfg;
}

static bool
secret_is(const struct key *k, const char *want, size_t len)
{
	return k->secret_len == len && memcmp(k->secret, want, len) == 0;
}

static void
config_loads_every_key_of_every_section(void)
{
	static const char ini[] =
	    "; streamtoken test configuration\n"
	    "# both comment characters\n"
	    "\n"
	    "[server]\n"
	    "issuer = media.example.com   ; trailing comment\n"
	    "default_ttl = 600\n"
	    "max_ttl = 86400  # another\n"
	    "allow_unlimited = no\n"
	    "max_body = 4096\n"
	    "max_batch = 10\n"
	    "leeway = 30\n"
	    "\n"
	    "[key old]\n"
	    "algorithm = HS384\n"
	    "secret_file = old.key\n"
	    "sign = no\n"
	    "[key main]   ; the signing key\n"
	    "algorithm = HS512\n"
	    "secret_file = keys/main.key\n"
	    "sign = yes\n"
	    "[client backend]\n"
	    "token_sha256 = 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n"
	    "streams = cam-* , lobby\n"
	    "[client everything]\n"
	    "token_sha256 = " FX_SHA_TEST "\n"
	    "[stream camera-1-primary]\n"
	    "access = private\n"
	    "allow = live, dvr\n"
	    "max_ttl = 7200\n"
	    "[stream cam-*]\n"
	    "access = public\n"
	    "[stream lobby]\n"
	    "allow = none\n";
	static const unsigned char sha_test[4] = {0x9f, 0x86, 0xd0, 0x81};
	struct config *cfg = load_ok(ini);
	const struct stream *s;

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT_STR(cfg->issuer, "media.example.com");
	EXPECT(cfg->default_ttl == 600);
	EXPECT(cfg->max_ttl == 86400);
	EXPECT(!cfg->allow_unlimited);
	EXPECT(cfg->max_body == 4096);
	EXPECT(cfg->max_batch == 10);
	EXPECT(cfg->leeway == 30);

	EXPECT(cfg->nkeys == 2);
	EXPECT_STR(cfg->keys[0].name, "old");
	EXPECT(cfg->keys[0].alg == ALG_HS384);
	EXPECT(!cfg->keys[0].sign);
	EXPECT(secret_is(&cfg->keys[0], "old-" S32, 36));
	EXPECT_STR(cfg->keys[1].name, "main");
	EXPECT(cfg->keys[1].alg == ALG_HS512);
	EXPECT(cfg->keys[1].sign);
	EXPECT(cfg->keys[1].line == 17);
	EXPECT(secret_is(&cfg->keys[1], FX_SECRET, strlen(FX_SECRET)));
	EXPECT(cfg->signing_key == &cfg->keys[1]);
	EXPECT(config_find_key(cfg, "old") == &cfg->keys[0]);
	EXPECT(config_find_key(cfg, "main") == &cfg->keys[1]);
	EXPECT(config_find_key(cfg, "new") == NULL);

	EXPECT(cfg->nclients == 2);
	EXPECT_STR(cfg->clients[0].name, "backend");
	EXPECT(memcmp(cfg->clients[0].token_sha256, sha_test, 4) == 0);
	EXPECT(cfg->clients[0].token_sha256[31] == 0x08);
	EXPECT(cfg->clients[0].nstreams == 2);
	if (cfg->clients[0].nstreams == 2) {
		EXPECT_STR(cfg->clients[0].streams[0], "cam-*");
		EXPECT_STR(cfg->clients[0].streams[1], "lobby");
	}
	/* SPEC 4: streams defaults to * */
	EXPECT(cfg->clients[1].nstreams == 1);
	if (cfg->clients[1].nstreams == 1)
		EXPECT_STR(cfg->clients[1].streams[0], "*");

	EXPECT(cfg->nstreams == 3);
	s = config_find_stream(cfg, "camera-1-primary");
	EXPECT(s != NULL && s->is_private && !s->is_glob);
	EXPECT(s != NULL && s->allow == (PERM_LIVE | PERM_DVR));
	EXPECT(s != NULL && s->has_max_ttl && s->max_ttl == 7200);
	EXPECT(s != NULL && s->line == 26);
	s = config_find_stream(cfg, "cam-9");
	EXPECT(s != NULL && s->is_glob && !s->is_private && s->allow == PERM_ALL);
	EXPECT(s != NULL && !s->has_max_ttl);
	s = config_find_stream(cfg, "lobby");
	EXPECT(s != NULL && s->is_private && s->allow == 0);
	config_free(cfg);
}

static void
config_defaults_when_keys_are_absent(void)
{
	struct config *cfg = load_ok(KEY CLIENT "[stream cam-1]\n");

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(cfg->issuer == NULL);
	EXPECT(cfg->default_ttl == 3600);
	EXPECT(cfg->max_ttl == 0);
	EXPECT(cfg->allow_unlimited);
	EXPECT(cfg->max_body == 65536);
	EXPECT(cfg->max_batch == 100);
	EXPECT(cfg->leeway == 0);
	EXPECT(cfg->keys[0].alg == ALG_HS256);
	/* One key and no sign line: it signs. */
	EXPECT(cfg->signing_key == &cfg->keys[0]);
	EXPECT(cfg->streams[0].is_private);
	EXPECT(cfg->streams[0].allow == PERM_ALL);
	EXPECT(!cfg->streams[0].has_max_ttl);
	config_free(cfg);
}

static void
config_resolves_relative_secret_file_against_ini_folder(void)
{
	char cwd[PATH_MAX];
	struct config *cfg;

	/* The test runs from the build dir, where keys/main.key does not exist. */
	EXPECT(getcwd(cwd, sizeof(cwd)) != NULL);
	EXPECT(strcmp(cwd, fx.dir) != 0);
	cfg = load_ok("[key main]\nsecret_file = keys/main.key\n" CLIENT);
	EXPECT(cfg != NULL);
	if (cfg != NULL)
		EXPECT(secret_is(&cfg->keys[0], FX_SECRET, strlen(FX_SECRET)));
	config_free(cfg);
}

static void
config_loads_relative_ini_path(void)
{
	char cwd[PATH_MAX], err[1024];
	struct config *cfg = NULL;

	fx_write_str(&fx, "rel.ini", KEY CLIENT, 0600);
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(fx.dir) != 0) {
		EXPECT(!"chdir");
		return;
	}
	cfg = config_load("rel.ini", err, sizeof(err));
	EXPECT(chdir(cwd) == 0);
	EXPECT(cfg != NULL);
	if (cfg != NULL)
		EXPECT(secret_is(&cfg->keys[0], FX_SECRET, strlen(FX_SECRET)));
	config_free(cfg);
}

static void
config_accepts_absolute_secret_file(void)
{
	char ini[PATH_MAX + 256];
	struct config *cfg;

	snprintf(ini, sizeof(ini), "[key main]\nsecret_file = %s/old.key\n" CLIENT,
	    fx.dir);
	cfg = load_ok(ini);
	EXPECT(cfg != NULL);
	if (cfg != NULL)
		EXPECT(secret_is(&cfg->keys[0], "old-" S32, 36));
	config_free(cfg);
}

struct secret_row {
	const char *name;
	const char *file;
	const char *want;
	size_t want_len;
};

static const struct secret_row secret_rows[] = {
	{"config_accepts_32_byte_secret", "s32.key", S32, 32},
	{"config_secret_drops_trailing_lf", "s32lf.key", S32, 32},
	{"config_secret_drops_trailing_crlf", "s32crlf.key", S32, 32},
	/* Only one newline is dropped: the rest is secret. */
	{"config_secret_drops_only_one_newline", "s32lflf.key", S32 "\n", 33},
	{"config_secret_keeps_lone_cr", "s32cr.key", S32 "\r", 33},
	{"config_accepts_group_readable_key", "group.key", FX_SECRET, 40},
};

static void
check_secret_row(const void *arg)
{
	const struct secret_row *row = arg;
	char ini[512];
	struct config *cfg;

	snprintf(ini, sizeof(ini), "[key main]\nsecret_file = %s\n" CLIENT,
	    row->file);
	cfg = load_ok(ini);
	EXPECT(cfg != NULL);
	if (cfg != NULL)
		EXPECT(secret_is(&cfg->keys[0], row->want, row->want_len));
	config_free(cfg);
}

static void
config_accepts_4096_byte_secret(void)
{
	struct config *cfg = load_ok("[key main]\nsecret_file = s4096.key\n" CLIENT);

	EXPECT(cfg != NULL);
	if (cfg != NULL)
		EXPECT(cfg->keys[0].secret_len == 4096);
	config_free(cfg);
}

static void
config_accepts_crlf_lines(void)
{
	struct config *cfg = load_ok("[server]\r\ndefault_ttl = 60\r\n"
	    "[key main]\r\nsecret_file = main.key\r\n"
	    "[client backend]\r\ntoken_sha256 = " FX_SHA_TEST "\r\n");

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(cfg->default_ttl == 60);
	EXPECT(secret_is(&cfg->keys[0], FX_SECRET, strlen(FX_SECRET)));
	config_free(cfg);
}

/* '#' and ';' start a comment only after a blank: a value may contain them. */
static void
config_keeps_hash_inside_value(void)
{
	struct config *cfg = load_ok("[server]\nissuer = media#1;eu ; note\n"
	    KEY CLIENT);

	EXPECT(cfg != NULL);
	if (cfg != NULL)
		EXPECT_STR(cfg->issuer, "media#1;eu");
	config_free(cfg);
}

static void
config_accepts_url_prefix(void)
{
	struct config *cfg = load_ok("[server]\nurl_prefix = /media/live\n" KEY CLIENT);

	EXPECT(cfg != NULL);
	if (cfg != NULL)
		EXPECT_STR(cfg->url_prefix, "/media/live");
	config_free(cfg);
	/* "/" is no prefix at all. */
	cfg = load_ok("[server]\nurl_prefix = /\n" KEY CLIENT);
	EXPECT(cfg != NULL);
	if (cfg != NULL)
		EXPECT(cfg->url_prefix == NULL);
	config_free(cfg);
}

static void
config_one_signing_key_among_several(void)
{
	struct config *cfg = load_ok(
	    "[key a]\nsecret_file = main.key\n"
	    "[key b]\nsecret_file = old.key\nsign = yes\n"
	    "[key c]\nsecret_file = main.key\nsign = no\n" CLIENT);

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(cfg->nkeys == 3);
	EXPECT(cfg->signing_key == &cfg->keys[1]);
	EXPECT(!cfg->keys[0].sign && !cfg->keys[2].sign);
	config_free(cfg);
}

/* ---- lookups ---- */

static void
config_find_stream_exact_beats_glob(void)
{
	/* The glob comes first in the file and still loses to the exact section. */
	struct config *cfg = load_ok(KEY CLIENT
	    "[stream cam-*]\nmax_ttl = 1\n[stream cam-7]\nmax_ttl = 2\n");
	const struct stream *s;

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	s = config_find_stream(cfg, "cam-7");
	EXPECT(s != NULL && !s->is_glob && s->max_ttl == 2);
	s = config_find_stream(cfg, "cam-8");
	EXPECT(s != NULL && s->is_glob && s->max_ttl == 1);
	config_free(cfg);
}

static void
config_find_stream_first_glob_in_file_order(void)
{
	struct config *cfg = load_ok(KEY CLIENT
	    "[stream cam-?]\nmax_ttl = 1\n"
	    "[stream cam-*]\nmax_ttl = 2\n"
	    "[stream cam-[0-9][0-9]]\nmax_ttl = 3\n");
	const struct stream *s;

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	s = config_find_stream(cfg, "cam-1");
	EXPECT(s != NULL && s->max_ttl == 1);
	/* cam-[0-9][0-9] matches too, but cam-* is first. */
	s = config_find_stream(cfg, "cam-12");
	EXPECT(s != NULL && s->max_ttl == 2);
	config_free(cfg);
}

static void
config_find_stream_bracket_glob(void)
{
	struct config *cfg = load_ok(KEY CLIENT "[stream cam-[0-9]]\n");

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(config_find_stream(cfg, "cam-3") == &cfg->streams[0]);
	EXPECT(config_find_stream(cfg, "cam-x") == NULL);
	EXPECT(config_find_stream(cfg, "cam-33") == NULL);
	config_free(cfg);
}

static void
config_find_stream_no_match_is_null(void)
{
	struct config *cfg = load_ok(KEY CLIENT "[stream cam-1]\n[stream lobby-*]\n");

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(config_find_stream(cfg, "cam-2") == NULL);
	EXPECT(config_find_stream(cfg, "cam-10") == NULL);
	EXPECT(config_find_stream(cfg, "CAM-1") == NULL);
	EXPECT(config_find_stream(cfg, "") == NULL);
	EXPECT(config_find_stream(cfg, "lobby") == NULL);
	EXPECT(config_find_stream(cfg, "lobby-a") == &cfg->streams[1]);
	config_free(cfg);
}

static void
config_find_stream_without_streams_is_null(void)
{
	struct config *cfg = load_ok(KEY CLIENT);

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(cfg->nstreams == 0);
	EXPECT(config_find_stream(cfg, "cam-1") == NULL);
	config_free(cfg);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * SPEC 4 lookups must not scan: 200,000 lookups over 100,000 sections would
 * be 10^10 string compares as a scan (minutes), and well under a second hashed.
 */
static void
config_find_stream_100000_exact_streams(void)
{
	enum { N = 100000 };
	struct config *cfg;
	struct timespec t0;
	struct buf b;
	char uid[64];
	unsigned i, wrong = 0;
	double secs;

	buf_init(&b);
	buf_puts(&b, KEY CLIENT);
	for (i = 0; i < N; i++)
		buf_printf(&b, "[stream s-%u]\nmax_ttl = %u\n", i, i);
	EXPECT(!b.failed);
	cfg = load_ok(b.data);
	buf_free(&b);
	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(cfg->nstreams == N);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < N; i++) {
		const struct stream *s;

		snprintf(uid, sizeof(uid), "s-%u", i);
		s = config_find_stream(cfg, uid);
		if (s == NULL || strcmp(s->name, uid) != 0 || s->max_ttl != i ||
		    s->line != 5 + 2 * i)
			wrong++;
		snprintf(uid, sizeof(uid), "t-%u", i);
		if (config_find_stream(cfg, uid) != NULL)
			wrong++;
	}
	secs = seconds_since(&t0);
	printf("#   200000 lookups in %.3f s\n", secs);
	EXPECT(wrong == 0);
	EXPECT(secs < 5.0);
	config_free(cfg);
}

static void
config_client_may_use_patterns(void)
{
	struct config *cfg = load_ok(KEY
	    "[client backend]\ntoken_sha256 = " FX_SHA_TEST "\n"
	    "streams = cam-*, lobby, door-?, gate-[ab]\n"
	    "[client all]\ntoken_sha256 = " FX_SHA_TEST "\n");
	const struct client *c;

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	c = &cfg->clients[0];
	EXPECT(config_client_may_use(c, "cam-1"));
	EXPECT(config_client_may_use(c, "cam-"));
	EXPECT(config_client_may_use(c, "lobby"));
	EXPECT(config_client_may_use(c, "door-1"));
	EXPECT(config_client_may_use(c, "gate-b"));
	EXPECT(!config_client_may_use(c, "lobby2"));
	EXPECT(!config_client_may_use(c, "Cam-1"));
	EXPECT(!config_client_may_use(c, "xcam-1"));
	EXPECT(!config_client_may_use(c, "door-12"));
	EXPECT(!config_client_may_use(c, "gate-c"));
	EXPECT(config_client_may_use(&cfg->clients[1], "anything.at_all~"));
	config_free(cfg);
}

static void
config_default_path_option_beats_env(void)
{
	EXPECT(setenv("STREAMTOKEN_CONFIG", "env.ini", 1) == 0);
	EXPECT_STR(config_default_path("opt.ini"), "opt.ini");
	unsetenv("STREAMTOKEN_CONFIG");
}

static void
config_default_path_env_beats_default(void)
{
	EXPECT(setenv("STREAMTOKEN_CONFIG", "env.ini", 1) == 0);
	EXPECT_STR(config_default_path(NULL), "env.ini");
	unsetenv("STREAMTOKEN_CONFIG");
}

static void
config_default_path_falls_back_to_default(void)
{
	unsetenv("STREAMTOKEN_CONFIG");
	EXPECT_STR(config_default_path(NULL), ST_DEFAULT_CONFIG);
	EXPECT_STR(config_default_path(NULL), "/etc/streamtoken/streamtoken.ini");
	/* An empty variable is no setting. */
	EXPECT(setenv("STREAMTOKEN_CONFIG", "", 1) == 0);
	EXPECT_STR(config_default_path(NULL), ST_DEFAULT_CONFIG);
	unsetenv("STREAMTOKEN_CONFIG");
}

static void
config_valid_name_bounds_and_alphabet(void)
{
	char n[200];

	name_of(n, 128, 'a');
	EXPECT(config_valid_name(n, 128));
	name_of(n, 129, 'a');
	EXPECT(!config_valid_name(n, 129));
	EXPECT(!config_valid_name("", 0));
	EXPECT(config_valid_name("A-Z.a_z~09", 10));
	EXPECT(!config_valid_name("cam 1", 5));
	EXPECT(!config_valid_name("cam/1", 5));
	EXPECT(!config_valid_name("cam*", 4));
	EXPECT(!config_valid_name("cam\0x", 5));
	EXPECT(!config_valid_name("caf\xc3\xa9", 5));
}

static bool
setup(void)
{
	char big[4100];

	if (!fx_init(&fx, "unit_config"))
		return false;
	memset(big, 'b', sizeof(big));
	if (mkdir(fx_path(&fx, "keys"), 0700) != 0 ||
	    mkdir(fx_path(&fx, "adir"), 0700) != 0)
		return false;
	fx_write_str(&fx, "main.key", FX_SECRET, 0600);
	fx_write_str(&fx, "keys/main.key", FX_SECRET "\n", 0600);
	fx_write_str(&fx, "old.key", "old-" S32, 0600);
	fx_write_str(&fx, "s31.key", S31, 0600);
	fx_write_str(&fx, "s31lf.key", S31 "\n", 0600);
	fx_write_str(&fx, "s31crlf.key", S31 "\r\n", 0600);
	fx_write_str(&fx, "s32.key", S32, 0600);
	fx_write_str(&fx, "s32lf.key", S32 "\n", 0600);
	fx_write_str(&fx, "s32crlf.key", S32 "\r\n", 0600);
	fx_write_str(&fx, "s32lflf.key", S32 "\n\n", 0600);
	fx_write_str(&fx, "s32cr.key", S32 "\r", 0600);
	fx_write_str(&fx, "empty.key", "", 0600);
	fx_write(&fx, "s4096.key", big, 4096, 0600);
	fx_write(&fx, "s4097.key", big, 4097, 0600);
	fx_write_str(&fx, "world.key", FX_SECRET, 0644);
	fx_write_str(&fx, "worldw.key", FX_SECRET, 0602);
	fx_write_str(&fx, "group.key", FX_SECRET, 0640);
	fx_write_str(&fx, "bad.pem", "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw"
	    "BCIEIA==\n-----END PRIVATE KEY-----\n", 0600);
	return fx_write_new_pkey(&fx, "ed.pem", "ED25519", 0, 0600, "ed.pub") &&
	    fx_write_new_pkey(&fx, "edworld.pem", "ED25519", 0, 0644, NULL) &&
	    fx_write_new_pkey(&fx, "edww.pem", "ED25519", 0, 0600, "edww.pub") &&
	    chmod(fx_path(&fx, "edww.pub"), 0646) == 0 &&
	    fx_write_new_pkey(&fx, "ed600.pem", "ED25519", 0, 0600, "ed600.pub") &&
	    chmod(fx_path(&fx, "ed600.pub"), 0600) == 0 &&
	    fx_write_new_pkey(&fx, "es.pem", "P-256", 0, 0600, "es.pub") &&
	    fx_write_new_pkey(&fx, "p384.pem", "P-384", 0, 0600, NULL) &&
	    fx_write_new_pkey(&fx, "rs.pem", "RSA", 2048, 0600, NULL) &&
	    fx_write_new_pkey(&fx, "rs1024.pem", "RSA", 1024, 0600, NULL) &&
	    fx_write_traditional_ec(&fx, "trad.pem");
}

/* SPEC 4's name characters, byte by byte, against the table. */
static void
name_chars_are_spec4_set_for_every_byte(void)
{
	static const char spec[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._~-";
	int c, bad = 0;

	for (c = 0; c < 256; c++) {
		bool want = c != 0 && strchr(spec, c) != NULL;

		if (text_is_name_char((unsigned char)c) != want)
			bad++;
	}
	EXPECT(bad == 0);
	EXPECT(config_valid_name("cam-1.hd_x~y", 12));
	EXPECT(!config_valid_name("cam 1", 5));
	EXPECT(!config_valid_name("cam\xc3\xa9", 5));
}

static void
config_revocation_file_and_may_revoke(void)
{
	static const char ini[] =
	    "[server]\nrevocation_file = revoked.txt\n" KEY CLIENT
	    "may_revoke = yes\n[client viewer]\ntoken_sha256 = " FX_SHA_TEST "\n";
	struct config *cfg;

	fx_write_str(&fx, "revoked.txt", "jti abc 1\n", 0644);
	cfg = load_ok(ini);
	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(cfg->revocation_file != NULL &&
	    strcmp(cfg->revocation_file, fx_path(&fx, "revoked.txt")) == 0);
	EXPECT(cfg->revoke != NULL && revoke_count(cfg->revoke) == 1);
	EXPECT(cfg->nclients == 2 && cfg->clients[0].may_revoke &&
	    !cfg->clients[1].may_revoke);
	config_free(cfg);
}

static void
config_trusted_proxies(void)
{
	struct config *cfg = load_ok("[server]\ntrusted_proxies = 10.0.0.0/8 , "
	    "2001:db8::/32,192.0.2.1\n" KEY CLIENT);
	char text[IP_NET_TEXT_MAX];

	EXPECT(cfg != NULL && cfg->ntrusted_proxies == 3);
	if (cfg == NULL || cfg->ntrusted_proxies != 3) {
		config_free(cfg);
		return;
	}
	ip_net_format(&cfg->trusted_proxies[0], text);
	EXPECT_STR(text, "10.0.0.0/8");
	ip_net_format(&cfg->trusted_proxies[1], text);
	EXPECT_STR(text, "2001:db8::/32");
	ip_net_format(&cfg->trusted_proxies[2], text);
	EXPECT_STR(text, "192.0.2.1");
	config_free(cfg);
}

/* A secure heap too small for the keys: they load all the same, outside it. */
static void
config_loads_when_secure_heap_is_full(void)
{
	static const char ini[] =
	    KEY "sign = yes\n"
	    "[key b]\nsecret_file = main.key\nsign = no\n"
	    "[key c]\nsecret_file = main.key\nsign = no\n"
	    "[key d]\nsecret_file = main.key\nsign = no\n"
	    "[key e]\nsecret_file = main.key\nsign = no\n" CLIENT;
	struct config *cfg;

	EXPECT(key_secure_heap_start(16384) != 0);
	cfg = load_ok(ini);
	EXPECT(cfg != NULL && cfg->nkeys == 5);
	EXPECT(cfg != NULL && !key_secrets_in_secure_heap(cfg));
	config_free(cfg);
	EXPECT(CRYPTO_secure_used() == 0);
	EXPECT(CRYPTO_secure_malloc_done());
}

/* The longest lifetime revoke --compact may count on; 0 when unbounded. */
static void
config_longest_ttl_over_server_and_streams(void)
{
	static const struct {
		const char *ini;
		uint32_t want;
	} rows[] = {
		{"[server]\nmax_ttl = 3600\nallow_unlimited = no\n" KEY CLIENT
		    "[stream a]\n[stream b]\nmax_ttl = 604800\n", 604800},
		{"[server]\nmax_ttl = 3600\nallow_unlimited = no\n" KEY CLIENT
		    "[stream a]\nmax_ttl = 60\n", 60},
		{"[server]\nmax_ttl = 3600\nallow_unlimited = no\n" KEY CLIENT
		    "[stream a]\n", 3600},
		/* a stream's max_ttl = 0 lifts the cap for that stream */
		{"[server]\nmax_ttl = 3600\nallow_unlimited = no\n" KEY CLIENT
		    "[stream a]\nmax_ttl = 0\n", 0},
		{"[server]\nmax_ttl = 3600\n" KEY CLIENT "[stream a]\n", 0},
		{KEY CLIENT "[stream a]\n", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config *cfg = load_ok(rows[i].ini);

		EXPECT(cfg != NULL && config_longest_ttl(cfg) == rows[i].want);
		if (cfg != NULL && config_longest_ttl(cfg) != rows[i].want)
			printf("#   row %zu: %u\n", i, config_longest_ttl(cfg));
		config_free(cfg);
	}
}

/* Issue 13: secrets and HMAC states live in OpenSSL's secure heap. */
static void
config_secrets_in_secure_heap(void)
{
	struct config *cfg;
	size_t i;

	EXPECT(key_secure_heap_size(0) >= 65536);
	EXPECT(key_secure_heap_size(100) >= 2 * 100 * 16384);
	EXPECT(key_secure_heap_start(key_secure_heap_size(2)) != 0);
	EXPECT(CRYPTO_secure_malloc_initialized());
	cfg = load_ok(KEY "sign = yes\n[key other]\nsecret_file = main.key\n"
	    "sign = no\n" CLIENT);
	EXPECT(cfg != NULL && cfg->nkeys == 2);
	for (i = 0; cfg != NULL && i < cfg->nkeys; i++) {
		EXPECT(CRYPTO_secure_allocated(cfg->keys[i].secret));
		EXPECT(cfg->keys[i].hmac == NULL ||
		    CRYPTO_secure_allocated(cfg->keys[i].hmac));
	}
	EXPECT(CRYPTO_secure_used() > 0);
	EXPECT(cfg != NULL && key_secrets_in_secure_heap(cfg));
	config_free(cfg);
	EXPECT(CRYPTO_secure_used() == 0);	/* all given back */
	EXPECT(CRYPTO_secure_malloc_done());
}

int
main(void)
{
	size_t i;

	if (!setup()) {
		fx_cleanup(&fx);
		printf("Bail out! cannot create the fixture directory\n");
		return 1;
	}
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++)
		RUN_ROW(bad_rows[i].name, check_bad_row, &bad_rows[i]);
	RUN(name_chars_are_spec4_set_for_every_byte);
	RUN(config_rejects_129_char_client_name);
	RUN(config_rejects_129_char_key_name);
	RUN(config_rejects_129_char_stream_name);
	RUN(config_accepts_128_char_names);
	RUN(config_rejects_257_char_issuer);
	RUN(config_rejects_nul_byte_in_line);
	RUN(config_rejects_line_over_8192_bytes);
	RUN(config_rejects_missing_config_file);
	if (geteuid() == 0)
		fx_skip("config_rejects_unreadable_secret_file", "root reads mode 0200");
	else
		RUN(config_rejects_unreadable_secret_file);

	RUN(config_loads_every_key_of_every_section);
	RUN(config_defaults_when_keys_are_absent);
	RUN(config_resolves_relative_secret_file_against_ini_folder);
	RUN(config_loads_relative_ini_path);
	RUN(config_accepts_absolute_secret_file);
	for (i = 0; i < sizeof(secret_rows) / sizeof(secret_rows[0]); i++)
		RUN_ROW(secret_rows[i].name, check_secret_row, &secret_rows[i]);
	RUN(config_accepts_4096_byte_secret);
	RUN(config_accepts_crlf_lines);
	RUN(config_keeps_hash_inside_value);
	RUN(config_accepts_url_prefix);
	RUN(config_one_signing_key_among_several);

	RUN(config_find_stream_exact_beats_glob);
	RUN(config_find_stream_first_glob_in_file_order);
	RUN(config_find_stream_bracket_glob);
	RUN(config_find_stream_no_match_is_null);
	RUN(config_find_stream_without_streams_is_null);
	RUN(config_find_stream_100000_exact_streams);
	RUN(config_client_may_use_patterns);
	RUN(config_default_path_option_beats_env);
	RUN(config_default_path_env_beats_default);
	RUN(config_default_path_falls_back_to_default);
	RUN(config_valid_name_bounds_and_alphabet);
	RUN(config_revocation_file_and_may_revoke);
	RUN(config_trusted_proxies);
	RUN(config_secrets_in_secure_heap);
	RUN(config_longest_ttl_over_server_and_streams);
	RUN(config_loads_when_secure_heap_is_full);
	fx_cleanup(&fx);
	return tap_done();
}
