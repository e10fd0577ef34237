#!/usr/bin/env bash
# Hostile lab test: one device fills the learned identifiers.  phone1 (the attacker) sends 70
# HTTP requests, each with 62 made-up valid IMEIs (4 340: more than the 4 096 values the
# engine keeps); then phone2 (the victim) sends its IMEI once in the clear (validated, so
# learned for it) and then only as a SHA-256 under a key that says nothing — found only
# because it was learned.  Should be: each device has its own share of learned values (64),
# so the victim's hashed IMEI is found; what the flood pushed out is counted
# (stats.learned_evicted).  Before: the table was full, the victim's IMEI was not learned and
# its hash was missed.
#   learned-flood.sh LEAKWATCHD
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
printf '[database]\nstats_interval = 1\n' >>"$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"

sent=$(lab_ns "$P1" python3 - "$here" <<'PY'
import http.client
import sys
sys.path.insert(0, sys.argv[1])
from forge import luhn
n = 0
for r in range(70):
    q = '&'.join('imei=' + luhn('35%012d' % (100000000 + r * 62 + i)) for i in range(62))
    c = http.client.HTTPConnection('198.51.100.20', 80, timeout=5)
    c.request('GET', '/r?' + q, headers={'Host': 'www.example.org'})
    c.getresponse().read()
    c.close()
    n += 62
print(n)
PY
)
echo "     phone1 sent $sent IMEIs"
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM leaks WHERE mac = '02:10:00:00:00:01'")" -ge 4000 ] && break
	sleep 0.2
done
V_IMEI=490154203237518
H=$(printf %s "$V_IMEI" | sha256sum | cut -c1-64)
block_expect "phone2's IMEI in the clear" \
	"$(block_http "$P2" "http://www.example.org/a?imei=$V_IMEI")" 200
sleep 0.5
block_expect "phone2's IMEI as SHA-256" "$(block_http "$P2" "http://www.example.org/b?h=$H")" 200
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM leaks WHERE mac = '3c:28:6d:00:00:02'")" -ge 2 ] && break
	sleep 0.1
done
sleep 1.5
hashed=$(sql "SELECT confidence || ' ' || encoding FROM leaks WHERE mac = '3c:28:6d:00:00:02'
	AND kind = 'imei' AND value = '$V_IMEI' AND encoding LIKE '%sha256%'")
flood_leaks=$(sql "SELECT count(*) FROM leaks WHERE mac = '02:10:00:00:00:01' AND kind = 'imei'")
block_stop
st=$(sql "SELECT max(learned_evicted) || ' ' || max(known_full) FROM stats")
read -r evicted full <<<"$st"
block_expect "the victim's hashed IMEI is found (known)" "${hashed%% *}" known
block_expect "the learned values the flood pushed out are counted" "$(( ${evicted:-0} > 0 ))" 1
block_sanitizer_check
echo "figures: phone1's IMEI leaks recorded: $flood_leaks of $sent; victim's SHA-256'd IMEI: ${hashed:-missed}; stats.learned_evicted: ${evicted:-none}; stats.known_full: ${full:-none}"
exit $BLOCK_FAIL
