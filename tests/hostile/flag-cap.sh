#!/usr/bin/env bash
# Hostile lab test: auto flags fill the flag table, then the owner flags a tracker.
# 4 100 auto rows (what phone1 could make the auto policy write before auto flags had their
# own cap; written here straight into `flagged`, since the per-device rate limit now stops a
# device long before) fill the old 4 096-flag cap; then `leakwatch flag tracker.example`.
# Measured on leakwatch before the fix: the CLI printed "flagged", phone2 still reached the
# tracker.  Should be: user flags always take effect (auto flags have their own smaller cap,
# the oldest go first); a table already holding 4 096 user flags makes the CLI fail with a
# clear message and a non-zero exit.
#   flag-cap.sh LEAKWATCHD LEAKWATCH-CLI
set -uo pipefail
daemon=$(realpath "$1")
cli=$(realpath "$2")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need curl

lab_up
lab_phone phone2 3c:28:6d:00:00:02 192.0.2.12
lab_host tracker.example 198.51.100.60
lab_dns_start || exit 1
hostile_servers tcp 80 http:198.51.100.60:80
P2=$LAB_ID-phone2
db=$LAB_DIR/block.db
block_conf "$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"
block_expect "before: phone2 reaches the tracker" \
	"$(block_http "$P2" http://tracker.example/)" 200

sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4100)
	INSERT INTO flagged(domain, mac, reason, source)
	SELECT 'a' || i || '.auto.example', '02:10:00:00:00:01', 'imei leaked by 02:10:00:00:00:01',
	'auto' FROM n"
sleep 1
out=$(lab_ns "$LAB_AP" "$cli" --db "$db" flag tracker.example 2>&1)
rc=$?
block_expect "leakwatch flag with 4 100 auto rows" "$rc: $out" \
	"0: flagged tracker.example for every device"
reached=000
for _ in $(seq 20); do # the daemon reads the table twice a second
	reached=$(block_http "$P2" http://tracker.example/)
	[ "$reached" = 000 ] && break
	sleep 0.25
done
block_expect "the user flag took effect: phone2 no longer reaches the tracker" "$reached" 000
block_expect "auto rows applied up to their own cap (logged)" \
	"$(grep -c 'more than 1024 auto rows; the oldest are ignored' "$LAB_DIR/leakwatchd.log")" 1

# a table full of user flags: the CLI says so and fails
sql "DELETE FROM flagged WHERE source = 'auto'"
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4095)
	INSERT INTO flagged(domain, source) SELECT 'u' || i || '.user.example', 'user' FROM n"
out=$(lab_ns "$LAB_AP" "$cli" --db "$db" flag one-more.example 2>&1)
rc=$?
block_expect "a full table: leakwatch flag fails (exit 73)" "$rc" 73
case $out in
*"not flagged: the flagged table holds 4096 flags"*) msg=clear ;;
*) msg="unclear: $out" ;;
esac
block_expect "a full table: the message says why" "$msg" clear
block_expect "a full table: no row written" \
	"$(sql "SELECT count(*) FROM flagged WHERE domain = 'one-more.example'")" 0
echo "figures: flag with 4100 auto rows: exit 0, phone2 to tracker: $reached (000 = blocked);" \
	"with 4096 user rows: exit $rc"
block_stop
exit $BLOCK_FAIL
