#!/usr/bin/env bash
# The leakwatch command against a known database: exact text for each command (tables that
# fit 100 columns, local time, the newest first), every filter, valid JSON and CSV, flags with
# their sources (user, config, auto), flag/unflag writing the flagged table, status's exit
# status, and every refusal with its message and exit status.
#   cli.sh LEAKWATCHD LEAKWATCH CAPTURE
# (leakwatchd -r CAPTURE creates a database with the real schema; known.sql then replaces
# every row with known ones.)
set -uo pipefail
daemon=$1 cli=$2 capture=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v sqlite3 >/dev/null || { echo "needs sqlite3"; exit 77; }
command -v python3 >/dev/null || { echo "needs python3"; exit 77; }
dir=$(mktemp -d)
bg=()
trap 'kill "${bg[@]}" 2>/dev/null; rm -rf "$dir"' EXIT
db=$dir/leakwatch.db
"$daemon" -q -r "$capture" --db "$db" || { echo "FAIL leakwatchd -r"; exit 1; }
sqlite3 "$db" <"$here/known.sql" || { echo "FAIL loading known.sql"; exit 1; }
# leakwatchd's configuration: two [block] domains (one also flagged in the table)
conf=$dir/leakwatch.conf
printf '[block]\ndomains = example.org, *.vnet.cn\n' >"$conf"
export TZ=UTC # tables show local time: this one, unless a test sets another

