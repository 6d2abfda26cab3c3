/* log: request lines and service messages on stderr, the web server's error log. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Untrusted words (method names) are cut short and reduced to safe characters. */
static void
safe_word(char *dst, size_t cap, const char *src)
{
	size_t i;

	if (src == NULL || *src == '\0') {
		snprintf(dst, cap, "-");
		return;
	}
	for (i = 0; src[i] != '\0' && i < cap - 1; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("._~-", c) != NULL) ? (char)c : '?';
	}
	dst[i] = '\0';
}

/* Formatted once per second: a busy process logs many lines per second. */
static size_t
timestamp(char *dst, size_t cap)
{
	static char cached[32];
	static size_t cached_len;
	static time_t cached_at = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (now != cached_at) {
		gmtime_r(&now, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cached_at = now;
	}
	snprintf(dst, cap, "%s", cached);
	return cached_len < cap ? cached_len : cap - 1;
}

void
log_request(const struct request *req, const char *method, const char *stream,
    int rpc_code)
{
	char when[32], m[65], s[ST_NAME_MAX + 1], line[512];
	int n;

	timestamp(when, sizeof(when));
	safe_word(m, sizeof(m), method);
	safe_word(s, sizeof(s), stream);
	n = snprintf(line, sizeof(line),
	    "%s streamtoken[%ld]: client=%s method=%s stream=%s status=%d "
	    "code=%d us=%ld\n", when, (long)getpid(),
	    req->client != NULL ? req->client->name : "-", m, s, req->status,
	    rpc_code, request_elapsed_us(req));
	/* One write per line, so lines of concurrent processes do not mix. */
	if (n > 0)
		(void)!write(STDERR_FILENO, line,
		    (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void
log_check(const struct request *req, const char *mode, const char *stream,
    const char *client, const char *reason)
{
	char when[32], s[ST_NAME_MAX + 1], c[ST_NAME_MAX + 1], line[512];
	int n;

	timestamp(when, sizeof(when));
	safe_word(s, sizeof(s), stream);
	safe_word(c, sizeof(c), client);
	n = snprintf(line, sizeof(line),
	    "%s streamtoken[%ld]: client=%s method=%s stream=%s status=%d "
	    "reason=\"%s\" us=%ld\n", when, (long)getpid(), c, mode, s,
	    req->status, reason, request_elapsed_us(req));
	if (n > 0)
		(void)!write(STDERR_FILENO, line,
		    (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void
log_msg(const char *fmt, ...)
{
	char line[1024];
	size_t n;
	va_list ap;

	n = timestamp(line, sizeof(line));
	n += (size_t)snprintf(line + n, sizeof(line) - n, " streamtoken[%ld]: ",
	    (long)getpid());
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}
