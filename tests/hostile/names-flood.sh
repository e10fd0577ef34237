#!/usr/bin/env bash
# Hostile lab test: one device's lookups flush another's passive-DNS names.  phone2 (the
# victim) resolves 20 names (TTL 600 s); phone1 (the attacker) then asks its own resolver 150
# times, each answer 16 fresh addresses with TTL 86 400 s: 2 400 answers over 512 addresses,
# twice the passive-DNS table ([names] max_entries = 256 here, so the flood stays small).
# Then phone2 reports its IMEI in a UDP datagram to each of its 20 servers, flows with no name
# of their own.  Should be: the table is fair per client, so the victim's 20 leaks keep their
# domains (before: the entry that expired first was replaced, the victim's, and its leaks lost
# their domain); what the attacker could not add is counted (stats.names_refused).
#   names-flood.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need

N=20
hostile_phones
specs=()
for i in $(seq $N); do
	lab_host "v$i.example.org" "198.51.100.$((100 + i))"
	specs+=("udpreply:198.51.100.$((100 + i)):9999")
done
lab_dns_start || exit 1
# the attacker's own resolver
lab_ns "$LAB_UP" ip addr add 203.0.113.66/32 dev lo
lab_bg "$LAB_UP" "$LAB_DIR/flood-dns.log" python3 "$here/dns_flood.py" serve 203.0.113.66 16 \
	198.51.100.0/24,203.0.113.0/24
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$lab/servers.py" "${specs[@]}"
lab_wait_port "$LAB_UP" udp 9999 || exit 1
lab_wait_port "$LAB_UP" udp 53 || exit 1
block_ap_net
block_conf "$LAB_DIR/lw.conf" enabled=no
printf '[names]\nmax_entries = 256\n[database]\nstats_interval = 1\n' >>"$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"

resolved=0
for i in $(seq $N); do
	a=$(lab_ns "$P2" python3 "$here/forge.py" query 192.0.2.1 "v$i.example.org")
	[ "$a" = "198.51.100.$((100 + i))" ] && resolved=$((resolved + 1))
done
block_expect "phone2 resolves its $N names" "$resolved" "$N"
answered=$(lab_ns "$P1" python3 "$here/dns_flood.py" ask 203.0.113.66 flood.example.net 150)
echo "     phone1's resolver answered $answered of 150 queries (16 addresses each)"
sleep 1
# the victim's reports: a valid IMEI under its key, in a UDP datagram with no name in it
lab_ns "$P2" python3 - "$N" <<'PY'
import socket, sys
for i in range(1, int(sys.argv[1]) + 1):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(b'{"imei":"356938035643809","seq":%d}' % i, ('198.51.100.%d' % (100 + i), 9999))
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
PY
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM leaks WHERE kind = 'imei'")" -ge $N ] && break
	sleep 0.1
done
sleep 1.5
named=$(sql "SELECT count(*) FROM leaks WHERE kind = 'imei' AND mac = '3c:28:6d:00:00:02'
	AND domain = 'v' || (CAST(substr(dst_ip, 12) AS INTEGER) - 100) || '.example.org'")
leaks=$(sql "SELECT count(*) FROM leaks WHERE kind = 'imei' AND mac = '3c:28:6d:00:00:02'")
block_stop
st=$(sql "SELECT max(names_evicted) || ' ' || max(names_refused) FROM stats")
read -r evicted refused <<<"$st"
block_expect "the victim's $N leaks are recorded" "$leaks" "$N"
block_expect "each keeps its domain (v<i>.example.org)" "$named" "$N"
block_expect "the attacker's names beyond its share are counted" "$(( ${refused:-0} + ${evicted:-0} > 0 ))" 1
block_sanitizer_check
echo "figures: victim's leaks with their domain: $named of $N (recorded: $leaks); attacker's answers: $answered x 16 addresses; stats.names_evicted: ${evicted:-none}; stats.names_refused: ${refused:-none}"
exit $BLOCK_FAIL
