/* SPDX-License-Identifier: MIT */
/*
 * capture: frames in, through libpcap — live from an interface (promiscuous: a bridge shows
 * forwarded unicast only then; TPACKET_V3 ring with a configurable buffer) or offline from a
 * pcap/pcapng file.  Both go through the same callback.
 */
#ifndef LW_CAPTURE_H
#define LW_CAPTURE_H

#include "core/types.h"

struct lw_capture_config {
	int snaplen; /* default 262144 */
	int buffer_kb; /* kernel ring size; default 8192 */
	bool promisc; /* default true */
	int timeout_ms; /* packet buffer timeout; default 100 */
};

struct lw_frame {
	lw_time_us ts;
	const uint8_t *data;
	size_t caplen;
	size_t wire_len;
};

typedef void (*lw_frame_fn)(const struct lw_frame *f, void *user_data);

struct lw_capture_stats {
	uint64_t received; /* by the kernel filter (live) or read (offline) */
	uint64_t dropped; /* by the kernel: ring full */
	uint64_t if_dropped;
};

struct lw_capture;

/* err receives a one-line reason on failure (errlen bytes). Returns 0 or -errno. */
int lw_capture_open_file(const char *path, struct lw_capture **out, char *err, size_t errlen);
int lw_capture_open_live(const char *ifname, const struct lw_capture_config *cfg,
			 struct lw_capture **out, char *err, size_t errlen);
void lw_capture_close(struct lw_capture *c);

int lw_capture_linktype(const struct lw_capture *c);
const char *lw_capture_linktype_name(const struct lw_capture *c);
/* Selectable fd for live captures (non-blocking), -1 for files. */
int lw_capture_fd(const struct lw_capture *c);

/*
 * Reads up to max frames (max <= 0: as many as are ready / a chunk of the file) and calls fn
 * for each.  Returns the number of frames (>= 0; 0 on a live capture means nothing ready),
 * LW_CAPTURE_EOF at the end of a file, or -errno with a reason in err: -ENETDOWN when the
 * interface went away, -EBADMSG for a truncated or corrupt file.
 */
#define LW_CAPTURE_EOF (-1000)
int lw_capture_read(struct lw_capture *c, int max, lw_frame_fn fn, void *user_data, char *err,
		    size_t errlen);

/* Offline: bytes of the file read so far and its size (for progress); 0/0 when live. */
void lw_capture_progress(const struct lw_capture *c, uint64_t *pos, uint64_t *size);

void lw_capture_get_stats(struct lw_capture *c, struct lw_capture_stats *out);

#endif
