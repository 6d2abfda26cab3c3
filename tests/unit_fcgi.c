/*
 * unit_fcgi: the FastCGI layer (src/fcgi.c) against records written by
 * hand: a socketpair stands for the web server's connection, a listening
 * unix or TCP socket for fcgi_accept.
 */
#include "unit_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "fcgi.h"
#include "log.h"

/* The log lines, kept to be looked at: bad input must leave one. */
static char last_line[1024];
static int lines;

static void
keep_line(const char *line, size_t len)
{
	if (len >= sizeof(last_line))
		len = sizeof(last_line) - 1;
	memcpy(last_line, line, len);
	last_line[len] = '\0';
	lines++;
}

static bool
logged(const char *words)
{
	return lines > 0 && strstr(last_line, words) != NULL;
}

enum {
	BEGIN = 1, ABORT = 2, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6,
	GET_VALUES = 9, GET_VALUES_RESULT = 10, UNKNOWN_TYPE = 11
};
#define RESPONDER 1
#define AUTHORIZER 2
#define KEEP 1

/* ---- the web server's side ---- */

struct bytes {
	unsigned char *p;
	size_t len, cap;
};

static void
put(struct bytes *b, const void *data, size_t len)
{
	if (len == 0)
		return;			/* data may be NULL */
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void
record(struct bytes *b, int type, int id, const void *content, size_t len,
    int pad)
{
	unsigned char h[8] = {1, (unsigned char)type, (unsigned char)(id >> 8),
	    (unsigned char)id, (unsigned char)(len >> 8), (unsigned char)len,
	    (unsigned char)pad, 0};
	static const unsigned char zeros[255];

	put(b, h, 8);
	put(b, content, len);
	put(b, zeros, (size_t)pad);
}

static void
begin(struct bytes *b, int id, int role, int flags)
{
	unsigned char c[8] = {0, (unsigned char)role, (unsigned char)flags};

	record(b, BEGIN, id, c, 8, 0);
}

static void
length(struct bytes *b, size_t n)
{
	unsigned char four[4] = {(unsigned char)(0x80 | n >> 24),
	    (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
	unsigned char one = (unsigned char)n;

	if (n < 128)
		put(b, &one, 1);
	else
		put(b, four, 4);
}

static void
pair(struct bytes *b, const char *name, const char *value)
{
	length(b, strlen(name));
	length(b, strlen(value));
	put(b, name, strlen(name));
	put(b, value, strlen(value));
}

/* A whole request: one PARAMS record, the body in one STDIN record. */
static void
request(struct bytes *b, int id, int role, int flags, const char *body)
{
	struct bytes p = {0};

	begin(b, id, role, flags);
	pair(&p, "REQUEST_METHOD", "POST");
	pair(&p, "CONTENT_LENGTH", "5");
	record(b, PARAMS, id, p.p, p.len, 0);
	record(b, PARAMS, id, NULL, 0, 0);
	if (body != NULL && *body != '\0')
		record(b, STDIN, id, body, strlen(body), 0);
	record(b, STDIN, id, NULL, 0, 0);
	free(p.p);
}

static void
send_all(int fd, const struct bytes *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = write(fd, b->p + off, b->len - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
}

/* What the application answered, record by record. */
struct answer {
	struct bytes out;		/* STDOUT contents, joined */
	int stdout_records, empty_stdout, ends;
	int end_id[4], end_status[4];
	int other_type;			/* type of the last other record */
	struct bytes other;		/* its content */
	size_t max_record;
	bool eof;
};

/* Reads until n END_REQUEST records came (or EOF when n is 0). */
static void
collect(int fd, struct answer *a, int n)
{
	unsigned char h[8];
	unsigned char c[65536 + 256];
	size_t len;

	memset(a, 0, sizeof(*a));
	for (;;) {
		if (n > 0 && a->ends >= n)
			return;
		if (recv(fd, h, 8, MSG_WAITALL) != 8) {
			a->eof = true;
			return;
		}
		len = (size_t)h[4] << 8 | h[5];
		if (len + h[6] > 0 &&
		    recv(fd, c, len + h[6], MSG_WAITALL) != (ssize_t)(len + h[6])) {
			a->eof = true;
			return;
		}
		if (len > a->max_record)
			a->max_record = len;
		if (h[1] == STDOUT && len > 0) {
			put(&a->out, c, len);
			a->stdout_records++;
		} else if (h[1] == STDOUT) {
			a->empty_stdout++;
		} else if (h[1] == END && a->ends < 4) {
			a->end_id[a->ends] = h[2] << 8 | h[3];
			a->end_status[a->ends++] = c[4];
		} else {
			a->other_type = h[1];
			a->other.len = 0;
			put(&a->other, c, len);
		}
	}
}

static void
answer_free(struct answer *a)
{
	free(a->out.p);
	free(a->other.p);
}

static struct fcgi *
over_pair(int *client)
{
	int sv[2];
	struct fcgi *f;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	f = fcgi_new(-1);
	fcgi_adopt(f, sv[0]);
	*client = sv[1];
	return f;
}

/* One case's connection: the bytes it sends, the answer, both ends. */
struct conn {
	struct bytes b;
	struct answer a;
	struct fcgi *f;
	int c;
};

static void
conn_open(struct conn *k)
{
	memset(k, 0, sizeof(*k));
	k->f = over_pair(&k->c);
}

static void
conn_close(struct conn *k)
{
	answer_free(&k->a);
	free(k->b.p);
	close(k->c);
	fcgi_free(k->f);
}

static bool
body_is(struct fcgi *f, const char *want)
{
	char got[256];
	size_t len = 0;
	int n;

	while ((n = fcgi_read(f, got + len, (int)(sizeof(got) - 1 - len))) > 0)
		len += (size_t)n;
	got[len] = '\0';
	return n == 0 && strcmp(got, want) == 0;
}

/* ---- cases ---- */

static void
responder_params_body_and_answer(void)
{
	struct conn k;
	struct bytes p = {0};
	char long_value[301], long_name[141];
	size_t split, i;
	char **e;

	memset(long_value, 'v', 300);
	long_value[300] = '\0';
	memset(long_name, 'N', 140);
	long_name[140] = '\0';
	conn_open(&k);
	begin(&k.b, 1, RESPONDER, 0);
	pair(&p, "CONTENT_LENGTH", "5");
	pair(&p, "HTTP_X_LONG", long_value);
	pair(&p, long_name, "x");
	pair(&p, "EMPTY", "");
	/* A name "NAME=value" cannot carry: dropped, never read as BAD. */
	pair(&p, "BAD=NAME", "forged");
	/* Nor can a name with a NUL in it: dropped, never read as NU. */
	length(&p, 5);
	length(&p, 6);
	put(&p, "NU\0LLforged", 11);
	/* A pair cut in two by the record boundary, and padding. */
	split = 20;
	record(&k.b, PARAMS, 1, p.p, split, 3);
	record(&k.b, PARAMS, 1, p.p + split, p.len - split, 0);
	record(&k.b, PARAMS, 1, NULL, 0, 0);
	record(&k.b, STDIN, 1, "hel", 3, 5);
	record(&k.b, STDIN, 1, "lo", 2, 0);
	record(&k.b, STDIN, 1, NULL, 0, 0);
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT_STR(fcgi_param(k.f, "CONTENT_LENGTH"), "5");
	EXPECT_STR(fcgi_param(k.f, "HTTP_X_LONG"), long_value);
	EXPECT_STR(fcgi_param(k.f, long_name), "x");
	EXPECT_STR(fcgi_param(k.f, "EMPTY"), "");
	EXPECT_STR(fcgi_param(k.f, "FCGI_ROLE"), "RESPONDER");
	EXPECT(fcgi_param(k.f, "CONTENT") == NULL);
	EXPECT(fcgi_param(k.f, "MISSING") == NULL);
	EXPECT(fcgi_param(k.f, "BAD") == NULL);
	EXPECT(fcgi_param(k.f, "NU") == NULL);
	for (i = 0, e = fcgi_envp(k.f); *e != NULL; e++)
		i++;
	EXPECT(i == 5);
	EXPECT(body_is(k.f, "hello"));
	EXPECT(fcgi_write(k.f, "Status: 200 OK\r\n\r\n", 18));
	EXPECT(fcgi_write(k.f, "ok", 2));
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.out.len == 20 && memcmp(k.a.out.p, "Status: 200 OK\r\n\r\nok", 20) == 0);
	EXPECT(k.a.stdout_records == 1 && k.a.empty_stdout == 1);
	EXPECT(k.a.ends == 1 && k.a.end_id[0] == 1 && k.a.end_status[0] == 0);
	EXPECT(k.a.eof);			/* no keep_conn: closed */
	EXPECT(fcgi_next(k.f) == 0);
	free(p.p);
	conn_close(&k);
}

static void
authorizer_role_and_its_empty_stdin(void)
{
	struct conn k;

	conn_open(&k);
	request(&k.b, 7, AUTHORIZER, 0, NULL);
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT_STR(fcgi_param(k.f, "FCGI_ROLE"), "AUTHORIZER");
	EXPECT(fcgi_write(k.f, "Status: 200 OK\r\n\r\n", 18));
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 1 && k.a.end_id[0] == 7 && k.a.eof);
	conn_close(&k);
}

static void
keep_conn_two_requests_unread_body_skipped(void)
{
	struct conn k;

	struct bytes p = {0};

	conn_open(&k);
	request(&k.b, 1, RESPONDER, KEEP, "first");
	/* The second with parameters of its own, none of the first's. */
	begin(&k.b, 1, RESPONDER, KEEP);
	pair(&p, "SECOND", "yes");
	record(&k.b, PARAMS, 1, p.p, p.len, 0);
	record(&k.b, PARAMS, 1, NULL, 0, 0);
	record(&k.b, STDIN, 1, "again", 5, 0);
	record(&k.b, STDIN, 1, NULL, 0, 0);
	free(p.p);
	send_all(k.c, &k.b);
	/* The first body is never read: it must not leak into the second. */
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT_STR(fcgi_param(k.f, "CONTENT_LENGTH"), "5");
	EXPECT(fcgi_write(k.f, "Status: 401\r\n\r\n", 15));
	EXPECT(fcgi_finish(k.f));
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT_STR(fcgi_param(k.f, "SECOND"), "yes");
	EXPECT(fcgi_param(k.f, "CONTENT_LENGTH") == NULL);
	EXPECT(body_is(k.f, "again"));
	EXPECT(fcgi_write(k.f, "Status: 200\r\n\r\n", 15));
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 2);
	EXPECT(k.a.ends == 2 && !k.a.eof);
	EXPECT(k.a.out.len == 30);
	answer_free(&k.a);
	/* The web server closes the kept connection: no fault, no line. */
	close(k.c);
	lines = 0;
	EXPECT(fcgi_next(k.f) == 0);
	EXPECT(lines == 0);
	free(k.b.p);
	fcgi_free(k.f);
}

static void
get_values_answered_then_request(void)
{
	struct conn k;
	struct bytes q = {0};

	conn_open(&k);
	pair(&q, "FCGI_MPXS_CONNS", "");
	pair(&q, "FCGI_NO_SUCH", "");
	pair(&q, "FCGI_MAX_REQS", "");
	record(&k.b, GET_VALUES, 0, q.p, q.len, 0);
	request(&k.b, 1, RESPONDER, 0, "hello");
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT(body_is(k.f, "hello"));
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.other_type == GET_VALUES_RESULT);
	EXPECT(k.a.other.len == 2 + 15 + 1 + 2 + 13 + 1);
	EXPECT(k.a.other.len > 18 && memcmp(k.a.other.p + 2, "FCGI_MPXS_CONNS0", 16) == 0);
	EXPECT(k.a.ends == 1);
	free(q.p);
	conn_close(&k);
}

