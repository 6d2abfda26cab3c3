/* route: a media URL → (stream, permission, DVR window), after decoding and normalising it. */
#ifndef ST_ROUTE_H
#define ST_ROUTE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTE_PATH_MAX 4096

struct route {
	char *name;
	regex_t re;
	bool compiled;
	unsigned stream_group;		/* capture group numbers; 0 = none */
	unsigned from_group;
	unsigned duration_group;
	unsigned perm;			/* enum perm bits: any one of them grants */
	bool window_to_now;		/* timeshift_abs: [from, now] */
	bool timed_segment;		/* a window from a YYYY/MM/DD/hh/mm/ss-MS path */
	int builtin;			/* 0: a [route] section; else the built-in kind */
	unsigned line;
};

struct route_match {
	const struct route *route;
	char stream[129];
	unsigned perm;
	bool has_window;
	bool folder_window;		/* the window is the day/hour/minute of its folders */
	uint32_t from;			/* requested window, Unix seconds */
	uint64_t to;
};

struct config;

/* Appends the built-in routes of SPEC 7 (after any [route] sections). */
bool route_add_builtins(struct config *cfg, char *err, size_t errlen);
/* Compiles a route's pattern; false with a message on a bad regex. */
bool route_compile(struct route *r, const char *pattern, char *err, size_t errlen);
void route_free(struct route *r);

/*
 * The path and query of a request target (RFC 9112 §3.2): itself in origin
 * form ("/cam-1/index.m3u8"); in absolute form ("http://host/cam-1/...",
 * as Apache hands a proxy-style request to an authorizer) what follows the
 * scheme and authority; NULL for anything else.
 */
const char *route_origin_form(const char *uri);

/*
 * Percent-decodes and normalises a URL path the way a web server resolves
 * it: "//" and "/./" collapse. Refuses ".." segments, encoded "/" or "\",
 * NUL and control characters, and bad escapes: such a URL could name one
 * file to us and another to the server.
 */
bool route_normalize(const char *raw, size_t len, char *out, size_t cap);

/*
 * Strips a leading "/<JWT>" segment (the HLS token path prefix) from a
 * normalised path, returning the token in tok (NUL-terminated copy).
 */
bool route_take_path_token(char *path, char *tok, size_t cap);

/* First matching route in order ([route] sections, then built-ins). */
bool route_match(const struct config *cfg, const char *path, int64_t now,
    struct route_match *m);

#endif
