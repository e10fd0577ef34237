#!/usr/bin/env bash
# Hostile lab test: DHCP requests about another device.  phone1 (the attacker) broadcasts a
# DHCP REQUEST from its own MAC whose chaddr is phone2's (the victim's) MAC and whose host name
# is "android-" + 16 hex digits (what legacy Android sends, read as a leaked Android ID); then
# 5 000 REQUESTs from its own MAC with 5 000 other chaddrs.  Should be: DHCP fields are taken
# only from a client whose frame source MAC is the chaddr, so phone2 keeps its name, gets no
# leak and no learned identifier, and no device row appears for the 5 000 chaddrs (all counted
# in stats.dhcp_chaddr_mismatch).  Then rounds of 5 000 REQUESTs each sent from its own
# (forged) source MAC, chaddr alike, until the device rows reach their bound: they stay within
# it (4 096 MACs at most) and the rest are counted in stats.devices_refused.
#   dhcp-spoof.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need curl

hostile_phones
lab_host www.example.org 198.51.100.20
lab_dns_start || exit 1
hostile_servers tcp 80 http:198.51.100.20:80
block_conf "$LAB_DIR/lw.conf" enabled=no
{
	echo "[device 3c:28:6d:00:00:02]"
	echo "label = victim"
} >>"$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"
V=3c:28:6d:00:00:02

# the victim is a device with traffic of its own
block_expect "phone2 reaches the site" "$(block_http "$P2" http://www.example.org/)" 200
lab_ns "$P1" python3 "$here/forge.py" dhcp eth0 02:10:00:00:00:01 $V android-3f2a9c4b7d1e8f60 1
lab_ns "$P1" python3 "$here/forge.py" dhcp eth0 02:10:00:00:00:01 random phone-x 5000 2000
sleep 2
devices1=$(sql "SELECT count(*) FROM devices")
block_expect "phone2 is not renamed" "$(sql "SELECT ifnull(hostname, 'NULL') FROM devices WHERE mac = '$V'")" NULL
block_expect "no leak is charged to phone2" "$(sql "SELECT count(*) FROM leaks WHERE mac = '$V'")" 0
block_expect "no identifier is learned for phone2" \
	"$(sql "SELECT count(*) FROM identifiers WHERE mac = '$V' AND source = 'learned'")" 0
block_expect "no device row for the 5 000 chaddrs (only the phones)" "$devices1" 2

# forged source MACs: each frame from its own MAC, chaddr alike, 5 000 at 2 000 a second; on a
# loaded machine the bridge or the capture may lose some of them before the daemon sees them,
# so more rounds of new MACs follow until the daemon has seen more than its bound (3 at most)
rounds=0
for seed in 11 12 13 14; do
	lab_ns "$P1" python3 "$here/forge.py" dhcp eth0 same random phone-y 5000 2000 "$seed"
	rounds=$((rounds + 1))
	sleep 2
	devices2=$(sql "SELECT count(*) FROM devices")
	[ "$devices2" -ge 4096 ] && break
done
block_stop
st=$(sql "SELECT max(dhcp_chaddr_mismatch) || ' ' || max(devices_refused) || ' ' || max(dropped) FROM stats")
read -r mismatch refused dropped <<<"$st"
block_expect "the requests about other MACs are counted" "$(( ${mismatch:-0} >= 5001 ))" 1
block_expect "device rows stay within the bound (4 096)" "$(( devices2 <= 4096 ))" 1
block_expect "the daemon saw more MACs than its bound" "$(( devices2 >= 4096 ))" 1
block_expect "the MACs beyond it are counted" "$(( ${refused:-0} > 0 ))" 1
block_sanitizer_check
echo "figures: phone2 renamed: $(sql "SELECT count(*) FROM devices WHERE mac = '$V' AND hostname IS NOT NULL"); leaks planted on phone2: $(sql "SELECT count(*) FROM leaks WHERE mac = '$V'"); device rows after 5 000 chaddrs: $devices1; after $rounds round(s) of 5 000 forged source MACs: $devices2; stats.dhcp_chaddr_mismatch: ${mismatch:-none}; stats.devices_refused: ${refused:-none}; stats.dropped (capture): ${dropped:-none}"
exit $BLOCK_FAIL
