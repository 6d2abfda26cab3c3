/* unit_validate: SPEC 2.3 params, the stream checks and their order. */
#include "unit_fixture.h"


#include "validate.h"

static struct fixture fx;

#define RNOW 1700000000	/* the fixed clock */
static struct config *capped;		/* max_ttl caps, allow_unlimited = no */
static struct config *open_cfg;		/* no caps, unlimited allowed */

#define CLIENTS \
	"[client backend]\ntoken_sha256 = " FX_SHA_TEST "\n" \
	"streams = cam-*, lobby, pub-*, nowhere-*\n" \
	"[client narrow]\ntoken_sha256 = " FX_SHA_TEST "\nstreams = cam-1\n" \
	"[client all]\ntoken_sha256 = " FX_SHA_TEST "\n"

static const char capped_ini[] =
	"[server]\ndefault_ttl = 3600\nmax_ttl = 86400\nallow_unlimited = no\n"
	"[key main]\nsecret_file = main.key\n"
	CLIENTS
	"[stream cam-1]\nallow = live, dvr\nmax_ttl = 7200\n"
	"[stream cam-bound]\nbind_ip = required\n"
	"[stream cam-*]\n"
	"[stream lobby]\nallow = none\n"
	"[stream pub-1]\naccess = public\n";

static const char open_ini[] =
	"[key main]\nsecret_file = main.key\n"
	CLIENTS
	"[stream cam-*]\n"
	"[stream lobby]\nmax_ttl = 60\n";

/* The fixture's JSON params (NULL: params absent); false if it does not parse. */
static bool
parse_params(const char *json, struct json_object **params)
{
	*params = NULL;
	if (json != NULL && jsonio_parse(json, strlen(json), 8, params) !=
	    JSONIO_OK) {
		printf("#   fixture JSON does not parse: %s\n", json);
		return false;
	}
	return true;
}

/* Parses params (NULL for absent params) and validates them. */
static enum st_err
run(const struct config *cfg, const char *who, const char *params_json,
    struct grant *g, struct param_error *perr)
{
	struct json_object *params;
	enum st_err err;

	memset(perr, 0, sizeof(*perr));
	if (!parse_params(params_json, &params))
		return ST_ERR__COUNT;
	err = validate_create_params(cfg, config_find_client(cfg, who), params,
	    RNOW, g, perr);
	json_object_put(params);
	return err;
}

/* ---- refusals ---- */

struct bad_row {
	const char *name;
	bool open;			/* use open_cfg */
	const char *who;
	const char *params;
	enum st_err err;
	const char *param;		/* for ST_ERR_INVALID_PARAMS */
};

#define CAPPED false
#define OPEN true

