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

/* The decimal digits of v, written backwards so they end at end; returns their start. */
static inline char *
text_u64_digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return end;
}

/*
 * A whole decimal number: one or more digits and nothing else (no sign,
 * blank or base prefix), within 64 bits. *out is written only on success.
 */
bool text_parse_u64(const char *s, uint64_t *out);

/* The value of a hexadecimal digit, or -1. */
int text_hex_value(unsigned char c);

/* The byte of a "%XX" escape at p (p[0] == '%'), or -1 if malformed. */
int text_percent_byte(const char *p);

#endif
