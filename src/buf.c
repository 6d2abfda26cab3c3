/* buf: growable byte buffer; a failed allocation is sticky so callers check once. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "text.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_init_storage(struct buf *b, char *storage, size_t cap)
{
	buf_init(b);
	b->data = storage;
	b->cap = cap;
	storage[0] = '\0';
}

void
buf_free(struct buf *b)
{
	if (b->heap)
		free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data != NULL)
		b->data[0] = '\0';
}

bool
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return false;
	if (extra > ((size_t)-1) / 2 - b->len - 1)
		goto fail;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 512;	/* a token response fits at once */
	while (cap < need)
		cap *= 2;
	if (b->heap) {
		p = realloc(b->data, cap);
	} else {
		/* Out of the caller's storage (if any): its bytes move along. */
		p = malloc(cap);
		if (p != NULL && b->data != NULL)
			memcpy(p, b->data, b->len + 1);
	}
	if (p == NULL)
		goto fail;
	b->data = p;
	b->cap = cap;
	b->heap = true;
	return true;
fail:
	b->failed = true;
	return false;
}

/* buf_append when the bytes do not fit (or an append failed before). */
void
buf_append_slow(struct buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n)) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_append_u64(struct buf *b, uint64_t v)
{
	char tmp[20], *p = text_u64_digits(tmp + sizeof(tmp), v);

	buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
buf_append_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_append(b, "-", 1);
		buf_append_u64(b, (uint64_t)0 - (uint64_t)v);
		return;
	}
	buf_append_u64(b, (uint64_t)v);
}
