/* SPDX-License-Identifier: MIT */
/*
 * The corpus replayer: runs every file named on the command line (a directory means every file
 * in it, sorted, recursively) through the target's LLVMFuzzerTestOneInput(), so the corpora and
 * regression inputs run under gcc and the sanitizer build without libFuzzer.  Each input is
 * placed to end at an unreadable page (lw_test_guard), so an over-read faults even without
 * a sanitizer.  Exit 0 when every input ran; a finding aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "lw-test.h"

#define FUZZ_MAX_INPUT (4 << 20) /* libFuzzer's default -max_len is far below this */

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int run_file(const char *path, unsigned *count)
{
	struct lw_test_guard_buf g;
	struct stat st;
	uint8_t *buf;
	const uint8_t *in;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size > FUZZ_MAX_INPUT) {
		fprintf(stderr, "%s: larger than %d bytes\n", path, FUZZ_MAX_INPUT);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	in = lw_test_guard(buf, got, &g);
	free(buf);
	LLVMFuzzerTestOneInput(in, got);
	lw_test_unguard(&g);
	(*count)++;
	return 0;
}

static int run_path(const char *path, unsigned *count);

static int run_dir(const char *path, unsigned *count)
{
	struct dirent **names;
	int n, i, r = 0;

	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char sub[4096];

		if (names[i]->d_name[0] != '.' && r == 0) {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			r = run_path(sub, count);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static int run_path(const char *path, unsigned *count)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(path, count);
	fprintf(stderr, "%s\n", path);
	return run_file(path, count);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	unsigned count = 0;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...  (replays each input through the target)\n",
			argv[0]);
		return 64;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%u inputs in %.2f s\n", count,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return count ? 0 : 1;
}
