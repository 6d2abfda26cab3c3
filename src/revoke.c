/* revoke: the revocation file, a hash set of what it revokes, and its upkeep. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "revoke.h"
#include "text.h"

#define REVOKE_FILE_MAX (256u << 20)	/* a larger file is refused, not read */
#define REVOKE_LINE_MAX 256
#define APPEND_TRIES 8			/* a compaction may replace the file meanwhile */

/* One entry: its kind, its value in the arena, and its time. */
struct entry {
	uint64_t hash;
	uint32_t key;			/* offset of the value in the arena */
	uint16_t len;
	uint8_t kind;			/* enum revoke_kind */
	int64_t time;
};

/* Open addressing over entries; slots hold an entry index + 1, 0 = empty. */
struct table {
	uint32_t *slots;
	size_t nslots;			/* a power of two, at least twice n */
	struct entry *e;
	size_t n, cap;
	char *arena;
	size_t used, arena_cap;
	size_t nkind[3];		/* entries of each enum revoke_kind */
};

/*
 * The followed file is held open: a rename over it is told by its inode,
 * which cannot be given to another file while the old one is held.
 */
struct revoke {
	char *path;
	int fd;				/* the file read so far; -1: none yet */
	off_t offset;			/* bytes taken in, up to a complete line */
	unsigned line;			/* lines taken in, for FILE:LINE */
	int64_t checked;		/* the second of the last stat */
	struct table t;
};

static const char *const kind_names[] = {"jti", "stream", "client"};

const char *
revoke_kind_name(enum revoke_kind kind)
{
	return kind_names[kind];
}

/* ---- the hash set ---- */

/*
 * Eight bytes a step (a byte-wise FNV-1a was most of a lookup). Entries
 * come from revokers, not from viewers: no flooding to defend against.
 */
static uint64_t
key_hash(enum revoke_kind kind, const char *key, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len ^ ((uint64_t)kind << 56), w;

	for (; len >= 8; key += 8, len -= 8) {
		memcpy(&w, key, 8);
		h = (h ^ w) * 0x87c37b91114253d5ull;
		h = (h << 31) | (h >> 33);
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, key, len);
		h = (h ^ w) * 0x87c37b91114253d5ull;
	}
	/* MurmurHash3's finaliser: every bit reaches the low ones a slot uses. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static void
table_free(struct table *t)
{
	free(t->slots);
	free(t->e);
	free(t->arena);
	memset(t, 0, sizeof(*t));
}

static struct entry *
table_find(const struct table *t, enum revoke_kind kind, const char *key,
    size_t len, uint64_t h)
{
	size_t i;

	if (t->nslots == 0)
		return NULL;
	for (i = h & (t->nslots - 1); t->slots[i] != 0; i = (i + 1) & (t->nslots - 1)) {
		struct entry *e = &t->e[t->slots[i] - 1];

		if (e->hash == h && e->len == len && e->kind == kind &&
		    memcmp(t->arena + e->key, key, len) == 0)
			return e;
	}
	return NULL;
}

/* Puts entry index i (hash h) in the first free slot from its own. */
static void
slot_insert(uint32_t *slots, size_t nslots, uint64_t h, size_t i)
{
	size_t j = h & (nslots - 1);

	while (slots[j] != 0)
		j = (j + 1) & (nslots - 1);
	slots[j] = (uint32_t)(i + 1);
}

static bool
table_grow_slots(struct table *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 1024, i;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return false;
	for (i = 0; i < t->n; i++)
		slot_insert(slots, n, t->e[i].hash, i);
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return true;
}

/* Grows *p (an array of *cap items of size bytes) to hold need items. */
static bool
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 256;
	void *q;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return true;
	q = realloc(*p, n * size);
	if (q == NULL)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* Adds kind:key, or moves its time later: the latest "before" wins. */
static bool
table_put(struct table *t, enum revoke_kind kind, const char *key, size_t len,
    int64_t time)
{
	uint64_t h = key_hash(kind, key, len);
	struct entry *e = table_find(t, kind, key, len, h);

	if (e != NULL) {
		if (time > e->time)
			e->time = time;
		return true;
	}
	if ((t->n + 1) * 2 > t->nslots && !table_grow_slots(t))
		return false;
	if (!grow((void **)&t->e, &t->cap, t->n + 1, sizeof(*t->e)) ||
	    !grow((void **)&t->arena, &t->arena_cap, t->used + len, 1))
		return false;
	memcpy(t->arena + t->used, key, len);
	e = &t->e[t->n];
	e->hash = h;
	e->key = (uint32_t)t->used;
	e->len = (uint16_t)len;
	e->kind = (uint8_t)kind;
	e->time = time;
	t->used += len;
	slot_insert(t->slots, t->nslots, h, t->n++);
	t->nkind[kind]++;
	return true;
}

