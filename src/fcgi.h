/*
 * fcgi: the application side of FastCGI 1.0 (responder and authorizer
 * roles), one request at a time, as a web server's spawned process or a
 * spawn-fcgi child sees it: a listening socket on fd 0.
 */
#ifndef ST_FCGI_H
#define ST_FCGI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct fcgi;

/* True when fd is a listening socket, which is how FastCGI starts a program. */
bool fcgi_is_listener(int fd);

/*
 * A server on the listening socket lfd (-1: only adopted connections).
 * Reads FCGI_WEB_SERVER_ADDRS, as libfcgi does. NULL without memory.
 */
struct fcgi *fcgi_new(int lfd);
void fcgi_free(struct fcgi *f);

/*
 * The next request, its parameters read and its body not yet: 1. Returns 0
 * once *stop is set (looked at between requests, never in one nor between
 * accepting a connection and reading its request), -1 when the listening
 * socket fails. While it waits for a connection or on an idle kept one,
 * SIGTERM and SIGINT are let through; their handler should set *stop.
 */
int fcgi_accept(struct fcgi *f, volatile sig_atomic_t *stop);

/*
 * For tests and the fuzzer: serve the connected socket fd (fcgi_finish or
 * fcgi_free closes it), and read its next request: 1 a request, 0 when the
 * connection ended or broke.
 */
void fcgi_adopt(struct fcgi *f, int fd);
int fcgi_next(struct fcgi *f);

/*
 * Silence tolerated within a request (reading it, sending the answer)
 * before the connection is closed and logged: 30 s unless set (tests).
 */
void fcgi_set_io_timeout(struct fcgi *f, int ms);

/* The request's parameters: by name (NULL when absent), or all as "NAME=value". */
const char *fcgi_param(const struct fcgi *f, const char *name);
char **fcgi_envp(const struct fcgi *f);

/* Body bytes (FCGI_STDIN): the count, 0 at the end, -1 when aborted or broken. */
int fcgi_read(struct fcgi *f, char *buf, int len);

/* Response bytes (FCGI_STDOUT), buffered; false once the connection broke. */
bool fcgi_write(struct fcgi *f, const char *data, size_t len);

/*
 * Sends what is buffered and FCGI_END_REQUEST, in one write for a common
 * response, and closes the connection unless the web server asked to keep
 * it. False when the answer could not be delivered.
 */
bool fcgi_finish(struct fcgi *f);

#endif
