#!/usr/bin/env bash
# Three access points into one central PostgreSQL through a 3-node JetStream cluster (real
# nats-server and PostgreSQL processes started here, on 127.0.0.1):
#  - leakwatch-collect --init makes the central tables and the stream (3 replicas);
#  - three `leakwatchd -r` replays of different golden captures at once, each its own database;
#    leakwatch-push sends ap1's and ap2's (exit 0 = every row acknowledged); ap3's replay has
#    [fleet] enabled and sends its rows itself before it exits; a second push sends no
#    inserted-only row again (0 rows left), and the central tables do not change;
#  - leakwatch-collect drains the stream: afterwards every central table holds, for each
#    access point, exactly its database's rows (tests/fleet/compare.py), no more;
#  - a malformed message on the stream is terminated and counted, not written, and the
#    collector goes on;
#  - unreachable NATS and a PostgreSQL refusing the user: one clear line, exit 69.
# Figures printed: rows per table, the collector's rows/s (never asserted).
#   cluster.sh LEAKWATCHD LEAKWATCH-PUSH LEAKWATCH-COLLECT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=fleet-lib.sh
. "$here/fleet-lib.sh" # $daemon, $push, $collect (from $1..$3), $cases
fleet_need nats-server psql python3 sqlite3 runuser

fleet_up "$collect"
ok "the stream (3 replicas) and the central tables are there"

