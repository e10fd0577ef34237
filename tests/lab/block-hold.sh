#!/usr/bin/env bash
# Lab test: DNS-hold.  100 rounds of "look up a fresh subdomain of a flagged domain, connect to
# its address at once": with the DNS answers held until their addresses are in the set, no
# connection reaches the server.  Then the same without the hold, where the set is filled only
# when the capture hands the answer to the daemon: the number that slips through is printed.
# Two kinds of rounds: every subdomain answered with one address (dnsmasq's wildcard
# address=/flagged.example/...; once that address is in the set, later rounds are blocked
# whatever happens to their answers), and each subdomain with an address of its own (every
# round needs its answer held).  The flag comes from the configuration ([block] domains); the
# apex resolves elsewhere, so the daemon's own lookup of it blocks none of these.
#   block-hold.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq nft sqlite3 python3
# shellcheck source=block-lib.sh
. "$here/block-lib.sh"

ROUNDS=${BLOCK_HOLD_ROUNDS:-100} # at most 150: each round of the second kind has its address
lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_ns "$LAB_UP" ip addr add 203.0.113.77/32 dev lo
lab_ns "$LAB_UP" ip addr add 203.0.113.99/32 dev lo
# a name and an address of its own for each round: a<I> with and b<I> without the hold
for i in $(seq "$ROUNDS"); do
	lab_host "a$i.own.flagged.example" "198.51.100.$((i + 1))"
	lab_host "b$i.own.flagged.example" "203.0.113.$((i + 100))"
	# c<I>: the simultaneous race with the hold; shares b<I>'s address (b runs later, against
	# a daemon started afresh with empty sets)
	lab_host "c$i.own.flagged.example" "203.0.113.$((i + 100))"
done
lab_dns_start --address=/flagged.example/203.0.113.77 \
	--host-record=flagged.example,203.0.113.99 || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$here/servers.py" reply:203.0.113.77:80 \
	reply:0.0.0.0:8080
lab_wait_port "$LAB_UP" tcp 8080 || exit 1
block_ap_net
db=$LAB_DIR/block.db
P1=$LAB_ID-phone1

# wait_holding: until the daemon reports its queue rules (flags from the config are active
# at start)
wait_holding() {
	for _ in $(seq 50); do
		grep -q "holding DNS answers" "$LAB_DIR/leakwatchd.log" && return 0
		sleep 0.1
	done
	echo "FAIL the daemon never started holding DNS answers:"
	cat "$LAB_DIR/leakwatchd.log"
	exit 1
}

accepts() { grep -c "accept" "$LAB_DIR/servers.log"; }
rounds() { lab_ns "$P1" python3 "$here/block_client.py" rounds "$ROUNDS" "$@"; }

block_expect "unflagged subdomains connect" \
	"$(lab_ns "$P1" python3 "$here/block_client.py" rounds 3 flagged.example 80 1)" 3
before=$(accepts)

block_conf "$LAB_DIR/hold.conf" domains=flagged.example hello_hold=no
block_start "$LAB_DIR/hold.conf"
wait_holding
sleep 1 # the first sync of the sets
# the default family = auto on this bridged AP; the hold sees bridged answers (br_netfilter)
block_expect "detected layout" "$(block_meta block.layout)" bridged
block_expect "table family" "$(block_meta block.family)" bridge
block_expect "br_netfilter" "$(block_meta block.br_netfilter)" on
block_expect "DNS-hold on" "$(block_meta block.holds | grep -c '^DNS-hold on (')" 1
block_expect "DNS-hold: connections made in $ROUNDS fresh lookups, one address" \
	"$(rounds flagged.example 80 0.05)" 0
block_expect "DNS-hold: connections made in $ROUNDS fresh lookups, an address each" \
	"$(rounds own.flagged.example 8080 0.05 a)" 0
# the same fresh names' kind all at once: one thread each, started together
made=$(lab_ns "$P1" python3 "$here/block_client.py" burst "$ROUNDS" own.flagged.example 8080 \
	2 c)
echo "info bridged DNS-hold race: $made of $ROUNDS simultaneous fresh lookups connected"
block_expect "DNS-hold: connections made in $ROUNDS simultaneous fresh lookups" "$made" 0
sleep 1 # the servers print their accepts from their own threads
block_expect "DNS-hold: connections the servers accepted" "$(($(accepts) - before))" 0
# (the apex, 203.0.113.99, comes from the daemon's own lookup, seen by the capture as well)
block_expect "DNS-hold: an address from each held answer" \
	"$(sql "SELECT count(DISTINCT ip) FROM blocks WHERE domain = 'flagged.example' AND
		reason = 'dns' AND ip != '203.0.113.99'")" \
	$((2 * ROUNDS + 1))
block_stop
block_sanitizer_check

before=$(accepts)
block_conf "$LAB_DIR/nohold.conf" domains=flagged.example hello_hold=no dns_hold=no
block_start "$LAB_DIR/nohold.conf"
sleep 1
sql "DELETE FROM blocks"
made=$(rounds flagged.example 80 0.05)
echo "info without DNS-hold, one address: $made of $ROUNDS connections made right after a" \
	"fresh lookup"
made=$(rounds own.flagged.example 8080 0.05 b)
sleep 1
echo "info without DNS-hold, an address each: $made of $ROUNDS connections made right after a" \
	"fresh lookup (the servers accepted $(($(accepts) - before)) in both)"
# the answers did reach the daemon through the capture, only later than the connections
block_expect "without DNS-hold: once the capture delivered the answers, they are blocked" \
	"$(lab_ns "$P1" python3 "$here/block_client.py" rounds 3 flagged.example 80 0.2)" 0
block_stop
exit $BLOCK_FAIL
