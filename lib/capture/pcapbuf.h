/* SPDX-License-Identifier: MIT */
/*
 * pcapbuf: frames written as a pcap file in memory (libpcap's own writer over a memory
 * stream), for evidence a person opens in Wireshark.
 */
#ifndef LW_CAPTURE_PCAPBUF_H
#define LW_CAPTURE_PCAPBUF_H

#include "capture/capture.h"

struct lw_pcapbuf;

/* dlt: the link type of the frames (pcap's DLT_*).  NULL when out of memory. */
struct lw_pcapbuf *lw_pcapbuf_new(int dlt);
int lw_pcapbuf_add(struct lw_pcapbuf *b, const struct lw_frame *fr);
/*
 * Ends the file: *out (malloc'd, the caller frees it) holds *len bytes of pcap.  Frees b
 * either way.  0 or -errno.
 */
int lw_pcapbuf_finish(struct lw_pcapbuf *b, uint8_t **out, size_t *len);

#endif