static const struct bad_row bad_rows[] = {
	/* SPEC 2.3: booleans are true or false, nothing else. */
	{"validate_refuses_live_1", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"live\":1}", ST_ERR_INVALID_PARAMS, "live"},
	{"validate_refuses_live_string_true", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"live\":\"true\"}", ST_ERR_INVALID_PARAMS, "live"},
	{"validate_refuses_live_null", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"live\":null}", ST_ERR_INVALID_PARAMS, "live"},
	{"validate_refuses_dvr_0", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"dvr\":0}", ST_ERR_INVALID_PARAMS, "dvr"},
	{"validate_refuses_copy_string_false", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"copy\":\"false\"}", ST_ERR_INVALID_PARAMS, "copy"},
	/* SPEC 2.3: integers, never wrapped. */
	{"validate_refuses_ttl_fraction", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":3600.5}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_string", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":\"3600\"}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_negative", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":-1}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_exponent", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":1e3}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_whole_double", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":3600.0}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_2_pow_32_not_wrapped", OPEN, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":4294967296}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_2_pow_63", OPEN, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":9223372036854775808}",
	    ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_2_pow_64", OPEN, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":18446744073709551616}",
	    ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_null", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":null}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_true", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":true}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_from_string", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"from\":\"100\"}", ST_ERR_INVALID_PARAMS, "from"},
	{"validate_refuses_from_negative", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"from\":-100}", ST_ERR_INVALID_PARAMS, "from"},
	{"validate_refuses_to_fraction", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"to\":1.5}", ST_ERR_INVALID_PARAMS, "to"},
	{"validate_refuses_to_2_pow_32", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"to\":4294967296}", ST_ERR_INVALID_PARAMS, "to"},
	/* stream: a string holding a uid. */
	{"validate_refuses_stream_number", CAPPED, "backend",
	    "{\"stream\":5}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_stream_null", CAPPED, "backend",
	    "{\"stream\":null}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_stream_array", CAPPED, "backend",
	    "{\"stream\":[\"cam-1\"]}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_empty_stream", CAPPED, "backend",
	    "{\"stream\":\"\"}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_stream_with_slash", CAPPED, "backend",
	    "{\"stream\":\"cam-1/../x\"}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_stream_glob", CAPPED, "backend",
	    "{\"stream\":\"cam-*\"}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_stream_with_nul", CAPPED, "backend",
	    "{\"stream\":\"cam-1\\u0000x\"}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_stream_non_ascii", CAPPED, "backend",
	    "{\"stream\":\"cam-\\u00e9\"}", ST_ERR_INVALID_PARAMS, "stream"},
	/* SPEC 2.3: a typo must not fall back to a default. */
	{"validate_refuses_unknown_param_tll", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"tll\":60}", ST_ERR_INVALID_PARAMS, "tll"},
	{"validate_refuses_param_name_in_wrong_case", CAPPED, "backend",
	    "{\"Stream\":\"cam-2\"}", ST_ERR_INVALID_PARAMS, "Stream"},
	{"validate_sanitizes_unknown_param_name", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"t\\u0001l\\n\":60}", ST_ERR_INVALID_PARAMS,
	    "t?l?"},
	{"validate_refuses_10_positional_params", CAPPED, "backend",
	    "[\"cam-2\",60,true,false,false,0,0,\"10.0.0.1\",0,1]", ST_ERR_INVALID_PARAMS, "params"},
	{"validate_refuses_ip_not_a_string", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ip\":7}", ST_ERR_INVALID_PARAMS, "ip"},
	{"validate_refuses_ip_hostname", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ip\":\"example.com\"}", ST_ERR_INVALID_PARAMS, "ip"},
	{"validate_refuses_ip_prefix_33", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ip\":\"10.0.0.0/33\"}", ST_ERR_INVALID_PARAMS, "ip"},
	{"validate_refuses_nbf_string", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"nbf\":\"1700000000\"}", ST_ERR_INVALID_PARAMS, "nbf"},
	{"validate_refuses_nbf_at_exp", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":60,\"nbf\":1700000060}", ST_ERR_INVALID_PARAMS, "nbf"},
	{"validate_refuses_nbf_after_capped_exp", CAPPED, "backend",
	    "{\"stream\":\"cam-1\",\"nbf\":1700007200}", ST_ERR_INVALID_PARAMS, "nbf"},
	{"validate_refuses_missing_ip_on_bind_ip_stream", CAPPED, "backend",
	    "{\"stream\":\"cam-bound\"}", ST_ERR_INVALID_PARAMS, "ip"},
	{"validate_refuses_positional_ttl_string", CAPPED, "backend",
	    "[\"cam-2\",\"60\"]", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_positional_live_1", CAPPED, "backend",
	    "[\"cam-2\",60,1]", ST_ERR_INVALID_PARAMS, "live"},
	{"validate_refuses_positional_copy_null", CAPPED, "backend",
	    "[\"cam-2\",60,true,false,null]", ST_ERR_INVALID_PARAMS, "copy"},
	{"validate_refuses_positional_to_negative", CAPPED, "backend",
	    "[\"cam-2\",60,true,false,false,0,-1]", ST_ERR_INVALID_PARAMS, "to"},
	{"validate_refuses_positional_stream_number", CAPPED, "backend",
	    "[5]", ST_ERR_INVALID_PARAMS, "stream"},
	/* stream is required, however params are spelt. */
	{"validate_refuses_missing_stream_named", CAPPED, "backend",
	    "{\"ttl\":60}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_empty_params_object", CAPPED, "backend",
	    "{}", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_empty_params_array", CAPPED, "backend",
	    "[]", ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_absent_params", CAPPED, "backend",
	    NULL, ST_ERR_INVALID_PARAMS, "stream"},
	{"validate_refuses_to_before_from", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"from\":200,\"to\":100}", ST_ERR_INVALID_PARAMS, "to"},
	/* SPEC 2.3 limits of the stream and the server. */
	{"validate_refuses_ttl_above_stream_max_ttl", CAPPED, "backend",
	    "{\"stream\":\"cam-1\",\"ttl\":7201}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_ttl_above_server_max_ttl", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":86401}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_unlimited_ttl_when_not_allowed", CAPPED, "backend",
	    "{\"stream\":\"cam-2\",\"ttl\":0}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_unlimited_ttl_on_capped_stream", OPEN, "backend",
	    "{\"stream\":\"lobby\",\"ttl\":0}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_refuses_copy_not_in_allow", CAPPED, "backend",
	    "{\"stream\":\"cam-1\",\"copy\":true}", ST_ERR_INVALID_PARAMS, "copy"},
	{"validate_refuses_live_on_allow_none", CAPPED, "backend",
	    "{\"stream\":\"lobby\",\"live\":true}", ST_ERR_INVALID_PARAMS, "live"},
	{"validate_refuses_dvr_on_allow_none", CAPPED, "backend",
	    "[\"lobby\",60,false,true]", ST_ERR_INVALID_PARAMS, "dvr"},
	/* SPEC 2.3 stream checks. */
	{"validate_forbids_stream_outside_client_patterns", CAPPED, "narrow",
	    "{\"stream\":\"cam-2\"}", ST_ERR_FORBIDDEN, NULL},
	{"validate_forbidden_hides_whether_stream_exists", CAPPED, "narrow",
	    "{\"stream\":\"nope\"}", ST_ERR_FORBIDDEN, NULL},
	{"validate_checks_types_before_client_rights", CAPPED, "narrow",
	    "{\"stream\":\"cam-2\",\"ttl\":\"x\"}", ST_ERR_INVALID_PARAMS, "ttl"},
	{"validate_stream_not_found", CAPPED, "all",
	    "{\"stream\":\"nope\"}", ST_ERR_STREAM_NOT_FOUND, NULL},
	{"validate_stream_not_found_inside_client_patterns", CAPPED, "backend",
	    "{\"stream\":\"nowhere-1\"}", ST_ERR_STREAM_NOT_FOUND, NULL},
	{"validate_refuses_public_stream", CAPPED, "backend",
	    "{\"stream\":\"pub-1\"}", ST_ERR_STREAM_NOT_PRIVATE, NULL},
	{"validate_refuses_public_stream_before_ttl_rules", CAPPED, "backend",
	    "{\"stream\":\"pub-1\",\"ttl\":0,\"copy\":true}",
	    ST_ERR_STREAM_NOT_PRIVATE, NULL},
};

