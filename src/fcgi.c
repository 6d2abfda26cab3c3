/*
 * fcgi: FastCGI 1.0, the application side, without libfcgi.
 *
 * libfcgi allocates two 8 KB stream buffers and one string per parameter
 * for every request, and spends about ten system calls on it; that was
 * half of the instructions of a libfcgi "hello" behind lighttpd. Here a
 * request costs accept, one read, one write and close, and nothing is
 * allocated once the buffers have grown to the largest request seen.
 *
 * One request at a time per connection (FCGI_MPXS_CONNS is 0): a second
 * FCGI_BEGIN_REQUEST on a busy connection is refused with CANT_MPX_CONN.
 * Records are read whole into one buffer; a record's content stays valid
 * until the next record is read.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fcgi.h"
#include "log.h"

enum record_type {
	BEGIN_REQUEST = 1, ABORT_REQUEST = 2, END_REQUEST = 3, PARAMS = 4,
	STDIN = 5, STDOUT = 6, GET_VALUES = 9, GET_VALUES_RESULT = 10,
	UNKNOWN_TYPE = 11
};
enum { ROLE_RESPONDER = 1, ROLE_AUTHORIZER = 2 };
enum { REQUEST_COMPLETE = 0, CANT_MPX_CONN = 1, UNKNOWN_ROLE = 3 };

#define VERSION_1 1
#define KEEP_CONN 1
#define HEADER_LEN ((size_t)8)
#define CONTENT_MAX 65535
#define RECORD_MAX (HEADER_LEN + CONTENT_MAX + 255)
/* Far above any web server's header limits; a request past it is refused. */
#define PARAMS_MAX ((size_t)1 << 20)
/* Unread body discarded to keep a connection, at most. */
#define DRAIN_MAX ((size_t)16 << 20)
/*
 * Silence that ends a request: libfcgi waited for ever, but a peer that
 * connects and says nothing must not hold a one-request-at-a-time process.
 */
#define IO_TIMEOUT_MS 30000
/* Silence that ends the wait for a web server to close after our answer. */
#define CLOSE_WAIT_MS 1000

struct record {
	unsigned type, id;
	const unsigned char *content;
	size_t len;
};

struct fcgi {
	int lfd, fd;
	unsigned id;			/* the request in hand, 0 between requests */
	unsigned role;
	bool keep_conn;
	bool stdin_done;		/* the empty FCGI_STDIN came, or none will */
	bool aborted;			/* FCGI_ABORT_REQUEST came */
	bool broken;			/* a read or write failed: close */
	bool kept;			/* this connection has served a request */
	volatile sig_atomic_t *stop;	/* fcgi_accept's, while it waits */
	int io_timeout_ms;		/* silence tolerated within a request */

	/* Rest of the current FCGI_STDIN record. */
	const unsigned char *stdin_data;
	size_t stdin_left;

	/* FCGI_PARAMS as sent, then as "NAME=value" strings and their index. */
	unsigned char *params;
	char *env;
	size_t params_len, params_cap;
	char **envp;
	size_t envp_cap;

	/* FCGI_WEB_SERVER_ADDRS: peers allowed on a TCP socket, IPv4 as mapped. */
	struct in6_addr *allowed;
	size_t n_allowed;		/* allowed is NULL when the variable is unset */

	size_t in_start, in_end;
	unsigned char in[RECORD_MAX];
	/* One STDOUT record being filled, room behind it for the closing two. */
	size_t out_len;
	unsigned char out[HEADER_LEN + CONTENT_MAX + 2 * HEADER_LEN + 8];
};

bool
fcgi_is_listener(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	/* libfcgi's test: a socket without a peer. */
	return getpeername(fd, (struct sockaddr *)&sa, &len) != 0 &&
	    errno == ENOTCONN;
}

/* An IPv4 address as IPv6 sees it (::ffff:a.b.c.d): one form to compare. */
static void
map_v4(struct in6_addr *a, const struct in_addr *v4)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], v4, 4);
}

