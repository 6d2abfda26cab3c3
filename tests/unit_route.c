/* unit_route: SPEC 7 URL normalising, the path token and every route, table-driven. */
#include "unit_fixture.h"

#include "route.h"

#define NOW 1700000000	/* 2023-11-14T22:13:20Z: a fixed clock */

/* A known bug is a TAP TODO: reported "not ok ... # TODO", never a failure. */
#define RUN_TODO(name, fn, arg, why) do { tap_case = (name); tap_failed_here = 0; \
	fn(arg); tap_count++; \
	printf("%s %d - %s # TODO %s\n", tap_failed_here ? "not ok" : "ok", \
	    tap_count, tap_case, (why)); fflush(stdout); } while (0)

/* ---- route_normalize ---- */

struct norm_row {
	const char *name;
	const char *raw;
	const char *want;	/* NULL: refused */
};

static const struct norm_row norm_rows[] = {
	{"normalize_plain_path", "/cam-1/index.m3u8", "/cam-1/index.m3u8"},
	{"normalize_root", "/", "/"},
	{"normalize_decodes_percent_xx", "/cam%2D1/ind%65x.m3u8", "/cam-1/index.m3u8"},
	{"normalize_decodes_lower_hex", "/cam-1/%69ndex.m3u8", "/cam-1/index.m3u8"},
	{"normalize_decodes_space", "/cam-1/a%20b.ts", "/cam-1/a b.ts"},
	{"normalize_keeps_high_bytes", "/cam-1/%C3%A9.ts", "/cam-1/\xc3\xa9.ts"},
	{"normalize_collapses_double_slash", "/cam-1//index.m3u8", "/cam-1/index.m3u8"},
	{"normalize_collapses_leading_double_slash", "//cam-1/index.m3u8", "/cam-1/index.m3u8"},
	{"normalize_collapses_many_slashes", "///cam-1////x.ts", "/cam-1/x.ts"},
	{"normalize_collapses_dot_segment", "/cam-1/./index.m3u8", "/cam-1/index.m3u8"},
	{"normalize_collapses_encoded_dot_segment", "/cam-1/%2e/index.m3u8", "/cam-1/index.m3u8"},
	{"normalize_collapses_leading_dot", "/./cam-1/x.ts", "/cam-1/x.ts"},
	{"normalize_keeps_trailing_slash", "/cam-1/", "/cam-1/"},
	{"normalize_trailing_dot_is_dir", "/cam-1/.", "/cam-1/"},
	{"normalize_keeps_dotfile", "/cam-1/.hidden", "/cam-1/.hidden"},
	{"normalize_keeps_three_dots", "/cam-1/.../x.ts", "/cam-1/.../x.ts"},
	{"normalize_keeps_dots_inside_name", "/cam-1/a..b.ts", "/cam-1/a..b.ts"},
	{"traversal_dotdot_refused", "/cam-1/../cam-2/index.m3u8", NULL},
	{"traversal_trailing_dotdot_refused", "/cam-1/..", NULL},
	{"traversal_leading_dotdot_refused", "/../etc/passwd", NULL},
	{"traversal_encoded_dotdot_refused", "/cam-1/%2e%2e/cam-2/index.m3u8", NULL},
	{"traversal_upper_encoded_dotdot_refused", "/cam-1/%2E%2E/cam-2/index.m3u8", NULL},
	{"traversal_half_encoded_dotdot_refused", "/cam-1/.%2e/cam-2/index.m3u8", NULL},
	{"traversal_dotdot_after_double_slash_refused", "/cam-1//../cam-2/x.ts", NULL},
	{"encoded_slash_refused", "/cam-1%2F..%2Fcam-2/index.m3u8", NULL},
	{"encoded_slash_lower_refused", "/cam-1%2fx.ts", NULL},
	{"encoded_backslash_refused", "/cam-1%5C..%5Ccam-2/x.ts", NULL},
	{"raw_backslash_refused", "/cam-1\\x.ts", NULL},
	{"encoded_nul_refused", "/cam-1/index.m3u8%00.ts", NULL},
	{"encoded_newline_refused", "/cam-1/a%0Ab.ts", NULL},
	{"encoded_del_refused", "/cam-1/a%7Fb.ts", NULL},
	{"raw_control_char_refused", "/cam-1/a\tb.ts", NULL},
	{"raw_del_refused", "/cam-1/a\x7f" "b.ts", NULL},
	{"bad_escape_non_hex_refused", "/cam-1/%zz.ts", NULL},
	{"bad_escape_half_hex_refused", "/cam-1/%4g.ts", NULL},
	{"bad_escape_truncated_refused", "/cam-1/x.ts%4", NULL},
	{"bad_escape_lone_percent_refused", "/cam-1/x.ts%", NULL},
	{"relative_path_refused", "cam-1/index.m3u8", NULL},
	{"empty_path_refused", "", NULL},
};

