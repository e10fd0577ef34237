#!/usr/bin/env bash
# Lab test: flagging and unflagging with the sqlite3 CLI while phones fetch pages through the
# AP bridge.  A flag for every device blocks vnet.cn and its subdomains for both phones within
# a second and nothing else; deleting the row unblocks at once; a flag with phone1's MAC
# blocks phone1 only; a malformed row is reported and ignored.
#   block-flag.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq nft curl sqlite3
# shellcheck source=block-lib.sh
. "$here/block-lib.sh"

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_phone phone2 3c:28:6d:00:00:02 192.0.2.12
lab_host vnet.cn 198.51.100.10
lab_host zzhc.vnet.cn 198.51.100.11
lab_host www.example.org 198.51.100.20
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$here/servers.py" \
	http:198.51.100.10:80 http:198.51.100.11:9999 http:198.51.100.20:80
lab_wait_port "$LAB_UP" tcp 9999 || exit 1
block_ap_net

db=$LAB_DIR/block.db
FLAG_MS=${BLOCK_FLAG_MS:-2000} # a flag must block this soon
# seconds the daemon is given to act on a change of the flagged table (BLOCK_SETTLE_S: more on
# an emulated kernel)
SETTLE=${BLOCK_SETTLE_S:-1}
block_conf "$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"
P1=$LAB_ID-phone1
P2=$LAB_ID-phone2

# the default configuration (family = auto) on this bridged AP (br0's default route leaves
# through br0 itself, to the upstream router)
ms=$(block_wait_meta block.layout '^bridged$' "${BLOCK_WAIT_S:-20}")
echo "info layout reported in meta $ms ms after the launch (ready after $BLOCK_READY_MS ms)"
block_expect "layout reported within ${BLOCK_REPORT_MS:-1000} ms of the daemon being ready" \
	"$(block_reported_in_time "$ms")" yes