/* One address of the list, blanks around it ignored; false when it is none. */
static bool
parse_web_server_addr(const char *s, size_t len, struct in6_addr *a)
{
	struct in_addr v4;
	char item[64];

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(item))
		return false;
	memcpy(item, s, len);
	item[len] = '\0';
	if (inet_pton(AF_INET, item, &v4) == 1) {
		map_v4(a, &v4);
		return true;
	}
	if (inet_pton(AF_INET6, item, a) == 1)
		return true;
	log_msg("FCGI_WEB_SERVER_ADDRS: %s is not an IP address", item);
	return false;
}

/*
 * "127.0.0.1,10.0.0.2": libfcgi's format, any number of addresses, IPv6
 * ones too. Unset or empty allows any peer, as in libfcgi; a list without
 * one good address allows nobody. False without memory.
 */
static bool
read_web_server_addrs(struct fcgi *f)
{
	const char *list = getenv("FCGI_WEB_SERVER_ADDRS"), *s;
	size_t n, max = 1;

	if (list == NULL || *list == '\0')
		return true;
	for (s = list; *s != '\0'; s++)
		max += *s == ',';
	f->allowed = calloc(max, sizeof(*f->allowed));
	if (f->allowed == NULL)
		return false;
	while (*list != '\0') {
		n = strcspn(list, ",");
		if (parse_web_server_addr(list, n, &f->allowed[f->n_allowed]))
			f->n_allowed++;
		list += n + (list[n] == ',');
	}
	return true;
}

struct fcgi *
fcgi_new(int lfd)
{
	struct fcgi *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->lfd = lfd;
	f->fd = -1;
	f->io_timeout_ms = IO_TIMEOUT_MS;
	if (!read_web_server_addrs(f))
		goto fail;
	/*
	 * A non-blocking listener: accept never sleeps, so a signal can only
	 * find us in ppoll (see wait_readable) or in a request.
	 */
	if (lfd >= 0 && fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) != 0) {
		log_msg("FastCGI: cannot make the listening socket non-blocking: %s",
		    strerror(errno));
		goto fail;
	}
	return f;
fail:
	free(f->allowed);
	free(f);
	return NULL;
}

static void
close_conn(struct fcgi *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->id = 0;
	f->in_start = f->in_end = 0;
	f->broken = f->kept = false;
}

void
fcgi_free(struct fcgi *f)
{
	if (f == NULL)
		return;
	close_conn(f);
	free(f->params);
	free(f->env);
	free(f->envp);
	free(f->allowed);
	free(f);
}

/* ---- records ---- */

static long
elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L +
	    (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/*
 * True when fd turns ready (POLLIN, POLLOUT) within ms. A signal does not
 * end the wait early (a request is never cut short by one), nor prolong it
 * (SIGHUP every few milliseconds would keep it open for good).
 */
static bool
ready_within(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	struct timespec start;
	long left = ms;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((n = poll(&p, 1, (int)left)) < 0 && errno == EINTR)
		if ((left = ms - elapsed_ms(&start)) <= 0)
			return false;
	return n == 1;
}

static bool
write_all(struct fcgi *f, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0 && !f->broken) {
		/* MSG_NOSIGNAL: a web server gone is an error here, not SIGPIPE. */
		n = send(f->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (ready_within(f->fd, POLLOUT, f->io_timeout_ms))
				continue;
			log_msg("FastCGI: the web server took no answer for %d ms; "
			    "connection closed", f->io_timeout_ms);
		}
		f->broken = true;
	}
	return !f->broken;
}

static void
put_header(unsigned char *h, unsigned type, unsigned id, size_t len)
{
	h[0] = VERSION_1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;			/* no padding */
	h[7] = 0;
}

static void
put_end_request(unsigned char *r, unsigned id, unsigned protocol_status)
{
	put_header(r, END_REQUEST, id, 8);
	memset(r + HEADER_LEN, 0, 8);	/* appStatus 0 */
	r[HEADER_LEN + 4] = (unsigned char)protocol_status;
}

static bool
send_end_request(struct fcgi *f, unsigned id, unsigned protocol_status)
{
	unsigned char r[2 * HEADER_LEN];

	put_end_request(r, id, protocol_status);
	return write_all(f, r, sizeof(r));
}

