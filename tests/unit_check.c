/* unit_check: the SPEC 7 decision (check_decide) for media URLs, at a fixed clock. */
#include "unit_fixture.h"

#include "check.h"
#include "keys.h"
#include "token.h"

#define NOW 1700000000	/* 2023-11-14T22:13:20Z: a fixed clock */

/* A known bug is a TAP TODO: reported "not ok ... # TODO", never a failure. */
#define RUN_TODO(name, fn, arg, why) do { tap_case = (name); tap_failed_here = 0; \
	fn(arg); tap_count++; \
	printf("%s %d - %s # TODO %s\n", tap_failed_here ? "not ok" : "ok", \
	    tap_count, tap_case, (why)); fflush(stdout); } while (0)

static struct fixture fx;
static struct config *cfg;	/* keys main (signs), old (sign = no), big (HS512) */
static struct config *pcfg;	/* url_prefix = /media, leeway = 30 */

static const char config_text[] =
	"[server]\n"
	"issuer = media.example.com\n"
	"[key old]\n"
	"secret_file = old.key\n"
	"sign = no\n"
	"[key main]\n"
	"algorithm = HS256\n"
	"secret_file = main.key\n"
	"sign = yes\n"
	"[key big]\n"
	"algorithm = HS512\n"
	"secret_file = big.key\n"
	"sign = no\n"
	"[client backend]\n"
	"token_sha256 = " FX_SHA_TEST "\n"
	"[stream cam-1]\n"
	"access = private\n"
	"[stream lobby]\n"
	"access = public\n"
	"[stream cam.1.hd]\n"
	"access = private\n"
	"[stream cam-*]\n"
	"access = private\n"
	"[route rec]\n"
	"pattern = ^/rec/([A-Za-z0-9._~-]+)/rec-([0-9]+)-([0-9]+)\\.mp4$\n"
	"stream = 1\n"
	"from = 2\n"
	"duration = 3\n"
	"permission = live, dvr\n";

static const char prefix_config_text[] =
	"[server]\n"
	"url_prefix = /media\n"
	"leeway = 30\n"
	"[key main]\n"
	"secret_file = main.key\n"
	"[client backend]\n"
	"token_sha256 = " FX_SHA_TEST "\n"
	"[stream cam-*]\n"
	"access = private\n";

/*
 * The same keys after a reload that changed the policy: backend may use
 * cam-1 and cam-9 only, the client "gone" was removed, cam-1 allows dvr
 * only, cam-9 became public.
 */
static struct config *later;
static const char later_config_text[] =
	"[key main]\n"
	"secret_file = main.key\n"
	"[client backend]\n"
	"token_sha256 = " FX_SHA_TEST "\n"
	"streams = cam-1, cam-9\n"
	"[stream cam-1]\n"
	"access = private\n"
	"allow = dvr\n"
	"[stream cam-9]\n"
	"access = public\n"
	"[stream cam-*]\n"
	"access = private\n";

/* ---- tokens made here, signed with the fixture keys ---- */

static char toks[256][TOKEN_MAX_LEN + 8];
static size_t ntoks;

/* header.payload signed with the key named sign_kid (NULL: "sig" as the MAC). */
static const char *
make_raw(const char *header, const char *payload, const char *sign_kid,
    int force_alg)
{
	unsigned char mac[KEY_MAC_MAX];
	struct key k;
	struct buf b;
	const struct key *key = NULL;
	char *out = toks[ntoks++ % 256];
	size_t n;

	buf_init(&b);
	base64url_encode(&b, header, strlen(header));
	buf_append(&b, ".", 1);
	base64url_encode(&b, payload, strlen(payload));
	if (sign_kid != NULL)
		key = config_find_key(cfg, sign_kid);
	if (key != NULL) {
		k = *key;
		if (force_alg >= 0)
			k.alg = (enum key_alg)force_alg;
		n = key_hmac(&k, b.data, b.len, mac);
		buf_append(&b, ".", 1);
		base64url_encode(&b, mac, n);
	} else {
		buf_puts(&b, ".c2ln");
	}
	snprintf(out, TOKEN_MAX_LEN + 8, "%s", b.data != NULL ? b.data : "");
	buf_free(&b);
	return out;
}

struct grant {
	const char *sub;
	bool live, dvr, copy;
	int64_t exp;		/* 0: no exp claim */
	uint32_t from, to;
	int64_t iat;		/* 0: NOW - 60 */
	const char *azp;	/* NULL: backend */
};

static const char *
payload_for(const struct grant *g, char *p, size_t cap)
{
	int n;

	n = snprintf(p, cap, "{\"sub\":\"%s\",\"iat\":%lld,\"jti\":\"j1\","
	    "\"azp\":\"backend\",\"live\":%s,\"dvr\":%s,\"copy\":%s", g->sub,
	    (long long)(g->iat != 0 ? g->iat : NOW - 60),
	    g->live ? "true" : "false", g->dvr ? "true" : "false",
	    g->copy ? "true" : "false");
	if (g->exp != 0)
		n += snprintf(p + n, cap - (size_t)n, ",\"exp\":%lld",
		    (long long)g->exp);
	if (g->from != 0)
		n += snprintf(p + n, cap - (size_t)n, ",\"from\":%u", g->from);
	if (g->to != 0)
		n += snprintf(p + n, cap - (size_t)n, ",\"to\":%u", g->to);
	snprintf(p + n, cap - (size_t)n, "}");
	return p;
}

