#!/usr/bin/env bash
# Installs what leakwatch needs to build, run and test on Debian 12 (apt-get; run as root).
# Quick when everything is already there: only missing packages are fetched.
set -euo pipefail

build=(meson ninja-build pkg-config gcc libc6-dev
	libpcap-dev libsqlite3-dev libssl-dev zlib1g-dev libbrotli-dev libinih-dev
	libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libsystemd-dev libcap-ng-dev
	libnftables-dev libnftnl-dev libmnl-dev libnetfilter-queue-dev)
run=(sqlite3 iproute2 ieee-data)
tests=(python3 python3-scapy python3-cryptography clang-format libclang-rt-14-dev clang
	dnsmasq-base curl tcpdump time hostapd wpasupplicant isc-dhcp-client systemd nftables
	debootstrap systemd-container) # systemd/test-boot.sh: a Debian root booted with nspawn

# tests/vm: the stock-kernel VM lab (QEMU; Debian's kernel and the guest root are fetched by
# tests/vm/vm-lib.sh with apt-get download and debootstrap, never installed on the host)
vm=(qemu-system-x86 debootstrap xz-utils)

# bench/run.sh: the peer it is compared with, the live replay, timing and profiling
bench=(libndpi-bin tcpreplay time linux-perf valgrind)

want=("${build[@]}" "${run[@]}")
[ "${1:-}" = "--tests" ] && want+=("${tests[@]}" "${vm[@]}")
[ "${1:-}" = "--bench" ] && want+=("${tests[@]}" "${vm[@]}" "${bench[@]}")

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
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