static void
norm_case(const struct norm_row *row)
{
	char out[ROUTE_PATH_MAX];
	bool ok;

	memset(out, 'X', sizeof(out));
	ok = route_normalize(row->raw, strlen(row->raw), out, sizeof(out));
	if (row->want == NULL) {
		EXPECT(!ok);
		return;
	}
	EXPECT(ok);
	if (ok)
		EXPECT_STR(out, row->want);
}

static void
normalize_uses_len_not_nul(void)
{
	char out[64];

	/* Only the path part of "path?query" is given. */
	EXPECT(route_normalize("/cam-1/x.ts?a=%zz", 11, out, sizeof(out)));
	EXPECT_STR(out, "/cam-1/x.ts");
}

static void
normalize_refuses_output_too_long(void)
{
	char out[8];

	EXPECT(!route_normalize("/cam-1/x.ts", 11, out, sizeof(out)));
	EXPECT(route_normalize("/cam-1", 6, out, sizeof(out)));
	EXPECT(!route_normalize("/", 1, out, 1));
}

/* ---- route_take_path_token ---- */

#define JWT3 "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW0tMSJ9.c2lnbmF0dXJl"

struct tok_row {
	const char *name;
	const char *path;
	const char *want_tok;	/* NULL: no token taken, path unchanged */
	const char *want_path;
};

static const struct tok_row tok_rows[] = {
	{"path_token_taken", "/" JWT3 "/cam-1/index.m3u8", JWT3, "/cam-1/index.m3u8"},
	{"path_token_taken_before_segment", "/" JWT3 "/cam-1/seg-1.ts", JWT3, "/cam-1/seg-1.ts"},
	{"path_token_minimal_parts", "/eyJ.b.c/cam-1/x.ts", "eyJ.b.c", "/cam-1/x.ts"},
	{"path_token_needs_json_header", "/a.b.c/cam-1/x.ts", NULL, NULL},
	{"path_token_only_segment_not_taken", "/" JWT3, NULL, NULL},
	{"path_token_stream_first_not_taken", "/cam-1/" JWT3 "/index.m3u8", NULL, NULL},
	{"path_token_two_parts_not_taken", "/aaa.bbb/cam-1/x.ts", NULL, NULL},
	{"path_token_four_parts_not_taken", "/a.b.c.d/cam-1/x.ts", NULL, NULL},
	{"path_token_empty_part_not_taken", "/a..c/cam-1/x.ts", NULL, NULL},
	{"path_token_empty_last_part_not_taken", "/a.b./cam-1/x.ts", NULL, NULL},
	{"path_token_leading_dot_not_taken", "/.a.b/cam-1/x.ts", NULL, NULL},
	{"path_token_padding_not_taken", "/a.b.c=/cam-1/x.ts", NULL, NULL},
	{"path_token_plus_slash_alphabet_not_taken", "/a+.b.c/cam-1/x.ts", NULL, NULL},
	{"path_token_plain_stream_not_taken", "/cam-1/index.m3u8", NULL, NULL},
};

static void
tok_case(const struct tok_row *row)
{
	char path[ROUTE_PATH_MAX], tok[4097];
	bool ok;

	snprintf(path, sizeof(path), "%s", row->path);
	ok = route_take_path_token(path, tok, sizeof(tok));
	if (row->want_tok == NULL) {
		EXPECT(!ok);
		EXPECT_STR(path, row->path);
		return;
	}
	EXPECT(ok);
	if (ok) {
		EXPECT_STR(tok, row->want_tok);
		EXPECT_STR(path, row->want_path);
	}
}