static void
check_bad_row(const void *arg)
{
	const struct bad_row *row = arg;
	struct param_error perr;
	struct grant g;
	enum st_err err;

	err = run(row->open ? open_cfg : capped, row->who, row->params, &g, &perr);
	if (err != row->err)
		printf("#   got error %d, want %d (param %s)\n", (int)err,
		    (int)row->err, perr.param);
	EXPECT(err == row->err);
	if (row->param != NULL) {
		EXPECT_STR(perr.param, row->param);
		EXPECT(perr.reason != NULL && perr.reason[0] != '\0');
	}
}

static void
validate_refuses_129_char_stream(void)
{
	char params[256], name[200];
	struct param_error perr;
	struct grant g;

	memset(name, 'c', 129);
	name[129] = '\0';
	snprintf(params, sizeof(params), "{\"stream\":\"%s\"}", name);
	EXPECT(run(open_cfg, "all", params, &g, &perr) == ST_ERR_INVALID_PARAMS);
	EXPECT_STR(perr.param, "stream");
	/* 128 is a valid uid: it passes the type check and is simply not configured. */
	name[128] = '\0';
	snprintf(params, sizeof(params), "{\"stream\":\"%s\"}", name);
	EXPECT(run(open_cfg, "all", params, &g, &perr) == ST_ERR_STREAM_NOT_FOUND);
}

