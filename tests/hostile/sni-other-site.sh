#!/usr/bin/env bash
# Hostile lab test: a ClientHello naming a flagged domain, sent to another site's address.
# tracker.example is flagged for every device; phone1 (the attacker) opens a TLS connection
# to 203.0.113.50 (the bank's server) with SNI tracker.example.  Measured on leakwatch before
# the fix: the bank's address went in the set for every device for 300 s.  Should be: an
# address learned only from one client's SNI/Host/QUIC SNI is blocked for that client only;
# phone2 still reaches the bank, phone1 does not (it named the flagged site there).
#   sni-other-site.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need

hostile_phones
lab_host www.bank.example 203.0.113.50
lab_dns_start || exit 1
hostile_servers tcp 443 tlsreply:203.0.113.50:443
hello() { # hello NS ADDR SNI: bytes back after the ClientHello
	lab_ns "$1" python3 "$lab/block_client.py" hello "$2" 443 "$3"
}
back() { [ "$1" -gt 0 ] && echo data || echo nothing; }

block_conf "$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"
sql "INSERT INTO flagged(domain) VALUES ('tracker.example')"
sleep 1
block_expect "before the attack: phone2 reaches the bank" \
	"$(back "$(hello "$P2" 203.0.113.50 www.bank.example)")" data

# the attack: phone1 names the flagged domain in a hello to the bank's address
attack=$(back "$(hello "$P1" 203.0.113.50 tracker.example)")
block_expect "the attacker's own hello naming the flagged domain gets nothing" "$attack" nothing
sleep 0.5
victim=$(back "$(hello "$P2" 203.0.113.50 www.bank.example)")
self=$(back "$(hello "$P1" 203.0.113.50 www.bank.example)")
scope=$(sql "SELECT group_concat(ifnull(mac, 'every device'), ',') FROM blocks
	WHERE ip = '203.0.113.50' AND action = 'add'")
block_expect "the victim still reaches the bank" "$victim" data
block_expect "the attacker is blocked from the address it named the flagged site at" "$self" nothing
block_expect "the bank's address is in the set for phone1 only" "$scope" 02:10:00:00:00:01
# the nft set itself: no element for every device
block_expect "no element for every device in the ipv4 set" \
	"$(lab_ns "$LAB_AP" nft list set bridge "lw${LAB_ID//[^a-zA-Z0-9]/}" ipv4 |
		grep -c 203.0.113.50)" 0
echo "figures: victim reaches site: $victim; attacker: $self; site blocked for: $scope"
block_stop
exit $BLOCK_FAIL
