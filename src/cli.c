/* cli: check-config, gen-secret, gen-key, gen-client, jwks, mint, verify. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "check.h"
#include "cli.h"
#include "config.h"
#include "keys.h"
#include "methods.h"
#include "revoke.h"
#include "text.h"
#include "token.h"
#include "validate.h"


void
cli_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: streamtoken [-c FILE] [-u USER]       serve (FastCGI on stdin, or one CGI request);\n"
	    "                                             -u: switch to USER once the keys are read\n"
	    "       streamtoken check-config [-c FILE]    validate the configuration and summarise it\n"
	    "       streamtoken gen-secret [-o FILE]      print (or write, mode 0600) a new key secret\n"
	    "       streamtoken gen-key --algorithm ALG -o FILE [--kid NAME]\n"
	    "                                             write a new key (mode 0600) and print its [key] lines\n"
	    "       streamtoken gen-client NAME           print a new API token and its [client] section\n"
	    "       streamtoken jwks [-c FILE]            print the public keys as a JWK Set\n"
	    "       streamtoken mint [-c FILE] --stream UID [--ttl N] [--live] [--dvr] [--copy]\n"
	    "                        [--from N] [--to N] [--nbf T] [--ip ADDRESS[/N]] [--client NAME]\n"
	    "                                             issue a token locally, same rules as the API\n"
	    "       streamtoken verify [-c FILE] [--url URL] [--ip ADDRESS] TOKEN\n"
	    "                                             check a token (for a media URL), explain why\n"
	    "       streamtoken revoke [-c FILE] --jti JTI | --stream UID [--before T] |\n"
	    "                          --client NAME [--before T] | --compact\n"
	    "                                             append to the revocation file, or compact it\n"
	    "       streamtoken --help | --version\n"
	    "The configuration is -c FILE, else $STREAMTOKEN_CONFIG, else %s.\n",
	    ST_DEFAULT_CONFIG);
}

static struct config *
load_or_complain(const char *opt_path)
{
	char err[1024];
	struct config *cfg = config_load(config_default_path(opt_path), err,
	    sizeof(err));

	if (cfg == NULL)
		fprintf(stderr, "%s\n", err);
	return cfg;
}

/* Common to every sub-command: -c, --help, --version handled alike. */
static bool
wants_help(int argc, char **argv, const char *usage, int *status)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: streamtoken %s\n", usage);
			*status = 0;
			return true;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("streamtoken %s\n", PACKAGE_VERSION);
			*status = 0;
			return true;
		}
	}
	return false;
}

/* What issue 13 added: trusted proxies and the revocation file. */
static void
print_check_extras(const struct config *cfg)
{
	char text[IP_NET_TEXT_MAX];
	size_t i;

	if (cfg->ntrusted_proxies > 0) {
		printf("trusted_proxies:");
		for (i = 0; i < cfg->ntrusted_proxies; i++) {
			ip_net_format(&cfg->trusted_proxies[i], text);
			printf("%s %s", i ? "," : "", text);
		}
		printf("\n");
	}
	if (cfg->revocation_file != NULL)
		printf("revocation_file: %s, %zu entries in force\n",
		    cfg->revocation_file, revoke_count(cfg->revoke));
}

static void
print_key_summary(const struct key *k)
{
	printf("key %s: %s, ", k->name, config_alg_name(k->alg));
	if (k->pkey == NULL)
		printf("%zu-byte secret", k->secret_len);
	else
		printf("%s", k->has_private ? "private key" : "public key only");
	printf(", %s\n", k->sign ? "signs" : "verifies only");
}

/*
 * For a sub-command whose only option is -c FILE: the loaded configuration,
 * or NULL with *status the exit status (0 after --help or --version).
 */
static struct config *
load_for(int argc, char **argv, const char *name, int *status)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}
	};
	const char *path = NULL;
	char usage[64];
	struct config *cfg;
	int c;

	snprintf(usage, sizeof(usage), "%s [-c FILE]", name);
	if (wants_help(argc, argv, usage, status))
		return NULL;
	*status = 2;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (c != 'c')
			return NULL;
		path = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "streamtoken: %s takes no arguments\n", name);
		return NULL;
	}
	cfg = load_or_complain(path);
	*status = 1;
	return cfg;
}

