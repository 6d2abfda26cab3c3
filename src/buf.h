/* buf: a growable byte buffer that remembers an allocation failure. */
#ifndef ST_BUF_H
#define ST_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;		/* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	bool failed;		/* an append ran out of memory; contents are partial */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);		/* len = 0, keeps the memory */
bool buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a decimal integer, without printf's cost on the hot path. */
void buf_append_u64(struct buf *b, uint64_t v);
void buf_append_i64(struct buf *b, int64_t v);
/* Appends s as a JSON string literal, quotes included (RFC 8259 §7). */
void buf_append_json_string(struct buf *b, const char *s, size_t len);

#endif
