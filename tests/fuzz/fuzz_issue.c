/* fuzz_issue: the whole pipeline, FastCGI params + body to response bytes (libFuzzer). */
#include "fuzz_common.h"

#include <json-c/json.h>

/*
 * Input: two selector bytes, then the data.
 *   byte 0: bits 0-2 REQUEST_METHOD, bits 3-4 CONTENT_TYPE, bits 5-7 Authorization
 *   byte 1: bits 0-1 CONTENT_LENGTH, bits 2-3 role, bits 4-5 body reads, bit 6 cookie
 * Authorization choice 7 takes the first line of the data as the header; the
 * checking roles take the next line as REQUEST_URI. The rest is the body.
 * "$0".."$4" anywhere become valid tokens minted at start-up.
 */

static const char *const methods[8] = {
	"POST", "POST", "POST", "POST", "GET", NULL, "post", "PUT",
};
static const char *const content_types[4] = {
	"application/json", "application/json", "Application/JSON ; charset=utf-8",
	"text/plain",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silence_stderr(argc, argv);
	fz_setup("issue");
	return 0;
}

static void
check_response(const struct buf *out, int role, bool client_ok)
{
	const char *body;
	int status;

	if (out->failed)
		abort();
	if (out->len < 12 || strncmp(out->data, "Status: ", 8) != 0)
		abort();
	status = atoi(out->data + 8);
	body = strstr(out->data, "\r\n\r\n");
	if (body == NULL)
		abort();
	body += 4;
	if (role >= 2) {
		/* SPEC 7: a check is 200, 401 or 403, with no body. */
		if ((status != 200 && status != 401 && status != 403) || *body != '\0')
			abort();
		return;
	}
	/* A token is issued only to an authenticated client. */
	if (!client_ok && strstr(body, "\"result\":\"") != NULL)
		abort();
	if (*body != '\0') {
		json_object *j;

		/* SPEC 2.1: every body is JSON and never cached. */
		if (strstr(out->data, "Cache-Control: no-store\r\n") == NULL ||
		    strstr(out->data, "Content-Type: application/json\r\n") == NULL)
			abort();
		j = json_tokener_parse(body);
		if (j == NULL)
			abort();
		json_object_put(j);
	} else if (status != 204 && status != 200) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 2, *end = (const char *)data + size;
	struct buf auth, uri, body, out, cookie;
	struct fz_source s;
	char clen[32];
	int role, a;
	bool client_ok = false;

	if (size < 2)
		return 0;
	buf_init(&auth);
	buf_init(&uri);
	buf_init(&body);
	buf_init(&out);
	buf_init(&cookie);
	memset(&s, 0, sizeof(s));
	role = data[1] >> 2 & 3;
	a = data[0] >> 5 & 7;

	if (a == 7) {
		fz_take_line(&p, end, &auth);
		/* The fuzzer may well spell a valid credential itself. */
		client_ok = role < 2 && auth.data != NULL &&
		    (strstr(auth.data, FZ_BEARER_BACKEND) != NULL ||
		    strstr(auth.data, FZ_BEARER_LIMITED) != NULL);
	} else if (role >= 2 && a < FZ_NTOKENS) {
		buf_puts(&auth, "Bearer ");
		buf_append(&auth, fz_tokens[a].data, fz_tokens[a].len);
	} else if (a <= 2) {
		buf_puts(&auth, "Bearer " FZ_BEARER_BACKEND);
		client_ok = true;
	} else if (a == 3) {
		buf_puts(&auth, "bearer  " FZ_BEARER_LIMITED " ");
		client_ok = true;
	} else if (a == 4) {
		buf_puts(&auth, "Bearer not-the-token");
	} else if (a == 6) {
		buf_puts(&auth, "Basic dXNlcjpwYXNz");
	}
	if (role >= 2)
		fz_take_line(&p, end, &uri);
	fz_expand(&body, p, (size_t)(end - p));
	if (auth.failed || uri.failed || body.failed)
		abort();

	fz_param_set(&s, "REQUEST_METHOD", methods[data[0] & 7]);
	if ((data[0] >> 3 & 3) != 3 || (data[1] & 0x80))
		fz_param_set(&s, "CONTENT_TYPE", content_types[data[0] >> 3 & 3]);
	switch (data[1] & 3) {
	case 0:
	case 1:
		snprintf(clen, sizeof(clen), "%zu", body.len);
		fz_param_set(&s, "CONTENT_LENGTH", clen);
		break;
	case 2:
		break;
	case 3:
		/* Longer than the body: a truncated upload. */
		snprintf(clen, sizeof(clen), "%zu", body.len + 1 + (data[0] & 7));
		fz_param_set(&s, "CONTENT_LENGTH", clen);
		break;
	}
	if (auth.len > 0)
		fz_param_set(&s, "HTTP_AUTHORIZATION", auth.data);
	if (data[1] & 0x40) {
		buf_puts(&cookie, "lang=en; streamtoken=");
		buf_append(&cookie, fz_tokens[data[0] % FZ_NTOKENS].data,
		    fz_tokens[data[0] % FZ_NTOKENS].len);
		fz_param_set(&s, "HTTP_COOKIE", cookie.data);
	}
	if (role == 2) {
		fz_param_set(&s, "FCGI_ROLE", "AUTHORIZER");
		fz_param_set(&s, "REQUEST_URI", uri.len > 0 ? uri.data : "");
	} else if (role == 3) {
		fz_param_set(&s, "FCGI_ROLE", "RESPONDER");
		fz_param_set(&s, "STREAMTOKEN_MODE", "verify");
		fz_param_set(&s, (data[1] & 0x40) ? "HTTP_X_ORIGINAL_URI" :
		    "STREAMTOKEN_URI", uri.len > 0 ? uri.data : "");
	} else {
		fz_param_set(&s, "FCGI_ROLE", "RESPONDER");
		fz_param_set(&s, "REQUEST_URI", "/api");
	}
	s.body = body.data != NULL ? body.data : "";
	s.body_len = body.len;
	switch (data[1] >> 4 & 3) {
	case 1: s.chunk = 1; break;
	case 2: s.chunk = 7; break;
	case 3: s.read_error = true; break;
	}

	fz_run(fz_cfg, &s, &out);
	check_response(&out, role, client_ok);

	buf_free(&auth);
	buf_free(&uri);
	buf_free(&body);
	buf_free(&out);
	buf_free(&cookie);
	return 0;
}
