/* unit_alloc: the Nth allocation fails, for every N across a whole request and config_load. */
#include "unit_fixture.h"

/*
 * malloc, calloc and realloc are defined here and forward to glibc's
 * __libc_* entry points, so the allocations of OpenSSL and json-c (strdup
 * included) go through them too. A countdown armed by the test makes
 * exactly the Nth call fail.
 * Each N runs in a forked child: a crash is that N's failure, and under
 * valgrind (this program re-executes itself under it when installed) the
 * child's exit-time leak check turns a definite leak into exit status 1.
 * The child reports what it saw through a shared page.
 *
 * With AddressSanitizer malloc cannot be interposed: the test is skipped.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ST_ALLOC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ST_ALLOC_ASAN 1
#endif

#ifdef ST_ALLOC_ASAN

int
main(void)
{
	(void)tap_case;
	(void)tap_failed_here;
	printf("1..0 # SKIP allocation failure injection cannot interpose malloc under AddressSanitizer\n");
	return 0;
}

#else

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include <json-c/json_c_version.h>

#include "buf.h"
#include "config.h"
#include "request.h"
#include "respond.h"
#include "service.h"
#include "token.h"

/* ---- the allocator hook ---- */

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);

static long alloc_countdown;		/* 0: disarmed; else the call that fails */
static unsigned long alloc_calls;	/* allocation calls since arming */
static bool alloc_hit;			/* the armed failure happened */
static void *alloc_bt[32];		/* where it happened */
static int alloc_bt_len;

/*
 * json-c before 0.18 leaves two allocations of its tokener unchecked: the
 * strdup of a member name (the NULL name is then hashed: a crash) and the
 * strdup of the key in json_object_object_add (the member is dropped
 * silently and its value leaked). json-c 0.18 checks both (upstream
 * issue 857). Built against an older json-c, the sweep fails the next
 * allocation instead of those two; every other one of json-c's is swept.
 */
static bool
unchecked_in_json_c(void *const *bt, int n)
{
#if JSON_C_VERSION_NUM < (18 << 8)
	bool in_strdup = false;
	Dl_info info;
	int i;

	for (i = 1; i < n && i < 6; i++) {
		if (dladdr(bt[i], &info) == 0 || info.dli_sname == NULL)
			continue;
		if (strstr(info.dli_sname, "strdup") != NULL)
			in_strdup = true;
		else if (in_strdup &&
		    strcmp(info.dli_sname, "json_tokener_parse_ex") == 0)
			return true;
	}
#else
	(void)bt;
	(void)n;
#endif
	return false;
}

static bool
alloc_should_fail(void)
{
	if (alloc_countdown == 0)
		return false;
	alloc_calls++;
	if (--alloc_countdown > 0)
		return false;
	/* Disarmed meanwhile: backtrace and dladdr may allocate. */
	alloc_bt_len = backtrace(alloc_bt, 32);
	if (unchecked_in_json_c(alloc_bt, alloc_bt_len)) {
		alloc_countdown = 1;
		return false;
	}
	alloc_hit = true;
	return true;
}

void *
malloc(size_t n)
{
	return alloc_should_fail() ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	return alloc_should_fail() ? NULL : __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	/* A failed realloc leaves p allocated, as C says. */
	return alloc_should_fail() ? NULL : __libc_realloc(p, n);
}

static void
alloc_arm(long n)
{
	alloc_calls = 0;
	alloc_hit = false;
	alloc_bt_len = 0;
	alloc_countdown = n;
}

static void
alloc_disarm(void)
{
	alloc_countdown = 0;
}

/* ---- the child's report, on a page shared with the parent ---- */

enum verdict { V_OK, V_WRONG, V_TOKEN_AFTER_FAILURE };

struct report {
	bool hit;
	enum verdict verdict;
	unsigned long calls;
	char detail[512];
	char where[1024];		/* the failed allocation's callers, one line */
};

static struct report *shared;

/* ---- fixture: configuration, a minted token, requests ---- */

static struct fixture fx;
static struct config *cfg;
static char ini_path[PATH_MAX];
static struct buf minted;		/* a current token for camera-1, for the check */

#define BEARER "alloc-test-token"

