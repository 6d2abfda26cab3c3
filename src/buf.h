/* buf: a growable byte buffer that remembers an allocation failure. */
#ifndef ST_BUF_H
#define ST_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *data;		/* NUL-terminated when len > 0 or storage given */
	size_t len;
	size_t cap;
	bool failed;		/* an append ran out of memory; contents are partial */
	bool heap;		/* data is ours to free (not the caller's storage) */
};

void buf_init(struct buf *b);
/*
 * Starts in the caller's storage (which must outlive the buffer) and moves
 * to the heap only when it outgrows it: the common response needs no malloc.
 */
void buf_init_storage(struct buf *b, char *storage, size_t cap);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);		/* len = 0, keeps the memory */
bool buf_reserve(struct buf *b, size_t extra);
void buf_append_slow(struct buf *b, const void *data, size_t len);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a decimal integer, without printf's cost on the hot path. */
void buf_append_u64(struct buf *b, uint64_t v);
void buf_append_i64(struct buf *b, int64_t v);

/*
 * Inline because a response is assembled from a few dozen short appends:
 * when the bytes fit, an append is a copy, and buf_puts of a literal
 * needs no strlen at run time.
 */
static inline void
buf_append(struct buf *b, const void *data, size_t len)
{
	if (!b->failed && len < b->cap - b->len) {
		memcpy(b->data + b->len, data, len);
		b->len += len;
		b->data[b->len] = '\0';
		return;
	}
	buf_append_slow(b, data, len);
}

static inline void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

#endif