/* Each variable answered once, however often asked. */
static void
get_values_repeated_names_answered_once(void)
{
	struct conn k;
	struct bytes q = {0};
	int i;

	conn_open(&k);
	for (i = 0; i < 12; i++)
		pair(&q, "FCGI_MPXS_CONNS", "");
	pair(&q, "FCGI_MAX_CONNS", "");
	pair(&q, "FCGI_MAX_CONNS", "");
	record(&k.b, GET_VALUES, 0, q.p, q.len, 0);
	send_all(k.c, &k.b);
	shutdown(k.c, SHUT_WR);
	EXPECT(fcgi_next(k.f) == 0);
	collect(k.c, &k.a, 0);
	EXPECT(k.a.other_type == GET_VALUES_RESULT);
	EXPECT(k.a.other.len == 2 + 15 + 1 + 2 + 14 + 1);
	EXPECT(k.a.other.len == 35 &&
	    memcmp(k.a.other.p, "\17\1FCGI_MPXS_CONNS0\16\1FCGI_MAX_CONNS1", 35) == 0);
	free(q.p);
	conn_close(&k);
}

static void
unknown_management_type_answered(void)
{
	struct conn k;

	conn_open(&k);
	record(&k.b, 42, 0, "x", 1, 0);
	send_all(k.c, &k.b);
	shutdown(k.c, SHUT_WR);
	EXPECT(fcgi_next(k.f) == 0);
	collect(k.c, &k.a, 0);
	EXPECT(k.a.other_type == UNKNOWN_TYPE && k.a.other.len == 8 &&
	    k.a.other.p[0] == 42);
	conn_close(&k);
}

