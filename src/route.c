/* route: built-in and configured URL routes (POSIX ERE, compiled once at load). */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "route.h"

/* A stream uid as it appears in a URL (SPEC 4 name characters). */
#define UID "([A-Za-z0-9._~-]{1,128})"

/*
 * SPEC 7 built-in routes, in the order they are tried; the stream is the
 * first path segment. Segments are last: any other file under a stream.
 */
static const struct builtin {
	const char *name;
	const char *pattern;
	unsigned stream, from, duration;
	unsigned perm;
	bool window_to_now, timed_segment;
} builtins[] = {
	{"live-playlist", "^/" UID "/(index|mono|video)\\.m3u8$", 1, 0, 0, PERM_LIVE, false, false},
	{"live-dash", "^/" UID "/index\\.mpd$", 1, 0, 0, PERM_LIVE, false, false},
	{"live-track-playlist", "^/" UID "/tracks-[A-Za-z0-9]+/(index|mono)\\.m3u8$", 1, 0, 0, PERM_LIVE, false, false},
	{"dvr-playlist", "^/" UID "/(index|mono|video)-([0-9]{1,10})-([0-9]{1,10})\\.m3u8$", 1, 3, 4, PERM_DVR, false, false},
	{"dvr-track-playlist", "^/" UID "/tracks-[A-Za-z0-9]+/(index|mono)-([0-9]{1,10})-([0-9]{1,10})\\.m3u8$", 1, 3, 4, PERM_DVR, false, false},
	{"dvr-timeshift", "^/" UID "/timeshift_abs-([0-9]{1,10})\\.m3u8$", 1, 2, 0, PERM_DVR, true, false},
	{"download", "^/" UID "/archive-([0-9]{1,10})-([0-9]{1,10})\\.(mp4|ts)$", 1, 2, 3, PERM_COPY, false, false},
	{"segment", "^/" UID "/([A-Za-z0-9._~-]+/)*[A-Za-z0-9._~-]+\\.(ts|m4s|mp4|m4v|m4a|aac|vtt|webvtt|jpg)$", 1, 0, 0, PERM_LIVE | PERM_DVR, false, true},
};

bool
route_compile(struct route *r, const char *pattern, char *err, size_t errlen)
{
	char msg[256];
	int rc;

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
		r->stream_group = builtins[i].stream;
		r->from_group = builtins[i].from;
		r->duration_group = builtins[i].duration;
		r->perm = builtins[i].perm;
		r->window_to_now = builtins[i].window_to_now;
		r->timed_segment = builtins[i].timed_segment;
		r->builtin = true;
		cfg->nroutes++;
		if (r->name == NULL || !route_compile(r, builtins[i].pattern, err,
		    errlen))
			return false;
	}
	return true;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
			int hi, lo;

			if (i + 2 >= len)
				return false;
			hi = hex_value(raw[i + 1]);
			lo = hex_value(raw[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
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

/* A compact JWS: three non-empty base64url parts separated by two dots. */
static bool
looks_like_jwt(const char *s, size_t len)
{
	size_t i, dots = 0, part = 0;

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

/* Flussonic-style segment names carry their time: .../YYYY/MM/DD/hh/mm/ss-MS.ext */
static bool
segment_time(const char *path, uint32_t *from, uint64_t *to)
{
	static regex_t re;
	static bool compiled;
	regmatch_t g[8];
	struct tm tm;
	time_t t;

	if (!compiled) {
		if (regcomp(&re, "/([0-9]{4})/([0-9]{2})/([0-9]{2})/([0-9]{2})/"
		    "([0-9]{2})/([0-9]{2})-([0-9]{1,9})\\.[a-z0-9]+$",
		    REG_EXTENDED) != 0)
			return false;
		compiled = true;
	}
	if (regexec(&re, path, 8, g, 0) != 0)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(path + g[1].rm_so) - 1900;
	tm.tm_mon = atoi(path + g[2].rm_so) - 1;
	tm.tm_mday = atoi(path + g[3].rm_so);
	tm.tm_hour = atoi(path + g[4].rm_so);
	tm.tm_min = atoi(path + g[5].rm_so);
	tm.tm_sec = atoi(path + g[6].rm_so);
	t = timegm(&tm);
	if (t < 0 || (uint64_t)t > UINT32_MAX)
		return false;
	*from = (uint32_t)t;
	*to = (uint64_t)t + (uint64_t)atol(path + g[7].rm_so) / 1000;
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
		size_t len;

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
		} else if (r->timed_segment) {
			m->has_window = segment_time(path, &m->from, &m->to);
		}
		return true;
	}
	return false;
}