static void
validate_truncates_long_unknown_param_name(void)
{
	char params[512], name[200];
	struct param_error perr;
	struct grant g;

	memset(name, 'x', 150);
	name[150] = '\0';
	snprintf(params, sizeof(params), "{\"%s\":1,\"stream\":\"cam-2\"}", name);
	EXPECT(run(capped, "backend", params, &g, &perr) == ST_ERR_INVALID_PARAMS);
	EXPECT(strlen(perr.param) == sizeof(perr.param) - 1);
	EXPECT(strspn(perr.param, "x") == sizeof(perr.param) - 1);
}

/* ---- accepted params ---- */

static void
validate_named_params_fill_grant(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "{\"stream\":\"cam-1\",\"ttl\":60,"
	    "\"live\":true,\"dvr\":true,\"copy\":false,\"from\":100,\"to\":200}",
	    &g, &perr) == ST_OK);
	EXPECT_STR(g.stream, "cam-1");
	EXPECT(g.ttl == 60);
	EXPECT(g.live && g.dvr && !g.copy);
	EXPECT(g.from == 100 && g.to == 200);
	EXPECT(g.rule != NULL && strcmp(g.rule->name, "cam-1") == 0);
}

static void
validate_named_params_in_any_order(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "{\"to\":9,\"dvr\":true,\"ttl\":61,"
	    "\"stream\":\"cam-3\"}", &g, &perr) == ST_OK);
	EXPECT_STR(g.stream, "cam-3");
	EXPECT(g.ttl == 61 && g.dvr && !g.live && g.to == 9 && g.from == 0);
}

static void
validate_positional_params_fill_grant(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "[\"cam-1\",60,true,true,false,100,200]",
	    &g, &perr) == ST_OK);
	EXPECT_STR(g.stream, "cam-1");
	EXPECT(g.ttl == 60);
	EXPECT(g.live && g.dvr && !g.copy);
	EXPECT(g.from == 100 && g.to == 200);
}

static void
validate_positional_prefix_keeps_defaults(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "[\"cam-2\",120,true]", &g, &perr) == ST_OK);
	EXPECT(g.ttl == 120 && g.live && !g.dvr && !g.copy);
	EXPECT(g.from == 0 && g.to == 0);
}

static void
validate_defaults(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "{\"stream\":\"cam-2\"}", &g, &perr) == ST_OK);
	EXPECT_STR(g.stream, "cam-2");
	EXPECT(g.ttl == 3600);		/* default_ttl */
	EXPECT(!g.live && !g.dvr && !g.copy);
	EXPECT(g.from == 0 && g.to == 0);
	EXPECT(g.rule != NULL && g.rule->is_glob &&
	    strcmp(g.rule->name, "cam-*") == 0);
}

static void
validate_accepts_to_equal_to_from(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "{\"stream\":\"cam-2\",\"from\":100,\"to\":100}",
	    &g, &perr) == ST_OK);
	/* 0 is unbounded: either bound alone is fine. */
	EXPECT(run(capped, "backend", "{\"stream\":\"cam-2\",\"from\":100,\"to\":0}",
	    &g, &perr) == ST_OK);
	EXPECT(run(capped, "backend", "{\"stream\":\"cam-2\",\"from\":0,\"to\":5}",
	    &g, &perr) == ST_OK);
}

static void
validate_accepts_ttl_at_the_caps(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "{\"stream\":\"cam-1\",\"ttl\":7200}", &g,
	    &perr) == ST_OK);
	EXPECT(run(capped, "backend", "{\"stream\":\"cam-2\",\"ttl\":86400}", &g,
	    &perr) == ST_OK);
	EXPECT(g.ttl == 86400);
}