# three access points at once, three captures: ap1 and ap2 replayed, then sent by
# leakwatch-push; ap3 replayed with [fleet] enabled, so the replay itself ends with the push and
# waits for it; the three publish into the stream at the same time
declare -A CAPTURE=([ap1]=dns_http [ap2]=leak_zzhc_repeat [ap3]=two_clients)
ap_push() { # AP: replay (and 5000 dns rows, so that the pushes overlap), then push
	fleet_make_db "$1" "${CAPTURE[$1]}" 5000 >"$DIR/push-$1.log"
	# texts that an array of the collector's INSERT must carry as they are (quotes, a
	# backslash, braces, a comma, the word NULL, an empty string) and NULLs
	[ "$1" = ap1 ] && sqlite3 "$DIR/ap1.db" <<'SQL'
INSERT INTO dns(ts, mac, client_ip, server_ip, qname, qtype, rcode, answers, ttl) VALUES
	(1700000000.5, '02:00:00:00:00:01', '192.0.2.9', '198.51.100.53',
	 'a"b\c{d},e ''x'' é', 1, 0, 'NULL', 300),
	(1e300, '02:00:00:00:00:01', '', '198.51.100.53', '\', 28, 3, NULL, NULL);
SQL
	"$push" --db "$DIR/$1.db" --ap "$1" --servers "$SERVERS" 2>"$DIR/push-$1.log"
}
ap_push ap1 &
pid1=$!
ap_push ap2 &
pid2=$!
printf '[fleet]\nenabled = yes\nap_id = ap3\nservers = %s\n' "$SERVERS" >"$DIR/ap3.conf"
LEAKWATCH_PUSH=$push "$daemon" -q -c "$DIR/ap3.conf" -r "$cases/${CAPTURE[ap3]}.pcap" \
	--db "$DIR/ap3.db" >"$DIR/ap3.log" 2>&1 &
pid3=$!
for ap in ap1 ap2; do
	pid=pid${ap#ap}
	if wait "${!pid}"; then
		ok "push $ap: $(tail -1 "$DIR/push-$ap.log")"
	else
		bad "push $ap failed: $(cat "$DIR/push-$ap.log")"
	fi
done
if wait "$pid3" && grep -q "ap ap3: .* 0 rows left" "$DIR/ap3.log"; then
	ok "replay with [fleet] enabled: $(grep "ap ap3" "$DIR/ap3.log")"
else
	bad "replay with [fleet] enabled: $(cat "$DIR/ap3.log")"
fi

"$collect" --servers "$SERVERS" --pg "$PG" --idle-exit 2 2>"$DIR/collect.log" || bad "collect: exit $?"
cat "$DIR/collect.log"
if python3 "$here/compare.py" "$PG" ap1="$DIR/ap1.db" ap2="$DIR/ap2.db" ap3="$DIR/ap3.db"; then
	ok "central tables = the union of the three databases, row for row"
else
	bad "central tables differ from the databases"
fi

# the readable views: every row, with its time (none for a time out of range: ap1's 1e300)
views=$(fleet_psql "SELECT (SELECT count(*) FROM leaks_readable WHERE time IS NOT NULL) =
	(SELECT count(*) FROM leaks), (SELECT count(*) FROM flows_readable) = (SELECT count(*)
	FROM flows), (SELECT count(*) FROM dns_readable WHERE time IS NULL),
	(SELECT count(*) FROM dns_readable) = (SELECT count(*) FROM dns)" 2>&1)
if [ "$views" = "t|t|1|t" ]; then
	ok "leaks_readable, flows_readable, dns_readable: every row, one time out of range NULL"
else
	bad "the readable views: $views"
fi

# again: nothing new to send for append-only tables; updated rows come once more, unchanged.
# ap2's daemon is said to have deleted 7 leaks unsent for its size cap (the count
# lib/store/prune.c keeps; test-prune checks it): the push says so
sqlite3 "$DIR/ap2.db" "INSERT INTO meta(key, value) VALUES('fleet_capped_leaks', '7')"
for ap in ap1 ap2 ap3; do
	"$push" --db "$DIR/$ap.db" --ap "$ap" --servers "$SERVERS" 2>"$DIR/push2-$ap.log" ||
		bad "second push $ap failed: $(cat "$DIR/push2-$ap.log")"
	grep -q " 0 rows left" "$DIR/push2-$ap.log" || bad "second push $ap: $(cat "$DIR/push2-$ap.log")"
	grep -q " dns 0 leaks 0 flagged [0-9]* blocks 0 stats 0;" "$DIR/push2-$ap.log" ||
		bad "second push $ap sent append-only rows again: $(cat "$DIR/push2-$ap.log")"
done
if grep -q "size cap (max_db_mb) deleted rows before they were sent; .*(leaks 7; 7 in all)" \
	"$DIR/push2-ap2.log" && grep -q "0 rows left, 7 deleted by the size cap unsent$" \
	"$DIR/push2-ap2.log" && ! grep -q "size cap" "$DIR/push2-ap1.log"; then
	ok "rows the size cap deleted unsent are said: $(grep "size cap" "$DIR/push2-ap2.log" | head -1)"
else
	bad "rows deleted unsent by the size cap: $(cat "$DIR/push2-ap2.log")"
fi
"$collect" --servers "$SERVERS" --pg "$PG" --idle-exit 2 2>"$DIR/collect2.log" || bad "collect 2: exit $?"
echo "second pass: $(cat "$DIR/collect2.log")"
if python3 "$here/compare.py" "$PG" ap1="$DIR/ap1.db" ap2="$DIR/ap2.db" ap3="$DIR/ap3.db" \
	>"$DIR/cmp2"; then
	ok "after a second push the central tables are still equal"
else
	cat "$DIR/cmp2"
	bad "after a second push the central tables differ"
fi

# a message that is not a row: terminated and counted; the collector goes on
python3 - "$BASE" <<'PY' || bad "could not publish the malformed message"
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1]) + 1))
s.recv(4096)
s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\nPUB leakwatch.ap9.dns 5\r\nhello\r\nPING\r\n')
time.sleep(0.5)
s.close()
PY
"$collect" --servers "$SERVERS" --pg "$PG" --idle-exit 2 2>"$DIR/collect3.log" || bad "collect 3: exit $?"
if grep -q "terminated a malformed message on leakwatch.ap9.dns: not a row message" "$DIR/collect3.log" &&
	grep -q " 1 malformed" "$DIR/collect3.log"; then
	ok "a malformed message: $(grep malformed "$DIR/collect3.log" | head -1)"
else
	bad "the malformed message: $(cat "$DIR/collect3.log")"
fi
[ "$(fleet_psql "SELECT count(*) FROM dns WHERE ap = 'ap9'")" = 0 ] || bad "a malformed row was written"