/* Makes n bytes available at in + in_start; false at EOF or on an error. */
static bool
fill(struct fcgi *f, size_t n)
{
	size_t have = f->in_end - f->in_start;
	ssize_t r;

	if (have >= n)
		return true;
	if (f->in_start > 0) {
		memmove(f->in, f->in + f->in_start, have);
		f->in_start = 0;
		f->in_end = have;
	}
	while (f->in_end < n) {
		r = read(f->fd, f->in + f->in_end, sizeof(f->in) - f->in_end);
		if (r > 0) {
			f->in_end += (size_t)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Bounded: a silent peer must not hold the process for good. */
			if (ready_within(f->fd, POLLIN, f->io_timeout_ms))
				continue;
			log_msg("FastCGI: nothing from the web server for %d ms; "
			    "connection closed", f->io_timeout_ms);
			f->broken = true;
			return false;
		} else {
			return false;
		}
	}
	return true;
}

/* The next record, whole. False when the connection ended or broke. */
static bool
read_record(struct fcgi *f, struct record *rec)
{
	const unsigned char *h;
	size_t total;

	if (!fill(f, HEADER_LEN)) {
		/* Between two requests the web server may close: that is no fault. */
		if (!f->broken && (f->in_end > f->in_start || f->id != 0))
			log_msg("FastCGI: the web server closed the connection in the "
			    "middle of a %s", f->id != 0 ? "request" : "record");
		goto broken;
	}
	h = f->in + f->in_start;
	if (h[0] != VERSION_1) {
		log_msg("FastCGI: record version %u, not 1; connection closed", h[0]);
		goto broken;
	}
	rec->type = h[1];
	rec->id = (unsigned)h[2] << 8 | h[3];
	rec->len = (size_t)h[4] << 8 | h[5];
	total = HEADER_LEN + rec->len + h[6];
	if (!fill(f, total)) {
		if (!f->broken)
			log_msg("FastCGI: the web server closed the connection in the "
			    "middle of a record");
		goto broken;
	}
	rec->content = f->in + f->in_start + HEADER_LEN;
	f->in_start += total;
	return true;
broken:
	f->broken = true;
	return false;
}

/* Puts the record read last back, for the next read_record to return again. */
static void
unread_record(struct fcgi *f, const struct record *rec)
{
	f->in_start = (size_t)(rec->content - f->in) - HEADER_LEN;
}

/* ---- name-value pairs ---- */

/* One length of a name-value pair: one byte, or four with the top bit set. */
static bool
pair_length(const unsigned char **p, const unsigned char *end, size_t *len)
{
	const unsigned char *s = *p;

	if (s >= end)
		return false;
	if (s[0] < 0x80) {
		*len = s[0];
		*p = s + 1;
		return true;
	}
	if (end - s < 4)
		return false;
	*len = ((size_t)(s[0] & 0x7f) << 24) | (size_t)s[1] << 16 |
	    (size_t)s[2] << 8 | s[3];
	*p = s + 4;
	return true;
}

static bool
next_pair(const unsigned char **p, const unsigned char *end,
    const unsigned char **name, size_t *nlen, const unsigned char **value,
    size_t *vlen)
{
	if (!pair_length(p, end, nlen) || !pair_length(p, end, vlen) ||
	    (size_t)(end - *p) < *nlen || (size_t)(end - *p) - *nlen < *vlen)
		return false;
	*name = *p;
	*value = *p + *nlen;
	*p += *nlen + *vlen;
	return true;
}

/* FCGI_GET_VALUES: what a web server may ask before it opens more connections. */
static bool
answer_get_values(struct fcgi *f, const struct record *rec)
{
	static const struct {
		const char *name, *value;
	} vars[] = {
		{"FCGI_MAX_CONNS", "1"}, {"FCGI_MAX_REQS", "1"},
		{"FCGI_MPXS_CONNS", "0"},
	};
	unsigned char out[HEADER_LEN + (size_t)3 * 32];
	const unsigned char *p = rec->content, *end = p + rec->len, *name, *value;
	size_t nlen, vlen, len = HEADER_LEN, i, vl;
	unsigned answered = 0;

	while (next_pair(&p, end, &name, &nlen, &value, &vlen)) {
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			vl = strlen(vars[i].value);
			/* Each once, asked twice or not: out holds all three. */
			if ((answered & 1u << i) != 0 || nlen != strlen(vars[i].name) ||
			    memcmp(name, vars[i].name, nlen) != 0 ||
			    len + 2 + nlen + vl > sizeof(out))
				continue;
			answered |= 1u << i;
			out[len++] = (unsigned char)nlen;
			out[len++] = (unsigned char)vl;
			memcpy(out + len, name, nlen);
			memcpy(out + len + nlen, vars[i].value, vl);
			len += nlen + vl;
		}
	}
	put_header(out, GET_VALUES_RESULT, 0, len - HEADER_LEN);
	return write_all(f, out, len);
}

