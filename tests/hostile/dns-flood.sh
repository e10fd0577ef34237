#!/usr/bin/env bash
# Hostile-device lab test: a DNS flood from one device must not delay another device's DNS
# while a domain is flagged and DNS answers are held (every answer to a client crosses the
# NFQUEUE then).  phone1 floods the resolver with queries for fresh names; phone2 looks a name
# up every 10 ms meanwhile.  The same run measures phone2 with the holds off (the baseline:
# what this machine and dnsmasq cost under the same flood) and on, and prints p50/p99/max of
# each (over the answered lookups; lookups without an answer are counted, and where they were
# lost is printed: the resolver's own receive-buffer drops, and the queue's drop counters,
# which must stay 0: the hold fails open, never drops).  The target is p99 <= 50 ms with the
# holds on.  When even the baseline misses it (a loaded machine), that is printed and the hold
# is held to the baseline plus 50 ms instead.
#   dns-flood.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need

TARGET_MS=50
LOOKUPS=${FLOOD_LOOKUPS:-300}
FLOODERS=${FLOOD_PROCS:-2} # flooding processes on phone1
# queries a second per process (0: as fast as it can, as a hostile device would).  On this
# lab's loaded 2-core machine dnsmasq answers about 8 000/s without dropping queries itself;
# above that it drops some (printed), in both runs alike
FLOOD_RATE=${FLOOD_RATE:-0}
hostile_phones 02:10:00:00:00:02
lab_dns_start --address=/flood.example/203.0.113.50 --address=/victim.example/203.0.113.60 \
	--address=/flagged.example/203.0.113.77 || exit 1
block_ap_net
tools=$here/dns_tools.py

# udp_errs NS: UDP receive-buffer errors so far in NS
udp_errs() { lab_ns "$1" awk '/^Udp:/ { n++ } /^Udp:/ && n == 2 { print $6 }' /proc/net/snmp; }

# measure LABEL: phone2's lookups while phone1 floods; prints the summary line, sets $p99
measure() {
	local out=$LAB_DIR/lookups.$1 fl=$LAB_DIR/flood.$1 secs
	secs=$(awk -v n="$LOOKUPS" 'BEGIN { print int(n * 0.02) + 4 }')
	local fpids=() i up0 q
	up0=$(udp_errs "$LAB_UP")
	for i in $(seq "$FLOODERS"); do
		lab_ns "$P1" python3 "$tools" flood 192.0.2.1 "$i.flood.example" "$secs" "$FLOOD_RATE" \
			>>"$fl" &
		fpids+=($!)
	done
	sleep 1
	lab_ns "$P2" python3 "$tools" lookups 192.0.2.1 www.victim.example "$LOOKUPS" 0.01 2 \
		>"$out"
	wait "${fpids[@]}"
	summary=$(tail -n 1 "$out")
	echo "info $1: phone2 lookups (ms) $summary; phone1 flood: $(paste -sd ';' "$fl")"
	# where lost answers went: queries the resolver's socket dropped (it is slower than the
	# flood), and the queue's own counters (queue_total, dropped, user_dropped, id_sequence)
	echo "info $1: resolver UDP receive-buffer drops: $(($(udp_errs "$LAB_UP") - up0))"
	q=$(lab_ns "$LAB_AP" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '{ print "total " $3 ", dropped " $6 ", user_dropped " $7 ", id " $8 }')
	if [ -n "$q" ]; then
		echo "info $1: NFQUEUE $q"
		block_expect "$1: the queue dropped nothing" \
			"$(awk '{ print $4 + $6 }' <<<"${q//,/}")" 0
	fi
	p99=$(awk '{ print $4 }' <<<"$summary")
}

# the quiet baseline, and the flood with the holds off, then on (dns_hold; no connection holds
# so that only the DNS queue is measured)
block_conf "$LAB_DIR/off.conf" domains=flagged.example hello_hold=no dns_hold=no
block_start "$LAB_DIR/off.conf"
sleep 1
quiet=$(lab_ns "$P2" python3 "$tools" lookups 192.0.2.1 www.victim.example 50 0.01 2 | tail -n 1)
echo "info no flood, holds off: phone2 lookups (ms) $quiet"
measure "flood, holds off"
p99_off=$p99
block_stop

block_conf "$LAB_DIR/on.conf" domains=flagged.example hello_hold=no dns_hold=yes
block_start "$LAB_DIR/on.conf"
for _ in $(seq 50); do
	grep -q "holding DNS answers" "$LAB_DIR/leakwatchd.log" && break
	sleep 0.1
done
block_expect "DNS-hold on" "$(block_meta block.holds | grep -c '^DNS-hold on (')" 1
sleep 1
measure "flood, holds on"
p99_on=$p99
# the hold still does its work for the flooding device: a flagged name's answer is held
# until its address is in the set (the address ends up blocked)
lab_ns "$P1" python3 "$tools" lookups 192.0.2.1 x1.flagged.example 1 0 2 >/dev/null
block_expect "a flagged answer's address is blocked" \
	"$(block_until_elem 203.0.113.77 in 5 >/dev/null && echo in)" in
block_stop

limit=$TARGET_MS
if awk -v a="$p99_off" -v t="$TARGET_MS" 'BEGIN { exit !(a == "nan" || a > t) }'; then
	echo "NOTE this machine misses the ${TARGET_MS} ms target even with the holds off" \
		"(p99 $p99_off ms): the holds are held to that baseline + ${TARGET_MS} ms"
	limit=$(awk -v a="$p99_off" -v t="$TARGET_MS" 'BEGIN { print int(a + t) }')
fi
block_expect "phone2's p99 under phone1's flood with the holds on <= $limit ms (got $p99_on)" \
	"$(awk -v a="$p99_on" -v l="$limit" 'BEGIN { print (a != "nan" && a <= l) ? "yes" : "no" }')" yes
exit $BLOCK_FAIL
