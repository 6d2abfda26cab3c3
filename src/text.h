/* text: the character classes and escapes every parser here shares. */
#ifndef ST_TEXT_H
#define ST_TEXT_H

#include <stdbool.h>

/* SPEC 4 name characters: A-Z a-z 0-9 . _ ~ - */
bool text_is_name_char(unsigned char c);

/* The value of a hexadecimal digit, or -1. */
int text_hex_value(unsigned char c);

/* The byte of a "%XX" escape at p (p[0] == '%'), or -1 if malformed. */
int text_percent_byte(const char *p);

#endif
