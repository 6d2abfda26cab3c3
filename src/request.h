/* request: one HTTP request, from its CGI parameters and body to its response. */
#ifndef ST_REQUEST_H
#define ST_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "errors.h"

struct json_object;

/* Where a request comes from: FastCGI, plain CGI, or a test. */
struct request_source {
	/* A CGI parameter, or NULL. The string lives until the request ends. */
	const char *(*param)(void *ctx, const char *name);
	/* Reads up to len body bytes; returns the count, 0 at the end, -1 on error. */
	int (*read)(void *ctx, char *buf, int len);
	void *ctx;
	/*
	 * Optional (NULL: param answers every name): all the parameters as
	 * "NAME=value" strings, NULL-terminated, alive until the request ends,
	 * as libfcgi's envp and CGI's environ are. request_init picks the
	 * names the pipeline asks for out of it in one pass.
	 */
	char **(*envp)(void *ctx);
};

/*
 * The CGI parameters the pipeline asks for. request_init picks them out of
 * request_source.envp in one pass; request_known answers them by index.
 */
enum request_known_param {
	REQ_CONTENT_LENGTH, REQ_CONTENT_TYPE,
	REQ_FCGI_ROLE,
	REQ_HTTP_AUTHORIZATION, REQ_HTTP_COOKIE, REQ_HTTP_X_FORWARDED_FOR,
	REQ_REMOTE_ADDR, REQ_REQUEST_METHOD, REQ_REQUEST_URI,
	REQ_STREAMTOKEN_MODE, REQ_STREAMTOKEN_URI,
	REQUEST_KNOWN_PARAMS
};

/* Inline storage: the common request copies its body and response here. */
#define REQUEST_BODY_INLINE 2048
#define REQUEST_OUT_INLINE 2048
#define REQUEST_HEADERS_INLINE 256

/*
 * Everything one request allocates hangs off this struct and is released
 * by request_free(), on every path, before the next request is accepted.
 */
struct request {
	const struct config *cfg;
	const struct request_source *src;
	struct timespec start;
	int64_t now;			/* Unix seconds, fixed for the request */
	bool have_known;		/* known[] holds the answers from src->envp */
	const char *known[REQUEST_KNOWN_PARAMS];

	long long content_length;	/* CONTENT_LENGTH, -1 when absent */
	char *body;			/* NUL-terminated copy: mem.body or malloc'ed */
	size_t body_len;
	const struct client *client;	/* set once the bearer token matched */
	struct json_object *json;	/* the body parsed (json-c), or NULL */

	/* The response. */
	int status;
	struct buf headers;		/* extra header lines, each ending in \r\n */
	bool content_headers_set;	/* headers has Content-Type, Cache-Control */
	struct buf out;			/* response body */

	/*
	 * Last, so that request_init need not clear it. A request is never
	 * copied: body, headers and out may point into it.
	 */
	struct {
		char body[REQUEST_BODY_INLINE];
		char out[REQUEST_OUT_INLINE];
		char headers[REQUEST_HEADERS_INLINE];
	} mem;
};

void request_init(struct request *req, const struct config *cfg,
    const struct request_source *src);
void request_free(struct request *req);
/* A CGI parameter by name, or NULL. */
const char *request_param(const struct request *req, const char *name);
/* One of the known parameters, or NULL: no name compared on the way. */
const char *request_known(const struct request *req,
    enum request_known_param k);

/* SPEC 2.1 checks on method and headers, in table order; then the body. */
enum st_err request_check_http(struct request *req);
/* Reads the body of the length request_check_http found. */
enum st_err request_read_body(struct request *req);

/* Microseconds since request_init. */
long request_elapsed_us(const struct request *req);

#endif
