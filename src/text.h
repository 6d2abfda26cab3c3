/* text: the character classes and escapes every parser here shares. */
#ifndef ST_TEXT_H
#define ST_TEXT_H

#include <stdbool.h>

/* SPEC 4 name characters: A-Z a-z 0-9 . _ ~ - (inline: called per byte) */
static inline bool
text_is_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' || c == '-';
}

/* The value of a hexadecimal digit, or -1. */
int text_hex_value(unsigned char c);

/* The byte of a "%XX" escape at p (p[0] == '%'), or -1 if malformed. */
int text_percent_byte(const char *p);

#endif
