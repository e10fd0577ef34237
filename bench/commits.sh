#!/usr/bin/env bash
# Writes per hour to the database's storage at two commit intervals (bench/README.md).
#
#   bench/commits.sh LEAKWATCHD GEN [SECONDS] [PPS]
#
# One household's day of the bench home mix (`gen home -n 10 -s 0.05 -l 27`: 1.40 M packets,
# 16 255 DNS lookups, 31 k flows) replayed with tcpreplay from a phone's veth into the lab
# bridge at the household's own average rate (PPS, default 16.3 packets a second = 1.40 M a
# day) for SECONDS (default 180), while two daemons capture br0 into two databases, one with
# commit_interval_ms = 500 (a disk's default) and one with 5000 (flash's).  The kernel's
# write_bytes of each daemon (/proc/PID/io: bytes it caused to be written to the block layer)
# over the run, scaled to an hour.  Needs root (network namespaces).
set -uo pipefail
daemon=$(realpath "$1")
gen=$(realpath "$2")
secs=${3:-180}
pps=${4:-16.3}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/lab/lab.sh
. "$here/../tests/lab/lab.sh"
lab_need root tcpreplay sqlite3

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
"$gen" home "$LAB_DIR/household.pcap" -n 10 -s 0.05 -l 27 -t 49600 || exit 1
declare -A pids
for ms in 500 5000; do
	printf '[ap]\nenabled = no\n[block]\nenabled = no\n[database]\ncommit_interval_ms = %s\n' \
		"$ms" >"$LAB_DIR/c$ms.conf"
	lab_bg "$LAB_AP" "$LAB_DIR/c$ms.log" "$daemon" -i br0 --db "$LAB_DIR/c$ms.db" \
		-c "$LAB_DIR/c$ms.conf"
	pids[$ms]=${LAB_PIDS[-1]}
done
for ms in 500 5000; do
	for _ in $(seq 100); do grep -qs "capturing on" "$LAB_DIR/c$ms.log" && break; sleep 0.1; done
done
wb() { awk '/^write_bytes/ { print $2 }' "/proc/$1/io"; }
cw() { awk '/^syscw/ { print $2 }' "/proc/$1/io"; }
declare -A wb0 cw0
for ms in 500 5000; do wb0[$ms]=$(wb "${pids[$ms]}"); cw0[$ms]=$(cw "${pids[$ms]}"); done
t0=$(date +%s.%N)
count=$(awk -v p="$pps" -v s="$secs" 'BEGIN { printf "%d", p * s }')
# --duration ends it after SECONDS (with a fractional --pps, -L alone did not end it), and
# timeout in case this tcpreplay does not honour it either
lab_ns "$LAB_ID-phone1" timeout -s INT $((secs + 10)) tcpreplay -q -i eth0 --pps="$pps" \
	-L "$count" --duration="$secs" "$LAB_DIR/household.pcap" >"$LAB_DIR/tcpreplay.log" 2>&1
sleep 6 # the 5 s interval's last commit
t1=$(date +%s.%N)
figures=()
for ms in 500 5000; do
	w=$(($(wb "${pids[$ms]}") - wb0[$ms]))
	c=$(($(cw "${pids[$ms]}") - cw0[$ms]))
	kill -TERM "${pids[$ms]}"
	wait "${pids[$ms]}" 2>/dev/null
	rows=$(sqlite3 "$LAB_DIR/c$ms.db" "SELECT (SELECT count(*) FROM dns) || ' dns, ' ||
		(SELECT count(*) FROM flows) || ' flows, ' || (SELECT count(*) FROM leaks) || ' leaks'")
	line=$(awk -v w="$w" -v c="$c" -v t0="$t0" -v t1="$t1" -v ms="$ms" 'BEGIN {
		h = 3600 / (t1 - t0)
		printf "%d ms: %.2f MB/h written (%d bytes in %.0f s), %.0f write calls/h", ms,
			w * h / 1e6, w, t1 - t0, c * h }')
	echo "$line; rows before the final flush: $rows"
	figures+=("$line")
done
echo "figures: writes per hour, one household at $pps packets/s ($count packets): ${figures[0]}; ${figures[1]}"