struct params {
	const char *const *kv;		/* name, value, ..., NULL */
	const char *body;
	size_t pos;
};

static const char *
src_param(void *ctx, const char *name)
{
	const struct params *p = ctx;
	size_t i;

	for (i = 0; p->kv[i] != NULL; i += 2)
		if (strcmp(p->kv[i], name) == 0)
			return p->kv[i + 1];
	return NULL;
}

static int
src_read(void *ctx, char *out, int len)
{
	struct params *p = ctx;
	size_t n = strlen(p->body + p->pos);

	if ((size_t)len < n)
		n = (size_t)len;
	memcpy(out, p->body + p->pos, n);
	p->pos += n;
	return (int)n;
}

/* The response goes to a fixed buffer: the writer must not allocate. */
static char outbuf[16384];
static size_t outlen;

static bool
out_write(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	if (outlen + len >= sizeof(outbuf))
		return false;
	memcpy(outbuf + outlen, data, len);
	outlen += len;
	outbuf[outlen] = '\0';
	return true;
}

struct scenario {
	const char *name;
	const char *const *kv;
	const char *body;
	bool check;			/* an authorizer check, not issuing */
	const char *todo;		/* a known failure: reported, marked TODO */
	char reference[16384];		/* the answer with no failure, tokens masked */
};

static const char *const issue_kv[] = {
	"REQUEST_METHOD", "POST", "CONTENT_TYPE", "application/json",
	"HTTP_AUTHORIZATION", "Bearer " BEARER, "FCGI_ROLE", "RESPONDER", NULL,
};
static char check_auth[TOKEN_MAX_LEN + 16];
static const char *check_kv[] = {
	"FCGI_ROLE", "AUTHORIZER", "REQUEST_URI", "/camera-1/index-1700000000-60.m3u8",
	"HTTP_AUTHORIZATION", check_auth, NULL,
};

static struct scenario scenarios[] = {
	{"alloc_sweep_single_create", issue_kv,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":{\"stream\":\"camera-1\",\"ttl\":600,\"live\":true,"
	    "\"dvr\":true,\"from\":1700000000,\"to\":1700003600},\"id\":1}",
	    false, NULL, ""},
	{"alloc_sweep_batch", issue_kv,
	    "[{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":[\"cam-7\",60,true],\"id\":\"a\"},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateApiToken\","
	    "\"params\":{\"stream\":\"camera-1\",\"copy\":true},\"id\":2},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":{\"stream\":\"camera-1\"}},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Nope\",\"id\":3},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":{\"stream\":\"camera-1\",\"tll\":5},\"id\":4}]",
	    false, NULL, ""},
	{"alloc_sweep_verify_token", issue_kv, NULL, false, NULL, ""},
	{"alloc_sweep_authorizer_check", check_kv, "", true, NULL, ""},
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))
static char verify_body[TOKEN_MAX_LEN + 256];

/* Replaces each "eyJ..." token (JWT compact form) by "<TOKEN>", in place. */
static void
mask_tokens(char *s)
{
	char *p = s, *q;

	while ((p = strstr(p, "eyJ")) != NULL) {
		q = p;
		while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		    (*q >= '0' && *q <= '9') || *q == '-' || *q == '_' || *q == '.')
			q++;
		memmove(p + 7, q, strlen(q) + 1);
		memcpy(p, "<TOKEN>", 7);
		p += 7;
	}
}

/* A response on one line: CR and LF shown as \r \n. */
static void
escape_into(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	for (; *src != '\0' && n + 3 < cap; src++) {
		if (*src == '\r' || *src == '\n') {
			dst[n++] = '\\';
			dst[n++] = *src == '\r' ? 'r' : 'n';
		} else {
			dst[n++] = *src;
		}
	}
	dst[n] = '\0';
}

/* Runs one request into outbuf; arms the countdown at n (0: never fails). */
static void
run_request(const struct scenario *sc, long n)
{
	struct params p = {sc->kv, sc->body, 0};
	struct request_source src = {src_param, src_read, &p, NULL};
	struct request req;

	outlen = 0;
	outbuf[0] = '\0';
	alloc_arm(n);
	request_init(&req, cfg, &src);
	service_handle(&req);
	respond_write(&req, out_write, NULL);
	request_free(&req);
	alloc_disarm();
}

static const char server_error_body[] =
    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,"
    "\"message\":\"Internal error\"},\"id\":null}";

/* Does every token in s verify, with the key, now? */
static bool
tokens_verify(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "eyJ")) != NULL) {
		struct claims c;
		size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");
		if (token_verify(cfg, p, len, (int64_t)time(NULL), &c) != TOKEN_VALID)
			return false;
		p += len;
	}
	return true;
}

