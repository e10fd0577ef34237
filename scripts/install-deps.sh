#!/usr/bin/env bash
# Installs what leakwatch needs to build, run and test on Debian 12 (apt-get; run as root).
# Quick when everything is already there: only missing packages are fetched.
#   scripts/install-deps.sh           build and run (scripts/run.sh BRIDGE)
#   scripts/install-deps.sh --demo    and the demo (scripts/run.sh, scripts/demo.sh)
#   scripts/install-deps.sh --tests   and the tests (scripts/test.sh)
#   scripts/install-deps.sh --bench   and the benchmarks (bench/run.sh)
#   scripts/install-deps.sh --list-dev  prints the build's -dev packages, installs nothing
#                                     (scripts/install-cross.sh installs them for the target)
# The lists are checked against a debootstrap --variant=minbase root (tests/fresh/fresh.sh):
# what such a root already has (coreutils, util-linux, mount, findutils, grep, sed, mawk,
# bash) is not listed.
set -euo pipefail

build=(meson ninja-build pkg-config gcc libc6-dev
	libpcap-dev libsqlite3-dev libssl-dev zlib1g-dev libbrotli-dev libinih-dev
	libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libcap-ng-dev
	libnftables-dev libnftnl-dev libmnl-dev libnetfilter-queue-dev libnghttp2-dev libseccomp-dev
	libmosquitto-dev # optional (-Dmqtt): MQTT alerts
	libnats-dev # optional (-Dfleet): leakwatch-push, an access point's rows to NATS JetStream
	g++ libphonenumber-dev) # optional (-Dphonenumber): number plans for phone numbers
# (every optional part of the build is installed: README "Build options"; systemd's
# notifications need no library, daemon/sdnotify.c)
# the fleet's collector, leakwatch-collect (-Dfleet with libpq; central, not for a router):
# libpq-dev is not Multi-Arch: same, so it is not in --list-dev (a target's copy would
# replace the host's; a cross build leaves the collector out)
central=(libpq-dev)
# the daemon: the OUI registry, the sqlite3 CLI the README queries with, iproute2; iptables for
# libxtables' NFQUEUE extension (the xtables fallback of the connection-start hold); nghttp2's
# library for HPACK (HTTP/2 in clear text); libphonenumber's number plans
run=(sqlite3 iproute2 ieee-data iptables libnghttp2-14 libphonenumber8 libmosquitto1
	libnats3.4 libpq5)
# scripts/demo.sh and tests/lab/lab.sh: the lab's DNS, the phone's HTTP client, its servers
demo=(dnsmasq-base curl python3)
# python3-brotli: tests/golden checks its brotli body with it; man-db: systemd/test-unit.sh
# renders the man pages; git: tests/style.sh lists the tracked C files
# procps: sysctl and pgrep in the lab and hostile tests; openssl: tests/hostile/sni-guard.sh
# and tests/fleet/auth.sh (a CA, a certificate); python3-cryptography: also the nkeys there;
# chromium: tests/cli/report.sh renders the HTML report headless
tests=(python3 python3-scapy python3-cryptography python3-brotli clang-format chromium
	libclang-rt-14-dev clang tcpdump time hostapd wpasupplicant isc-dhcp-client systemd
	nftables man-db git procps openssl
	mosquitto mosquitto-clients # tests/alerts: a real broker, its subscriber
	debootstrap systemd-container # systemd/test-boot.sh, tests/fresh: Debian roots
	debhelper dpkg-dev # tests/package: dpkg-buildpackage of debian/
	shellcheck busybox # tests/openwrt: the OpenWrt package's scripts, under busybox too
	nats-server postgresql-15) # tests/fleet: a JetStream cluster, PostgreSQL (initdb, psql)

# tests/vm: the stock-kernel VM lab (QEMU; Debian's kernel and the guest root are fetched by
# tests/vm/vm-lib.sh with apt-get download and debootstrap, never installed on the host)
vm=(qemu-system-x86 debootstrap xz-utils)

# bench/run.sh: the peer it is compared with, the live replay, timing and profiling
bench=(libndpi-bin tcpreplay time linux-perf valgrind)

want=("${build[@]}" "${central[@]}" "${run[@]}")
case ${1:-} in
'') ;;
--list-dev)
	printf '%s\n' "${build[@]}" | grep -- '-dev$'
	exit 0
	;;
--demo) want+=("${demo[@]}") ;;
--tests) want+=("${demo[@]}" "${tests[@]}" "${vm[@]}") ;;
--bench) want+=("${demo[@]}" "${tests[@]}" "${vm[@]}" "${bench[@]}") ;;
*)
	echo "usage: $0 [--demo | --tests | --bench | --list-dev]" >&2
	exit 64
	;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
t=$SECONDS
export DEBIAN_FRONTEND=noninteractive
# postgresql-15's postinst creates and starts a cluster "main" unless createcluster.conf says
# not to; the tests make their own (initdb in a temporary directory), so a fresh machine gets
# none.  Written only when there is no such file yet: then postgresql-common's postinst (ucf,
# non-interactive) keeps it and puts its own beside it as createcluster.conf.ucf-dist.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
	mkdir -p /etc/postgresql-common
	printf '%s\n' "# scripts/install-deps.sh: no cluster on install (tests/fleet make their own)" \
		"create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
fi
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${#missing[@]} packages (and what they depend on) in $((SECONDS - t)) s" >&2
