#!/usr/bin/env bash
# Lab test: netlink in namespaces (bridge FDB: MAC -> port, of the watched bridge only;
# neighbours: IP -> MAC; link down/up; no nl80211 in this kernel, which is not an error), then
# leakwatchd running as an unprivileged user keeps capturing across the bridge going down and
# up, and being deleted and created again, and writes the phone's bridge port to devices.port
# (following it when it moves; the FDB adds no device rows); its station rounds (every
# second) find no Wi-Fi, say so once and write no stations rows.
#   netlink.sh LEAKWATCHD NL-PROBE
set -uo pipefail
daemon=$(realpath "$1")
probe=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)"; exit 77; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3"; exit 77; }
# shellcheck source=lab.sh
. "$here/lab.sh"

fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
has() { # has DESCRIPTION LINE FILE
	grep -qxF "$2" "$3" && ok "$1" || { bad "$1: no line '$2' in:"; cat "$3"; }
}
p1() { lab_ns "$LAB_ID-phone1" "$@"; }
send_from() { # send_from IFACE SRC-MAC: one broadcast frame from IFACE (AP namespace), local ethertype
	lab_ns "$LAB_AP" python3 -c 'import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(b"\xff" * 6 + bytes.fromhex(sys.argv[2].replace(":", "")) + b"\x88\xb5" + bytes(46))' "$1" "$2"
}

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
port=${LAB_ID}0p
lab_ns "$LAB_AP" ip addr add 192.0.2.2/24 dev br0

# 1. the probe: events while the bridge goes down and up and traffic flows, lookups at the end
lab_bg "$LAB_AP" "$LAB_DIR/probe.log" "$probe" br0 4 --port 02:10:00:00:00:01 \
	--port 02:00:5e:00:00:01 --port 02:00:5e:00:00:99 --mac 192.0.2.11 --mac 192.0.2.99
pid=${LAB_PIDS[-1]}
for _ in $(seq 50); do grep -qs '^start' "$LAB_DIR/probe.log" && break; sleep 0.1; done
lab_ns "$LAB_AP" ip link set br0 down
sleep 0.3
lab_ns "$LAB_AP" ip link set br0 up
sleep 0.3
p1 bash -c 'echo x >/dev/udp/192.0.2.1/9' # the bridge learns both ends
lab_ns "$LAB_AP" bash -c 'echo x >/dev/udp/192.0.2.11/9' # the AP resolves the phone (ARP)
# another bridge of the same AP learns 02:00:5e:00:00:99: not a port of br0
lab_ns "$LAB_AP" ip link add br1 type bridge stp_state 0 forward_delay 0
lab_ns "$LAB_AP" ip link add "${LAB_ID}x" type veth peer name "${LAB_ID}xh"
lab_ns "$LAB_AP" ip link set "${LAB_ID}x" master br1
for i in br1 "${LAB_ID}x" "${LAB_ID}xh"; do lab_ns "$LAB_AP" ip link set "$i" up; done
for _ in $(seq 50); do
	lab_ns "$LAB_AP" bridge link show dev "${LAB_ID}x" | grep -q 'state forwarding' && break
	sleep 0.1
done
send_from "${LAB_ID}xh" 02:00:5e:00:00:99
wait "$pid"
has "link is up at start; no nl80211 here, reported as not supported" \
	"start link up wifi no stations -95" "$LAB_DIR/probe.log"
grep -q '^link down$' "$LAB_DIR/probe.log" && grep -A100 '^link down$' "$LAB_DIR/probe.log" |
	grep -q '^link up$' && ok "link down, then up, notified" ||
	{ bad "link down/up notifications"; cat "$LAB_DIR/probe.log"; }
has "an FDB notification names the phone's port" "fdb add 02:10:00:00:00:01 $port" \
	"$LAB_DIR/probe.log"
has "a neighbour notification maps the phone's address" \
	"neigh add 192.0.2.11 02:10:00:00:00:01" "$LAB_DIR/probe.log"
has "FDB lookup: the phone's port" "port 02:10:00:00:00:01 $port" "$LAB_DIR/probe.log"
has "FDB lookup: the upstream's port" "port 02:00:5e:00:00:01 ${LAB_ID}u" "$LAB_DIR/probe.log"
has "FDB lookup: a MAC another bridge learned is not br0's" "port 02:00:5e:00:00:99 none" \
	"$LAB_DIR/probe.log"
[ "$(lab_ns "$LAB_AP" bridge fdb show br br1 | grep -c '^02:00:5e:00:00:99 ')" = 1 ] &&
	! grep -q '^fdb .* 02:00:5e:00:00:99 ' "$LAB_DIR/probe.log" &&
	ok "br1's FDB entry is not notified as br0's" ||
	{ bad "br1's FDB entry"; lab_ns "$LAB_AP" bridge fdb show br br1; cat "$LAB_DIR/probe.log"; }
