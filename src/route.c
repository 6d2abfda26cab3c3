/* route: built-in and configured URL routes (POSIX ERE, compiled once at load). */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "route.h"
#include "text.h"

/*
 * SPEC 7 built-in routes, in the order they are tried; the stream is the
 * first path segment. They are matched by hand (glibc's regexec was two
 * thirds of a verification decision); each kind's comment gives the
 * equivalent POSIX ERE, with UID = [A-Za-z0-9._~-]{1,128} and N = [0-9]{1,10}.
 */
enum builtin_kind {
	B_LIVE_PLAYLIST = 1,	/* ^/UID/(index|mono|video)\.m3u8$ */
	B_LIVE_DASH,		/* ^/UID/index\.mpd$ */
	B_LIVE_TRACK,		/* ^/UID/tracks-[A-Za-z0-9]+/(index|mono)\.m3u8$ */
	B_DVR_PLAYLIST,		/* ^/UID/(index|mono|video)-N-N\.m3u8$ */
	B_DVR_TRACK,		/* ^/UID/tracks-[A-Za-z0-9]+/(index|mono)-N-N\.m3u8$ */
	B_DVR_TIMESHIFT,	/* ^/UID/timeshift_abs-N\.m3u8$ */
	B_DOWNLOAD,		/* ^/UID/archive-N-N\.(mp4|ts)$ */
	B_SEGMENT,		/* ^/UID/([A-Za-z0-9._~-]+/)*[A-Za-z0-9._~-]+\.(ts|m4s|mp4|m4v|m4a|aac|vtt|webvtt|jpg)$ */
};

static const struct builtin {
	const char *name;
	enum builtin_kind kind;
	unsigned perm;
} builtins[] = {
	{"live-playlist", B_LIVE_PLAYLIST, PERM_LIVE},
	{"live-dash", B_LIVE_DASH, PERM_LIVE},
	{"live-track-playlist", B_LIVE_TRACK, PERM_LIVE},
	{"dvr-playlist", B_DVR_PLAYLIST, PERM_DVR},
	{"dvr-track-playlist", B_DVR_TRACK, PERM_DVR},
	{"dvr-timeshift", B_DVR_TIMESHIFT, PERM_DVR},
	{"download", B_DOWNLOAD, PERM_COPY},
	{"segment", B_SEGMENT, PERM_LIVE | PERM_DVR},
};

#define PATTERN_MAX_LEN 512
#define PATTERN_MAX_BOUND 16	/* {m,n}: m and n at most this */
#define PATTERN_MAX_BOUNDS 2	/* {m,n} at most this often */

/*
 * glibc's regcomp copies the tree of a repeated expression for each repeat:
 * stacked quantifiers (a+++...) or nested counted bounds take exponential
 * time and memory at load (found by fuzz_config). Such patterns are refused.
 */
static bool
pattern_is_tame(const char *p, char *err, size_t errlen)
{
	bool in_bracket = false, after_quantifier = false;
	int bounds = 0;
	size_t i, len = strlen(p);

	if (len > PATTERN_MAX_LEN) {
		snprintf(err, errlen, "pattern longer than %d characters",
		    PATTERN_MAX_LEN);
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_bracket) {
			/* "[]...]" and "[^]...]": a first ']' is a member */
			if (c == ']' && !(p[i - 1] == '[' ||
			    (p[i - 1] == '^' && i >= 2 && p[i - 2] == '[')))
				in_bracket = false;
			continue;
		}
		if (c == '\\' && i + 1 < len) {
			i++;
			after_quantifier = false;
			continue;
		}
		if (c == '[') {
			in_bracket = true;
			after_quantifier = false;
			continue;
		}
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			if (after_quantifier) {
				snprintf(err, errlen, "pattern repeats a repetition "
				    "(stacked * + ? {})");
				return false;
			}
			if (c == '{') {
				unsigned long m = 0, n = 0;
				char *end;

				if (++bounds > PATTERN_MAX_BOUNDS) {
					snprintf(err, errlen, "pattern has more than %d "
					    "{m,n} bounds", PATTERN_MAX_BOUNDS);
					return false;
				}
				m = strtoul(p + i + 1, &end, 10);
				if (*end == ',')
					n = strtoul(end + 1, &end, 10);
				if (*end != '}' || m > PATTERN_MAX_BOUND ||
				    n > PATTERN_MAX_BOUND) {
					snprintf(err, errlen, "pattern bounds {m,n} must be "
					    "numbers up to %d", PATTERN_MAX_BOUND);
					return false;
				}
				i = (size_t)(end - p);
			}
			after_quantifier = true;
			continue;
		}
		after_quantifier = false;
	}
	return true;
}