static int
cmd_check_config(int argc, char **argv)
{
	struct config *cfg;
	size_t i;
	int status;

	cfg = load_for(argc, argv, "check-config", &status);
	if (cfg == NULL)
		return status;
	printf("%s: OK\n", cfg->path);
	printf("server: issuer=%s default_ttl=%u max_ttl=%u allow_unlimited=%s "
	    "max_body=%zu max_batch=%zu leeway=%u live_window=%u url_prefix=%s\n",
	    cfg->issuer ? cfg->issuer : "(none)", cfg->default_ttl, cfg->max_ttl,
	    cfg->allow_unlimited ? "yes" : "no", cfg->max_body, cfg->max_batch,
	    cfg->leeway, cfg->live_window, cfg->url_prefix ? cfg->url_prefix : "/");
	printf("server: audience=%s jwks_path=%s\n",
	    cfg->audience ? cfg->audience : "(none)",
	    cfg->jwks_path ? cfg->jwks_path : "(none)");
	for (i = 0; i < cfg->nkeys; i++)
		print_key_summary(&cfg->keys[i]);
	for (i = 0; i < cfg->nclients; i++) {
		const struct client *cl = &cfg->clients[i];
		size_t j;

		printf("client %s: streams", cl->name);
		for (j = 0; j < cl->nstreams; j++)
			printf("%s %s", j ? "," : "", cl->streams[j]);
		if (cl->audience != NULL)
			printf("; audience %s", cl->audience);
		if (cl->profile == CLAIMS_MEDIAMTX)
			printf("; claims mediamtx");
		printf("%s\n", cl->may_revoke ? "; may revoke" : "");
	}
	print_check_extras(cfg);
	printf("streams: %zu sections (%zu exact, %zu globs)\n", cfg->nstreams,
	    cfg->nstreams - cfg->nglobs, cfg->nglobs);
	for (i = 0; i < cfg->nroutes; i++)
		if (!cfg->routes[i].builtin)
			printf("route %s: line %u\n", cfg->routes[i].name,
			    cfg->routes[i].line);
	config_free(cfg);
	return 0;
}

static int
print_random(size_t nbytes, struct buf *out)
{
	unsigned char raw[64];

	if (nbytes > sizeof(raw) || !key_random(raw, nbytes)) {
		fprintf(stderr, "streamtoken: no random bytes from OpenSSL\n");
		return 1;
	}
	base64url_encode(out, raw, nbytes);
	OPENSSL_cleanse(raw, sizeof(raw));
	return out->failed ? 1 : 0;
}

/* A new 48-byte secret to stdout (path NULL) or to a new file of mode 0600. */
static int
write_secret_file(const char *path)
{
	struct buf secret;
	int status, fd;

	buf_init(&secret);
	/* 48 bytes: 384 bits, 64 characters, above SPEC 4's 32-byte floor. */
	status = print_random(48, &secret);
	if (status != 0)
		goto out;
	buf_append(&secret, "\n", 1);
	if (path == NULL) {
		fputs(secret.data, stdout);
		goto out;
	}
	/* Never overwrite a key: O_EXCL, and mode 0600 from the start. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, secret.data, secret.len) != (ssize_t)secret.len) {
		fprintf(stderr, "streamtoken: cannot write %s: %s\n", path,
		    strerror(errno));
		status = 1;
	}
	if (fd >= 0 && close(fd) != 0)
		status = 1;
	/* No half-written secret is left to be taken for a whole one. */
	if (status != 0 && fd >= 0)
		(void)unlink(path);
out:
	if (secret.data != NULL)
		OPENSSL_cleanse(secret.data, secret.cap);
	buf_free(&secret);
	return status;
}

static int
cmd_gen_secret(int argc, char **argv)
{
	const char *path = NULL;
	int c, status;

	if (wants_help(argc, argv, "gen-secret [-o FILE]", &status))
		return status;
	while ((c = getopt(argc, argv, "o:")) != -1) {
		if (c != 'o')
			return 2;
		path = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "streamtoken: gen-secret takes no arguments\n");
		return 2;
	}
	return write_secret_file(path);
}

/* The kid gen-key suggests: the file's base name less its extension. */
static void
kid_from_path(const char *path, char *kid, size_t cap)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base != NULL ? base + 1 : path;
	len = strcspn(base, ".");
	if (len >= cap || !config_valid_name(base, len)) {
		snprintf(kid, cap, "main");
		return;
	}
	memcpy(kid, base, len);
	kid[len] = '\0';
}

