#!/usr/bin/env bash
# Lab test: [block] auto_kinds = imei.  phone1 posts its IMEI to zzhc.vnet.cn the way the
# Nokia 7 Plus did; the leak (a validated IMEI) flags zzhc.vnet.cn for phone1 (a flagged row
# with source 'auto', phone1's MAC and an expiry), its server is blocked for phone1 at once,
# and the next request gets nowhere.  Skipped (77) while the pipeline
# writes no leak rows (the identifier engine not wired in).
#   block-auto.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq nft curl sqlite3 python3
# shellcheck source=block-lib.sh
. "$here/block-lib.sh"

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_host zzhc.vnet.cn 198.51.100.10
lab_host www.example.org 198.51.100.20
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$here/servers.py" \
	http:198.51.100.10:9999 http:198.51.100.20:80
lab_wait_port "$LAB_UP" tcp 9999 || exit 1
block_ap_net
db=$LAB_DIR/block.db
P1=$LAB_ID-phone1
# base64 of {"MEID":"356938035643809","MODEL":"TA-1062"}: a valid IMEI under the key the
# phones used
body=eyJNRUlEIjoiMzU2OTM4MDM1NjQzODA5IiwiTU9ERUwiOiJUQS0xMDYyIn0=
post() {
	block_http "$P1" http://zzhc.vnet.cn:9999/ -A zzhc/1.0.0 \
		-H 'Content-Type: application/encrypted-json' --data-binary "$body"
}

block_conf "$LAB_DIR/lw.conf" auto_kinds=imei
block_start "$LAB_DIR/lw.conf"
block_expect "the first report goes out" "$(post)" 200
for _ in $(seq 20); do
	[ "$(sql "SELECT count(*) FROM leaks WHERE kind = 'imei'")" -gt 0 ] && break
	sleep 0.1
done
if [ "$(sql "SELECT count(*) FROM leaks WHERE kind = 'imei'")" -eq 0 ]; then
	echo "skip: no imei leak row was written (the identifier engine is not wired in)"
	block_stop
	exit 77
fi
sleep 1
block_expect "the domain is flagged automatically, for the leaking device, for 7 days" \
	"$(sql "SELECT domain, mac, source, reason, expires - added BETWEEN 604790 AND 604810 \
		FROM flagged")" \
	"zzhc.vnet.cn|02:10:00:00:00:01|auto|imei leaked by 02:10:00:00:00:01|1"
block_expect "its server was blocked at once" \
	"$(sql "SELECT DISTINCT ip FROM blocks WHERE domain = 'zzhc.vnet.cn' AND action = 'add'")" \
	198.51.100.10
block_expect "the next report gets nowhere" "$(post)" 000
block_expect "other sites are untouched" "$(block_http "$P1" http://www.example.org/)" 200
# the person decides otherwise: the row goes, and so does the block (until the next leak)
sql "DELETE FROM flagged"
sleep 1
block_expect "unflagged by hand: reachable again" \
	"$(block_http "$P1" http://zzhc.vnet.cn:9999/)" 200
block_stop
block_sanitizer_check
exit $BLOCK_FAIL