bool
route_compile(struct route *r, const char *pattern, char *err, size_t errlen)
{
	char msg[256];
	int rc;

	if (!pattern_is_tame(pattern, err, errlen))
		return false;

	rc = regcomp(&r->re, pattern, REG_EXTENDED);
	if (rc != 0) {
		regerror(rc, &r->re, msg, sizeof(msg));
		snprintf(err, errlen, "pattern does not compile: %s", msg);
		return false;
	}
	r->compiled = true;
	if (r->re.re_nsub < r->stream_group || r->re.re_nsub < r->from_group ||
	    r->re.re_nsub < r->duration_group) {
		snprintf(err, errlen, "pattern has %zu groups, fewer than a group "
		    "number given", r->re.re_nsub);
		return false;
	}
	return true;
}

void
route_free(struct route *r)
{
	if (r->compiled)
		regfree(&r->re);
	free(r->name);
}

bool
route_add_builtins(struct config *cfg, char *err, size_t errlen)
{
	size_t i, n = sizeof(builtins) / sizeof(builtins[0]);
	struct route *routes;

	routes = realloc(cfg->routes, (cfg->nroutes + n) * sizeof(*routes));
	if (routes == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	cfg->routes = routes;
	for (i = 0; i < n; i++) {
		struct route *r = &cfg->routes[cfg->nroutes];

		memset(r, 0, sizeof(*r));
		r->name = strdup(builtins[i].name);
		r->perm = builtins[i].perm;
		r->builtin = builtins[i].kind;
		r->window_to_now = builtins[i].kind == B_DVR_TIMESHIFT;
		r->timed_segment = builtins[i].kind == B_SEGMENT;
		cfg->nroutes++;
		if (r->name == NULL) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
	}
	return true;
}

const char *
route_origin_form(const char *uri)
{
	const char *p = uri;

	if (*p == '/')
		return uri;
	/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		return NULL;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	    (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.')
		p++;
	/* §3.2: "//" authority, which ends at the next "/", "?" or "#". */
	if (strncmp(p, "://", 3) != 0)
		return NULL;
	p += 3 + strcspn(p + 3, "/?#");
	return *p == '/' ? p : NULL;
}

bool
route_normalize(const char *raw, size_t len, char *out, size_t cap)
{
	size_t i, n = 0, seg;

	if (len == 0 || raw[0] != '/' || cap < 2)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == '%') {
			int b;

			if (i + 2 >= len || (b = text_percent_byte(raw + i)) < 0)
				return false;
			c = (unsigned char)b;
			/* An encoded separator would split differently for the server. */
			if (c == '/' || c == '\\')
				return false;
			i += 2;
		} else if (c == '\\') {
			return false;
		}
		if (c < 0x20 || c == 0x7f)
			return false;
		if (n + 1 >= cap)
			return false;
		out[n++] = (char)c;
	}
	out[n] = '\0';

	/* Collapse "//" and "/./", refuse "..": in place, segment by segment. */
	for (i = 0, seg = 0, n = 0; out[i] != '\0';) {
		size_t start = i + 1, end = start;

		while (out[end] != '\0' && out[end] != '/')
			end++;
		if (end == start || (end - start == 1 && out[start] == '.')) {
			i = end;
			if (out[end] == '\0' && n > 0 && seg > 0)
				out[n++] = '/';	/* keep a trailing slash */
			continue;
		}
		if (end - start == 2 && out[start] == '.' && out[start + 1] == '.')
			return false;
		out[n++] = '/';
		memmove(out + n, out + start, end - start);
		n += end - start;
		seg++;
		i = end;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return true;
}

/*
 * A compact JWS: three non-empty base64url parts separated by two dots, the
 * first a JSON object (base64url of '{"' is "eyJ"), so a stream uid with
 * two dots such as cam.1.hd is never taken for a token.
 */
static bool
looks_like_jwt(const char *s, size_t len)
{
	size_t i, dots = 0, part = 0;

	if (len < 3 || strncmp(s, "eyJ", 3) != 0)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (part == 0)
				return false;
			dots++;
			part = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		part++;
	}
	return dots == 2 && part > 0;
}

bool
route_take_path_token(char *path, char *tok, size_t cap)
{
	char *end = strchr(path + 1, '/');
	size_t len;

	if (end == NULL)
		return false;
	len = (size_t)(end - path - 1);
	if (len >= cap || !looks_like_jwt(path + 1, len))
		return false;
	memcpy(tok, path + 1, len);
	tok[len] = '\0';
	memmove(path, end, strlen(end) + 1);
	return true;
}

