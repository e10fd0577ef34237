/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/ap: hostapd event and station lines, the OUI registry, and the control
 * interface client against a fake hostapd socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ap/hostapd.h"
#include "ap/oui.h"
#include "lw-test.h"

static int parse_event(const char *s, struct lw_hostapd_line *l)
{
	struct lw_test_guard_buf g;
	const char *p = lw_test_guard(s, strlen(s), &g);
	int r = lw_hostapd_parse_event(p, strlen(s), l);

	lw_test_unguard(&g);
	return r;
}

static void test_event_lines(void)
{
	struct lw_hostapd_line l;
	char m[LW_MAC_STRLEN];

	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED 02:00:5e:10:00:01", &l), 0);
	LW_CHECK_INT(l.kind, LW_HOSTAPD_LINE_CONNECTED);
	LW_CHECK_INT(l.level, 3);
	LW_CHECK_STR(lw_mac_str(&l.mac, m), "02:00:5e:10:00:01");
	LW_CHECK_INT(parse_event("<3>AP-STA-DISCONNECTED 3C:28:6D:AA:BB:CC\n", &l), 0);
	LW_CHECK_INT(l.kind, LW_HOSTAPD_LINE_DISCONNECTED);
	LW_CHECK_STR(lw_mac_str(&l.mac, m), "3c:28:6d:aa:bb:cc");
	/* hostapd appends fields on some builds */
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED 02:00:5e:10:00:01 keyid=home", &l), 0);
	LW_CHECK_INT(l.kind, LW_HOSTAPD_LINE_CONNECTED);
	LW_CHECK_INT(parse_event("<3>CTRL-EVENT-EAP-STARTED 02:00:5e:10:00:01", &l), 0);
	LW_CHECK_INT(l.kind, LW_HOSTAPD_LINE_OTHER);
	LW_CHECK_INT(parse_event("<2>EAPOL-4WAY-HS-COMPLETED 02:00:5e:10:00:01", &l), 0);
	LW_CHECK_INT(l.kind, LW_HOSTAPD_LINE_OTHER);

	/* malformed */
	LW_CHECK_INT(parse_event("", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<>AP-STA-CONNECTED 02:00:5e:10:00:01", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<12345>AP-STA-CONNECTED 02:00:5e:10:00:01", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("3>AP-STA-CONNECTED 02:00:5e:10:00:01", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED ", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED 02:00:5e:10:00", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED 02:00:5e:10:00:0g", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED 02-00-5e-10-00-01", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED 02:00:5e:10:00:012", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTEDX 02:00:5e:10:00:01", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>AP-STA-CONNECTED\t02:00:5e:10:00:01", &l), -EBADMSG);
	LW_CHECK_INT(lw_hostapd_parse_event("<3>X\0Y", 6, &l), -EBADMSG);
	LW_CHECK_INT(parse_event("<3>X\001Y", &l), -EBADMSG);
	LW_CHECK_INT(parse_event("OK\n", &l), -EBADMSG);

	/* every truncation of a valid line is parsed safely (and never as a station event
	 * with a partial MAC) */
	{
		static const char line[] = "<3>AP-STA-DISCONNECTED 02:00:5e:10:00:01 extra";
		size_t full = strlen("<3>AP-STA-DISCONNECTED 02:00:5e:10:00:01");

		LW_FOR_EACH_PREFIX(line, sizeof(line) - 1, p, n, {
			int r = lw_hostapd_parse_event((const char *)p, n, &l);

			if (n < full)
				LW_CHECK(r < 0 || l.kind == LW_HOSTAPD_LINE_OTHER);
			else
				LW_CHECK(r == 0 && l.kind == LW_HOSTAPD_LINE_DISCONNECTED);
		});
	}
}

static int parse_sta(const char *s, size_t len, struct lw_mac *mac, long *ct)
{
	struct lw_test_guard_buf g;
	const char *p = lw_test_guard(s, len, &g);
	int r = lw_hostapd_parse_sta(p, len, mac, ct);

	lw_test_unguard(&g);
	return r;
}

static void test_sta_replies(void)
{
	static const char reply[] = "02:00:5e:10:00:01\nflags=[AUTH][ASSOC][AUTHORIZED]\n"
				    "aid=0\ncapability=0x0\nconnected_time=42\n"
				    "dot1xAuthSessionId=ABCDEF\n";
	struct lw_mac mac;
	char m[LW_MAC_STRLEN];
	long ct;

	LW_CHECK_INT(parse_sta(reply, strlen(reply), &mac, &ct), 1);
	LW_CHECK_STR(lw_mac_str(&mac, m), "02:00:5e:10:00:01");
	LW_CHECK_INT(ct, 42);
	LW_CHECK_INT(parse_sta("02:00:5e:10:00:02\n", 18, &mac, &ct), 1);
	LW_CHECK_INT(ct, -1);
	LW_CHECK_INT(parse_sta("02:00:5e:10:00:02", 17, &mac, &ct), 1);
	LW_CHECK_INT(parse_sta("", 0, &mac, &ct), 0);
	LW_CHECK_INT(parse_sta("FAIL\n", 5, &mac, &ct), -ENOENT);
	LW_CHECK_INT(parse_sta("FAIL", 4, &mac, &ct), -ENOENT);
	LW_CHECK_INT(parse_sta("UNKNOWN COMMAND\n", 16, &mac, &ct), -EBADMSG);
	LW_CHECK_INT(parse_sta("02:00:5e:10:00:0", 16, &mac, &ct), -EBADMSG);
	LW_CHECK_INT(parse_sta("02:00:5e:10:00:01x\n", 19, &mac, &ct), -EBADMSG);
	LW_CHECK_INT(parse_sta("02:00:5e:10:00:01\nconnected_time=12a\n", 37, &mac, &ct), 1);
	LW_CHECK_INT(ct, -1);
	LW_CHECK_INT(parse_sta("02:00:5e:10:00:01\nconnected_time=\n", 34, &mac, &ct), 1);
	LW_CHECK_INT(ct, -1);
	LW_CHECK_INT(
		parse_sta("02:00:5e:10:00:01\nconnected_time=9999999999999999999\n", 52, &mac, &ct),
		1);
	LW_CHECK_INT(ct, -1);
	LW_FOR_EACH_PREFIX(reply, sizeof(reply) - 1, p, n, {
		int r = lw_hostapd_parse_sta((const char *)p, n, &mac, &ct);

		LW_CHECK(n == 0 ? r == 0 : n < 17 ? r == -EBADMSG : r == 1);
	});
}

static int oui_line(const char *s, uint32_t *prefix, char *name)
{
	struct lw_test_guard_buf g;
	const char *p = lw_test_guard(s, strlen(s), &g);
	int r = lw_oui_parse_line(p, strlen(s), prefix, name);

	lw_test_unguard(&g);
	return r;
}

static void test_oui_lines(void)
{
	char name[LW_OUI_NAME_MAX];
	uint32_t prefix;
	static const char txt[] = "F4BD9E     (base 16)\t\tCisco Systems, Inc\n";
	static const char csv[] = "MA-L,3C286D,\"Google, \"\"LLC\"\"\",1600 Amphitheatre Parkway\n";

	LW_CHECK_INT(oui_line(txt, &prefix, name), 1);
	LW_CHECK_INT(prefix, 0xf4bd9e);
	LW_CHECK_STR(name, "Cisco Systems, Inc");
	LW_CHECK_INT(oui_line("002272     (base 16)\t\tAmerican Micro-Fuel Device Corp.\r\n",
			      &prefix, name),
		     1);
	LW_CHECK_STR(name, "American Micro-Fuel Device Corp.");
	LW_CHECK_INT(oui_line(csv, &prefix, name), 1);
	LW_CHECK_INT(prefix, 0x3c286d);
	LW_CHECK_STR(name, "Google, \"LLC\"");
	LW_CHECK_INT(
		oui_line("MA-L,00D0EF,IGT,9295 PROTOTYPE DRIVE RENO NV US 89511", &prefix, name),
		1);
	LW_CHECK_STR(name, "IGT");
	/* lines that are not entries */
	LW_CHECK_INT(oui_line("F4-BD-9E   (hex)\t\tCisco Systems, Inc", &prefix, name), 0);
	LW_CHECK_INT(oui_line("\t\t\t\t80 West Tasman Drive", &prefix, name), 0);
	LW_CHECK_INT(oui_line("Registry,Assignment,Organization Name,Organization Address", &prefix,
			      name),
		     0);
	LW_CHECK_INT(oui_line("MA-M,3C286D1,Someone,Somewhere", &prefix, name), 0);
	LW_CHECK_INT(oui_line("MA-L,3C286D,\"unterminated", &prefix, name), 0);
	LW_CHECK_INT(oui_line("F4BD9E     (base 16)\t\t   ", &prefix, name), 0);
	LW_CHECK_INT(oui_line("", &prefix, name), 0);
	/* a very long name is cut, still NUL-terminated */
	{
		char longline[600];

		snprintf(longline, sizeof(longline), "AABBCC     (base 16)\t\t%0500d", 7);
		LW_CHECK_INT(oui_line(longline, &prefix, name), 1);
		LW_CHECK_INT(strlen(name), LW_OUI_NAME_MAX - 1);
	}
	LW_FOR_EACH_PREFIX(txt, sizeof(txt) - 1, p, n,
			   { lw_oui_parse_line((const char *)p, n, &prefix, name); });
	LW_FOR_EACH_PREFIX(csv, sizeof(csv) - 1, p, n,
			   { lw_oui_parse_line((const char *)p, n, &prefix, name); });
}

static void test_oui_table(void)
{
	char path[] = "/tmp/lw-test-oui.XXXXXX";
	struct lw_oui *t = NULL;
	struct lw_mac mac;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	size_t i;

	LW_CHECK(f != NULL);
	if (!f)
		return;
	fputs("OUI/MA-L                                                    Organization\n"
	      "company_id                                                  Organization\n\n",
	      f);
	/* many entries sharing names, in no order */
	for (i = 0; i < 3000; i++)
		fprintf(f,
			"%02X-%02X-%02X   (hex)\t\tVendor %zu\n%06zX     (base 16)\t\tVendor %zu\n"
			"\t\t\t\tSomewhere\n\n",
			(unsigned)((i * 7919) >> 16 & 0xfc), (unsigned)((i * 7919) >> 8 & 0xff),
			(unsigned)((i * 7919) & 0xff), i % 10, (i * 7919) & 0xfcffff, i % 10);
	fputs("3C286D     (base 16)\t\tGoogle, Inc.\n", f);
	fclose(f);

	LW_CHECK_INT(lw_oui_load(path, &t), 0);
	LW_CHECK_INT(lw_oui_count(t), 3001);
	lw_mac_parse("3c:28:6d:00:00:02", &mac);
	LW_CHECK_STR(lw_oui_lookup(t, &mac), "Google, Inc.");
	for (i = 0; i < 3000; i += 97) {
		char want[32];
		uint32_t p = (uint32_t)((i * 7919) & 0xfcffff);

		mac.b[0] = (uint8_t)(p >> 16);
		mac.b[1] = (uint8_t)(p >> 8);
		mac.b[2] = (uint8_t)p;
		snprintf(want, sizeof(want), "Vendor %zu", i % 10);
		LW_CHECK_STR(lw_oui_lookup(t, &mac), want);
	}
	lw_mac_parse("3e:28:6d:00:00:02", &mac); /* locally administered: no vendor */
	LW_CHECK(lw_oui_lookup(t, &mac) == NULL);
	lw_mac_parse("3d:28:6d:00:00:02", &mac); /* group address */
	LW_CHECK(lw_oui_lookup(t, &mac) == NULL);
	lw_mac_parse("f8:ff:ff:00:00:02", &mac); /* not registered */
	LW_CHECK(lw_oui_lookup(t, &mac) == NULL);
	LW_CHECK(lw_oui_lookup(NULL, &mac) == NULL);
	lw_oui_free(t);
	lw_oui_free(NULL);

	/* a file with no entry, and a missing one */
	f = fopen(path, "w");
	if (f) {
		fputs("nothing here\n", f);
		fclose(f);
	}
	LW_CHECK_INT(lw_oui_load(path, &t), -EINVAL);
	unlink(path);
	LW_CHECK_INT(lw_oui_load(path, &t), -ENOENT);
	LW_CHECK(t == NULL);
}

/* --- the client against a fake hostapd ---------------------------------------------------- */

struct fake {
	char dir[48];
	char path[80];
	int fd;
	struct sockaddr_un peer;
	socklen_t peer_len;
	int stations; /* answered to STA-FIRST / STA-NEXT: 02:00:5e:10:00:01..N */
	int ct;
};

struct seen {
	char log[4096];
};

static void on_event(const struct lw_hostapd_event *ev, void *user_data)
{
	struct seen *s = user_data;
	static const char *const names[] = {"attached",	 "station",	 "listed",
					    "connected", "disconnected", "detached"};
	char m[LW_MAC_STRLEN];
	size_t off = strlen(s->log);

	if (ev->type == LW_HOSTAPD_STATION)
		snprintf(s->log + off, sizeof(s->log) - off, "%s %s %s %ld\n", names[ev->type],
			 ev->ifname, lw_mac_str(&ev->mac, m), ev->connected_time);
	else if (ev->type == LW_HOSTAPD_CONNECTED || ev->type == LW_HOSTAPD_DISCONNECTED)
		snprintf(s->log + off, sizeof(s->log) - off, "%s %s %s\n", names[ev->type],
			 ev->ifname, lw_mac_str(&ev->mac, m));
	else
		snprintf(s->log + off, sizeof(s->log) - off, "%s %s\n", names[ev->type],
			 ev->ifname);
}

static int fake_open(struct fake *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return 0;
}

static void fake_close(struct fake *f)
{
	close(f->fd);
	f->fd = -1;
	unlink(f->path);
}

static void fake_send(struct fake *f, const char *msg)
{
	sendto(f->fd, msg, strlen(msg), 0, (struct sockaddr *)&f->peer, f->peer_len);
}

/* Answers every request waiting on the fake's socket. */
static void fake_serve(struct fake *f)
{
	char buf[256], reply[256];
	ssize_t n;

	for (;;) {
		struct sockaddr_un from;
		socklen_t from_len = sizeof(from);

		n = recvfrom(f->fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &from_len);
		if (n < 0)
			return;
		f->peer = from; /* events go to the last client heard, as in hostapd */
		f->peer_len = from_len;
		buf[n] = '\0';
		reply[0] = '\0';
		if (strcmp(buf, "ATTACH") == 0) {
			snprintf(reply, sizeof(reply), "OK\n");
		} else if (strcmp(buf, "PING") == 0) {
			snprintf(reply, sizeof(reply), "PONG\n");
		} else if (strcmp(buf, "STA-FIRST") == 0) {
			if (f->stations > 0)
				snprintf(reply, sizeof(reply),
					 "02:00:5e:10:00:01\nflags=[AUTH]\nconnected_time=%d\n",
					 f->ct);
		} else if (strncmp(buf, "STA-NEXT 02:00:5e:10:00:0", 25) == 0) {
			int i = buf[25] - '0';

			if (i < f->stations)
				snprintf(reply, sizeof(reply),
					 "02:00:5e:10:00:0%d\nconnected_time=%d\n", i + 1,
					 f->ct + i);
		}
		sendto(f->fd, reply, strlen(reply), 0, (struct sockaddr *)&f->peer, f->peer_len);
	}
}

static void pump(struct lw_hostapd *h, struct fake *f, lw_time_us *now, int rounds)
{
	int i;

	for (i = 0; i < rounds; i++) {
		*now += 50 * 1000;
		lw_hostapd_tick(h, *now);
		usleep(2000);
		if (f->fd >= 0)
			fake_serve(f);
		usleep(2000);
		lw_hostapd_dispatch(h, *now);
	}
}

static void test_client(void)
{
	struct fake f = {.fd = -1, .stations = 2, .ct = 30};
	struct seen s = {""};
	struct lw_hostapd *h = NULL;
	struct lw_hostapd_stats st;
	struct lw_hostapd_config cfg = {.backoff_min_ms = 100, .backoff_max_ms = 400};
	lw_time_us now = 1000000;

	snprintf(f.dir, sizeof(f.dir), "/tmp/lw-test-hostapd.XXXXXX");
	if (!mkdtemp(f.dir)) {
		LW_CHECK(!"mkdtemp");
		return;
	}
	snprintf(f.path, sizeof(f.path), "%s/wlan0", f.dir);
	cfg.ctrl_dir = f.dir;
	LW_CHECK_INT(lw_hostapd_new(&cfg, on_event, &s, &h), 0);
	if (!h)
		return;
	LW_CHECK(lw_hostapd_fd(h) >= 0);

	/* hostapd is there at start: attach, list both stations */
	LW_CHECK_INT(fake_open(&f), 0);
	pump(h, &f, &now, 10);
	LW_CHECK_STR(s.log, "attached wlan0\nstation wlan0 02:00:5e:10:00:01 30\n"
			    "station wlan0 02:00:5e:10:00:02 31\nlisted wlan0\n");
	s.log[0] = '\0';

	/* events, malformed lines and unexpected replies */
	fake_send(&f, "<3>AP-STA-CONNECTED 02:00:5e:10:00:03");
	fake_send(&f, "<3>AP-STA-CONNECTED 02:00:5e:10:00");
	fake_send(&f, "<3>CTRL-EVENT-EAP-SUCCESS 02:00:5e:10:00:03");
	fake_send(&f, "unexpected reply");
	fake_send(&f, "<3>AP-STA-DISCONNECTED 02:00:5e:10:00:01");
	pump(h, &f, &now, 2);
	LW_CHECK_STR(s.log,
		     "connected wlan0 02:00:5e:10:00:03\ndisconnected wlan0 02:00:5e:10:00:01\n");
	lw_hostapd_get_stats(h, &st);
	LW_CHECK_INT(st.malformed, 1);
	LW_CHECK_INT(st.ignored, 2);
	LW_CHECK_INT(st.attached, 1);
	LW_CHECK_INT(st.connects, 1);
	s.log[0] = '\0';

	/* a quiet socket is pinged and stays attached */
	pump(h, &f, &now, 250);
	LW_CHECK_STR(s.log, "");
	lw_hostapd_get_stats(h, &st);
	LW_CHECK_INT(st.attached, 1);

	/* hostapd restarts: the socket file goes and comes back with one station */
	fake_close(&f);
	pump(h, &f, &now, 2);
	LW_CHECK_STR(s.log, "detached wlan0\n");
	s.log[0] = '\0';
	f.stations = 1;
	f.ct = 5;
	LW_CHECK_INT(fake_open(&f), 0);
	pump(h, &f, &now, 10);
	LW_CHECK_STR(s.log, "attached wlan0\nstation wlan0 02:00:5e:10:00:01 5\nlisted wlan0\n");
	s.log[0] = '\0';

	/* hostapd killed without removing its socket: the ping finds out, and retries back off
	 * until a new hostapd binds the name again */
	close(f.fd);
	f.fd = -1;
	pump(h, &f, &now, 300);
	LW_CHECK_STR(s.log, "detached wlan0\n");
	lw_hostapd_get_stats(h, &st);
	LW_CHECK_INT(st.attached, 0);
	LW_CHECK(st.failures >= 3);
	s.log[0] = '\0';
	unlink(f.path);
	f.stations = 0;
	LW_CHECK_INT(fake_open(&f), 0);
	pump(h, &f, &now, 10);
	LW_CHECK_STR(s.log, "attached wlan0\nlisted wlan0\n");

	lw_hostapd_free(h);
	fake_close(&f);
	rmdir(f.dir);
}

/* A directory that appears only later is picked up by the rescan. */
static void test_client_late_dir(void)
{
	struct fake f = {.fd = -1, .stations = 1, .ct = 7};
	struct seen s = {""};
	struct lw_hostapd *h = NULL;
	struct lw_hostapd_config cfg = {0};
	char parent[40];
	lw_time_us now = 1000000;

	snprintf(parent, sizeof(parent), "/tmp/lw-test-hostapd.XXXXXX");
	if (!mkdtemp(parent)) {
		LW_CHECK(!"mkdtemp");
		return;
	}
	snprintf(f.dir, sizeof(f.dir), "%s/run", parent);
	snprintf(f.path, sizeof(f.path), "%s/eth1", f.dir);
	cfg.ctrl_dir = f.dir;
	LW_CHECK_INT(lw_hostapd_new(&cfg, on_event, &s, &h), 0);
	if (!h)
		return;
	pump(h, &f, &now, 5);
	LW_CHECK_STR(s.log, "");
	mkdir(f.dir, 0700);
	LW_CHECK_INT(fake_open(&f), 0);
	pump(h, &f, &now, 30);
	LW_CHECK_STR(s.log, "attached eth1\nstation eth1 02:00:5e:10:00:01 7\nlisted eth1\n");
	lw_hostapd_free(h);
	fake_close(&f);
	rmdir(f.dir);
	rmdir(parent);
}

int main(void)
{
	LW_TEST(test_event_lines);
	LW_TEST(test_sta_replies);
	LW_TEST(test_oui_lines);
	LW_TEST(test_oui_table);
	LW_TEST(test_client);
	LW_TEST(test_client_late_dir);
	return lw_test_end();
}
