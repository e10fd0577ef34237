/* SPDX-License-Identifier: MIT */
/*
 * lib/ap/netlink.h from the command line, for the lab test: prints link, FDB and neighbour
 * events for SECONDS, then the port of each --port MAC and the MAC of each --mac IP.  First it
 * asks nl80211 (lib/ap/station.h) for the stations of IFACE and its ports: "stations N", or
 * the -errno (-95 without nl80211), each station on a "station" line.
 *   nl-probe IFACE SECONDS [--port MAC]... [--mac IP]...
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ap/netlink.h"
#include "ap/station.h"

static void on_event(const struct lw_nl_event *ev, void *user_data)
{
	char m[LW_MAC_STRLEN], a[LW_ADDR_STRLEN];

	(void)user_data;
	switch (ev->type) {
	case LW_NL_LINK:
		printf("link %s\n", ev->up ? "up" : "down");
		break;
	case LW_NL_FDB:
		printf("fdb %s %s %s\n", ev->removed ? "del" : "add", lw_mac_str(&ev->mac, m),
		       ev->port);
		break;
	case LW_NL_NEIGH:
		printf("neigh %s %s %s\n", ev->removed ? "del" : "add", lw_addr_str(&ev->addr, a),
		       lw_mac_str(&ev->mac, m));
		break;
	}
	fflush(stdout);
}

static struct lw_nl *probe_nl;
static bool round_done;

static void on_station(const struct lw_station *st, void *user_data)
{
	char m[LW_MAC_STRLEN], ifname[IF_NAMESIZE] = "?";

	(void)user_data;
	lw_nl_ifname(probe_nl, st->ifindex, ifname);
	printf("station %s %s present %#x signal %d avg %d tx %llu rx %llu inactive %u "
	       "connected %u\n",
	       lw_mac_str(&st->mac, m), ifname, st->present, st->signal, st->signal_avg,
	       (unsigned long long)st->tx_bitrate, (unsigned long long)st->rx_bitrate,
	       st->inactive_ms, st->connected_s);
}

static void on_round(const struct lw_station_round *round, void *user_data)
{
	char ifname[IF_NAMESIZE];
	size_t k;

	(void)user_data;
	for (k = 0; k < round->n; k++) {
		snprintf(ifname, sizeof(ifname), "?");
		lw_nl_ifname(probe_nl, round->ifaces[k].ifindex, ifname);
		printf("iface %s err %d stations %u cut %u\n", ifname, round->ifaces[k].err,
		       round->ifaces[k].stations, round->ifaces[k].cut);
	}
	round_done = true;
}

/* One station round: the number of stations, or -errno. */
static int stations(struct lw_nl *nl)
{
	int ifindex[LW_STATION_IFACES_MAX];
	struct lw_station_dump *d = NULL;
	struct lw_station_stats ss;
	size_t n = lw_nl_ports(nl, ifindex, LW_STATION_IFACES_MAX);
	int r = lw_station_dump_new(on_station, on_round, NULL, &d), tries;

	if (r == 0)
		r = n ? lw_station_dump_start(d, ifindex, n) : -ENODEV;
	for (tries = 0; r == 0 && !round_done && tries < 20; tries++) {
		struct pollfd p = {.fd = lw_station_dump_fd(d), .events = POLLIN};

		if (poll(&p, 1, 100) > 0)
			r = lw_station_dump_dispatch(d);
	}
	if (r == 0 && !round_done)
		r = -ETIMEDOUT;
	if (r == 0) {
		lw_station_dump_get_stats(d, &ss);
		r = (int)ss.stations;
	}
	lw_station_dump_free(d);
	return r;
}

int main(int argc, char **argv)
{
	struct lw_nl *nl = NULL;
	struct timespec start, now;
	double secs;
	int i, r;

	if (argc < 3) {
		fprintf(stderr, "usage: nl-probe IFACE SECONDS [--port MAC]... [--mac IP]...\n");
		return 64;
	}
	secs = atof(argv[2]);
	r = lw_nl_new(argv[1], on_event, NULL, &nl);
	if (r < 0) {
		fprintf(stderr, "nl-probe: %s\n", strerror(-r));
		return 1;
	}
	probe_nl = nl;
	r = stations(nl);
	printf("start link %s wifi %s stations %d\n", lw_nl_link_up(nl) ? "up" : "down",
	       r == -EOPNOTSUPP ? "no" : "yes", r);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = {.fd = lw_nl_fd(nl), .events = POLLIN};
		double el;

		clock_gettime(CLOCK_MONOTONIC, &now);
		el = (double)(now.tv_sec - start.tv_sec) +
		     (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		if (el >= secs)
			break;
		if (poll(&p, 1, (int)((secs - el) * 1000) + 1) > 0)
			lw_nl_dispatch(nl);
	}
	for (i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port")) {
			struct lw_mac mac;
			char port[IF_NAMESIZE];

			if (lw_mac_parse(argv[i + 1], &mac) == 0 &&
			    lw_nl_port_of(nl, &mac, port) == 0)
				printf("port %s %s\n", argv[i + 1], port);
			else
				printf("port %s none\n", argv[i + 1]);
		} else if (!strcmp(argv[i], "--mac")) {
			struct lw_addr a;
			struct lw_mac mac;
			char m[LW_MAC_STRLEN];

			if (lw_addr_parse(argv[i + 1], &a) == 0 && lw_nl_mac_of(nl, &a, &mac) == 0)
				printf("mac %s %s\n", argv[i + 1], lw_mac_str(&mac, m));
			else
				printf("mac %s none\n", argv[i + 1]);
		}
	}
	lw_nl_free(nl);
	return 0;
}
