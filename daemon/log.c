/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static enum lw_log_level max_level = LW_LOG_INFO;
static int journal = -1; /* stderr is the journal (systemd sets JOURNAL_STREAM) */

void lw_log_set_level(enum lw_log_level max)
{
	max_level = max;
}

void lw_log(enum lw_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal)
		fprintf(stderr, "<%d>%s\n", (int)level, line);
	else
		fprintf(stderr, "leakwatchd: %s%s\n", level <= LW_LOG_ERROR ? "error: " : "", line);
}
