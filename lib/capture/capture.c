/* SPDX-License-Identifier: MIT */
#include "capture/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* stdio buffer of an offline capture's stream (see lw_capture_open_file) */
#define LW_CAPTURE_FILE_BUF (256 * 1024)

struct lw_capture {
	pcap_t *pcap;
	bool live;
	FILE *file; /* offline: the stream libpcap reads, for progress */
	char *file_buf; /* its stdio buffer; freed after pcap_close() */
	uint64_t size;
	uint64_t frames;
	int pending_err; /* an error met after some frames: reported on the next call */
	char pending_msg[256];
};

static void set_err(char *err, size_t errlen, const char *what, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, why);
}

int lw_capture_open_file(const char *path, struct lw_capture **out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct lw_capture *c;
	struct stat st;
	FILE *f;
	int r;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		r = -errno;
		set_err(err, errlen, path, strerror(-r));
		return r;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		set_err(err, errlen, path, "not a regular file");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		fclose(f);
		return -ENOMEM;
	}
	/*
	 * libpcap reads each record with two fread()s through this stream; with stdio's default
	 * buffer (one 4 KiB block) that is a read() per 4 KiB of capture.  A larger buffer makes
	 * it one per LW_CAPTURE_FILE_BUF (bench/README.md).  glibc ignores the size unless it is
	 * given the buffer; without one stdio keeps its own.
	 */
	c->file_buf = malloc(LW_CAPTURE_FILE_BUF);
	if (c->file_buf)
		setvbuf(f, c->file_buf, _IOFBF, LW_CAPTURE_FILE_BUF);
	/* libpcap takes ownership of f and closes it in pcap_close() */
	c->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!c->pcap) {
		fclose(f);
		free(c->file_buf);
		free(c);
		snprintf(err, errlen, "%s: not a pcap or pcapng capture (%s)", path, ebuf);
		return -EBADMSG;
	}
	c->file = f;
	c->size = (uint64_t)st.st_size;
	*out = c;
	return 0;
}

int lw_capture_open_live(const char *ifname, const struct lw_capture_config *cfg,
			 struct lw_capture **out, char *err, size_t errlen)
{
	static const struct lw_capture_config defaults = {262144, 8192, true, 100};
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct lw_capture *c;
	int r;

	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->live = true;
	c->pcap = pcap_create(ifname, ebuf);
	if (!c->pcap) {
		set_err(err, errlen, ifname, ebuf);
		free(c);
		return -ENODEV;
	}
	pcap_set_snaplen(c->pcap, cfg->snaplen > 0 ? cfg->snaplen : defaults.snaplen);
	pcap_set_promisc(c->pcap, cfg->promisc ? 1 : 0);
	pcap_set_timeout(c->pcap, cfg->timeout_ms > 0 ? cfg->timeout_ms : defaults.timeout_ms);
	pcap_set_buffer_size(c->pcap,
			     (cfg->buffer_kb > 0 ? cfg->buffer_kb : defaults.buffer_kb) * 1024);
	pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_MICRO);
	r = pcap_activate(c->pcap);
	if (r < 0) {
		int e = r == PCAP_ERROR_PERM_DENIED	 ? -EPERM
			: r == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV
			: r == PCAP_ERROR_IFACE_NOT_UP	 ? -ENETDOWN
							 : -EIO;

		set_err(err, errlen, ifname, pcap_geterr(c->pcap));
		pcap_close(c->pcap);
		free(c);
		return e;
	}
	if (pcap_setnonblock(c->pcap, 1, ebuf) < 0) {
		set_err(err, errlen, ifname, ebuf);
		pcap_close(c->pcap);
		free(c);
		return -EIO;
	}
	*out = c;
	return 0;
}

void lw_capture_close(struct lw_capture *c)
{
	if (!c)
		return;
	if (c->pcap)
		pcap_close(c->pcap);
	free(c->file_buf);
	free(c);
}

int lw_capture_linktype(const struct lw_capture *c)
{
	return pcap_datalink(c->pcap);
}

const char *lw_capture_linktype_name(const struct lw_capture *c)
{
	const char *n = pcap_datalink_val_to_name(pcap_datalink(c->pcap));

	return n ? n : "unknown";
}

int lw_capture_fd(const struct lw_capture *c)
{
	return c->live ? pcap_get_selectable_fd(c->pcap) : -1;
}

int lw_capture_read(struct lw_capture *c, int max, lw_frame_fn fn, void *user_data, char *err,
		    size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct lw_frame f;
	int n = 0, r;

	if (c->pending_err) {
		r = c->pending_err;
		c->pending_err = 0;
		if (err && errlen)
			snprintf(err, errlen, "%s", c->pending_msg);
		return r;
	}
	if (max <= 0)
		max = c->live ? 4096 : 1024;
	while (n < max) {
		r = pcap_next_ex(c->pcap, &h, &data);
		if (r == 1) {
			f.ts = (lw_time_us)h->ts.tv_sec * LW_USEC_PER_SEC + h->ts.tv_usec;
			f.data = data;
			f.caplen = h->caplen;
			f.wire_len = h->len;
			c->frames++;
			fn(&f, user_data);
			n++;
			continue;
		}
		if (r == 0) /* live: nothing more ready */
			return n;
		if (r == PCAP_ERROR_BREAK)
			return n > 0 ? n : LW_CAPTURE_EOF;
		/* PCAP_ERROR: report it after the frames read so far (libpcap would say EOF next) */
		if (c->live) {
			set_err(c->pending_msg, sizeof(c->pending_msg), "capture",
				pcap_geterr(c->pcap));
			c->pending_err = -ENETDOWN;
		} else {
			set_err(c->pending_msg, sizeof(c->pending_msg),
				"truncated or corrupt capture", pcap_geterr(c->pcap));
			c->pending_err = -EBADMSG;
		}
		if (n > 0)
			return n;
		return lw_capture_read(c, max, fn, user_data, err, errlen);
	}
	return n;
}

void lw_capture_progress(const struct lw_capture *c, uint64_t *pos, uint64_t *size)
{
	long p;

	*pos = 0;
	*size = 0;
	if (c->live || !c->file)
		return;
	p = ftell(c->file);
	*pos = p > 0 ? (uint64_t)p : 0;
	*size = c->size;
}

void lw_capture_get_stats(struct lw_capture *c, struct lw_capture_stats *out)
{
	struct pcap_stat ps;

	memset(out, 0, sizeof(*out));
	if (!c->live) {
		out->received = c->frames;
		return;
	}
	if (pcap_stats(c->pcap, &ps) == 0) {
		out->received = ps.ps_recv;
		out->dropped = ps.ps_drop;
		out->if_dropped = ps.ps_ifdrop;
	}
}
