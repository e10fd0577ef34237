#!/usr/bin/env bash
# The leakwatch command against a known database: exact text for each command, valid JSON
# with --json, flag/unflag writing the flagged table, and its refusals.
#   cli.sh LEAKWATCHD LEAKWATCH CAPTURE
# (leakwatchd -r CAPTURE creates a database with the real schema; known.sql then replaces
# every row with known ones.)
set -uo pipefail
daemon=$1 cli=$2 capture=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v sqlite3 >/dev/null || { echo "needs sqlite3"; exit 77; }
command -v python3 >/dev/null || { echo "needs python3"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db=$dir/leakwatch.db
"$daemon" -q -r "$capture" --db "$db" || { echo "FAIL leakwatchd -r"; exit 1; }
sqlite3 "$db" <"$here/known.sql" || { echo "FAIL loading known.sql"; exit 1; }

fail=0
# expect NAME EXPECTED-STATUS CMD...: stdout (the database path and size masked) must equal
# the here-document on stdin
expect() {
	local name=$1 want_rc=$2 got rc
	shift 2
	got=$("$cli" --db "$db" "$@" 2>"$dir/stderr" | sed -e "s|$db|DB|g" \
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
	if "$cli" --db "$db" --json "$@" | python3 -c "import json, sys; j = json.load(sys.stdin); assert $check, j"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		fail=1
	fi
}

expect "devices" 0 devices <<'EOF'
MAC                LABEL         HOSTNAME   VENDOR        IP          PORT   RANDOMIZED  CONNECTED SINCE      FIRST SEEN           LAST SEEN            LEAKS  DHCP VENDOR
02:10:00:00:00:01  Nokia 7 Plus  android-1  -             192.0.2.11  wlan0  yes         2023-11-14 22:13:20  2023-11-14 22:13:20  2023-11-14 22:23:20      2  android-dhcp-13
3c:28:6d:00:00:02  -             -          Google, Inc.  192.0.2.12  -      no          -                    2023-11-14 22:15:00  2023-11-14 22:16:40      1  -
EOF
expect "leaks" 0 leaks <<'EOF'
TIME                 MAC                DEVICE        DOMAIN           KIND   VALUE                                 CONFIDENCE  WHERE            ENCODING
2023-11-14 22:13:30  02:10:00:00:00:01  Nokia 7 Plus  zzhc.vnet.cn     imei   356938035643809                       known       http.body        base64>json:MEID
2023-11-14 22:13:40  02:10:00:00:00:01  Nokia 7 Plus  zzhc.vnet.cn     iccid  8986031864022013389                   validated   http.body        base64>json:SIM1ICCID
2023-11-14 22:15:50  3c:28:6d:00:00:02  -             ads.example.com  ad_id  38400000-8cf0-11bd-b23e-10b96e40000d  validated   http.query:adid  -
EOF
expect "leaks --device --since" 0 leaks --device 02-10-00-00-00-01 --since "2023-11-14 22:13:35" <<'EOF'
TIME                 MAC                DEVICE        DOMAIN        KIND   VALUE                CONFIDENCE  WHERE      ENCODING
2023-11-14 22:13:40  02:10:00:00:00:01  Nokia 7 Plus  zzhc.vnet.cn  iccid  8986031864022013389  validated   http.body  base64>json:SIM1ICCID
EOF
expect "leaks --since Unix seconds, nothing left" 0 leaks --since 1700000151 <<'EOF'
TIME  MAC  DEVICE  DOMAIN  KIND  VALUE  CONFIDENCE  WHERE  ENCODING
EOF
expect "domains" 0 domains 02:10:00:00:00:01 <<'EOF'
DOMAIN           FLOWS  BYTES OUT  BYTES IN  LEAKS  FIRST SEEN           LAST SEEN            FLAGGED
zzhc.vnet.cn         2       1850       810      2  2023-11-14 22:13:30  2023-11-14 22:13:41  yes
www.example.org      1       3000     45000      0  2023-11-14 22:13:50  2023-11-14 22:14:50  no
EOF
expect "status" 0 status <<EOF
leakwatchd:     not running
database:       DB (N MB)
storage:        (this machine's)
journal:        wal, a commit every 500 ms
size cap:       256 MiB (0 rows pruned, 0 of them for the cap)
capturing:      $capture
last counters:  2023-11-14 22:23:20
packets:        1234
dropped:        2
flows active:   3
devices:        2 (1 connected now)
leaks:          3
flagged:        1
EOF
json "devices --json" 'len(j) == 2 and j[0]["mac"] == "02:10:00:00:00:01" and j[0]["randomized"] is True and j[0]["connected_since"] == 1700000000.25 and j[0]["port"] == "wlan0" and j[1]["vendor"] == "Google, Inc." and j[1]["label"] is None and j[1]["port"] is None and j[1]["leaks"] == 1' devices
json "leaks --json" '[l["kind"] for l in j] == ["imei", "iccid", "ad_id"] and j[0]["ts"] == 1700000010.5 and j[2]["encoding"] is None' leaks
json "domains --json" 'j[0] == {"domain": "zzhc.vnet.cn", "flows": 2, "bytes_out": 1850, "bytes_in": 810, "leaks": 2, "first_seen": 1700000010.0, "last_seen": 1700000021.0, "flagged": True}' domains 02:10:00:00:00:01
json "status --json" 'j["running"] is False and j["packets"] == 1234 and j["dropped"] == 2 and j["flows_active"] == 3 and j["leaks"] == 3 and j["database_bytes"] > 0' status

expect "flag (normalized domain and MAC)" 0 flag Example.COM. --device 3C-28-6D-00-00-02 --reason ads <<'EOF'
flagged example.com for 3c:28:6d:00:00:02
EOF
[ "$(sqlite3 "$db" "SELECT domain, mac, reason, source FROM flagged WHERE domain = 'example.com'")" = \
	"example.com|3c:28:6d:00:00:02|ads|user" ] && echo "ok   flag writes the flagged row" ||
	{ echo "FAIL flag writes the flagged row"; fail=1; }
expect "flag again" 0 flag example.com --device 3c:28:6d:00:00:02 <<'EOF'
already flagged: example.com for 3c:28:6d:00:00:02
EOF
expect "a subdomain of a flagged domain shows as flagged" 0 domains 3c:28:6d:00:00:02 <<'EOF'
DOMAIN           FLOWS  BYTES OUT  BYTES IN  LEAKS  FIRST SEEN           LAST SEEN            FLAGGED
ads.example.com      1        700       300      1  2023-11-14 22:15:50  2023-11-14 22:15:51  yes
EOF
expect "unflag for every device: not flagged that way" 1 unflag example.com <<'EOF'
was not flagged: example.com for every device
EOF
json "unflag --json" 'j == {"domain": "example.com", "mac": "3c:28:6d:00:00:02", "unflagged": True}' unflag example.com --device 3c:28:6d:00:00:02
[ "$(sqlite3 "$db" "SELECT count(*) FROM flagged")" = 1 ] && echo "ok   unflag deletes the row" ||
	{ echo "FAIL unflag deletes the row"; fail=1; }

# a schema-2 database (before devices.port), as an older leakwatchd still running keeps it:
# read as it is, read-only, every port unknown
sqlite3 "$db" ".backup '$dir/v2.db'"
sqlite3 "$dir/v2.db" "ALTER TABLE devices DROP COLUMN port; PRAGMA user_version = 2"
got=$("$cli" --db "$dir/v2.db" devices 2>&1)
want='MAC                LABEL         HOSTNAME   VENDOR        IP          PORT  RANDOMIZED  CONNECTED SINCE      FIRST SEEN           LAST SEEN            LEAKS  DHCP VENDOR
02:10:00:00:00:01  Nokia 7 Plus  android-1  -             192.0.2.11  -     yes         2023-11-14 22:13:20  2023-11-14 22:13:20  2023-11-14 22:23:20      2  android-dhcp-13
3c:28:6d:00:00:02  -             -          Google, Inc.  192.0.2.12  -     no          -                    2023-11-14 22:15:00  2023-11-14 22:16:40      1  -'
[ "$got" = "$want" ] && [ "$(sqlite3 "$dir/v2.db" "PRAGMA user_version")" = 2 ] &&
	echo "ok   devices of a schema-2 database: port unknown, the file left as it is" ||
	{ echo "FAIL devices of a schema-2 database:"; echo "$got"; fail=1; }

# stations: the latest row of each station, the history of one, --since, --json; a database
# from before schema 4 has none (a note on stderr, exit 0)
expect "stations" 0 stations <<'EOT'
TIME                 MAC                DEVICE        IFACE  SIGNAL DBM  AVG DBM  TX KBIT/S  RX KBIT/S  INACTIVE MS  CONNECTED S  RX BYTES  TX BYTES  TX RETRIES  TX FAILED
2023-11-14 22:14:20  02:10:00:00:00:01  Nokia 7 Plus  wlan0         -38      -40     780000      24000           40           60      5000     90000           2          0
2023-11-14 22:14:20  3c:28:6d:00:00:02  -             wlan1         -71        -       6500          -         3000            5         -         -           -          -
EOT
expect "stations MAC: its history" 0 stations 02-10-00-00-00-01 <<'EOT'
TIME                 MAC                DEVICE        IFACE  SIGNAL DBM  AVG DBM  TX KBIT/S  RX KBIT/S  INACTIVE MS  CONNECTED S  RX BYTES  TX BYTES  TX RETRIES  TX FAILED
2023-11-14 22:13:50  02:10:00:00:00:01  Nokia 7 Plus  wlan0         -40      -41     866700       6500          120           30      1000      2000           0          0
2023-11-14 22:14:20  02:10:00:00:00:01  Nokia 7 Plus  wlan0         -38      -40     780000      24000           40           60      5000     90000           2          0
EOT
expect "stations MAC --since" 0 stations 02:10:00:00:00:01 --since 1700000031 <<'EOT'
TIME                 MAC                DEVICE        IFACE  SIGNAL DBM  AVG DBM  TX KBIT/S  RX KBIT/S  INACTIVE MS  CONNECTED S  RX BYTES  TX BYTES  TX RETRIES  TX FAILED
2023-11-14 22:14:20  02:10:00:00:00:01  Nokia 7 Plus  wlan0         -38      -40     780000      24000           40           60      5000     90000           2          0
EOT
json "stations --json" 'len(j) == 2 and j[0] == {"ts": 1700000060.0, "mac": "02:10:00:00:00:01", "device": "Nokia 7 Plus", "ifname": "wlan0", "signal": -38, "signal_avg": -40, "tx_bitrate": 780000, "rx_bitrate": 24000, "inactive_ms": 40, "connected_s": 60, "rx_bytes": 5000, "tx_bytes": 90000, "tx_retries": 2, "tx_failed": 0} and j[1]["signal_avg"] is None and j[1]["rx_bitrate"] is None and j[1]["tx_bitrate"] == 6500' stations
json "stations MAC --json" '[r["ts"] for r in j] == [1700000030.0, 1700000060.0]' stations 02:10:00:00:00:01
expect "stations of a MAC never seen" 0 stations 02:99:00:00:00:01 <<'EOT'
TIME  MAC  DEVICE  IFACE  SIGNAL DBM  AVG DBM  TX KBIT/S  RX KBIT/S  INACTIVE MS  CONNECTED S  RX BYTES  TX BYTES  TX RETRIES  TX FAILED
EOT
expect "stations refuses a malformed MAC" 64 stations 02:10 </dev/null
expect "stations takes one MAC" 64 stations 02:10:00:00:00:01 3c:28:6d:00:00:02 </dev/null
sqlite3 "$db" ".backup '$dir/v3.db'"
sqlite3 "$dir/v3.db" "DROP VIEW stations_readable; DROP TABLE stations; PRAGMA user_version = 3"
got=$("$cli" --db "$dir/v3.db" --json stations 2>"$dir/stderr")
[ "$got" = "[]" ] && grep -q "no station data yet" "$dir/stderr" &&
	[ "$(sqlite3 "$dir/v3.db" "PRAGMA user_version")" = 3 ] &&
	echo "ok   stations of a schema-3 database: none, said on stderr, the file left as it is" ||
	{ echo "FAIL stations of a schema-3 database: $got"; cat "$dir/stderr"; fail=1; }

# refusals: nothing written, a clear message, exit 64 (usage) / 66 (no database)
for bad in "bad domain" "a..b" "x!.com" "$(printf 'x%.0s' $(seq 70)).com" "nodot" ""; do
	expect "flag refuses '${bad:0:20}'" 64 flag "$bad" </dev/null
	grep -q "is not a domain name" "$dir/stderr" || { echo "FAIL message for '$bad'"; fail=1; }
done
expect "a malformed MAC is refused" 64 domains 02:10:00 </dev/null
expect "a malformed --since is refused" 64 leaks --since yesterday </dev/null
expect "unknown command" 64 frobnicate </dev/null
expect "extra argument" 64 devices extra </dev/null
[ "$(sqlite3 "$db" "SELECT count(*) FROM flagged")" = 1 ] && echo "ok   refusals wrote nothing" ||
	{ echo "FAIL refusals wrote nothing"; fail=1; }
got=$("$cli" --db "$dir/none.db" devices 2>&1)
[ $? = 66 ] && [[ "$got" == *"No such file"* ]] && [ ! -e "$dir/none.db" ] &&
	echo "ok   a missing database is an error and is not created" ||
	{ echo "FAIL missing database: $got"; fail=1; }
echo "not sqlite" >"$dir/other.db"
"$cli" --db "$dir/other.db" devices >/dev/null 2>&1
[ $? = 65 ] && echo "ok   a file that is not a leakwatch database is refused" ||
	{ echo "FAIL foreign file"; fail=1; }
# reading commands do not write: the database is opened read-only
chmod 0400 "$db"
if [ "$(id -u)" -ne 0 ]; then
	"$cli" --db "$db" devices >/dev/null && echo "ok   reads a read-only database" ||
		{ echo "FAIL reads a read-only database"; fail=1; }
fi
exit $fail