/* Is a batch member of got either the reference's or a -32603 error with its id? */
static bool
batch_acceptable(const char *ref, const char *got)
{
	const char *rb = strstr(ref, "\r\n\r\n["), *gb = strstr(got, "\r\n\r\n[");
	char rm[2048], gm[2048];
	size_t ri = 0, gi = 0;

	if (rb == NULL || gb == NULL || strncmp(ref, got, (size_t)(rb - ref)) != 0)
		return false;
	rb += 5;
	gb += 5;
	/* Members are flat enough to split on "},{" at depth 1. */
	for (;;) {
		const char *re = rb, *ge = gb;
		int depth = 0;

		for (; *re != '\0' && !(depth == 0 && (*re == ',' || *re == ']')); re++)
			depth += (*re == '{' || *re == '[') - (*re == '}' || *re == ']');
		for (; *ge != '\0' && !(depth == 0 && (*ge == ',' || *ge == ']')); ge++)
			depth += (*ge == '{' || *ge == '[') - (*ge == '}' || *ge == ']');
		if ((size_t)(re - rb) >= sizeof(rm) || (size_t)(ge - gb) >= sizeof(gm))
			return false;
		memcpy(rm, rb, (size_t)(re - rb));
		rm[re - rb] = '\0';
		memcpy(gm, gb, (size_t)(ge - gb));
		gm[ge - gb] = '\0';
		if (strcmp(rm, gm) != 0) {
			const char *rid = strstr(rm, ",\"id\":"), *gid = strstr(gm, ",\"id\":");
			if (rid == NULL || gid == NULL || strcmp(rid, gid) != 0 ||
			    strncmp(gm, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,", 40) != 0)
				return false;
		}
		ri++;
		gi++;
		if (*re != ',' || *ge != ',')
			return *re == ']' && *ge == ']';
		rb = re + 1;
		gb = ge + 1;
	}
}

/* The child's judgement of outbuf after the Nth allocation failed. */
static enum verdict
judge(const struct scenario *sc, char *detail, size_t cap)
{
	char masked[sizeof(outbuf)];
	const char *body = strstr(outbuf, "\r\n\r\n");
	bool has_token = strstr(outbuf, "eyJ") != NULL;

	memcpy(masked, outbuf, outlen + 1);
	mask_tokens(masked);
	if (strcmp(masked, sc->reference) == 0)
		return has_token && !tokens_verify(outbuf) ? V_TOKEN_AFTER_FAILURE : V_OK;
	if (strncmp(outbuf, "Status: 500 ", 12) == 0 && body != NULL && !has_token &&
	    strcmp(body + 4, server_error_body) == 0)
		return V_OK;
	if (strncmp(outbuf, "Status: 500 ", 12) == 0 && body != NULL && !has_token &&
	    strstr(body, "\"code\":-32603") != NULL)
		return V_OK;
	/* A check that could not decide refuses: 500 (or 401/403), never a Variable-. */
	if (sc->check && !has_token && (strncmp(outbuf, "Status: 401 ", 12) == 0 ||
	    strncmp(outbuf, "Status: 403 ", 12) == 0 ||
	    strncmp(outbuf, "Status: 500 ", 12) == 0) &&
	    strstr(outbuf, "Variable-") == NULL)
		return V_OK;
	if (!sc->check && sc->body[0] == '[' && batch_acceptable(sc->reference, masked) &&
	    tokens_verify(outbuf))
		return V_OK;
	escape_into(detail, cap, outbuf);
	return has_token ? V_TOKEN_AFTER_FAILURE : V_WRONG;
}

/* ---- the sweep: fork per N ---- */

typedef void (*sweep_fn)(void *arg, long n, struct report *rep);

/* The callers of the failed allocation (symbolise offsets with addr2line). */
static void
record_where(struct report *rep)
{
	char **sym = alloc_bt_len > 0 ? backtrace_symbols(alloc_bt, alloc_bt_len) : NULL;
	size_t n = 0;
	int i;

	rep->where[0] = '\0';
	/* Frame 0 is alloc_should_fail, 1 the malloc wrapper. */
	for (i = 2; sym != NULL && i < alloc_bt_len && i < 12; i++) {
		const char *s = strrchr(sym[i], '/');
		int w = snprintf(rep->where + n, sizeof(rep->where) - n, "%s%s",
		    n > 0 ? " < " : "", s != NULL ? s + 1 : sym[i]);
		if (w < 0 || (size_t)w >= sizeof(rep->where) - n)
			break;
		n += (size_t)w;
	}
	free(sym);
}

/* Runs fn for N = 1, 2, ... until a run completes with no failure injected. */
static void
sweep(const char *name, sweep_fn fn, void *arg, const char *todo)
{
	unsigned long bad = 0, n;
	int status;
	pid_t pid;

	tap_case = name;
	tap_failed_here = 0;
	for (n = 1; n < 100000; n++) {
		memset(shared, 0, sizeof(*shared));
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			tap_failed_here++;
			break;
		}
		if (pid == 0) {
			fn(arg, (long)n, shared);
			if (shared->hit)
				record_where(shared);
			fflush(stdout);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0 ||
		    shared->verdict != V_OK) {
			if (++bad <= 40)
				printf("#   %s: N=%lu: %s: %s\n#     failed allocation: %s\n",
				    name, n, WIFSIGNALED(status) ? "crash (signal)" :
				    WEXITSTATUS(status) != 0 ? "leak or memory error (valgrind)" :
				    shared->verdict == V_TOKEN_AFTER_FAILURE ?
				    "a token despite the failure" : "wrong answer",
				    shared->detail, shared->where);
			tap_failed_here++;
		}
		if (!shared->hit && !WIFSIGNALED(status))
			break;
	}
	printf("#   %s: %lu allocation points swept, %lu bad\n", name, n - 1, bad);
	tap_count++;
	if (tap_failed_here && todo == NULL)
		tap_failed++;
	printf("%s %d - %s%s%s\n", tap_failed_here ? "not ok" : "ok", tap_count, name,
	    todo != NULL ? " # TODO " : "", todo != NULL ? todo : "");
	fflush(stdout);
}

static void
sweep_request(void *arg, long n, struct report *rep)
{
	const struct scenario *sc = arg;

	run_request(sc, n);
	rep->hit = alloc_hit;
	rep->calls = alloc_calls;
	rep->verdict = alloc_hit ? judge(sc, rep->detail, sizeof(rep->detail)) :
	    V_OK;
	if (!alloc_hit) {
		/* Nothing failed: the answer must be the normal one. */
		char masked[sizeof(outbuf)];
		memcpy(masked, outbuf, outlen + 1);
		mask_tokens(masked);
		if (strcmp(masked, sc->reference) != 0) {
			rep->verdict = V_WRONG;
			escape_into(rep->detail, sizeof(rep->detail), outbuf);
		}
	}
}

/* config_load: every failure is a clean NULL with a message, never a partial config. */
static void
sweep_config(void *arg, long n, struct report *rep)
{
	char err[512] = "";
	struct config *c;

	(void)arg;
	alloc_arm(n);
	c = config_load(ini_path, err, sizeof(err));
	alloc_disarm();
	rep->hit = alloc_hit;
	rep->calls = alloc_calls;
	rep->verdict = V_OK;
	if (c == NULL) {
		if (!alloc_hit || err[0] == '\0') {
			rep->verdict = V_WRONG;
			snprintf(rep->detail, sizeof(rep->detail),
			    "NULL with message \"%s\"", err);
		}
		return;
	}
	if (c->nkeys != cfg->nkeys || c->nclients != cfg->nclients ||
	    c->nstreams != cfg->nstreams || c->nroutes != cfg->nroutes ||
	    c->signing_key == NULL || c->signing_key->secret_len !=
	    cfg->signing_key->secret_len || memcmp(c->signing_key->secret,
	    cfg->signing_key->secret, cfg->signing_key->secret_len) != 0 ||
	    (c->issuer == NULL) != (cfg->issuer == NULL) ||
	    config_find_stream(c, "cam-7") == NULL) {
		rep->verdict = V_WRONG;
		snprintf(rep->detail, sizeof(rep->detail),
		    "a configuration that differs from the file's");
	}
	config_free(c);
}

/* ---- setup ---- */

static bool
setup(void)
{
	char hex[65], err[512], ini[2048];
	struct claims c;
	const char *path;
	size_t i;

	if (!fx_init(&fx, "alloc"))
		return false;
	fx_sha256_hex(BEARER, hex);
	snprintf(ini, sizeof(ini),
	    "[server]\nissuer = alloc.example\nmax_batch = 10\n"
	    "[key main]\nalgorithm = HS256\nsecret_file = main.key\nsign = yes\n"
	    "[key old]\nalgorithm = HS512\nsecret_file = old.key\n"
	    "%s"
	    "[client backend]\ntoken_sha256 = %s\nstreams = cam-*, camera-1\n"
	    "[stream camera-1]\naccess = private\nmax_ttl = 86400\n"
	    "[stream lobby]\naccess = public\n"
	    "[stream cam-*]\naccess = private\nallow = live, dvr\n"
	    "[route recordings]\n"
	    "pattern = ^/([A-Za-z0-9._~-]+)/rec-([0-9]+)-([0-9]+)[.]mp4$\n"
	    "stream = 1\nfrom = 2\nduration = 3\npermission = copy\n",
	    /*
	     * ST_ALLOC_PKEY=1 adds an EdDSA key: PEM decoding and the JWKS
	     * take the sweep from about 190 to about 3,700 allocation points
	     * (minutes under valgrind), too long for every make check.
	     */
	    getenv("ST_ALLOC_PKEY") != NULL ?
	    "[key ed]\nalgorithm = EdDSA\nprivate_key_file = ed.pem\n" : "",
	    hex);
	fx_write_str(&fx, "main.key", FX_SECRET "\n", 0600);
	fx_write_str(&fx, "old.key", FX_SECRET "89abcdef\n", 0600);
	if (!fx_write_new_pkey(&fx, "ed.pem", "ED25519", 0, 0600, NULL))
		return false;
	path = fx_write_str(&fx, "streamtoken.ini", ini, 0600);
	if (path == NULL)
		return false;
	snprintf(ini_path, sizeof(ini_path), "%s", path);
	cfg = config_load(ini_path, err, sizeof(err));
	if (cfg == NULL) {
		printf("# fixture config: %s\n", err);
		return false;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "camera-1");
	snprintf(c.azp, sizeof(c.azp), "backend");
	c.iat = (int64_t)time(NULL);
	c.dvr = true;
	buf_init(&minted);
	if (!token_sign(cfg->signing_key, cfg->issuer, &c, &minted) || minted.failed)
		return false;
	snprintf(check_auth, sizeof(check_auth), "Bearer %s", minted.data);
	snprintf(verify_body, sizeof(verify_body),
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.VerifyToken\",\"params\":"
	    "{\"token\":\"%s\",\"url\":\"/camera-1/index-1700000000-60.m3u8\"},"
	    "\"id\":7}", minted.data);
	scenarios[2].body = verify_body;

	/* Warm up: OpenSSL sets up its lazy state on first use. */
	for (i = 0; i < NSCENARIOS; i++) {
		run_request(&scenarios[i], 0);
		run_request(&scenarios[i], 0);
		memcpy(scenarios[i].reference, outbuf, outlen + 1);
		mask_tokens(scenarios[i].reference);
		if (strncmp(outbuf, "Status: 200 ", 12) != 0) {
			printf("# %s: the reference answer is not 200:\n# %s\n",
			    scenarios[i].name, outbuf);
			return false;
		}
	}
	{
		void *bt[4];
		(void)backtrace(bt, 4);		/* loads libgcc before any sweep */
	}
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return shared != MAP_FAILED;
}

/*
 * ST_ALLOC_ONE=CASE:N runs that one N in this process, not forked, for a
 * debugger: gdb --args env ST_ALLOC_ONE=alloc_sweep_batch:17 tests/unit_alloc
 */
static int
run_one(const char *spec)
{
	const char *colon = strrchr(spec, ':');
	struct report rep;
	long n;
	size_t i;

	if (colon == NULL || (n = strtol(colon + 1, NULL, 10)) <= 0)
		return 2;
	memset(&rep, 0, sizeof(rep));
	if (strncmp(spec, "alloc_sweep_config_load", (size_t)(colon - spec)) == 0) {
		sweep_config(NULL, n, &rep);
	} else {
		for (i = 0; i < NSCENARIOS; i++)
			if (strlen(scenarios[i].name) == (size_t)(colon - spec) &&
			    strncmp(spec, scenarios[i].name, (size_t)(colon - spec)) == 0)
				break;
		if (i == NSCENARIOS)
			return 2;
		sweep_request(&scenarios[i], n, &rep);
	}
	record_where(&rep);
	printf("# %s: hit=%d verdict=%d %s\n# where: %s\n", spec, rep.hit,
	    (int)rep.verdict, rep.detail, rep.where);
	return rep.verdict == V_OK ? 0 : 1;
}

/* Re-executes under valgrind so each child's exit-time leak check counts. */
static void
maybe_reexec_under_valgrind(char **argv)
{
	static char supp[PATH_MAX + 16];
	const char *top = getenv("TOP_SRCDIR");
	char *vargv[16];
	int i = 0;

	if (RUNNING_ON_VALGRIND || getenv("ST_ALLOC_NO_VALGRIND") != NULL)
		return;
	setenv("ST_ALLOC_NO_VALGRIND", "1", 1);
	if (dup2(STDERR_FILENO, 9) != 9)
		return;
	vargv[i++] = (char *)"valgrind";
	vargv[i++] = (char *)"--quiet";
	vargv[i++] = (char *)"--leak-check=full";
	vargv[i++] = (char *)"--errors-for-leak-kinds=definite";
	vargv[i++] = (char *)"--show-leak-kinds=definite";
	vargv[i++] = (char *)"--error-exitcode=1";
	/* Keep valgrind's malloc out of this program's: it wraps __libc_*. */
	vargv[i++] = (char *)"--soname-synonyms=somalloc=nouserintercepts";
	vargv[i++] = (char *)"--child-silent-after-fork=no";
	/* Reports on a copy of stderr: fd 2 itself is silenced below. */
	vargv[i++] = (char *)"--log-fd=9";
	/* glibc's own regcomp leaks on allocation failure: see the file. */
	if (snprintf(supp, sizeof(supp), "--suppressions=%s/tests/fuzz/valgrind.supp",
	    top != NULL ? top : ".") < (int)sizeof(supp) &&
	    access(supp + strlen("--suppressions="), R_OK) == 0)
		vargv[i++] = supp;
	vargv[i++] = argv[0];
	vargv[i] = NULL;
	execvp("valgrind", vargv);
	/* Not installed: run without leak checking. */
	printf("# valgrind not found: sweeping without leak checks\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	(void)argc;
	maybe_reexec_under_valgrind(argv);
	if (RUNNING_ON_VALGRIND)
		printf("# under valgrind: a definite leak in any child fails its N\n");
	/* The per-request log lines of hundreds of runs are not worth keeping. */
	if (getenv("ST_ALLOC_VERBOSE") == NULL) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		if (fd >= 0)
			close(fd);
	}
	if (!setup()) {
		printf("Bail out! fixture setup failed\n");
		return 1;
	}
	if (getenv("ST_ALLOC_ONE") != NULL)
		return run_one(getenv("ST_ALLOC_ONE"));
	sweep("alloc_sweep_config_load", sweep_config, NULL, NULL);
	for (i = 0; i < NSCENARIOS; i++)
		sweep(scenarios[i].name, sweep_request, &scenarios[i],
		    scenarios[i].todo);
	config_free(cfg);
	buf_free(&minted);
	fx_cleanup(&fx);
	return tap_done();
}

#endif