static bool
group_u32(const char *path, const regmatch_t *g, uint32_t *out)
{
	unsigned long long n = 0;
	regoff_t i;

	if (g->rm_so < 0 || g->rm_eo - g->rm_so < 1 || g->rm_eo - g->rm_so > 10)
		return false;
	for (i = g->rm_so; i < g->rm_eo; i++) {
		if (path[i] < '0' || path[i] > '9')
			return false;
		n = n * 10 + (unsigned)(path[i] - '0');
	}
	if (n > UINT32_MAX)
		return false;
	*out = (uint32_t)n;
	return true;
}

static bool
fixed_digits(const char *s, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

enum segment_timing { SEG_UNTIMED, SEG_TIMED, SEG_BAD };

/*
 * The Unix time of f = {year, month, day, hour, minute, second} (UTC), if
 * it is a date and time and it and the span after it fit 32 bits: timegm
 * would quietly normalise month 13 or hour 24.
 */
static bool
utc_seconds(const int f[6], uint32_t span, uint32_t *out)
{
	struct tm tm;
	time_t t;

	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 60)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	t = timegm(&tm);
	if (t < 0 || (uint64_t)t + span > UINT32_MAX)
		return false;
	*out = (uint32_t)t;
	return true;
}

#define SEGMENT_MAX_MS 3600000	/* a longer "segment" is an archive in disguise */

/* .../mm/ss-MS.ext: a dated-folder name that claims to carry a time. */
static bool
looks_timed(const char *path, const char *name)
{
	const char *p = name;

	if (name - path < 3 || name[-1] != '/' || name[-2] < '0' || name[-2] > '9' ||
	    name[-3] < '0' || name[-3] > '9')
		return false;
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] != '-')
		return false;
	p += 3;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '.';
}

/*
 * Flussonic-style segment names carry their time: the path ends in
 * /YYYY/MM/DD/hh/mm/ss-MS.ext (MS: 1 to 9 digits of milliseconds, at most
 * an hour). A name that looks timed but does not parse is SEG_BAD, never
 * an untimed segment: it must not escape the window checks.
 */
