/*
 * serve: the FastCGI side on libfcgi: the accept loop, signals between
 * requests, one request's answer and how its connection ends.
 */
#ifndef ST_SERVE_H
#define ST_SERVE_H

#include <stdbool.h>

#include <fcgiapp.h>

#include "config.h"

/* True when fd is a listening socket, which is how FastCGI starts a program. */
bool serve_is_listener(int fd);

/*
 * Silence tolerated while a request is read or its answer written before
 * the connection is given up: 30 s unless set (tests).
 */
void serve_set_io_timeout(int ms);

/*
 * Serves the listening socket lfd until SIGTERM or SIGINT (0) or until the
 * socket fails (1). SIGHUP re-reads path into *cfg between requests.
 * SIGTERM, SIGINT and SIGHUP are let in only while it waits for a
 * request, never within one.
 */
int serve_fastcgi(int lfd, struct config **cfg, const char *path);

/*
 * Answers the request FCGX_Accept_r gave and finishes it (FCGX_Finish_r):
 * the connection stays open when the web server asked to keep it.
 */
void serve_request(FCGX_Request *req, const struct config *cfg);

#endif
