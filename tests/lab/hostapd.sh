#!/usr/bin/env bash
# Lab test: a real hostapd (driver=wired, 802.1X with EAP-MD5) on a br0 port and wpa_supplicant
# in a phone namespace; leakwatchd must open a sessions row when the phone authenticates,
# close it on logoff, follow hostapd through a restart, and list a station that connected
# while it was not attached.
#   hostapd.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root hostapd wpa_supplicant wpa_cli sqlite3

fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
q() { sqlite3 "$db" "$1" 2>/dev/null; }
# wait_sql SECONDS SQL EXPECTED: poll the database until SQL prints EXPECTED
wait_sql() {
	local i got=
	for i in $(seq $(($1 * 10))); do
		got=$(q "$2")
		[ "$got" = "$3" ] && return 0
		sleep 0.1
	done
	echo "  query:    $2"
	echo "  expected: $3"
	echo "  got:      $got"
	return 1
}

mac=3c:28:6d:00:00:05 # a registered OUI (Google), so the device gets a vendor
lab_up
lab_phone phone1 $mac 192.0.2.11
port=${LAB_ID}0p
ctrl=$LAB_DIR/hostapd
mkdir -p "$ctrl" "$LAB_DIR/hostapd-away"
echo '"phone1" MD5 "secret1"' >"$LAB_DIR/eap_users"
hostapd_conf() { # hostapd_conf CTRL_DIR
	cat <<CONF
interface=$port
driver=wired
ieee8021x=1
eap_server=1
eap_user_file=$LAB_DIR/eap_users
use_pae_group_addr=1
ctrl_interface=$1
CONF
}
hostapd_conf "$ctrl" >"$LAB_DIR/hostapd.conf"
hostapd_conf "$LAB_DIR/hostapd-away" >"$LAB_DIR/hostapd-away.conf"
cat >"$LAB_DIR/wpa.conf" <<CONF
ctrl_interface=$LAB_DIR/wpa
ap_scan=0
network={
	key_mgmt=IEEE8021X
	eap=MD5
	identity="phone1"
	password="secret1"
	eapol_flags=0
}
CONF
cat >"$LAB_DIR/leakwatch.conf" <<CONF
[ap]
hostapd_ctrl_dir = $ctrl
[device $mac]
label = Test phone
CONF

nhapd=0
start_hostapd() { # start_hostapd CONF: sets hapd to its PID
	lab_bg "$LAB_AP" "$LAB_DIR/hostapd.$((++nhapd)).log" hostapd "$1"
	hapd=${LAB_PIDS[-1]}
}
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
}
wpa() { lab_ns "$LAB_ID-phone1" wpa_cli -p "$LAB_DIR/wpa" -i eth0 "$@" >/dev/null; }

start_hostapd "$LAB_DIR/hostapd.conf"
for _ in $(seq 50); do [ -S "$ctrl/$port" ] && break; sleep 0.1; done

db=$LAB_DIR/ap.db
lab_bg "$LAB_AP" "$LAB_DIR/leakwatchd.log" "$daemon" -i br0 --db "$db" -c "$LAB_DIR/leakwatch.conf"
lwd=${LAB_PIDS[-1]}
for _ in $(seq 100); do
	grep -qs "hostapd: attached to $port" "$LAB_DIR/leakwatchd.log" && break
	sleep 0.1
done
grep -qs "hostapd: attached to $port" "$LAB_DIR/leakwatchd.log" && ok "attached to hostapd" ||
	{ bad "leakwatchd did not attach to hostapd"; cat "$LAB_DIR/leakwatchd.log"; exit 1; }

# 1. the phone authenticates: a session opens
t0=$(date +%s)
lab_bg "$LAB_ID-phone1" "$LAB_DIR/wpa.log" wpa_supplicant -Dwired -i eth0 -c "$LAB_DIR/wpa.conf"
if wait_sql 15 "SELECT mac, ifname, \"end\" IS NULL FROM sessions" "$mac|$port|1"; then
	ok "connect opens a session ($(($(date +%s) - t0)) s after the supplicant started)"
else
	bad "connect opens a session"
fi
wait_sql 5 "SELECT vendor, label, randomized FROM devices WHERE mac = '$mac'" \
	"Google, Inc.|Test phone|0" && ok "device row with vendor and label" ||
	bad "device row with vendor and label"

# 2. logoff: the session closes
wpa logoff
wait_sql 10 "SELECT count(*), count(\"end\"), min(\"end\" >= start) FROM sessions" "1|1|1" &&
	ok "logoff closes the session" || bad "logoff closes the session"

# 3. hostapd restarts; the phone authenticates with the new one: a new session opens
stop_pid "$hapd"
start_hostapd "$LAB_DIR/hostapd.conf"
wpa logon
wait_sql 20 "SELECT count(*), count(\"end\") FROM sessions" "2|1" &&
	ok "after a hostapd restart the daemon reconnects and sees the station" ||
	bad "reconnect after a hostapd restart"
stop_pid "$hapd"
wait_sql 10 "SELECT count(*) FROM sessions WHERE \"end\" IS NULL" "0" &&
	ok "hostapd exiting closes the session" || bad "hostapd exiting closes the session"

# 4. a station that connected while leakwatchd was not attached: hostapd runs with its
# socket elsewhere, the phone authenticates, then the socket is moved where leakwatchd looks
start_hostapd "$LAB_DIR/hostapd-away.conf"
for _ in $(seq 50); do [ -S "$LAB_DIR/hostapd-away/$port" ] && break; sleep 0.1; done
wpa logoff
wpa logon
for _ in $(seq 150); do
	lab_ns "$LAB_AP" hostapd_cli -p "$LAB_DIR/hostapd-away" -i "$port" all_sta 2>/dev/null |
		grep -q "$mac" && break
	sleep 0.1
done
sleep 2.5
# (hostapd removed its empty ctrl_interface directory when it stopped: the daemon must
# notice the directory coming back too)
mkdir -p "$ctrl"
mv "$LAB_DIR/hostapd-away/$port" "$ctrl/$port"
# (hostapd's wired driver reports no connected_time, so the row starts when leakwatchd finds
# the station; with nl80211 drivers it starts at the association, see test-ap.c)
if wait_sql 10 "SELECT count(*) FROM sessions WHERE \"end\" IS NULL" "1"; then
	ok "a station that connected while leakwatchd was not attached is listed"
else
	bad "a station connected while away is listed"
fi
# hostapd_cli deauthenticate ends it
lab_ns "$LAB_AP" hostapd_cli -p "$ctrl" -i "$port" deauthenticate "$mac" >/dev/null
wait_sql 10 "SELECT count(*) FROM sessions WHERE \"end\" IS NULL" "0" &&
	ok "hostapd_cli deauthenticate closes the session" || bad "deauthenticate closes the session"

stop_pid "$lwd"
wait "$lwd" 2>/dev/null
grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$LAB_DIR/leakwatchd.log" &&
	{ cat "$LAB_DIR/leakwatchd.log"; bad "sanitizer report"; }
[ "$(q "SELECT count(*) FROM sessions WHERE \"end\" IS NULL OR \"end\" < start")" = 0 ] &&
	ok "every session closed, none ends before it starts" || bad "sessions left open"
[ $fail -ne 0 ] && { echo "--- leakwatchd.log"; cat "$LAB_DIR/leakwatchd.log";
	tail -n 5 "$LAB_DIR"/hostapd.*.log; }
exit $fail
