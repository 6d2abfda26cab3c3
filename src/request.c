/* request: CGI parameters and body, bounded before anything is allocated or copied. */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "request.h"

/* The names of enum request_known_param, grouped by first letter. */
static const char *const known_names[REQUEST_KNOWN_PARAMS] = {
	[REQ_CONTENT_LENGTH] = "CONTENT_LENGTH",
	[REQ_CONTENT_TYPE] = "CONTENT_TYPE",
	[REQ_FCGI_ROLE] = "FCGI_ROLE",
	[REQ_HTTP_AUTHORIZATION] = "HTTP_AUTHORIZATION",
	[REQ_HTTP_COOKIE] = "HTTP_COOKIE",
	[REQ_HTTP_X_FORWARDED_FOR] = "HTTP_X_FORWARDED_FOR",
	[REQ_REMOTE_ADDR] = "REMOTE_ADDR",
	[REQ_REQUEST_METHOD] = "REQUEST_METHOD",
	[REQ_REQUEST_URI] = "REQUEST_URI",
	[REQ_STREAMTOKEN_MODE] = "STREAMTOKEN_MODE",
	[REQ_STREAMTOKEN_URI] = "STREAMTOKEN_URI",
};

/*
 * The names starting with a byte, by table (a switch made an indirect jump
 * per CGI parameter, mispredicted often): the slots [lo, hi) of
 * known_names, and how many leading bytes they share ("HTTP_", "CONTENT_"
 * ...), which an entry is compared with once, then with each name's rest.
 * hi == 0: none.
 */
struct known_group {
	unsigned char lo, hi, shared;
};
static const struct known_group known_groups[256] = {
	['C'] = {REQ_CONTENT_LENGTH, REQ_CONTENT_TYPE + 1, 8},
	['F'] = {REQ_FCGI_ROLE, REQ_FCGI_ROLE + 1, 9},
	['H'] = {REQ_HTTP_AUTHORIZATION, REQ_HTTP_X_FORWARDED_FOR + 1, 5},
	['R'] = {REQ_REMOTE_ADDR, REQ_REQUEST_URI + 1, 2},
	['S'] = {REQ_STREAMTOKEN_MODE, REQ_STREAMTOKEN_URI + 1, 12},
};

/* Past the first n bytes of e if they are those of name (no NUL among them). */
static const char *
skip_prefix(const char *e, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i] != name[i])
			return NULL;
	return e + n;
}

/* The value of a "NAME=value" entry whose name is name, else NULL. */
static const char *
entry_value(const char *e, const char *name)
{
	while (*name != '\0' && *e == *name) {
		e++;
		name++;
	}
	return *name == '\0' && *e == '=' ? e + 1 : NULL;
}

/* One pass over envp; the first of duplicates wins, as with getenv. */
static void
pick_known(struct request *req, char **envp)
{
	const struct known_group *g;
	const char *rest, *v;
	size_t k;

	for (; *envp != NULL; envp++) {
		g = &known_groups[(unsigned char)**envp];
		if (g->hi == 0)
			continue;
		/* A mismatch stops before the entry's NUL: name has none. */
		rest = skip_prefix(*envp, known_names[g->lo], g->shared);
		if (rest == NULL)
			continue;
		for (k = g->lo; k < g->hi; k++)
			if ((v = entry_value(rest, known_names[k] + g->shared)) !=
			    NULL) {
				if (req->known[k] == NULL)
					req->known[k] = v;
				break;
			}
	}
	req->have_known = true;
}

void
request_init(struct request *req, const struct config *cfg,
    const struct request_source *src)
{
	char **envp;

	/* Not the inline storage: it is written before it is read. */
	memset(req, 0, offsetof(struct request, mem));
	req->cfg = cfg;
	req->src = src;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	req->now = (int64_t)time(NULL);
	req->status = 200;
	buf_init_storage(&req->headers, req->mem.headers,
	    sizeof(req->mem.headers));
	buf_init_storage(&req->out, req->mem.out, sizeof(req->mem.out));
	if (src != NULL && src->envp != NULL &&
	    (envp = src->envp(src->ctx)) != NULL)
		pick_known(req, envp);
}

void
request_free(struct request *req)
{
	if (req->body != req->mem.body)
		free(req->body);
	json_object_put(req->json);
	buf_free(&req->headers);
	buf_free(&req->out);
	memset(req, 0, offsetof(struct request, mem));
}

const char *
request_param(const struct request *req, const char *name)
{
	const struct known_group *g = &known_groups[(unsigned char)name[0]];
	size_t k;

	if (req->have_known) {
		for (k = g->lo; k < g->hi; k++)
			if (strcmp(name, known_names[k]) == 0)
				return req->known[k];
	}
	return req->src->param(req->src->ctx, name);
}

const char *
request_known(const struct request *req, enum request_known_param k)
{
	if (req->have_known)
		return req->known[k];
	return req->src->param(req->src->ctx, known_names[k]);
}

long
request_elapsed_us(const struct request *req)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - req->start.tv_sec) * 1000000L +
	    (now.tv_nsec - req->start.tv_nsec) / 1000;
}

/* RFC 9110 §8.3: type/subtype, case-insensitive, optional ;parameters. */
static bool
is_json_media_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* CONTENT_LENGTH: digits only; -1 when absent or unparsable. */
static long long
content_length(const char *v)
{
	unsigned long long n;
	char *end;

	if (v == NULL || *v == '\0')
		return -1;
	if (*v < '0' || *v > '9')
		return -2;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > (1ULL << 40))
		return -3;
	return (long long)n;
}

enum st_err
request_check_http(struct request *req)
{
	const char *method = request_known(req, REQ_REQUEST_METHOD);
	long long len;

	if (method == NULL || strcmp(method, "POST") != 0) {
		buf_puts(&req->headers, "Allow: POST\r\n");
		return ST_ERR_HTTP_METHOD;
	}
	if (!is_json_media_type(request_known(req, REQ_CONTENT_TYPE)))
		return ST_ERR_MEDIA_TYPE;
	len = content_length(request_known(req, REQ_CONTENT_LENGTH));
	if (len < -1)
		return ST_ERR_INVALID_REQUEST;
	req->content_length = len;
	if (len > (long long)req->cfg->max_body)
		return ST_ERR_BODY_TOO_LARGE;
	return ST_OK;
}

/* Reads up to cap body bytes into dst; returns how many came. */
static size_t
read_upto(const struct request_source *src, char *dst, size_t cap)
{
	size_t len = 0;
	int n;

	while (len < cap) {
		size_t chunk = cap - len > 65536 ? 65536 : cap - len;
		n = src->read(src->ctx, dst + len, (int)chunk);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return len;
}

enum st_err
request_read_body(struct request *req)
{
	long long want = req->content_length;	/* checked by request_check_http */
	size_t cap, len;

	/* Without CONTENT_LENGTH, read to the end but never past max_body. */
	cap = want >= 0 ? (size_t)want : req->cfg->max_body + 1;
	if (cap < sizeof(req->mem.body))
		req->body = req->mem.body;
	else if ((req->body = malloc(cap + 1)) == NULL)
		return ST_ERR_INTERNAL;
	len = read_upto(req->src, req->body, cap);
	req->body[len] = '\0';
	req->body_len = len;
	if (want >= 0 && len < (size_t)want)
		return ST_ERR_BODY_TRUNCATED;
	if (len > req->cfg->max_body)
		return ST_ERR_BODY_TOO_LARGE;
	return ST_OK;
}