static void
validate_accepts_unlimited_ttl_when_allowed(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(open_cfg, "backend", "{\"stream\":\"cam-2\",\"ttl\":0}", &g,
	    &perr) == ST_OK);
	EXPECT(g.ttl == 0);
}

static void
validate_accepts_uint32_max(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(open_cfg, "backend", "[\"cam-2\",4294967295,false,false,false,"
	    "4294967295,4294967295]", &g, &perr) == ST_OK);
	EXPECT(g.ttl == 4294967295u && g.from == 4294967295u &&
	    g.to == 4294967295u);
}

/* An omitted ttl is default_ttl (3600) lowered to the stream's max_ttl (60). */
static void
validate_default_ttl_capped_by_stream_max_ttl(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(open_cfg, "backend", "{\"stream\":\"lobby\"}", &g, &perr) ==
	    ST_OK);
	EXPECT(g.ttl == 60);
	/* an explicit ttl above the cap is still refused */
	EXPECT(run(open_cfg, "backend", "{\"stream\":\"lobby\",\"ttl\":61}", &g,
	    &perr) == ST_ERR_INVALID_PARAMS);
}

/* A permission a stream does not allow may still be asked for as false. */
static void
validate_accepts_false_for_disallowed_permission(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "{\"stream\":\"lobby\",\"live\":false,"
	    "\"dvr\":false,\"copy\":false}", &g, &perr) == ST_OK);
}

static void
validate_client_pattern_allows_exact_stream(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "narrow", "{\"stream\":\"cam-1\",\"live\":true}", &g,
	    &perr) == ST_OK);
	EXPECT(g.rule != NULL && !g.rule->is_glob);
}

static void
validate_params_absent_is_not_an_error_of_type(void)
{
	struct param_error perr;
	struct grant g;

	/* "params": null behaves like absent params: only stream is missing. */
	EXPECT(run(capped, "backend", "null", &g, &perr) == ST_ERR_INVALID_PARAMS);
	EXPECT_STR(perr.param, "stream");
	EXPECT(perr.reason != NULL && strstr(perr.reason, "required") != NULL);
}

/* ---- validate_u32 ---- */

struct u32_row {
	const char *json;
	bool ok;
	uint32_t want;
};

static const struct u32_row u32_rows[] = {
	{"[0]", true, 0}, {"[1]", true, 1}, {"[-0]", false, 0},
	{"[4294967295]", true, 4294967295u}, {"[4294967296]", false, 0},
	{"[-1]", false, 0}, {"[1.0]", false, 0}, {"[1e0]", false, 0},
	{"[\"1\"]", false, 0}, {"[true]", false, 0}, {"[null]", false, 0},
	{"[9223372036854775807]", false, 0}, {"[9223372036854775808]", false, 0},
	{"[18446744073709551615]", false, 0}, {"[-9223372036854775808]", false, 0},
	{"[{}]", false, 0}, {"[[]]", false, 0},
};

static void
validate_u32_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(u32_rows) / sizeof(u32_rows[0]); i++) {
		struct json_object *root = NULL;
		uint32_t n = 7;
		bool ok;

		EXPECT(jsonio_parse(u32_rows[i].json, strlen(u32_rows[i].json), 4,
		    &root) == JSONIO_OK);
		if (root == NULL)
			continue;
		ok = validate_u32(json_object_array_get_idx(root, 0), &n);
		if (ok != u32_rows[i].ok || (ok && n != u32_rows[i].want) ||
		    (!ok && n != 7))
			printf("#   %s: ok=%d n=%u\n", u32_rows[i].json, ok, n);
		EXPECT(ok == u32_rows[i].ok);
		EXPECT(ok ? n == u32_rows[i].want : n == 7);
		json_object_put(root);
	}
	EXPECT(!validate_u32(NULL, NULL));
}

/* ---- Auth.RevokeTokens ---- */