fail=0
# expect NAME EXPECTED-STATUS CMD...: stdout (the database path and size masked) must equal
# the here-document on stdin
expect() {
	local name=$1 want_rc=$2 got rc
	shift 2
	got=$("$cli" --db "$db" -c "$conf" "$@" 2>"$dir/stderr" | sed -e "s|$db|DB|g" -e "s|$conf|CONF|g" \
		-e 's|^\(database: *DB\) (.* MB)$|\1 (N MB)|' -e 's|"database_bytes": [0-9]*|"database_bytes": N|' \
		-e 's|^\(storage: *\).*|\1(this machine'"'"'s)|')
	rc=${PIPESTATUS[0]}
	if [ "$got" = "$(cat)" ] && [ "$rc" = "$want_rc" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name (exit $rc, expected $want_rc)"
		echo "$got"
		cat "$dir/stderr"
		fail=1
	fi
}
# json NAME PYTHON-ASSERTION CMD...: the output parses as JSON and the assertion holds for it (j)
json() {
	local name=$1 check=$2
	shift 2
	# (the exit status is not looked at: status exits 3 when not running, unflag 1)
	if { "$cli" --db "$db" -c "$conf" --json "$@" || true; } | python3 -c "import json, sys; j = json.load(sys.stdin); assert $check, j"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		fail=1
	fi
}

# expect_err NAME STATUS TEXT CMD...: fails with STATUS and a message holding TEXT, prints
# nothing on stdout
expect_err() {
	local name=$1 want_rc=$2 text=$3 got rc
	shift 3
	got=$("$cli" --db "$db" -c "$conf" "$@" 2>"$dir/stderr")
	rc=$?
	if [ "$rc" = "$want_rc" ] && [ -z "$got" ] && grep -qF -- "$text" "$dir/stderr"; then
		echo "ok   $name"
	else
		echo "FAIL $name (exit $rc, expected $want_rc and '$text')"
		echo "$got"
		cat "$dir/stderr"
		fail=1
	fi
}
# csv NAME PYTHON-ASSERTION CMD...: the output parses as CSV (r: the rows as dicts), has the
# rows --json has, and the assertion holds
csv() {
	local name=$1 check=$2
	shift 2
	"$cli" --db "$db" -c "$conf" --json "$@" >"$dir/j" 2>/dev/null
	if "$cli" --db "$db" -c "$conf" --csv "$@" | python3 -c "
import csv, json, sys
r = list(csv.DictReader(sys.stdin))
j = json.load(open('$dir/j'))
assert len(r) == len(j), (len(r), len(j))
assert $check, r"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		fail=1
	fi
}
# width NAME CMD...: every line of the default table is at most 100 display columns (wide
# characters count 2) and, unless the column after DEVICE is right-aligned (summary), that
# column starts at one display column in every line
width() {
	local name=$1
	shift
	if "$cli" --db "$db" -c "$conf" "$@" | python3 -c '
import re, sys, unicodedata
def w(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = sys.stdin.read().splitlines()
assert len(lines) > 1, lines
assert max(w(l) for l in lines) <= 100, max(w(l) for l in lines)
col = lines[0].find("DEVICE")
if col >= 0 and sys.argv[1] != "summary":
    starts = {w(l[:col + re.search(r"(?<=\S) {2,}(?=\S)", l[col:]).end()]) for l in lines}
    assert len(starts) == 1, starts
' "$1"; then
		echo "ok   $name fits 100 columns, aligned"
	else
		echo "FAIL $name: wider than 100 columns or misaligned"
		"$cli" --db "$db" -c "$conf" "$@"
		fail=1
	fi
}

# --- each listing: its default table --------------------------------------------------------
expect "devices" 0 devices <<'EOF'
DEVICE            MAC                IP          ONLINE  LAST SEEN         LEAKS
Nokia 7 Plus      02:10:00:00:00:01  192.0.2.11  yes     2023-11-14 22:23      2
台所のタブレット  02:20:00:00:00:03  192.0.2.13  no      2023-11-14 22:20      0
x�]0;pwned��[2Jy  02:30:00:00:00:04  192.0.2.14  no      2023-11-14 22:17      0
Google, Inc.      3c:28:6d:00:00:02  192.0.2.12  no      2023-11-14 22:16      1
EOF
expect "leaks" 0 leaks <<'EOF'
TIME              DEVICE        DOMAIN           KIND   VALUE                             CONFIDENCE
2023-11-14 22:15  Google, Inc.  ads.example.com  ad_id  38400000-8cf0-11bd-b23e-10b96e4…  validated
2023-11-14 22:13  Nokia 7 Plus  zzhc.vnet.cn     iccid  8986031864022013389               validated
2023-11-14 22:13  Nokia 7 Plus  zzhc.vnet.cn     imei   356938035643809                   known
EOF
expect "domains" 0 domains <<'EOF'
DEVICE            DOMAIN           FLOWS  BYTES OUT  BYTES IN  LEAKS  LAST SEEN         FLAGGED
台所のタブレット  cdn.example.org      1        800      9000      0  2023-11-14 22:18  config
Google, Inc.      ads.example.com      1        700       300      1  2023-11-14 22:15  no
Nokia 7 Plus      203.0.113.99         1       1000      1200      0  2023-11-14 22:15  no
Nokia 7 Plus      www.example.org      1       3000     45000      0  2023-11-14 22:14  config
Nokia 7 Plus      zzhc.vnet.cn         2       1850       810      2  2023-11-14 22:13  user
EOF
expect "flows" 0 flows <<'EOF'
LAST SEEN         DEVICE          PROTO  DESTINATION      DST PORT  APP   BYTES OUT  BYTES IN  LEAKS
2023-11-14 22:18  台所のタブレ…   tcp    cdn.example.org       443  tls         800      9000      0
2023-11-14 22:15  Google, Inc.    tcp    ads.example.com        80  http        700       300      1
2023-11-14 22:15  Nokia 7 Plus    udp    203.0.113.99         3478  -          1000      1200      0
2023-11-14 22:14  Nokia 7 Plus    tcp    www.example.org       443  tls        3000     45000      0
2023-11-14 22:13  Nokia 7 Plus    tcp    zzhc.vnet.cn         9999  http        950       410      1
2023-11-14 22:13  Nokia 7 Plus    tcp    zzhc.vnet.cn         9999  http        900       400      1
EOF
expect "dns" 0 dns <<'EOF'
TIME              DEVICE            QUERY            TYPE   RCODE     ANSWERS        FLAGGED
2023-11-14 22:18  台所のタブレット  nothing.example  HTTPS  NXDOMAIN  -              -
2023-11-14 22:15  Google, Inc.      ads.example.com  A      NOERROR   203.0.113.40   -
2023-11-14 22:13  Nokia 7 Plus      www.example.org  AAAA   NOERROR   2001:db8::20   config
2023-11-14 22:13  Nokia 7 Plus      zzhc.vnet.cn     A      NOERROR   198.51.100.10  user
EOF
expect "flags" 0 flags <<'EOF'
DOMAIN           DEVICE        SOURCE  ADDED             EXPIRES           REASON
vnet.cn          every device  user    2023-11-14 22:25  -                 zzhc
example.org      every device  config  -                 -                 [block] domains in /tmp/…
vnet.cn          every device  config  -                 -                 [block] domains in /tmp/…
tracker.example  Google, Inc.  auto    2023-11-14 22:16  2023-11-21 22:16  ad_id leak
EOF
expect "summary" 0 summary <<'EOF'
DEVICE            LEAKS  KINDS            LAST LEAK         TOP DOMAINS                      BLOCKED
Google, Inc.          1  ad_id 1          2023-11-14 22:15  ads.example.com                        0
Nokia 7 Plus          2  iccid 1, imei 1  2023-11-14 22:13  zzhc.vnet.cn, 203.0.113.99, ww…        1
台所のタブレット      0  -                -                 cdn.example.org                        0
x�]0;pwned��[2Jy      0  -                -                 -                                      0
EOF
expect "stations" 0 stations <<'EOF'
TIME              DEVICE        IFACE  SIGNAL DBM  TX KBIT/S  RX KBIT/S  INACTIVE MS
2023-11-14 22:14  Google, Inc.  wlan1         -71       6500          -         3000
2023-11-14 22:14  Nokia 7 Plus  wlan0         -38     780000      24000           40
EOF
expect "devices --wide" 0 devices --wide <<'EOF'
DEVICE            MAC                LABEL             HOSTNAME          VENDOR        IP          PORT   RANDOMIZED  CONNECTED SINCE      FIRST SEEN           LAST SEEN            LEAKS  DHCP VENDOR
Nokia 7 Plus      02:10:00:00:00:01  Nokia 7 Plus      android-1         -             192.0.2.11  wlan0  yes         2023-11-14 22:13:20  2023-11-14 22:13:20  2023-11-14 22:23:20      2  android-dhcp-13
台所のタブレット  02:20:00:00:00:03  台所のタブレット  tablet            -             192.0.2.13  wlan0  yes         -                    2023-11-14 22:18:20  2023-11-14 22:20:00      0  -
x�]0;pwned��[2Jy  02:30:00:00:00:04  -                 x�]0;pwned��[2Jy  -             192.0.2.14  -      yes         -                    2023-11-14 22:17:30  2023-11-14 22:17:40      0  -
Google, Inc.      3c:28:6d:00:00:02  -                 -                 Google, Inc.  192.0.2.12  -      no          -                    2023-11-14 22:15:00  2023-11-14 22:16:40      1  -
EOF
expect "leaks --wide --utc" 0 leaks --wide --utc <<'EOF'
TIME                 MAC                DEVICE        DOMAIN           DST IP         PORT  PROTO  KIND   VALUE                                 CONFIDENCE  WHERE            ENCODING               SNIPPET
2023-11-14 22:15:50  3c:28:6d:00:00:02  Google, Inc.  ads.example.com  203.0.113.40     80  tcp    ad_id  38400000-8cf0-11bd-b23e-10b96e40000d  validated   http.query:adid  -                      adid=38400000-8cf0-11bd-b23e-10b96e40000d&x="1"
2023-11-14 22:13:40  02:10:00:00:00:01  Nokia 7 Plus  zzhc.vnet.cn     198.51.100.10  9999  tcp    iccid  8986031864022013389                   validated   http.body        base64>json:SIM1ICCID  -
2023-11-14 22:13:30  02:10:00:00:00:01  Nokia 7 Plus  zzhc.vnet.cn     198.51.100.10  9999  tcp    imei   356938035643809                       known       http.body        base64>json:MEID       -
EOF
for c in devices leaks domains flows dns flags summary stations; do
	width "$c" "$c"
done
# local time by default, UTC with --utc (the default tables above are in TZ=UTC)
got=$(TZ=JST-9 "$cli" --db "$db" leaks --limit 1 | tail -n 1)
[[ "$got" == "2023-11-15 07:15 "* ]] && echo "ok   local time (JST-9)" ||
	{ echo "FAIL local time: $got"; fail=1; }
got=$(TZ=JST-9 "$cli" --db "$db" leaks --limit 1 --utc | tail -n 1)
[[ "$got" == "2023-11-14 22:15 "* ]] && echo "ok   --utc" || { echo "FAIL --utc: $got"; fail=1; }
got=$(TZ=JST-9 "$cli" --db "$db" leaks --since "2023-11-15 07:13:35" | wc -l)
[ "$got" = 3 ] && echo "ok   --since DATE is local time" ||
	{ echo "FAIL --since in local time: $got lines"; fail=1; }

# --- filters ----------------------------------------------------------------------------------
expect "leaks --device 02-10-00-00-00-01 --since 2023-11-14 22:13:35" 0 leaks --device 02-10-00-00-00-01 --since "2023-11-14 22:13:35" <<'EOF'
TIME              DEVICE        DOMAIN        KIND   VALUE                CONFIDENCE
2023-11-14 22:13  Nokia 7 Plus  zzhc.vnet.cn  iccid  8986031864022013389  validated
EOF
expect "leaks --since 1700000151" 0 leaks --since 1700000151 <<'EOF'
TIME  DEVICE  DOMAIN  KIND  VALUE  CONFIDENCE
EOF
expect "domains 02:10:00:00:00:01" 0 domains 02:10:00:00:00:01 <<'EOF'
DEVICE        DOMAIN           FLOWS  BYTES OUT  BYTES IN  LEAKS  LAST SEEN         FLAGGED
Nokia 7 Plus  203.0.113.99         1       1000      1200      0  2023-11-14 22:15  no
Nokia 7 Plus  www.example.org      1       3000     45000      0  2023-11-14 22:14  config
Nokia 7 Plus  zzhc.vnet.cn         2       1850       810      2  2023-11-14 22:13  user
EOF
json "--mac by label (any case)" '[l["kind"] for l in j] == ["iccid", "imei"]' leaks --mac "nokia 7 PLUS"
json "--mac by hostname" '[d["mac"] for d in j] == ["02:20:00:00:00:03"]' devices --mac tablet
json "--mac by a label of wide characters" '[d["domain"] for d in j] == ["cdn.example.org"]' flows --mac 台所のタブレット
json "--domain: the domain and its subdomains" '[l["domain"] for l in j] == ["zzhc.vnet.cn", "zzhc.vnet.cn"]' leaks --domain VNET.cn.
json "--domain: not a suffix of a label" 'j == []' leaks --domain net.cn
json "--domain: a bare address" '[f["dst_port"] for f in j] == [3478]' flows --domain 203.0.113.99
json "--domain on dns" '[q["qname"] for q in j] == ["www.example.org"]' dns --domain example.org
json "--domain on devices: talked to it" '[d["mac"] for d in j] == ["02:10:00:00:00:01"]' devices --domain vnet.cn
json "--kind" '[l["value"] for l in j] == ["356938035643809"]' leaks --kind imei
json "--kind on devices" '[d["mac"] for d in j] == ["3c:28:6d:00:00:02"]' devices --kind ad_id
json "--kind on flows: the flows that carried it" '[f["id"] for f in j] == [2]' flows --kind iccid
json "--kind on domains" '[d["domain"] for d in j] == ["zzhc.vnet.cn"]' domains --kind imei
json "--confidence known: at least known" '[l["kind"] for l in j] == ["imei"]' leaks --confidence known
json "--confidence validated: known too" 'len(j) == 3' leaks --confidence validated
json "--since/--until" '[q["qname"] for q in j] == ["www.example.org", "zzhc.vnet.cn"]' dns --since 1700000000 --until 1700000100
json "--until" '[l["kind"] for l in j] == ["imei"]' leaks --until "2023-11-14 22:13:35" --utc
json "--since 2h: nothing from 2023" 'j == []' leaks --since 2h
json "--since 7d on dns" 'j == []' dns --since 7d
json "--limit" '[d["mac"] for d in j] == ["02:10:00:00:00:01", "02:20:00:00:00:03"]' devices --limit 2
json "--limit 0" 'j == []' leaks --limit 0
json "--mac on flags: its own and every device's" 'sorted(f["domain"] for f in j) == ["example.org", "tracker.example", "vnet.cn", "vnet.cn"]' flags --mac 3c:28:6d:00:00:02
json "--kind on summary: devices with it" '[s["mac"] for s in j] == ["02:10:00:00:00:01"] and j[0]["kinds"] == {"iccid": 1}' summary --kind iccid
json "stations --mac: its history, the newest first" '[r["ts"] for r in j] == [1700000060.0, 1700000030.0]' stations --mac 02:10:00:00:00:01
expect_err "--kind not a kind" 64 "not a kind (imei, imeisv" leaks --kind imie
expect_err "--confidence not a level" 64 "give pattern, validated or known" leaks --confidence high
expect_err "--limit not a number" 64 "--limit 'x'" leaks --limit x
expect_err "--since not a time" 64 "--since 'yesterday'" leaks --since yesterday
expect_err "--until not a time" 64 "--until '2023-13-01'" leaks --until 2023-13-01
expect_err "--mac neither a MAC nor a name" 64 "is neither a MAC address" leaks --mac nobody
expect_err "a malformed MAC is refused" 64 "is neither a MAC address" domains 02:10:00
expect_err "a filter a listing does not take" 64 "dns does not take --kind" dns --kind imei
expect_err "stations does not take --domain" 64 "stations does not take --domain" stations --domain x.org
expect_err "one output format" 64 "one of them at most" leaks --json --csv
expect_err "MAC and --mac" 64 "not both" domains 02:10:00:00:00:01 --mac 3c:28:6d:00:00:02

# --- JSON and CSV ------------------------------------------------------------------------------
json "devices --json" 'len(j) == 4 and j[0]["mac"] == "02:10:00:00:00:01" and j[0]["device"] == "Nokia 7 Plus" and j[0]["randomized"] is True and j[0]["connected_since"] == 1700000000.25 and j[0]["port"] == "wlan0" and j[3]["vendor"] == "Google, Inc." and j[3]["label"] is None and j[3]["port"] is None and j[3]["leaks"] == 1' devices
json "devices --json: escapes kept as data" 'j[2]["hostname"] == "x\x1b]0;pwned\x07\x1b[2Jy" and j[1]["label"] == "台所のタブレット"' devices
json "leaks --json" '[l["kind"] for l in j] == ["ad_id", "iccid", "imei"] and j[2]["ts"] == 1700000010.5 and j[0]["encoding"] is None and j[0]["snippet"] == "adid=38400000-8cf0-11bd-b23e-10b96e40000d&x=\"1\"" and j[0]["dst_port"] == 80 and j[0]["flow_id"] == 4' leaks
json "domains --json" 'j[-1] == {"device": "Nokia 7 Plus", "mac": "02:10:00:00:00:01", "domain": "zzhc.vnet.cn", "address_only": False, "flows": 2, "bytes_out": 1850, "bytes_in": 810, "leaks": 2, "first_seen": 1700000010.0, "last_seen": 1700000021.0, "flagged": True, "flag_source": "user"} and [d["flag_source"] for d in j] == ["config", None, None, "config", "user"] and j[2]["address_only"] is True' domains
json "flows --json" 'len(j) == 6 and j[2] == {"id": 5, "first_seen": 1700000100.0, "last_seen": 1700000110.0, "mac": "02:10:00:00:00:01", "device": "Nokia 7 Plus", "proto": "udp", "src_ip": "192.0.2.11", "src_port": 40004, "dst_ip": "203.0.113.99", "dst_port": 3478, "domain": None, "name_source": None, "app": None, "encrypted": False, "pkts_out": 10, "bytes_out": 1000, "pkts_in": 10, "bytes_in": 1200, "ended": True, "leaks": 0}' flows
json "dns --json" '[(q["qname"], q["qtype"], q["type"], q["rcode"], q["status"], q["flagged_by"]) for q in j] == [("nothing.example", 65, "HTTPS", 3, "NXDOMAIN", None), ("ads.example.com", 1, "A", 0, "NOERROR", None), ("www.example.org", 28, "AAAA", 0, "NOERROR", "config"), ("zzhc.vnet.cn", 1, "A", 0, "NOERROR", "user")]' dns
json "flags --json" '[(f["domain"], f["mac"], f["source"]) for f in j] == [("vnet.cn", None, "user"), ("example.org", None, "config"), ("vnet.cn", None, "config"), ("tracker.example", "3c:28:6d:00:00:02", "auto")] and j[1]["reason"].endswith("leakwatch.conf") and j[3]["expires"] == 1700604960.0' flags
json "summary --json" 'j[1]["mac"] == "02:10:00:00:00:01" and j[1]["kinds"] == {"iccid": 1, "imei": 1} and j[1]["top_domains"][0] == {"domain": "zzhc.vnet.cn", "flows": 2} and len(j[1]["top_domains"]) == 3 and j[1]["blocked"] == 1 and j[2]["kinds"] == {} and j[2]["leaks"] == 0' summary
json "stations --json" 'len(j) == 2 and j[1] == {"ts": 1700000060.0, "mac": "02:10:00:00:00:01", "device": "Nokia 7 Plus", "ifname": "wlan0", "signal": -38, "signal_avg": -40, "tx_bitrate": 780000, "rx_bitrate": 24000, "inactive_ms": 40, "connected_s": 60, "rx_bytes": 5000, "tx_bytes": 90000, "tx_retries": 2, "tx_failed": 0} and j[0]["signal_avg"] is None and j[0]["rx_bitrate"] is None and j[0]["tx_bitrate"] == 6500' stations
json "status --json" 'j["running"] is False and j["pid"] is None and j["packets"] == 1234 and j["dropped"] == 2 and j["flows_active"] == 3 and j["leaks"] == 3 and j["database_bytes"] > 0 and j["flagged"] == 4 and j["flags"] == {"user": 1, "config": 2, "auto": 1} and j["config"].endswith("leakwatch.conf") and isinstance(j["built_with"], list) and isinstance(j["left_out"], list)' status
csv "devices --csv" 'r[3]["vendor"] == "Google, Inc." and r[3]["label"] == "" and r[0]["randomized"] == "true" and r[0]["last_seen"] == "2023-11-14T22:23:20+00:00" and r[1]["label"] == "台所のタブレット"' devices
csv "devices --csv: control characters replaced" 'r[2]["hostname"] == "x\ufffd]0;pwned\ufffd\ufffd[2Jy"' devices
csv "leaks --csv: quotes and commas" 'r[0]["snippet"] == "adid=38400000-8cf0-11bd-b23e-10b96e40000d&x=\"1\"" and r[0]["device"] == "Google, Inc." and r[0]["dst_port"] == "80"' leaks
# a name a device chose that a spreadsheet would run as a formula stays text; numbers stay numbers
cp "$db" "$dir/formula.db"
sqlite3 "$dir/formula.db" "UPDATE devices SET hostname = '=HYPERLINK(\"http://x/\",\"y\")' WHERE mac = '02:20:00:00:00:03'; UPDATE devices SET hostname = '@SUM(1)' WHERE mac = '3c:28:6d:00:00:02'"
db_saved=$db db=$dir/formula.db
csv "devices --csv: formulas kept as text" '{d["mac"]: d["hostname"] for d in r}["02:20:00:00:00:03"] == "'"'"'=HYPERLINK(\"http://x/\",\"y\")" and {d["mac"]: d["hostname"] for d in r}["3c:28:6d:00:00:02"] == "'"'"'@SUM(1)"' devices
csv "stations --csv: a negative number is a number" 'r[0]["signal"].startswith("-")' stations
db=$db_saved
csv "domains --csv" '[d["flag_source"] for d in r] == ["config", "", "", "config", "user"]' domains
csv "flows --csv" 'r[2]["domain"] == "" and r[2]["dst_ip"] == "203.0.113.99"' flows
csv "dns --csv" 'r[0]["type"] == "HTTPS" and r[0]["status"] == "NXDOMAIN" and "qtype" not in r[0]' dns
csv "flags --csv" '[f["source"] for f in r] == ["user", "config", "config", "auto"]' flags
csv "summary --csv" 'r[1]["kinds"] == "iccid 1, imei 1" and r[1]["blocked"] == "1"' summary
csv "stations --csv" 'r[0]["mac"] == "3c:28:6d:00:00:02"' stations
csv "csv with --utc and a filter" 'r[0]["ts"] == "2023-11-14T22:13:40+00:00"' leaks --kind iccid --utc
got=$(TZ=JST-9 "$cli" --db "$db" --csv leaks --kind iccid | tail -n 1)
[[ "$got" == 5,2023-11-15T07:13:40+09:00,* ]] || [[ "$got" == *,2023-11-15T07:13:40+09:00,* ]] &&
	echo "ok   csv times in local time with the offset" || { echo "FAIL csv local time: $got"; fail=1; }
# no terminal escape from the database reaches a table
for c in devices "devices --wide" summary "flows --wide" "dns --wide"; do
	# shellcheck disable=SC2086
	if "$cli" --db "$db" -c "$conf" $c | LC_ALL=C grep -q "$(printf '[\033\007]')"; then
		echo "FAIL $c: a terminal escape in the table"; fail=1
	else
		echo "ok   $c: no terminal escape"
	fi
done

# --- flags, flag, unflag -----------------------------------------------------------------------
expect "unflag of a configuration flag names the file" 1 unflag example.org <<'EOF'
example.org is flagged in CONF ([block] domains): remove it there and restart leakwatchd
EOF
json "unflag --json of a configuration flag" 'j == {"domain": "example.org", "mac": None, "unflagged": False, "config": "'"$conf"'"}' unflag example.org
expect "flag (normalized domain and MAC)" 0 flag Example.COM. --device 3C-28-6D-00-00-02 --reason ads <<'EOF'
flagged example.com for 3c:28:6d:00:00:02
EOF
[ "$(sqlite3 "$db" "SELECT domain, mac, reason, source FROM flagged WHERE domain = 'example.com'")" = \
	"example.com|3c:28:6d:00:00:02|ads|user" ] && echo "ok   flag writes the flagged row" ||
	{ echo "FAIL flag writes the flagged row"; fail=1; }
expect "flag again" 0 flag example.com --device 3c:28:6d:00:00:02 <<'EOF'
already flagged: example.com for 3c:28:6d:00:00:02
EOF
expect "flag --mac by label" 0 flag tracker.example --mac "Nokia 7 Plus" <<'EOF'
flagged tracker.example for 02:10:00:00:00:01
EOF
expect "a subdomain of a flagged domain shows as flagged" 0 domains 3c:28:6d:00:00:02 <<'EOF'
DEVICE        DOMAIN           FLOWS  BYTES OUT  BYTES IN  LEAKS  LAST SEEN         FLAGGED
Google, Inc.  ads.example.com      1        700       300      1  2023-11-14 22:15  user
EOF
expect "unflag for every device: not flagged that way" 1 unflag example.com <<'EOF'
was not flagged: example.com for every device
EOF
json "unflag --json" 'j == {"domain": "example.com", "mac": "3c:28:6d:00:00:02", "unflagged": True}' unflag example.com --device 3c:28:6d:00:00:02
expect "unflag of a table flag the configuration also has" 0 unflag vnet.cn <<'EOF'
unflagged vnet.cn for every device
vnet.cn stays flagged by CONF ([block] domains)
EOF
"$cli" --db "$db" unflag tracker.example --mac 02:10:00:00:00:01 >/dev/null
[ "$(sqlite3 "$db" "SELECT count(*) FROM flagged")" = 1 ] && echo "ok   unflag deletes the rows" ||
	{ echo "FAIL unflag deletes the rows"; fail=1; }
sqlite3 "$db" "INSERT INTO flagged(domain, mac, reason, source, added) VALUES ('vnet.cn', NULL, 'zzhc', 'user', 1700000700)"
# the configuration leakwatchd ran with (meta "config") when there is no -c; an unreadable
# one is a note, its flags missing
sqlite3 "$db" "INSERT OR REPLACE INTO meta(key, value) VALUES ('config', '$conf')"
got=$("$cli" --db "$db" --json flags | python3 -c 'import json, sys; print(sum(f["source"] == "config" for f in json.load(sys.stdin)))')
[ "$got" = 2 ] && echo "ok   flags from the configuration named in meta" ||
	{ echo "FAIL flags from meta's configuration: $got"; fail=1; }
sqlite3 "$db" "UPDATE meta SET value = '$dir' WHERE key = 'config'"
got=$("$cli" --db "$db" --json flags 2>"$dir/stderr" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$got" = 2 ] && grep -q "flags from its \[block\] domains not shown" "$dir/stderr" &&
	echo "ok   an unreadable configuration: a note, the table's flags" ||
	{ echo "FAIL unreadable configuration: $got"; cat "$dir/stderr"; fail=1; }
sqlite3 "$db" "DELETE FROM meta WHERE key = 'config'"
expect_err "-c FILE that does not exist" 66 "$dir/nothere.conf: No such file" flags -c "$dir/nothere.conf"

# --- status: running or not (exit 3, as systemctl status) --------------------------------------
# (the optional parts of the build, as leakwatchd -V names them)
built=$("$daemon" -V | sed -n 's/^features: //p')
left_out=$("$daemon" -V | sed -n 's/^left out: //p')
expect "status, not running: exit 3" 3 status <<EOF
leakwatchd:     not running
database:       DB (N MB)
storage:        (this machine's)
journal:        wal, a commit every 500 ms
size cap:       256 MiB (0 rows pruned, 0 of them for the cap)
last captured:  $capture
last counters:  2023-11-14 22:23:20
packets:        1234
dropped:        2
flows active:   3
devices:        4 (1 connected now)
leaks:          3
flagged:        4 (1 user, 2 config, 1 auto)
built with:     $built
left out:       $left_out
EOF
# meta's pid alive but not a leakwatchd (this shell): not running
sqlite3 "$db" "INSERT INTO meta(key, value) VALUES ('pid', '$$')"
"$cli" --db "$db" status >"$dir/out" 2>&1
rc=$?
[ $rc = 3 ] && grep -q "not running" "$dir/out" && echo "ok   status: a live pid that is no leakwatchd" ||
	{ echo "FAIL status with another program's pid (exit $rc)"; cat "$dir/out"; fail=1; }
# meta's pid a live leakwatchd (a program of that name): running, exit 0
cp "$(command -v sleep)" "$dir/leakwatchd"
"$dir/leakwatchd" 60 >/dev/null 2>&1 &
fake=$!
bg+=("$fake")
sqlite3 "$db" "UPDATE meta SET value = '$fake' WHERE key = 'pid'"
"$cli" --db "$db" status >"$dir/out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "running (pid $fake)" "$dir/out" && grep -q "^capturing: " "$dir/out" &&
	echo "ok   status: running (pid), exit 0" || { echo "FAIL status running (exit $rc)"; cat "$dir/out"; fail=1; }
json "status --json running" 'j["running"] is True and j["pid"] == "'"$fake"'"' status
kill "$fake"
wait "$fake" 2>/dev/null
"$cli" --db "$db" status >/dev/null 2>&1
[ $? = 3 ] && echo "ok   status: the leakwatchd gone, exit 3" || { echo "FAIL status after the daemon ended"; fail=1; }
# the database's lock held (as leakwatchd holds it): running
if command -v flock >/dev/null; then
	flock -F -x "$db" sleep 60 >/dev/null 2>&1 & # (-F: the lock holder is this pid)
	holder=$!
	bg+=("$holder")
	sleep 0.5 # (flock takes the lock before sleep starts; no result depends on timing)
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		flock -n -s "$db" true 2>/dev/null || break
		sleep 0.2
	done
	"$cli" --db "$db" status >"$dir/out" 2>&1
	rc=$?
	[ $rc = 0 ] && grep -q "^leakwatchd:     running$" "$dir/out" &&
		echo "ok   status: the database locked: running" ||
		{ echo "FAIL status with the lock held (exit $rc)"; cat "$dir/out"; fail=1; }
	kill "$holder"
	wait "$holder" 2>/dev/null
fi
sqlite3 "$db" "DELETE FROM meta WHERE key = 'pid'"

# --- older schemas, read as they are ----------------------------------------------------------
# a schema-2 database (before devices.port), as an older leakwatchd still running keeps it:
# read as it is, read-only, every port unknown
sqlite3 "$db" ".backup '$dir/v2.db'"
sqlite3 "$dir/v2.db" "ALTER TABLE devices DROP COLUMN port; PRAGMA user_version = 2"
got=$("$cli" --db "$dir/v2.db" --json devices 2>&1 | python3 -c 'import json, sys; print([d["port"] for d in json.load(sys.stdin)])')
[ "$got" = "[None, None, None, None]" ] && [ "$(sqlite3 "$dir/v2.db" "PRAGMA user_version")" = 2 ] &&
	echo "ok   devices of a schema-2 database: port unknown, the file left as it is" ||
	{ echo "FAIL devices of a schema-2 database: $got"; fail=1; }
# a database from before schema 4 has no stations (a note on stderr, exit 0)
sqlite3 "$db" ".backup '$dir/v3.db'"
sqlite3 "$dir/v3.db" "DROP VIEW stations_readable; DROP TABLE stations; PRAGMA user_version = 3"
got=$("$cli" --db "$dir/v3.db" --json stations 2>"$dir/stderr")
[ "$got" = "[]" ] && grep -q "no station data yet" "$dir/stderr" &&
	[ "$(sqlite3 "$dir/v3.db" "PRAGMA user_version")" = 3 ] &&
	echo "ok   stations of a schema-3 database: none, said on stderr, the file left as it is" ||
	{ echo "FAIL stations of a schema-3 database: $got"; cat "$dir/stderr"; fail=1; }

# --- refusals: nothing written, the real cause, its exit status -------------------------------
for bad in "bad domain" "a..b" "x!.com" "$(printf 'x%.0s' $(seq 70)).com" "nodot" ""; do
	expect_err "flag refuses '${bad:0:20}'" 64 "is not a domain name" flag "$bad"
done
expect_err "unknown command" 64 "unknown command 'frobnicate'" frobnicate
expect_err "extra argument" 64 "usage: leakwatch devices" devices extra
expect_err "--reason outside flag" 64 "leaks does not take --reason" leaks --reason x
[ "$(sqlite3 "$db" "SELECT count(*) FROM flagged")" = 2 ] && echo "ok   refusals wrote nothing" ||
	{ echo "FAIL refusals wrote nothing"; fail=1; }
# db_err NAME STATUS TEXT PATH: leakwatch --db PATH devices fails so
db_err() {
	local got rc
	got=$("$cli" --db "$4" devices 2>&1)
	rc=$?
	[ "$rc" = "$2" ] && [[ "$got" == *"$3"* ]] && echo "ok   $1 (exit $rc)" ||
		{ echo "FAIL $1 (exit $rc, expected $2 and '$3'): $got"; fail=1; }
}
db_err "a missing database" 66 "No such file" "$dir/none.db"
[ ! -e "$dir/none.db" ] && echo "ok   a missing database is not created" || { echo "FAIL created"; fail=1; }
db_err "a directory as --db" 66 "is a directory: --db takes the database file" "$dir"
echo "not sqlite, not at all, but longer than an SQLite header of one hundred bytes ........" >"$dir/other.db"
db_err "a file that is not SQLite" 65 "not an SQLite database" "$dir/other.db"
: >"$dir/empty.db"
db_err "an empty file" 65 "an empty file" "$dir/empty.db"
sqlite3 "$dir/foreign.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1)"
db_err "an SQLite database of no application" 65 "an SQLite database, but not a leakwatch database" "$dir/foreign.db"
sqlite3 "$dir/app.db" "PRAGMA application_id = 1234; CREATE TABLE t(x)"
db_err "another application's database" 65 "another application (application_id 0x4d2)" "$dir/app.db"
sqlite3 "$db" ".backup '$dir/v99.db'"
sqlite3 "$dir/v99.db" "PRAGMA user_version = 99"
db_err "a newer schema" 78 "schema version 99, newer than this leakwatch understands" "$dir/v99.db"
sqlite3 "$dir/v99.db" "ALTER TABLE devices RENAME TO d2"
db_err "a newer schema, before SQLite's own errors" 78 "newer than this leakwatch" "$dir/v99.db"

# permissions, as a user without them (nobody)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	pub=$dir/pub
	mkdir -p "$pub/closed"
	chmod 0711 "$dir"
	chmod 0755 "$pub"
	cp "$cli" "$pub/leakwatch"
	chmod 0755 "$pub/leakwatch"
	sqlite3 "$db" ".backup '$pub/lw.db'"
	sqlite3 "$pub/lw.db" "PRAGMA journal_mode = DELETE" >/dev/null
	cp "$pub/lw.db" "$pub/closed/lw.db"
	chmod 0700 "$pub/closed"
	as_nobody() {
		local name=$1 want_rc=$2 text=$3 got rc
		shift 3
		got=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$pub/leakwatch" "$@" 2>&1)
		rc=$?
		[ "$rc" = "$want_rc" ] && [[ "$got" == *"$text"* ]] && echo "ok   $name (exit $rc)" ||
			{ echo "FAIL $name (exit $rc, expected $want_rc and '$text'): $got"; fail=1; }
	}
	chmod 0600 "$pub/lw.db"
	as_nobody "a database not readable for the user" 77 "permission denied (owner root:root, mode 0600)" --db "$pub/lw.db" devices
	as_nobody "a database in a directory closed to the user" 77 "permission denied: a directory on its path is closed" --db "$pub/closed/lw.db" devices
	chmod 0644 "$pub/lw.db"
	as_nobody "a readable database: read" 0 "Nokia 7 Plus" --db "$pub/lw.db" devices
	as_nobody "flag on a database the user cannot write" 77 "permission denied: flag and unflag write the database" --db "$pub/lw.db" flag x.example
	sqlite3 "$pub/lw.db" "PRAGMA journal_mode = WAL" >/dev/null
	rm -f "$pub/lw.db-shm" "$pub/lw.db-wal"
	as_nobody "a WAL database in a directory the user cannot write" 77 "WAL mode and SQLite must create $pub/lw.db-shm" --db "$pub/lw.db" devices
	chmod 0700 "$dir"
else
	echo "skip permission tests: need root, setpriv and the user nobody"
fi

# --- help, man page, completion ----------------------------------------------------------------
man=$here/../../man/leakwatch.1
comp=$here/../../completions/leakwatch
for c in devices leaks domains flows dns flags summary stations flag unflag status backup report evidence; do
	"$cli" --help | grep -q "^  $c" || { echo "FAIL --help lacks $c"; fail=1; }
	grep -qE "^\.B[IR]? $c( |\$)" "$man" || { echo "FAIL the man page lacks $c"; fail=1; }
	grep -qw "$c" "$comp" || { echo "FAIL the completion lacks $c"; fail=1; }
done
for opt in --mac --domain --kind --confidence --since --until --limit --json --csv --wide --utc --config --output; do
	grep -q -- "${opt//-/\\\\-}" "$man" || { echo "FAIL the man page lacks $opt"; fail=1; }
done
echo "ok   --help, the man page and the completion name every command"
got=$(bash -c 'source "$1"; COMP_WORDS=(leakwatch su); COMP_CWORD=1; _leakwatch; echo "${COMPREPLY[*]}"' _ "$comp")
[ "$got" = summary ] && echo "ok   completion of a command" || { echo "FAIL completion: '$got'"; fail=1; }
got=$(bash -c 'source "$1"; COMP_WORDS=(leakwatch leaks --kind im); COMP_CWORD=3; _leakwatch; echo "${COMPREPLY[*]}"' _ "$comp")
[ "$got" = "imei imeisv imsi" ] && echo "ok   completion of --kind" || { echo "FAIL completion of --kind: '$got'"; fail=1; }
got=$(cd "$dir" && touch report-a.html && bash -c 'source "$1"; COMP_WORDS=(leakwatch report -o report-); COMP_CWORD=3; _leakwatch; echo "${COMPREPLY[*]}"' _ "$comp")
[ "$got" = report-a.html ] && echo "ok   completion of report -o" || { echo "FAIL completion of report -o: '$got'"; fail=1; }
exit $fail
