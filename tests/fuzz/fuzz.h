/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets.  Each target defines LLVMFuzzerTestOneInput(); it is linked
 * either with libFuzzer (clang -fsanitize=fuzzer) or with fuzz-main.c, the corpus replayer
 * that `meson test --suite fuzz` runs under any compiler (systemd's fuzz-main.c idea).
 *
 * A target checks the promises its parser's header makes (return ranges, NUL-terminated
 * printable strings, ...) and calls fuzz_fail() when one breaks: a broken promise is a finding
 * just like a crash.
 */
#ifndef LW_FUZZ_H
#define LW_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define fuzz_fail(...)                                          \
	do {                                                    \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                   \
		fputc('\n', stderr);                            \
		abort();                                        \
	} while (0)

#define fuzz_assert(cond)                                       \
	do {                                                    \
		if (!(cond))                                    \
			fuzz_fail("broken promise: %s", #cond); \
	} while (0)

/*
 * Several messages in one input: each part is a 2-byte big-endian length and that many bytes;
 * a length past the end takes what is left.  Seeds are written this way by make_seeds.py.
 */
struct fuzz_parts {
	const uint8_t *p;
	size_t left;
};

static inline struct fuzz_parts fuzz_parts_make(const uint8_t *p, size_t len)
{
	struct fuzz_parts s = {p, len};

	return s;
}

static inline bool fuzz_parts_next(struct fuzz_parts *s, const uint8_t **part, size_t *len)
{
	size_t n;

	if (s->left < 2)
		return false;
	n = (size_t)s->p[0] << 8 | s->p[1];
	s->p += 2;
	s->left -= 2;
	if (n > s->left)
		n = s->left;
	*part = s->p;
	*len = n;
	s->p += n;
	s->left -= n;
	return true;
}

/* A string is NUL-terminated within cap and holds only printable ASCII (0x20..0x7e). */
static inline bool fuzz_printable(const char *s, size_t cap)
{
	size_t i;

	for (i = 0; i < cap; i++) {
		if (s[i] == '\0')
			return true;
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	}
	return false;
}

#endif