/* Records with request id 0 belong to the connection, not to a request. */
static bool
answer_management(struct fcgi *f, const struct record *rec)
{
	unsigned char out[2 * HEADER_LEN];

	if (rec->type == GET_VALUES)
		return answer_get_values(f, rec);
	put_header(out, UNKNOWN_TYPE, 0, 8);
	memset(out + HEADER_LEN, 0, 8);
	out[HEADER_LEN] = (unsigned char)rec->type;
	return write_all(f, out, sizeof(out));
}

/*
 * A record that is not for the request in hand (or before one): answered
 * when it belongs to the connection, refused when it would start a second
 * request, ignored when it belongs to a request that has ended.
 */
static bool
answer_other(struct fcgi *f, const struct record *rec)
{
	if (rec->id == 0)
		return answer_management(f, rec);
	if (rec->type == BEGIN_REQUEST && f->id != 0 && rec->id != f->id)
		return send_end_request(f, rec->id, CANT_MPX_CONN);
	return true;
}

/* ---- a request ---- */

static bool
grow_params(struct fcgi *f, size_t need)
{
	size_t cap = f->params_cap > 0 ? f->params_cap : 4096;
	unsigned char *params;
	char *env;

	while (cap < need)
		cap *= 2;
	params = realloc(f->params, cap);
	if (params == NULL)
		return false;
	f->params = params;
	/* "NAME=value\0" is never longer than the pair with its two lengths. */
	env = realloc(f->env, cap);
	if (env == NULL)
		return false;
	f->env = env;
	f->params_cap = cap;
	return true;
}

static bool
add_params(struct fcgi *f, const struct record *rec)
{
	if (rec->len > PARAMS_MAX - f->params_len) {
		log_msg("FastCGI: request parameters over %zu bytes; refused",
		    PARAMS_MAX);
		return false;
	}
	if (f->params_len + rec->len > f->params_cap &&
	    !grow_params(f, f->params_len + rec->len)) {
		log_msg("FastCGI: out of memory for the request parameters");
		return false;
	}
	memcpy(f->params + f->params_len, rec->content, rec->len);
	f->params_len += rec->len;
	return true;
}

static bool
grow_envp(struct fcgi *f)
{
	size_t cap = f->envp_cap > 0 ? f->envp_cap * 2 : 64;
	char **envp = realloc(f->envp, cap * sizeof(*envp));

	if (envp == NULL)
		return false;
	f->envp = envp;
	f->envp_cap = cap;
	return true;
}

/*
 * The parameters as "NAME=value" strings, the form of environ and libfcgi's
 * envp; first FCGI_ROLE, which (as in libfcgi) comes from FCGI_BEGIN_REQUEST.
 */
static bool
index_params(struct fcgi *f)
{
	static char responder[] = "FCGI_ROLE=RESPONDER";
	static char authorizer[] = "FCGI_ROLE=AUTHORIZER";
	const unsigned char *p = f->params, *end = p, *name, *value;
	size_t nlen, vlen, n = 0;
	char *e = f->env;

	if (f->params_len > 0)
		end = p + f->params_len;	/* never NULL + 0 */
	if (f->envp_cap < 2 && !grow_envp(f))
		return false;
	f->envp[n++] = f->role == ROLE_AUTHORIZER ? authorizer : responder;
	while (p < end) {
		if (!next_pair(&p, end, &name, &nlen, &value, &vlen)) {
			log_msg("FastCGI: a malformed request parameter; refused");
			return false;
		}
		/* "NAME=value" could not say where such a name ends: dropped. */
		if (memchr(name, '=', nlen) != NULL || memchr(name, '\0', nlen) != NULL)
			continue;
		if (n + 1 >= f->envp_cap && !grow_envp(f)) {
			log_msg("FastCGI: out of memory for the request parameters");
			return false;
		}
		f->envp[n++] = e;
		memcpy(e, name, nlen);
		e += nlen;
		*e++ = '=';
		memcpy(e, value, vlen);
		e += vlen;
		*e++ = '\0';
	}
	f->envp[n] = NULL;
	return true;
}