static void
filter_role_refused_unknown_role(void)
{
	struct conn k;

	conn_open(&k);
	request(&k.b, 3, 3, 0, "x");
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 0);
	EXPECT(logged("role 3 is not served"));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 1 && k.a.end_id[0] == 3 && k.a.end_status[0] == 3);
	EXPECT(k.a.out.len == 0);
	conn_close(&k);
}

static void
second_request_on_connection_cant_mpx(void)
{
	struct conn k;
	struct bytes p = {0};

	conn_open(&k);
	begin(&k.b, 1, RESPONDER, 0);
	pair(&p, "CONTENT_LENGTH", "0");
	record(&k.b, PARAMS, 1, p.p, p.len, 0);
	begin(&k.b, 2, RESPONDER, 0);
	record(&k.b, PARAMS, 2, p.p, p.len, 0);
	record(&k.b, PARAMS, 1, NULL, 0, 0);
	record(&k.b, STDIN, 1, NULL, 0, 0);
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT_STR(fcgi_param(k.f, "CONTENT_LENGTH"), "0");
	EXPECT(body_is(k.f, ""));
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 2);
	EXPECT(k.a.end_id[0] == 2 && k.a.end_status[0] == 1);
	EXPECT(k.a.end_id[1] == 1 && k.a.end_status[1] == 0);
	free(p.p);
	conn_close(&k);
}

/*
 * An authorizer's FCGI_STDIN need not come, and the web server may reuse
 * the request id: the next request, already here, is served, not taken
 * for the rest of the first one's body.
 */
static void
authorizer_without_stdin_then_next_request(void)
{
	struct conn k;
	struct bytes p = {0};

	conn_open(&k);
	begin(&k.b, 1, AUTHORIZER, KEEP);
	pair(&p, "WHO", "first");
	record(&k.b, PARAMS, 1, p.p, p.len, 0);
	record(&k.b, PARAMS, 1, NULL, 0, 0);
	request(&k.b, 1, RESPONDER, 0, "hello");
	send_all(k.c, &k.b);
	shutdown(k.c, SHUT_WR);		/* a failure, not a hang */
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT_STR(fcgi_param(k.f, "WHO"), "first");
	EXPECT(fcgi_finish(k.f));
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT_STR(fcgi_param(k.f, "FCGI_ROLE"), "RESPONDER");
	EXPECT(body_is(k.f, "hello"));
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 2 && k.a.eof);
	free(p.p);
	conn_close(&k);
}