/* The time of kind:value, or -1 when it is not revoked. */
static int64_t
table_time(const struct table *t, enum revoke_kind kind, const char *value)
{
	const struct entry *e;
	size_t len;

	if (t->nkind[kind] == 0)
		return -1;
	len = strlen(value);
	if (len == 0 || len > REVOKE_VALUE_MAX)
		return -1;
	e = table_find(t, kind, value, len, key_hash(kind, value, len));
	return e != NULL ? e->time : -1;
}

/* ---- lines: "KIND VALUE TIME" ---- */

bool
revoke_valid_value(enum revoke_kind kind, const char *value)
{
	size_t len = strlen(value);

	if (kind != REVOKE_JTI)
		return config_valid_name(value, len);
	/* A jti a verified token can carry: not empty, shorter than claims' jti. */
	return len > 0 && len < sizeof(((struct claims *)0)->jti) &&
	    token_valid_jti(value);
}

/* Parses one line (no newline); false with why on a corrupt one. */
static bool
parse_line(char *s, enum revoke_kind *kind, char **value, int64_t *time,
    const char **why)
{
	char *v, *t;
	uint64_t n;
	size_t k;

	v = strchr(s, ' ');
	t = v != NULL ? strchr(v + 1, ' ') : NULL;
	if (t == NULL) {
		*why = "expected KIND VALUE TIME";
		return false;
	}
	*v++ = '\0';
	*t++ = '\0';
	k = 0;
	while (k < 3 && strcmp(s, kind_names[k]) != 0)
		k++;
	if (k == 3) {
		*why = "kind must be jti, stream or client";
		return false;
	}
	if (!revoke_valid_value((enum revoke_kind)k, v)) {
		*why = k == REVOKE_JTI ? "jti must be 1 to 63 base64url characters" :
		    "name must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -";
		return false;
	}
	if (!text_parse_u64(t, &n) || n > INT64_MAX) {
		*why = "time must be Unix seconds";
		return false;
	}
	*kind = (enum revoke_kind)k;
	*value = v;
	*time = (int64_t)n;
	return true;
}

/* Takes in the complete lines of buf; returns the bytes used, -1 without memory. */
static ssize_t
take_lines(struct revoke *r, struct table *t, char *buf, size_t len)
{
	char *p = buf, *nl;
	enum revoke_kind kind;
	const char *why;
	char *value;
	int64_t time;

	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		*nl = '\0';
		r->line++;
		if (*p != '\0' && *p != '#') {
			if (nl - p > REVOKE_LINE_MAX || memchr(p, '\0', (size_t)(nl - p))) {
				log_msg("%s:%u: revocation line unreadable, skipped",
				    r->path, r->line);
			} else if (!parse_line(p, &kind, &value, &time, &why)) {
				log_msg("%s:%u: %s, line skipped", r->path, r->line, why);
			} else {
				if (!table_put(t, kind, value, strlen(value), time))
					return -1;
			}
		}
		p = nl + 1;
	}
	return p - buf;
}

/* A file of ours to read: a regular one, under the size cap. */
static bool
check_size(int fd, const char *path, off_t *size, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return false;
	}
	if ((uint64_t)st.st_size > REVOKE_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u MB (revoke --compact)",
		    path, REVOKE_FILE_MAX >> 20);
		return false;
	}
	*size = st.st_size;
	return true;
}

