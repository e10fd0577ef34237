#!/usr/bin/env bash
# Fault test: hostapd crashing (SIGKILL: no AP-STA-DISCONNECTED, its socket file left behind)
# under a running leakwatchd, which must attach to the new one and list its stations, with the
# sessions rows right afterwards:
#  1. killed and started again; the new hostapd does not know the station yet when the daemon
#     attaches: the open session ends when hostapd went away, and a new one opens when the
#     station authenticates again.
#  2. killed; the new hostapd's socket is elsewhere while the station authenticates again, then
#     put where the daemon looks (in place of the dead one's, as hostapd does): the daemon lists
#     the station and its session goes on (the wired driver reports no connected_time that
#     could tell a new association from the old).
#  3. killed and started again three times within a second: the rows agree with the station
#     list of the hostapd left running (the station may have met one of those that were killed:
#     then that session is a row of its own), none overlaps another.
#  4. killed and not started again: the daemon notices within its ping interval (10 s), and
#     the session left open ends at that time, not when the daemon stops.
# A real hostapd (driver=wired, 802.1X with EAP-MD5) on a bridge port of the lab's namespaces
# (tests/lab/lab.sh), wpa_supplicant in the phone's; see LAB.md.
#   hostapd.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lab/lab.sh
. "$here/../lab/lab.sh"
lab_need root hostapd hostapd_cli wpa_supplicant wpa_cli sqlite3

fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# within SECONDS CMD...: polls CMD every 20 ms until it succeeds (status 1 when time runs out)
within() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.02
	done
}
q() { sqlite3 -cmd '.timeout 2000' "$db" "$1" 2>/dev/null; }
is() { [ "$(q "$1")" = "$2" ]; }
expect_sql() { # expect_sql DESCRIPTION SECONDS SQL EXPECTED
	if within "$2" is "$3" "$4"; then
		ok "$1"
	else
		bad "$1"
		printf '  query:    %s\n  expected: %s\n  got:      %s\n' "$3" "$4" "$(q "$3")"
	fi
}
attached() { grep -c "hostapd: attached to $port" "$log"; }
attached_more() { [ "$(attached)" -gt "$1" ]; }
lost() { grep -c "hostapd: lost $port" "$log"; }
lost_more() { [ "$(lost)" -gt "$1" ]; }

mac=02:10:00:00:00:01
lab_up
lab_phone phone1 $mac 192.0.2.11
port=${LAB_ID}0p
ctrl=$LAB_DIR/hostapd
away=$LAB_DIR/hostapd-away
db=$LAB_DIR/ap.db
log=$LAB_DIR/leakwatchd.log
mkdir -p "$ctrl" "$away"
echo '"phone1" MD5 "secret1"' >"$LAB_DIR/eap_users"
hostapd_conf() { # hostapd_conf CTRL_DIR FILE: hostapd on the phone's bridge port (wired 802.1X)
	printf '%s\n' "interface=$port" driver=wired ieee8021x=1 eap_server=1 \
		"eap_user_file=$LAB_DIR/eap_users" use_pae_group_addr=1 "ctrl_interface=$1" >"$2"
}
hostapd_conf "$ctrl" "$LAB_DIR/hostapd.conf"
hostapd_conf "$away" "$LAB_DIR/hostapd-away.conf"
printf '%s\n' "ctrl_interface=$LAB_DIR/wpa" ap_scan=0 'network={' key_mgmt=IEEE8021X eap=MD5 \
	'identity="phone1"' 'password="secret1"' eapol_flags=0 '}' >"$LAB_DIR/wpa.conf"
printf '[ap]\nhostapd_ctrl_dir = %s\n[database]\ncommit_interval_ms = 100\n' "$ctrl" \
	>"$LAB_DIR/leakwatch.conf"

nhapd=0
start_hostapd() { # start_hostapd CONF: sets hapd to its PID
	lab_bg "$LAB_AP" "$LAB_DIR/hostapd.$((++nhapd)).log" hostapd "$1"
	hapd=${LAB_PIDS[-1]}
}
crash_hostapd() {
	kill -KILL "$hapd"
	wait "$hapd" 2>/dev/null
}
wpa() { lab_ns "$LAB_ID-phone1" wpa_cli -p "$LAB_DIR/wpa" -i eth0 "$@" >/dev/null; }
reauth() { wpa logoff && sleep 0.2 && wpa logon; }
listed() { # listed DIR: the hostapd whose socket is in DIR lists the phone
	lab_ns "$LAB_AP" hostapd_cli -p "$1" -i "$port" all_sta 2>/dev/null | grep -q "$mac"
}

start_hostapd "$LAB_DIR/hostapd.conf"
within 5 test -S "$ctrl/$port" || { bad "hostapd did not start"; exit 1; }
lab_bg "$LAB_AP" "$log" "$daemon" -i br0 --db "$db" -c "$LAB_DIR/leakwatch.conf"
lwd=${LAB_PIDS[-1]}
within 10 attached_more 0 || { bad "leakwatchd did not attach to hostapd"; cat "$log"; exit 1; }
lab_bg "$LAB_ID-phone1" "$LAB_DIR/wpa.log" wpa_supplicant -Dwired -i eth0 -c "$LAB_DIR/wpa.conf"
expect_sql "the phone authenticates: a session opens" 15 \
	"SELECT count(*), count(\"end\") FROM sessions" "1|0"

