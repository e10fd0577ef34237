/* SPDX-License-Identifier: MIT */
/*
 * hostapd control interface client (hostapd/ctrl_iface.c, src/common/wpa_ctrl.h of hostapd
 * 2.10 define the protocol; there is no RFC).  Every message is one datagram:
 *
 *   client -> hostapd   "ATTACH"                 "OK\n" | "FAIL\n"
 *                       "STA-FIRST"              "<mac>\nkey=value\n..." | "" (no station)
 *                       "STA-NEXT <mac>"         the next station | "" (end) | "FAIL\n" (gone)
 *                       "PING"                   "PONG\n"
 *   hostapd -> client   "<3>AP-STA-CONNECTED 02:00:5e:10:00:01[ extra=...]"   (after ATTACH)
 *                       "<3>AP-STA-DISCONNECTED 02:00:5e:10:00:01[ ...]"
 *
 * Replies and events share the socket; events start with '<', replies never do (a MAC or a
 * word).  One request is outstanding per socket at a time.
 *
 * Per socket:  IDLE --connect+ATTACH--> WAIT_ATTACH --OK--> LISTING --end--> READY
 *                ^                                                           |
 *                +-------- send/recv error, reply timeout, file deleted -----+  (backoff)
 */
#include "hostapd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LIST_RESTARTS_MAX 3 /* STA-FIRST again when a listed station vanished mid-list */
#define RESCAN_EVERY (1 * LW_USEC_PER_SEC) /* directory rescan without an inotify watch */
#define EP_INOTIFY 0 /* epoll data of the directory watch; sockets are slot + 1 */