/* Reads exactly len bytes at off; false on a short read or an error. */
static bool
read_at(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* Takes into t what fd holds past r->offset, up to its last complete line. */
static bool
read_more(struct revoke *r, int fd, struct table *t, char *err, size_t errlen)
{
	char *buf = NULL;
	ssize_t used;
	off_t size;
	size_t len;
	bool ok = false;

	if (!check_size(fd, r->path, &size, err, errlen))
		return false;
	if (size <= r->offset)
		return true;
	len = (size_t)(size - r->offset);
	buf = malloc(len + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!read_at(fd, buf, len, r->offset)) {
		snprintf(err, errlen, "%s: cannot read: %s", r->path,
		    errno != 0 ? strerror(errno) : "cut short");
		goto out;
	}
	used = take_lines(r, t, buf, len);
	if (used < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r->offset += used;	/* a line still being written waits for the next read */
	ok = true;
out:
	free(buf);
	return ok;
}

/*
 * Opens the file at r->path and reads it whole into a new table; on
 * success it replaces r's file and table. A missing file is empty.
 */
static bool
read_whole(struct revoke *r, char *err, size_t errlen)
{
	struct revoke fresh;
	int fd;

	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: cannot read: %s", r->path, strerror(errno));
		return false;
	}
	memset(&fresh, 0, sizeof(fresh));
	fresh.path = r->path;
	if (fd >= 0 && !read_more(&fresh, fd, &fresh.t, err, errlen)) {
		table_free(&fresh.t);
		close(fd);
		return false;
	}
	if (r->fd >= 0)
		close(r->fd);
	table_free(&r->t);
	r->fd = fd;
	r->t = fresh.t;
	r->offset = fresh.offset;
	r->line = fresh.line;
	return true;
}

struct revoke *
revoke_open(const char *path, int64_t now, char *err, size_t errlen)
{
	struct revoke *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->fd = -1;
	if (!read_whole(r, err, errlen))
		goto fail;
	r->checked = now;
	return r;
fail:
	revoke_free(r);
	return NULL;
}

void
revoke_free(struct revoke *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	table_free(&r->t);
	free(r->path);
	free(r);
}

void
revoke_refresh(struct revoke *r, int64_t now)
{
	struct stat named, held;
	char err[512];

	if (r == NULL || now == r->checked)
		return;
	r->checked = now;
	if (stat(r->path, &named) != 0)
		return;		/* gone or unreadable: keep what is in force */
	if (r->fd >= 0 && fstat(r->fd, &held) == 0 &&
	    named.st_dev == held.st_dev && named.st_ino == held.st_ino &&
	    held.st_size >= r->offset) {
		if (held.st_size > r->offset && !read_more(r, r->fd, &r->t, err,
		    sizeof(err)))
			log_msg("revocations: %s", err);
		return;
	}
	/* Replaced (a compaction), created, or cut short: read it whole. */
	if (!read_whole(r, err, sizeof(err)))
		log_msg("revocations: %s; keeping the entries in force", err);
}

bool
revoke_applies(const struct revoke *r, const struct claims *c)
{
	int64_t before;

	if (r == NULL || r->t.n == 0)
		return false;
	if (table_time(&r->t, REVOKE_JTI, c->jti) >= 0)
		return true;
	before = table_time(&r->t, REVOKE_STREAM, c->sub);
	if (before >= 0 && c->iat < before)
		return true;
	before = table_time(&r->t, REVOKE_CLIENT, c->azp);
	return before >= 0 && c->iat < before;
}

size_t
revoke_count(const struct revoke *r)
{
	return r != NULL ? r->t.n : 0;
}

/* ---- writing ---- */

/* The file at path, opened for appending and locked; -1 with err. */
static int
open_locked(const char *path, int flags, char *err, size_t errlen)
{
	struct stat held, named;
	int fd, tries;

	for (tries = 0; tries < APPEND_TRIES; tries++) {
		fd = open(path, flags | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX) != 0) {
			snprintf(err, errlen, "%s: lock: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		/* A compaction may have renamed a new file over the one opened. */
		if (fstat(fd, &held) == 0 && stat(path, &named) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
			return fd;
		close(fd);
	}
	snprintf(err, errlen, "%s: replaced while being opened", path);
	return -1;
}

static bool
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Appends line to the locked fd: after a newline first if the file does
 * not end in one (an operator's echo, a crash), so that the entry is a
 * line of its own; a failed write is cut off again.
 */
static bool
append_line(int fd, const char *path, const char *line, size_t len,
    char *err, size_t errlen)
{
	char last = '\n';
	off_t size;

	if (!check_size(fd, path, &size, err, errlen))
		return false;
	if (size + (off_t)len + 1 > (off_t)REVOKE_FILE_MAX) {
		snprintf(err, errlen, "%s: full (%u MB): revoke --compact", path,
		    REVOKE_FILE_MAX >> 20);
		return false;
	}
	if (size > 0 && !read_at(fd, &last, 1, size - 1)) {
		snprintf(err, errlen, "%s: cannot read its end", path);
		return false;
	}
	if ((last != '\n' && !write_all(fd, "\n", 1)) ||
	    !write_all(fd, line, len) || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (ftruncate(fd, size) != 0)
			log_msg("%s: a half-written line stays: %s", path,
			    strerror(errno));
		return false;
	}
	return true;
}

bool
revoke_append(struct revoke *r, const char *path, enum revoke_kind kind,
    const char *value, int64_t time, char *err, size_t errlen)
{
	char line[REVOKE_LINE_MAX + 2];
	size_t vlen = strlen(value);
	bool ok = false;
	int fd, n;

	if (!revoke_valid_value(kind, value) || time < 0) {
		snprintf(err, errlen, "not a valid %s", kind_names[kind]);
		return false;
	}
	n = snprintf(line, sizeof(line), "%s %s %" PRId64 "\n", kind_names[kind],
	    value, time);
	fd = open_locked(path, O_RDWR | O_APPEND | O_CREAT, err, errlen);
	if (fd < 0)
		return false;
	/* One write under the lock: readers never see half a line for long. */
	if (!append_line(fd, path, line, (size_t)n, err, errlen))
		goto out;
	ok = true;
	if (r != NULL) {
		if (!table_put(&r->t, kind, value, vlen, time))
			log_msg("revocations: out of memory; the entry applies "
			    "from the next read of the file");
	}
out:
	close(fd);
	return ok;
}

/* fsync(2) of the folder holding path, so that a rename is durable. */
static void
sync_folder(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + 1), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Without it a crash may bring back dropped entries: harmless. */
	if (fd < 0 || fsync(fd) != 0)
		log_msg("%s: the rename may not survive a crash", dir);
	if (fd >= 0)
		close(fd);
}

/* Copies the lines of buf that are still needed to out; counts them. */
static bool
copy_kept_lines(FILE *out, char *buf, size_t len, int64_t horizon,
    size_t *kept, size_t *dropped)
{
	char *p = buf, *nl, copy[REVOKE_LINE_MAX + 1], *value;
	enum revoke_kind kind;
	const char *why;
	int64_t time;

	while (p < buf + len) {
		size_t n;

		nl = memchr(p, '\n', len - (size_t)(p - buf));
		n = nl != NULL ? (size_t)(nl - p) : len - (size_t)(p - buf);
		if (n == 0 || *p == '#') {
			p += n + 1;
			continue;
		}
		/* A corrupt line is kept as it is: nothing is lost unread. */
		if (n <= REVOKE_LINE_MAX) {
			memcpy(copy, p, n);
			copy[n] = '\0';
			if (parse_line(copy, &kind, &value, &time, &why) &&
			    time < horizon) {
				(*dropped)++;
				p += n + 1;
				continue;
			}
		}
		if (fwrite(p, 1, n, out) != n || fputc('\n', out) == EOF)
			return false;
		(*kept)++;
		p += n + 1;
	}
	return true;
}

bool
revoke_compact(const char *path, int64_t horizon, size_t *kept,
    size_t *dropped, char *err, size_t errlen)
{
	char tmp[4096], *buf = NULL;
	struct stat st;
	FILE *out = NULL;
	bool ok = false;
	off_t size;
	int fd;

	*kept = *dropped = 0;
	fd = open_locked(path, O_RDWR, err, errlen);
	if (fd < 0)
		return false;
	if (!check_size(fd, path, &size, err, errlen) || fstat(fd, &st) != 0)
		goto out;
	buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* All of it, or nothing replaces it: a short copy would lose entries. */
	if (!read_at(fd, buf, (size_t)size, 0)) {
		snprintf(err, errlen, "%s: cannot read it whole", path);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	out = fopen(tmp, "wx");
	if (out == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	/* The serving user must still be able to append. */
	if (fchmod(fileno(out), st.st_mode & 07777) != 0 ||
	    (fchown(fileno(out), st.st_uid, st.st_gid) != 0 && geteuid() == 0)) {
		snprintf(err, errlen, "%s: cannot keep the mode and owner: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (!copy_kept_lines(out, buf, (size_t)size, horizon, kept, dropped) ||
	    fflush(out) != 0 || fsync(fileno(out)) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "rename to %s: %s", path, strerror(errno));
		goto out;
	}
	sync_folder(path);
	ok = true;
out:
	if (out != NULL) {
		fclose(out);
		if (!ok)
			unlink(tmp);
	}
	free(buf);
	close(fd);
	return ok;
}
