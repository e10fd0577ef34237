#!/usr/bin/env bash
# Hostile lab test (threat model row 15): one device floods DNS queries to grow the database
# without bound.  phone1 (the attacker) sends queries for fresh names as fast as it can for
# FLOOD_SECONDS (default 20; 2 Mbit/s of queries grew a database by 34 MiB a minute before the
# size cap); every answered query is a dns row.  Meanwhile phone2 (the victim) reports its
# IMEI 30 times, once every 0.5 s, to its own server.  The daemon runs with [database]
# max_db_mb = 8.  A second process samples the database's files (main file, -wal, -journal)
# every 0.2 s.  Should be: the database and its WAL never exceed the cap, the victim's 30 leak
# rows are all kept (the cap deletes the raw traffic first), and stats count the rows pruned
# for the cap.  Before (no cap): the database grows with the flood.
#   db-flood.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need

FLOOD_SECONDS=${FLOOD_SECONDS:-20}
CAP_MB=${DB_FLOOD_CAP_MB:-8}
hostile_phones
lab_dns_start --address=/flood.example/203.0.113.50 || exit 1
lab_ns "$LAB_UP" ip addr add 198.51.100.31/32 dev lo
hostile_servers udp 9999 udpreply:198.51.100.31:9999
block_conf "$LAB_DIR/lw.conf" enabled=no
printf '[database]\nmax_db_mb = %s\nstats_interval = 1\n' "$CAP_MB" >>"$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"

# the sampler: the largest database + WAL (or rollback journal) seen, every 0.2 s, and the
# size at the end
cat >"$LAB_DIR/sample.py" <<'PY'
import os, sys, time
db, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
def size():
    n = 0
    for s in ('', '-wal', '-journal'):
        try:
            n += os.stat(db + s).st_size
        except OSError:
            pass
    return n
peak = samples = 0
while not os.path.exists(stop):
    v = size()
    peak, samples = max(peak, v), samples + 1
    time.sleep(0.2)
with open(out, 'w') as f:
    f.write('%d %d %d\n' % (peak, samples, size()))
PY
python3 "$LAB_DIR/sample.py" "$db" "$LAB_DIR/sample.stop" "$LAB_DIR/sample.out" &
sampler=$!

lab_bg "$P1" "$LAB_DIR/flood1.log" python3 "$here/dns_tools.py" flood 192.0.2.1 \
	a.flood.example "$FLOOD_SECONDS" 0
lab_bg "$P1" "$LAB_DIR/flood2.log" python3 "$here/dns_tools.py" flood 192.0.2.1 \
	b.flood.example "$FLOOD_SECONDS" 0
sleep 2
lab_ns "$P2" python3 - <<'PY'
import socket, time
for i in range(30):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.15)
    s.sendto(b'{"imei":"490154203237518","seq":%d}' % i, ('198.51.100.31', 9999))
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
    time.sleep(0.5)
PY
sleep $((FLOOD_SECONDS - 15 > 0 ? FLOOD_SECONDS - 15 : 0))
sleep 3 # the last commits and the pruning after them
victim=$(sql "SELECT count(*) FROM leaks WHERE mac = '3c:28:6d:00:00:02' AND kind = 'imei'")
block_stop
touch "$LAB_DIR/sample.stop"
wait "$sampler"
read -r peak samples final <"$LAB_DIR/sample.out"
cap=$((CAP_MB * 1048576))
st=$(sql "SELECT max(dns_flows) || ' ' || max(pruned_rows) || ' ' || max(cap_pruned) || ' ' ||
	max(vacuum_pages) || ' ' || max(store_dropped) || ' ' || max(store_dropped_share) || ' ' ||
	(max(dropped) + max(if_dropped)) || ' ' || max(packets) FROM stats" 2>/dev/null)
read -r dnsflows pruned cap_pruned vacuum sdropped sshare kdropped packets <<<"$st"
dnsrows=$(sql "SELECT count(*) FROM dns")
block_expect "database + WAL never above the ${CAP_MB} MiB cap (sampled every 0.2 s)" \
	"$((peak <= cap))" 1
block_expect "the flood would have passed the cap (rows were pruned for it)" \
	"$(( ${cap_pruned:-0} > 0 ))" 1
# Frames the kernel drops before the daemon reads them are every device's alike (the README's
# threat model): the victim may lose as many of its 30 requests there, and no more. Allowed:
# 4 times the share of frames the kernel dropped, rounded up (0 when it dropped none); and the
# writer must have dropped only rows of a device over its share (store_dropped = the share's).
allowed=$(awk -v d="${kdropped:-0}" -v n="${packets:-0}" \
	'BEGIN { if (d <= 0) print 0; else { a = 30 * 4 * d / (d + n); print (a == int(a)) ? a : int(a) + 1 } }')
if [ "${victim:-0}" -ge 30 ]; then
	block_expect "the victim's 30 leak rows are kept" "$victim" 30
elif [ $((30 - ${victim:-0})) -le "$allowed" ] && [ "${sdropped:-x}" = "${sshare:-y}" ]; then
	block_expect "the victim's leak rows are kept, but for frames the kernel dropped ($victim of 30; at most $allowed may go there, the writer dropped none of its)" 1 1
else
	block_expect "the victim's 30 leak rows are kept (at most $allowed lost to the kernel's drops)" "$victim" 30
fi
block_sanitizer_check
echo "figures: peak database + WAL $peak bytes ($(awk -v p="$peak" -v c="$cap" \
	'BEGIN { printf "%.1f%%", 100 * p / c }') of the $CAP_MB MiB cap) over $samples samples, $final at the end; victim's leak rows $victim of 30; stats: pruned_rows ${pruned:-none}, cap_pruned ${cap_pruned:-none}, vacuum_pages ${vacuum:-none}, dns_flows ${dnsflows:-none}, store_dropped ${sdropped:-none} (${sshare:-none} for a device's share), frames the kernel dropped before the daemon read them ${kdropped:-none} of ${packets:-none} read (every device's alike: see the README's threat model); dns rows left $dnsrows; flood: $(cat "$LAB_DIR"/flood*.log 2>/dev/null | tr '\n' ' ')"
exit $BLOCK_FAIL