/* FCGI_BEGIN_REQUEST: true when a request of a role we play begins. */
static bool
begin_request(struct fcgi *f, const struct record *rec)
{
	unsigned role;

	if (rec->len < 8 || rec->id == 0) {
		log_msg("FastCGI: a malformed FCGI_BEGIN_REQUEST; connection closed");
		f->broken = true;
		return false;
	}
	role = (unsigned)rec->content[0] << 8 | rec->content[1];
	f->keep_conn = (rec->content[2] & KEEP_CONN) != 0;
	if (role != ROLE_RESPONDER && role != ROLE_AUTHORIZER) {
		log_msg("FastCGI: role %u is not served (responder and authorizer "
		    "are)", role);
		if (send_end_request(f, rec->id, UNKNOWN_ROLE) && !f->keep_conn)
			f->broken = true;	/* done with this connection */
		return false;
	}
	f->id = rec->id;
	f->role = role;
	f->params_len = 0;
	f->stdin_left = 0;
	f->stdin_done = false;
	f->aborted = false;
	f->out_len = 0;
	return true;
}

/* Reads one request's FCGI_PARAMS; false when it was given up. */
static bool
read_params(struct fcgi *f)
{
	struct record rec;

	while (read_record(f, &rec)) {
		if (rec.id != f->id || rec.id == 0) {
			if (!answer_other(f, &rec))
				return false;
		} else if (rec.type == PARAMS && rec.len > 0) {
			if (!add_params(f, &rec))
				break;
		} else if (rec.type == PARAMS) {
			if (index_params(f))
				return true;
			break;
		} else if (rec.type == ABORT_REQUEST) {
			if (send_end_request(f, f->id, REQUEST_COMPLETE) && f->keep_conn) {
				f->id = 0;
				return false;
			}
			break;
		} else {
			log_msg("FastCGI: record type %u before the end of the "
			    "parameters; connection closed", rec.type);
			break;
		}
	}
	f->broken = true;
	return false;
}

/*
 * Waits until fd is readable: true, or false once *stop is set. SIGTERM
 * and SIGINT are blocked while *stop is looked at, and ppoll lets them in
 * atomically: one landing in between cannot be missed. Other signals
 * (SIGHUP) only make it look again: a read that blocks after one would not
 * see SIGTERM until the web server sends something.
 */
static bool
wait_readable(int fd, const volatile sig_atomic_t *stop)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	sigset_t block, old, during;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* Let in even when blocked on entry (a mask inherited through exec). */
	during = old;
	sigdelset(&during, SIGTERM);
	sigdelset(&during, SIGINT);
	while (!*stop && ppoll(&p, 1, NULL, &during) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return !*stop;
}

void
fcgi_set_io_timeout(struct fcgi *f, int ms)
{
	f->io_timeout_ms = ms;
}

void
fcgi_adopt(struct fcgi *f, int fd)
{
	close_conn(f);
	/* As accepted connections are: waits go through ready_within. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	f->fd = fd;
}

int
fcgi_next(struct fcgi *f)
{
	struct record rec;

	while (f->fd >= 0 && !f->broken) {
		f->id = 0;
		/* Idle on a kept connection: SIGTERM must not wait for the next request. */
		if (f->kept && f->stop != NULL && f->in_end == f->in_start &&
		    !wait_readable(f->fd, f->stop))
			break;
		if (!read_record(f, &rec))
			break;
		if (rec.type != BEGIN_REQUEST || rec.id == 0) {
			if (!answer_other(f, &rec))
				break;
			continue;
		}
		if (begin_request(f, &rec) && read_params(f))
			return 1;
	}
	close_conn(f);
	return 0;
}

