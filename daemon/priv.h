/* SPDX-License-Identifier: MIT */
/*
 * leakwatchd's privileged process (live mode): see priv.c for the process model.  privc.h is
 * the parser's side.
 */
#ifndef LW_DAEMON_PRIV_H
#define LW_DAEMON_PRIV_H

#include "capture/capture.h"
#include "config.h"

/* lw_priv_split()'s answer in the parser */
#define LW_PRIV_PARSER (-1)
/*
 * The parser's exit status when its capture is lost (the interface went down or away): it
 * cannot open another, so the privileged process does when the interface is back, and starts
 * a fresh parser with it.
 */
#define LW_PRIV_EXIT_CAPTURE_LOST 90

/*
 * Call with the live capture open, CAP_NET_RAW and CAP_NET_ADMIN held and no thread started
 * (config: the configuration file's name, for errors).  Forks the alerts' delivery when
 * [alerts] names a sink (an error there is returned as the exit status), then the parser, which returns LW_PRIV_PARSER with *capp its capture, sandboxed (no
 * capabilities, no_new_privs, seccomp: sandbox.h) and connected (privc.h).  In this process
 * the privileged loop runs until the parser stops for good; returns the daemon's exit status
 * (the parser's), *capp closed and NULL.  A parser started later (after a capture loss)
 * returns from here too, with the new capture.
 */
int lw_priv_split(const struct lw_config *cfg, const char *config, struct lw_capture **capp);

#endif
