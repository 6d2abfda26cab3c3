/* request: CGI parameters and body, bounded before anything is allocated or copied. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"

void
request_init(struct request *req, const struct config *cfg,
    const struct request_source *src)
{
	memset(req, 0, sizeof(*req));
	req->cfg = cfg;
	req->src = src;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	req->now = (int64_t)time(NULL);
	req->status = 200;
	buf_init(&req->headers);
	buf_init(&req->out);
}

void
request_free(struct request *req)
{
	free(req->body);
	buf_free(&req->headers);
	buf_free(&req->out);
	memset(req, 0, sizeof(*req));
}

const char *
request_param(const struct request *req, const char *name)
{
	return req->src->param(req->src->ctx, name);
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
	const char *method = request_param(req, "REQUEST_METHOD");
	long long len;

	if (method == NULL || strcmp(method, "POST") != 0) {
		buf_puts(&req->headers, "Allow: POST\r\n");
		return ST_ERR_HTTP_METHOD;
	}
	if (!is_json_media_type(request_param(req, "CONTENT_TYPE")))
		return ST_ERR_MEDIA_TYPE;
	len = content_length(request_param(req, "CONTENT_LENGTH"));
	if (len < -1)
		return ST_ERR_INVALID_REQUEST;
	req->content_length = len;
	if (len > (long long)req->cfg->max_body)
		return ST_ERR_BODY_TOO_LARGE;
	return ST_OK;
}

enum st_err
request_read_body(struct request *req)
{
	long long want = req->content_length;	/* checked by request_check_http */
	size_t cap, len = 0;
	int n;

	/* Without CONTENT_LENGTH, read to the end but never past max_body. */
	cap = want >= 0 ? (size_t)want : req->cfg->max_body + 1;
	req->body = malloc(cap + 1);
	if (req->body == NULL)
		return ST_ERR_INTERNAL;
	while (len < cap) {
		size_t chunk = cap - len > 65536 ? 65536 : cap - len;
		n = req->src->read(req->src->ctx, req->body + len, (int)chunk);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	req->body[len] = '\0';
	req->body_len = len;
	if (want >= 0 && len < (size_t)want)
		return ST_ERR_BODY_TRUNCATED;
	if (len > req->cfg->max_body)
		return ST_ERR_BODY_TOO_LARGE;
	return ST_OK;
}