/*
 * FCGI_WEB_SERVER_ADDRS, for a TCP peer (a unix socket's mode decides
 * there). An IPv4 peer of a dual-stack listener arrives as ::ffff:a.b.c.d
 * and is compared as the IPv4 address it is. Unlike libfcgi, which let
 * every IPv6 peer through, an IPv6 peer must be listed too.
 */
static bool
peer_allowed(const struct fcgi *f, int fd, const struct sockaddr_storage *sa)
{
	struct in6_addr a;
	char text[INET6_ADDRSTRLEN] = "?";
	size_t i;

	if (sa->ss_family != AF_INET && sa->ss_family != AF_INET6)
		return true;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	if (f->allowed == NULL)
		return true;
	if (sa->ss_family == AF_INET)
		map_v4(&a, &((const struct sockaddr_in *)sa)->sin_addr);
	else
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	for (i = 0; i < f->n_allowed; i++)
		if (memcmp(&a, &f->allowed[i], sizeof(a)) == 0)
			return true;
	if (IN6_IS_ADDR_V4MAPPED(&a))
		inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof(text));
	else
		inet_ntop(AF_INET6, &a, text, sizeof(text));
	log_msg("FastCGI: connection from %s refused (FCGI_WEB_SERVER_ADDRS)",
	    text);
	return false;
}

/*
 * Errors of accept(2) that concern one connection, not the socket: Linux
 * passes a new connection's pending network error on (accept(2), as libfcgi
 * and Apache retry them); EPERM is a firewall's refusal.
 */
static bool
accept_error_passes(int err)
{
	return err == EINTR || err == ECONNABORTED || err == EPROTO ||
	    err == EPERM || err == ECONNRESET || err == ETIMEDOUT ||
	    err == ENETDOWN || err == ENETUNREACH || err == EHOSTDOWN ||
	    err == EHOSTUNREACH || err == ENONET || err == ENOPROTOOPT;
}

static bool
accept_error_is_shortage(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

int
fcgi_accept(struct fcgi *f, volatile sig_atomic_t *stop)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd;

	f->stop = stop;
	for (;;) {
		if (*stop) {
			close_conn(f);
			return 0;
		}
		if (f->fd >= 0 && fcgi_next(f) == 1)
			return 1;
		if (f->lfd < 0)
			return 0;
		len = sizeof(sa);
		sa.ss_family = AF_UNSPEC;
		fd = accept4(f->lfd, (struct sockaddr *)&sa, &len,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			if (!peer_allowed(f, fd, &sa)) {
				close(fd);
				continue;
			}
			/*
			 * Straight to its request, not past the *stop test above:
			 * a SIGTERM that came during accept4 must not drop a
			 * connection the web server has handed us.
			 */
			f->fd = fd;
			if (fcgi_next(f) == 1)
				return 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			(void)wait_readable(f->lfd, stop);
		} else if (accept_error_is_shortage(errno)) {
			log_msg("FastCGI: accept: %s", strerror(errno));
			/* Out of descriptors or memory: give the others time. */
			(void)poll(NULL, 0, 100);
		} else if (!accept_error_passes(errno)) {
			log_msg("FastCGI: accept: %s", strerror(errno));
			return -1;
		}
	}
}

/* ---- the request's streams ---- */