/* --- pure parsing --------------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx" at s (17 bytes, len permitting). 0 or -EBADMSG. */
static int parse_mac(const char *s, size_t len, struct lw_mac *mac)
{
	size_t i;

	if (len < 17)
		return -EBADMSG;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EBADMSG;
		mac->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool has_word(const char *s, size_t len, const char *word, size_t *after)
{
	size_t n = strlen(word);

	if (len < n || memcmp(s, word, n) != 0)
		return false;
	*after = n;
	return true;
}

int lw_hostapd_parse_event(const char *s, size_t len, struct lw_hostapd_line *out)
{
	size_t i = 1, n;
	int level = 0;

	memset(out, 0, sizeof(*out));
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len < 3 || s[0] != '<')
		return -EBADMSG;
	/* "<N>": a small priority (wpa_debug levels are 0..5) */
	while (i < len && i < 4 && s[i] >= '0' && s[i] <= '9')
		level = level * 10 + (s[i++] - '0');
	if (i == 1 || i >= len || s[i] != '>')
		return -EBADMSG;
	i++;
	s += i;
	len -= i;
	if (len == 0)
		return -EBADMSG;
	out->level = level;
	if (has_word(s, len, "AP-STA-CONNECTED", &n))
		out->kind = LW_HOSTAPD_LINE_CONNECTED;
	else if (has_word(s, len, "AP-STA-DISCONNECTED", &n))
		out->kind = LW_HOSTAPD_LINE_DISCONNECTED;
	else {
		/* any other event name: printable, no NUL or control bytes */
		for (i = 0; i < len; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return -EBADMSG;
		out->kind = LW_HOSTAPD_LINE_OTHER;
		return 0;
	}
	/* the MAC follows one space and ends the line or is followed by a space */
	if (n >= len || s[n] != ' ')
		return -EBADMSG;
	n++;
	if (parse_mac(s + n, len - n, &out->mac) < 0)
		return -EBADMSG;
	n += 17;
	if (n < len && s[n] != ' ')
		return -EBADMSG;
	return 0;
}

/* A whole number of at most 18 digits between s and end; -1 otherwise. */
static long parse_seconds(const char *s, const char *end)
{
	long v = 0;

	if (s == end || end - s > 18)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int lw_hostapd_parse_sta(const char *s, size_t len, struct lw_mac *mac, long *connected_time)
{
	const char *p, *end = s + len;
	static const char key[] = "connected_time=";

	*connected_time = -1;
	if (len == 0)
		return 0;
	if (len >= 4 && memcmp(s, "FAIL", 4) == 0 && (len == 4 || s[4] == '\n'))
		return -ENOENT;
	if (parse_mac(s, len, mac) < 0 || (len > 17 && s[17] != '\n'))
		return -EBADMSG;
	/* the key=value lines after the MAC; only connected_time is of use here */
	for (p = s + LW_MIN(len, (size_t)18); p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if ((size_t)(le - p) > sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0)
			*connected_time = parse_seconds(p + sizeof(key) - 1, le);
		p = nl ? nl + 1 : end;
	}
	return 1;
}

/* --- the client ----------------------------------------------------------------------- */

enum state {
	ST_IDLE = 0, /* no socket; next_try says when to connect */
	ST_WAIT_ATTACH,
	ST_LISTING,
	ST_READY,
};

struct iface {
	bool used;
	bool present; /* its socket file was seen in the last scan */
	char name[LW_HOSTAPD_IFNAME_MAX];
	int fd;
	enum state state;
	unsigned backoff_ms;
	lw_time_us next_try;
	lw_time_us sent_at; /* the outstanding request; 0 = none */
	lw_time_us last_rx;
	unsigned listed;
	unsigned list_restarts;
};

struct lw_hostapd {
	struct lw_hostapd_config cfg;
	char dir[256];
	lw_hostapd_fn fn;
	void *user_data;
	int ep;
	int in; /* inotify */
	int wd; /* watch on dir, -1 while it does not exist */
	lw_time_us now;
	lw_time_us next_rescan;
	bool started;
	struct lw_hostapd_stats stats;
	struct iface ifaces[LW_HOSTAPD_IFACES_MAX];
	char buf[LW_HOSTAPD_MSG_MAX + 1];
};

static void emit(struct lw_hostapd *h, struct iface *f, enum lw_hostapd_event_type type,
		 const struct lw_mac *mac, long connected_time)
{
	struct lw_hostapd_event ev = {.type = type, .ifname = f->name, .connected_time = -1};

	if (mac)
		ev.mac = *mac;
	if (type == LW_HOSTAPD_STATION)
		ev.connected_time = connected_time;
	if (type == LW_HOSTAPD_STATION || type == LW_HOSTAPD_CONNECTED ||
	    type == LW_HOSTAPD_DISCONNECTED)
		h->stats.events++;
	h->fn(&ev, h->user_data);
}

/* Closes f's socket; emits DETACHED if it was attached; the next try after the backoff. */
static void drop(struct lw_hostapd *h, struct iface *f, bool failed)
{
	bool was_attached = f->state == ST_LISTING || f->state == ST_READY;

	if (f->fd >= 0) {
		epoll_ctl(h->ep, EPOLL_CTL_DEL, f->fd, NULL);
		close(f->fd);
		f->fd = -1;
	}
	if (was_attached && h->stats.attached > 0)
		h->stats.attached--;
	f->state = ST_IDLE;
	f->sent_at = 0;
	if (failed) {
		h->stats.failures++;
		f->backoff_ms = f->backoff_ms ? LW_MIN(f->backoff_ms * 2, h->cfg.backoff_max_ms)
					      : h->cfg.backoff_min_ms;
	}
	f->next_try = h->now + (lw_time_us)f->backoff_ms * 1000;
	if (was_attached)
		emit(h, f, LW_HOSTAPD_DETACHED, NULL, -1);
}

static int send_cmd(struct lw_hostapd *h, struct iface *f, const char *cmd)
{
	if (send(f->fd, cmd, strlen(cmd), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		drop(h, f, true);
		return -1;
	}
	f->sent_at = h->now;
	return 0;
}

static void try_connect(struct lw_hostapd *h, struct iface *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ee = {.events = EPOLLIN};
	int n;

	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0) {
		drop(h, f, true);
		return;
	}
	/* autobind: an abstract address the kernel picks (see hostapd.h for why) */
	if (bind(f->fd, (struct sockaddr *)&sa, sizeof(sa_family_t)) < 0) {
		drop(h, f, true);
		return;
	}
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", h->dir, f->name);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path) ||
	    connect(f->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		drop(h, f, true);
		return;
	}
	ee.data.u32 = (uint32_t)(f - h->ifaces) + 1;
	if (epoll_ctl(h->ep, EPOLL_CTL_ADD, f->fd, &ee) < 0) {
		drop(h, f, true);
		return;
	}
	f->state = ST_WAIT_ATTACH;
	f->last_rx = h->now;
	send_cmd(h, f, "ATTACH");
}

static struct iface *iface_find(struct lw_hostapd *h, const char *name)
{
	size_t i;

	for (i = 0; i < LW_HOSTAPD_IFACES_MAX; i++)
		if (h->ifaces[i].used && strcmp(h->ifaces[i].name, name) == 0)
			return &h->ifaces[i];
	return NULL;
}

/*
 * A socket file named name exists.  fresh: it was just created (hostapd (re)started), so any
 * backoff is over and the connection is tried at once.
 */
static void iface_appeared(struct lw_hostapd *h, const char *name, bool fresh)
{
	struct iface *f = iface_find(h, name);
	size_t i;

	if (strlen(name) >= LW_HOSTAPD_IFNAME_MAX)
		return;
	if (!f) {
		fresh = true;
		for (i = 0; i < LW_HOSTAPD_IFACES_MAX && h->ifaces[i].used; i++)
			;
		if (i == LW_HOSTAPD_IFACES_MAX)
			return; /* more sockets than the limit: the rest are not watched */
		f = &h->ifaces[i];
		memset(f, 0, sizeof(*f));
		f->used = true;
		f->fd = -1;
		snprintf(f->name, sizeof(f->name), "%s", name);
	}
	f->present = true;
	if (fresh && f->state == ST_IDLE) {
		f->backoff_ms = 0;
		f->next_try = h->now;
	}
}

/* The socket file is gone: hostapd stopped serving that interface. */
static void iface_vanished(struct lw_hostapd *h, const char *name)
{
	struct iface *f = iface_find(h, name);

	if (!f)
		return;
	if (f->fd >= 0)
		drop(h, f, false);
	f->used = false;
}

static bool is_socket(const char *dir, const char *name)
{
	char path[512];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void scan(struct lw_hostapd *h)
{
	DIR *d = opendir(h->dir);
	struct dirent *de;
	size_t i;

	for (i = 0; i < LW_HOSTAPD_IFACES_MAX; i++)
		h->ifaces[i].present = false;
	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (de->d_type != DT_SOCK &&
			    (de->d_type != DT_UNKNOWN || !is_socket(h->dir, de->d_name)))
				continue;
			iface_appeared(h, de->d_name, false);
		}
		closedir(d);
	}
	for (i = 0; i < LW_HOSTAPD_IFACES_MAX; i++)
		if (h->ifaces[i].used && !h->ifaces[i].present)
			iface_vanished(h, h->ifaces[i].name);
}

static void watch_dir(struct lw_hostapd *h)
{
	if (h->wd >= 0)
		return;
	h->wd = inotify_add_watch(h->in, h->dir,
				  IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
					  IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
}

static void read_inotify(struct lw_hostapd *h)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	bool rescan = false;

	while ((n = read(h->in, buf, sizeof(buf))) > 0) {
		size_t off = 0;

		while (off + sizeof(struct inotify_event) <= (size_t)n) {
			const struct inotify_event *ie = (const void *)(buf + off);

			off += sizeof(*ie) + ie->len;
			if (off > (size_t)n)
				break;
			if (ie->mask &
			    (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_Q_OVERFLOW)) {
				if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
					h->wd = -1;
				rescan = true;
				continue;
			}
			if (ie->len == 0 || ie->name[0] == '.')
				continue;
			if (ie->mask & (IN_CREATE | IN_MOVED_TO)) {
				if (is_socket(h->dir, ie->name))
					iface_appeared(h, ie->name, true);
			} else if (ie->mask & (IN_DELETE | IN_MOVED_FROM)) {
				iface_vanished(h, ie->name);
			}
		}
	}
	if (rescan) {
		if (h->wd >= 0)
			inotify_rm_watch(h->in, h->wd);
		h->wd = -1;
		watch_dir(h);
		scan(h);
	}
}

static void on_reply(struct lw_hostapd *h, struct iface *f, const char *s, size_t len)
{
	struct lw_mac mac;
	long ct;
	int r;

	switch (f->state) {
	case ST_WAIT_ATTACH:
		if (len < 2 || memcmp(s, "OK", 2) != 0) {
			h->stats.malformed++;
			drop(h, f, true);
			return;
		}
		f->state = ST_LISTING;
		f->backoff_ms = 0;
		f->listed = 0;
		f->list_restarts = 0;
		h->stats.connects++;
		h->stats.attached++;
		emit(h, f, LW_HOSTAPD_ATTACHED, NULL, -1);
		send_cmd(h, f, "STA-FIRST");
		return;
	case ST_LISTING:
		r = lw_hostapd_parse_sta(s, len, &mac, &ct);
		if (r == 1 && f->listed < LW_HOSTAPD_LIST_MAX) {
			char cmd[32];
			char m[LW_MAC_STRLEN];

			f->listed++;
			emit(h, f, LW_HOSTAPD_STATION, &mac, ct);
			snprintf(cmd, sizeof(cmd), "STA-NEXT %s", lw_mac_str(&mac, m));
			send_cmd(h, f, cmd);
			return;
		}
		if (r == -ENOENT && f->list_restarts < LIST_RESTARTS_MAX) {
			/* the station we asked after left meanwhile: list again from the start */
			f->list_restarts++;
			f->listed = 0;
			send_cmd(h, f, "STA-FIRST");
			return;
		}
		if (r == -EBADMSG)
			h->stats.malformed++;
		f->state = ST_READY;
		f->sent_at = 0;
		emit(h, f, LW_HOSTAPD_LISTED, NULL, -1);
		return;
	case ST_READY:
		if (f->sent_at && len >= 4 && memcmp(s, "PONG", 4) == 0) {
			f->sent_at = 0;
			return;
		}
		h->stats.ignored++;
		return;
	case ST_IDLE:
		return;
	}
}

static void on_message(struct lw_hostapd *h, struct iface *f, const char *s, size_t len)
{
	struct lw_hostapd_line line;

	f->last_rx = h->now;
	if (len == 0 || s[0] != '<') {
		on_reply(h, f, s, len);
		return;
	}
	if (lw_hostapd_parse_event(s, len, &line) < 0) {
		h->stats.malformed++;
		return;
	}
	/* events before the list started would be lost anyway; those after are kept */
	if (f->state != ST_LISTING && f->state != ST_READY) {
		h->stats.ignored++;
		return;
	}
	switch (line.kind) {
	case LW_HOSTAPD_LINE_CONNECTED:
		emit(h, f, LW_HOSTAPD_CONNECTED, &line.mac, -1);
		return;
	case LW_HOSTAPD_LINE_DISCONNECTED:
		emit(h, f, LW_HOSTAPD_DISCONNECTED, &line.mac, -1);
		return;
	case LW_HOSTAPD_LINE_OTHER:
		h->stats.ignored++;
		return;
	}
}

static void read_socket(struct lw_hostapd *h, struct iface *f)
{
	for (;;) {
		ssize_t n;

		if (f->fd < 0)
			return;
		n = recv(f->fd, h->buf, LW_HOSTAPD_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			drop(h, f, true); /* ECONNREFUSED: hostapd went away */
			return;
		}
		if ((size_t)n > LW_HOSTAPD_MSG_MAX) {
			h->stats.malformed++;
			continue;
		}
		on_message(h, f, h->buf, (size_t)n);
	}
}

void lw_hostapd_dispatch(struct lw_hostapd *h, lw_time_us now)
{
	struct epoll_event ev[16];
	int n, i;

	h->now = now;
	n = epoll_wait(h->ep, ev, (int)LW_ARRAY_SIZE(ev), 0);
	for (i = 0; i < n; i++) {
		uint32_t id = ev[i].data.u32;

		if (id == EP_INOTIFY)
			read_inotify(h);
		else if (id <= LW_HOSTAPD_IFACES_MAX && h->ifaces[id - 1].used)
			read_socket(h, &h->ifaces[id - 1]);
	}
}

void lw_hostapd_tick(struct lw_hostapd *h, lw_time_us now)
{
	lw_time_us timeout = (lw_time_us)h->cfg.reply_timeout_ms * 1000;
	lw_time_us ping = (lw_time_us)h->cfg.ping_ms * 1000;
	size_t i;

	h->now = now;
	if (!h->started || (h->wd < 0 && now >= h->next_rescan)) {
		h->started = true;
		watch_dir(h);
		scan(h);
		h->next_rescan = now + RESCAN_EVERY;
	}
	for (i = 0; i < LW_HOSTAPD_IFACES_MAX; i++) {
		struct iface *f = &h->ifaces[i];

		if (!f->used)
			continue;
		if (f->state == ST_IDLE) {
			if (now >= f->next_try)
				try_connect(h, f);
			continue;
		}
		if (f->sent_at && now - f->sent_at >= timeout) {
			drop(h, f, true);
			continue;
		}
		if (f->state == ST_READY && !f->sent_at && now - f->last_rx >= ping)
			send_cmd(h, f, "PING");
	}
}

int lw_hostapd_new(const struct lw_hostapd_config *cfg, lw_hostapd_fn fn, void *user_data,
		   struct lw_hostapd **out)
{
	struct epoll_event ee = {.events = EPOLLIN, .data.u32 = EP_INOTIFY};
	struct lw_hostapd *h;
	const char *dir =
		cfg && cfg->ctrl_dir && cfg->ctrl_dir[0] ? cfg->ctrl_dir : "/var/run/hostapd";
	int r;

	*out = NULL;
	if (!fn)
		return -EINVAL;
	/* room for "/<ifname>" in sun_path */
	if (strlen(dir) + 1 + LW_HOSTAPD_IFNAME_MAX > sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (cfg)
		h->cfg = *cfg;
	h->cfg.backoff_min_ms = h->cfg.backoff_min_ms ? h->cfg.backoff_min_ms : 250;
	h->cfg.backoff_max_ms = h->cfg.backoff_max_ms ? h->cfg.backoff_max_ms : 30000;
	if (h->cfg.backoff_max_ms < h->cfg.backoff_min_ms)
		h->cfg.backoff_max_ms = h->cfg.backoff_min_ms;
	h->cfg.ping_ms = h->cfg.ping_ms ? h->cfg.ping_ms : 10000;
	h->cfg.reply_timeout_ms = h->cfg.reply_timeout_ms ? h->cfg.reply_timeout_ms : 3000;
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	h->cfg.ctrl_dir = h->dir;
	h->fn = fn;
	h->user_data = user_data;
	h->wd = -1;
	h->ep = epoll_create1(EPOLL_CLOEXEC);
	h->in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (h->ep < 0 || h->in < 0 || epoll_ctl(h->ep, EPOLL_CTL_ADD, h->in, &ee) < 0) {
		r = -errno;
		lw_hostapd_free(h);
		return r;
	}
	*out = h;
	return 0;
}

void lw_hostapd_free(struct lw_hostapd *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < LW_HOSTAPD_IFACES_MAX; i++)
		if (h->ifaces[i].used && h->ifaces[i].fd >= 0)
			close(h->ifaces[i].fd);
	if (h->in >= 0)
		close(h->in);
	if (h->ep >= 0)
		close(h->ep);
	free(h);
}

int lw_hostapd_fd(const struct lw_hostapd *h)
{
	return h->ep;
}

void lw_hostapd_get_stats(const struct lw_hostapd *h, struct lw_hostapd_stats *out)
{
	*out = h->stats;
}
