/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness shared by the unit tests.
 *
 * lw_test_guard() copies an input so that it ends exactly at an unreadable page: any read past
 * the end faults at once, with or without a sanitizer (the picohttpparser trick).
 */
#ifndef LW_TEST_H
#define LW_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int lw_test_failures;
static int lw_test_checks;

#define LW_CHECK(cond)                                                                           \
	do {                                                                                     \
		lw_test_checks++;                                                                \
		if (!(cond)) {                                                                   \
			lw_test_failures++;                                                      \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define LW_CHECK_INT(a, b)                                                                        \
	do {                                                                                      \
		long long _a = (long long)(a), _b = (long long)(b);                               \
		lw_test_checks++;                                                                 \
		if (_a != _b) {                                                                   \
			lw_test_failures++;                                                       \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
				#a, _a, _b);                                                      \
		}                                                                                 \
	} while (0)

#define LW_CHECK_STR(a, b)                                                                  \
	do {                                                                                \
		const char *_a = (a), *_b = (b);                                            \
		lw_test_checks++;                                                           \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                    \
			lw_test_failures++;                                                 \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
				__LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");      \
		}                                                                           \
	} while (0)

struct lw_test_guard_buf {
	void *map;
	size_t maplen;
};

/* Returns a copy of data[0..len) placed to end at a PROT_NONE page. Free with lw_test_unguard. */
static inline void *lw_test_guard(const void *data, size_t len, struct lw_test_guard_buf *g)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + page - 1) / page * page;
	unsigned char *m;

	if (body == 0)
		body = page;
	m = mmap(NULL, body + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	if (mprotect(m + body, page, PROT_NONE) < 0) {
		perror("mprotect");
		exit(2);
	}
	g->map = m;
	g->maplen = body + page;
	if (len)
		memcpy(m + body - len, data, len);
	return m + body - len;
}

static inline void lw_test_unguard(struct lw_test_guard_buf *g)
{
	munmap(g->map, g->maplen);
}

/* Feeds every prefix of an input (each guarded) to fn; used to prove truncation is safe. */
#define LW_FOR_EACH_PREFIX(data, len, ptrvar, lenvar, body)                               \
	do {                                                                              \
		size_t lenvar;                                                            \
		for (lenvar = 0; lenvar <= (len); lenvar++) {                             \
			struct lw_test_guard_buf _g;                                      \
			const unsigned char *ptrvar = lw_test_guard((data), lenvar, &_g); \
			body;                                                             \
			lw_test_unguard(&_g);                                             \
		}                                                                         \
	} while (0)

#define LW_TEST(fn)                                                                             \
	do {                                                                                    \
		int _before = lw_test_failures;                                                 \
		fn();                                                                           \
		fprintf(stderr, "%s %s\n", lw_test_failures == _before ? "ok  " : "FAIL", #fn); \
	} while (0)

static inline int lw_test_end(void)
{
	fprintf(stderr, "%d checks, %d failed\n", lw_test_checks, lw_test_failures);
	return lw_test_failures ? 1 : 0;
}

#endif
