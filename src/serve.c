/*
 * serve: the FastCGI side on libfcgi's fcgiapp API.
 *
 * libfcgi reads the records, the parameters and the body, writes the
 * answer's records and FCGI_END_REQUEST, and closes. What is ours: when a
 * connection may close at once (FCGX_Detach), the silence timeouts, and
 * signals that never interrupt libfcgi.
 *
 * libfcgi's close (OS_IpcClose with shutdown) says "done" and then reads
 * until the web server closes, up to 2 s of silence: closing a socket
 * with unread bytes in it resets the connection, and the web server may
 * lose the answer with it. Once the request's stdin has been read to its
 * end nothing more can come, so FCGX_Detach skips that wait: accept, read,
 * one write and close per request.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <fastcgi.h>
#include <openssl/crypto.h>

#include "keys.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "serve.h"
#include "service.h"

/*
 * A body left unread (a request refused before it) is read and thrown
 * away up to this, so that its connection can still close at once or be
 * kept; past it, libfcgi's close reads the rest.
 */
#define DRAIN_MAX ((size_t)4 << 20)

static int io_timeout_ms = 30000;
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

bool
serve_is_listener(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	/*
	 * libfcgi's test (FCGX_IsCGI), made here: FCGX_IsCGI initialises
	 * libfcgi, which takes SIGTERM over where it is left at its default,
	 * and a CGI request must still die of it.
	 */
	return getpeername(fd, (struct sockaddr *)&sa, &len) != 0 &&
	    errno == ENOTCONN;
}

void
serve_set_io_timeout(int ms)
{
	io_timeout_ms = ms;
}

/* ---- the request's streams, as the pipeline reads and writes them ---- */

static const char *
fcgx_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static char **
fcgx_envp(void *ctx)
{
	return ((FCGX_Request *)ctx)->envp;
}

static int
fcgx_read(void *ctx, char *buf, int len)
{
	FCGX_Stream *in = ((FCGX_Request *)ctx)->in;
	int n = FCGX_GetStr(buf, len, in);

	/* libfcgi ends a broken or silent stream as it ends a finished one. */
	return n == 0 && FCGX_GetError(in) != 0 ? -1 : n;
}

static bool
fcgx_write(void *ctx, const char *data, size_t len)
{
	FCGX_Stream *out = ((FCGX_Request *)ctx)->out;

	return len <= (size_t)0x7fffffff &&
	    FCGX_PutStr(data, (int)len, out) == (int)len;
}

/* ---- how a request ends ---- */

/* True when the web server ended the request's stdin (an empty FCGI_STDIN). */
static bool
stdin_ended(FCGX_Stream *in)
{
	return FCGX_HasSeenEOF(in) == EOF && FCGX_GetError(in) == 0;
}

/* Reads what is left of the body, at most DRAIN_MAX bytes. */
static bool
drain_stdin(FCGX_Stream *in)
{
	char trash[4096];
	size_t drained = 0;
	int n;

	while (drained <= DRAIN_MAX &&
	    (n = FCGX_GetStr(trash, (int)sizeof(trash), in)) > 0)
		drained += (size_t)n;
	return stdin_ended(in);
}

static void
log_stream_error(int err, const char *what)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		log_msg("FastCGI: %s for %d ms; connection closed", what,
		    io_timeout_ms);
	else if (err > 0)
		log_msg("FastCGI: %s: %s; connection closed", what, strerror(err));
	else if (err < 0)
		log_msg("FastCGI: %s: a FastCGI protocol error (libfcgi %d); "
		    "connection closed", what, err);
}

/*
 * An authorizer request has no body, and a web server need not end its
 * stdin (Apache mod_fcgid sends none; lighttpd sends the empty record):
 * its end is taken when it has come, never waited for. *flags: the
 * socket's file status flags to restore if the connection is kept.
 */
static bool
authorizer_stdin_ended(FCGX_Request *req, int *flags)
{
	*flags = fcntl(req->ipcFd, F_GETFL);
	if (*flags < 0 || fcntl(req->ipcFd, F_SETFL, *flags | O_NONBLOCK) != 0)
		return false;
	/* Not ended: the stream is in error (EAGAIN), and FCGX_Finish_r closes. */
	return drain_stdin(req->in);
}

/*
 * The answer and FCGI_END_REQUEST go out first (FCGX_FClose), so that a
 * body still arriving never holds them back. Then the close: without
 * libfcgi's wait when the request's stdin was read to its end, with it
 * otherwise. FCGX_Attach matters on a kept connection: the flag stays from
 * its previous request.
 */
