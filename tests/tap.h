/* tap: a tiny TAP producer for the unit tests; one named case per ok line. */
#ifndef ST_TAP_H
#define ST_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;
static const char *tap_case;		/* the case being run, for failure messages */

/* Inside a case: record a failed expectation and go on. */
#define EXPECT(cond) do { if (!(cond)) { tap_failed_here++; \
	printf("#   %s:%d: %s: expected %s\n", __FILE__, __LINE__, tap_case, #cond); } } while (0)
#define EXPECT_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) { tap_failed_here++; \
	printf("#   %s:%d: %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, tap_case, \
	    a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)

static int tap_failed_here;

/* Runs one case: a function taking no arguments; prints one TAP line. */
#define RUN(fn) do { tap_case = #fn; tap_failed_here = 0; fn(); \
	tap_count++; if (tap_failed_here) tap_failed++; \
	printf("%s %d - %s\n", tap_failed_here ? "not ok" : "ok", tap_count, #fn); \
	fflush(stdout); } while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