# 1. killed, started again; the new hostapd has not met the station yet
n=$(attached)
t_kill=$(date +%s.%N)
crash_hostapd
t0=$(now_ms)
start_hostapd "$LAB_DIR/hostapd.conf"
if within 10 attached_more "$n"; then
	ok "1. killed and started again: attached again $(($(now_ms) - t0)) ms after the start"
else
	bad "1. killed and started again: not attached again"
fi
expect_sql "1. the station it does not list: its session ends" 5 \
	"SELECT count(*), count(\"end\") FROM sessions" "1|1"
expect_sql "1. ... at the time hostapd went away (not before the kill, not after the attach)" 1 \
	"SELECT \"end\" >= $t_kill - 0.1 AND \"end\" <= $(date +%s.%N) FROM sessions" 1
reauth
expect_sql "1. the station authenticates again: a new session opens" 15 \
	"SELECT count(*), count(\"end\") FROM sessions" "2|1"

# 2. killed; the new hostapd meets the station before the daemon finds its socket
start=$(q "SELECT start FROM sessions WHERE \"end\" IS NULL")
n=$(attached)
crash_hostapd
start_hostapd "$LAB_DIR/hostapd-away.conf"
within 5 test -S "$away/$port" || bad "2. the second hostapd did not start"
reauth
within 15 listed "$away" || bad "2. the station did not authenticate with the new hostapd"
# as a starting hostapd does: the dead one's socket file goes, the new one's comes
rm "$ctrl/$port"
mv "$away/$port" "$ctrl/$port"
t0=$(now_ms)
if within 10 attached_more "$n"; then
	ok "2. attached to the socket $(($(now_ms) - t0)) ms after it appeared"
else
	bad "2. not attached to the new socket"
fi
expect_sql "2. the station is listed: its session goes on, no new row" 5 \
	"SELECT count(*), count(\"end\"), abs(max(CASE WHEN \"end\" IS NULL THEN start END) - $start) < 0.01 FROM sessions" \
	"2|1|1"
sleep 1
expect_sql "2. ... and stays so" 1 "SELECT count(*), count(\"end\") FROM sessions" "2|1"

# 3. killed and started again three times within a second
n=$(attached)
for _ in 1 2 3; do
	crash_hostapd
	start_hostapd "$LAB_DIR/hostapd.conf"
	sleep 0.3
done
within 10 attached_more "$n" && ok "3. three crashes: attached again" ||
	bad "3. three crashes: not attached again"
sleep 0.5
listed "$ctrl" && want=1 || want=0
expect_sql "3. open sessions ($want) as the station list of the hostapd left running says" 5 \
	"SELECT count(*) - count(\"end\") FROM sessions" "$want"
reauth
within 15 listed "$ctrl" || bad "3. the station did not authenticate again"
expect_sql "3. the station authenticates again: one session open" 5 \
	"SELECT count(*) - count(\"end\") FROM sessions" 1
expect_sql "3. no session overlaps another" 1 \
	"SELECT count(*) FROM sessions a JOIN sessions b ON a.rowid < b.rowid
	 WHERE a.start < coalesce(b.\"end\", 1e10) AND b.start < coalesce(a.\"end\", 1e10)" 0
kill -0 "$lwd" 2>/dev/null && ok "3. leakwatchd kept running" || bad "3. leakwatchd exited"

# 4. killed and not started again: noticed at the next PING (after 10 s without a message)
n=$(lost)
t_kill=$(date +%s.%N)
crash_hostapd
t0=$(now_ms)
if within 15 lost_more "$n"; then
	ok "4. killed for good: noticed after $(($(now_ms) - t0)) ms"
else
	bad "4. killed for good: not noticed within 15 s"
fi
t_lost=$(date +%s.%N)
expect_sql "4. the session stays open while hostapd may come back" 1 \
	"SELECT count(*) - count(\"end\") FROM sessions" 1
sleep 1.5
kill -TERM "$lwd"
within 10 bash -c "! kill -0 $lwd 2>/dev/null" || bad "leakwatchd did not exit within 10 s of SIGTERM"
wait "$lwd"
rc=$?
[ $rc -eq 0 ] && ok "exit status 0 after SIGTERM" || bad "exit status $rc"
expect_sql "4. at the stop, the session ends when hostapd went away, not at the stop" 1 \
	"SELECT \"end\" >= $t_kill AND \"end\" <= $t_lost FROM sessions ORDER BY start DESC LIMIT 1" 1
expect_sql "every session closed, none ends before it starts" 1 \
	"SELECT count(*) FROM sessions WHERE \"end\" IS NULL OR \"end\" < start" 0
grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$log" && bad "sanitizer report"
[ $fail -ne 0 ] && { echo "--- leakwatchd.log"; cat "$log"; tail -n 5 "$LAB_DIR"/hostapd.*.log; }
exit $fail