static void
finish_request(FCGX_Request *req)
{
	bool authorizer = req->role == FCGI_AUTHORIZER, ended;
	int flags = -1;

	FCGX_FClose(req->err);
	FCGX_FClose(req->out);
	log_stream_error(FCGX_GetError(req->out),
	    "the web server took no answer");
	if (authorizer) {
		ended = authorizer_stdin_ended(req, &flags);
	} else {
		ended = drain_stdin(req->in);
		log_stream_error(FCGX_GetError(req->in),
		    "the request's body broke off");
	}
	/* A filter's FCGI_DATA may follow its stdin: never detached. */
	if (ended && req->role != FCGI_FILTER)
		FCGX_Detach(req);
	else
		FCGX_Attach(req);
	FCGX_Finish_r(req);
	/* Kept (ipcFd still open): blocking again for libfcgi's reads. */
	if (authorizer && flags >= 0 && req->ipcFd >= 0)
		(void)fcntl(req->ipcFd, F_SETFL, flags);
}

void
serve_request(FCGX_Request *req, const struct config *cfg)
{
	struct request_source src = {fcgx_param, fcgx_read, NULL, fcgx_envp};
	struct request r;

	src.ctx = req;
	request_init(&r, cfg, &src);
	service_handle(&r);
	respond_write(&r, fcgx_write, req);
	request_free(&r);
	finish_request(req);
}

/* ---- signals ---- */

/*
 * SPEC 5: SIGTERM finishes the request in hand, then exits 0; so do
 * SIGINT and SIGUSR1 (libfcgi's graceful stop, whose own handler would
 * make FCGX_Accept_r fail without a word). SPEC 4: SIGHUP's reload
 * applies from the next request on. The handler only notes them.
 */
static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void
install_signals(sigset_t *ours)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(ours);
	sigaddset(ours, SIGTERM);
	sigaddset(ours, SIGINT);
	sigaddset(ours, SIGHUP);
	sigaddset(ours, SIGUSR1);
}

/*
 * Signals that came during a request, where they stay blocked: libfcgi
 * gives up a read, a write or its wait for a new connection's first bytes
 * when a signal interrupts it (and a socket with SO_RCVTIMEO is not
 * restarted after one), so a signal there would drop the connection.
 * FCGI_FAIL_ACCEPT_ON_INTR is not used: it only makes accept(2) give up
 * on EINTR, and accept never waits here (the listener is non-blocking).
 */
static void
take_pending_signals(const sigset_t *ours)
{
	static const struct timespec now = {0, 0};
	int sig;

	while ((sig = sigtimedwait(ours, NULL, &now)) > 0)
		on_signal(sig);
}

/*
 * Waits until fd is readable: false when a signal came first. Our
 * signals are let in here only, atomically with the wait.
 */
static bool
wait_readable(int fd, const sigset_t *idle)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return ppoll(&p, 1, NULL, idle) > 0;
}

/* SPEC 4: a bad file keeps the old configuration, and says why. */
static void
reload(struct config **cfg, const char *path)
{
	char err[1024];
	struct config *fresh;

	fresh = config_load(path, err, sizeof(err));
	if (fresh == NULL) {
		log_msg("reload failed, keeping the previous configuration: %s", err);
		return;
	}
	config_free(*cfg);
	*cfg = fresh;
	log_msg("configuration reloaded from %s", path);
	/* The heap was sized at start-up; more keys than it holds spill over. */
	if (CRYPTO_secure_malloc_initialized() &&
	    !key_secrets_in_secure_heap(fresh))
		log_msg("the secure heap is full: secrets of the reloaded keys "
		    "are in ordinary memory; restart to size it for them");
}

/* ---- the listening socket ---- */

static bool
set_timeouts(int fd)
{
	struct timeval tv = {io_timeout_ms / 1000,
	    (suseconds_t)(io_timeout_ms % 1000) * 1000};

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0;
}

/*
 * libfcgi compares a TCP peer with FCGI_WEB_SERVER_ADDRS as IPv4 only:
 * IPv6 entries match nobody, and on an IPv6 listener it lets every peer
 * in. The first is said; the second refused, rather than left open.
 */
