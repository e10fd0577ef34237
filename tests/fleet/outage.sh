#!/usr/bin/env bash
# The whole NATS cluster away for a while (OUTAGE seconds, a minute in the plain build) while
# the access point keeps capturing: leakwatch-push --follow and leakwatch-collect run through
# it without exiting, the daemon keeps writing rows into the database (replays, plus dns rows
# every few seconds), and once the cluster is back every row arrives: the central tables equal
# the database row for row (tests/fleet/compare.py), 0 lost, 0 duplicated.  The push audits
# every 10 s (--audit-interval): messages the stream acknowledged and skipped after the restart
# (nats-server 2.9 has been seen to) are asked for again and come; such audits are printed.
#   outage.sh LEAKWATCHD LEAKWATCH-PUSH LEAKWATCH-COLLECT [OUTAGE]
set -uo pipefail
outage=${4:-60}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=fleet-lib.sh
. "$here/fleet-lib.sh" # $daemon, $push, $collect (from $1..$3), $cases
fleet_need nats-server psql python3 sqlite3 runuser

capture() { # CAPTURE: rows as the daemon writes them, into the access point's database
	"$daemon" -q -r "$cases/$1.pcap" --db "$DIR/ap.db" >>"$DIR/replay.log" 2>&1 ||
		bad "leakwatchd -r $1.pcap: exit $?"
}

more_dns() { # N: dns rows added beside the daemon's (the push reads while they are written)
	local first
	first=$(sqlite3 "$DIR/ap.db" "SELECT ifnull(max(id), 0) FROM dns")
	sqlite3 -cmd ".timeout 10000" "$DIR/ap.db" "WITH RECURSIVE n(i) AS (SELECT $first + 1
		UNION ALL SELECT i + 1 FROM n WHERE i < $first + $1) INSERT INTO dns(ts, mac,
		client_ip, server_ip, qname, qtype, rcode, answers, ttl) SELECT 1700000000 + i,
		'02:00:00:00:00:07', '192.0.2.' || (i % 200), '198.51.100.53',
		'outage' || i || '.example.com', 1, 0, '203.0.113.' || (i % 250), 300 FROM n" ||
		bad "sqlite3: the dns rows were not added"
}

arrived() { # SECONDS: until the central tables equal the database
	local _
	for _ in $(seq "$1"); do
		python3 "$here/compare.py" "$PG" "${aps[@]}" >"$DIR/cmp" 2>&1 && return 0
		sleep 1
	done
	return 1
}

alive() { # PID NAME
	kill -0 "$1" 2>/dev/null && return 0
	bad "$2 exited during the outage"
	return 1
}

aps=(ap7="$DIR/ap.db") # the access points arrived() compares
fleet_up "$collect"
capture leak_zzhc_repeat
more_dns 2000
cat >"$DIR/ap.conf" <<CONF
[database]
path = $DIR/ap.db
[fleet]
enabled = yes
ap_id = ap7
servers = $SERVERS
interval = 1
batch = 500
CONF
"$push" --config "$DIR/ap.conf" --follow --audit-interval 10 2>"$DIR/push.log" &
push_pid=$!
PIDS+=("$push_pid")
"$collect" --servers "$SERVERS" --pg "$PG" --ack-wait 5 2>"$DIR/collect.log" &
collect_pid=$!
PIDS+=("$collect_pid")
if arrived 60; then
	ok "before the outage: the central tables equal the access point's database"
else
	cat "$DIR/cmp" "$DIR/push.log" "$DIR/collect.log"
	bad "before the outage: the tables differ"
	exit 1
fi
before=$(sqlite3 "$DIR/ap.db" "SELECT count(*) FROM dns")

# a second access point whose push is stopped during the outage (systemctl stop): exit 0,
# its rows not acknowledged left unsent in its database, sent once it runs again
"$daemon" -q -r "$cases/dns_http.pcap" --db "$DIR/ap8.db" >>"$DIR/replay.log" 2>&1 ||
	bad "leakwatchd -r dns_http.pcap (ap8): exit $?"