static bool
parse_alg_arg(const char *v, enum key_alg *alg)
{
	static const enum key_alg algs[] = {
		ALG_EDDSA, ALG_ES256, ALG_RS256, ALG_HS256, ALG_HS384, ALG_HS512,
	};
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(v, config_alg_name(algs[i]))) {
			*alg = algs[i];
			return true;
		}
	return false;
}

static int
cmd_gen_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{"algorithm", required_argument, NULL, 'a'},
		{"output", required_argument, NULL, 'o'},
		{"kid", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0}
	};
	const char *path = NULL, *alg_name = NULL, *kid_arg = NULL;
	char kid[ST_NAME_MAX + 1], err[1024], *abs;
	enum key_alg alg = ALG_EDDSA;
	int c, status;

	if (wants_help(argc, argv, "gen-key --algorithm EdDSA|ES256|RS256|HS256|"
	    "HS384|HS512 -o FILE [--kid NAME]", &status))
		return status;
	while ((c = getopt_long(argc, argv, "a:o:", opts, NULL)) != -1) {
		if (c == 'a')
			alg_name = optarg;
		else if (c == 'o')
			path = optarg;
		else if (c == 'k')
			kid_arg = optarg;
		else
			return 2;
	}
	if (optind != argc || path == NULL || alg_name == NULL) {
		fprintf(stderr, "streamtoken: gen-key needs --algorithm ALG and "
		    "-o FILE\n");
		return 2;
	}
	if (!parse_alg_arg(alg_name, &alg)) {
		fprintf(stderr, "streamtoken: --algorithm must be EdDSA, ES256, "
		    "RS256, HS256, HS384 or HS512\n");
		return 2;
	}
	if (kid_arg != NULL && !config_valid_name(kid_arg, strlen(kid_arg))) {
		fprintf(stderr, "streamtoken: --kid must be 1 to 128 characters "
		    "from A-Z a-z 0-9 . _ ~ -\n");
		return 2;
	}
	if (kid_arg != NULL)
		snprintf(kid, sizeof(kid), "%s", kid_arg);
	else
		kid_from_path(path, kid, sizeof(kid));
	status = 0;
	if (config_alg_is_hmac(alg))
		status = write_secret_file(path);
	else if (!key_generate_file(alg, path, err, sizeof(err))) {
		fprintf(stderr, "streamtoken: %s\n", err);
		status = 1;
	}
	if (status != 0)
		return status;
	/* Relative paths in the file are from its folder: print an absolute one. */
	abs = realpath(path, NULL);
	printf("Wrote %s (mode 0600). Add to the configuration:\n[key %s]\n"
	    "algorithm = %s\n%s = %s\n", path, kid, config_alg_name(alg),
	    config_alg_is_hmac(alg) ? "secret_file" : "private_key_file",
	    abs != NULL ? abs : path);
	free(abs);
	return 0;
}

static int
cmd_jwks(int argc, char **argv)
{
	struct config *cfg;
	int status;

	cfg = load_for(argc, argv, "jwks", &status);
	if (cfg == NULL)
		return status;
	printf("%s\n", cfg->jwks);
	config_free(cfg);
	return 0;
}

static int
cmd_gen_client(int argc, char **argv)
{
	unsigned char digest[32];
	struct buf token;
	int status;
	size_t i;

	if (wants_help(argc, argv, "gen-client NAME", &status))
		return status;
	if (argc != 2 || !config_valid_name(argv[1], strlen(argv[1]))) {
		fprintf(stderr, "streamtoken: gen-client needs one NAME of 1 to 128 "
		    "characters from A-Z a-z 0-9 . _ ~ -\n");
		return 2;
	}
	buf_init(&token);
	status = print_random(32, &token);
	if (status == 0 && EVP_Digest(token.data, token.len, digest, NULL,
	    EVP_sha256(), NULL) != 1)
		status = 1;
	if (status == 0) {
		printf("API token for client %s (give it to the client; it is not "
		    "stored anywhere):\n%s\n\nAdd to the configuration:\n"
		    "[client %s]\ntoken_sha256 = ", argv[1], token.data, argv[1]);
		for (i = 0; i < sizeof(digest); i++)
			printf("%02x", digest[i]);
		printf("\nstreams = *\n");
	}
	if (token.data != NULL)
		OPENSSL_cleanse(token.data, token.cap);
	buf_free(&token);
	return status;
}

