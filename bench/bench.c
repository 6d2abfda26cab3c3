/*
 * bench: in-process figures of issue 5, on one core and without I/O.
 *
 *   issue       the issuing pipeline: CGI params + a ~150-byte JSON-RPC body
 *               + bearer header -> service_handle() -> respond_write() into
 *               memory, the per-request log line formatted into memory; a
 *               second row also writes the line to /dev/null
 *   authorize   the FastCGI Authorizer request through service_handle(),
 *               with a token verified before (a player's next segment)
 *   decide      the verification decision check_decide() for a URL + token
 *               verified before (from the verified-token cache)
 *   verify      the same decision with full verification: MAC, claims
 *               (the configuration's cache left out), as for a new token
 *   load        config_load() time and VmRSS for 10, 10,000 and 100,000
 *               streams, each in a fresh child process
 *   scale       the issuing pipeline with 100,000 streams against 10
 *   revoke      the decision for a token seen before, against no revocation
 *               file and against one of 100,000 revoked jtis, alternating
 *               (issue 13: a hash lookup, within 5 % of none)
 *   ip          the authorizer request with a token and with one bound to
 *               the viewer's address (issue 13: under 1 %)
 *   pkey        issuing with an EdDSA and an ES256 key, the authorizer with
 *               an EdDSA token seen before and never seen, and the
 *               verification decision of a never-seen EdDSA or ES256 token
 *               (no cache): compare with `openssl speed ed25519 ecdsap256`,
 *               which scripts/bench runs beside it
 *
 * Every figure is the median of --runs runs (default 21), the best run
 * beside it. A run lasts about --seconds (default 0.05) unless -n fixes the
 * iterations, which is what you want under valgrind --tool=callgrind: the
 * timed loops are the functions loop_issue, loop_decide, so
 *   valgrind --tool=callgrind --toggle-collect=loop_issue \
 *       bench/bench --only issue -n 20000 --runs 1
 * counts the instructions of 40,000 requests (both issue rows) and nothing
 * else.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "check.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "revoke.h"
#include "service.h"
#include "token.h"

#define RUNS_MAX 51
#define BEARER "bench-api-token-0123456789abcdef"
#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef"

/* Options. */
/*
 * Many short runs: on a shared machine a neighbour's burst spoils a run or
 * two, not the median, and the best run shows the code's own speed.
 */
static int opt_runs = 21;
static double opt_seconds = 0.05;
static long opt_iterations;		/* 0: calibrate to opt_seconds */
static const char *opt_only;		/* NULL: every benchmark */
static bool opt_quick;
static long opt_streams = 10;		/* streams of the issue/decide/authorize config */

static char tmpdir[PATH_MAX];
static int saved_stderr = -1;

/* ---- small helpers ---- */

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool
wanted(const char *name)
{
	return opt_only == NULL || strcmp(opt_only, name) == 0;
}

