#!/usr/bin/env bash
# Fault test: leakwatch's nftables rules removed behind the running daemon's back.  While
# leakwatchd blocks a flagged domain (for every device) and another one for phone1 only, with
# the DNS and connection-start holds on, someone deletes its table, flushes a set, deletes
# its chain, one rule, one element, inserts a rule that lets everything through, deletes the
# queue rules' table, and finally runs `nft flush ruleset`.  After each, within 3 s: the
# table is whole again with every address meant to be blocked (put back from the daemon's own
# state), traffic to the flagged addresses is dropped, the holds work, and the daemon says so
# in exactly one log line.  Its own changes (unflagging, the holds going when nothing is
# flagged) are never "repaired", nor is someone else's table.  The daemon runs as an
# unprivileged user with CAP_NET_ADMIN only, as the service does.  Uses the lab's namespaces
# (tests/lab/lab.sh, block-lib.sh).
#   nft.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
lab_need root dnsmasq nft curl sqlite3 python3
# shellcheck source=../lab/block-lib.sh
. "$lab/block-lib.sh"

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_phone phone2 3c:28:6d:00:00:02 192.0.2.12
lab_host vnet.cn 198.51.100.10
lab_host www.example.org 198.51.100.20
lab_host blocked.example 198.51.100.30
for a in 203.0.113.40 203.0.113.41 203.0.113.42 203.0.113.43; do
	lab_ns "$LAB_UP" ip addr add $a/32 dev lo
done
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$lab/servers.py" \
	http:198.51.100.10:80 http:198.51.100.20:80 http:198.51.100.30:80 \
	tlsreply:203.0.113.40:443 tlsreply:203.0.113.41:443 tlsreply:203.0.113.42:443 \
	tlsreply:203.0.113.43:443