/* A decimal uint32 from the command line, strictly, as the param name. */
static bool
parse_arg_u32(const char *name, const char *v, struct json_object *params)
{
	uint64_t n;

	if (!text_parse_u64(v, &n) || n > UINT32_MAX) {
		fprintf(stderr, "streamtoken: --%s must be an unsigned integer from 0 "
		    "to 4294967295\n", name);
		return false;
	}
	/* A repeated option: its last value, as a repeated JSON member. */
	json_object_object_del(params, name);
	if (!jsonio_add(params, name, json_object_new_int64((int64_t)n))) {
		fprintf(stderr, "streamtoken: out of memory\n");
		return false;
	}
	return true;
}

/* --live and the like: a param that is true; false when out of memory. */
static bool
set_arg(struct json_object *params, const char *name, struct json_object *v)
{
	json_object_object_del(params, name);
	if (jsonio_add(params, name, v))
		return true;
	fprintf(stderr, "streamtoken: out of memory\n");
	return false;
}

static const struct client *
mint_client(const struct config *cfg, const char *name, struct client *any)
{
	const struct client *c;

	if (name == NULL) {
		/* The operator may mint for any stream; azp says it came from here. */
		static char star[] = "*";
		static char *all[] = {star};
		static char cli_name[] = CONFIG_OPERATOR_AZP;
		memset(any, 0, sizeof(*any));
		any->name = cli_name;
		any->streams = all;
		any->nstreams = 1;
		return any;
	}
	c = config_find_client(cfg, name);
	if (c == NULL)
		fprintf(stderr, "streamtoken: no [client %s] in the configuration\n",
		    name);
	return c;
}

static int
cmd_mint(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"stream", required_argument, NULL, 's'},
		{"ttl", required_argument, NULL, 't'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 'T'},
		{"nbf", required_argument, NULL, 'n'},
		{"ip", required_argument, NULL, 'i'},
		{"client", required_argument, NULL, 'C'},
		{"live", no_argument, NULL, 'l'},
		{"dvr", no_argument, NULL, 'd'},
		{"copy", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0}
	};
	const char *path = NULL, *client_name = NULL;
	struct json_object *params = json_object_new_object();
	struct config *cfg = NULL;
	const struct client *client;
	struct client any;
	struct param_error perr;
	struct grant g;
	struct buf tok;
	enum st_err err;
	int c, status = 2;

	buf_init(&tok);
	if (params == NULL) {
		fprintf(stderr, "streamtoken: out of memory\n");
		goto out;
	}
	/* The options become the JSON params the API would get: one set of rules. */
	if (wants_help(argc, argv, "mint [-c FILE] --stream UID [--ttl N] [--live] "
	    "[--dvr] [--copy] [--from N] [--to N] [--nbf T] [--ip ADDRESS[/N]] "
	    "[--client NAME]", &status))
		goto out;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': client_name = optarg; break;
		case 's':
			if (!set_arg(params, "stream", json_object_new_string(optarg)))
				goto out;
			break;
		case 't': if (!parse_arg_u32("ttl", optarg, params)) goto out; break;
		case 'f': if (!parse_arg_u32("from", optarg, params)) goto out; break;
		case 'T': if (!parse_arg_u32("to", optarg, params)) goto out; break;
		case 'n': if (!parse_arg_u32("nbf", optarg, params)) goto out; break;
		case 'i':
			if (!set_arg(params, "ip", json_object_new_string(optarg)))
				goto out;
			break;
		case 'l':
			if (!set_arg(params, "live", json_object_new_boolean(1)))
				goto out;
			break;
		case 'd':
			if (!set_arg(params, "dvr", json_object_new_boolean(1)))
				goto out;
			break;
		case 'p':
			if (!set_arg(params, "copy", json_object_new_boolean(1)))
				goto out;
			break;
		default: goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "streamtoken: mint: unexpected argument %s\n",
		    argv[optind]);
		goto out;
	}
	status = 1;
	cfg = load_or_complain(path);
	if (cfg == NULL)
		goto out;
	client = mint_client(cfg, client_name, &any);
	if (client == NULL)
		goto out;
	memset(&perr, 0, sizeof(perr));
	err = validate_create_params(cfg, client, params, (int64_t)time(NULL), &g,
	    &perr);
	if (err == ST_ERR_INVALID_PARAMS) {
		fprintf(stderr, "streamtoken: %s: %s\n", perr.param, perr.reason);
		goto out;
	}
	if (err != ST_OK) {
		fprintf(stderr, "streamtoken: %s: %s\n", g.stream,
		    st_err_info(err)->message);
		goto out;
	}
	if (!methods_sign_grant(cfg, client, &g, (int64_t)time(NULL), &tok)) {
		fprintf(stderr, "streamtoken: cannot sign the token\n");
		goto out;
	}
	printf("%s\n", tok.data);
	status = 0;
