/* SPDX-License-Identifier: MIT */
/*
 * The fleet's publisher for a replay (README "Many APs"): with [fleet] enabled = yes,
 * `leakwatchd -r` ends with one pass of leakwatch-push over the database it has written, and
 * waits for it, so that its exit says whether every row reached JetStream.  Live, the
 * publisher is leakwatch-push --config ... --follow, a process of its own beside the daemon
 * (started by hand: no unit starts it yet), so a slow or absent NATS never stalls capture.
 */
#ifndef LW_DAEMON_FLEET_H
#define LW_DAEMON_FLEET_H

/*
 * Runs leakwatch-push --config CONFIG --db DB and waits at most timeout_s seconds (then stops
 * it: it says how many rows are left).  0 when every row is acknowledged, else -errno; the
 * program's own lines go to stderr.
 */
int lw_fleet_push_once(const char *config, const char *db, long timeout_s);

#endif