/* What one connection left unread never reaches the next one. */
static void
next_connection_starts_clean(void)
{
	struct conn k;
	struct bytes p = {0};
	int sv[2];

	conn_open(&k);
	request(&k.b, 1, RESPONDER, 0, "hello");
	/* A second request the web server should not have sent: left unread. */
	begin(&k.b, 2, RESPONDER, 0);
	pair(&p, "WHO", "stale");
	record(&k.b, PARAMS, 2, p.p, p.len, 0);
	record(&k.b, PARAMS, 2, NULL, 0, 0);
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 1 && k.a.eof);
	close(k.c);
	free(k.b.p);
	memset(&k.b, 0, sizeof(k.b));
	free(p.p);
	memset(&p, 0, sizeof(p));
	/* The next connection, with a request of its own. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	fcgi_adopt(k.f, sv[0]);
	k.c = sv[1];
	begin(&k.b, 1, RESPONDER, 0);
	pair(&p, "WHO", "fresh");
	record(&k.b, PARAMS, 1, p.p, p.len, 0);
	record(&k.b, PARAMS, 1, NULL, 0, 0);
	record(&k.b, STDIN, 1, NULL, 0, 0);
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT_STR(fcgi_param(k.f, "WHO"), "fresh");
	EXPECT(fcgi_finish(k.f));
	free(p.p);
	conn_close(&k);
}

static void
abort_during_body_fails_the_read(void)
{
	struct conn k;
	struct bytes p = {0};
	char buf[16];

	conn_open(&k);
	begin(&k.b, 1, RESPONDER, 0);
	pair(&p, "CONTENT_LENGTH", "5");
	record(&k.b, PARAMS, 1, p.p, p.len, 0);
	record(&k.b, PARAMS, 1, NULL, 0, 0);
	record(&k.b, STDIN, 1, "he", 2, 0);
	record(&k.b, ABORT, 1, NULL, 0, 0);
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT(fcgi_read(k.f, buf, sizeof(buf)) == 2);
	EXPECT(fcgi_read(k.f, buf, sizeof(buf)) == -1);
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 1 && k.a.end_id[0] == 1);
	free(p.p);
	conn_close(&k);
}

static void
abort_before_params_end_answered(void)
{
	struct conn k;

	conn_open(&k);
	begin(&k.b, 5, RESPONDER, 0);
	record(&k.b, PARAMS, 5, "\1\1AB", 4, 0);
	record(&k.b, ABORT, 5, NULL, 0, 0);
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 0);
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 1 && k.a.end_id[0] == 5 && k.a.end_status[0] == 0);
	conn_close(&k);
}

/* Around the sizes the index of "NAME=value" strings grows at. */
static void
many_parameters_all_indexed(void)
{
	static const int counts[] = {62, 63, 64, 65, 127, 128, 300};
	struct conn k;
	struct bytes p;
	char name[16], value[16];
	size_t i, n;
	char **e;
	int j;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		conn_open(&k);
		memset(&p, 0, sizeof(p));
		for (j = 0; j < counts[i]; j++) {
			snprintf(name, sizeof(name), "P%d", j);
			snprintf(value, sizeof(value), "v%d", j);
			pair(&p, name, value);
		}
		begin(&k.b, 1, RESPONDER, 0);
		record(&k.b, PARAMS, 1, p.p, p.len, 0);
		record(&k.b, PARAMS, 1, NULL, 0, 0);
		record(&k.b, STDIN, 1, NULL, 0, 0);
		send_all(k.c, &k.b);
		EXPECT(fcgi_next(k.f) == 1);
		for (n = 0, e = fcgi_envp(k.f); e != NULL && *e != NULL; e++)
			n++;
		EXPECT(n == (size_t)counts[i] + 1);
		snprintf(name, sizeof(name), "P%d", counts[i] - 1);
		snprintf(value, sizeof(value), "v%d", counts[i] - 1);
		EXPECT_STR(fcgi_param(k.f, name), value);
		EXPECT_STR(fcgi_param(k.f, "P0"), "v0");
		EXPECT(fcgi_finish(k.f));
		free(p.p);
		conn_close(&k);
	}
}

/* Each of these streams ends the connection without a request. */
static void
broken_streams_close_the_connection(void)
{
	static const struct {
		const char *what;
		const char *bytes;
		size_t len;
	} rows[] = {
		{"half a header", "\1\1\0", 3},
		{"version 2", "\2\1\0\1\0\10\0\0\0\1\0\0\0\0\0\0", 16},
		{"content cut short", "\1\1\0\1\0\10\0\0\0\1", 10},
		/* Followed by the rest of a request, so that reading past it shows. */
		{"short BEGIN_REQUEST", "\1\1\0\1\0\2\0\0\0\1"
		    "\1\4\0\1\0\0\0\0\1\5\0\1\0\0\0\0", 26},
		{"pair longer than the params",
		    "\1\1\0\1\0\10\0\0\0\1\0\0\0\0\0\0"
		    "\1\4\0\1\0\4\0\0\3\1AB\1\4\0\1\0\0\0\0", 36},
		{"four-byte length cut",
		    "\1\1\0\1\0\10\0\0\0\1\0\0\0\0\0\0"
		    "\1\4\0\1\0\2\0\0\x80\0\1\4\0\1\0\0\0\0", 34},
		{"four-byte length, three bytes of it",
		    "\1\1\0\1\0\10\0\0\0\1\0\0\0\0\0\0"
		    "\1\4\0\1\0\3\0\0\x80\0\0\1\4\0\1\0\0\0\0", 35},
		{"stdin before the params end",
		    "\1\1\0\1\0\10\0\0\0\1\0\0\0\0\0\0"
		    "\1\5\0\1\0\0\0\0", 24},
		{"eof in the params",
		    "\1\1\0\1\0\10\0\0\0\1\0\0\0\0\0\0"
		    "\1\4\0\1\0\4\0\0\1\1AB", 28},
	};
	size_t i;
	struct fcgi *f;
	int c;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		lines = 0;
		f = over_pair(&c);
		if (write(c, rows[i].bytes, rows[i].len) != (ssize_t)rows[i].len)
			abort();
		shutdown(c, SHUT_WR);
		if (fcgi_next(f) != 0 || !logged("FastCGI: "))
			printf("#   row %zu (%s): a request, or no log line\n", i,
			    rows[i].what), tap_failed_here++;
		close(c);
		fcgi_free(f);
	}
}