out:
	json_object_put(params);
	buf_free(&tok);
	config_free(cfg);
	return status;
}

static void
print_claims(const struct claims *c)
{
	printf("kid:  %s\nsub:  %s\niat:  %lld\n", c->kid, c->sub, (long long)c->iat);
	if (c->has_exp)
		printf("exp:  %lld\n", (long long)c->exp);
	else
		printf("exp:  (none, unlimited)\n");
	printf("jti:  %s\nazp:  %s\nlive: %s\ndvr:  %s\ncopy: %s\nfrom: %u\nto:   %u\n",
	    c->jti, c->azp, c->live ? "true" : "false", c->dvr ? "true" : "false",
	    c->copy ? "true" : "false", c->from, c->to);
	if (c->has_nbf)
		printf("nbf:  %lld\n", (long long)c->nbf);
	if (c->ip[0] != '\0')
		printf("ip:   %s\n", c->ip);
	if (c->aud[0] != '\0')
		printf("aud:  %s\n", c->aud);
}

static const char *
perm_names(unsigned perm)
{
	switch (perm) {
	case PERM_LIVE: return "live";
	case PERM_DVR: return "dvr";
	case PERM_COPY: return "copy";
	case PERM_LIVE | PERM_DVR: return "live or dvr";
	}
	return "live, dvr or copy";
}

/* Explains the decision for a media URL, rule by rule. */
static int
verify_url(const struct config *cfg, const char *url, const char *token,
    const uint8_t *viewer)
{
	struct check_result res;

	check_decide_token(cfg, url, token, viewer, (int64_t)time(NULL), &res);
	if (res.routed) {
		const struct route_match *m = &res.match;

		printf("route:  %s%s\nstream: %s\nneeds:  %s\n", m->route->name,
		    m->route->builtin ? " (built-in)" : "", m->stream,
		    perm_names(m->perm));
		if (m->has_window)
			printf("window: %u .. %llu\n", m->from,
			    (unsigned long long)m->to);
	}
	if (res.token_checked)
		print_claims(&res.claims);
	printf("decision: %d %s\n", res.status, res.reason);
	return res.status == 200 ? 0 : 1;
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"url", required_argument, NULL, 'u'},
		{"ip", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0}
	};
	const char *path = NULL, *url = NULL, *refused = NULL;
	uint8_t addr[16], *viewer = NULL;
	struct config *cfg;
	enum token_status st;
	struct claims cl;
	int c, status;

	if (wants_help(argc, argv, "verify [-c FILE] [--url URL] [--ip ADDRESS] "
	    "TOKEN", &status))
		return status;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (c == 'c') {
			path = optarg;
		} else if (c == 'u') {
			url = optarg;
		} else if (c == 'i') {
			if (!ip_parse_addr(optarg, addr)) {
				fprintf(stderr, "streamtoken: --ip must be an IPv4 or "
				    "IPv6 address\n");
				return 2;
			}
			viewer = addr;
		} else {
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "streamtoken: verify needs one TOKEN\n");
		return 2;
	}
	cfg = load_or_complain(path);
	if (cfg == NULL)
		return 1;
	if (url != NULL) {
		status = verify_url(cfg, url, argv[optind], viewer);
		config_free(cfg);
		return status;
	}
	st = token_verify(cfg, argv[optind], strlen(argv[optind]),
	    (int64_t)time(NULL), &cl);
	if (st == TOKEN_VALID || token_refused_by_clock(st))
		print_claims(&cl);
	refused = check_token_alone(cfg, st, &cl, viewer, (int64_t)time(NULL));
	if (refused == NULL)
		printf("valid\n");
	else
		fprintf(stderr, "streamtoken: invalid: %s\n", refused);
	config_free(cfg);
	return refused == NULL ? 0 : 1;
}

