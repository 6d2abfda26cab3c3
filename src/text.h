/* text: the character classes and escapes every parser here shares. */
#ifndef ST_TEXT_H
#define ST_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern const bool text_name_chars[256];

/*
 * SPEC 4 name characters: A-Z a-z 0-9 . _ ~ - (a table: called per byte,
 * on every verified token's azp among others).
 */
static inline bool
text_is_name_char(unsigned char c)
{
	return text_name_chars[c];
}

/*
 * The length of the leading run of s[0..n) that a JSON string holds as it
 * is: no control byte, nothing above ASCII, no " or \\. Eight bytes a step
 * where the byte order allows (strings here are names, ids and claims).
 */
static inline size_t
text_json_plain_run(const char *s, size_t n)
{
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101u;
	uint64_t x, stop;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		/* Bit 7 of a byte: set, below 0x20, '"' or '\\'. */
		stop = x | (x - ones * 0x20) | ((x ^ ones * '"') - ones) |
		    ((x ^ ones * '\\') - ones);
		stop &= ones * 0x80;
		/* Below the first such byte no borrow arises: it is exact. */
		if (stop != 0)
			return i + (size_t)__builtin_ctzll(stop) / 8;
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
			break;
	}
	return i;
}

/* The decimal digits of v, written backwards so they end at end; returns their start. */
static inline char *
text_u64_digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return end;
}

/* The value of a hexadecimal digit, or -1. */
int text_hex_value(unsigned char c);

/* The byte of a "%XX" escape at p (p[0] == '%'), or -1 if malformed. */
int text_percent_byte(const char *p);

#endif
