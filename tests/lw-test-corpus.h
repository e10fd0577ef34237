/* SPDX-License-Identifier: MIT */
/*
 * Helpers the corpus-reading unit tests share: the expected-answer tables of ../shared/corpus
 * are tab-separated, and their addresses are compared whatever text form the table used.
 */
#ifndef LW_TEST_CORPUS_H
#define LW_TEST_CORPUS_H

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "core/types.h"

/* Splits a TSV line in place into at most max fields; returns how many. */
static inline size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/*
 * Same address, whatever text form the table used ("b00c::43fe" and "b00c:0:43fe" agree).  A
 * few rows carry an address nDPI printed wrongly ("2600:1901::7a0b::"); those match on the
 * other address and the ports.
 */
static inline bool addr_match(uint8_t af, const uint8_t *a, const char *text)
{
	struct lw_addr x;

	if (lw_addr_parse(text, &x) < 0)
		return true;
	return x.family == af && memcmp(x.b, a, af == 4 ? 4 : 16) == 0;
}

static inline bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

#endif
