#!/usr/bin/env bash
# The exec hook never holds up the capture, and bad [alerts] values are configuration errors.
#  - live: a hook that hangs (and started a child) while the Nokia ZZHC registration is sent
#    past leakwatchd: every leak row is written while the hook hangs; the hook and its child
#    are killed at [alerts] exec_timeout, said in one line;
#  - from a file with queue_max = 1: events beyond the queue are dropped and counted;
#  - bad values exit 78 naming the key.
#   hook.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
cases=$(cd "$here/../golden/cases" && pwd)
# shellcheck source=alerts-lib.sh
. "$here/alerts-lib.sh"
alerts_need python3 sqlite3
alerts_up

# the hang: a child with an argument no other process has, to find it afterwards
marker=$((100000 + $$)).5
cat >"$DIR/hang.sh" <<HOOK
#!/bin/sh
echo started >>"$DIR/hang.runs"
sleep $marker &
echo \$! >>"$DIR/hang.children"
wait
HOOK
chmod 0755 "$DIR/hang.sh"
cat >"$DIR/lw.conf" <<CONF
[capture]
interface = cap0
[ap]
enabled = no
netlink = no
[block]
enabled = no
[alerts]
exec = $DIR/hang.sh
exec_timeout = 3
CONF
alerts_daemon "$DIR/lw.log" "$daemon" -c "$DIR/lw.conf" --db "$DIR/lw.db"
alerts_wait_log "$DIR/lw.log" "capturing on" || {
	bad "leakwatchd did not start"
	cat "$DIR/lw.log"
	exit 1
}
ns python3 "$here/inject.py" inj0 "$cases/leak_zzhc_v5.pcap" >/dev/null
start=$(date +%s.%N)
for _ in $(seq 20); do
	n=$(sqlite3 "$DIR/lw.db" "SELECT count(*) FROM leaks" 2>/dev/null)
	[ "${n:-0}" -ge 9 ] && break
	sleep 0.1
done
if [ "${n:-0}" -eq 9 ] && [ "$(wc -l <"$DIR/hang.runs")" -eq 1 ] && pgrep -f "sleep $marker" >/dev/null; then
	ok "all 9 leak rows written while the hook hangs (its child still running)"
else
	bad "leak rows while the hook hangs: ${n:-0} of 9"
fi
alerts_wait_log "$DIR/lw.log" "still running after 3 s: killed" 10 &&
	ok "the hanging hook was killed at exec_timeout ($(python3 -c "import time; print(f'{time.time() - $start:.1f}')") s after the registration)" ||
	bad "the hanging hook was not killed"
sleep 0.3
first=$(head -1 "$DIR/hang.children")
# a zombie (Z) waiting for whoever adopted it is dead too
state=$(ps -o stat= -p "$first" 2>/dev/null)
[ -n "$state" ] && [ "${state#Z}" = "$state" ] && bad "the hook's child $first outlived it ($state)" ||
	ok "the hook's child was killed with it (its process group)"
alerts_stop "$DAEMON_PID"
rc=$?
[ $rc -eq 0 ] && ok "exit status 0" || bad "exit status $rc"
grep -q "killed at the timeout" "$DIR/lw.log" && ok "the kills are counted at exit" ||
	bad "no count of the kills at exit"

# --- a full queue: dropped and counted ---
sed -i 's/^exec_timeout = .*/exec_timeout = 1\nqueue_max = 1/' "$DIR/lw.conf"
ns "$daemon" -q -r "$cases/leak_zzhc_v5.pcap" --db "$DIR/file.db" -c "$DIR/lw.conf" >"$DIR/file.log" 2>&1
rc=$?
n=$(sqlite3 "$DIR/file.db" "SELECT count(*) FROM leaks")
dropped=$(grep -o "[0-9]* events dropped" "$DIR/file.log" | grep -o "^[0-9]*")
if [ $rc -eq 0 ] && [ "$n" -eq 9 ] && [ "${dropped:-0}" -ge 3 ]; then
	ok "queue_max = 1 with a hanging hook: $dropped of 6 events dropped and counted, 9 leak rows"
else
	bad "queue_max = 1: exit $rc, $n leak rows, dropped '${dropped:-}'"
	cat "$DIR/file.log"
fi

# --- bad values are configuration errors (78) naming the key ---
bad_value() { # KEY=VALUE WHAT
	printf '[alerts]\n%s\n' "$1" >"$DIR/bad.conf"
	ns "$daemon" -q -r "$cases/leak_zzhc_v5.pcap" --db "$DIR/bad.db" -c "$DIR/bad.conf" >"$DIR/bad.log" 2>&1
	rc=$?
	if [ $rc -eq 78 ] && grep -q "$2" "$DIR/bad.log"; then
		ok "'$1': exit 78, $(head -1 "$DIR/bad.log")"
	else
		bad "'$1': exit $rc: $(cat "$DIR/bad.log")"
	fi
}
bad_value "exec = hook.sh" "exec: 'hook.sh' is not an absolute path"
bad_value "exec = $DIR/lw.conf" "is not an executable file"
bad_value "exec = $DIR" "is not an executable file"
bad_value "exec_timeout = 0" "exec_timeout"
bad_value "mqtt_port = 70000" "mqtt_port"
bad_value "mqtt_topic_prefix = a/#" "mqtt_topic_prefix"
bad_value "mqtt_discovery_prefix = /ha" "mqtt_discovery_prefix"
bad_value "mqtt_host = two words" "mqtt_host"
bad_value "mqtt_cert_file = /etc/hostname" "go together"
bad_value "mqtt_ca_file = ca.pem" "not an absolute path"
bad_value "queue_max = 0" "queue_max"
bad_value "log = maybe" "log"
bad_value "mail = yes" "unknown key 'mail'"
if "$daemon" -V | grep -q "features:.* mqtt"; then
	printf '[alerts]\nmqtt_host = localhost\nmqtt_ca_file = %s/none.pem\n' "$DIR" >"$DIR/bad.conf"
	"$daemon" -q -r "$cases/leak_zzhc_v5.pcap" --db "$DIR/bad.db" -c "$DIR/bad.conf" >"$DIR/bad.log" 2>&1
	rc=$?
	[ $rc -eq 78 ] && ok "an unreadable mqtt_ca_file: exit 78, $(head -1 "$DIR/bad.log")" ||
		bad "an unreadable mqtt_ca_file: exit $rc $(cat "$DIR/bad.log")"
fi
exit $fail
