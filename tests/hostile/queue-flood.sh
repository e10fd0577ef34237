#!/usr/bin/env bash
# Hostile lab test: one device floods the database writer.  phone1 (the attacker) sends UDP
# datagrams for 6 s, 4 000 a second (a rate the capture keeps up with), each carrying a
# different valid IMEI (a leak row each); meanwhile phone2 (the victim) reports its own IMEI
# 30 times, once every 200 ms, to its own server.  So that the flood outruns the writer on any
# machine, the writer queue is small ([database] queue_max = 2048) and a reader holds the
# database's write lock for the flood's first 5 s (as a slow disk or a long sqlite3 session
# would): the queue fills.  Should be: each device has its share of the writer queue, so the
# victim's 30 rows are all written while the attacker's excess is refused
# (stats.store_dropped_share).  Before: a full queue dropped every device's rows alike.
#   queue-flood.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need

SECONDS_FLOOD=${FLOOD_SECONDS:-6}
hostile_phones
lab_ns "$LAB_UP" ip addr add 198.51.100.30/32 dev lo
lab_ns "$LAB_UP" ip addr add 198.51.100.31/32 dev lo
hostile_servers udp 9999 \
	sink:198.51.100.30:9999 udpreply:198.51.100.31:9999
block_conf "$LAB_DIR/lw.conf" enabled=no
printf '[database]\nqueue_max = 2048\nstats_interval = 1\n' >>"$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"

# the flood: 20 000 distinct IMEIs, cycled (more than a flow remembers)
cat >"$LAB_DIR/flood.py" <<'PY'
import socket, sys, time
sys.path.insert(0, sys.argv[3])
from forge import luhn
k = int(sys.argv[2])
msgs = [b'{"imei":"%s"}' % luhn('35%012d' % (k * 100000 + i)).encode() for i in range(20000)]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(('198.51.100.30', 9999))
start = time.time()
end, n = start + float(sys.argv[1]), 0
while time.time() < end:
    for m in msgs[n % 20000:n % 20000 + 100]:
        try:
            s.send(m)
        except OSError:
            pass
    n += 100
    ahead = start + n / 4000.0 - time.time()
    if ahead > 0:
        time.sleep(ahead)
print('sent', n)
PY
# the writer cannot commit for 5 s
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
' "$db" $((SECONDS_FLOOD - 1)) &
locker=$!
lab_bg "$P1" "$LAB_DIR/flood1.log" python3 "$LAB_DIR/flood.py" "$SECONDS_FLOOD" 1 "$here"
sleep 0.5
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
    time.sleep(0.2)
PY
wait "$locker"
sleep "$SECONDS_FLOOD"
victim=$(sql "SELECT count(*) FROM leaks WHERE mac = '3c:28:6d:00:00:02' AND kind = 'imei'")
flood=$(sql "SELECT count(*) FROM leaks WHERE mac = '02:10:00:00:00:01'")
block_stop
st=$(sql "SELECT max(store_dropped) || ' ' || max(store_dropped_share) || ' ' || max(dropped) FROM stats")
read -r sdropped share capdrop <<<"$st"
block_expect "the victim's 30 leak rows are written" "$victim" 30
block_expect "the capture kept up (no capture drops: what is lost is the writer's)" "${capdrop:-0}" 0
block_expect "the flood overran the writer queue (rows were dropped)" "$(( ${sdropped:-0} > 0 ))" 1
block_expect "the rows refused were the attacker's excess" "$(( ${share:-0} > 0 ))" 1
block_sanitizer_check
echo "figures: victim's rows: $victim of 30; attacker's rows written: $flood; stats.store_dropped: ${sdropped:-none} (of them store_dropped_share: ${share:-none}); capture drops: ${capdrop:-none}; $(cat "$LAB_DIR"/flood*.log 2>/dev/null | tr '\n' ' ')"
exit $BLOCK_FAIL