static void
eof_in_the_body_fails_the_read(void)
{
	struct bytes b = {0}, p = {0};
	char buf[16];
	struct fcgi *f;
	int c;

	f = over_pair(&c);
	begin(&b, 1, RESPONDER, 0);
	pair(&p, "CONTENT_LENGTH", "5");
	record(&b, PARAMS, 1, p.p, p.len, 0);
	record(&b, PARAMS, 1, NULL, 0, 0);
	record(&b, STDIN, 1, "hel", 3, 0);
	send_all(c, &b);
	shutdown(c, SHUT_WR);
	EXPECT(fcgi_next(f) == 1);
	EXPECT(fcgi_read(f, buf, sizeof(buf)) == 3);
	EXPECT(fcgi_read(f, buf, sizeof(buf)) == -1);
	fcgi_finish(f);
	free(b.p);
	free(p.p);
	close(c);
	fcgi_free(f);
}

/* The web server's side in a thread, for streams larger than a socket buffer. */
struct peer {
	int fd;
	struct bytes send;
	struct answer got;
};

static void *
peer_run(void *arg)
{
	struct peer *p = arg;

	send_all(p->fd, &p->send);
	collect(p->fd, &p->got, 0);
	return NULL;
}

static void
peer_close(struct peer *p, struct fcgi *f)
{
	answer_free(&p->got);
	free(p->send.p);
	close(p->fd);
	fcgi_free(f);
}

/* Parameters of exactly 1 MB, in records of the largest content: taken. */
static void
params_of_a_megabyte_accepted(void)
{
	static char value[(1 << 20) - 8 + 1];
	struct peer p = {0};
	struct bytes pairs = {0};
	pthread_t t;
	struct fcgi *f;
	const char *got;
	size_t off, n;

	f = over_pair(&p.fd);
	memset(value, 'x', sizeof(value) - 1);
	pair(&pairs, "BIG", value);	/* lengths 1 + 4, name 3, value 1 MB - 8 */
	begin(&p.send, 1, RESPONDER, 0);
	for (off = 0; off < pairs.len; off += n) {
		n = pairs.len - off < 65535 ? pairs.len - off : 65535;
		record(&p.send, PARAMS, 1, pairs.p + off, n, 0);
	}
	record(&p.send, PARAMS, 1, NULL, 0, 0);
	record(&p.send, STDIN, 1, NULL, 0, 0);
	pthread_create(&t, NULL, peer_run, &p);
	EXPECT(pairs.len == 1 << 20);
	EXPECT(fcgi_next(f) == 1);
	got = fcgi_param(f, "BIG");
	EXPECT(got != NULL && strlen(got) == sizeof(value) - 1);
	EXPECT(fcgi_finish(f));
	pthread_join(t, NULL);
	EXPECT(p.got.ends == 1);
	free(pairs.p);
	peer_close(&p, f);
}

/* The largest record there is: 65535 bytes of content, 255 of padding. */
static void
largest_record_read_whole(void)
{
	static char big[65535], got[65536 + 16];
	struct peer p = {0};
	pthread_t t;
	struct fcgi *f;
	size_t len = 0;
	int n;

	f = over_pair(&p.fd);
	memset(big, 'b', sizeof(big));
	begin(&p.send, 1, RESPONDER, 0);
	record(&p.send, PARAMS, 1, NULL, 0, 0);
	record(&p.send, STDIN, 1, big, sizeof(big), 255);
	record(&p.send, STDIN, 1, "!", 1, 255);
	record(&p.send, STDIN, 1, NULL, 0, 0);
	pthread_create(&t, NULL, peer_run, &p);
	EXPECT(fcgi_next(f) == 1);
	while ((n = fcgi_read(f, got + len, (int)(sizeof(got) - len))) > 0)
		len += (size_t)n;
	EXPECT(n == 0 && len == sizeof(big) + 1);
	EXPECT(len > 0 && memcmp(got, big, sizeof(big)) == 0 && got[len - 1] == '!');
	EXPECT(fcgi_finish(f));
	pthread_join(t, NULL);
	EXPECT(p.got.ends == 1);
	peer_close(&p, f);
}

static void
params_over_a_megabyte_refused(void)
{
	static char chunk[65535];
	struct peer p = {0};
	pthread_t t;
	struct fcgi *f;
	int i;

	f = over_pair(&p.fd);
	memset(chunk, 'x', sizeof(chunk));
	begin(&p.send, 1, RESPONDER, 0);
	for (i = 0; i < 17; i++)
		record(&p.send, PARAMS, 1, chunk, sizeof(chunk), 0);
	record(&p.send, PARAMS, 1, NULL, 0, 0);
	pthread_create(&t, NULL, peer_run, &p);
	EXPECT(fcgi_next(f) == 0);
	EXPECT(logged("parameters over 1048576 bytes"));
	/* Closed: the web server's writes fail, its reads see the end. */
	pthread_join(t, NULL);
	EXPECT(p.got.eof && p.got.ends == 0);
	peer_close(&p, f);
}

static void
large_answer_in_several_records(void)
{
	static char big[150000];
	struct peer p = {0};
	pthread_t t;
	struct fcgi *f;
	size_t i;

	f = over_pair(&p.fd);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	request(&p.send, 1, RESPONDER, 0, "hello");
	pthread_create(&t, NULL, peer_run, &p);
	EXPECT(fcgi_next(f) == 1);
	EXPECT(fcgi_write(f, big, 1000));
	EXPECT(fcgi_write(f, big + 1000, sizeof(big) - 1000));
	EXPECT(fcgi_finish(f));
	pthread_join(t, NULL);
	EXPECT(p.got.out.len == sizeof(big) &&
	    memcmp(p.got.out.p, big, sizeof(big)) == 0);
	EXPECT(p.got.max_record <= 65535 && p.got.stdout_records == 3);
	EXPECT(p.got.ends == 1);
	peer_close(&p, f);
}

