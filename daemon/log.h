/* SPDX-License-Identifier: MIT */
/* Logging for the daemon (lib/ never logs): one line per event on stderr, which systemd's
 * journal keeps, with the level prefix it understands (sd-daemon(3) "<3>") when stderr is the
 * journal. */
#ifndef LW_DAEMON_LOG_H
#define LW_DAEMON_LOG_H

enum lw_log_level {
	LW_LOG_ERROR = 3,
	LW_LOG_WARNING = 4,
	LW_LOG_INFO = 6,
	LW_LOG_DEBUG = 7,
};

void lw_log_set_level(enum lw_log_level max);
void lw_log(enum lw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define lw_log_error(...) lw_log(LW_LOG_ERROR, __VA_ARGS__)
#define lw_log_warning(...) lw_log(LW_LOG_WARNING, __VA_ARGS__)
#define lw_log_info(...) lw_log(LW_LOG_INFO, __VA_ARGS__)
#define lw_log_debug(...) lw_log(LW_LOG_DEBUG, __VA_ARGS__)

#endif
