/* main: options, start-up, then FastCGI (src/serve.c) or one plain CGI request. */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "serve.h"
#include "service.h"

/* ---- plain CGI: one request from the environment and stdin ---- */

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static char **
cgi_envp(void *ctx)
{
	(void)ctx;
	return environ;
}

static int
cgi_read(void *ctx, char *buf, int len)
{
	ssize_t n;

	(void)ctx;
	do
		n = read(STDIN_FILENO, buf, (size_t)len);
	while (n < 0 && errno == EINTR);
	return (int)n;
}

static bool
cgi_write(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	return fwrite(data, 1, len, stdout) == len;
}

static int
serve_cgi(const struct config *cfg)
{
	struct request_source src = {cgi_param, cgi_read, NULL, cgi_envp};
	struct request req;
	bool ok;

	request_init(&req, cfg, &src);
	service_handle(&req);
	ok = respond_write(&req, cgi_write, NULL);
	request_free(&req);
	return ok && fflush(stdout) == 0 ? 0 : 1;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ST_ASAN 1
#endif

/* Secrets live in this process: no core dumps, no ptrace by other processes. */
static void
keep_secrets_out_of_dumps(void)
{
#ifndef ST_ASAN
	/* LeakSanitizer must ptrace this process, so sanitizer builds skip it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

/* Says where the secrets of the configuration just loaded live. */
static void
report_secure_heap(int started, size_t size, const struct config *cfg)
{
	if (started == 1)
		log_msg("secrets of %zu key%s in a %zu KB secure heap", cfg->nkeys,
		    cfg->nkeys == 1 ? "" : "s", size / 1024);
	else if (started == 2)
		log_msg("secure heap of %zu KB could not be locked in memory "
		    "(RLIMIT_MEMLOCK): secrets may be swapped", size / 1024);
	else
		log_msg("no secure heap could be made: secrets are in ordinary "
		    "memory");
	if (started != 0 && !key_secrets_in_secure_heap(cfg))
		log_msg("the secure heap of %zu KB is full: some secrets are in "
		    "ordinary memory", size / 1024);
}

/*
 * Loads the configuration with its secrets in OpenSSL's secure heap, sized
 * for the keys it names: when the first size is too small, the heap is
 * made again at the right size and the file read a second time.
 */
static struct config *
load_into_secure_heap(const char *path, char *err, size_t errlen)
{
	size_t size = key_secure_heap_size(0);
	int started = key_secure_heap_start(size), tries;
	struct config *cfg = config_load(path, err, errlen);

	/*
	 * Too small for twice these keys (a reload holds two configurations),
	 * or secrets went to the ordinary heap: made again, larger.
	 */
	for (tries = 0; cfg != NULL && started != 0 && tries < 3 &&
	    (key_secure_heap_size(cfg->nkeys) > size ||
	    !key_secrets_in_secure_heap(cfg)); tries++) {
		size = key_secure_heap_size(cfg->nkeys) > 2 * size ?
		    key_secure_heap_size(cfg->nkeys) : 2 * size;
		config_free(cfg);
		started = key_secure_heap_start(size);
		cfg = config_load(path, err, errlen);
	}
	if (cfg != NULL)
		report_secure_heap(started, size, cfg);
	return cfg;
}

/* After the keys are read: root is needed for nothing else. */
static bool
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL)
		return true;
	pw = getpwnam(user);
	if (pw == NULL) {
		fprintf(stderr, "streamtoken: -u %s: no such user\n", user);
		return false;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "streamtoken: -u %s: cannot switch user: %s\n", user,
		    strerror(errno));
		return false;
	}
	/* Make sure there is no way back. */
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		fprintf(stderr, "streamtoken: -u %s: root could be regained\n", user);
		return false;
	}
	/*
	 * prctl(2): a change of uid resets "dumpable" to fs.suid_dumpable,
	 * which may be 1: set it again.
	 */
	keep_secrets_out_of_dumps();
	return true;
}

static int
serve(const char *opt_path, const char *user)
{
	const char *path = config_default_path(opt_path);
	struct config *cfg;
	char err[1024];
	int status;

	keep_secrets_out_of_dumps();
	/* Nothing is served on a bad configuration. */
	cfg = load_into_secure_heap(path, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!drop_privileges(user)) {
		config_free(cfg);
		return 1;
	}
	if (serve_is_listener(STDIN_FILENO)) {
		status = serve_fastcgi(STDIN_FILENO, &cfg, path);
	} else if (getenv("REQUEST_METHOD") != NULL) {
		status = serve_cgi(cfg);
	} else {
		fprintf(stderr, "streamtoken: stdin is not a FastCGI socket and no CGI "
		    "request is set; see streamtoken --help\n");
		status = 2;
	}
	config_free(cfg);
	return status;
}

/* SPEC 5: output that could not be written is an error (gen-secret > /dev/full). */
static int
finish_output(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "streamtoken: cannot write the output: %s\n",
		    strerror(errno));
		return status == 0 ? 1 : status;
	}
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"user", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *path = NULL, *user = NULL;
	int c, status;

	if (!key_init()) {
		fprintf(stderr, "streamtoken: cannot initialise OpenSSL\n");
		return 1;
	}
	if (argc > 1 && argv[1][0] != '-') {
		status = cli_run(argc - 1, argv + 1);
		if (status >= 0)
			return finish_output(status);
		fprintf(stderr, "streamtoken: unknown command %s\n", argv[1]);
		cli_usage(stderr);
		return 2;
	}
	while ((c = getopt_long(argc, argv, "c:u:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'h':
			cli_usage(stdout);
			return finish_output(0);
		case 'V':
			printf("streamtoken %s\n", PACKAGE_VERSION);
			return finish_output(0);
		default:
			cli_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		cli_usage(stderr);
		return 2;
	}
	return serve(path, user);
}
