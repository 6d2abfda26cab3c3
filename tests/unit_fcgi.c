/*
 * unit_fcgi: our use of libfcgi (src/serve.c), against records written by
 * hand. A socketpair stands for the web server's connection where one
 * process can play both sides (serve_request after FCGX_Accept_r on it);
 * the accept loop (serve_fastcgi) runs in a child process on a listening
 * unix or TCP socket in a temp dir, stopped by its PID.
 */
#include "unit_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include <fcgiapp.h>

#include "log.h"
#include "serve.h"

static struct fixture fx;
static struct config *cfg;
static char cfg_path[PATH_MAX];

enum {
	BEGIN = 1, ABORT = 2, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6,
	GET_VALUES = 9, GET_VALUES_RESULT = 10, UNKNOWN_TYPE = 11
};
#define RESPONDER 1
#define AUTHORIZER 2
#define KEEP 1

#define RPC_BODY "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\"," \
	"\"params\":{\"stream\":\"cam-1\",\"live\":true},\"id\":1}"

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
	bool eof;			/* the connection ended cleanly */
	bool reset;			/* ... or was reset (ECONNRESET) */
};

/* Reads until n END_REQUEST records came (or EOF when n is 0). */
static void
collect(int fd, struct answer *a, int n)
{
	unsigned char h[8];
	unsigned char c[65536 + 256];
	size_t len;
	ssize_t n_got;

	memset(a, 0, sizeof(*a));
	for (;;) {
		if (n > 0 && a->ends >= n)
			return;
		n_got = recv(fd, h, 8, MSG_WAITALL);
		if (n_got != 8) {
			a->eof = n_got == 0;
			a->reset = n_got < 0 && errno == ECONNRESET;
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


/* ---- requests as a web server sends them ---- */

/*
 * An issuing request with the fixture client's bearer token: its body
 * (NULL: none) and, when end_stdin, the empty FCGI_STDIN that ends it.
 */
static void
issue_request(struct bytes *b, int id, int flags, const char *content_type,
    const char *body, bool end_stdin)
{
	struct bytes p = {0};
	char len[32];

	snprintf(len, sizeof(len), "%zu", body != NULL ? strlen(body) : 0);
	begin(b, id, RESPONDER, flags);
	pair(&p, "REQUEST_METHOD", "POST");
	pair(&p, "CONTENT_TYPE", content_type);
	pair(&p, "CONTENT_LENGTH", len);
	pair(&p, "HTTP_AUTHORIZATION", "Bearer test");
	record(b, PARAMS, id, p.p, p.len, 0);
	record(b, PARAMS, id, NULL, 0, 0);
	if (body != NULL && *body != '\0')
		record(b, STDIN, id, body, strlen(body), 0);
	if (end_stdin)
		record(b, STDIN, id, NULL, 0, 0);
	free(p.p);
}

/* A playlist request checked in the Authorizer role, without a token. */
static void
authorizer_request(struct bytes *b, int id, int flags, bool end_stdin)
{
	struct bytes p = {0};

	begin(b, id, AUTHORIZER, flags);
	pair(&p, "REQUEST_METHOD", "GET");
	pair(&p, "REQUEST_URI", "/cam-1/index.m3u8");
	record(b, PARAMS, id, p.p, p.len, 0);
	record(b, PARAMS, id, NULL, 0, 0);
	if (end_stdin)
		record(b, STDIN, id, NULL, 0, 0);
	free(p.p);
}

/* How many times the answers (STDOUT joined) hold s. */
static int
count_in(const struct answer *a, const char *s)
{
	const unsigned char *p = a->out.p, *end = p + a->out.len, *hit;
	size_t n = strlen(s);
	int count = 0;

	while (p != NULL && (hit = memmem(p, (size_t)(end - p), s, n)) != NULL) {
		count++;
		p = hit + n;
	}
	return count;
}

static bool
starts_with_status(const struct answer *a, const char *status)
{
	char want[32];

	snprintf(want, sizeof(want), "Status: %s", status);
	return a->out.len >= strlen(want) &&
	    memcmp(a->out.p, want, strlen(want)) == 0;
}

/* A test that goes wrong fails after a while, never hangs. */
static void
bounded(int fd)
{
	struct timeval tv = {10, 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* ---- one process playing both sides ---- */

/*
 * A non-blocking unix listener in the temp dir for FCGX_InitRequest, and a
 * connection to it in *client, the web server's end: FCGX_Accept_r takes
 * it once the test has written to it, and returns -EAGAIN when none is
 * left (the connection closed) instead of waiting.
 */
static int
listen_request(FCGX_Request *req, int *client)
{
	struct sockaddr_un sa;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), c;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fx_path(&fx, "in.sock"));
	unlink(sa.sun_path);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(l, 4) != 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    FCGX_InitRequest(req, l, 0) != 0)
		abort();
	bounded(c);
	*client = c;
	return l;
}

/* A server's read waits ms at most (SO_RCVTIMEO), as serve_fastcgi sets it. */
static void
server_waits(const FCGX_Request *req, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	(void)setsockopt(req->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

struct served {
	FCGX_Request req;
	int wait_ms;
	int accepted;
	bool kept;
};

static void *
serve_one(void *arg)
{
	struct served *s = arg;

	s->accepted = FCGX_Accept_r(&s->req);
	if (s->accepted == 0) {
		server_waits(&s->req, s->wait_ms);
		serve_request(&s->req, cfg);
		s->kept = s->req.ipcFd >= 0;
	}
	return NULL;
}

/*
 * After the answer and the end of the connection: true when our end had
 * been closed (a write fails), false when libfcgi still waited for the web
 * server to close first (its shutdown-and-wait close reads what comes).
 */
static bool
closed_at_once(int c)
{
	return send(c, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE;
}

/*
 * Sends b, serves one request in a thread, reads the answer to its end:
 * the answer must start with status, end with one FCGI_END_REQUEST and a
 * clean end of the connection, closed at once or after libfcgi's wait.
 * server_wait_ms: how long a read of the server's waits for the web
 * server, for a body that never ends.
 */
static void
one_request_closes(const struct bytes *b, const char *status, bool at_once,
    int server_wait_ms)
{
	struct served s;
	struct answer a;
	pthread_t th;
	int c, l;

	memset(&s, 0, sizeof(s));
	l = listen_request(&s.req, &c);
	s.wait_ms = server_wait_ms;
	send_all(c, b);
	if (pthread_create(&th, NULL, serve_one, &s) != 0)
		abort();
	collect(c, &a, 0);
	EXPECT(starts_with_status(&a, status));
	EXPECT(a.ends == 1 && a.end_status[0] == 0);
	EXPECT(a.eof && !a.reset);
	EXPECT(closed_at_once(c) == at_once);
	close(c);
	pthread_join(th, NULL);
	EXPECT(s.accepted == 0 && !s.kept);
	FCGX_Free(&s.req, 1);
	close(l);
	answer_free(&a);
}

static void
responder_issues_and_closes_without_waiting(void)
{
	struct bytes b = {0};
	struct served s;
	struct answer a;
	int c, l;

	/* The parameters reach the pipeline through req.envp. */
	memset(&s, 0, sizeof(s));
	l = listen_request(&s.req, &c);
	issue_request(&b, 1, 0, "application/json", RPC_BODY, true);
	send_all(c, &b);
	EXPECT(FCGX_Accept_r(&s.req) == 0);
	EXPECT_STR(FCGX_GetParam("FCGI_ROLE", s.req.envp), "RESPONDER");
	serve_request(&s.req, cfg);
	collect(c, &a, 0);
	EXPECT(starts_with_status(&a, "200"));
	EXPECT(count_in(&a, "\"result\":\"ey") == 1);
	answer_free(&a);
	close(c);
	FCGX_Free(&s.req, 1);
	close(l);
	/* Its stdin read to the end: closed at once (FCGX_Detach). */
	one_request_closes(&b, "200", true, 0);
	free(b.p);
}

static void
body_refused_unread_drained_then_closed_without_waiting(void)
{
	struct bytes b = {0};

	/* 415 before the body is read: the body is read after the answer. */
	issue_request(&b, 1, 0, "text/plain", RPC_BODY, true);
	one_request_closes(&b, "415", true, 0);
	free(b.p);
}

static void
body_without_its_end_closed_after_libfcgi_wait(void)
{
	struct bytes b = {0};

	/*
	 * The web server never ends stdin here: no FCGX_Detach, libfcgi's
	 * close waits for the web server, and no reset loses the answer.
	 */
	issue_request(&b, 1, 0, "text/plain", RPC_BODY, false);
	one_request_closes(&b, "415", false, 300);
	free(b.p);
}

static void
authorizer_with_its_empty_stdin_closes_without_waiting(void)
{
	struct bytes b = {0};

	authorizer_request(&b, 3, 0, true);
	one_request_closes(&b, "401", true, 0);
	free(b.p);
}

static void
authorizer_without_stdin_answered_closed_after_libfcgi_wait(void)
{
	struct bytes b = {0};

	/* Apache mod_fcgid's authorizer requests: no FCGI_STDIN at all. */
	authorizer_request(&b, 3, 0, false);
	one_request_closes(&b, "401", false, 0);
	free(b.p);
}

/*
 * FCGI_KEEP_CONN (nginx fastcgi_keep_conn): requests follow on one
 * connection, each sent once the answer before it came, as nginx does
 * (libfcgi would drop one sent before: it frees its read buffer).
 */
static void
keep_conn_case(const char *first_type, int first_role)
{
	struct bytes b = {0};
	FCGX_Request req;
	struct answer a;
	int c, l;

	l = listen_request(&req, &c);
	if (first_role == AUTHORIZER)
		authorizer_request(&b, 1, KEEP, true);
	else
		issue_request(&b, 1, KEEP, first_type, RPC_BODY, true);
	send_all(c, &b);
	EXPECT(FCGX_Accept_r(&req) == 0);
	serve_request(&req, cfg);
	EXPECT(req.ipcFd >= 0);			/* kept */
	collect(c, &a, 1);
	EXPECT(a.ends == 1 && a.end_id[0] == 1);
	EXPECT(count_in(&a, "\"result\":\"ey") == (first_role == RESPONDER &&
	    strcmp(first_type, "application/json") == 0));
	answer_free(&a);
	b.len = 0;
	issue_request(&b, 2, KEEP, "application/json", RPC_BODY, true);
	send_all(c, &b);
	EXPECT(FCGX_Accept_r(&req) == 0);
	EXPECT(req.requestId == 2);
	serve_request(&req, cfg);
	EXPECT(req.ipcFd >= 0);
	collect(c, &a, 1);
	EXPECT(a.ends == 1 && a.end_id[0] == 2);
	EXPECT(count_in(&a, "\"result\":\"ey") == 1);
	/* The web server closes the kept connection: no more requests. */
	close(c);
	EXPECT(FCGX_Accept_r(&req) == -EAGAIN);
	FCGX_Free(&req, 1);
	close(l);
	answer_free(&a);
	free(b.p);
}

static void
keep_conn_two_requests_on_one_connection(void)
{
	keep_conn_case("application/json", RESPONDER);
}

static void
keep_conn_body_refused_unread_next_request_served(void)
{
	/* The 415's body is drained: the next request's records come next. */
	keep_conn_case("text/plain", RESPONDER);
}

static void
keep_conn_authorizer_then_responder(void)
{
	keep_conn_case(NULL, AUTHORIZER);
}

static void *
serve_two(void *arg)
{
	struct served *s = arg;

	if (serve_one(s) == NULL && s->accepted == 0 && s->kept)
		(void)serve_one(s);
	return NULL;
}

/*
 * libfcgi's detached flag outlives a kept request: the next request, whose
 * body never ends, must still close with libfcgi's wait (FCGX_Attach).
 */
static void
keep_conn_then_body_without_end_closed_after_libfcgi_wait(void)
{
	struct bytes b = {0};
	struct served s;
	struct answer a;
	pthread_t th;
	int c, l;

	memset(&s, 0, sizeof(s));
	l = listen_request(&s.req, &c);
	s.wait_ms = 300;
	issue_request(&b, 1, KEEP, "application/json", RPC_BODY, true);
	send_all(c, &b);
	if (pthread_create(&th, NULL, serve_two, &s) != 0)
		abort();
	collect(c, &a, 1);
	EXPECT(a.ends == 1 && count_in(&a, "\"result\":\"ey") == 1);
	answer_free(&a);
	b.len = 0;
	issue_request(&b, 2, 0, "text/plain", RPC_BODY, false);
	send_all(c, &b);
	collect(c, &a, 0);
	EXPECT(a.ends == 1 && starts_with_status(&a, "415"));
	EXPECT(a.eof && !a.reset);
	EXPECT(!closed_at_once(c));
	close(c);
	pthread_join(th, NULL);
	FCGX_Free(&s.req, 1);
	close(l);
	answer_free(&a);
	free(b.p);
}

static void
is_listener_only_for_listening_sockets(void)
{
	struct sockaddr_un sa;
	int l = socket(AF_UNIX, SOCK_STREAM, 0), sv[2], pfd[2];
	int null = open("/dev/null", O_RDONLY);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fx_path(&fx, "l.sock"));
	EXPECT(bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(l, 1) == 0);
	EXPECT(serve_is_listener(l));
	EXPECT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	EXPECT(!serve_is_listener(sv[0]));
	EXPECT(pipe(pfd) == 0);
	EXPECT(!serve_is_listener(pfd[0]));
	EXPECT(!serve_is_listener(null));
	close(l);
	close(sv[0]);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
	close(null);
}

/* ---- the accept loop, in a child process on a real listening socket ---- */

static int
unix_listener(const char *name, struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", fx_path(&fx, name));
	unlink(sa->sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) != 0 ||
	    listen(fd, 16) != 0)
		abort();
	return fd;
}

static int
unix_connect(const struct sockaddr_un *sa)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	if (c < 0 || connect(c, (const struct sockaddr *)sa, sizeof(*sa)) != 0)
		abort();
	bounded(c);
	return c;
}

static int
tcp_connect(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = inet_sockaddr(&ss, addr, port);
	int c = socket(ss.ss_family, SOCK_STREAM, 0);

	if (c < 0 || connect(c, (struct sockaddr *)&ss, len) != 0)
		abort();
	bounded(c);
	return c;
}

/*
 * serve_fastcgi(l) in a child, its log lines in the file log_name;
 * timeout_ms > 0 shortens the silence timeout, addrs sets
 * FCGI_WEB_SERVER_ADDRS (libfcgi reads it once, in FCGX_Init).
 */
static pid_t
start_server(int l, const char *log_name, int timeout_ms, const char *addrs)
{
	pid_t pid;
	int fd;

	fflush(stdout);
	pid = fork();
	if (pid != 0)
		return pid;
	fd = open(fx_path(&fx, log_name), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		_exit(99);
	unsetenv("LIBFCGI_OS_CLOSE_POLL_TIMEOUT");
	if (addrs != NULL)
		setenv("FCGI_WEB_SERVER_ADDRS", addrs, 1);
	if (timeout_ms > 0)
		serve_set_io_timeout(timeout_ms);
	_exit(serve_fastcgi(l, &cfg, cfg_path));
}

/* Its exit status once it is gone (SIGTERM, when sig), -1 when killed by one. */
static int
server_exit(pid_t pid, int sig)
{
	int status;

	if (sig != 0)
		kill(pid, sig);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool
log_has(const char *log_name, const char *words)
{
	char text[8192];
	FILE *fp = fopen(fx_path(&fx, log_name), "r");
	size_t n;

	if (fp == NULL)
		return false;
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	return strstr(text, words) != NULL;
}

/* One request on a new connection c, its answers (ends of them) in a. */
static void
ask(int c, const struct bytes *b, struct answer *a, int ends)
{
	send_all(c, b);
	collect(c, a, ends);
}

static bool
issued_on_new_connection(const struct sockaddr_un *sa)
{
	struct bytes b = {0};
	struct answer a;
	int c = unix_connect(sa);
	bool ok;

	issue_request(&b, 1, 0, "application/json", RPC_BODY, true);
	ask(c, &b, &a, 0);
	ok = a.ends == 1 && count_in(&a, "\"result\":\"ey") == 1 && a.eof;
	close(c);
	answer_free(&a);
	free(b.p);
	return ok;
}

static void
loop_serves_until_sigterm_then_exits_0(void)
{
	struct sockaddr_un sa;
	struct bytes b = {0};
	struct answer a;
	int l = unix_listener("loop.sock", &sa), c;
	pid_t pid = start_server(l, "loop.log", 0, NULL);

	close(l);
	EXPECT(issued_on_new_connection(&sa));
	/* Two requests on a kept connection, the first refused unread. */
	c = unix_connect(&sa);
	issue_request(&b, 1, KEEP, "text/plain", RPC_BODY, true);
	ask(c, &b, &a, 1);
	EXPECT(a.ends == 1 && starts_with_status(&a, "415"));
	answer_free(&a);
	b.len = 0;
	issue_request(&b, 2, KEEP, "application/json", RPC_BODY, true);
	ask(c, &b, &a, 1);
	EXPECT(a.ends == 1 && count_in(&a, "\"result\":\"ey") == 1);
	answer_free(&a);
	/* Idle on that kept connection: SIGTERM still ends it at once. */
	EXPECT(server_exit(pid, SIGTERM) == 0);
	collect(c, &a, 0);
	EXPECT(a.ends == 0 && a.eof);
	answer_free(&a);
	close(c);
	EXPECT(log_has("loop.log", "serving FastCGI"));
	free(b.p);
}

static void
sighup_reloads_between_requests(void)
{
	struct sockaddr_un sa;
	int l = unix_listener("hup.sock", &sa);
	pid_t pid = start_server(l, "hup.log", 0, NULL);

	close(l);
	/* Answered: its handlers are in place. */
	EXPECT(issued_on_new_connection(&sa));
	kill(pid, SIGHUP);
	EXPECT(issued_on_new_connection(&sa));
	EXPECT(log_has("hup.log", "configuration reloaded"));
	/* libfcgi's graceful stop, as SIGTERM. */
	EXPECT(server_exit(pid, SIGUSR1) == 0);
}

static void
request_cut_in_the_middle_process_keeps_serving(void)
{
	struct sockaddr_un sa;
	struct bytes b = {0};
	struct answer a;
	int l = unix_listener("cut.sock", &sa), c;
	pid_t pid = start_server(l, "cut.log", 0, NULL);

	close(l);
	issue_request(&b, 1, 0, "application/json", RPC_BODY, true);
	/* Cut in the parameters, then in the body. */
	c = unix_connect(&sa);
	send(c, b.p, 20, MSG_NOSIGNAL);
	close(c);
	c = unix_connect(&sa);
	send(c, b.p, b.len - 40, MSG_NOSIGNAL);
	shutdown(c, SHUT_WR);
	collect(c, &a, 0);
	EXPECT(a.ends <= 1 && a.eof);
	answer_free(&a);
	close(c);
	EXPECT(issued_on_new_connection(&sa));
	EXPECT(server_exit(pid, SIGTERM) == 0);
	free(b.p);
}

static void
two_processes_share_one_listener(void)
{
	struct sockaddr_un sa;
	int l = unix_listener("two.sock", &sa), i, ok = 0;
	pid_t one = start_server(l, "two-a.log", 0, NULL);
	pid_t two = start_server(l, "two-b.log", 0, NULL);

	/* As spawn-fcgi -F 2: a connection one took is EAGAIN for the other. */
	close(l);
	for (i = 0; i < 40; i++)
		ok += issued_on_new_connection(&sa);
	EXPECT(ok == 40);
	EXPECT(server_exit(one, SIGTERM) == 0);
	EXPECT(issued_on_new_connection(&sa));
	EXPECT(server_exit(two, SIGTERM) == 0);
}

static void
silent_body_times_out(void)
{
	struct sockaddr_un sa;
	struct bytes b = {0};
	struct answer a;
	int l = unix_listener("slow.sock", &sa), c;
	pid_t pid = start_server(l, "slow.log", 200, NULL);

	close(l);
	issue_request(&b, 1, 0, "application/json", RPC_BODY, false);
	c = unix_connect(&sa);
	/* Everything but the body's last 10 bytes, then silence. */
	send_all(c, &(struct bytes){b.p, b.len - 10, 0});
	collect(c, &a, 0);
	EXPECT(a.ends == 1 && starts_with_status(&a, "400"));
	EXPECT(a.eof);
	EXPECT(log_has("slow.log", "for 200 ms; connection closed"));
	answer_free(&a);
	close(c);
	EXPECT(issued_on_new_connection(&sa));
	EXPECT(server_exit(pid, SIGTERM) == 0);
	free(b.p);
}

static void
silent_params_over_tcp_time_out(void)
{
	struct bytes b = {0};
	struct answer a;
	int port, l = tcp_listener("127.0.0.1", &port), c1, c2;
	pid_t pid;

	if (l < 0) {
		fx_skip("silent_params_over_tcp_time_out", "no IPv4 loopback");
		return;
	}
	/*
	 * The listener's timeouts reach a connection made once they are set
	 * (the first request shows they are), before libfcgi reads it.
	 */
	pid = start_server(l, "tcp-slow.log", 200, NULL);
	close(l);
	issue_request(&b, 1, 0, "application/json", RPC_BODY, true);
	c1 = tcp_connect("127.0.0.1", port);
	ask(c1, &b, &a, 0);
	EXPECT(a.ends == 1);
	answer_free(&a);
	close(c1);
	c1 = tcp_connect("127.0.0.1", port);
	send(c1, b.p, 4, MSG_NOSIGNAL);		/* half a record header */
	c2 = tcp_connect("127.0.0.1", port);
	ask(c2, &b, &a, 0);
	EXPECT(a.ends == 1 && count_in(&a, "\"result\":\"ey") == 1);
	answer_free(&a);
	collect(c1, &a, 0);
	EXPECT(a.ends == 0 && a.eof);
	answer_free(&a);
	close(c1);
	close(c2);
	EXPECT(server_exit(pid, SIGTERM) == 0);
	free(b.p);
}

/* libfcgi's FCGI_WEB_SERVER_ADDRS: other TCP peers are closed unanswered. */
static void
web_server_addrs_filter_ipv4_peers(void)
{
	static const struct {
		const char *list;
		bool served;
	} rows[] = {
		{"10.9.8.7", false},
		{"10.9.8.7,127.0.0.1", true},
		{"", true},
		/* Last: an IPv6 entry matches nobody, and the log says so. */
		{"::1,127.0.0.1", true},
	};
	struct bytes b = {0};
	struct answer a;
	size_t i;
	int port, l, c;
	pid_t pid;

	issue_request(&b, 1, 0, "application/json", RPC_BODY, true);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if ((l = tcp_listener("127.0.0.1", &port)) < 0)
			break;
		pid = start_server(l, "addrs.log", 0, rows[i].list);
		close(l);
		c = tcp_connect("127.0.0.1", port);
		ask(c, &b, &a, 0);
		if ((a.ends == 1) != rows[i].served)
			printf("#   row %zu (\"%s\"): %d answers\n", i, rows[i].list,
			    a.ends), tap_failed_here++;
		answer_free(&a);
		close(c);
		EXPECT(server_exit(pid, SIGTERM) == 0);
	}
	EXPECT(log_has("addrs.log", "\"::1\" is not an IPv4 address"));
	free(b.p);
}

static void
web_server_addrs_with_ipv6_listener_refused_at_start(void)
{
	int port, l = tcp_listener("::1", &port);
	pid_t pid;

	if (l < 0) {
		fx_skip("web_server_addrs_with_ipv6_listener_refused_at_start",
		    "no IPv6 loopback");
		return;
	}
	pid = start_server(l, "addrs6.log", 0, "127.0.0.1,::1");
	close(l);
	EXPECT(server_exit(pid, 0) == 1);
	EXPECT(log_has("addrs6.log", "IPv6 listening socket"));
}

static void
drop_line(const char *line, size_t len)
{
	(void)line;
	(void)len;
}

int
main(void)
{
	char err[512], ini[1024];

	signal(SIGPIPE, SIG_IGN);
	/* libfcgi's close waits this long for the web server: closed_at_once sees it. */
	setenv("LIBFCGI_OS_CLOSE_POLL_TIMEOUT", "10000", 1);
	if (!fx_init(&fx, "fcgi"))
		return 1;
	fx_write_str(&fx, "main.key", FX_SECRET, 0600);
	snprintf(ini, sizeof(ini), "[key main]\nsecret_file = main.key\n"
	    "[client backend]\ntoken_sha256 = %s\n[stream cam-*]\n", FX_SHA_TEST);
	cfg = fx_load(&fx, ini, err, sizeof(err));
	if (cfg == NULL) {
		printf("# %s\n", err);
		return 1;
	}
	snprintf(cfg_path, sizeof(cfg_path), "%s", fx_path(&fx, "streamtoken.ini"));
	/* Children first: they must start libfcgi themselves (FCGX_Init). */
	RUN(loop_serves_until_sigterm_then_exits_0);
	RUN(sighup_reloads_between_requests);
	RUN(request_cut_in_the_middle_process_keeps_serving);
	RUN(two_processes_share_one_listener);
	RUN(silent_body_times_out);
	RUN(silent_params_over_tcp_time_out);
	RUN(web_server_addrs_filter_ipv4_peers);
	RUN(web_server_addrs_with_ipv6_listener_refused_at_start);
	log_set_writer(drop_line);
	if (FCGX_Init() != 0)
		return 1;
	RUN(responder_issues_and_closes_without_waiting);
	RUN(body_refused_unread_drained_then_closed_without_waiting);
	RUN(body_without_its_end_closed_after_libfcgi_wait);
	RUN(authorizer_with_its_empty_stdin_closes_without_waiting);
	RUN(authorizer_without_stdin_answered_closed_after_libfcgi_wait);
	RUN(keep_conn_two_requests_on_one_connection);
	RUN(keep_conn_body_refused_unread_next_request_served);
	RUN(keep_conn_authorizer_then_responder);
	RUN(keep_conn_then_body_without_end_closed_after_libfcgi_wait);
	RUN(is_listener_only_for_listening_sockets);
	config_free(cfg);
	fx_cleanup(&fx);
	return tap_done();
}