static void
path_token_larger_than_buffer_not_taken(void)
{
	char path[64], tok[8];

	snprintf(path, sizeof(path), "/%s/cam-1/x.ts", "aaaa.bbbb.cccc");
	EXPECT(!route_take_path_token(path, tok, sizeof(tok)));
	EXPECT_STR(path, "/aaaa.bbbb.cccc/cam-1/x.ts");
}

/* ---- route_match: built-ins and [route] sections ---- */

static struct fixture fx;
static struct config *cfg;

static const char config_text[] =
	"[server]\n"
	"[key main]\n"
	"secret_file = main.key\n"
	"[client backend]\n"
	"token_sha256 = " FX_SHA_TEST "\n"
	"[stream cam-*]\n"
	"access = private\n"
	"[route vod]\n"
	"pattern = ^/vod/([a-z0-9-]+)/([0-9]+)-([0-9]+)\\.mp4$\n"
	"stream = 1\n"
	"from = 2\n"
	"duration = 3\n"
	"permission = copy\n"
	"[route thumbs]\n"
	"pattern = ^/thumbs/([a-z0-9-]+)\\.jpg$\n"
	"stream = 1\n"
	"permission = live, dvr\n"
	"[route shadow]\n"
	"pattern = ^/([a-z0-9-]+)/special\\.m3u8$\n"
	"stream = 1\n"
	"permission = dvr\n";

#define L PERM_LIVE
#define D PERM_DVR
#define C PERM_COPY

struct match_row {
	const char *name;
	const char *path;
	const char *route;	/* NULL: no route matches */
	const char *stream;
	unsigned perm;
	bool has_window;
	uint32_t from;
	uint64_t to;
	const char *todo;	/* a known bug: the row is a TAP TODO */
};