/* A Unix time from the command line, strictly. */
static bool
parse_arg_time(const char *name, const char *v, int64_t *out)
{
	uint64_t n;

	if (!text_parse_u64(v, &n) || n > INT64_MAX) {
		fprintf(stderr, "streamtoken: --%s must be Unix seconds\n", name);
		return false;
	}
	*out = (int64_t)n;
	return true;
}

/*
 * Entries may go once every token they could refuse has expired: that
 * needs a cap on lifetimes (max_ttl, no unlimited tokens).
 */
static int
compact_revocations(const struct config *cfg)
{
	uint32_t longest = config_longest_ttl(cfg);
	size_t kept, dropped;
	char err[1024];
	int64_t horizon;

	if (longest == 0) {
		fprintf(stderr, "streamtoken: revoke --compact needs allow_unlimited "
		    "= no and a max_ttl for the server and every stream: without a "
		    "longest lifetime no entry can be dropped\n");
		return 1;
	}
	horizon = (int64_t)time(NULL) - longest - cfg->leeway;
	if (!revoke_compact(cfg->revocation_file, horizon, &kept, &dropped, err,
	    sizeof(err))) {
		fprintf(stderr, "streamtoken: %s\n", err);
		return 1;
	}
	printf("%zu entries kept, %zu dropped (older than %lld)\n", kept, dropped,
	    (long long)horizon);
	return 0;
}

static int
cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"jti", required_argument, NULL, 'j'},
		{"stream", required_argument, NULL, 's'},
		{"client", required_argument, NULL, 'C'},
		{"before", required_argument, NULL, 'b'},
		{"compact", no_argument, NULL, 'x'},
		{NULL, 0, NULL, 0}
	};
	const char *path = NULL, *value = NULL;
	enum revoke_kind kind = REVOKE_JTI;
	int64_t now = (int64_t)time(NULL), when = now + 1;
	bool compact = false, have_before = false;
	struct config *cfg;
	int opt, status = 2, kinds = 0;
	char err[1024];

	if (wants_help(argc, argv, "revoke [-c FILE] --jti JTI | --stream UID "
	    "[--before T] | --client NAME [--before T] | --compact", &status))
		return status;
	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'j': kind = REVOKE_JTI; value = optarg; kinds++; break;
		case 's': kind = REVOKE_STREAM; value = optarg; kinds++; break;
		case 'C': kind = REVOKE_CLIENT; value = optarg; kinds++; break;
		case 'b':
			if (!parse_arg_time("before", optarg, &when))
				return 2;
			have_before = true;
			break;
		case 'x': compact = true; kinds++; break;
		default: return 2;
		}
	}
	if (optind != argc || kinds != 1 || (have_before && kind == REVOKE_JTI)) {
		fprintf(stderr, "streamtoken: revoke needs exactly one of --jti, "
		    "--stream, --client or --compact (--before with --stream or "
		    "--client only)\n");
		return 2;
	}
	if (!compact && !revoke_valid_value(kind, value)) {
		fprintf(stderr, "streamtoken: --%s: not a valid %s\n",
		    revoke_kind_name(kind), revoke_kind_name(kind));
		return 2;
	}
	cfg = load_or_complain(path);
	if (cfg == NULL)
		return 1;
	if (cfg->revocation_file == NULL) {
		fprintf(stderr, "streamtoken: no revocation_file in [server] of %s\n",
		    cfg->path);
		status = 1;
	} else if (compact) {
		status = compact_revocations(cfg);
	} else if (!revoke_append(cfg->revoke, cfg->revocation_file, kind, value,
	    kind == REVOKE_JTI ? now : when, err, sizeof(err))) {
		fprintf(stderr, "streamtoken: %s\n", err);
		status = 1;
	} else {
		printf("revoked %s %s%s\n", revoke_kind_name(kind), value,
		    kind == REVOKE_JTI ? "" : " (tokens issued before that time)");
		status = 0;
	}
	config_free(cfg);
	return status;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"check-config", cmd_check_config},
	{"gen-secret", cmd_gen_secret},
	{"gen-key", cmd_gen_key},
	{"gen-client", cmd_gen_client},
	{"jwks", cmd_jwks},
	{"mint", cmd_mint},
	{"revoke", cmd_revoke},
	{"verify", cmd_verify},
};

int
cli_run(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name)) {
			optind = 1;
			return commands[i].run(argc, argv);
		}
	return -1;
}
