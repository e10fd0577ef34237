#!/usr/bin/env bash
# Lab test: a real DHCP exchange (dnsmasq serving on the upstream side, ISC dhclient in the
# phone namespace) gives the device its host name and vendor class in `devices`, with the
# vendor from the OUI registry, as `leakwatch devices` shows them.
#   dhcp.sh LEAKWATCHD LEAKWATCH
set -uo pipefail
daemon=$(realpath "$1")
cli=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq dhclient sqlite3

fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

mac=3c:28:6d:00:00:07 # Google's OUI
lab_up
lab_phone phone1 $mac 192.0.2.11
lab_bg "$LAB_UP" "$LAB_DIR/dhcpd.log" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--port=0 --interface=eth0 --bind-interfaces --dhcp-range=192.0.2.100,192.0.2.150,1h \
	--dhcp-leasefile="$LAB_DIR/dnsmasq.leases" --pid-file="$LAB_DIR/dhcpd.pid" --user=root \
	--log-facility=- --log-dhcp
lab_wait_port "$LAB_UP" udp 67 || exit 1

# systemd's readiness protocol: a socket in NOTIFY_SOCKET receives READY=1 and STOPPING=1
lab_bg "$LAB_AP" "$LAB_DIR/notify.log" python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
while True:
    m = s.recv(4096).decode()
    print(m.replace("\n", " "), flush=True)
    if "STOPPING=1" in m:
        break' "$LAB_DIR/notify"
for _ in $(seq 50); do [ -S "$LAB_DIR/notify" ] && break; sleep 0.1; done

db=$LAB_DIR/dhcp.db
lab_bg "$LAB_AP" "$LAB_DIR/leakwatchd.log" env NOTIFY_SOCKET="$LAB_DIR/notify" "$daemon" -i br0 \
	--db "$db"
lwd=${LAB_PIDS[-1]}
for _ in $(seq 100); do grep -qs "capturing on" "$LAB_DIR/leakwatchd.log" && break; sleep 0.1; done
for _ in $(seq 50); do grep -qs "READY=1" "$LAB_DIR/notify.log" && break; sleep 0.1; done
grep -q "READY=1" "$LAB_DIR/notify.log" && ok "sd_notify READY=1 once capturing" ||
	bad "no READY=1 on NOTIFY_SOCKET"
st=$("$cli" --db "$db" status)
echo "$st" | grep -qx "leakwatchd:     running (pid $lwd)" && ok "leakwatch status: running, with its pid" ||
	{ bad "leakwatch status while running:"; echo "$st"; }

cat >"$LAB_DIR/dhclient.conf" <<CONF
send host-name "nokia-7-plus";
send vendor-class-identifier "android-dhcp-9";
CONF
# -sf /bin/true: take the lease without reconfiguring anything; own lease and pid files
lab_ns "$LAB_ID-phone1" timeout 20 dhclient -4 -1 -v -cf "$LAB_DIR/dhclient.conf" \
	-sf /bin/true -lf "$LAB_DIR/dhclient.leases" -pf "$LAB_DIR/dhclient.pid" eth0 \
	>"$LAB_DIR/dhclient.log" 2>&1
rc=$?
[ -f "$LAB_DIR/dhclient.pid" ] && kill "$(cat "$LAB_DIR/dhclient.pid")" 2>/dev/null
grep -q "DHCPACK" "$LAB_DIR/dhclient.log" && [ $rc -eq 0 ] && ok "dhclient got a lease" ||
	{ bad "dhclient got no lease (exit $rc)"; cat "$LAB_DIR/dhclient.log" "$LAB_DIR/dhcpd.log"; }
sleep 1.5
kill -TERM "$lwd"
for _ in $(seq 100); do kill -0 "$lwd" 2>/dev/null || break; sleep 0.1; done
wait "$lwd"
for _ in $(seq 20); do grep -qs "STOPPING=1" "$LAB_DIR/notify.log" && break; sleep 0.1; done
grep -q "STOPPING=1" "$LAB_DIR/notify.log" && ok "sd_notify STOPPING=1 on SIGTERM" ||
	bad "no STOPPING=1"
st=$("$cli" --db "$db" status)
rc=$?
[ $rc = 3 ] && grep -qx "leakwatchd:     not running" <<<"$st" &&
	ok "leakwatch status: not running after exit (exit 3)" ||
	{ bad "status after exit (exit $rc)"; echo "$st"; }

got=$(sqlite3 "$db" "SELECT hostname, dhcp_vendor, vendor, randomized FROM devices WHERE mac = '$mac'")
[ "$got" = "nokia-7-plus|android-dhcp-9|Google, Inc.|0" ] &&
	ok "devices: host name and vendor class from DHCP, vendor from the OUI registry" ||
	bad "devices row: '$got'"
out=$("$cli" --db "$db" --wide devices)
echo "$out" | grep -q "^nokia-7-plus  *$mac  *-  *nokia-7-plus  *Google, Inc\. .*android-dhcp-9$" &&
	ok "leakwatch devices shows them" || { bad "leakwatch devices:"; echo "$out"; }
grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$LAB_DIR/leakwatchd.log" &&
	{ cat "$LAB_DIR/leakwatchd.log"; bad "sanitizer report"; }
exit $fail