struct revoke_row {
	const char *name;
	const char *who;
	const char *params;
	enum st_err err;
	const char *param;		/* ST_ERR_INVALID_PARAMS: the one named */
	enum revoke_kind kind;		/* ST_OK: what was read */
	const char *value;
	int64_t before;
};

static const struct revoke_row revoke_rows[] = {
	{"revoke_jti", "backend", "{\"jti\":\"abc-_9\"}", ST_OK, NULL, REVOKE_JTI, "abc-_9", RNOW + 1},
	{"revoke_stream_before", "backend", "{\"stream\":\"cam-1\",\"before\":1699990000}", ST_OK, NULL, REVOKE_STREAM, "cam-1", 1699990000},
	{"revoke_stream_before_defaults_to_this_second", "backend", "{\"stream\":\"cam-1\"}", ST_OK, NULL, REVOKE_STREAM, "cam-1", RNOW + 1},
	{"revoke_client_any_name_by_an_all_streams_client", "all", "{\"before\":5,\"client\":\"someone\"}", ST_OK, NULL, REVOKE_CLIENT, "someone", 5},
	{"revoke_client_itself", "narrow", "{\"client\":\"narrow\"}", ST_OK, NULL, REVOKE_CLIENT, "narrow", RNOW + 1},
	{"revoke_other_client_403", "narrow", "{\"client\":\"backend\"}", ST_ERR_FORBIDDEN, NULL, 0, NULL, 0},
	{"revoke_before_at_end_of_this_second", "all", "{\"client\":\"x\",\"before\":1700000001}", ST_OK, NULL, REVOKE_CLIENT, "x", RNOW + 1},
	{"revoke_refused_no_params", "backend", NULL, ST_ERR_INVALID_PARAMS, "jti", 0, NULL, 0},
	{"revoke_refused_empty_object", "backend", "{}", ST_ERR_INVALID_PARAMS, "jti", 0, NULL, 0},
	{"revoke_refused_positional", "backend", "[\"abc\"]", ST_ERR_INVALID_PARAMS, "params", 0, NULL, 0},
	{"revoke_refused_two_kinds", "backend", "{\"jti\":\"a\",\"client\":\"b\"}", ST_ERR_INVALID_PARAMS, "client", 0, NULL, 0},
	{"revoke_refused_jti_not_string", "backend", "{\"jti\":5}", ST_ERR_INVALID_PARAMS, "jti", 0, NULL, 0},
	{"revoke_refused_jti_bad_char", "backend", "{\"jti\":\"a.b\"}", ST_ERR_INVALID_PARAMS, "jti", 0, NULL, 0},
	{"revoke_refused_jti_nul", "backend", "{\"jti\":\"a\\u0000b\"}", ST_ERR_INVALID_PARAMS, "jti", 0, NULL, 0},
	{"revoke_refused_stream_bad_name", "backend", "{\"stream\":\"cam 1\"}", ST_ERR_INVALID_PARAMS, "stream", 0, NULL, 0},
	{"revoke_refused_before_with_jti", "backend", "{\"jti\":\"a\",\"before\":1}", ST_ERR_INVALID_PARAMS, "before", 0, NULL, 0},
	{"revoke_refused_before_in_future", "backend", "{\"stream\":\"cam-1\",\"before\":1700000002}", ST_ERR_INVALID_PARAMS, "before", 0, NULL, 0},
	{"revoke_refused_before_string", "backend", "{\"stream\":\"cam-1\",\"before\":\"1\"}", ST_ERR_INVALID_PARAMS, "before", 0, NULL, 0},
	{"revoke_refused_before_double", "backend", "{\"stream\":\"cam-1\",\"before\":1e3}", ST_ERR_INVALID_PARAMS, "before", 0, NULL, 0},
	{"revoke_refused_before_negative", "backend", "{\"stream\":\"cam-1\",\"before\":-1}", ST_ERR_INVALID_PARAMS, "before", 0, NULL, 0},
	{"revoke_refused_unknown_param", "backend", "{\"jti\":\"a\",\"why\":1}", ST_ERR_INVALID_PARAMS, "why", 0, NULL, 0},
	{"revoke_stream_outside_client_patterns_403", "narrow", "{\"stream\":\"cam-2\"}", ST_ERR_FORBIDDEN, NULL, 0, NULL, 0},
};

