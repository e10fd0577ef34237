#!/usr/bin/env bash
# The fleet's two costs (README "Many APs"; results in bench/README.md), with real servers on
# 127.0.0.1 as in tests/fleet: a 3-node JetStream cluster (stream and consumer R3) and
# PostgreSQL 15, all on this machine's cores.
#  - the collector: rows/s one leakwatch-collect writes into PostgreSQL while it drains what an
#    access point published (ROWS dns rows beside a replayed capture; --batch B), the median
#    of ROUNDS rounds, each a new access point;
#  - the publisher: the CPU time (user + system) leakwatch-push takes to publish what
#    `leakwatchd -r` wrote replaying the upload mix, against the daemon's own CPU time for
#    that replay: what publishing adds to the daemon.
#   bench/fleet.sh BUILD_DIR [--rows N] [--rounds R] [--batch B] [--scale X]
# BUILD_DIR: a build with the fleet part (leakwatchd, leakwatch-push, leakwatch-collect,
# bench/gen).  Root (PostgreSQL runs as nobody).
set -uo pipefail
build=$(realpath "$1")
shift
rows=200000 rounds=3 batch=1000 scale=0.02
while [ $# -gt 0 ]; do
	case $1 in
	--rows) rows=$2 ;;
	--rounds) rounds=$2 ;;
	--batch) batch=$2 ;;
	--scale) scale=$2 ;;
	*) echo "usage: bench/fleet.sh BUILD_DIR [--rows N] [--rounds R] [--batch B] [--scale X]" >&2; exit 64 ;;
	esac
	shift 2
done
daemon=$build/daemon/leakwatchd push=$build/fleet/leakwatch-push
collect=$build/fleet/leakwatch-collect gen=$build/bench/gen floor=$build/bench/nats-floor
for p in "$daemon" "$push" "$collect" "$gen" "$floor"; do
	[ -x "$p" ] || { echo "bench/fleet.sh: $p is not built (meson option fleet, libpq)" >&2; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
cases=$here/../tests/golden/cases
# shellcheck source=../tests/fleet/fleet-lib.sh
. "$here/../tests/fleet/fleet-lib.sh"
fleet_need nats-server psql python3 sqlite3 runuser
[ -x /usr/bin/time ] || { echo "bench/fleet.sh: needs /usr/bin/time (package time)"; exit 77; }

cpu() { # FILE written by /usr/bin/time -f '%U %S': user + system seconds
	awk 'END { printf "%.2f", $1 + $2 }' "$1"
}

fleet_up "$collect"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(nats-server --version); $(psql --version)"

# the collector
results=()
for r in $(seq "$rounds"); do
	ap=bench$r
	"$daemon" -q -r "$cases/dns_http.pcap" --db "$DIR/$ap.db" >"$DIR/$ap.log" 2>&1 || exit 1
	sqlite3 "$DIR/$ap.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
		WHERE i < $rows) INSERT INTO dns(ts, mac, client_ip, server_ip, qname, qtype, rcode,
		answers, ttl) SELECT 1700000000 + i * 0.25, '02:00:00:00:00:' || printf('%02x', i % 7),
		'192.0.2.' || (i % 200), '198.51.100.53', 'host' || i || '.example.com', 1, 0,
		'203.0.113.' || (i % 250), 300 FROM n" || exit 1
	"$push" --db "$DIR/$ap.db" --ap "$ap" --servers "$SERVERS" --batch 1000 2>"$DIR/push-$ap.log" ||
		{ cat "$DIR/push-$ap.log"; exit 1; }
	"$collect" --servers "$SERVERS" --pg "$PG" --batch "$batch" --idle-exit 3 2>"$DIR/collect-$ap.log" ||
		{ cat "$DIR/collect-$ap.log"; exit 1; }
	line=$(tail -1 "$DIR/collect-$ap.log")
	rate=$(sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p' <<<"$line")
	echo "collector round $r: ${line#leakwatch-collect: }"
	results+=("$rate")
done
median=$(printf '%s\n' "${results[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "collector: median $median rows/s over $rounds rounds of $rows dns rows (--batch $batch): ${results[*]}"

# the publisher against the daemon, on the upload mix: each round a new database
"$gen" upload "$DIR/upload.pcap" -s "$scale" >/dev/null || exit 1
"$gen" config "$DIR/devices.conf" -n 50 >/dev/null || exit 1
chmod 600 "$DIR/devices.conf"
ratios=() floors=() size=
for r in $(seq "$rounds"); do
	/usr/bin/time -f '%U %S' -o "$DIR/daemon.time" "$daemon" -q -r "$DIR/upload.pcap" \
		--db "$DIR/upload$r.db" -c "$DIR/devices.conf" >"$DIR/upload.log" 2>&1 ||
		{ cat "$DIR/upload.log"; exit 1; }
	/usr/bin/time -f '%U %S' -o "$DIR/push.time" "$push" --db "$DIR/upload$r.db" --ap "upload$r" \
		--servers "$SERVERS" --batch 1000 2>"$DIR/push-upload.log" ||
		{ cat "$DIR/push-upload.log"; exit 1; }
	d=$(cpu "$DIR/daemon.time") p=$(cpu "$DIR/push.time")
	if [ -z "$size" ]; then
		# a leak row's message (lib/fleet/row.h): 20 bytes, then per value a tag and 8 bytes,
		# or a tag, a length and the text; the average over the leak rows, rounded
		size=$(sqlite3 "$DIR/upload$r.db" "SELECT CAST(avg(20 $(sqlite3 "$DIR/upload$r.db" \
			"SELECT group_concat('+ CASE typeof(\"' || name || '\") WHEN ''text'' THEN 5 +
			length(CAST(\"' || name || '\" AS BLOB)) WHEN ''null'' THEN 1 ELSE 9 END', ' ')
			FROM pragma_table_info('leaks') WHERE name <> 'id'")) + 0.5 AS INTEGER) FROM leaks")
	fi
	ratio=$(awk -v d="$d" -v p="$p" 'BEGIN { printf "%.1f", (d > 0 ? 100 * p / d : 0) }')
	echo "publisher round $r: leakwatchd -r ${d} s CPU, leakwatch-push ${p} s CPU (${ratio} %): $(tail -1 "$DIR/push-upload.log" | sed 's/^leakwatch-push: //')"
	ratios+=("$ratio")
	# the floor: as many messages of the leak rows' average size, published by libnats alone
	msgs=$(sed -n 's/.*; \([0-9]*\) messages acknowledged.*/\1/p' "$DIR/push-upload.log")
	/usr/bin/time -f '%U %S' -o "$DIR/floor.time" "$floor" "nats://127.0.0.1:$((BASE + 1))" \
		"leakwatch.floor$r.leaks" "$msgs" "$size" >/dev/null || exit 1
	f=$(cpu "$DIR/floor.time")
	floor_ratio=$(awk -v d="$d" -v f="$f" 'BEGIN { printf "%.1f", (d > 0 ? 100 * f / d : 0) }')
	echo "publisher round $r: nats-floor, $msgs messages of $size bytes: ${f} s CPU (${floor_ratio} % of the daemon's)"
	floors+=("$floor_ratio")
done
median=$(printf '%s\n' "${floors[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "publisher floor (libnats alone, one message per row): median ${median} % of the daemon's CPU time: ${floors[*]}"
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "publisher: median ${median} % of the daemon's CPU time on the upload mix (scale $scale, $(du -h "$DIR/upload.pcap" | cut -f1)): ${ratios[*]}"
exit 0
