/*
 * check.h — a tiny unit-test harness.  Each test prints one line:
 *   PASS: unit/<file>/<test>
 *   FAIL: unit/<file>/<test>: <first failed check>
 *   SKIP: unit/<file>/<test>: <reason>
 * tests/run-tests tallies these lines.
 */
#ifndef CORESCOPE_CHECK_H
#define CORESCOPE_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *check_suite = "unit";
static char check_failure[512];
static bool check_failed;
static bool check_skipped;
static int check_nfail;

static void check_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void check_fail(const char *file, int line, const char *fmt, ...)
{
	if (check_failed)
		return;	/* keep the first failure */
	check_failed = true;
	int n = snprintf(check_failure, sizeof(check_failure), "%s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(check_failure + n, sizeof(check_failure) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* CHECK(cond, "fmt", ...) — record a failure and go on. */
#define CHECK(cond, ...)                                              \
	do {                                                          \
		if (!(cond))                                          \
			check_fail(__FILE__, __LINE__, __VA_ARGS__);  \
	} while (0)
/* REQUIRE — record a failure and leave the test function. */
#define REQUIRE(cond, ...)                                            \
	do {                                                          \
		if (!(cond)) {                                        \
			check_fail(__FILE__, __LINE__, __VA_ARGS__);  \
			return;                                       \
		}                                                     \
	} while (0)
#define SKIP_TEST(...)                                                \
	do {                                                          \
		check_skipped = true;                                 \
		snprintf(check_failure, sizeof(check_failure), __VA_ARGS__); \
		return;                                               \
	} while (0)

#define RUN(fn)                                                       \
	do {                                                          \
		check_failed = check_skipped = false;                 \
		fn();                                                 \
		if (check_skipped)                                    \
			printf("SKIP: %s/%s: %s\n", check_suite, #fn, check_failure); \
		else if (check_failed) {                              \
			printf("FAIL: %s/%s: %s\n", check_suite, #fn, check_failure); \
			check_nfail++;                                \
		} else                                                \
			printf("PASS: %s/%s\n", check_suite, #fn);    \
		fflush(stdout);                                       \
	} while (0)

#endif
