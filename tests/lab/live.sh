#!/usr/bin/env bash
# Lab test: leakwatchd captures live on an AP bridge (in network namespaces) while two phones
# resolve names and fetch pages; the rows it writes must name each flow, device and query, and
# keep the evidence of phone1's IMEI leak.
#   live.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)"; exit 77; }
command -v dnsmasq >/dev/null || { echo "needs dnsmasq"; exit 77; }
# shellcheck source=lab.sh
. "$here/lab.sh"

fail=0
check() { # check DESCRIPTION SQL EXPECTED
	local got
	got=$(sqlite3 "$db" "$2")
	if [ "$got" = "$3" ]; then
		echo "ok   $1"
	else
		echo "FAIL $1"
		echo "  query:    $2"
		echo "  expected: $3"
		echo "  got:      $got"
		fail=1
	fi
}

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_phone phone2 3c:28:6d:00:00:02 192.0.2.12
lab_host zzhc.vnet.cn 198.51.100.10
lab_host www.example.org 198.51.100.20
lab_host quiet.example.net 203.0.113.40
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$here/servers.py" \
	http:198.51.100.10:9999 http:198.51.100.20:80 sink:203.0.113.40:443 sink:203.0.113.40:5222
lab_wait_port "$LAB_UP" tcp 5222 || exit 1

db=$LAB_DIR/live.db
lab_bg "$LAB_AP" "$LAB_DIR/leakwatchd.log" "$daemon" -i br0 --db "$db"
pid=${LAB_PIDS[-1]}
for _ in $(seq 100); do
	grep -qs "capturing on" "$LAB_DIR/leakwatchd.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -qs "capturing on" "$LAB_DIR/leakwatchd.log"; then
	echo "FAIL leakwatchd did not start capturing:"
	cat "$LAB_DIR/leakwatchd.log"
	exit 1
fi

p1() { lab_ns "$LAB_ID-phone1" "$@"; }
p2() { lab_ns "$LAB_ID-phone2" "$@"; }
p1 curl -s -m 5 -o /dev/null -A zzhc/1.0.0 --data-binary 'eyJNRUlEIjoiMSJ9' 'http://zzhc.vnet.cn:9999/r?imei=356938035643809'
p2 curl -s -m 5 -o /dev/null http://www.example.org/index.html
p2 curl -s -m 5 -o /dev/null https://quiet.example.net/
# a name known only from DNS: resolve, then a non-HTTP, non-TLS connection to the address
p1 python3 -c '
import socket
a = socket.gethostbyname("quiet.example.net")
s = socket.create_connection((a, 5222), timeout=5)
s.sendall(b"<stream:stream to=\"x\">")
s.close()'
sleep 1.5
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
	echo "FAIL leakwatchd did not exit within 10 s of SIGTERM"
	exit 1
fi
wait "$pid"
rc=$?
[ $rc -eq 0 ] && echo "ok   exit status 0 after SIGTERM" || { echo "FAIL exit status $rc"; fail=1; }
grep -q "runtime error\|AddressSanitizer" "$LAB_DIR/leakwatchd.log" && { cat "$LAB_DIR/leakwatchd.log"; fail=1; }

check "phone1's POST is an http flow named by Host" \
	"SELECT mac, src_ip, dst_ip, dst_port, domain, name_source, app FROM flows WHERE dst_port = 9999" \
	"02:10:00:00:00:01|192.0.2.11|198.51.100.10|9999|zzhc.vnet.cn|http|http"
check "phone2's TLS flow is named by its SNI" \
	"SELECT mac, dst_ip, domain, name_source, app, encrypted FROM flows WHERE dst_port = 443" \
	"3c:28:6d:00:00:02|203.0.113.40|quiet.example.net|sni|tls|1"
check "an IP-only flow takes the name phone1 resolved" \
	"SELECT mac, domain, name_source FROM flows WHERE dst_port = 5222" \
	"02:10:00:00:00:01|quiet.example.net|dns"
check "both directions counted" \
	"SELECT pkts_out > 0 AND pkts_in > 0 AND bytes_out > 0 AND bytes_in > 0 FROM flows WHERE dst_port = 80" \
	"1"
check "DNS queries per device with answers" \
	"SELECT mac, qname, answers FROM dns WHERE qtype = 1 ORDER BY mac, qname" \
	"02:10:00:00:00:01|quiet.example.net|203.0.113.40
02:10:00:00:00:01|zzhc.vnet.cn|198.51.100.10
3c:28:6d:00:00:02|quiet.example.net|203.0.113.40
3c:28:6d:00:00:02|www.example.org|198.51.100.20"
check "devices, with the locally administered MAC marked randomized" \
	"SELECT mac, ip, randomized FROM devices WHERE mac LIKE '02:10:%' OR mac LIKE '3c:28:%' ORDER BY mac" \
	"02:10:00:00:00:01|192.0.2.11|1
3c:28:6d:00:00:02|192.0.2.12|0"
check "the IMEI's leak row" \
	"SELECT mac, domain, kind, value FROM leaks" \
	"02:10:00:00:00:01|zzhc.vnet.cn|imei|356938035643809"
# evidence, taken in the parser's sandbox: the flow's handshake and request, as pcap
check "its evidence: the flow's frames as a pcap" \
	"SELECT mac, dest, kind, packets >= 4, hex(substr(pcap, 1, 4)), instr(pcap, CAST('GET /r?imei=356938035643809' AS BLOB)) + instr(pcap, CAST('POST /r?imei=356938035643809' AS BLOB)) > 0 FROM evidence" \
	"02:10:00:00:00:01|zzhc.vnet.cn|imei|1|D4C3B2A1|1"
check "a stats row with packets and no kernel drops" \
	"SELECT packets > 20, dropped FROM stats ORDER BY ts DESC LIMIT 1" "1|0"
exit $fail