has "neighbour lookup" "mac 192.0.2.11 02:10:00:00:00:01" "$LAB_DIR/probe.log"
has "neighbour lookup: an unknown address" "mac 192.0.2.99 none" "$LAB_DIR/probe.log"

# 2. leakwatchd as an unprivileged user: the capture is reopened when br0 comes back
user=nobody
mkdir "$LAB_DIR/db"
chown "$user" "$LAB_DIR/db"
chmod 0711 "$LAB_DIR"
db=$LAB_DIR/db/leakwatch.db
cat >"$LAB_DIR/lw.conf" <<CONF
[ap]
hostapd_ctrl_dir = $LAB_DIR/no-hostapd
station_interval = 1
CONF
lab_bg "$LAB_AP" "$LAB_DIR/leakwatchd.log" "$daemon" -i br0 --db "$db" --user "$user" \
	-c "$LAB_DIR/lw.conf"
lwd=${LAB_PIDS[-1]}
for _ in $(seq 100); do grep -qs "capturing on" "$LAB_DIR/leakwatchd.log" && break; sleep 0.1; done
grep -qs "capturing on" "$LAB_DIR/leakwatchd.log" ||
	{ bad "leakwatchd did not start"; cat "$LAB_DIR/leakwatchd.log"; exit 1; }
uid=$(awk '/^Uid:/ { print $3 }' "/proc/$lwd/status")
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$lwd/status")
prm=$(awk '/^CapPrm:/ { print $2 }' "/proc/$lwd/status")
[ "$uid" = "$(id -u "$user")" ] && [ "$caps" = 0000000000003000 ] && [ "$prm" = 0000000000003000 ] &&
	ok "runs as $user with CAP_NET_ADMIN and CAP_NET_RAW only" ||
	bad "privileges: uid $uid, CapEff $caps, CapPrm $prm"
[ "$(stat -c '%U %a' "$db")" = "$user 600" ] && ok "the database is created by $user, mode 0600" ||
	bad "database owner/mode: $(stat -c '%U %a' "$db")"

p1 bash -c 'echo before >/dev/udp/192.0.2.1/5001'
sleep 0.3
# down and up: libpcap keeps the socket through it (no error, no frames while down)
lab_ns "$LAB_AP" ip link set br0 down
sleep 0.5
lab_ns "$LAB_AP" ip link set br0 up
sleep 0.5
p1 bash -c 'echo while >/dev/udp/192.0.2.1/5002'
sleep 0.3
# deleted and created again: the old capture is dead; a new one must be opened
lab_ns "$LAB_AP" ip link del br0
for _ in $(seq 50); do grep -qs "capturing again when it is back" "$LAB_DIR/leakwatchd.log" && break; sleep 0.1; done
grep -qs "capturing again when it is back" "$LAB_DIR/leakwatchd.log" &&
	ok "br0 deleted: the capture is closed, the daemon waits" || bad "br0 deletion not noticed"
kill -0 "$lwd" 2>/dev/null && ok "still running without br0" || bad "the daemon exited"
sleep 0.5
lab_ns "$LAB_AP" ip link add br0 type bridge stp_state 0 forward_delay 0
lab_ns "$LAB_AP" ip link set "$port" master br0
lab_ns "$LAB_AP" ip link set "${LAB_ID}u" master br0
lab_ns "$LAB_AP" ip link set br0 up
for _ in $(seq 50); do grep -qs "br0: capturing again$" "$LAB_DIR/leakwatchd.log" && break; sleep 0.1; done
grep -qs "br0: capturing again$" "$LAB_DIR/leakwatchd.log" && ok "br0 back: capturing again" ||
	bad "capture not reopened"
# netlink followed it too (the link cache keeps an object of the deleted bridge: a lookup by
# name found that one, still up).  Two processes log these lines: the parser's netlink, and
# the privileged process once it captures again.  A parser ending for the lost capture may or
# may not see the deletion, or the new bridge, before it stops, so the lines are not counted:
# the first change is logged down then up, and the last line is up.
links=$(sed -n 's/^leakwatchd: br0 is \(up\|down\)$/\1/p' "$LAB_DIR/leakwatchd.log" | uniq | tr '\n' ' ')
case "$links" in
"down up " | "down up "*" up ") ok "netlink: br0 down and up, deleted and created again: logged (${links% })" ;;
*) bad "netlink link changes: '${links% }', want down, up, ..., up" ;;
esac
sleep 0.5
p1 bash -c 'echo after >/dev/udp/192.0.2.1/5003'
sleep 0.5

