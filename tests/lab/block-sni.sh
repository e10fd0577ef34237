#!/usr/bin/env bash
# Lab test: a connection whose TLS SNI (or QUIC SNI) is flagged, made straight to an address
# never resolved through DNS, gets nothing back after its ClientHello: the hello is held until
# its name is read and dropped, and the server's address joins the set for that device (a
# name in a hello is the sender's choice: it never blocks an address for the others).  The servers answer
# "reply" to each whole TLS record (QUIC: each datagram) they receive, so "nothing back" is
# measurable.  A ClientHello split over two segments: the first passes (a TLS server answers
# only a whole hello), the one completing it is dropped.
#   block-sni.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq nft sqlite3 python3
# shellcheck source=block-lib.sh
. "$here/block-lib.sh"

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_phone phone2 3c:28:6d:00:00:02 192.0.2.12
lab_host www.example.org 198.51.100.20 # vnet.cn itself is not in the DNS at all
for a in 203.0.113.40 203.0.113.41 203.0.113.42 203.0.113.43 203.0.113.44; do
	lab_ns "$LAB_UP" ip addr add $a/32 dev lo
done
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$here/servers.py" \
	tlsreply:203.0.113.40:443 tlsreply:203.0.113.41:443 tlsreply:203.0.113.42:443 \
	udpreply:203.0.113.43:443 tlsreply:203.0.113.44:443
lab_wait_port "$LAB_UP" tcp 443 || exit 1
lab_wait_port "$LAB_UP" udp 443 || exit 1
block_ap_net

db=$LAB_DIR/block.db
P1=$LAB_ID-phone1
P2=$LAB_ID-phone2
hello() { # hello NS ADDR SNI [split]: bytes back after the ClientHello
	lab_ns "$1" python3 "$here/block_client.py" hello "$2" 443 "$3" ${4:+split}
}
back() { [ "$1" -gt 0 ] && echo data || echo nothing; }

block_conf "$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"

block_expect "before flagging: phone1 hello zzhc.vnet.cn" \
	"$(back "$(hello "$P1" 203.0.113.40 zzhc.vnet.cn)")" data
block_expect "before flagging: QUIC Initial naming example.com" \
	"$(back "$(lab_ns "$P1" python3 "$here/block_client.py" quic 203.0.113.43 443)")" data

sql "INSERT INTO flagged(domain) VALUES ('vnet.cn'), ('example.com')"
sleep 1
block_expect "flagged: phone1 hello zzhc.vnet.cn to an address never resolved" \
	"$(back "$(hello "$P1" 203.0.113.41 zzhc.vnet.cn)")" nothing
block_expect "flagged: a ClientHello split over two segments" \
	"$(back "$(hello "$P1" 203.0.113.42 www.vnet.cn split)")" nothing
block_expect "flagged: phone2's hello, vnet.cn itself" \
	"$(back "$(hello "$P2" 203.0.113.44 vnet.cn)")" nothing
block_expect "flagged: a QUIC Initial naming example.com" \
	"$(back "$(lab_ns "$P1" python3 "$here/block_client.py" quic 203.0.113.43 443)")" nothing
block_expect "the server never answered a flagged hello (its accepts: 203.0.113.41)" \
	"$(grep -c "accept 203.0.113.41:443" "$LAB_DIR/servers.log")" 1
block_expect "blocks rows name where the address came from" \
	"$(sql "SELECT ip, domain, reason FROM blocks WHERE action = 'add' ORDER BY ip")" \
	"203.0.113.41|vnet.cn|sni
203.0.113.42|vnet.cn|sni
203.0.113.43|example.com|quic
203.0.113.44|vnet.cn|sni"
# an address learned from a client's own hello is blocked for that client only: even its
# connections without the name get nowhere, while the other devices still reach the address
block_expect "flagged: phone1 to 203.0.113.41 with an unflagged name" \
	"$(back "$(hello "$P1" 203.0.113.41 www.example.org)")" nothing
block_expect "flagged: phone2 to 203.0.113.41 (learned from phone1's hello only)" \
	"$(back "$(hello "$P2" 203.0.113.41 www.example.org)")" data
block_expect "the hello-learned addresses are blocked for their sender only" \
	"$(sql "SELECT ip, mac FROM blocks WHERE action = 'add' AND ip IN ('203.0.113.41', \
		'203.0.113.44') ORDER BY ip")" \
	"203.0.113.41|02:10:00:00:00:01
203.0.113.44|3c:28:6d:00:00:02"
block_expect "flagged: other names and servers are untouched" \
	"$(back "$(hello "$P2" 203.0.113.40 www.example.org)")" data

# a flag for phone1 only
sql "DELETE FROM flagged"
sleep 1
sql "INSERT INTO flagged(domain, mac) VALUES ('vnet.cn', '02:10:00:00:00:01')"
sleep 1
block_expect "flagged for phone1: phone1's hello" \
	"$(back "$(hello "$P1" 203.0.113.40 zzhc.vnet.cn)")" nothing
block_expect "flagged for phone1: phone2's hello with the same name" \
	"$(back "$(hello "$P2" 203.0.113.42 zzhc.vnet.cn)")" data
block_expect "flagged for phone1: phone2 to the server phone1 may not reach" \
	"$(back "$(hello "$P2" 203.0.113.40 www.example.org)")" data
block_stop
block_sanitizer_check

# The same without the hold: the pipeline still adds the server when it sees the hello, but
# only after the capture hands the packet over; count how many servers answer first.
sql "DELETE FROM flagged"
block_conf "$LAB_DIR/nohold.conf" hello_hold=no dns_hold=no
block_start "$LAB_DIR/nohold.conf"
sql "INSERT INTO flagged(domain) VALUES ('vnet.cn')"
sleep 1
slipped=0
for i in $(seq 10); do
	lab_ns "$LAB_UP" ip addr add "203.0.113.$((100 + i))/32" dev lo
done
lab_bg "$LAB_UP" "$LAB_DIR/servers2.log" python3 "$here/servers.py" \
	$(for i in $(seq 10); do echo "tlsreply:203.0.113.$((100 + i)):443"; done)
lab_wait_port "$LAB_UP" tcp 443 || exit 1
sleep 0.5
for i in $(seq 10); do
	[ "$(hello "$P1" "203.0.113.$((100 + i))" "s$i.vnet.cn")" -gt 0 ] && slipped=$((slipped + 1))
done
echo "info without hello_hold: $slipped of 10 flagged ClientHellos got an answer back"
block_stop
exit $BLOCK_FAIL
