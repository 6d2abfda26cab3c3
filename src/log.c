/* log: request lines and service messages on stderr, the web server's error log. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

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
line_put_n(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->data) - 1 - l->len)
		n = sizeof(l->data) - 1 - l->len;
	memcpy(l->data + l->len, s, n);
	l->len += n;
}

/* A literal's length is known when this compiles: no strlen per request. */
#define line_put_lit(l, s) line_put_n((l), (s), sizeof(s) - 1)

static void
line_put(struct line *l, const char *s)
{
	line_put_n(l, s, strlen(s));
}

/* Each byte as a log line shows it: name characters, else '?'. A lookup per byte. */
static char safe_map[256];

static void
safe_map_init(void)
{
	unsigned c;

	for (c = 0; c < sizeof(safe_map); c++)
		safe_map[c] = text_is_name_char((unsigned char)c) ? (char)c : '?';
}

/*
 * Untrusted words (method names) are cut to max bytes and reduced to safe
 * characters as they are copied; "-" when absent.
 */
static void
line_put_word(struct line *l, const char *src, size_t max)
{
	char *dst = l->data + l->len;
	size_t i;

	if (src == NULL || *src == '\0')
		src = "-";
	if (max > sizeof(l->data) - 1 - l->len)
		max = sizeof(l->data) - 1 - l->len;
	for (i = 0; src[i] != '\0' && i < max; i++)
		dst[i] = safe_map[(unsigned char)src[i]];
	l->len += i;
}

static void
line_put_long(struct line *l, long v)
{
	char tmp[24], *end = tmp + sizeof(tmp), *p;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	p = text_u64_digits(end, u);
	if (v < 0)
		*--p = '-';
	line_put_n(l, p, (size_t)(end - p));
}

static void
line_start(struct line *l)
{
	/* Formatted once: the pid does not change while this process logs. */
	static struct line prefix;

	if (prefix.len == 0) {
		line_put_lit(&prefix, " streamtoken[");
		line_put_long(&prefix, (long)getpid());
		line_put_lit(&prefix, "]: client=");
		safe_map_init();
	}
	l->len = timestamp(l->data, sizeof(l->data));
	line_put_n(l, prefix.data, prefix.len);
}

static log_writer_fn *line_writer;

void
log_set_writer(log_writer_fn *fn)
{
	line_writer = fn;
}

/* One write per line, so lines of concurrent processes do not mix. */
static void
emit(const char *line, size_t len)
{
	if (line_writer != NULL)
		line_writer(line, len);
	else
		(void)!write(STDERR_FILENO, line, len);
}

static void
line_write(struct line *l)
{
	l->data[l->len++] = '\n';
	emit(l->data, l->len);
}

void
log_request(const struct request *req, const char *method, const char *stream,
    int rpc_code)
{
	struct line l;

	line_start(&l);
	line_put(&l, req->client != NULL ? req->client->name : "-");
	line_put_lit(&l, " method=");
	line_put_word(&l, method, 64);
	line_put_lit(&l, " stream=");
	line_put_word(&l, stream, ST_NAME_MAX);
	line_put_lit(&l, " status=");
	line_put_long(&l, req->status);
	line_put_lit(&l, " code=");
	line_put_long(&l, rpc_code);
	line_put_lit(&l, " us=");
	line_put_long(&l, request_elapsed_us(req));
	line_write(&l);
}

void
log_check(const struct request *req, const char *mode, const char *stream,
    const char *client, const char *reason)
{
	struct line l;

	line_start(&l);
	line_put_word(&l, client, ST_NAME_MAX);
	line_put_lit(&l, " method=");
	line_put(&l, mode);
	line_put_lit(&l, " stream=");
	line_put_word(&l, stream, ST_NAME_MAX);
	line_put_lit(&l, " status=");
	line_put_long(&l, req->status);
	line_put_lit(&l, " reason=\"");
	line_put(&l, reason);
	line_put_lit(&l, "\" us=");
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
	emit(line, n);
}
