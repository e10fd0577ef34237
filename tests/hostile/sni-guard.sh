#!/usr/bin/env bash
# Hostile lab test: the addresses that are never blocked.  phone1 (the attacker) sends a TLS
# ClientHello naming tracker.example, a domain flagged for every device, to the household's
# resolver and gateway (192.0.2.1) and to a web server (198.51.100.20).  A name a device sends
# blocks the address for that device only (the web server: for phone1), and the resolver and
# gateway must never enter a set: phone2 (the victim) still resolves names; counted in
# stats.block_guarded.
#   sni-guard.sh LEAKWATCHD capture   [block] hello_hold = no: the names reach blocking through
#                                     the capture only, where the guard is applied
#   sni-guard.sh LEAKWATCHD default   the default config: the connection-start hold reads the
#                                     hello too (measured: the resolver is put in the set until
#                                     daemon/block.c applies the guard in hold_addr as well)
set -uo pipefail
daemon=$(realpath "$1")
mode=${2:-capture}
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need curl getent openssl

hostile_phones
lab_host tracker.example 198.51.100.10
lab_host www.example.org 198.51.100.20
lab_dns_start || exit 1
hostile_servers tcp 443 \
	http:198.51.100.20:80 sink:192.0.2.1:443 sink:198.51.100.20:443
case $mode in
capture) block_conf "$LAB_DIR/lw.conf" hello_hold=no ;;
default) block_conf "$LAB_DIR/lw.conf" ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
block_start "$LAB_DIR/lw.conf"
resolves() { lab_ns "$P2" getent hosts www.example.org >/dev/null && echo 1 || echo 0; }

sql "INSERT INTO flagged(domain, reason) VALUES ('tracker.example', 'test')"
sleep 1
block_expect "before: phone2's DNS is answered" "$(resolves)" 1
for dst in 192.0.2.1 198.51.100.20; do
	lab_ns "$P1" python3 "$lab/block_client.py" hello $dst 443 tracker.example >/dev/null
done
sleep 1.5
resolver=$(sql "SELECT count(*) FROM blocks WHERE action = 'add' AND ip = '192.0.2.1'")
server=$(sql "SELECT ifnull(group_concat(ifnull(mac, 'every device')), 'none') FROM blocks
	WHERE action = 'add' AND ip = '198.51.100.20'")
dns=$(resolves)
block_expect "the resolver and gateway never entered a set" "$resolver" 0
block_expect "after: phone2's DNS is answered" "$dns" 1
block_expect "the web server named by phone1's hello is blocked for phone1 only" \
	"$server" 02:10:00:00:00:01
block_stop
guarded=$(sql "SELECT max(block_guarded) FROM stats")
block_expect "the refusal is counted" "$(( ${guarded:-0} >= 1 ))" 1
block_sanitizer_check
echo "figures ($mode): resolver/gateway put in a set: $resolver; victim DNS answered: $dns; web server put in a set for: $server; stats.block_guarded: ${guarded:-none}"
exit $BLOCK_FAIL