# the phone's bridge port in devices.port, and the port its MAC moves to (the FDB follows a
# frame with that MAC from another port; then the phone itself talks again)
dev_port() { sqlite3 "$db" "SELECT ifnull(port, 'NULL') FROM devices WHERE mac = '02:10:00:00:00:01'"; }
wait_port() { # the store commits every 500 ms
	for _ in $(seq 30); do [ "$(dev_port)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}
wait_port "$port" && ok "devices.port: the phone is on $port" ||
	bad "devices.port of the phone: '$(dev_port)', want $port"
lab_ns "$LAB_AP" ip link add "${LAB_ID}m" type veth peer name "${LAB_ID}mh"
lab_ns "$LAB_AP" ip link set "${LAB_ID}m" master br0
for i in "${LAB_ID}m" "${LAB_ID}mh"; do lab_ns "$LAB_AP" ip link set "$i" up; done
for _ in $(seq 50); do # a port learns once it forwards (carrier first)
	lab_ns "$LAB_AP" bridge link show dev "${LAB_ID}m" | grep -q 'state forwarding' && break
	sleep 0.1
done
# the phone's own frames (IPv6 neighbour discovery) move its MAC back at any moment: keep
# sending from the new port until the row shows it
moved() {
	for _ in $(seq 30); do
		send_from "${LAB_ID}mh" 02:10:00:00:00:01
		[ "$(dev_port)" = "${LAB_ID}m" ] && return 0
		sleep 0.1
	done
	return 1
}
moved && ok "its MAC moved: devices.port follows to ${LAB_ID}m" ||
	{
		bad "after the move: devices.port '$(dev_port)', want ${LAB_ID}m; br0's FDB:"
		lab_ns "$LAB_AP" bridge fdb show br br0 | grep -v permanent
	}
p1 bash -c 'echo back >/dev/udp/192.0.2.1/5004'
wait_port "$port" && ok "the phone talks again: devices.port is $port again" ||
	bad "after moving back: devices.port '$(dev_port)', want $port"
kill -TERM "$lwd"
for _ in $(seq 100); do kill -0 "$lwd" 2>/dev/null || break; sleep 0.1; done
wait "$lwd"
rc=$?
[ $rc -eq 0 ] && ok "exit status 0 after SIGTERM" || bad "exit status $rc"
got=$(sqlite3 "$db" "SELECT group_concat(dst_port, ' ') FROM (SELECT dst_port FROM flows WHERE dst_port IN (5001, 5002, 5003) ORDER BY dst_port)")
[ "$got" = "5001 5002 5003" ] && ok "flows from before, between and after the link changes" ||
	bad "flows: '$got'"
# the FDB knew the upstream's MAC on ${LAB_ID}u all along: it is not made a device for that
got=$(sqlite3 "$db" "SELECT count(*) FROM devices WHERE mac = '02:00:5e:00:00:01'")
[ "$got" = 0 ] && ok "the upstream's MAC (in the FDB, never a client) has no devices row" ||
	bad "devices rows for the upstream's MAC: $got"
got=$(sqlite3 "$db" "SELECT port FROM devices WHERE mac = '02:10:00:00:00:01'")
[ "$got" = "$port" ] && ok "after the stop: the phone's row keeps port $port" ||
	bad "after the stop: devices.port '$got'"
# station rounds every second for the whole run: without nl80211 (this kernel) or without a
# Wi-Fi port (the veth ports of a kernel that has it) that is said once by each parser process
# (a fresh one starts with the new capture), and no row is written
if grep -qxF "start link up wifi no stations -95" "$LAB_DIR/probe.log"; then
	want="wifi: no nl80211 in this kernel (no Wi-Fi): no station rows"
else
	want="wifi: no Wi-Fi interface among br0 and its ports: no station rows until one is added"
fi
starts=$(grep -c "capturing on br0" "$LAB_DIR/leakwatchd.log")
[ "$(grep -cF "$want" "$LAB_DIR/leakwatchd.log")" = "$starts" ] &&
	[ "$(sqlite3 "$db" "SELECT count(*) FROM stations")" = 0 ] &&
	! grep -q "wifi: .*asking nl80211" "$LAB_DIR/leakwatchd.log" &&
	ok "station_interval 1 without Wi-Fi: logged once per parser ($starts: '${want%%:*}: ${want#*: }'), no stations rows" ||
	bad "station rounds without Wi-Fi: $(grep -c 'wifi:' "$LAB_DIR/leakwatchd.log") wifi lines, $(sqlite3 "$db" "SELECT count(*) FROM stations") rows"
grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$LAB_DIR/leakwatchd.log" &&
	{ cat "$LAB_DIR/leakwatchd.log"; bad "sanitizer report"; }
[ $fail -ne 0 ] && { echo "--- leakwatchd.log"; cat "$LAB_DIR/leakwatchd.log"; }
exit $fail