static void
write_to_a_gone_web_server_fails(void)
{
	static char big[300000];
	struct bytes b = {0};
	struct fcgi *f;
	int c;

	f = over_pair(&c);
	request(&b, 1, RESPONDER, 0, "hello");
	send_all(c, &b);
	EXPECT(fcgi_next(f) == 1);
	close(c);			/* no SIGPIPE: an error */
	fcgi_write(f, big, sizeof(big));
	EXPECT(!fcgi_finish(f));
	free(b.p);
	fcgi_free(f);
}

/* Milliseconds since t0 (CLOCK_MONOTONIC). */
static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* BEGIN_REQUEST and CONTENT_LENGTH 5, the parameters ended or not. */
static void
opening(struct bytes *b, bool params_end)
{
	struct bytes p = {0};

	begin(b, 1, RESPONDER, 0);
	pair(&p, "CONTENT_LENGTH", "5");
	record(b, PARAMS, 1, p.p, p.len, 0);
	if (params_end)
		record(b, PARAMS, 1, NULL, 0, 0);
	free(p.p);
}

/* A web server that stops talking half-way through a request: dropped, logged. */
static void
silent_peer_times_out(void)
{
	struct timespec t0;
	struct conn k;

	conn_open(&k);
	fcgi_set_io_timeout(k.f, 150);
	opening(&k.b, false);		/* the rest never comes */
	send_all(k.c, &k.b);
	lines = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT(fcgi_next(k.f) == 0);
	EXPECT(ms_since(&t0) >= 140 && ms_since(&t0) < 5000);
	EXPECT(logged("nothing from the web server for 150 ms"));
	conn_close(&k);
}

/* A body that stops coming: the read fails after the timeout, not never. */
static void
silent_body_times_out(void)
{
	char buf[16];
	struct conn k;

	conn_open(&k);
	fcgi_set_io_timeout(k.f, 150);
	opening(&k.b, true);
	record(&k.b, STDIN, 1, "he", 2, 0);
	send_all(k.c, &k.b);
	EXPECT(fcgi_next(k.f) == 1);
	EXPECT(fcgi_read(k.f, buf, sizeof(buf)) == 2);
	lines = 0;
	EXPECT(fcgi_read(k.f, buf, sizeof(buf)) == -1);
	EXPECT(logged("nothing from the web server"));
	EXPECT(!fcgi_finish(k.f));
	conn_close(&k);
}

/* A web server that reads no answer: the write gives up after the timeout. */
static void
answer_not_taken_times_out(void)
{
	static char big[4 << 20];
	struct bytes b = {0};
	struct fcgi *f;
	int c;

	f = over_pair(&c);
	fcgi_set_io_timeout(f, 150);
	request(&b, 1, RESPONDER, 0, "hello");
	send_all(c, &b);
	EXPECT(fcgi_next(f) == 1);
	EXPECT(body_is(f, "hello"));
	lines = 0;
	fcgi_write(f, big, sizeof(big));	/* far more than a socket buffer */
	EXPECT(!fcgi_finish(f));
	EXPECT(logged("took no answer for 150 ms"));
	free(b.p);
	close(c);
	fcgi_free(f);
}

/* ---- fcgi_accept ---- */

static volatile sig_atomic_t stop;
static struct fixture fx;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int
unix_listener(struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", fx_path(&fx, "fcgi.sock"));
	unlink(sa->sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) != 0 ||
	    listen(fd, 8) != 0)
		abort();
	return fd;
}

static void
is_listener_only_for_listening_sockets(void)
{
	struct sockaddr_un sa;
	int l = unix_listener(&sa), sv[2], pfd[2], null = open("/dev/null", O_RDONLY);

	EXPECT(fcgi_is_listener(l));
	EXPECT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	EXPECT(!fcgi_is_listener(sv[0]));
	EXPECT(pipe(pfd) == 0);
	EXPECT(!fcgi_is_listener(pfd[0]));
	EXPECT(!fcgi_is_listener(null));
	close(l);
	close(sv[0]);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
	close(null);
}