const char *
fcgi_param(const struct fcgi *f, const char *name)
{
	size_t n = strlen(name);
	char **e;

	for (e = f->envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

char **
fcgi_envp(const struct fcgi *f)
{
	return f->envp;
}

/* Steps to the next FCGI_STDIN record of the request; false at its end. */
static bool
next_stdin(struct fcgi *f)
{
	struct record rec;

	while (!f->stdin_done && read_record(f, &rec)) {
		if (rec.id != f->id || rec.id == 0) {
			if (!answer_other(f, &rec))
				return false;
		} else if (rec.type == STDIN) {
			f->stdin_data = rec.content;
			f->stdin_left = rec.len;
			f->stdin_done = rec.len == 0;
			if (rec.len > 0)
				return true;
		} else if (rec.type == ABORT_REQUEST) {
			f->stdin_done = f->aborted = true;
			return false;
		} else if (rec.type == BEGIN_REQUEST) {
			/*
			 * The next request, its id reused, and this body never
			 * ended (an authorizer's may never be): it ends here, and
			 * the record is left for fcgi_next rather than skipped.
			 */
			unread_record(f, &rec);
			f->stdin_done = true;
			return false;
		}
		/* FCGI_DATA and the like: not for a responder, skipped. */
	}
	return false;
}

int
fcgi_read(struct fcgi *f, char *buf, int len)
{
	size_t n;

	if (len <= 0)
		return 0;
	if (f->stdin_left == 0 && !next_stdin(f))
		return f->stdin_done && !f->aborted && !f->broken ? 0 : -1;
	n = f->stdin_left < (size_t)len ? f->stdin_left : (size_t)len;
	memcpy(buf, f->stdin_data, n);
	f->stdin_data += n;
	f->stdin_left -= n;
	return (int)n;
}

bool
fcgi_write(struct fcgi *f, const char *data, size_t len)
{
	size_t n;

	while (len > 0 && !f->broken) {
		if (f->out_len == CONTENT_MAX) {
			put_header(f->out, STDOUT, f->id, f->out_len);
			write_all(f, f->out, HEADER_LEN + f->out_len);
			f->out_len = 0;
		}
		n = CONTENT_MAX - f->out_len;
		if (n > len)
			n = len;
		memcpy(f->out + HEADER_LEN + f->out_len, data, n);
		f->out_len += n;
		data += n;
		len -= n;
	}
	return !f->broken;
}

/* True when a whole record waits in the buffer: reading it needs no read(2). */
static bool
record_buffered(const struct fcgi *f)
{
	const unsigned char *h = f->in + f->in_start;
	size_t have = f->in_end - f->in_start;

	return have >= HEADER_LEN &&
	    have >= HEADER_LEN + ((size_t)h[4] << 8 | h[5]) + h[6];
}

/*
 * The body nobody read (a request refused before its body), thrown away so
 * the connection can carry the next request. Without keep_conn only what
 * already arrived is looked at: the connection closes anyway. So too for
 * an authorizer, which has no body: lighttpd ends its stdin all the same,
 * other web servers need not.
 */
static void
drain_stdin(struct fcgi *f)
{
	size_t drained = 0;

	while (!f->stdin_done && !f->broken) {
		drained += f->stdin_left;
		f->stdin_left = 0;
		if (drained > DRAIN_MAX) {
			/* Not worth keeping: close_after_body waits for its end. */
			f->keep_conn = false;
			return;
		}
		if ((!f->keep_conn || f->role == ROLE_AUTHORIZER) &&
		    !record_buffered(f))
			return;
		if (!next_stdin(f))
			return;
	}
}

/*
 * Closing a socket with unread bytes in it resets the connection, and a
 * web server may lose the answer with it: when body is still coming, say
 * we are done and read until the web server closes (as libfcgi does).
 */
static void
close_after_body(struct fcgi *f)
{
	size_t drained = 0;
	ssize_t n;

	if (!f->stdin_done && !f->broken && f->role == ROLE_RESPONDER &&
	    shutdown(f->fd, SHUT_WR) == 0) {
		while (drained < DRAIN_MAX && ready_within(f->fd, POLLIN, CLOSE_WAIT_MS)) {
			n = read(f->fd, f->in, sizeof(f->in));
			if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
				break;
			if (n > 0)
				drained += (size_t)n;
		}
	}
	close_conn(f);
}

bool
fcgi_finish(struct fcgi *f)
{
	size_t start = 0, end = HEADER_LEN + f->out_len;
	bool ok;

	if (f->fd < 0 || f->id == 0)
		return false;
	/*
	 * The last STDOUT record (its slot skipped when nothing is buffered),
	 * the empty one and END_REQUEST: one write.
	 */
	if (f->out_len > 0)
		put_header(f->out, STDOUT, f->id, f->out_len);
	else
		start = HEADER_LEN;
	put_header(f->out + end, STDOUT, f->id, 0);
	put_end_request(f->out + end + HEADER_LEN, f->id, REQUEST_COMPLETE);
	ok = write_all(f, f->out + start, end + 3 * HEADER_LEN - start);
	f->out_len = 0;
	drain_stdin(f);
	f->id = 0;
	f->kept = true;
	if (f->broken || !f->keep_conn)
		close_after_body(f);
	return ok;
}