block_expect "detected layout" "$(block_meta block.layout)" bridged
block_expect "table family" "$(block_meta block.family)" bridge
block_expect "table bridge in the kernel" \
	"$(lab_ns "$LAB_AP" nft list tables | grep -c "^table bridge lw${LAB_ID//[^a-zA-Z0-9]/}\$")" 1
block_expect "br_netfilter (the holds sit on the bridge)" "$(block_meta block.br_netfilter)" on
block_expect "holds off while nothing is flagged, queue path named" \
	"$(block_meta block.holds | grep -Ec '^off until something is flagged \(queue path (nft|xtables)\)$')" 1
block_expect "no problems" "$(block_meta_empty block.problems)" empty

check_all() { # check_all WHEN P1-VNET P1-ZZHC P2-VNET P1-EXAMPLE P2-EXAMPLE
	block_expect "$1: phone1 http://vnet.cn/" "$(block_http "$P1" http://vnet.cn/)" "$2"
	block_expect "$1: phone1 http://zzhc.vnet.cn:9999/" \
		"$(block_http "$P1" http://zzhc.vnet.cn:9999/ --data-binary x)" "$3"
	block_expect "$1: phone2 http://vnet.cn/" "$(block_http "$P2" http://vnet.cn/)" "$4"
	block_expect "$1: phone1 http://www.example.org/" \
		"$(block_http "$P1" http://www.example.org/)" "$5"
	block_expect "$1: phone2 http://www.example.org/" \
		"$(block_http "$P2" http://www.example.org/)" "$6"
}

check_all "before flagging" 200 200 200 200 200
block_expect "no hold rules while nothing is flagged" "$(block_rules)" 0

# --- a flag for every device -------------------------------------------------------------
sql "INSERT INTO flagged(domain) VALUES ('vnet.cn')"
ms=$(block_until_elem 198.51.100.10 in "${BLOCK_WAIT_S:-20}")
echo "info bridged: flag -> vnet.cn's address in the set in $ms ms"
block_expect "bridged: flag blocks within $FLAG_MS ms" "$(block_within "$FLAG_MS" "$ms")" yes
sleep "$SETTLE" # the second address and the hold rules
# without DNS: the daemon looked vnet.cn up itself when it was flagged
block_expect "flagged: phone1 to vnet.cn's address, no DNS involved" \
	"$(block_http "$P1" http://vnet.cn/ --resolve vnet.cn:80:198.51.100.10)" 000
check_all "flagged for every device" 000 000 000 200 200
block_expect "hold rules installed while something is flagged" "$(( $(block_rules) > 0 ))" 1
block_expect "holds on while something is flagged" \
	"$(block_meta block.holds | grep -c '^DNS-hold and hello-hold on (')" 1
block_expect "blocks rows for the flagged addresses" \
	"$(sql "SELECT DISTINCT domain, ip, action FROM blocks WHERE mac IS NULL ORDER BY ip")" \
	"vnet.cn|198.51.100.10|add
vnet.cn|198.51.100.11|add"

sql "DELETE FROM flagged WHERE domain = 'vnet.cn'"
ms=$(block_until_elem 198.51.100.10 out "${BLOCK_WAIT_S:-20}")
echo "info bridged: unflag -> vnet.cn's address out of the set in $ms ms"
block_expect "bridged: unflag unblocks within $FLAG_MS ms" "$(block_within "$FLAG_MS" "$ms")" yes
sleep 0.5 # the hold rules go at the same time as the last address
check_all "unflagged" 200 200 200 200 200
block_expect "blocks rows for the removal" \
	"$(sql "SELECT DISTINCT ip, reason FROM blocks WHERE action = 'remove' ORDER BY ip")" \
	"198.51.100.10|unflag
198.51.100.11|unflag"
block_expect "hold rules removed when nothing is flagged" "$(block_rules)" 0

# --- a flag for phone1 only ----------------------------------------------------------------
sql "INSERT INTO flagged(domain, mac, reason) VALUES ('vnet.cn', '02:10:00:00:00:01', 'test')"
sleep "$SETTLE"
check_all "flagged for phone1" 000 000 200 200 200
block_expect "per-device blocks rows carry the MAC" \
	"$(sql "SELECT DISTINCT mac FROM blocks WHERE mac IS NOT NULL AND action = 'add'")" \
	"02:10:00:00:00:01"

# --- a malformed row is reported once and ignored; the good one keeps working --------------
sql "INSERT INTO flagged(domain) VALUES ('not a domain!')"
sql "INSERT INTO flagged(domain, mac) VALUES ('example.org', 'zz:zz')"
sleep "$SETTLE"
block_expect "malformed domain reported" \
	"$(grep -c "is not a domain name" "$LAB_DIR/leakwatchd.log")" 1
block_expect "malformed MAC reported" "$(grep -c "is not a MAC address" "$LAB_DIR/leakwatchd.log")" 1
block_expect "daemon still running" "$(kill -0 "$pid" && echo yes)" yes
check_all "with malformed rows" 000 000 200 200 200

sql "DELETE FROM flagged"
sleep "$SETTLE"
check_all "all rows deleted" 200 200 200 200 200

# --- a flag that expires by itself ----------------------------------------------------------
sql "INSERT INTO flagged(domain, expires) VALUES ('vnet.cn', CAST(strftime('%s', 'now') AS INTEGER) + $((3 * SETTLE)))"
sleep "$SETTLE"
block_expect "flagged until a time: blocked before it" "$(block_http "$P1" http://vnet.cn/)" 000
sleep "$((3 * SETTLE))"
block_expect "flagged until a time: reachable after it" "$(block_http "$P1" http://vnet.cn/)" 200
block_expect "an expired row is left to the person" "$(sql "SELECT count(*) FROM flagged")" 1

block_stop
block_expect "table removed at exit" "$(block_table)" 0
block_expect "no hold rules left at exit" "$(block_rules)" 0
block_sanitizer_check
exit $BLOCK_FAIL
