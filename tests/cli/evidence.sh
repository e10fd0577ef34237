#!/usr/bin/env bash
# Evidence (schema v7): every golden capture read with leakwatchd -r gives one evidence row per
# (device, destination, kind) of its leak rows; each row's pcap is a file libpcap's format
# describes (python reads it frame by frame here), with the frames of the leak's flow (its
# server's address in them; the Nokia registration's request in its file); `leakwatch
# evidence` lists them with filters and writes one out (new file, 0600, no link, not to a
# terminal); [evidence] max_rows and enabled = no are obeyed.
#   evidence.sh LEAKWATCHD LEAKWATCH CASES-DIR
set -uo pipefail
daemon=$1 cli=$2 cases=$3
command -v sqlite3 >/dev/null || { echo "needs sqlite3"; exit 77; }
command -v python3 >/dev/null || { echo "needs python3"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# check_db DB: every evidence row's pcap against its row and the leaks it stands for
check_db() {
	python3 - "$1" <<'PY'
import socket, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
bad = 0
rows = db.execute("SELECT id, mac, dest, kind, packets, bytes, linktype, pcap, dst_ip, "
                  "dst_port, flow_id FROM evidence").fetchall()
for (eid, mac, dest, kind, packets, nbytes, linktype, pcap, dst_ip, dst_port, flow_id) in rows:
    def no(why):
        global bad
        bad += 1
        print(f"evidence {eid} ({mac} {dest} {kind}): {why}")
    if len(pcap) != nbytes or len(pcap) < 24:
        no(f"{len(pcap)} bytes, the row says {nbytes}"); continue
    magic, vmaj, vmin, _, _, snap, lt = struct.unpack("<IHHiIII", pcap[:24])
    if magic != 0xa1b2c3d4 or (vmaj, vmin) != (2, 4) or lt != linktype:
        no(f"header {magic:#x} {vmaj}.{vmin} linktype {lt}"); continue
    off, frames, data = 24, 0, b""
    while off < len(pcap):
        if off + 16 > len(pcap):
            no("a record header cut off"); break
        _, _, caplen, wirelen = struct.unpack("<IIII", pcap[off:off + 16])
        if caplen > wirelen or off + 16 + caplen > len(pcap):
            no(f"record {frames}: caplen {caplen} wire {wirelen}"); break
        data += pcap[off + 16:off + 16 + caplen]
        off += 16 + caplen
        frames += 1
    if frames != packets:
        no(f"{frames} frames, the row says {packets}")
    try:
        fam = socket.AF_INET6 if ":" in dst_ip else socket.AF_INET
        if socket.inet_pton(fam, dst_ip) not in data:
            no(f"its server {dst_ip} is in none of its frames")
    except OSError:
        no(f"server address {dst_ip!r}")
    if not db.execute("SELECT count(*) FROM leaks WHERE flow_id = ? AND mac = ? AND kind = ?",
                      (flow_id, mac, kind)).fetchone()[0]:
        no("no leak row of its flow, device and kind")
keys = db.execute("SELECT count(DISTINCT mac || char(10) || coalesce(nullif(domain, ''), dst_ip)"
                  " || char(10) || kind) FROM leaks WHERE mac IS NOT NULL").fetchone()[0]
if keys != len(rows):
    bad += 1
    print(f"{len(rows)} evidence rows for {keys} (device, destination, kind)")
print(f"{len(rows)} rows")
sys.exit(1 if bad else 0)
PY
}

# --- every golden capture --------------------------------------------------------------------
n=0
for f in "$cases"/*.pcap "$cases"/*.pcapng; do
	case $(basename "$f") in error_*) continue ;; esac
	db=$dir/$(basename "$f").db
	"$daemon" -q -r "$f" --db "$db" 2>/dev/null || { bad "leakwatchd -r $f"; continue; }
	out=$(check_db "$db") || bad "$(basename "$f"): $out"
	n=$((n + 1))
done
total=0
for f in "$dir"/*.db; do total=$((total + $(sqlite3 "$f" "SELECT count(*) FROM evidence"))); done
[ "$fail" = 0 ] && ok "$n golden captures: $total evidence rows, one per (device, destination, kind), each pcap read back frame by frame"

# --- the command -------------------------------------------------------------------------------
db=$dir/leak_zzhc_repeat.pcap.db
export TZ=UTC
got=$("$cli" --db "$db" evidence)
want="ID  TIME              DEVICE                  DESTINATION   KIND   PACKETS  BYTES
 3  2023-11-14 22:50  ICANN, IANA Department  zzhc.vnet.cn  imsi         4    669
 2  2023-11-14 22:50  ICANN, IANA Department  zzhc.vnet.cn  iccid        4    669
 1  2023-11-14 22:50  ICANN, IANA Department  zzhc.vnet.cn  imei         4    669"
[ "$got" = "$want" ] && ok "evidence lists the rows" || bad "evidence:"$'\n'"$got"
got=$("$cli" --db "$db" --json evidence --kind iccid | python3 -c 'import json,sys; j=json.load(sys.stdin); print(len(j), j[0]["kind"], j[0]["dst_port"], j[0]["packets"])')
[ "$got" = "1 iccid 9999 4" ] && ok "evidence --kind iccid --json" || bad "evidence --kind --json: $got"
got=$("$cli" --db "$db" evidence --domain example.org | wc -l)
[ "$got" = 1 ] && ok "evidence --domain filters" || bad "evidence --domain: $got lines"
"$cli" --db "$db" evidence 2 -o "$dir/e2.pcap" 2>/dev/null &&
	[ "$(stat -c %a "$dir/e2.pcap")" = 600 ] &&
	cmp -s "$dir/e2.pcap" <(python3 -c 'import sqlite3, sys
sys.stdout.buffer.write(sqlite3.connect(sys.argv[1]).execute("SELECT pcap FROM evidence WHERE id = 2").fetchone()[0])' "$db") &&
	ok "evidence 2 -o FILE: the row's pcap, mode 0600" || bad "evidence 2 -o FILE"
grep -aq "POST / HTTP/1.1" "$dir/e2.pcap" && grep -aq "Host: zzhc.vnet.cn:9999" "$dir/e2.pcap" &&
	ok "it holds the registration's request" || bad "the request is not in evidence 2"
if command -v tcpdump >/dev/null; then
	got=$("$cli" --db "$db" evidence 2 -o - | tcpdump -nr - 2>/dev/null | grep -c "203.0.113.126.9999")
	[ "$got" = 4 ] && ok "tcpdump reads it from a pipe: 4 packets of the flow" || bad "tcpdump: $got"
else
	echo "note: no tcpdump here: the pipe is not read back by it (python reads every file above)"
fi
# refusals: the file exists, a link, no such id, not an id, no -o, -o without an id, a terminal
ln -s "$dir/elsewhere" "$dir/link.pcap"
refuse() {
	local name=$1 want=$2 text=$3 err rc
	shift 3
	err=$("$cli" --db "$db" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && [[ $err == *"$text"* ]]; then
		ok "refused: $name ($rc)"
	else
		bad "$name: exit $rc, '$err'"
	fi
}
refuse "an existing file" 73 "must be a new file" evidence 2 -o "$dir/e2.pcap"
refuse "a link" 73 "must be a new file" evidence 2 -o "$dir/link.pcap"
[ -e "$dir/elsewhere" ] && bad "the link was followed"
refuse "no such id" 65 "no evidence 99" evidence 99 -o "$dir/x.pcap"
refuse "not an id" 64 "not an evidence id" evidence 2x -o "$dir/x.pcap"
refuse "no -o" 64 "usage: leakwatch evidence ID -o FILE" evidence 2
refuse "-o without an id" 64 "does not take -o" evidence -o "$dir/x.pcap"
refuse "--json with an id" 64 "writes a pcap" --json evidence 2 -o "$dir/x.pcap"
# standard output a terminal (python's pty)
got=$(python3 -c 'import pty, sys; pty.spawn(sys.argv[1:])' "$cli" --db "$db" evidence 2 -o - 2>&1 </dev/null | tr -d '\r')
[[ $got == *"a pcap is binary"* ]] && ok "refused: a pcap to a terminal" || bad "a terminal: '$got'"

# --- configuration -------------------------------------------------------------------------------
cap=$cases/sip_volte_gtpu.pcap
printf '[evidence]\nmax_rows = 2\n' >"$dir/two.conf"
"$daemon" -q -c "$dir/two.conf" -r "$cap" --db "$dir/two.db" 2>/dev/null
got=$(sqlite3 "$dir/two.db" "SELECT count(*) FROM evidence")
all=$(sqlite3 "$dir/sip_volte_gtpu.pcap.db" "SELECT count(*) FROM evidence")
[ "$got" = 2 ] && [ "$all" -gt 2 ] && ok "[evidence] max_rows = 2: 2 of $all rows kept" || bad "max_rows: $got of $all"
printf '[evidence]\nenabled = no\n' >"$dir/off.conf"
"$daemon" -q -c "$dir/off.conf" -r "$cap" --db "$dir/off.db" 2>/dev/null
got=$(sqlite3 "$dir/off.db" "SELECT count(*) FROM evidence")
[ "$got" = 0 ] && ok "[evidence] enabled = no: no rows" || bad "enabled = no: $got rows"
printf '[evidence]\nmax_rows = 0\n' >"$dir/zero.conf"
err=$("$daemon" -q -c "$dir/zero.conf" -r "$cap" --db "$dir/zero.db" 2>&1)
rc=$?
[ "$rc" = 78 ] && [[ $err == *max_rows* ]] && ok "refused: [evidence] max_rows = 0 (78)" || bad "max_rows = 0: $rc '$err'"

# --- one device's flood of new destinations: the others still get their files -------------------
# 00:00:5e:00:53:66 sends an IMEI to 300 new host names in 0.3 s (300 keys), then
# 00:00:5e:00:53:67 sends its own to 3: its 3 files are taken; the first device gets its share of
# the burst (16), not all of it.
python3 - "$dir/flood.pcap" "$(dirname "$0")/../faults" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
from traffic import up, down, tcp, write_pcap

frames = []
def get(mac, client, port, host):
    mac = bytes.fromhex(mac.replace(":", ""))
    server = bytes([198, 51, 100, 80])
    req = f"GET /r?imei=490154203237518 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    frames.append(up(6, tcp(port, 80, 1000, 0, 0x02), client, server, mac))
    frames.append(down(6, tcp(80, port, 5000, 1001, 0x12), server, client, mac))
    frames.append(up(6, tcp(port, 80, 1001, 5001, 0x10), client, server, mac))
    frames.append(up(6, tcp(port, 80, 1001, 5001, 0x18, req), client, server, mac))
for i in range(300):
    get("00:00:5e:00:53:66", bytes([192, 0, 2, 66]), 20000 + i, f"t{i}.example.com")
for i in range(3):
    get("00:00:5e:00:53:67", bytes([192, 0, 2, 67]), 30000 + i, f"v{i}.example.net")
write_pcap(sys.argv[1], frames, step=0.00025)
PY
log=$("$daemon" -r "$dir/flood.pcap" --db "$dir/flood.db" 2>&1)
q() { sqlite3 "$dir/flood.db" "$1"; }
keys1=$(q "SELECT count(DISTINCT domain) FROM leaks WHERE mac = '00:00:5e:00:53:66'")
keys2=$(q "SELECT count(DISTINCT domain) FROM leaks WHERE mac = '00:00:5e:00:53:67'")
files1=$(q "SELECT count(*) FROM evidence WHERE mac = '00:00:5e:00:53:66'")
files2=$(q "SELECT count(*) FROM evidence WHERE mac = '00:00:5e:00:53:67'")
echo "figure: the flooding device: $keys1 destinations, $files1 files; the other: $keys2 destinations, $files2 files"
[ "$keys1" -ge 300 ] && [ "$keys2" = 3 ] || bad "the flood's leaks were not all recorded ($keys1, $keys2)"
[ "$files2" = 3 ] && ok "the other device's 3 first leaks have their files despite the flood" ||
	bad "the other device got $files2 of its 3 files"
[ "$files1" -ge 16 ] && [ "$files1" -le 17 ] && ok "the flooding device got its share of the burst ($files1)" ||
	bad "the flooding device got $files1 files (its share: 16 at once)"
grep -q "evidence: .* over a device's share" <<<"$log" && ok "said: $(grep -o "evidence: .*" <<<"$log")" ||
	bad "no log line for the refused files: $log"
exit $fail