static void
die(const char *what)
{
	if (saved_stderr >= 0)
		dup2(saved_stderr, STDERR_FILENO);
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

/* The per-request log lines go to /dev/null while a loop is timed. */
static void
quiet_stderr(bool on)
{
	int fd;

	if (on) {
		fflush(stderr);
		saved_stderr = dup(STDERR_FILENO);
		fd = open("/dev/null", O_WRONLY);
		if (saved_stderr < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			die("cannot redirect stderr to /dev/null");
		close(fd);
	} else if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

/* VmRSS or VmHWM of this process, in kB. */
static long
proc_status_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return kb;
}

static void
write_file(const char *name, const char *data, size_t len, mode_t mode,
    char *path, size_t cap)
{
	int fd;

	if (snprintf(path, cap, "%s/%s", tmpdir, name) >= (int)cap)
		die("path too long");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0)
		die("cannot write a file in the temp dir");
	close(fd);
}

static void
stream_name(char *out, size_t cap, long i)
{
	snprintf(out, cap, "stream-%06ld", i);
}

/*
 * An INI file with nstreams exact [stream] sections, the key file beside it
 * (mode 0600: SPEC 4 refuses a key every user may read) and one client.
 */
/* The [key main] lines for alg: an HS256 secret, or a new PEM key file. */
static void
write_key(enum key_alg alg, FILE *fp)
{
	char keypath[PATH_MAX], err[512];

	if (alg == ALG_HS256) {
		write_file("bench.key", SECRET "\n", sizeof(SECRET), 0600, keypath,
		    sizeof(keypath));
		fprintf(fp, "[key main]\nalgorithm = HS256\nsecret_file = %s\n\n",
		    keypath);
		return;
	}
	if (snprintf(keypath, sizeof(keypath), "%s/bench-%s.pem", tmpdir,
	    config_alg_name(alg)) >= (int)sizeof(keypath))
		die("path too long");
	(void)unlink(keypath);
	if (!key_generate_file(alg, keypath, err, sizeof(err)))
		die(err);
	fprintf(fp, "[key main]\nalgorithm = %s\nprivate_key_file = %s\n\n",
	    config_alg_name(alg), keypath);
}

static void
make_config_for(enum key_alg alg, long nstreams, char *path, size_t cap)
{
	unsigned char digest[32];
	char name[64], hex[65];
	unsigned int dlen = 0;
	FILE *fp;
	long i;
	int j;

	if (!EVP_Digest(BEARER, sizeof(BEARER) - 1, digest, &dlen, EVP_sha256(),
	    NULL))
		die("sha256 failed");
	for (j = 0; j < 32; j++)
		snprintf(hex + 2 * j, 3, "%02x", digest[j]);
	snprintf(name, sizeof(name), "streams-%ld-%s.ini", nstreams,
	    config_alg_name(alg));
	if (snprintf(path, cap, "%s/%s", tmpdir, name) >= (int)cap)
		die("path too long");
	fp = fopen(path, "w");
	if (fp == NULL)
		die("cannot write the INI file");
	fprintf(fp, "[server]\nissuer = media.example.com\ndefault_ttl = 3600\n"
	    "max_ttl = 86400\nallow_unlimited = no\n\n");
	write_key(alg, fp);
	fprintf(fp, "[client backend]\ntoken_sha256 = %s\nstreams = *\n\n", hex);
	for (i = 0; i < nstreams; i++) {
		stream_name(name, sizeof(name), i);
		fprintf(fp, "[stream %s]\naccess = private\nallow = live, dvr, copy\n"
		    "max_ttl = 86400\n\n", name);
	}
	if (fclose(fp) != 0)
		die("cannot write the INI file");
}

static void
make_config(long nstreams, char *path, size_t cap)
{
	make_config_for(ALG_HS256, nstreams, path, cap);
}

static struct config *
load_or_die(const char *path)
{
	char err[1024];
	struct config *cfg = config_load(path, err, sizeof(err));

	if (cfg == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	return cfg;
}

/* ---- a request source over a fixed parameter table, like FCGX_GetParam ---- */

struct fake {
	const char *const *params;	/* name, value, ..., NULL */
	const char *body;
	size_t body_len, pos;
	/* The same parameters as "NAME=value", as FCGX_Request.envp has them. */
	char *envp[21];
	char env_mem[4096];
};

/* Sets the parameters and their envp (set the values first). */
static void
fake_set_params(struct fake *f, const char *const *params)
{
	size_t i, n = 0, used = 0;
	int len;

	f->params = params;
	for (i = 0; params[i] != NULL; i += 2) {
		len = snprintf(f->env_mem + used, sizeof(f->env_mem) - used, "%s=%s",
		    params[i], params[i + 1]);
		if (n + 1 >= sizeof(f->envp) / sizeof(f->envp[0]) || len < 0 ||
		    (size_t)len >= sizeof(f->env_mem) - used)
			die("too many fake parameters");
		f->envp[n++] = f->env_mem + used;
		used += (size_t)len + 1;
	}
	f->envp[n] = NULL;
}

static char **
fake_envp(void *ctx)
{
	return ((struct fake *)ctx)->envp;
}

static const char *
fake_param(void *ctx, const char *name)
{
	const struct fake *f = ctx;
	size_t i;

	for (i = 0; f->params[i] != NULL; i += 2)
		if (strcmp(f->params[i], name) == 0)
			return f->params[i + 1];
	return NULL;
}

static int
fake_read(void *ctx, char *buf, int len)
{
	struct fake *f = ctx;
	size_t n = f->body_len - f->pos;

	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, f->body + f->pos, n);
	f->pos += n;
	return (int)n;
}

/* The response bytes, in memory. */
static char out_mem[16384];
static size_t out_len;

static bool
mem_write(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	if (out_len + len > sizeof(out_mem))
		return false;
	memcpy(out_mem + out_len, data, len);
	out_len += len;
	return true;
}

/* One request through the whole pipeline, as main.c's accept loop runs it. */
static void
one_request(const struct config *cfg, struct fake *f)
{
	struct request_source src = {fake_param, fake_read, f, fake_envp};
	struct request req;

	f->pos = 0;
	out_len = 0;
	request_init(&req, cfg, &src);
	service_handle(&req);
	respond_write(&req, mem_write, NULL);
	request_free(&req);
}

/* ---- the benchmarks ---- */

struct issue_case {
	char uri[TOKEN_MAX_LEN + 256];	/* the authorizer's REQUEST_URI */
	char body[512];
	char length[16];
	const char *params[40];
	struct fake fake;
};

/* The CGI parameters lighttpd sends for a POST to /api/, and the body. */
static void
issue_case_init(struct issue_case *c, const char *stream)
{
	int n = snprintf(c->body, sizeof(c->body),
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":{\"stream\":\"%s\",\"ttl\":3600,\"live\":true,"
	    "\"dvr\":true,\"copy\":false},\"id\":1}", stream);
	const char *p[] = {
		"CONTENT_LENGTH", c->length,
		"CONTENT_TYPE", "application/json",
		"QUERY_STRING", "",
		"REQUEST_URI", "/api/",
		"REQUEST_METHOD", "POST",
		"SCRIPT_NAME", "/api/",
		"SERVER_PROTOCOL", "HTTP/1.1",
		"GATEWAY_INTERFACE", "CGI/1.1",
		"SERVER_SOFTWARE", "lighttpd/1.4",
		"REMOTE_ADDR", "127.0.0.1",
		"REMOTE_PORT", "40000",
		"SERVER_ADDR", "127.0.0.1",
		"SERVER_PORT", "8080",
		"HTTP_HOST", "127.0.0.1:8080",
		"HTTP_CONTENT_TYPE", "application/json",
		"HTTP_AUTHORIZATION", "Bearer " BEARER,
		NULL
	};

	snprintf(c->length, sizeof(c->length), "%d", n);
	memcpy(c->params, p, sizeof(p));
	fake_set_params(&c->fake, c->params);
	c->fake.body = c->body;
	c->fake.body_len = (size_t)n;
}

/* The timed loops; noinline so that callgrind --toggle-collect finds them. */
__attribute__((noinline)) void loop_issue(const struct config *, struct fake *,
    long);
__attribute__((noinline)) void loop_decide(const struct config *, const char *,
    const char *, int64_t, long);

__attribute__((noinline)) void
loop_issue(const struct config *cfg, struct fake *f, long n)
{
	while (n-- > 0)
		one_request(cfg, f);
}

__attribute__((noinline)) void
loop_decide(const struct config *cfg, const char *uri, const char *token,
    int64_t now, long n)
{
	struct check_result res;

	while (n-- > 0)
		check_decide(cfg, uri, token, now, &res);
}

struct result {
	const char *name;
	double ns_op;		/* median */
	double ns_min, ns_max;
	long iterations;
};

static struct result results[24];
static int nresults;

enum kind { K_ISSUE, K_DECIDE };

struct job {
	enum kind kind;
	bool log_write;			/* K_ISSUE: log lines to stderr, not memory */
	const struct config *cfg;
	struct fake *fake;		/* K_ISSUE */
	const char *uri, *token;	/* K_DECIDE */
	int64_t now;
};

/* The log lines of the I/O-free rows: formatted, kept, never written. */
static char log_mem[512];
static size_t log_bytes;

static void
log_to_memory(const char *line, size_t len)
{
	memcpy(log_mem, line, len < sizeof(log_mem) ? len : sizeof(log_mem));
	log_bytes += len;
}

static void
run_job(const struct job *j, long n)
{
	if (j->kind == K_ISSUE) {
		log_set_writer(j->log_write ? NULL : log_to_memory);
		loop_issue(j->cfg, j->fake, n);
		log_set_writer(NULL);
	} else {
		loop_decide(j->cfg, j->uri, j->token, j->now, n);
	}
}

static long
calibrate(const struct job *j)
{
	double t;
	long n;

	if (opt_iterations > 0)
		return opt_iterations;
	/* Warm up and calibrate: double until a batch takes 20 ms. */
	for (n = 64;; n *= 2) {
		t = now_sec();
		run_job(j, n);
		t = now_sec() - t;
		if (t > 0.02)
			break;
	}
	return (long)((double)n * opt_seconds / t) + 1;
}

/*
 * Median ns/op of opt_runs runs of about opt_seconds each. With several
 * jobs the runs alternate (a b a b ...), so that drift on a busy machine
 * hits each of them alike.
 */
static void
measure_jobs(const char *const *names, const struct job *jobs, int njobs)
{
	double ns[4][RUNS_MAX], t;
	long n[4];
	int r, k;

	quiet_stderr(true);
	for (k = 0; k < njobs; k++)
		n[k] = calibrate(&jobs[k]);
	for (r = 0; r < opt_runs; r++)
		for (k = 0; k < njobs; k++) {
			t = now_sec();
			run_job(&jobs[k], n[k]);
			ns[k][r] = (now_sec() - t) * 1e9 / (double)n[k];
		}
	quiet_stderr(false);
	for (k = 0; k < njobs; k++) {
		struct result *res = &results[nresults++];

		res->name = names[k];
		res->iterations = n[k];
		res->ns_min = res->ns_max = ns[k][0];
		for (r = 1; r < opt_runs; r++) {
			if (ns[k][r] < res->ns_min)
				res->ns_min = ns[k][r];
			if (ns[k][r] > res->ns_max)
				res->ns_max = ns[k][r];
		}
		res->ns_op = median(ns[k], opt_runs);
	}
}

static void
measure(const char *name, const struct job *j)
{
	measure_jobs(&name, j, 1);
}

static void
expect_status(const char *what, int status)
{
	const char *p = strstr(out_mem, "Status: ");

	out_mem[out_len < sizeof(out_mem) ? out_len : sizeof(out_mem) - 1] = '\0';
	if (p == NULL || atoi(p + 8) != status) {
		fprintf(stderr, "bench: %s: expected status %d, got:\n%s\n", what,
		    status, out_mem);
		exit(1);
	}
}

/* Issues one token and returns it (malloc'ed), checking the response. */
static char *
issue_token(const struct config *cfg, struct issue_case *c)
{
	char *start, *end;

	quiet_stderr(true);
	one_request(cfg, &c->fake);
	quiet_stderr(false);
	expect_status("issuing", 200);
	start = strstr(out_mem, "\"result\":\"");
	if (start == NULL)
		die("issuing: no result in the response");
	start += 10;
	end = strchr(start, '"');
	if (end == NULL)
		die("issuing: unterminated result");
	return strndup(start, (size_t)(end - start));
}

static void
print_row(const struct result *r)
{
	printf("  %-44s %10.0f %10.0f %9.1f   [%.1f .. %.1f] x%ld\n", r->name,
	    1e9 / r->ns_op, 1e9 / r->ns_min, r->ns_op, r->ns_min, r->ns_max,
	    r->iterations);
}

/*
 * Issue 13: the cached decision with no revocation file, and with one of
 * 100,000 revoked jtis (none of them this token's), in alternating runs.
 */
static void
bench_revoke(const struct config *cfg, const char *uri, const char *token)
{
	static const char *const names[] = {
		"revoke: decide, seen before, no revocations",
		"revoke: decide, seen before, 100,000 revoked"
	};
	static struct config with;
	char path[PATH_MAX], err[512];
	int64_t now = (int64_t)time(NULL);
	struct job jobs[2];
	FILE *fp;
	int i;

	if (snprintf(path, sizeof(path), "%.*s/revoked", PATH_MAX - 16, tmpdir) < 0)
		die("cannot name the revocation file");
	fp = fopen(path, "w");
	if (fp == NULL)
		die("cannot write the revocation file");
	for (i = 0; i < 100000; i++)
		fprintf(fp, "jti revoked-%08d %lld\n", i, (long long)now);
	if (fclose(fp) != 0)
		die("cannot write the revocation file");
	with = *cfg;
	with.revoke = revoke_open(path, now, err, sizeof(err));
	if (with.revoke == NULL || revoke_count(with.revoke) != 100000)
		die("cannot read the revocation file");
	jobs[0] = (struct job){K_DECIDE, false, cfg, NULL, uri, token, now};
	jobs[1] = (struct job){K_DECIDE, false, &with, NULL, uri, token, now};
	measure_jobs(names, jobs, 2);
	print_row(&results[nresults - 2]);
	print_row(&results[nresults - 1]);
	revoke_free(with.revoke);
}

/* An Authorizer request for uri with token in ?token=, answered 200 once. */
static void
authorizer_case_init(struct issue_case *c, const struct config *cfg,
    const char *uri, const char *token)
{
	const char *ap[] = {
		"FCGI_ROLE", "AUTHORIZER",
		"REQUEST_METHOD", "GET",
		"REQUEST_URI", c->uri,
		"QUERY_STRING", "",	/* set below */
		"SERVER_PROTOCOL", "HTTP/1.1",
		"REMOTE_ADDR", "127.0.0.1",
		"HTTP_HOST", "127.0.0.1:8080",
		NULL
	};

	memset(c, 0, sizeof(*c));
	snprintf(c->uri, sizeof(c->uri), "%s?token=%s", uri, token);
	ap[7] = strchr(c->uri, '?') + 1;
	memcpy(c->params, ap, sizeof(ap));
	fake_set_params(&c->fake, c->params);
	c->fake.body = "";
	quiet_stderr(true);
	one_request(cfg, &c->fake);
	quiet_stderr(false);
	expect_status("authorizer", 200);
}

/*
 * Issue 13: the authorizer request (REMOTE_ADDR 127.0.0.1) with the token
 * and with the same grant bound to 127.0.0.1, in alternating runs.
 */
static void
bench_ip(const struct config *cfg, const char *uri, const char *token)
{
	static const char *const names[] = {
		"ip: authorize, token not bound",
		"ip: authorize, token bound to the viewer"
	};
	static struct issue_case plain, bound;
	struct claims c;
	struct job jobs[2];
	struct buf b;

	if (token_verify(cfg, token, strlen(token), (int64_t)time(NULL), &c) !=
	    TOKEN_VALID)
		die("ip: the token does not verify");
	snprintf(c.ip, sizeof(c.ip), "127.0.0.1");
	buf_init(&b);
	if (!token_sign(cfg->signing_key, cfg->issuer, &c, &b) || b.data == NULL)
		die("ip: cannot sign the bound token");
	authorizer_case_init(&plain, cfg, uri, token);
	authorizer_case_init(&bound, cfg, uri, b.data);
	buf_free(&b);
	jobs[0] = (struct job){K_ISSUE, false, cfg, &plain.fake, NULL, NULL, 0};
	jobs[1] = (struct job){K_ISSUE, false, cfg, &bound.fake, NULL, NULL, 0};
	measure_jobs(names, jobs, 2);
	print_row(&results[nresults - 2]);
	print_row(&results[nresults - 1]);
}

/*
 * Issuing with an EdDSA or ES256 key, the authorizer with a token of that
 * key seen before and never seen (EdDSA; the cache left out), and the
 * verification decision of a never-seen token.
 */
static void
bench_pkey(enum key_alg alg)
{
	static struct issue_case ic, authz;
	static struct config nocache;
	bool ed = alg == ALG_EDDSA;
	char path[PATH_MAX], name[64], uri[256];
	struct config *cfg;
	struct job job;
	char *token;

	make_config_for(alg, 10, path, sizeof(path));
	cfg = load_or_die(path);
	stream_name(name, sizeof(name), 9);
	issue_case_init(&ic, name);
	token = issue_token(cfg, &ic);
	snprintf(uri, sizeof(uri), "/%s/index.m3u8", name);
	nocache = *cfg;		/* a shallow copy without the cache */
	nocache.tokcache = NULL;

	job = (struct job){K_ISSUE, false, cfg, &ic.fake, NULL, NULL, 0};
	measure(ed ? "pkey: issue EdDSA, service_handle+respond_write" :
	    "pkey: issue ES256, service_handle+respond_write", &job);
	print_row(&results[nresults - 1]);
	job = (struct job){K_DECIDE, false, &nocache, NULL, uri, token,
	    (int64_t)time(NULL)};
	measure(ed ? "pkey: verify EdDSA, never seen (check_decide)" :
	    "pkey: verify ES256, never seen (check_decide)", &job);
	print_row(&results[nresults - 1]);
	if (ed) {
		authorizer_case_init(&authz, cfg, uri, token);
		job = (struct job){K_ISSUE, false, cfg, &authz.fake, NULL, NULL, 0};
		measure("pkey: authorize EdDSA, token seen before", &job);
		print_row(&results[nresults - 1]);
		job.cfg = &nocache;
		measure("pkey: authorize EdDSA, token never seen", &job);
		print_row(&results[nresults - 1]);
	}
	free(token);
	config_free(cfg);
}

/* ---- config load, each measurement in a fresh process ---- */

struct load_figures {
	double ms;
	long rss_before_kb, rss_after_kb, hwm_kb;
};

/* The child: a fresh exec of this program with --load-child PATH. */
static int
load_child(const char *path)
{
	struct load_figures f;
	struct config *cfg;
	double t;

	f.rss_before_kb = proc_status_kb("VmRSS");
	t = now_sec();
	cfg = load_or_die(path);
	f.ms = (now_sec() - t) * 1e3;
	f.rss_after_kb = proc_status_kb("VmRSS");
	f.hwm_kb = proc_status_kb("VmHWM");
	printf("%.3f %ld %ld %ld\n", f.ms, f.rss_before_kb, f.rss_after_kb,
	    f.hwm_kb);
	config_free(cfg);
	return 0;
}

static bool
run_load_child(const char *self, const char *path, struct load_figures *f)
{
	int fds[2], status;
	char buf[256];
	ssize_t n;
	pid_t pid;
	FILE *fp;
	bool ok;

	if (pipe(fds) != 0)
		return false;
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(self, self, "--load-child", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	fp = fdopen(fds[0], "r");
	n = fp != NULL && fgets(buf, sizeof(buf), fp) != NULL;
	if (fp != NULL)
		fclose(fp);
	waitpid(pid, &status, 0);
	ok = n && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    sscanf(buf, "%lf %ld %ld %ld", &f->ms, &f->rss_before_kb,
	    &f->rss_after_kb, &f->hwm_kb) == 4;
	return ok;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static long
median_long(long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_long);
	return v[n / 2];
}

static void
bench_load(const char *self, const long *sizes, int nsizes)
{
	char path[PATH_MAX];
	struct load_figures f;
	double ms[RUNS_MAX];
	long before[RUNS_MAX], after[RUNS_MAX], hwm[RUNS_MAX];
	int i, r;

	printf("\nconfig_load (each run in a fresh process; median of %d)\n",
	    opt_runs);
	printf("  %-10s %10s %12s %12s %12s %12s\n", "streams", "load ms",
	    "RSS before", "RSS after", "RSS growth", "peak (HWM)");
	for (i = 0; i < nsizes; i++) {
		make_config(sizes[i], path, sizeof(path));
		for (r = 0; r < opt_runs; r++) {
			if (!run_load_child(self, path, &f))
				die("the config_load child failed");
			ms[r] = f.ms;
			before[r] = f.rss_before_kb;
			after[r] = f.rss_after_kb;
			hwm[r] = f.hwm_kb;
		}
		{
			long b = median_long(before, opt_runs);
			long a = median_long(after, opt_runs);
			printf("  %-10ld %10.2f %9.1f MB %9.1f MB %9.1f MB %9.1f MB\n",
			    sizes[i], median(ms, opt_runs), b / 1024.0, a / 1024.0,
			    (a - b) / 1024.0, median_long(hwm, opt_runs) / 1024.0);
		}
	}
}

/* ---- the temp dir ---- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
cleanup(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: bench [--quick] [--runs N] [--seconds S] [-n ITERATIONS]\n"
	    "             [--only issue|authorize|decide|verify|revoke|ip|pkey|scale|load]\n"
	    "             [--streams N]\n"
	    "In-process figures of the issuing pipeline, the verification\n"
	    "decision and config_load: the median and the best of --runs runs\n"
	    "(default 21) of --seconds each (default 0.05).\n"
	    "--streams N: the configuration of issue, decide and authorize\n"
	    "(default 10). Instruction counts on a busy machine:\n"
	    "  valgrind --tool=callgrind --toggle-collect=loop_issue \\\n"
	    "      bench/bench --only issue -n 20000 --runs 1 [--streams 100000]\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"quick", no_argument, NULL, 'q'},
		{"runs", required_argument, NULL, 'r'},
		{"seconds", required_argument, NULL, 's'},
		{"iterations", required_argument, NULL, 'n'},
		{"only", required_argument, NULL, 'o'},
		{"streams", required_argument, NULL, 'S'},
		{"load-child", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	static const long sizes[] = {10, 10000, 100000};
	char path10[PATH_MAX], path_big[PATH_MAX], path_main[PATH_MAX];
	char name[64], uri[256], label[96];
	const char *tmp, *self = "/proc/self/exe";
	struct issue_case small, big, authz, main_case;
	struct config *cfg10, *cfg_big = NULL, *cfg;
	struct job job;
	char *token;
	int c;

	while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			opt_quick = true;
			break;
		case 'r':
			opt_runs = atoi(optarg);
			if (opt_runs < 1 || opt_runs > RUNS_MAX)
				die("--runs must be 1 to 51");
			break;
		case 's':
			opt_seconds = atof(optarg);
			break;
		case 'n':
			opt_iterations = atol(optarg);
			break;
		case 'o':
			opt_only = optarg;
			break;
		case 'S':
			opt_streams = atol(optarg);
			if (opt_streams < 1 || opt_streams > 1000000)
				die("--streams must be 1 to 1000000");
			break;
		case 'L':
			return load_child(optarg);
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (opt_quick) {
		opt_runs = opt_runs < 3 ? opt_runs : 3;
		opt_seconds = 0.02;
	}

	tmp = getenv("TMPDIR");
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/st-bench.XXXXXX", tmp) >=
	    (int)sizeof(tmpdir) || mkdtemp(tmpdir) == NULL)
		die("cannot make a temp dir");
	atexit(cleanup);

	printf("streamtoken in-process benchmark: one core, no I/O; "
	    "%d runs of %.2f s:\nops/s and ns/op of the median run, best "
	    "ops/s of the fastest\n", opt_runs, opt_seconds);
	printf("(issuing rows format the per-request log line into memory; the "
	    "second\n issuing row also writes it to /dev/null, as the service "
	    "writes it to stderr)\n\n");
	printf("  %-44s %10s %10s %9s   %s\n", "benchmark", "ops/s",
	    "best ops/s", "ns/op", "[min .. max ns] xiterations per run");

	make_config(10, path10, sizeof(path10));
	cfg10 = load_or_die(path10);
	stream_name(name, sizeof(name), 9);
	issue_case_init(&small, name);

	free(issue_token(cfg10, &small));	/* checks the answer first */
	cfg = cfg10;
	issue_case_init(&main_case, name);
	if (opt_streams != 10) {
		make_config(opt_streams, path_main, sizeof(path_main));
		cfg = load_or_die(path_main);
		stream_name(name, sizeof(name), opt_streams - 1);
		issue_case_init(&main_case, name);
		free(issue_token(cfg, &main_case));
	}
	if (wanted("issue")) {
		snprintf(label, sizeof(label), "issue: service_handle+respond_write (%ld)",
		    opt_streams);
		job = (struct job){K_ISSUE, false, cfg, &main_case.fake, NULL,
		    NULL, 0};
		measure(label, &job);
		print_row(&results[nresults - 1]);
		if (log_bytes == 0)
			die("issuing logged nothing");
		/* The same with the write(2) of the log line the service makes. */
		job.log_write = true;
		measure("issue, with the log line written to /dev/null", &job);
		print_row(&results[nresults - 1]);
	}

	if (wanted("decide") || wanted("authorize") || wanted("verify") ||
	    wanted("revoke") || wanted("ip")) {
		token = issue_token(cfg, &main_case);
		snprintf(uri, sizeof(uri), "/%s/index.m3u8", name);
		{
			struct check_result res;
			check_decide(cfg, uri, token, (int64_t)time(NULL), &res);
			if (res.status != 200) {
				fprintf(stderr, "bench: check_decide: %d %s\n",
				    res.status, res.reason ? res.reason : "");
				return 1;
			}
		}
		if (wanted("decide")) {
			job = (struct job){K_DECIDE, false, cfg, NULL, uri, token,
			    (int64_t)time(NULL)};
			measure("decide: check_decide, token seen before", &job);
			print_row(&results[nresults - 1]);
		}
		if (wanted("verify")) {
			/* A shallow copy without the cache: every call verifies. */
			static struct config nocache;

			nocache = *cfg;
			nocache.tokcache = NULL;
			job = (struct job){K_DECIDE, false, &nocache, NULL, uri, token,
			    (int64_t)time(NULL)};
			measure("verify: check_decide, full verification", &job);
			print_row(&results[nresults - 1]);
		}
		if (wanted("authorize")) {
			/* The same token in ?token=, through the Authorizer role. */
			authorizer_case_init(&authz, cfg, uri, token);
			job = (struct job){K_ISSUE, false, cfg, &authz.fake, NULL,
			    NULL, 0};
			measure("authorize: service_handle (AUTHORIZER role)", &job);
			print_row(&results[nresults - 1]);
		}
		if (wanted("revoke"))
			bench_revoke(cfg, uri, token);
		if (wanted("ip"))
			bench_ip(cfg, uri, token);
		free(token);
	}

	if (wanted("pkey")) {
		bench_pkey(ALG_EDDSA);
		bench_pkey(ALG_ES256);
	}

	if (wanted("scale")) {
		make_config(100000, path_big, sizeof(path_big));
		cfg_big = load_or_die(path_big);
		stream_name(name, sizeof(name), 99999);
		issue_case_init(&big, name);
		free(issue_token(cfg_big, &big));
		{
			/* Alternating runs, so that drift on a busy machine hits both. */
			static const char *const names[] = {
				"scale: issue, 10 streams",
				"scale: issue, 100,000 streams"
			};
			struct job jobs[2] = {
				{K_ISSUE, false, cfg10, &small.fake, NULL, NULL, 0},
				{K_ISSUE, false, cfg_big, &big.fake, NULL, NULL, 0}
			};
			measure_jobs(names, jobs, 2);
			print_row(&results[nresults - 2]);
			print_row(&results[nresults - 1]);
		}
		printf("  %-44s %10.1f%% %9.1f%% (median, best run)\n",
		    "scale: 100,000 vs 10 streams, cost",
		    (results[nresults - 1].ns_op / results[nresults - 2].ns_op -
		    1) * 100, (results[nresults - 1].ns_min /
		    results[nresults - 2].ns_min - 1) * 100);
		config_free(cfg_big);
	}
	if (cfg != cfg10)
		config_free(cfg);
	config_free(cfg10);

	if (wanted("load"))
		bench_load(self, sizes, 3);
	return 0;
}