sed -e "s|$DIR/ap.db|$DIR/ap8.db|" -e 's/^ap_id = ap7$/ap_id = ap8/' "$DIR/ap.conf" >"$DIR/ap8.conf"
"$push" --config "$DIR/ap8.conf" --follow 2>"$DIR/push8.log" &
push8_pid=$!
PIDS+=("$push8_pid")
for _ in $(seq 30); do
	grep -q "ap ap8: .* 0 rows left" "$DIR/push8.log" && break
	sleep 1
done

fleet_nats_down
sqlite3 -cmd ".timeout 10000" "$DIR/ap8.db" "INSERT INTO dns(ts, mac, client_ip, server_ip,
	qname, qtype, rcode, answers, ttl) VALUES (1700000000, '02:00:00:00:00:08', '192.0.2.8',
	'198.51.100.53', 'during.example', 1, 0, '', 300)"
for _ in $(seq 30); do
	grep -q "not acknowledged" "$DIR/push8.log" && break
	sleep 1
done
kill -TERM "$push8_pid"
wait "$push8_pid"
rc=$?
fleet_forget "$push8_pid"
left=$(sqlite3 "$DIR/ap8.db" "SELECT max(id) > (SELECT CAST(value AS INTEGER) FROM meta
	WHERE key = 'fleet_sent_dns') FROM dns")
if [ $rc -eq 0 ] && [ "$left" = 1 ] && grep -q "not acknowledged" "$DIR/push8.log"; then
	ok "leakwatch-push --follow stopped during the outage: exit 0, its new row left unsent"
else
	bad "leakwatch-push --follow stopped during the outage: exit $rc, left $left: $(cat "$DIR/push8.log")"
fi
start=$SECONDS
i=0
replays=(dns_http two_clients leak_known_http dns_only_name leak_zzhc_gzip names_mdns)
while [ $((SECONDS - start)) -lt "$outage" ]; do
	capture "${replays[i % ${#replays[@]}]}"
	more_dns 500
	i=$((i + 1))
	alive "$push_pid" "leakwatch-push --follow" && alive "$collect_pid" leakwatch-collect || break
	sleep 5
done
after=$(sqlite3 "$DIR/ap.db" "SELECT count(*) FROM dns")
echo "     the cluster away for $((SECONDS - start)) s: $i replays and $((after - before)) dns rows written meanwhile"
alive "$push_pid" "leakwatch-push --follow" && alive "$collect_pid" leakwatch-collect &&
	ok "leakwatch-push --follow and leakwatch-collect ran through the outage"
grep -q "not acknowledged" "$DIR/push.log" && ok "the push said its passes were not acknowledged" ||
	bad "the push never said a pass failed: $(tail -2 "$DIR/push.log")"

fleet_nats_up
# ap8 started again (one pass): the row it had left comes
aps+=(ap8="$DIR/ap8.db")
for _ in $(seq 30); do
	"$push" --config "$DIR/ap8.conf" 2>>"$DIR/push8.log" && break
	sleep 1
done
if arrived 180; then
	ok "the cluster back: every row written before and during the outage arrived, 0 lost, 0 duplicated"
	grep -E ' (dns|flows|leaks):' "$DIR/cmp"
	grep -E "audit: ap|sent again" "$DIR/collect.log" "$DIR/push.log" | sed 's/^/     /'
else
	cat "$DIR/cmp"
	tail -5 "$DIR/push.log" "$DIR/collect.log"
	bad "after the outage: the tables differ"
fi
echo "     the push: $(tail -1 "$DIR/push.log")"
kill -TERM "$push_pid" "$collect_pid"
wait "$push_pid"
rc=$?
fleet_forget "$push_pid"
[ $rc -eq 0 ] && ok "leakwatch-push --follow: exit 0 after SIGTERM" || bad "leakwatch-push: exit $rc"
wait "$collect_pid"
fleet_forget "$collect_pid"
exit "$fail"