static const struct match_row match_rows[] = {
	/* live */
	{"live_index_m3u8", "/cam-1/index.m3u8", "live-playlist", "cam-1", L, false, 0, 0, NULL},
	{"live_mono_m3u8", "/cam-1/mono.m3u8", "live-playlist", "cam-1", L, false, 0, 0, NULL},
	{"live_video_m3u8", "/cam-1/video.m3u8", "live-playlist", "cam-1", L, false, 0, 0, NULL},
	{"live_index_mpd", "/cam-1/index.mpd", "live-dash", "cam-1", L, false, 0, 0, NULL},
	{"live_tracks_index", "/cam-1/tracks-v1a1/index.m3u8", "live-track-playlist", "cam-1", L, false, 0, 0, NULL},
	{"live_tracks_mono", "/cam-1/tracks-v2/mono.m3u8", "live-track-playlist", "cam-1", L, false, 0, 0, NULL},
	{"live_stream_with_dots_and_tilde", "/a.b~c_d/index.m3u8", "live-playlist", "a.b~c_d", L, false, 0, 0, NULL},
	/* dvr */
	{"dvr_index_window", "/cam-1/index-1700000000-3600.m3u8", "dvr-playlist", "cam-1", D, true, 1700000000, 1700003600, NULL},
	{"dvr_mono_window", "/cam-1/mono-1700000000-60.m3u8", "dvr-playlist", "cam-1", D, true, 1700000000, 1700000060, NULL},
	{"dvr_video_window", "/cam-1/video-1-2.m3u8", "dvr-playlist", "cam-1", D, true, 1, 3, NULL},
	{"dvr_zero_duration", "/cam-1/index-1700000000-0.m3u8", "dvr-playlist", "cam-1", D, true, 1700000000, 1700000000, NULL},
	{"dvr_max_u32_from_and_duration", "/cam-1/index-4294967295-4294967295.m3u8", "dvr-playlist", "cam-1", D, true, 4294967295u, 8589934590ull, NULL},
	{"dvr_tracks_window", "/cam-1/tracks-v1/index-1700000000-10.m3u8", "dvr-track-playlist", "cam-1", D, true, 1700000000, 1700000010, NULL},
	{"dvr_tracks_mono_window", "/cam-1/tracks-a1/mono-5-5.m3u8", "dvr-track-playlist", "cam-1", D, true, 5, 10, NULL},
	{"dvr_timeshift_to_now", "/cam-1/timeshift_abs-1699990000.m3u8", "dvr-timeshift", "cam-1", D, true, 1699990000, NOW, NULL},
	{"dvr_timeshift_future_from", "/cam-1/timeshift_abs-1800000000.m3u8", "dvr-timeshift", "cam-1", D, true, 1800000000, 1800000000, NULL},
	/* copy */
	{"download_mp4", "/cam-1/archive-1700000000-60.mp4", "download", "cam-1", C, true, 1700000000, 1700000060, NULL},
	{"download_ts", "/cam-1/archive-1700000000-60.ts", "download", "cam-1", C, true, 1700000000, 1700000060, NULL},
	/* segments */
	{"segment_ts", "/cam-1/seg-1.ts", "segment", "cam-1", L | D, false, 0, 0, NULL},
	{"segment_m4s", "/cam-1/tracks-v1/chunk-7.m4s", "segment", "cam-1", L | D, false, 0, 0, NULL},
	{"segment_mp4_not_archive", "/cam-1/init.mp4", "segment", "cam-1", L | D, false, 0, 0, NULL},
	{"segment_aac", "/cam-1/a.aac", "segment", "cam-1", L | D, false, 0, 0, NULL},
	{"segment_vtt", "/cam-1/subs/en.vtt", "segment", "cam-1", L | D, false, 0, 0, NULL},
	{"segment_jpg", "/cam-1/preview.jpg", "segment", "cam-1", L | D, false, 0, 0, NULL},
	{"segment_timed_path_window", "/cam-1/2023/11/14/22/13/20-06000.ts", "segment", "cam-1", L | D, true, 1700000000, 1700000006, NULL},
	/* a name without a time in dated folders: the day, hour or minute they name */
	{"segment_in_hour_folder", "/cam-1/2023/11/14/22/preview.jpg", "segment", "cam-1", L | D, true, 1699999200, 1700002799, NULL},
	{"segment_init_in_hour_folder", "/cam-1/2023/11/14/22/20-init.mp4", "segment", "cam-1", L | D, true, 1699999200, 1700002799, NULL},
	{"segment_in_minute_folder", "/cam-1/2023/11/14/22/13/preview.jpg", "segment", "cam-1", L | D, true, 1699999980, 1700000039, NULL},
	{"segment_in_day_folder", "/cam-1/2023/11/14/preview.jpg", "segment", "cam-1", L | D, true, 1699920000, 1700006399, NULL},
	{"segment_deep_below_hour_folder", "/cam-1/2023/11/14/22/thumbs/a/b/c/d/e/f/g/x.jpg", "segment", "cam-1", L | D, true, 1699999200, 1700002799, NULL},
	{"segment_last_dated_chain_counts", "/cam-1/1999/01/01/x/2023/11/14/22/x.jpg", "segment", "cam-1", L | D, true, 1699999200, 1700002799, NULL},
	{"segment_year_month_only_untimed", "/cam-1/2023/11/x.jpg", "segment", "cam-1", L | D, false, 0, 0, NULL},
	{"no_route_dated_folder_month_13", "/cam-1/2023/13/14/x.jpg", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_dated_folder_hour_24", "/cam-1/2023/11/14/24/x.jpg", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_dated_folder_day_0", "/cam-1/2023/11/00/x.jpg", NULL, NULL, 0, false, 0, 0, NULL},
	/* download names the download route refused never fall to the segment route */
	{"no_route_archive_with_bad_numbers", "/cam-1/archive-x-1.mp4", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_archive_zero_padded_from", "/cam-1/archive-01500000000-3600.mp4", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_archive_now", "/cam-1/archive-1500000000-now.ts", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_timeshift_as_segment", "/cam-1/timeshift_abs-x.ts", NULL, NULL, 0, false, 0, 0, NULL},
	/* a dated name that does not parse is no untimed segment */
	{"no_route_timed_segment_10_ms_digits", "/cam-1/2017/07/14/02/00/00-0000005000.ts", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_timed_segment_over_an_hour", "/cam-1/2026/11/20/02/00/00-999999999.ts", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_timed_segment_month_13", "/cam-1/2026/13/20/02/00/00-6000.ts", NULL, NULL, 0, false, 0, 0, NULL},
	/* [route] sections come first, in file order */
	{"config_route_vod_window", "/vod/cam-9/1700000000-30.mp4", "vod", "cam-9", C, true, 1700000000, 1700000030, NULL},
	{"config_route_no_window", "/thumbs/cam-3.jpg", "thumbs", "cam-3", L | D, false, 0, 0, NULL},
	{"config_route_shadows_builtin", "/cam-1/special.m3u8", "shadow", "cam-1", D, false, 0, 0, NULL},
	{"config_route_miss_falls_to_builtin", "/x/vod/cam-9/1-2.mp4", "segment", "x", L | D, false, 0, 0, NULL},
	{"config_route_pattern_is_anchored", "/x/thumbs/cam-3.jpgx", NULL, NULL, 0, false, 0, 0, NULL},
	/* no route */
	{"no_route_root", "/", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_stream_only", "/cam-1", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_stream_dir", "/cam-1/", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_playlist_without_stream", "/index.m3u8", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_unknown_playlist_name", "/cam-1/other.m3u8", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_playlist_suffix", "/cam-1/index.m3u8x", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_nested_index", "/cam-1/sub/index.m3u8", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_mpd_window", "/cam-1/index-1-2.mpd", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_dvr_11_digits", "/cam-1/index-17000000000-1.m3u8", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_dvr_from_over_u32", "/cam-1/index-9999999999-1.m3u8", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_dvr_negative", "/cam-1/index--1-1.m3u8", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_timeshift_no_from", "/cam-1/timeshift_abs-.m3u8", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_archive_mkv", "/cam-1/archive-1-2.mkv", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_html", "/cam-1/index.html", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_key_file", "/cam-1/main.key", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_stream_over_128", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/index.m3u8",
	    NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_stream_bad_char", "/cam!1/index.m3u8", NULL, NULL, 0, false, 0, 0, NULL},
	{"no_route_segment_bad_char", "/cam-1/seg 1.ts", NULL, NULL, 0, false, 0, 0, NULL},
};

static void
match_case(const struct match_row *row)
{
	struct route_match m;
	bool ok;

	if (cfg == NULL) {
		EXPECT(cfg != NULL);
		return;
	}
	ok = route_match(cfg, row->path, NOW, &m);
	if (row->route == NULL) {
		EXPECT(!ok);
		return;
	}
	EXPECT(ok);
	if (!ok)
		return;
	EXPECT(m.route != NULL);
	if (m.route != NULL)
		EXPECT_STR(m.route->name, row->route);
	EXPECT_STR(m.stream, row->stream);
	EXPECT(m.perm == row->perm);
	EXPECT(m.has_window == row->has_window);
	if (row->has_window) {
		EXPECT(m.from == row->from);
		EXPECT(m.to == row->to);
	}
}

static void
builtins_follow_config_routes(void)
{
	size_t i, nbuiltin = 0;

	EXPECT(cfg != NULL);
	if (cfg == NULL)
		return;
	EXPECT(cfg->nroutes >= 3);
	EXPECT_STR(cfg->routes[0].name, "vod");
	EXPECT(!cfg->routes[0].builtin);
	EXPECT_STR(cfg->routes[2].name, "shadow");
	for (i = 0; i < cfg->nroutes; i++) {
		if (cfg->routes[i].builtin)
			nbuiltin++;
		else
			EXPECT(nbuiltin == 0);	/* no [route] after a built-in */
	}
	EXPECT(nbuiltin == 8);
}

/* ---- [route] sections that must not load ---- */

struct bad_route_row {
	const char *name;
	const char *section;
	const char *message;	/* a piece of the expected error */
};

static const struct bad_route_row bad_route_rows[] = {
	{"config_route_needs_pattern", "[route r]\nstream = 1\npermission = live\n", "needs pattern"},
	{"config_route_needs_stream", "[route r]\npattern = ^/(a)$\npermission = live\n", "needs stream"},
	{"config_route_needs_permission", "[route r]\npattern = ^/(a)$\nstream = 1\n", "needs permission"},
	{"config_route_duration_needs_from", "[route r]\npattern = ^/(a)/(1)$\nstream = 1\nduration = 2\npermission = dvr\n", "duration needs from"},
	{"config_route_bad_regex", "[route r]\npattern = ^/([a-\nstream = 1\npermission = live\n", "does not compile"},
	{"config_route_group_beyond_pattern", "[route r]\npattern = ^/(a)$\nstream = 2\npermission = live\n", "groups"},
	{"config_route_permission_none", "[route r]\npattern = ^/(a)$\nstream = 1\npermission = none\n", "permission"},
	{"config_route_unknown_key", "[route r]\npattern = ^/(a)$\nstream = 1\npermission = live\nwindow = 3\n", "unknown key"},
	{"config_route_duplicate", "[route r]\npattern = ^/(a)$\nstream = 1\npermission = live\n[route r]\npattern = ^/(b)$\nstream = 1\npermission = live\n", "duplicate"},
	{"config_route_group_zero", "[route r]\npattern = ^/(a)$\nstream = 0\npermission = live\n", ""},
	/* fuzz_config: glibc regcomp takes exponential time on these */
	{"regress_config_route_stacked_quantifiers_refused", "[route r]\npattern = ^/(a++++++++++++++++++++++++++++)/x$\nstream = 1\npermission = live\n", "repeats a repetition"},
	{"regress_config_route_nested_bounds_refused", "[route r]\npattern = ^/((((a{9}){9}){9}){9})$\nstream = 1\npermission = live\n", "bounds"},
	{"regress_config_route_large_bound_refused", "[route r]\npattern = ^/(a{1,1000})$\nstream = 1\npermission = live\n", "bounds"},
};

static void
bad_route_case(const struct bad_route_row *row)
{
	struct fixture f;
	struct config *c;
	char text[2048], err[1024];

	memset(&f, 0, sizeof(f));
	if (!fx_init(&f, "route")) {
		EXPECT(false);
		return;
	}
	fx_write_str(&f, "main.key", FX_SECRET, 0600);
	snprintf(text, sizeof(text), "[key main]\nsecret_file = main.key\n"
	    "[client backend]\ntoken_sha256 = " FX_SHA_TEST "\n%s", row->section);
	err[0] = '\0';
	c = fx_load(&f, text, err, sizeof(err));
	EXPECT(c == NULL);
	if (c == NULL)
		EXPECT(strstr(err, row->message) != NULL);
	else
		config_free(c);
	fx_cleanup(&f);
}

int
main(void)
{
	char err[1024];
	size_t i;

	for (i = 0; i < sizeof(norm_rows) / sizeof(norm_rows[0]); i++)
		RUN_ROW(norm_rows[i].name, norm_case, &norm_rows[i]);
	RUN(normalize_uses_len_not_nul);
	RUN(normalize_refuses_output_too_long);
	for (i = 0; i < sizeof(tok_rows) / sizeof(tok_rows[0]); i++)
		RUN_ROW(tok_rows[i].name, tok_case, &tok_rows[i]);
	RUN(path_token_larger_than_buffer_not_taken);

	if (fx_init(&fx, "route")) {
		fx_write_str(&fx, "main.key", FX_SECRET, 0600);
		err[0] = '\0';
		cfg = fx_load(&fx, config_text, err, sizeof(err));
		if (cfg == NULL)
			printf("# config: %s\n", err);
	}
	RUN(builtins_follow_config_routes);
	for (i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++) {
		if (match_rows[i].todo != NULL)
			RUN_TODO(match_rows[i].name, match_case, &match_rows[i],
			    match_rows[i].todo);
		else
			RUN_ROW(match_rows[i].name, match_case, &match_rows[i]);
	}
	for (i = 0; i < sizeof(bad_route_rows) / sizeof(bad_route_rows[0]); i++)
		RUN_ROW(bad_route_rows[i].name, bad_route_case, &bad_route_rows[i]);
	config_free(cfg);
	fx_cleanup(&fx);
	return tap_done();
}