static bool
web_server_addrs_usable(int family)
{
	const char *list = getenv("FCGI_WEB_SERVER_ADDRS"), *s;
	struct in_addr a;
	char item[64];
	size_t n;

	if (list == NULL || *list == '\0')
		return true;
	if (family == AF_INET6) {
		log_msg("FCGI_WEB_SERVER_ADDRS is set, but libfcgi checks no peer "
		    "of an IPv6 listening socket: listen on IPv4 or a unix socket");
		return false;
	}
	for (s = list; *s != '\0'; s += n + (s[n] == ',')) {
		n = strcspn(s, ",");
		if (n < sizeof(item)) {
			memcpy(item, s, n);
			item[n] = '\0';
			if (inet_pton(AF_INET, item, &a) == 1)
				continue;
		}
		log_msg("FCGI_WEB_SERVER_ADDRS: \"%.*s\" is not an IPv4 address; "
		    "libfcgi lets no peer in by it", (int)(n < 64 ? n : 64), s);
	}
	return true;
}

/*
 * Non-blocking, so that FCGX_Accept_r never sleeps in accept(2) with our
 * signals blocked: with nothing to accept (or another process of the
 * same socket, spawn-fcgi -F N, took it) it returns -EAGAIN and the loop
 * waits in ppoll. Linux gives an accepted socket the blocking mode that
 * libfcgi's reads need. For TCP it also copies the listener's
 * SO_RCVTIMEO and SO_SNDTIMEO to a connection when it is established, so
 * that they bound the reading of its parameters too (not for connections
 * that were waiting before this, nor on a unix socket: those get them
 * after FCGX_Accept_r, for the body and the answer).
 */
static bool
prepare_listener(int lfd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int flags;

	sa.ss_family = AF_UNSPEC;
	if (getsockname(lfd, (struct sockaddr *)&sa, &len) != 0 ||
	    (flags = fcntl(lfd, F_GETFL)) < 0 ||
	    fcntl(lfd, F_SETFL, flags | O_NONBLOCK) != 0 || !set_timeouts(lfd)) {
		log_msg("FastCGI: cannot set up the listening socket: %s",
		    strerror(errno));
		return false;
	}
	return web_server_addrs_usable(sa.ss_family);
}

static bool
accept_error_is_shortage(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Serves until a signal asks to stop (0) or accepting fails for good (1). */
static int
accept_loop(FCGX_Request *req, int lfd, struct config **cfg, const char *path,
    const sigset_t *ours, const sigset_t *idle)
{
	int rc;

	for (;;) {
		take_pending_signals(ours);
		if (stop_requested)
			return 0;
		if (reload_requested) {
			reload_requested = 0;
			reload(cfg, path);
		}
		/* Idle on a kept connection: libfcgi would wait in read(2). */
		if (req->ipcFd >= 0 && !wait_readable(req->ipcFd, idle))
			continue;
		rc = FCGX_Accept_r(req);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			(void)wait_readable(lfd, idle);
			continue;
		}
		if (rc < 0 && accept_error_is_shortage(-rc)) {
			log_msg("FastCGI: accept: %s", strerror(-rc));
			/* Out of descriptors or memory: give the others time. */
			(void)poll(NULL, 0, 100);
			continue;
		}
		if (rc < 0) {
			log_msg("FastCGI: accepting a request failed (%d: %s)", rc,
			    rc > -4096 ? strerror(-rc) : "libfcgi");
			return 1;
		}
		if (!set_timeouts(req->ipcFd))
			log_msg("FastCGI: cannot set the connection's timeouts: %s",
			    strerror(errno));
		serve_request(req, *cfg);
	}
}

int
serve_fastcgi(int lfd, struct config **cfg, const char *path)
{
	FCGX_Request req;
	sigset_t ours, saved, idle;
	int status;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, lfd, 0) != 0) {
		log_msg("cannot initialise libfcgi");
		return 1;
	}
	/* After FCGX_Init, which installs its own where ours should be. */
	install_signals(&ours);
	if (!prepare_listener(lfd))
		return 1;
	sigprocmask(SIG_BLOCK, &ours, &saved);
	/* Let in while idle even when blocked on entry (inherited through exec). */
	idle = saved;
	sigdelset(&idle, SIGTERM);
	sigdelset(&idle, SIGINT);
	sigdelset(&idle, SIGHUP);
	sigdelset(&idle, SIGUSR1);
	log_msg("serving FastCGI with %s", path);
	status = accept_loop(&req, lfd, cfg, path, &ours, &idle);
	/* A kept connection, idle: closed. */
	FCGX_Free(&req, 1);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return status;
}
