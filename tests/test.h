/*
 * The checks every C test uses. A failed CHECK prints where and why and
 * counts the failure; the test's main returns test_finish(), which prints
 * "N passed, N failed" and exits non-zero when anything failed.
 */
#ifndef PADLOCK_TEST_H
#define PADLOCK_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed_count;
static int test_failed_count;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (cond) {                                                  \
			test_passed_count++;                                 \
		} else {                                                     \
			test_failed_count++;                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
		}                                                            \
	} while (0)

#define CHECK_MSG(cond, ...)                                                 \
	do {                                                                 \
		if (cond) {                                                  \
			test_passed_count++;                                 \
		} else {                                                     \
			test_failed_count++;                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, \
				__LINE__, #cond);                            \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
		}                                                            \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                   \
	CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld",          \
		  (long long)(a), (long long)(b))

#define CHECK_MEM(a, b, n) CHECK_MSG(memcmp((a), (b), (n)) == 0, "bytes differ")

/* Runs one test function and says its name. */
#define RUN(fn)                                                              \
	do {                                                                 \
		int before_ = test_failed_count;                             \
		fn();                                                        \
		printf("%s %s\n", test_failed_count == before_ ? "ok  " : "FAIL", #fn); \
	} while (0)

static inline int test_finish(void)
{
	printf("%d passed, %d failed\n", test_passed_count, test_failed_count);
	return test_failed_count == 0 ? 0 : 1;
}

/* Parses hex (spaces and newlines ignored) into out; returns the length. */
static inline size_t test_unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *hex; hex++) {
		int v;
		char ch = *hex;
		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v = ch - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap)
				abort();
			out[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

#endif
