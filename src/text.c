/* text: character classes and escapes shared by the config, URL and query parsers. */
#include "autoconfig.h"

#include "text.h"

#define LETTERS(first) [first] = true, [first + 1] = true, [first + 2] = true, \
	[first + 3] = true, [first + 4] = true, [first + 5] = true, \
	[first + 6] = true, [first + 7] = true, [first + 8] = true, \
	[first + 9] = true, [first + 10] = true, [first + 11] = true, \
	[first + 12] = true, [first + 13] = true, [first + 14] = true, \
	[first + 15] = true, [first + 16] = true, [first + 17] = true, \
	[first + 18] = true, [first + 19] = true, [first + 20] = true, \
	[first + 21] = true, [first + 22] = true, [first + 23] = true, \
	[first + 24] = true, [first + 25] = true
const bool text_name_chars[256] = {
	LETTERS('A'), LETTERS('a'),
	['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,
	['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
	['.'] = true, ['_'] = true, ['~'] = true, ['-'] = true,
};
#undef LETTERS

int
text_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
text_percent_byte(const char *p)
{
	int hi, lo;

	/* A NUL after '%' fails the first digit, so p[2] is never read past it. */
	if ((hi = text_hex_value((unsigned char)p[1])) < 0 ||
	    (lo = text_hex_value((unsigned char)p[2])) < 0)
		return -1;
	return hi << 4 | lo;
}
