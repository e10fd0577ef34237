#!/usr/bin/env bash
# Lab test: br_netfilter on a bridged AP.  The holds sit on the inet/ip forward hook, which
# sees bridged frames only with br_netfilter loaded and net.bridge.bridge-nf-call-iptables = 1
# in the AP's network namespace.  Checked, with the time each took printed:
# - bridge-nf-call-iptables = 0 before the start: the daemon sets it back to 1 and says so;
# - set to 0 while it runs: put back to 1 again;
# - a daemon that cannot write /proc/sys (as under the unit's ProtectKernelTunables=yes) with
#   it at 0: meta and the log say the holds are OFF and name the fix (no "holding"); flagged
#   fresh names then escape (printed); set to 1 from outside, the problem is gone and the race
#   is won again;
# - where br_netfilter is a module not loaded yet (Debian's stock kernel), the daemon, started
#   as root, loads it.
#   block-brnf.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq nft sqlite3 python3 sysctl mount
# shellcheck source=block-lib.sh
. "$here/block-lib.sh"

N=${BLOCK_RACE_NAMES:-50}
REPORT_MS=${BLOCK_REPORT_MS:-1000}
WAIT_S=${BLOCK_WAIT_S:-20}

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
for i in $(seq "$N"); do
	lab_host "a$i.own.flagged.example" "198.51.100.$((i + 1))"
	lab_host "b$i.own.flagged.example" "198.51.100.$((i + 101))"
done
lab_dns_start --host-record=flagged.example,203.0.113.99 || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 -u "$here/servers.py" reply:0.0.0.0:8080
lab_wait_port "$LAB_UP" tcp 8080 || exit 1
block_ap_net
db=$LAB_DIR/block.db
P1=$LAB_ID-phone1
accepts() { grep -c "accept" "$LAB_DIR/servers.log"; }
# race PREFIX: fresh names looked up and connected to at once; prints how many reached the server
race() {
	local before
	before=$(accepts)
	lab_ns "$P1" python3 "$here/block_client.py" burst "$N" own.flagged.example 8080 2 "$1" \
		>/dev/null
	sleep 1
	echo $(($(accepts) - before))
}
call() { lab_ns "$LAB_AP" sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null || echo absent; }
block_conf "$LAB_DIR/lw.conf" domains=flagged.example

# --- not loaded at all (a stock kernel's module): the daemon, as root, loads it --------------
if [ "$(call)" = absent ]; then
	block_start "$LAB_DIR/lw.conf"
	ms=$(block_wait_meta block.br_netfilter '^on$' "$WAIT_S")
	echo "info br_netfilter was not loaded: on $ms ms after the start"
	block_expect "br_netfilter loaded by the daemon" "$(call)" 1
	block_expect "loaded and reported within $REPORT_MS ms of the daemon being ready" \
		"$(block_reported_in_time "$ms")" yes
	block_expect "the load is logged" "$(grep -c "loaded br_netfilter" "$LAB_DIR/leakwatchd.log")" 1
	block_stop
else
	echo "info br_netfilter is built in or loaded already: the load at start is not exercised here"
fi

# --- 0 before the start: set back to 1 -------------------------------------------------------
lab_ns "$LAB_AP" sysctl -qw net.bridge.bridge-nf-call-iptables=0
block_start "$LAB_DIR/lw.conf"
ms=$(block_wait_meta block.br_netfilter '^on$' "$WAIT_S")
echo "info bridge-nf-call-iptables=0 before the start: meta says on $ms ms after the start"
block_expect "set back to 1 at the start" "$(call)" 1
block_expect "reported within $REPORT_MS ms of the daemon being ready" "$(block_reported_in_time "$ms")" yes
block_expect "the change is logged" \
	"$(grep -c "set net.bridge.bridge-nf-call-iptables=1 (was 0)" "$LAB_DIR/leakwatchd.log")" 1
block_expect "layout" "$(block_meta block.layout)" bridged
block_expect "family" "$(block_meta block.family)" bridge
block_expect "holds on" "$(block_meta block.holds | grep -c '^DNS-hold and hello-hold on (')" 1

# --- 0 while it runs: put back -------------------------------------------------------------
lab_ns "$LAB_AP" sysctl -qw net.bridge.bridge-nf-call-iptables=0
t0=$(block_ms)
for _ in $(seq $((WAIT_S * 20))); do [ "$(call)" = 1 ] && break; sleep 0.05; done
echo "info bridge-nf-call-iptables=0 while running: back to 1 in $(($(block_ms) - t0)) ms"
block_expect "set back to 1 while running" "$(call)" 1
block_expect "race with br_netfilter on: connections that reached the server" "$(race a)" 0
block_stop
block_sanitizer_check

# --- a daemon that may not write /proc/sys: it reports -------------------------------------
cat >"$LAB_DIR/ro-proc-sys.sh" <<EOF
#!/bin/sh
# /proc/sys read-only for this process only (ip netns exec gave it its own mount namespace)
mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys || exit 1
exec "$daemon" "\$@"
EOF
chmod +x "$LAB_DIR/ro-proc-sys.sh"
lab_ns "$LAB_AP" sysctl -qw net.bridge.bridge-nf-call-iptables=0
real_daemon=$daemon
daemon=$LAB_DIR/ro-proc-sys.sh
block_start "$LAB_DIR/lw.conf"
daemon=$real_daemon
ms=$(block_wait_meta block.br_netfilter '^bridge-nf-call-iptables=0$' "$WAIT_S")
echo "info read-only /proc/sys, bridge-nf-call-iptables=0: reported $ms ms after the start"
block_expect "reported within $REPORT_MS ms of the daemon being ready" "$(block_reported_in_time "$ms")" yes
block_expect "still 0 (the daemon could not write it)" "$(call)" 0
block_expect "holds reported OFF with the fix" "$(block_meta block.holds)" \
	"DNS-hold and hello-hold are OFF: net.bridge.bridge-nf-call-iptables is 0 (run: sysctl -w net.bridge.bridge-nf-call-iptables=1)"
block_expect "problems name the fix" \
	"$(block_meta block.problems | grep -c 'sysctl -w net.bridge.bridge-nf-call-iptables=1')" 1
block_expect "the log names the fix" \
	"$(grep -c "blocking: DNS-hold and hello-hold OFF: net.bridge.bridge-nf-call-iptables is 0 (run: sysctl -w" "$LAB_DIR/leakwatchd.log")" 1
block_expect "the log never claims holding" "$(grep -c "holding DNS answers" "$LAB_DIR/leakwatchd.log")" 0
escaped=$(race b)
echo "info race with bridge-nf-call-iptables=0 (holds blind, as reported): $escaped of $N reached the server"
lab_ns "$LAB_AP" sysctl -qw net.bridge.bridge-nf-call-iptables=1
BLOCK_T0=$(block_ms)
ms=$(block_wait_meta block.br_netfilter '^on$' "$WAIT_S")
echo "info set to 1 from outside: meta says on after $ms ms"
block_expect "problem gone" "$(block_meta_empty block.problems)" empty
block_expect "logged as fixed" "$(grep -c "no longer a problem" "$LAB_DIR/leakwatchd.log")" 1
block_stop
block_sanitizer_check
exit $BLOCK_FAIL
