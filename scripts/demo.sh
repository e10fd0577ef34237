#!/usr/bin/env bash
# A self-contained demo: a small AP in network namespaces (a bridge, a phone, an upstream with
# DNS and web servers), leakwatchd capturing live on the bridge, and the phone doing what the
# Nokia 7 Plus did (a base64 JSON "registration" POST to zzhc.vnet.cn:9999) plus ordinary
# web and TLS traffic.  Then the rows leakwatch wrote are shown.  Needs root.
#   scripts/demo.sh [DB]     (default /tmp/leakwatch-demo.db)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
db=${1:-/tmp/leakwatch-demo.db}
daemon=$top/build/daemon/leakwatchd
# shellcheck source=../tests/lab/lab.sh
. "$top/tests/lab/lab.sh"

rm -f "$db" "$db-wal" "$db-shm"
lab_up
lab_phone phone1 3c:28:6d:5a:0b:11 192.0.2.11
lab_host zzhc.vnet.cn 198.51.100.10
lab_host www.example.org 198.51.100.20
lab_host secure.example.net 203.0.113.30
lab_dns_start
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$top/tests/lab/servers.py" \
	http:198.51.100.10:9999 http:198.51.100.20:80 sink:203.0.113.30:443
lab_wait_port "$LAB_UP" tcp 9999

lab_bg "$LAB_AP" "$LAB_DIR/leakwatchd.log" "$daemon" -i br0 --db "$db"
daemon_pid=${LAB_PIDS[-1]}
for _ in $(seq 50); do
	grep -qs "capturing on" "$LAB_DIR/leakwatchd.log" && break
	sleep 0.1
done

echo "== the phone boots: a ZZHC self-registration, a web page, a TLS connection"
body=$(printf '{"REGVER":"5.0","MEID":"356938035643809","MODEL":"TA-1046","SWVER":"00WW_3_22C","SIM1ICCID":"8986031864022013389","SIM1LTEIMSI":"460115086123745","MACID":"3c:28:6d:5a:0b:11","SIM1CELLID":"28712345","SID":"13824","NID":"1","BASEID":"4321","ACCESSTYPE":"2"}' | base64 -w0)
phone() { lab_ns "$LAB_ID-phone1" "$@"; }
phone curl -s -m 5 -o /dev/null -w '  POST http://zzhc.vnet.cn:9999/ -> %{http_code}\n' \
	-A zzhc/1.0.0 -H 'Content-Type: application/encrypted-json' \
	--data-binary "$body" http://zzhc.vnet.cn:9999/
phone curl -s -m 5 -o /dev/null -w '  GET http://www.example.org/ -> %{http_code}\n' \
	'http://www.example.org/news?lang=en'
phone curl -s -m 5 -o /dev/null https://secure.example.net/ ||
	echo "  TLS to secure.example.net: ClientHello sent (the lab server does not speak TLS)"
sleep 1.5
kill -TERM "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true

show() {
	echo
	echo "== $1"
	sqlite3 -header -column "$db" "$2"
}
show "devices" "SELECT mac, ip, hostname, randomized, datetime(first_seen,'unixepoch') AS first_seen FROM devices"
show "dns" "SELECT mac, qname, qtype, rcode, answers FROM dns ORDER BY ts"
show "flows" "SELECT mac, proto, src_ip, dst_ip, dst_port, domain, name_source, app, pkts_out, bytes_out, pkts_in, bytes_in FROM flows WHERE app IS NOT 'dns' ORDER BY first_seen"
if sqlite3 "$db" "SELECT 1 FROM leaks LIMIT 1" | grep -q 1; then
	show "leaks" "SELECT mac, domain, kind, value, encoding, confidence FROM leaks ORDER BY ts"
fi
echo
echo "database: $db   (try: sqlite3 $db '.tables')"