static void
check_revoke_row(const struct revoke_row *row)
{
	struct json_object *params;
	struct param_error perr;
	struct revocation rv;
	enum st_err err;

	memset(&perr, 0, sizeof(perr));
	if (!parse_params(row->params, &params)) {
		EXPECT(!"fixture JSON parses");
		return;
	}
	err = validate_revoke_params(config_find_client(capped, row->who), params,
	    RNOW, &rv, &perr);
	json_object_put(params);
	EXPECT(err == row->err);
	if (err != row->err)
		printf("#   err %d, param %s\n", (int)err, perr.param);
	if (row->err == ST_ERR_INVALID_PARAMS)
		EXPECT_STR(perr.param, row->param);
	if (row->err == ST_OK && err == ST_OK) {
		EXPECT(rv.kind == row->kind);
		EXPECT_STR(rv.value, row->value);
		if (row->kind != REVOKE_JTI)
			EXPECT(rv.before == row->before);
	}
}

static void
validate_ip_and_nbf_fill_grant(void)
{
	struct param_error perr;
	struct grant g;

	EXPECT(run(capped, "backend", "{\"stream\":\"cam-bound\",\"ttl\":60,"
	    "\"ip\":\"2001:DB8::7/48\",\"nbf\":1700000059}", &g, &perr) == ST_OK);
	EXPECT_STR(g.ip, "2001:db8::/48");
	EXPECT(g.nbf == 1700000059);
	EXPECT(run(capped, "backend", "[\"cam-2\",60,true,false,false,0,0,"
	    "\"::ffff:203.0.113.7\",1700000001]", &g, &perr) == ST_OK);
	EXPECT_STR(g.ip, "203.0.113.7");
	EXPECT(g.nbf == 1700000001);
}

int
main(void)
{
	char err[1024];
	size_t i;

	if (!fx_init(&fx, "unit_validate")) {
		printf("Bail out! cannot create the fixture directory\n");
		return 1;
	}
	fx_write_str(&fx, "main.key", FX_SECRET, 0600);
	capped = fx_load(&fx, capped_ini, err, sizeof(err));
	if (capped != NULL)
		open_cfg = fx_load(&fx, open_ini, err, sizeof(err));
	fx_cleanup(&fx);
	if (capped == NULL || open_cfg == NULL) {
		printf("Bail out! fixture config: %s\n", err);
		config_free(capped);
		return 1;
	}
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++)
		RUN_ROW(bad_rows[i].name, check_bad_row, &bad_rows[i]);
	RUN(validate_refuses_129_char_stream);
	RUN(validate_truncates_long_unknown_param_name);
	RUN(validate_named_params_fill_grant);
	RUN(validate_named_params_in_any_order);
	RUN(validate_positional_params_fill_grant);
	RUN(validate_positional_prefix_keeps_defaults);
	RUN(validate_defaults);
	RUN(validate_accepts_to_equal_to_from);
	RUN(validate_accepts_ttl_at_the_caps);
	RUN(validate_accepts_unlimited_ttl_when_allowed);
	RUN(validate_accepts_uint32_max);
	RUN(validate_accepts_false_for_disallowed_permission);
	RUN(validate_default_ttl_capped_by_stream_max_ttl);
	RUN(validate_client_pattern_allows_exact_stream);
	RUN(validate_params_absent_is_not_an_error_of_type);
	RUN(validate_u32_table);
	RUN(validate_ip_and_nbf_fill_grant);
	for (i = 0; i < sizeof(revoke_rows) / sizeof(revoke_rows[0]); i++)
		RUN_ROW(revoke_rows[i].name, check_revoke_row, &revoke_rows[i]);
	config_free(capped);
	config_free(open_cfg);
	return tap_done();
}