static void
accept_serves_then_stops(void)
{
	struct sockaddr_un sa;
	struct conn k = {0};
	int l = unix_listener(&sa);

	stop = 0;
	k.f = fcgi_new(l);
	k.c = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT(k.f != NULL);
	EXPECT(connect(k.c, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	request(&k.b, 1, RESPONDER, 0, "hello");
	send_all(k.c, &k.b);
	EXPECT(fcgi_accept(k.f, &stop) == 1);
	EXPECT(body_is(k.f, "hello"));
	EXPECT(fcgi_finish(k.f));
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 1 && k.a.eof);
	stop = 1;
	EXPECT(fcgi_accept(k.f, &stop) == 0);
	conn_close(&k);
	close(l);
}

static void
on_other(int sig)
{
	(void)sig;
}

static long
cpu_ms(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000L +
	    (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1000L;
}

/* A connection to sa that sends one request: how a test that hangs ends. */
static void
late_request(const struct sockaddr_un *sa)
{
	struct bytes b = {0};
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	request(&b, 1, RESPONDER, 0, "late");
	if (c >= 0 && connect(c, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		send_all(c, &b);
	_exit(0);
}

/*
 * SIGTERM while fcgi_accept waits for a connection: it returns 0, at once,
 * even with SIGTERM blocked on entry (a mask inherited through exec), and
 * it slept meanwhile. Should it not stop, a connection 3 s later ends the
 * wait: a failure, not a hang.
 */
static void
sigterm_while_waiting_stops(void)
{
	struct sockaddr_un sa;
	struct sigaction act, old;
	sigset_t term, before, after;
	struct fcgi *f;
	int l = unix_listener(&sa);
	pid_t parent = getpid(), child;
	long cpu;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_stop;
	act.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &act, &old);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &before);
	stop = 0;
	f = fcgi_new(l);
	child = fork();
	if (child == 0) {
		usleep(100000);
		kill(parent, SIGTERM);
		sleep(3);
		late_request(&sa);
	}
	cpu = cpu_ms();
	EXPECT(fcgi_accept(f, &stop) == 0);
	EXPECT(stop == 1);
	/* In ppoll, not in a loop around accept4: 100 ms of it would show. */
	EXPECT(cpu_ms() - cpu < 50);
	sigprocmask(SIG_SETMASK, NULL, &after);
	EXPECT(sigismember(&after, SIGTERM));	/* the mask as it was */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	fcgi_free(f);
	sigprocmask(SIG_SETMASK, &before, NULL);
	sigaction(SIGTERM, &old, NULL);
	close(l);
}

/*
 * SIGTERM while a kept connection is idle: fcgi_accept returns 0 at once,
 * also after another signal (SIGHUP's reload, here SIGUSR1) woke the wait
 * first, and when an authorizer's FCGI_STDIN never came. Should it not
 * stop, a request 3 s later ends the wait: a failure, not a hang.
 */
static void
sigterm_on_an_idle_kept_connection(int role)
{
	struct sockaddr_un sa;
	struct sigaction act, old_term, old_usr1;
	struct timespec t0;
	struct bytes late = {0};
	struct conn k = {0};
	int l = unix_listener(&sa), got;
	pid_t parent = getpid(), child;

	memset(&act, 0, sizeof(act));
	act.sa_flags = SA_RESTART;	/* as main installs its handlers */
	act.sa_handler = on_stop;
	sigaction(SIGTERM, &act, &old_term);
	act.sa_handler = on_other;
	sigaction(SIGUSR1, &act, &old_usr1);
	stop = 0;
	k.f = fcgi_new(l);
	k.c = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT(connect(k.c, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	if (role == AUTHORIZER) {
		begin(&k.b, 1, AUTHORIZER, KEEP);
		record(&k.b, PARAMS, 1, NULL, 0, 0);
	} else {
		request(&k.b, 1, RESPONDER, KEEP, "hello");
	}
	request(&late, 1, RESPONDER, KEEP, "late");
	send_all(k.c, &k.b);
	EXPECT(fcgi_accept(k.f, &stop) == 1);
	child = fork();
	if (child == 0) {
		usleep(100000);
		kill(parent, SIGUSR1);
		usleep(100000);
		kill(parent, SIGTERM);
		sleep(3);
		send_all(k.c, &late);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT(fcgi_finish(k.f));
	got = fcgi_accept(k.f, &stop);
	EXPECT(got == 0);
	EXPECT(ms_since(&t0) < 1500);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	fcgi_free(k.f);			/* closed, also after a failure */
	collect(k.c, &k.a, 0);
	EXPECT(k.a.ends == 1 && k.a.eof);
	answer_free(&k.a);
	free(k.b.p);
	free(late.p);
	close(k.c);
	close(l);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
}

/* The web server's side that sends the rest of the body after the answer. */
struct late_body {
	int fd;
	struct bytes more;
	bool sent;
};

static void *
late_body_run(void *arg)
{
	struct late_body *lb = arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);	/* the timer is for the other */
	usleep(150000);
	lb->sent = send(lb->fd, lb->more.p, lb->more.len, MSG_NOSIGNAL) ==
	    (ssize_t)lb->more.len;
	close(lb->fd);			/* what the wait is for */
	return NULL;
}

/*
 * A signal while fcgi_finish waits for the web server to close (the body
 * not all read) does not cut the wait short: what the web server still
 * sends is read, not refused with a reset.
 */
static void
signal_while_waiting_for_the_close(void)
{
	struct itimerval t = {.it_value = {0, 50000}};
	struct sigaction act, old;
	struct late_body lb = {0};
	struct bytes b = {0}, p = {0};
	pthread_t th;
	struct fcgi *f;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_other;
	sigaction(SIGALRM, &act, &old);
	f = over_pair(&lb.fd);
	begin(&b, 1, RESPONDER, 0);
	pair(&p, "CONTENT_LENGTH", "10");
	record(&b, PARAMS, 1, p.p, p.len, 0);
	record(&b, PARAMS, 1, NULL, 0, 0);
	record(&b, STDIN, 1, "hello", 5, 0);
	record(&lb.more, STDIN, 1, "world", 5, 0);
	record(&lb.more, STDIN, 1, NULL, 0, 0);
	send_all(lb.fd, &b);
	EXPECT(fcgi_next(f) == 1);
	pthread_create(&th, NULL, late_body_run, &lb);
	setitimer(ITIMER_REAL, &t, NULL);
	EXPECT(fcgi_finish(f));
	pthread_join(th, NULL);
	EXPECT(lb.sent);
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, NULL);
	sigaction(SIGALRM, &old, NULL);
	free(b.p);
	free(p.p);
	free(lb.more.p);
	fcgi_free(f);
}

/* ---- FCGI_WEB_SERVER_ADDRS ---- */

static socklen_t
inet_sockaddr(struct sockaddr_storage *ss, const char *addr, int port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':') != NULL) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		return sizeof(*in6);
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &in->sin_addr);
	return sizeof(*in);
}

/* A TCP listener on addr ("::" dual-stack), its port in *port; -1 when none. */
static int
tcp_listener(const char *addr, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = inet_sockaddr(&ss, addr, 0);
	int l = socket(ss.ss_family, SOCK_STREAM, 0);

	if (l >= 0 && ss.ss_family == AF_INET6)
		(void)setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &(int){0}, sizeof(int));
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) != 0 || listen(l, 8) != 0 ||
	    getsockname(l, (struct sockaddr *)&ss, &len) != 0) {
		if (l >= 0)
			close(l);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return l;
}