lab_wait_port "$LAB_UP" tcp 443 || exit 1
block_ap_net
user=nobody
mkdir "$LAB_DIR/db"
chown "$user" "$LAB_DIR/db"
chmod 0711 "$LAB_DIR"
db=$LAB_DIR/db/block.db
log=$LAB_DIR/leakwatchd.log
T=lw${LAB_ID//[^a-zA-Z0-9]/}
P1=$LAB_ID-phone1
P2=$LAB_ID-phone2
ap_nft() { lab_ns "$LAB_AP" nft "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
repairs() { grep -c "changed behind leakwatch's back: .*; put back in" "$log"; }
hello() { # hello ADDR SNI: bytes back after phone1's ClientHello
	lab_ns "$P1" python3 "$lab/block_client.py" hello "$1" 443 "$2"
}

# the table as the daemon made it: 8 drop rules, both addresses in their sets
table_whole() {
	local out
	out=$(ap_nft list table bridge "$T" 2>/dev/null) || return 1
	[ "$(grep -c 'counter packets [0-9]* bytes [0-9]* drop' <<<"$out")" = 8 ] &&
		grep -q '198\.51\.100\.10 ' <<<"$out" &&
		grep -q '02:10:00:00:00:01 \. 198\.51\.100\.30 ' <<<"$out"
}
holds_whole() { [ "$(block_rules)" = "$rules" ]; }
# The addresses are asked for without a name (the Host header is the address), so that only
# the sets can drop them, not the hold; a dropped connection is given a second (on these
# links an answer takes milliseconds).
blocked() { # the flagged addresses are dropped, the rest is not
	block_expect "$1: vnet.cn's address dropped" \
		"$(block_http "$P1" http://198.51.100.10/ -m 1 --connect-timeout 1)" 000
	block_expect "$1: blocked.example's address dropped for phone1" \
		"$(block_http "$P1" http://198.51.100.30/ -m 1 --connect-timeout 1)" 000
	block_expect "$1: blocked.example's address reachable for phone2" \
		"$(block_http "$P2" http://198.51.100.30/)" 200
	block_expect "$1: www.example.org reachable" "$(block_http "$P1" http://www.example.org/)" 200
}

# fault NAME CHECK NFT-ARGS...: runs nft in the AP, then waits (3 s at most) until CHECK holds
# again and the daemon has logged one more repair; prints the time that took
times=()
fault() {
	local name=$1 check=$2 before t0 t
	shift 2
	before=$(repairs)
	if ! ap_nft "$@"; then
		echo "FAIL $name: nft $* failed"
		BLOCK_FAIL=1
		return 1
	fi
	t0=$(now_ms)
	until $check && [ "$(repairs)" -gt "$before" ]; do
		if [ $(($(now_ms) - t0)) -gt 3000 ]; then
			echo "FAIL $name: not put back within 3 s"
			ap_nft list ruleset | head -n 60
			BLOCK_FAIL=1
			return 1
		fi
		sleep 0.01
	done
	t=$(($(now_ms) - t0))
	times+=("$name: $t ms")
	echo "ok   $name: put back, seen $t ms after nft returned"
	echo "     $(grep "changed behind leakwatch's back" "$log" | tail -n 1 | sed 's/^.*blocking: //')"
	sleep 0.3 # a repair that repeated itself would show as a second line
	block_expect "$name: one log line for it" "$(repairs)" $((before + 1))
}

block_conf "$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf" --user "$user"
sql "INSERT INTO flagged(domain) VALUES ('vnet.cn');
     INSERT INTO flagged(domain, mac) VALUES ('blocked.example', '02:10:00:00:00:01')"
for _ in $(seq 50); do table_whole && break; sleep 0.1; done
rules=$(block_rules)
block_expect "flagged: the table holds both addresses" "$(table_whole && echo yes)" yes
block_expect "flagged: queue rules installed" "$((rules > 0))" 1
blocked "flagged"
block_expect "flagged: a hello naming zzhc.vnet.cn to an address never resolved" \
	"$(hello 203.0.113.40 zzhc.vnet.cn)" 0

fault "nft delete table" table_whole delete table bridge "$T"
blocked "table deleted"
fault "nft flush set (every device)" table_whole flush set bridge "$T" ipv4
fault "nft flush set (per device)" table_whole flush set bridge "$T" mac_ipv4
fault "nft delete chain" table_whole delete chain bridge "$T" forward
blocked "chain deleted"
handle=$(ap_nft -a list chain bridge "$T" forward | grep 'ip daddr @ipv4' | sed 's/.*# handle //')
fault "nft delete rule (ip daddr @ipv4 drop)" table_whole \
	delete rule bridge "$T" forward handle "$handle"
fault "nft delete element" table_whole delete element bridge "$T" ipv4 "{ 198.51.100.10 }"
blocked "element deleted"
# a rule put in front of its drops (one that would let everything through)
no_bypass() { table_whole && ! ap_nft list chain bridge "$T" forward | grep -qx '[[:space:]]*accept'; }
fault "nft insert rule ... accept" no_bypass insert rule bridge "$T" forward accept
blocked "a bypass rule inserted"
hold_table=$(ap_nft list tables | awk -v t="${T}_hold" '$3 == t { print $2; exit }')
fault "nft delete table $hold_table ${T}_hold (the queue rules)" holds_whole \
	delete table "$hold_table" "${T}_hold"
block_expect "queue rules back: a hello naming zzhc.vnet.cn to an address never resolved" \
	"$(hello 203.0.113.41 zzhc.vnet.cn)" 0
both_whole() { table_whole && holds_whole; }
fault "nft flush ruleset" both_whole flush ruleset
blocked "ruleset flushed"
block_expect "after nft flush ruleset: a hello naming www.vnet.cn to an address never resolved" \
	"$(hello 203.0.113.42 www.vnet.cn)" 0
block_expect "a hello with an unflagged name still gets its answer" \
	"$(($(hello 203.0.113.43 www.example.org) > 0))" 1
block_expect "the daemon kept running" "$(kill -0 "$pid" 2>/dev/null && echo yes)" yes

# not repaired: someone else's table, and the daemon's own removals
n=$(repairs)
ap_nft add table bridge "${T}x"
ap_nft delete table bridge "${T}x"
sql "DELETE FROM flagged"
sleep 1.5
block_expect "unflagged: vnet.cn reachable" "$(block_http "$P1" http://vnet.cn/)" 200
block_expect "unflagged: the addresses are out of the sets" \
	"$(ap_nft list table bridge "$T" | grep -c '198\.51\.100\.[13]0')" 0
block_expect "unflagged: the queue rules are gone, and stay gone" "$(block_rules)" 0
block_expect "no repair for the daemon's own removals or another table" "$(repairs)" "$n"

block_stop
block_expect "table removed at exit" "$(block_table)" 0
block_expect "queue rules removed at exit" "$(block_rules)" 0
block_expect "the exit names the repairs" \
	"$(grep -c "put back what was removed from its nftables tables behind its back $n times" "$log")" 1
block_sanitizer_check
echo "recovery (nft returned -> whole again, polled every 10 ms): ${times[*]/%/;}"
[ $BLOCK_FAIL -ne 0 ] && { echo "--- leakwatchd.log"; cat "$log"; }
exit $BLOCK_FAIL
