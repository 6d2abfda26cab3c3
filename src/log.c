/* log: request lines and service messages on stderr, the web server's error log. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

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
		dst[i] = text_is_name_char(c) ? (char)c : '?';
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
	if (cached_len >= cap)
		return 0;
	memcpy(dst, cached, cached_len + 1);
	return cached_len;
}

/*
 * A line is assembled by hand in a buffer that holds the longest one
 * (every field is bounded): this runs once per request, printf's parsing
 * of the format was a tenth of the issuing path.
 */
struct line {
	char data[512];
	size_t len;
};

static void
line_put(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(l->data) - 1 - l->len)
		n = sizeof(l->data) - 1 - l->len;
	memcpy(l->data + l->len, s, n);
	l->len += n;
}

static void
line_put_long(struct line *l, long v)
{
	char tmp[24], *p = tmp + sizeof(tmp) - 1;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	line_put(l, p);
}

static void
line_start(struct line *l)
{
	static long pid;

	if (pid == 0)
		pid = (long)getpid();
	l->len = timestamp(l->data, sizeof(l->data));
	line_put(l, " streamtoken[");
	line_put_long(l, pid);
	line_put(l, "]: client=");
}

/* One write per line, so lines of concurrent processes do not mix. */
static void
line_write(struct line *l)
{
	l->data[l->len++] = '\n';
	(void)!write(STDERR_FILENO, l->data, l->len);
}

void
log_request(const struct request *req, const char *method, const char *stream,
    int rpc_code)
{
	char m[65], s[ST_NAME_MAX + 1];
	struct line l;

	safe_word(m, sizeof(m), method);
	safe_word(s, sizeof(s), stream);
	line_start(&l);
	line_put(&l, req->client != NULL ? req->client->name : "-");
	line_put(&l, " method=");
	line_put(&l, m);
	line_put(&l, " stream=");
	line_put(&l, s);
	line_put(&l, " status=");
	line_put_long(&l, req->status);
	line_put(&l, " code=");
	line_put_long(&l, rpc_code);
	line_put(&l, " us=");
	line_put_long(&l, request_elapsed_us(req));
	line_write(&l);
}

void
log_check(const struct request *req, const char *mode, const char *stream,
    const char *client, const char *reason)
{
	char s[ST_NAME_MAX + 1], c[ST_NAME_MAX + 1];
	struct line l;

	safe_word(s, sizeof(s), stream);
	safe_word(c, sizeof(c), client);
	line_start(&l);
	line_put(&l, c);
	line_put(&l, " method=");
	line_put(&l, mode);
	line_put(&l, " stream=");
	line_put(&l, s);
	line_put(&l, " status=");
	line_put_long(&l, req->status);
	line_put(&l, " reason=\"");
	line_put(&l, reason);
	line_put(&l, "\" us=");
	line_put_long(&l, request_elapsed_us(req));
	line_write(&l);
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
