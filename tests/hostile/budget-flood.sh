#!/usr/bin/env bash
# Hostile lab test: forged DNS answers fill a flagged domain's address budget.
# tracker.example is flagged for every device; phone1 (the attacker) sends 8 forged answers,
# from the resolver's address to phone2, each giving tracker.example 32 addresses
# (203.0.113.0-255, TTL 86400): 256, the budget of one flag.  Then tracker.example moves to
# 10 new addresses (as a CDN's do) and the daemon's own lookups find them.  Measured on
# leakwatch before the fix (a budget of 256 per flag): the real addresses were no longer
# blocked for 24 h (0/10 -> 10/10 connect).  Should be: one client's learned addresses take at
# most their share of the budget (256 of 1024) and make room among themselves; the daemon's
# lookups are never pushed out by client-learned ones; counted (meta block.policy) when it
# bites: 12 answers of 32 addresses to queries phone1 sends its own resolver push out 128 of
# phone1's own (with DNS answers used only when they answer a query, the forged frames of the
# attack as written are not used at all).
#   budget-flood.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need curl

hostile_phones
lab_host tracker.example 198.51.100.99
servers=http:198.51.100.99:80
for i in $(seq 0 9); do
	lab_ns "$LAB_UP" ip addr add "198.51.100.$((100 + i))/32" dev lo
	servers="$servers http:198.51.100.$((100 + i)):80"
done
lab_dns_start || exit 1
# the attacker's own resolver: 32 new addresses in every answer
lab_ns "$LAB_UP" ip addr add 198.51.100.53/32 dev lo
lab_bg "$LAB_UP" "$LAB_DIR/evil-dns.log" python3 "$here/dns_flood.py" serve 198.51.100.53 32 \
	203.0.113.0/24,198.51.100.128/25
lab_wait_port "$LAB_UP" udp 53 || exit 1
# shellcheck disable=SC2086
hostile_servers tcp 80 $servers
reach() { # how many of the 10 new addresses phone2 reaches
	local n=0 i
	for i in $(seq 0 9); do
		[ "$(block_http "$P2" "http://198.51.100.$((100 + i))/" -m 1 --connect-timeout 1)" = 200 ] &&
			n=$((n + 1))
	done
	echo $n
}

# lookups every 4.5 s (ttl_min 5) so that the move is seen within the test
block_conf "$LAB_DIR/lw.conf" ttl_min=5
block_start "$LAB_DIR/lw.conf"
sql "INSERT INTO flagged(domain) VALUES ('tracker.example')"
sleep 1.5
block_expect "flagged: phone2 does not reach tracker.example" \
	"$(block_http "$P2" http://198.51.100.99/)" 000

sent=$(lab_ns "$P1" python3 "$here/dns_flood.py" forge eth0 02:10:00:00:00:01 \
	3c:28:6d:00:00:02 192.0.2.1 192.0.2.12 tracker.example 8 32 203.0.113.0)
sleep 1
forged=$(sql "SELECT count(DISTINCT ip) FROM blocks WHERE action = 'add' AND ip LIKE '203.0.113.%'")
echo "     $sent forged answers sent; $forged of their 256 addresses were added at some time"

# the move: tracker.example now has 10 new addresses
sed -i '/tracker.example/d' "$LAB_DIR/hosts"
for i in $(seq 0 9); do echo "198.51.100.$((100 + i)) tracker.example" >>"$LAB_DIR/hosts"; done
kill -HUP "$(cat "$LAB_DIR/dnsmasq.pid")"
sleep 7
n=$(reach)
block_expect "after the flood and the move: phone2 reaches 0 of the 10 real addresses" "$n" 0
in_set=$(sql "SELECT count(DISTINCT ip) FROM blocks WHERE action = 'add' AND reason = 'resolve'
	AND ip BETWEEN '198.51.100.100' AND '198.51.100.109'")
block_expect "the lookups' 10 addresses were added" "$in_set" 10
# the budget bites: phone1 asks its own resolver (198.51.100.53) 12 times; each answer, to a
# query it sent, gives tracker.example 32 more addresses (384 in all, past its share of 256)
asked=$(lab_ns "$P1" python3 "$here/dns_flood.py" ask 198.51.100.53 tracker.example 12)
sleep 1
in_kernel=$(lab_ns "$LAB_AP" nft list set bridge "lw${LAB_ID//[^a-zA-Z0-9]/}" ipv4 |
	grep -oE '203\.0\.113\.[0-9]+|198\.51\.100\.(1[3-9][0-9]|12[89]|2[0-9][0-9])' | sort -u |
	wc -l)
echo "     phone1's own resolver answered $asked of 12 queries"
block_expect "one client's learned addresses in the set: at most its share (256)" \
	"$([ "$in_kernel" -le 256 ] && echo yes)" yes
block_expect "after 384 more: still 0 of the 10 real addresses reached" "$(reach)" 0
policy=$(block_meta block.policy)
case $policy in
*"budget_evicted=0 "*) counted=no ;;
*budget_evicted=*) counted=yes ;;
*) counted="no meta: $policy" ;;
esac
block_expect "the budget biting is counted (meta block.policy)" "$counted" yes
echo "figures: real addresses phone2 connects to after the flood: $n/10;" \
	"lookup addresses added: $in_set/10; phone1-learned addresses in the set after 384: $in_kernel;" \
	"$policy"
block_stop
exit $BLOCK_FAIL
