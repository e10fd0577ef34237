#!/usr/bin/env bash
# Hostile lab test: one forged DNS answer frame sent to the victim renames its traffic.
# phone1 (the attacker) sends phone2 (the victim) one answer frame, from the resolver's address
# and port 53, saying innocent.example is 198.51.100.30 — the server phone2 reports its IMEI
# to in a UDP datagram with no name of its own.  With [block] auto_kinds = imei, a leak
# charged to innocent.example would also flag it for every device.  Should be: passive DNS
# names come only from answers to queries phone2 sent, so the leak is not charged to
# innocent.example and nothing is flagged; the answer is counted in stats.dns_unmatched.
#   forged-name.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need curl

hostile_phones
lab_host www.example.org 198.51.100.20
lab_dns_start || exit 1
lab_ns "$LAB_UP" ip addr add 198.51.100.30/32 dev lo
hostile_servers udp 9999 \
	udpreply:198.51.100.30:9999 http:198.51.100.20:80
block_conf "$LAB_DIR/lw.conf" auto_kinds=imei
block_start "$LAB_DIR/lw.conf"

lab_ns "$P1" python3 "$here/forge.py" answer eth0 02:10:00:00:00:01 3c:28:6d:00:00:02 \
	192.0.2.1 192.0.2.12 33333 innocent.example 198.51.100.30
sleep 1.5
# the victim's report: a valid IMEI under its key, in a UDP datagram with no name in it
lab_ns "$P2" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"{\"imei\":\"356938035643809\",\"model\":\"TA-1062\"}", ("198.51.100.30", 9999))
try:
    s.recv(100)
except OSError:
    pass
'
for i in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM leaks WHERE kind = 'imei'")" -gt 0 ] && break
	sleep 0.1
done
echo "     the leak row was visible after $i polls of 0.1 s"
sleep 1
leak=$(sql "SELECT mac, ifnull(nullif(domain, ''), 'NULL'), dst_ip FROM leaks WHERE kind = 'imei'")
flagged=$(sql "SELECT count(*) FROM flagged WHERE domain = 'innocent.example'")
block_expect "the victim's leak is recorded, not charged to innocent.example" "$leak" \
	"3c:28:6d:00:00:02|NULL|198.51.100.30"
block_expect "innocent.example is not flagged" "$flagged" 0
block_expect "no dns row names innocent.example" \
	"$(sql "SELECT count(*) FROM dns WHERE qname = 'innocent.example'")" 0
block_stop
unmatched=$(sql "SELECT max(dns_unmatched) FROM stats")
block_expect "the forged answer is counted as unmatched" "${unmatched:-0}" 1
block_sanitizer_check
charged=$(sql "SELECT count(*) FROM leaks WHERE domain = 'innocent.example'")
echo "figures: leaks charged to innocent.example: $charged of $(sql "SELECT count(*) FROM leaks WHERE kind = 'imei'"); innocent.example flagged: $flagged; stats.dns_unmatched: ${unmatched:-none}"
exit $BLOCK_FAIL