/* A token as the issuer signs it (token_sign) with the signing key. */
static const char *
issue(const struct grant *g)
{
	struct claims c;
	struct buf b;
	char *out = toks[ntoks++ % 256];

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", g->sub);
	snprintf(c.azp, sizeof(c.azp), "%s", g->azp != NULL ? g->azp : "backend");
	c.iat = g->iat != 0 ? g->iat : NOW - 60;
	c.has_exp = g->exp != 0;
	c.exp = g->exp;
	c.live = g->live;
	c.dvr = g->dvr;
	c.copy = g->copy;
	c.from = g->from;
	c.to = g->to;
	buf_init(&b);
	if (!token_sign(cfg->signing_key, cfg->issuer, &c, &b))
		out[0] = '\0';
	else
		snprintf(out, TOKEN_MAX_LEN + 8, "%s", b.data);
	buf_free(&b);
	return out;
}

static const char *
signed_by(const char *kid, const char *alg, int force_alg, const struct grant *g)
{
	char h[256], p[512];

	snprintf(h, sizeof(h), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    alg, kid);
	return make_raw(h, payload_for(g, p, sizeof(p)), kid, force_alg);
}

/* ---- the table ---- */

enum where { IN_PARAM, IN_PATH, IN_QUERY };

struct row {
	const char *name;
	const char *url;	/* "%s" is replaced by the token for IN_PATH / IN_QUERY */
	const char *token;	/* filled in by build_rows */
	enum where where;
	int status;
	const char *reason;	/* a piece of res.reason */
	const char *stream;	/* routed stream, NULL: not routed */
	bool prefix;		/* decide with pcfg */
	const char *todo;	/* a known bug */
};

#define LIVE(s) {s, true, false, false, NOW + 3600, 0, 0, 0, NULL}
#define DVR(s, f, t) {s, false, true, false, NOW + 3600, f, t, 0, NULL}
#define COPY(s, f, t) {s, false, false, true, NOW + 3600, f, t, 0, NULL}
#define ALL(s) {s, true, true, true, NOW + 3600, 0, 0, 0, NULL}

static struct row rows[192];
static size_t nrows;

static void
add(const char *name, const char *url, const char *token, enum where where,
    int status, const char *reason, const char *stream)
{
	struct row *r = &rows[nrows++];

	memset(r, 0, sizeof(*r));
	r->name = name;
	r->url = url;
	r->token = token;
	r->where = where;
	r->status = status;
	r->reason = reason;
	r->stream = stream;
}