static enum segment_timing
segment_time(const char *path, uint32_t *from, uint64_t *to)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.'), *q, *b, *e;
	int f[6];		/* year, month, day, hour, minute, second */
	uint64_t ms = 0;
	uint32_t t;
	size_t nd = 0;

	if (slash == NULL || !looks_timed(path, slash + 1))
		return SEG_UNTIMED;
	for (e = dot + 1; *e != '\0'; e++)
		if (!((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9')))
			return SEG_BAD;
	for (q = dot; q > path && q[-1] >= '0' && q[-1] <= '9'; q--)
		nd++;
	if (nd < 1 || nd > 9 || q - path < 21 || q[-1] != '-')
		return SEG_BAD;
	for (e = q; e < dot; e++)
		ms = ms * 10 + (uint64_t)(*e - '0');
	b = q - 21;	/* "/YYYY/MM/DD/hh/mm/ss" is 20 characters before the '-' */
	if (b[0] != '/' || b[5] != '/' || b[8] != '/' || b[11] != '/' ||
	    b[14] != '/' || b[17] != '/' ||
	    !fixed_digits(b + 1, 4, &f[0]) || !fixed_digits(b + 6, 2, &f[1]) ||
	    !fixed_digits(b + 9, 2, &f[2]) || !fixed_digits(b + 12, 2, &f[3]) ||
	    !fixed_digits(b + 15, 2, &f[4]) || !fixed_digits(b + 18, 2, &f[5]) ||
	    ms > SEGMENT_MAX_MS || !utc_seconds(f, 0, &t))
		return SEG_BAD;
	*from = t;
	*to = (uint64_t)t + ms / 1000;
	return SEG_TIMED;
}

/* The folder at *p ("/NAME/..."): its name's start and length; *p moves on. */
static bool
next_folder(const char **p, const char *name, const char **s, size_t *len)
{
	const char *e;

	if (*p >= name)
		return false;
	*s = *p + 1;
	e = strchr(*s, '/');
	*len = (size_t)(e - *s);
	*p = e;
	return true;
}

/* A folder named by n digits (YYYY, MM, DD, hh or mm); its value in *out. */
static bool
digit_folder(const char *s, size_t len, size_t n, int *out)
{
	return len == n && fixed_digits(s, n, out);
}

/*
 * Any other file in a dated folder (.../YYYY/MM/DD[/hh[/mm]]/preview.jpg,
 * .../hh/20-init.mp4) is judged by the time its folders give: the day,
 * hour or minute they name is its window. The last YYYY/MM/DD chain of
 * folders counts, however deep below it the file is; one that does not
 * parse (month 13) is SEG_BAD, as for names.
 */
static enum segment_timing
folder_time(const char *path, uint32_t *from, uint64_t *to)
{
	static const size_t width[5] = {4, 2, 2, 2, 2};
	static const uint32_t span[5] = {0, 0, 86400, 3600, 60};
	const char *name = strrchr(path, '/'), *p = path, *s, *last[3] = {NULL};
	const char *chain = NULL;
	size_t len, lens[3] = {0, 0, 0}, depth;
	int v[6] = {0, 0, 0, 0, 0, 0}, x;
	uint32_t t;

	/* The start of the last three folders that read as YYYY/MM/DD. */
	while (next_folder(&p, name, &s, &len)) {
		last[0] = last[1], lens[0] = lens[1];
		last[1] = last[2], lens[1] = lens[2];
		last[2] = s, lens[2] = len;
		if (last[0] != NULL && digit_folder(last[0], lens[0], 4, &x) &&
		    digit_folder(last[1], lens[1], 2, &x) &&
		    digit_folder(last[2], lens[2], 2, &x))
			chain = last[0] - 1;
	}
	if (chain == NULL)
		return SEG_UNTIMED;
	/* YYYY, MM, DD, then as many of hh and mm as follow them. */
	for (p = chain, depth = 0; depth < 5 && next_folder(&p, name, &s, &len) &&
	    digit_folder(s, len, width[depth], &x); depth++)
		v[depth] = x;
	/* depth >= 3: the chain's own YYYY/MM/DD read again */
	if (depth < 3 || !utc_seconds(v, span[depth - 1], &t))
		return SEG_BAD;
	*from = t;
	*to = (uint64_t)t + span[depth - 1] - 1;
	return SEG_TIMED;
}

/* ---- the hand-written built-in matchers ---- */

static bool
is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/* Consumes a literal prefix. */
static bool
eat(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

/* N: 1 to 10 digits, at most UINT32_MAX (more is no route, as in the ERE). */
static bool
eat_number(const char **p, uint32_t *out, bool *too_big)
{
	const char *s = *p;
	uint64_t n = 0;
	size_t len = 0;

	while (s[len] >= '0' && s[len] <= '9') {
		n = n * 10 + (uint64_t)(s[len] - '0');
		if (++len > 10)
			return false;
	}
	if (len == 0)
		return false;
	if (n > UINT32_MAX)
		*too_big = true;
	*out = (uint32_t)n;
	*p = s + len;
	return true;
}

/* (index|mono) or (index|mono|video) */
static bool
eat_playlist_name(const char **p, bool video_too)
{
	return eat(p, "index") || eat(p, "mono") || (video_too && eat(p, "video"));
}

/* tracks-[A-Za-z0-9]+/ */
static bool
eat_tracks_dir(const char **p)
{
	const char *s = *p;

	if (!eat(&s, "tracks-") || !is_alnum(*s))
		return false;
	while (is_alnum(*s))
		s++;
	if (*s != '/')
		return false;
	*p = s + 1;
	return true;
}

/* -N-N then the suffix, the end of the path. */
static bool
eat_window(const char **p, const char *suffix, struct route_match *m,
    bool *too_big)
{
	uint32_t dur;

	if (!eat(p, "-") || !eat_number(p, &m->from, too_big) || !eat(p, "-") ||
	    !eat_number(p, &dur, too_big) || !eat(p, suffix) || **p != '\0')
		return false;
	m->to = (uint64_t)m->from + dur;
	m->has_window = true;
	return true;
}

static bool
is_segment(const char *p)
{
	static const char *const exts[] = {
		"ts", "m4s", "mp4", "m4v", "m4a", "aac", "vtt", "webvtt", "jpg"
	};
	const char *last = strrchr(p, '/'), *dot;
	size_t i;

	last = last != NULL ? last + 1 : p;
	/*
	 * Download and timeshift names are never segments: an archive-X-Y.mp4
	 * the download route refused (11 digits, "now") must not open through
	 * the segment route with a live token.
	 */
	if (strncmp(last, "archive", 7) == 0 || strncmp(last, "timeshift", 9) == 0)
		return false;
	/* ([A-Za-z0-9._~-]+/)* : non-empty parts of name characters */
	for (; *p != '\0'; p++) {
		if (*p == '/' ? (p[1] == '/' || p[1] == '\0') : !text_is_name_char((unsigned char)*p))
			return false;
	}
	dot = strrchr(last, '.');
	if (dot == NULL || dot == last)
		return false;
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcmp(dot + 1, exts[i]) == 0)
			return true;
	return false;
}

/* rest: the path after "/UID/". */
static bool
match_builtin(enum builtin_kind kind, const char *rest, int64_t now,
    struct route_match *m, bool *too_big)
{
	const char *p = rest;

	switch (kind) {
	case B_LIVE_PLAYLIST:
		return eat_playlist_name(&p, true) && strcmp(p, ".m3u8") == 0;
	case B_LIVE_DASH:
		return strcmp(p, "index.mpd") == 0;
	case B_LIVE_TRACK:
		return eat_tracks_dir(&p) && eat_playlist_name(&p, false) &&
		    strcmp(p, ".m3u8") == 0;
	case B_DVR_PLAYLIST:
		return eat_playlist_name(&p, true) &&
		    eat_window(&p, ".m3u8", m, too_big);
	case B_DVR_TRACK:
		return eat_tracks_dir(&p) && eat_playlist_name(&p, false) &&
		    eat_window(&p, ".m3u8", m, too_big);
	case B_DVR_TIMESHIFT:
		if (!eat(&p, "timeshift_abs-") ||
		    !eat_number(&p, &m->from, too_big) || strcmp(p, ".m3u8") != 0)
			return false;
		m->to = now > (int64_t)m->from ? (uint64_t)now : m->from;
		m->has_window = true;
		return true;
	case B_DOWNLOAD:
		if (!eat(&p, "archive"))
			return false;
		{
			const char *q = p;
			return eat_window(&p, ".mp4", m, too_big) ||
			    eat_window(&q, ".ts", m, too_big);
		}
	case B_SEGMENT:
		if (!is_segment(p))
			return false;
		switch (segment_time(rest - 1, &m->from, &m->to)) {
		case SEG_UNTIMED:
			switch (folder_time(rest - 1, &m->from, &m->to)) {
			case SEG_UNTIMED:
				return true;
			case SEG_TIMED:
				m->has_window = true;
				m->folder_window = true;
				return true;
			case SEG_BAD:
				break;
			}
			return false;
		case SEG_TIMED:
			m->has_window = true;
			return true;
		case SEG_BAD:
			break;
		}
		return false;
	}
	return false;
}

/* "/UID/rest": the uid into m->stream, a pointer to rest. */
static const char *
split_stream(const char *path, struct route_match *m)
{
	const char *p = path + 1;
	size_t len = 0;

	if (path[0] != '/')
		return NULL;
	while (p[len] != '\0' && p[len] != '/')
		len++;
	if (p[len] != '/' || !config_valid_name(p, len))
		return NULL;
	memcpy(m->stream, p, len);
	m->stream[len] = '\0';
	return p + len + 1;
}

static bool
match_one_builtin(const struct route *r, const char *path, int64_t now,
    struct route_match *m, bool *too_big)
{
	const char *rest;

	memset(m, 0, sizeof(*m));
	rest = split_stream(path, m);
	if (rest == NULL ||
	    !match_builtin((enum builtin_kind)r->builtin, rest, now, m, too_big))
		return false;
	m->route = r;
	m->perm = r->perm;
	return true;
}

bool
route_match(const struct config *cfg, const char *path, int64_t now,
    struct route_match *m)
{
	regmatch_t g[16];
	size_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];
		const regmatch_t *s;
		uint32_t dur = 0;
		bool too_big = false;
		size_t len;

		if (r->builtin) {
			if (!match_one_builtin(r, path, now, m, &too_big))
				continue;
			/* A number beyond 32 bits names no window: no route. */
			return !too_big;
		}
		/* A route names the whole path, anchored or not in its pattern. */
		if (regexec(&r->re, path, 16, g, 0) != 0 || g[0].rm_so != 0 ||
		    (size_t)g[0].rm_eo != strlen(path))
			continue;
		s = &g[r->stream_group];
		if (r->stream_group == 0 || s->rm_so < 0)
			continue;
		len = (size_t)(s->rm_eo - s->rm_so);
		if (!config_valid_name(path + s->rm_so, len))
			continue;
		memcpy(m->stream, path + s->rm_so, len);
		m->stream[len] = '\0';
		m->route = r;
		m->perm = r->perm;
		if (r->from_group != 0) {
			if (!group_u32(path, &g[r->from_group], &m->from))
				return false;
			m->has_window = true;
			if (r->window_to_now)
				m->to = now > (int64_t)m->from ? (uint64_t)now : m->from;
			else if (r->duration_group != 0 &&
			    !group_u32(path, &g[r->duration_group], &dur))
				return false;
			if (!r->window_to_now)
				m->to = (uint64_t)m->from + dur;
		}
		return true;
	}
	return false;
}