/*
 * libfcgi's FCGI_WEB_SERVER_ADDRS: other TCP peers are closed unanswered.
 * Unset or empty, anyone may connect; blanks around an address do not
 * matter, nor does how many there are; an IPv4 peer of a dual-stack
 * listener is its IPv4 address.
 */
static void
web_server_addrs_filter_tcp_peers(void)
{
	static const struct {
		const char *list;	/* NULL: unset */
		const char *listen, *from;
		bool served;
	} rows[] = {
		{"10.9.8.7,bogus", "127.0.0.1", "127.0.0.1", false},
		{"10.9.8.7,127.0.0.1", "127.0.0.1", "127.0.0.1", true},
		{NULL, "127.0.0.1", "127.0.0.1", true},
		{"", "127.0.0.1", "127.0.0.1", true},
		{" 10.9.8.7 ,\t127.0.0.1 ", "127.0.0.1", "127.0.0.1", true},
		{"10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7,"
		    "10.0.0.8,10.0.0.9,10.0.0.10,10.0.0.11,10.0.0.12,10.0.0.13,"
		    "10.0.0.14,10.0.0.15,10.0.0.16,10.0.0.17,127.0.0.1",
		    "127.0.0.1", "127.0.0.1", true},
		{"127.0.0.1", "::", "127.0.0.1", true},
		{"10.9.8.7", "::", "127.0.0.1", false},
		{"::1", "::1", "::1", true},
		{"127.0.0.1", "::1", "::1", false},
	};
	struct itimerval t = {.it_value = {0, 200000}};
	struct sigaction act, old;
	struct sockaddr_storage ss;
	struct bytes b = {0};
	struct answer a;
	struct fcgi *f;
	socklen_t len;
	char from[64];
	size_t i;
	int l, c, port, got;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_stop;
	sigaction(SIGALRM, &act, &old);
	request(&b, 1, RESPONDER, 0, "hello");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if ((l = tcp_listener(rows[i].listen, &port)) < 0) {
			printf("# row %zu: no %s listener here, not tried\n", i,
			    rows[i].listen);
			continue;
		}
		if (rows[i].list != NULL)
			setenv("FCGI_WEB_SERVER_ADDRS", rows[i].list, 1);
		else
			unsetenv("FCGI_WEB_SERVER_ADDRS");
		f = fcgi_new(l);
		len = inet_sockaddr(&ss, rows[i].from, port);
		c = socket(ss.ss_family, SOCK_STREAM, 0);
		EXPECT(connect(c, (struct sockaddr *)&ss, len) == 0);
		send_all(c, &b);
		stop = 0;
		/* Refused, it waits for the next connection: a timer ends the wait. */
		setitimer(ITIMER_REAL, &t, NULL);
		lines = 0;
		got = fcgi_accept(f, &stop);
		/* The log line names the peer as it connected, also when mapped. */
		snprintf(from, sizeof(from), "from %s refused", rows[i].from);
		if (got != rows[i].served || (!rows[i].served && !logged(from)))
			printf("#   row %zu (%s): %d, last line \"%s\"\n", i,
			    rows[i].list ? rows[i].list : "unset", got,
			    lines > 0 ? last_line : ""), tap_failed_here++;
		if (got == 1)
			EXPECT(fcgi_finish(f));
		collect(c, &a, 0);
		EXPECT(a.eof && a.ends == got);
		answer_free(&a);
		close(c);
		fcgi_free(f);
		close(l);
		setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, NULL);
	}
	unsetenv("FCGI_WEB_SERVER_ADDRS");
	sigaction(SIGALRM, &old, NULL);
	free(b.p);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!fx_init(&fx, "fcgi"))
		return 1;
	log_set_writer(keep_line);
	RUN(responder_params_body_and_answer);
	RUN(authorizer_role_and_its_empty_stdin);
	RUN(keep_conn_two_requests_unread_body_skipped);
	RUN(get_values_answered_then_request);
	RUN(get_values_repeated_names_answered_once);
	RUN(unknown_management_type_answered);
	RUN(filter_role_refused_unknown_role);
	RUN(second_request_on_connection_cant_mpx);
	RUN(authorizer_without_stdin_then_next_request);
	RUN(next_connection_starts_clean);
	RUN(abort_during_body_fails_the_read);
	RUN(abort_before_params_end_answered);
	RUN(many_parameters_all_indexed);
	RUN(broken_streams_close_the_connection);
	RUN(eof_in_the_body_fails_the_read);
	RUN(params_of_a_megabyte_accepted);
	RUN(largest_record_read_whole);
	RUN(params_over_a_megabyte_refused);
	RUN(large_answer_in_several_records);
	RUN(write_to_a_gone_web_server_fails);
	RUN(silent_peer_times_out);
	RUN(silent_body_times_out);
	RUN(answer_not_taken_times_out);
	RUN(is_listener_only_for_listening_sockets);
	RUN(accept_serves_then_stops);
	RUN(sigterm_while_waiting_stops);
	RUN_ROW("sigterm_on_an_idle_kept_connection responder",
	    sigterm_on_an_idle_kept_connection, RESPONDER);
	RUN_ROW("sigterm_on_an_idle_kept_connection authorizer",
	    sigterm_on_an_idle_kept_connection, AUTHORIZER);
	RUN(signal_while_waiting_for_the_close);
	RUN(web_server_addrs_filter_tcp_peers);
	fx_cleanup(&fx);
	return tap_done();
}