# a row of ap1 under an id ap1 has used, with other values (what a second database publishing
# as ap1 sends once JetStream's duplicate window has passed): the stored row is kept, and the
# collector says so and counts it
python3 - "$BASE" <<'PY' || bad "could not publish the differing row"
import socket, struct, sys, time
text = lambda s: b"\x03" + struct.pack(">I", len(s)) + s
row = (b"\x01\x03" + struct.pack(">qQH", 1, 0, 9) + b"\x02" + struct.pack(">d", 1700000000.0)
       + text(b"02:00:00:00:00:99") + text(b"192.0.2.99") + text(b"198.51.100.53")
       + text(b"other.example") + b"\x01" + struct.pack(">q", 1) + b"\x01" + struct.pack(">q", 0)
       + b"\x00" + b"\x00")
s = socket.create_connection(('127.0.0.1', int(sys.argv[1]) + 1))
s.recv(4096)
s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\nPUB leakwatch.ap1.dns %d\r\n' % len(row)
          + row + b'\r\nPING\r\n')
time.sleep(0.5)
s.close()
PY
"$collect" --servers "$SERVERS" --pg "$PG" --idle-exit 2 2>"$DIR/collect4.log" || bad "collect 4: exit $?"
if grep -q "1 rows of dns from access point ap1 differ from the rows stored under the same (ap, id)" \
	"$DIR/collect4.log" && grep -q " 1 differing from the stored row;" "$DIR/collect4.log" &&
	python3 "$here/compare.py" "$PG" ap1="$DIR/ap1.db" ap2="$DIR/ap2.db" ap3="$DIR/ap3.db" \
		>"$DIR/cmp4"; then
	ok "a differing row under a used (ap, id): kept the stored one, said: $(grep "differ from" "$DIR/collect4.log")"
else
	cat "$DIR/cmp4"
	bad "a differing row under a used (ap, id): $(cat "$DIR/collect4.log")"
fi

# a database made anew, published as ap1 within the duplicate window: JetStream drops its rows
# as copies (its ids are all ids ap1 used); the push says so on the database's first pass, and
# ap1's central rows stay ap1's
fleet_make_db ap1again dns_http 1 >/dev/null
"$push" --db "$DIR/ap1again.db" --ap ap1 --servers "$SERVERS" 2>"$DIR/push-again.log" ||
	bad "push of a new database as ap1: $(cat "$DIR/push-again.log")"
"$collect" --servers "$SERVERS" --pg "$PG" --idle-exit 2 2>"$DIR/collect5.log" || bad "collect 5: exit $?"
if grep -q "JetStream had already seen [0-9]* of the rows this database sent for the first time" \
	"$DIR/push-again.log" &&
	python3 "$here/compare.py" "$PG" ap1="$DIR/ap1.db" ap2="$DIR/ap2.db" ap3="$DIR/ap3.db" \
		>"$DIR/cmp5"; then
	ok "a new database as ap1: $(grep "already seen" "$DIR/push-again.log")"
else
	cat "$DIR/cmp5"
	bad "a new database as ap1: $(cat "$DIR/push-again.log")"
fi

# clear failures
"$collect" --servers nats://127.0.0.1:9 --pg "$PG" --init 2>"$DIR/err1"
rc=$?
if [ $rc = 69 ] && grep -q "cannot connect to NATS at nats://127.0.0.1:9" "$DIR/err1"; then
	ok "unreachable NATS: $(cat "$DIR/err1")"
else
	bad "unreachable NATS: exit $rc: $(cat "$DIR/err1")"
fi
"$collect" --servers "$SERVERS" --pg "${PG/user=lw/user=nosuchuser}" --init 2>"$DIR/err2"
rc=$?
if [ $rc = 69 ] && grep -q "cannot connect to PostgreSQL" "$DIR/err2"; then
	ok "PostgreSQL refusing the user: $(cat "$DIR/err2")"
else
	bad "PostgreSQL refusing the user: exit $rc: $(cat "$DIR/err2")"
fi
"$push" --db "$DIR/ap1.db" --ap ap1 --servers nats://127.0.0.1:9 2>"$DIR/err3"
rc=$?
if [ $rc = 69 ] && grep -q "cannot connect to NATS" "$DIR/err3"; then
	ok "push to unreachable NATS: $(cat "$DIR/err3")"
else
	bad "push to unreachable NATS: exit $rc: $(cat "$DIR/err3")"
fi
exit "$fail"