static void
build_rows(void)
{
	static const struct grant live = LIVE("cam-1"), dvr = DVR("cam-1", 0, 0),
	    copy = COPY("cam-1", 0, 0), all = ALL("cam-1"), none =
	    {"cam-1", false, false, false, NOW + 3600, 0, 0, 0, NULL},
	    live2 = LIVE("cam-2"), win = DVR("cam-1", 1000, 2000),
	    open_from = DVR("cam-1", 0, 2000), open_to = DVR("cam-1", 1000, 0),
	    ts_open = DVR("cam-1", NOW - 7200, 0),
	    ts_closed = DVR("cam-1", NOW - 7200, NOW - 10),
	    copy_win = COPY("cam-1", 1000, 2000),
	    seg_win = DVR("cam-1", NOW - 100, NOW),
	    hour_win = DVR("cam-1", NOW - 800, NOW + 2799),	/* 22:00:00-22:59:59 */
	    expired = {"cam-1", true, false, false, NOW - 1, 0, 0, 0, NULL},
	    at_exp = {"cam-1", true, false, false, NOW, 0, 0, 0, NULL},
	    before_exp = {"cam-1", true, false, false, NOW + 1, 0, 0, 0, NULL},
	    unlimited = {"cam-1", true, false, false, 0, 0, 0, 0, NULL},
	    future = {"cam-1", true, false, false, NOW + 3600, 0, 0, NOW + 60, NULL},
	    hd = LIVE("cam.1.hd"), lobby = LIVE("lobby"),
	    within_leeway = {"cam-1", true, false, false, NOW - 29, 0, 0, 0, NULL},
	    past_leeway = {"cam-1", true, false, false, NOW - 30, 0, 0, 0, NULL};
	const char *t_live = issue(&live), *t_all = issue(&all);
	char h[256], p[512], p2[512];
	const char *a, *b;
	static char swapped[TOKEN_MAX_LEN + 8], flipped[TOKEN_MAX_LEN + 8],
	    huge[TOKEN_MAX_LEN + 64], huge_url[TOKEN_MAX_LEN + 128];
	size_t n;

	/* live, dvr, copy: allow and deny */
	add("live_token_opens_live_playlist", "/cam-1/index.m3u8", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("live_token_opens_dash", "/cam-1/index.mpd", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("live_token_opens_track_playlist", "/cam-1/tracks-v1/index.m3u8", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("live_token_opens_segment", "/cam-1/seg-1.ts", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("live_token_refused_dvr_playlist_403", "/cam-1/index-1000-60.m3u8", t_live, IN_PARAM, 403, "does not grant dvr", "cam-1");
	add("live_token_refused_timeshift_403", "/cam-1/timeshift_abs-1000.m3u8", t_live, IN_PARAM, 403, "does not grant dvr", "cam-1");
	add("live_token_refused_download_403", "/cam-1/archive-1000-60.mp4", t_live, IN_PARAM, 403, "does not grant copy", "cam-1");
	add("dvr_token_opens_dvr_playlist", "/cam-1/index-1000-60.m3u8", issue(&dvr), IN_PARAM, 200, "allowed", "cam-1");
	add("dvr_token_opens_track_dvr_playlist", "/cam-1/tracks-v1/index-1000-60.m3u8", issue(&dvr), IN_PARAM, 200, "allowed", "cam-1");
	add("dvr_token_opens_segment", "/cam-1/seg-1.ts", issue(&dvr), IN_PARAM, 200, "allowed", "cam-1");
	add("dvr_token_refused_live_403", "/cam-1/index.m3u8", issue(&dvr), IN_PARAM, 403, "does not grant live", "cam-1");
	add("dvr_token_refused_download_403", "/cam-1/archive-1000-60.ts", issue(&dvr), IN_PARAM, 403, "does not grant copy", "cam-1");
	add("copy_token_opens_download", "/cam-1/archive-1000-60.mp4", issue(&copy), IN_PARAM, 200, "allowed", "cam-1");
	add("copy_token_refused_live_403", "/cam-1/index.m3u8", issue(&copy), IN_PARAM, 403, "does not grant live", "cam-1");
	add("copy_token_refused_segment_403", "/cam-1/seg-1.ts", issue(&copy), IN_PARAM, 403, "no permission", "cam-1");
	add("no_permission_token_refused_403", "/cam-1/index.m3u8", issue(&none), IN_PARAM, 403, "does not grant live", "cam-1");
	add("all_permissions_open_download", "/cam-1/archive-1-2.mp4", t_all, IN_PARAM, 200, "allowed", "cam-1");
	add("wrong_stream_403", "/cam-1/index.m3u8", issue(&live2), IN_PARAM, 403, "another stream", "cam-1");
	add("glob_stream_opens", "/cam-2/index.m3u8", issue(&live2), IN_PARAM, 200, "allowed", "cam-2");

	/* windows */
	add("window_exact_bounds_inside", "/cam-1/index-1000-1000.m3u8", issue(&win), IN_PARAM, 200, "allowed", "cam-1");
	add("window_starts_before_403", "/cam-1/index-999-10.m3u8", issue(&win), IN_PARAM, 403, "outside", "cam-1");
	add("window_ends_after_403", "/cam-1/index-1500-501.m3u8", issue(&win), IN_PARAM, 403, "outside", "cam-1");
	add("window_entirely_after_403", "/cam-1/index-3000-10.m3u8", issue(&win), IN_PARAM, 403, "outside", "cam-1");
	add("window_open_from_inside", "/cam-1/index-1-1999.m3u8", issue(&open_from), IN_PARAM, 200, "allowed", "cam-1");
	add("window_open_from_end_after_403", "/cam-1/index-1-2000.m3u8", issue(&open_from), IN_PARAM, 403, "outside", "cam-1");
	add("window_open_to_inside", "/cam-1/index-1000-4294967295.m3u8", issue(&open_to), IN_PARAM, 200, "allowed", "cam-1");
	add("window_open_to_start_before_403", "/cam-1/index-999-1.m3u8", issue(&open_to), IN_PARAM, 403, "outside", "cam-1");
	add("window_unbounded_token_any_window", "/cam-1/index-1-4294967295.m3u8", issue(&dvr), IN_PARAM, 200, "allowed", "cam-1");
	add("timeshift_to_now_inside_open_window", "/cam-1/timeshift_abs-1699999000.m3u8", issue(&ts_open), IN_PARAM, 200, "allowed", "cam-1");
	add("timeshift_before_from_403", "/cam-1/timeshift_abs-1699990000.m3u8", issue(&ts_open), IN_PARAM, 403, "outside", "cam-1");
	add("timeshift_now_after_to_403", "/cam-1/timeshift_abs-1699999000.m3u8", issue(&ts_closed), IN_PARAM, 403, "outside", "cam-1");
	add("download_window_inside", "/cam-1/archive-1000-1000.mp4", issue(&copy_win), IN_PARAM, 200, "allowed", "cam-1");
	add("download_window_outside_403", "/cam-1/archive-1000-1001.mp4", issue(&copy_win), IN_PARAM, 403, "outside", "cam-1");
	add("timed_segment_inside_dvr_window", "/cam-1/2023/11/14/22/11/40-06000.ts", issue(&seg_win), IN_PARAM, 200, "allowed", "cam-1");
	add("timed_segment_outside_dvr_window_403", "/cam-1/2023/11/14/22/00/00-06000.ts", issue(&seg_win), IN_PARAM, 403, "outside", "cam-1");
	/* a [route] window is the client's choice: live alone never opens it */
	add("route_window_live_token_refused_403", "/rec/cam-1/rec-0-4294967295.mp4", t_live, IN_PARAM, 403, "outside", "cam-1");
	add("route_window_dvr_token_opens", "/rec/cam-1/rec-1000-60.mp4", issue(&dvr), IN_PARAM, 200, "allowed", "cam-1");
	/* liveness is judged on the segment's start, not on a duration the client wrote */
	add("live_token_refused_old_segment_with_long_duration_403", "/cam-1/2023/11/14/22/08/00-600000.ts", t_live, IN_PARAM, 403, "older than the live window", "cam-1");
	/* live_window (default 300 s): a live token reaches recent segments only */
	add("live_token_opens_recent_timed_segment", "/cam-1/2023/11/14/22/11/40-06000.ts", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("live_token_refused_archived_timed_segment_403", "/cam-1/2023/11/14/21/00/00-06000.ts", t_live, IN_PARAM, 403, "older than the live window", "cam-1");
	add("all_token_opens_archived_timed_segment_through_dvr", "/cam-1/2023/11/14/21/00/00-06000.ts", t_all, IN_PARAM, 200, "allowed", "cam-1");
	/* a file whose name carries no time is judged by its dated folders */
	add("live_token_opens_file_in_this_hours_folder", "/cam-1/2023/11/14/22/preview.jpg", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("live_token_refused_file_in_old_hour_folder_403", "/cam-1/2023/11/14/21/preview.jpg", t_live, IN_PARAM, 403, "older than the live window", "cam-1");
	add("live_token_refused_init_in_old_hour_folder_403", "/cam-1/2023/11/14/21/20-init.mp4", t_live, IN_PARAM, 403, "older than the live window", "cam-1");
	add("live_token_refused_deep_under_old_folder_403", "/cam-1/2023/11/14/21/a/b/c/d/e/f/g/h/x.jpg", t_live, IN_PARAM, 403, "older than the live window", "cam-1");
	add("live_token_refused_file_in_old_day_folder_403", "/cam-1/2023/11/13/x.jpg", t_live, IN_PARAM, 403, "older than the live window", "cam-1");
	add("live_token_opens_file_in_todays_folder", "/cam-1/2023/11/14/x.jpg", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("dvr_window_covering_the_hour_opens_folder_file", "/cam-1/2023/11/14/22/preview.jpg", issue(&hour_win), IN_PARAM, 200, "allowed", "cam-1");
	add("dvr_window_inside_the_hour_refused_folder_file_403", "/cam-1/2023/11/14/22/preview.jpg", issue(&seg_win), IN_PARAM, 403, "outside", "cam-1");
	add("dvr_window_covering_the_minute_opens_minute_folder_file", "/cam-1/2023/11/14/22/13/x.jpg", issue(&hour_win), IN_PARAM, 200, "allowed", "cam-1");
	add("all_token_opens_old_folder_file_through_dvr", "/cam-1/2023/11/14/21/preview.jpg", t_all, IN_PARAM, 200, "allowed", "cam-1");
	add("bad_dated_folder_no_route_403", "/cam-1/2023/13/14/x.jpg", t_all, IN_PARAM, 403, "no route", NULL);
	/* RFC 9112 §3.2.2: an absolute-form target is judged by its path */
	add("absolute_form_uri_path_judged", "http://media.example/cam-1/index.m3u8", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("absolute_form_with_userinfo_port_query", "https://u@media.example:8443/cam-1/index.m3u8?a=b", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("absolute_form_public_stream", "http://media.example/lobby/index.m3u8", NULL, IN_PARAM, 200, "public stream", "lobby");
	add("absolute_form_traversal_refused_403", "http://media.example/cam-2/../cam-1/index.m3u8", t_live, IN_PARAM, 403, "encoding or traversal", NULL);
	add("absolute_form_without_path_refused_403", "http://media.example", t_live, IN_PARAM, 403, "not a path", NULL);
	add("scheme_without_authority_refused_403", "http:/cam-1/index.m3u8", t_live, IN_PARAM, 403, "not a path", NULL);
	add("relative_target_refused_403", "cam-1/index.m3u8", t_live, IN_PARAM, 403, "not a path", NULL);

	/* 401: missing, malformed, forged, expired */
	add("no_token_401", "/cam-1/index.m3u8", NULL, IN_PARAM, 401, "no token", "cam-1");
	add("empty_token_401", "/cam-1/index.m3u8", "", IN_PARAM, 401, "no token", "cam-1");
	add("malformed_token_401", "/cam-1/index.m3u8", "not-a-jwt", IN_PARAM, 401, "malformed", "cam-1");
	add("expired_token_401", "/cam-1/index.m3u8", issue(&expired), IN_PARAM, 401, "expired", "cam-1");
	/* RFC 7519 §4.1.4: valid before exp, expired at exp */
	add("token_second_before_exp_valid", "/cam-1/index.m3u8", issue(&before_exp), IN_PARAM, 200, "allowed", "cam-1");
	add("token_at_exp_second_expired_401", "/cam-1/index.m3u8", issue(&at_exp), IN_PARAM, 401, "expired", "cam-1");
	add("unlimited_token_valid", "/cam-1/index.m3u8", issue(&unlimited), IN_PARAM, 200, "allowed", "cam-1");
	add("token_issued_in_future_401", "/cam-1/index.m3u8", issue(&future), IN_PARAM, 401, "future", "cam-1");
	snprintf(flipped, sizeof(flipped), "%s", t_live);
	n = strlen(flipped);
	flipped[n - 2] = flipped[n - 2] == 'A' ? 'B' : 'A';
	add("forged_signature_401", "/cam-1/index.m3u8", flipped, IN_PARAM, 401, "bad signature", "cam-1");
	/* header.payload of a live+dvr+copy grant under a live-only signature */
	a = issue(&live);
	b = issue(&all);
	snprintf(swapped, sizeof(swapped), "%.*s%.*s", (int)(strchr(a, '.') - a), a,
	    (int)(strrchr(b, '.') - strchr(b, '.')), strchr(b, '.'));
	snprintf(swapped + strlen(swapped), sizeof(swapped) - strlen(swapped), "%s",
	    strrchr(a, '.'));
	add("payload_swapped_under_old_signature_401", "/cam-1/archive-1-2.mp4", swapped, IN_PARAM, 401, "bad signature", "cam-1");
	snprintf(h, sizeof(h), "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"main\"}");
	add("alg_none_401", "/cam-1/index.m3u8", make_raw(h, payload_for(&live, p, sizeof(p)), NULL, -1), IN_PARAM, 401, "algorithm", "cam-1");
	snprintf(h, sizeof(h), "{\"alg\":\"none\",\"typ\":\"JWT\"}");
	add("alg_none_without_kid_401", "/cam-1/index.m3u8", make_raw(h, payload_for(&live, p, sizeof(p)), NULL, -1), IN_PARAM, 401, "", "cam-1");
	add("hs512_header_on_hs256_key_401", "/cam-1/index.m3u8", signed_by("main", "HS512", ALG_HS512, &live), IN_PARAM, 401, "algorithm", "cam-1");
	add("hs256_header_on_hs512_key_401", "/cam-1/index.m3u8", signed_by("big", "HS256", ALG_HS256, &live), IN_PARAM, 401, "algorithm", "cam-1");
	add("hs512_key_token_valid", "/cam-1/index.m3u8", signed_by("big", "HS512", -1, &live), IN_PARAM, 200, "allowed", "cam-1");
	add("unknown_kid_401", "/cam-1/index.m3u8", signed_by("gone", "HS256", -1, &live), IN_PARAM, 401, "unknown key", "cam-1");
	add("rotated_key_sign_no_still_verifies", "/cam-1/index.m3u8", signed_by("old", "HS256", -1, &live), IN_PARAM, 200, "allowed", "cam-1");
	/* signed with main's secret but naming old: the kid picks the secret */
	snprintf(h, sizeof(h), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"old\"}");
	payload_for(&live, p2, sizeof(p2));
	{
		const char *t = make_raw(h, p2, "main", -1);
		add("kid_names_other_key_than_signer_401", "/cam-1/index.m3u8", t, IN_PARAM, 401, "bad signature", "cam-1");
	}
	memset(huge, 'A', TOKEN_MAX_LEN + 10);
	huge[10] = '.';
	huge[20] = '.';
	huge[TOKEN_MAX_LEN + 10] = '\0';
	add("oversized_token_header_401", "/cam-1/index.m3u8", huge, IN_PARAM, 401, "malformed", "cam-1");
	add("oversized_token_query_401", "/cam-1/index.m3u8?token=%s", huge, IN_QUERY, 401, "no token", "cam-1");
	snprintf(huge_url, sizeof(huge_url), "/%s/cam-1/index.m3u8", huge);
	add("oversized_token_path_refused", huge_url, NULL, IN_PARAM, 403, "", NULL);

	/* where the token comes from */
	add("token_in_path_segment", "/%s/cam-1/index.m3u8", t_live, IN_PATH, 200, "allowed", "cam-1");
	add("token_in_path_for_hls_segment", "/%s/cam-1/seg-7.ts", t_live, IN_PATH, 200, "allowed", "cam-1");
	add("token_in_query", "/cam-1/index.m3u8?token=%s", t_live, IN_QUERY, 200, "allowed", "cam-1");
	add("token_in_query_among_params", "/cam-1/index.m3u8?a=1&token=%s&b=2", t_live, IN_QUERY, 200, "allowed", "cam-1");
	/* %2E for each dot: escapes between plain runs decode into the token */
	{
		static char enc[2 * TOKEN_MAX_LEN];
		size_t i, len = 0;

		for (i = 0; t_live[i] != '\0' && len + 4 < sizeof(enc); i++) {
			if (t_live[i] == '.') {
				memcpy(enc + len, "%2E", 3);
				len += 3;
			} else {
				enc[len++] = t_live[i];
			}
		}
		enc[len] = '\0';
		add("token_in_query_percent_encoded", "/cam-1/index.m3u8?token=%s&b=2", enc, IN_QUERY, 200, "allowed", "cam-1");
	}
	add("query_token_with_nul_escape_refused", "/cam-1/index.m3u8?token=ab%00cd", NULL, IN_PARAM, 401, "no token", "cam-1");
	add("query_token_with_bad_escape_refused", "/cam-1/index.m3u8?token=ab%zzcd", NULL, IN_PARAM, 401, "no token", "cam-1");
	add("query_param_named_xtoken_ignored", "/cam-1/index.m3u8?xtoken=%s", t_live, IN_QUERY, 401, "no token", "cam-1");
	add("empty_query_token_401", "/cam-1/index.m3u8?token=", NULL, IN_PARAM, 401, "no token", "cam-1");

	/* stream configuration */
	add("public_stream_without_token", "/lobby/index.m3u8", NULL, IN_PARAM, 200, "public", "lobby");
	add("public_stream_ignores_bad_token", "/lobby/seg-1.ts", "garbage", IN_PARAM, 200, "public", "lobby");
	add("public_stream_with_token", "/lobby/index.m3u8", issue(&lobby), IN_PARAM, 200, "public", "lobby");
	add("unknown_stream_403", "/zoo/index.m3u8", t_live, IN_PARAM, 403, "not configured", "zoo");
	add("unrouted_url_403", "/cam-1/index.html", t_live, IN_PARAM, 403, "no route", NULL);
	add("unrouted_url_without_token_403", "/cam-1/", NULL, IN_PARAM, 403, "no route", NULL);
	add("empty_url_403", "", t_live, IN_PARAM, 403, "", NULL);

	/* traversal tricks */
	add("traversal_dotdot_403", "/cam-2/../cam-1/index.m3u8", issue(&live2), IN_PARAM, 403, "refused", NULL);
	add("traversal_encoded_dotdot_403", "/cam-2/%2e%2e/cam-1/index.m3u8", issue(&live2), IN_PARAM, 403, "refused", NULL);
	add("traversal_encoded_slash_403", "/cam-2%2F..%2Fcam-1/index.m3u8", issue(&live2), IN_PARAM, 403, "refused", NULL);
	add("double_slash_collapses_to_stream", "//cam-1//index.m3u8", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("dot_segment_collapses", "/cam-1/./index.m3u8", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("percent_encoded_stream_decoded", "/cam%2d1/index.m3u8", t_live, IN_PARAM, 200, "allowed", "cam-1");
	add("traversal_in_path_token_url_403", "/%s/cam-2/../cam-1/index.m3u8", issue(&live2), IN_PATH, 403, "refused", NULL);

	/* url_prefix and leeway (second configuration) */
	add("prefix_url_opens", "/media/cam-1/index.m3u8", t_live, IN_PARAM, 200, "allowed", "cam-1");
	rows[nrows - 1].prefix = true;
	add("prefix_missing_403", "/cam-1/index.m3u8", t_live, IN_PARAM, 403, "url_prefix", NULL);
	rows[nrows - 1].prefix = true;
	add("prefix_lookalike_403", "/mediax/cam-1/index.m3u8", t_live, IN_PARAM, 403, "url_prefix", NULL);
	rows[nrows - 1].prefix = true;
	add("prefix_alone_403", "/media", t_live, IN_PARAM, 403, "url_prefix", NULL);
	rows[nrows - 1].prefix = true;
	add("prefix_path_token_before_prefix", "/%s/media/cam-1/index.m3u8", t_live, IN_PATH, 200, "allowed", "cam-1");
	rows[nrows - 1].prefix = true;
	add("leeway_accepts_recently_expired", "/media/cam-1/index.m3u8", issue(&within_leeway), IN_PARAM, 200, "allowed", "cam-1");
	rows[nrows - 1].prefix = true;
	add("leeway_refuses_past_leeway_401", "/media/cam-1/index.m3u8", issue(&past_leeway), IN_PARAM, 401, "expired", "cam-1");
	rows[nrows - 1].prefix = true;

	/* a stream uid with two dots must not be taken for a JWT segment */
	add("stream_uid_with_two_dots_routes", "/cam.1.hd/index.m3u8", issue(&hd), IN_PARAM, 200, "allowed", "cam.1.hd");
}

static void
row_case(const struct row *r)
{
	char url[2 * TOKEN_MAX_LEN + 256];
	const char *token = r->token;
	struct check_result res;
	const struct config *c = r->prefix ? pcfg : cfg;

	if (c == NULL) {
		EXPECT(c != NULL);
		return;
	}
	if (r->where != IN_PARAM) {
		/* the url holds one "%s" where the token goes */
		const char *at = strstr(r->url, "%s");

		snprintf(url, sizeof(url), "%.*s%s%s", (int)(at - r->url), r->url,
		    r->token, at + 2);
		token = NULL;
	} else {
		snprintf(url, sizeof(url), "%s", r->url);
	}
	check_decide(c, url, token, NOW, &res);
	EXPECT(res.status == r->status);
	if (res.status != r->status)
		printf("#   status %d (%s)\n", res.status, res.reason);
	EXPECT(res.reason != NULL && strstr(res.reason, r->reason) != NULL);
	if (res.reason != NULL && strstr(res.reason, r->reason) == NULL)
		printf("#   reason \"%s\", expected \"%s\"\n", res.reason, r->reason);
	EXPECT(res.routed == (r->stream != NULL));
	if (r->stream != NULL && res.routed)
		EXPECT_STR(res.match.stream, r->stream);
	/* a 200 after a token check names the token's stream and client */
	if (res.status == 200 && res.token_checked) {
		EXPECT_STR(res.claims.sub, res.match.stream);
		EXPECT_STR(res.claims.azp, "backend");
	}
	if (res.status == 401)
		EXPECT(!res.token_checked);
}

/* ---- cases that do not fit the table ---- */

static void
path_token_wins_over_header_token(void)
{
	static const struct grant live = LIVE("cam-1"), live2 = LIVE("cam-2");
	char url[TOKEN_MAX_LEN + 64];
	struct check_result res;

	snprintf(url, sizeof(url), "/%s/cam-1/index.m3u8", issue(&live));
	check_decide(cfg, url, issue(&live2), NOW, &res);
	EXPECT(res.status == 200);
}

static void
query_token_wins_over_header_token(void)
{
	static const struct grant live = LIVE("cam-1"), live2 = LIVE("cam-2");
	char url[TOKEN_MAX_LEN + 64];
	struct check_result res;

	snprintf(url, sizeof(url), "/cam-1/index.m3u8?token=%s", issue(&live));
	check_decide(cfg, url, issue(&live2), NOW, &res);
	EXPECT(res.status == 200);
}

static void
verified_claims_filled_on_allow(void)
{
	static const struct grant g = {"cam-1", false, true, false, NOW + 60, 1000, 2000, 0, NULL};
	struct check_result res;

	check_decide(cfg, "/cam-1/index-1000-10.m3u8", issue(&g), NOW, &res);
	EXPECT(res.status == 200);
	EXPECT(res.token_checked);
	EXPECT(res.token_status == TOKEN_VALID);
	EXPECT_STR(res.claims.kid, "main");
	EXPECT(res.claims.has_exp && res.claims.exp == NOW + 60);
	EXPECT(res.claims.from == 1000 && res.claims.to == 2000);
	EXPECT(res.claims.dvr && !res.claims.live && !res.claims.copy);
	EXPECT(strlen(res.claims.jti) >= 22);
	EXPECT(res.match.route != NULL && res.match.route->builtin);
	if (res.match.route != NULL)
		EXPECT_STR(res.match.route->name, "dvr-playlist");
}

static void
expired_claims_kept_but_not_checked(void)
{
	static const struct grant g = {"cam-1", true, false, false, NOW - 100, 0, 0, NOW - 200, NULL};
	struct check_result res;

	check_decide(cfg, "/cam-1/index.m3u8", issue(&g), NOW, &res);
	EXPECT(res.status == 401);
	EXPECT(res.token_status == TOKEN_EXPIRED);
	EXPECT(!res.token_checked);
}

static void
forged_token_claims_not_trusted(void)
{
	static const struct grant g = LIVE("cam-1");
	char h[128], p[512];
	struct check_result res;

	snprintf(h, sizeof(h), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"main\"}");
	check_decide(cfg, "/cam-1/index.m3u8",
	    make_raw(h, payload_for(&g, p, sizeof(p)), NULL, -1), NOW, &res);
	EXPECT(res.status == 401);
	EXPECT(res.token_status == TOKEN_BAD_SIGNATURE);
	EXPECT(res.claims.sub[0] == '\0');
}

/* ---- minted under one configuration, checked under the next ---- */

struct recheck_row {
	const char *name;
	const char *url;
	struct grant g;		/* sub NULL: no token at all */
	int status;
	const char *reason;	/* a piece of res.reason */
};

static const struct recheck_row recheck_rows[] = {
	{"recheck_removed_client_403", "/cam-1/index-1000-10.m3u8",
	    {"cam-1", false, true, false, NOW + 60, 0, 0, 0, "gone"}, 403,
	    "client is no longer configured"},
	{"recheck_client_patterns_no_longer_cover_stream_403", "/cam-2/index.m3u8",
	    {"cam-2", true, false, false, NOW + 60, 0, 0, 0, NULL}, 403,
	    "may no longer use this stream"},
	{"recheck_client_patterns_still_cover_stream", "/cam-1/index-1000-10.m3u8",
	    DVR("cam-1", 0, 0), 200, "allowed"},
	{"recheck_stream_no_longer_allows_live_403", "/cam-1/index.m3u8",
	    LIVE("cam-1"), 403, "stream no longer allows"},
	{"recheck_live_and_dvr_token_opens_segment_through_dvr", "/cam-1/seg-1.ts",
	    {"cam-1", true, true, false, NOW + 3600, 0, 0, 0, NULL}, 200, "allowed"},
	/* recent, but live no longer counts: dvr's window does not cover it */
	{"recheck_live_only_allowed_stream_refuses_old_timed_segment_403",
	    "/cam-1/2023/11/14/22/00/00-06000.ts",
	    {"cam-1", true, true, false, NOW + 3600, NOW - 60, NOW, 0, NULL}, 403,
	    "outside"},
	{"recheck_stream_now_public_needs_no_token", "/cam-9/index.m3u8",
	    {NULL, false, false, false, 0, 0, 0, 0, NULL}, 200, "public"},
	{"recheck_operator_token_has_no_client", "/cam-2/index.m3u8",
	    {"cam-2", true, false, false, NOW + 60, 0, 0, 0, "cli"}, 200, "allowed"},
};

static void
recheck_row(const struct recheck_row *row)
{
	struct check_result res;

	if (later == NULL) {
		EXPECT(later != NULL);
		return;
	}
	check_decide(later, row->url, row->g.sub != NULL ? issue(&row->g) : NULL,
	    NOW, &res);
	EXPECT(res.status == row->status);
	EXPECT(res.reason != NULL && strstr(res.reason, row->reason) != NULL);
	if (res.status != row->status || strstr(res.reason, row->reason) == NULL)
		printf("#   %d %s\n", res.status, res.reason);
}

/* ---- tokens bound to an address, and not valid before a time ---- */

static const char *
issue_bound(const char *ip, int64_t nbf)
{
	struct claims c;
	struct buf b;
	char *out = toks[ntoks++ % 256];

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "cam-1");
	snprintf(c.azp, sizeof(c.azp), "backend");
	snprintf(c.ip, sizeof(c.ip), "%s", ip != NULL ? ip : "");
	c.iat = NOW - 60;
	c.has_exp = true;
	c.exp = NOW + 3600;
	c.has_nbf = nbf != 0;
	c.nbf = nbf;
	c.live = true;
	buf_init(&b);
	if (!token_sign(cfg->signing_key, cfg->issuer, &c, &b))
		out[0] = '\0';
	else
		snprintf(out, TOKEN_MAX_LEN + 8, "%s", b.data);
	buf_free(&b);
	return out;
}

struct bound_row {
	const char *name;
	const char *ip;		/* the token's ip claim, NULL: none */
	const char *viewer;	/* NULL: not known */
	int64_t nbf;
	int status;
	const char *reason;
};

static const struct bound_row bound_rows[] = {
	{"ip_bound_token_same_address_200", "203.0.113.7", "203.0.113.7", 0, 200, "allowed"},
	{"ip_bound_token_other_address_403", "203.0.113.7", "203.0.113.8", 0, 403, "bound to another address"},
	{"ip_bound_token_viewer_unknown_403", "203.0.113.7", NULL, 0, 403, "not known"},
	{"ip_bound_block_inside_200", "203.0.113.0/24", "203.0.113.200", 0, 200, "allowed"},
	{"ip_bound_block_outside_403", "203.0.113.0/24", "203.0.114.1", 0, 403, "bound to another address"},
	{"ip_bound_ipv4_mapped_viewer_200", "203.0.113.7", "::ffff:203.0.113.7", 0, 200, "allowed"},
	{"ip_bound_ipv6_block_200", "2001:db8::/48", "2001:db8::99", 0, 200, "allowed"},
	{"ip_bound_ipv6_claim_ipv4_viewer_403", "2001:db8::/48", "203.0.113.7", 0, 403, "bound to another address"},
	{"unbound_token_any_viewer_200", NULL, "198.51.100.1", 0, 200, "allowed"},
	{"unbound_token_viewer_unknown_200", NULL, NULL, 0, 200, "allowed"},
	{"nbf_in_future_401_not_yet_valid", NULL, NULL, NOW + 60, 401, "not yet valid"},
	{"nbf_reached_200", NULL, NULL, NOW, 200, "allowed"},
	{"nbf_past_200", NULL, NULL, NOW - 100, 200, "allowed"},
	{"nbf_checked_before_address_401", "203.0.113.7", "198.51.100.1", NOW + 60, 401, "not yet valid"},
};

static void
bound_row(const struct bound_row *row)
{
	struct check_result res;
	uint8_t addr[16];
	const char *tok = issue_bound(row->ip, row->nbf);

	if (row->viewer != NULL)
		EXPECT(ip_parse_addr(row->viewer, addr));
	check_decide_from(cfg, "/cam-1/index.m3u8", tok,
	    row->viewer != NULL ? addr : NULL, NOW, &res);
	EXPECT(res.status == row->status);
	EXPECT(res.reason != NULL && strstr(res.reason, row->reason) != NULL);
	if (res.status != row->status || strstr(res.reason, row->reason) == NULL)
		printf("#   %d %s\n", res.status, res.reason);
}

/* The claims read back in their normal form; the cache judges nbf too. */
static void
ip_and_nbf_claims_round_trip_and_cache(void)
{
	struct claims c;
	const char *tok = issue_bound("2001:db8::/48", NOW + 10);

	EXPECT(token_verify(cfg, tok, strlen(tok), NOW + 10, &c) == TOKEN_VALID);
	EXPECT_STR(c.ip, "2001:db8::/48");
	EXPECT(c.has_nbf && c.nbf == NOW + 10);
	/* now cached: an earlier clock is still refused */
	EXPECT(token_verify(cfg, tok, strlen(tok), NOW, &c) == TOKEN_BEFORE_NBF);
	EXPECT(token_verify(cfg, tok, strlen(tok), NOW + 11, &c) == TOKEN_VALID);
}

/* A signed ip claim that is no address: bad claims, not "unbound". */
static void
ip_claim_not_an_address_is_bad_claims(void)
{
	static const char h[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"main\"}";
	char p[512];
	struct claims c;
	const char *bad[] = {"\"example.com\"", "\"\"", "7", "\"10.0.0.0/33\""};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *tok;

		snprintf(p, sizeof(p), "{\"sub\":\"cam-1\",\"iat\":%d,\"jti\":\"j\","
		    "\"azp\":\"backend\",\"live\":true,\"dvr\":false,"
		    "\"copy\":false,\"ip\":%s}", NOW, bad[i]);
		tok = make_raw(h, p, "main", -1);
		EXPECT(token_verify(cfg, tok, strlen(tok), NOW, &c) ==
		    TOKEN_BAD_CLAIMS);
	}
}

int
main(void)
{
	char err[1024];
	size_t i;

	if (fx_init(&fx, "check")) {
		fx_write_str(&fx, "main.key", FX_SECRET, 0600);
		fx_write_str(&fx, "old.key", "old-secret-old-secret-old-secret-0123", 0600);
		fx_write_str(&fx, "big.key", "big-secret-big-secret-big-secret-big-secret-0123456", 0600);
		err[0] = '\0';
		cfg = fx_load(&fx, config_text, err, sizeof(err));
		if (cfg == NULL)
			printf("# config: %s\n", err);
		err[0] = '\0';
		pcfg = fx_load(&fx, prefix_config_text, err, sizeof(err));
		if (pcfg == NULL)
			printf("# prefix config: %s\n", err);
		later = fx_load(&fx, later_config_text, err, sizeof(err));
		if (later == NULL)
			printf("# later config: %s\n", err);
	}
	if (cfg != NULL)
		build_rows();
	for (i = 0; i < nrows; i++) {
		if (rows[i].todo != NULL)
			RUN_TODO(rows[i].name, row_case, &rows[i], rows[i].todo);
		else
			RUN_ROW(rows[i].name, row_case, &rows[i]);
	}
	if (cfg != NULL) {
		RUN(path_token_wins_over_header_token);
		RUN(query_token_wins_over_header_token);
		RUN(verified_claims_filled_on_allow);
		RUN(expired_claims_kept_but_not_checked);
		RUN(forged_token_claims_not_trusted);
		for (i = 0; i < sizeof(recheck_rows) / sizeof(recheck_rows[0]); i++)
			RUN_ROW(recheck_rows[i].name, recheck_row, &recheck_rows[i]);
		for (i = 0; i < sizeof(bound_rows) / sizeof(bound_rows[0]); i++)
			RUN_ROW(bound_rows[i].name, bound_row, &bound_rows[i]);
		RUN(ip_and_nbf_claims_round_trip_and_cache);
		RUN(ip_claim_not_an_address_is_bad_claims);
	} else {
		RUN_ROW("config_loads", EXPECT, false);
	}
	config_free(cfg);
	config_free(pcfg);
	config_free(later);
	fx_cleanup(&fx);
	return tap_done();
}
