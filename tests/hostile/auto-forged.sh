#!/usr/bin/env bash
# Hostile lab test: [block] auto_kinds = imei,iccid, and one request from phone1 with a
# made-up IMEI and "Host: www.bank.example".  Measured on leakwatch before the fix: the bank
# flagged for every device, for ever, in 0.12 s, and still after a restart.  Should be: auto
# flags only from known/validated leaks, for the leaking device only (auto_scope = device),
# at most auto_per_hour (5) per device, expiring (auto_expire: 7 days); automatic rows past
# their own cap (1024) make room oldest first, never a person's row.
#   auto-forged.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need curl

hostile_phones
lab_host www.bank.example 198.51.100.50
servers=http:198.51.100.50:80
for i in $(seq 7); do
	lab_host "w$i.bank.example" "198.51.100.$((70 + i))"
	servers="$servers http:198.51.100.$((70 + i)):80"
done
lab_dns_start || exit 1
# shellcheck disable=SC2086
hostile_servers tcp 80 $servers
post() { # post NS URL IMEI
	block_http "$1" "$2" -H 'Content-Type: application/json' \
		--data-binary "{\"imei\":\"$3\",\"model\":\"TA-1062\"}"
}
leak_rows() { sql "SELECT count(*) FROM leaks WHERE kind = 'imei'"; }
wait_leaks() { # wait_leaks N: until N imei leak rows (5 s at most)
	for _ in $(seq 50); do
		[ "$(leak_rows)" -ge "$1" ] && return
		sleep 0.1
	done
}

block_conf "$LAB_DIR/lw.conf" auto_kinds=imei,iccid
block_start "$LAB_DIR/lw.conf"

# 1. a made-up IMEI that fails the Luhn check: at most a "pattern" leak, never a flag
post "$P1" http://www.bank.example/ 356938035643808 >/dev/null
sleep 1.5
forged=$(sql "SELECT count(*) FROM flagged")
block_expect "a made-up IMEI (Luhn fails) flags nothing" "$forged" 0
conf1=$(sql "SELECT ifnull(group_concat(confidence), 'no row') FROM leaks WHERE kind = 'imei'")
echo "     its leak rows' confidence: $conf1"

# 2. a made-up IMEI that passes it: validated, so a flag, but for phone1 alone, expiring
n=$(leak_rows)
post "$P1" http://www.bank.example/ 356938035643809 >/dev/null
wait_leaks $((n + 1))
if [ "$(leak_rows)" -le "$n" ]; then
	block_stop
	[ "${BLOCK_FAIL:-0}" -ne 0 ] && { echo "FAIL the validated leak got nowhere"; exit 1; }
	echo "skip: no imei leak row was written (the identifier engine is not wired in)"
	exit 77
fi
sleep 1
row=$(sql "SELECT domain, ifnull(mac, 'every device'), source,
	expires - added BETWEEN 604790 AND 604810 FROM flagged")
block_expect "a validated IMEI: the bank flagged for phone1 only, for 7 days" "$row" \
	"www.bank.example|02:10:00:00:00:01|auto|1"
victim=$(block_http "$P2" http://www.bank.example/)
block_expect "the victim still reaches the bank" "$victim" 200
block_expect "the leaking device does not" "$(block_http "$P1" http://www.bank.example/)" 000

# 3. the rate limit: 7 more validated leaks to 7 other names, 5 flags an hour per device
n=$(leak_rows)
for i in $(seq 7); do post "$P1" "http://w$i.bank.example/" 356938035643809 >/dev/null; done
wait_leaks $((n + 7))
sleep 1
nflags=$(sql "SELECT count(*) FROM flagged WHERE domain GLOB 'w[0-9].bank.example'")
block_expect "7 more leaks in a minute: 4 more flags (5 an hour in all)" "$nflags" 4
policy=$(block_meta block.policy)
case $policy in
*"auto_refused=0"*) counted=no ;;
*auto_refused=*) counted=yes ;;
*) counted="no meta: $policy" ;;
esac
block_expect "the refused auto flags are counted (meta block.policy)" "$counted" yes

# 4. a restart: still phone1's only
block_stop
block_start "$LAB_DIR/lw.conf"
sleep 1
after=$(block_http "$P2" http://www.bank.example/)
block_expect "after a restart the victim still reaches the bank" "$after" 200
# 5. the automatic flags' own cap: with 1030 automatic rows already there, the next one
# deletes the oldest so that 1024 remain (user flags are never deleted)
sql "INSERT INTO flagged(domain, source) VALUES ('user.example', 'user')"
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1030)
	INSERT INTO flagged(domain, mac, source) SELECT 'a' || i || '.auto.example',
	'02:10:00:00:00:09', 'auto' FROM n"
sleep 1
n=$(leak_rows)
post "$P2" http://w7.bank.example/ 356938035643809 >/dev/null
wait_leaks $((n + 1))
sleep 1
block_expect "a new automatic flag past the cap: 1024 automatic rows remain" \
	"$(sql "SELECT count(*) FROM flagged WHERE source = 'auto'")" 1024
block_expect "the newest is kept, the oldest went, the user row stays" \
	"$(sql "SELECT (SELECT count(*) FROM flagged WHERE domain = 'w7.bank.example' AND
		mac = '3c:28:6d:00:00:02'), (SELECT count(*) FROM flagged WHERE
		domain = 'www.bank.example'), (SELECT count(*) FROM flagged WHERE
		domain = 'user.example')")" "1|0|1"
echo "figures: made-up IMEI (Luhn fails, $conf1): $forged flags; validated: $row;" \
	"victim reaches bank: $victim, after restart: $after; 8 validated leaks in a minute ->" \
	"$((nflags + 1)) flags; $policy"
block_stop
exit $BLOCK_FAIL
