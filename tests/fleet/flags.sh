#!/usr/bin/env bash
# Flags from the centre to every access point (real nats-server and PostgreSQL processes
# started here, on 127.0.0.1):
#  - a central flag (a row of PostgreSQL's flagged with ap '*') reaches two access points'
#    databases as source 'fleet' rows, through leakwatch-collect (the KV bucket) and each
#    one's leakwatch-push --follow; a central row that is not a flag is refused and said;
#  - a domain a person flagged on one access point keeps its local row (and stays when the
#    central flag goes); a changed central reason follows; `leakwatch flag` on a domain with
#    a fleet row makes it the person's, and it stays when the central flag goes;
#  - removing the central row removes the fleet rows; a removal done while ap2's push is
#    stopped is applied when it starts again, and a fleet row the bucket has no key for goes;
#  - bad values put straight into the bucket (a raw NATS publish on its subject) are refused
#    with a log line and change nothing;
#  - what the watcher never delivers (here: the fleet rows changed by hand behind it) is put
#    right by the periodic resync (--flags-resync 2), which reads the whole bucket again.
#   flags.sh LEAKWATCHD LEAKWATCH-PUSH LEAKWATCH-COLLECT CAPTURE LEAKWATCH
set -uo pipefail
capture=$(realpath "$4")
cli=$(realpath "$5")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=fleet-lib.sh
. "$here/fleet-lib.sh" # $daemon, $push, $collect (from $1..$3), $cases
fleet_need nats-server psql python3 sqlite3 runuser

fleet_up "$collect"
ok "the stream, the flags bucket and the central tables are there"

declare -A PUSH_PID
for ap in ap1 ap2; do
	"$daemon" -q -r "$capture" --db "$DIR/$ap.db" >"$DIR/$ap.log" 2>&1 || {
		bad "leakwatchd -r $capture failed"
		cat "$DIR/$ap.log"
		exit 1
	}
	printf '[fleet]\nenabled = yes\nap_id = %s\nservers = %s\ninterval = 1\n' "$ap" \
		"$SERVERS" >"$DIR/$ap.conf"
done
# a person's flag on ap2, on a domain the centre flags too
sqlite3 "$DIR/ap2.db" "INSERT INTO flagged(domain, reason, source) VALUES('shared.example', 'mine', 'user')"

start_push() { # AP [OPTION...]
	local ap=$1
	shift
	"$push" --config "$DIR/$ap.conf" --db "$DIR/$ap.db" --follow "$@" >>"$DIR/push-$ap.log" 2>&1 &
	PUSH_PID[$ap]=$!
	PIDS+=("$!")
}
stop_push() { # AP
	fleet_stop "${PUSH_PID[$1]}"
	fleet_forget "${PUSH_PID[$1]}"
}
# the flagged rows of an access point: domain|mac|reason|source|expires, sorted
rows() { # AP
	sqlite3 "$DIR/$1.db" "SELECT domain, ifnull(mac, ''), ifnull(reason, ''), source, ifnull(expires, '') FROM flagged ORDER BY 1, 2"
}
# waits (at most 60 s: a hang guard, not a timing check) until AP's rows are WANT
wait_rows() { # AP WANT WHAT
	local _
	for _ in $(seq 300); do
		[ "$(rows "$1")" = "$2" ] && {
			ok "$1: $3"
			return 0
		}
		sleep 0.2
	done
	bad "$1: $3: rows are"
	rows "$1"
	echo "expected:"
	echo "$2"
	echo "push log:"
	tail -n 5 "$DIR/push-$1.log"
	return 1
}
wait_log() { # FILE PATTERN WHAT
	local _
	for _ in $(seq 300); do
		grep -q -- "$2" "$1" && {
			ok "$3: $(grep -- "$2" "$1" | head -1)"
			return 0
		}
		sleep 0.2
	done
	bad "$3: no '$2' in $1:"
	tail -n 5 "$1"
	return 1
}

"$collect" --servers "$SERVERS" --pg "$PG" --flags-interval 1 >"$DIR/collect.log" 2>&1 &
COLLECT_PID=$!
PIDS+=("$!")
start_push ap1
start_push ap2

fleet_psql "INSERT INTO flagged(ap, domain, reason) VALUES('*', 'tracker.example', 'central');
INSERT INTO flagged(ap, domain, reason) VALUES('*', 'shared.example', 'central too');
INSERT INTO flagged(ap, domain) VALUES('*', '*.Ads.Example');
INSERT INTO flagged(ap, domain, mac, expires) VALUES('*', 'phone.example', '02:00:5E:10:00:01', 1900000000);
INSERT INTO flagged(ap, domain) VALUES('*', 'bad..domain')" >/dev/null ||
	bad "the central INSERTs failed"
[ "$(fleet_psql "SELECT count(*) FROM flagged WHERE ap = '*' AND id > 0 AND source = 'central' AND added > 0")" = 5 ] ||
	bad "central rows got no id, source or added from the defaults"

AP1="ads.example|||fleet|
phone.example|02:00:5e:10:00:01||fleet|1900000000
shared.example||central too|fleet|
tracker.example||central|fleet|"
AP2="ads.example|||fleet|
phone.example|02:00:5e:10:00:01||fleet|1900000000
shared.example||mine|user|
tracker.example||central|fleet|"
wait_rows ap1 "$AP1" "the central flags arrived as fleet rows"
wait_rows ap2 "$AP2" "the central flags arrived; the person's flag on shared.example kept"
wait_log "$DIR/collect.log" "central flag id .*bad..domain.*not a domain name" \
	"a central row that is not a flag"
wait_log "$DIR/push-ap2.log" "shared.example is flagged here already; the local flag stays" \
	"ap2 said so"

# a changed reason follows
fleet_psql "UPDATE flagged SET reason = 'ads' WHERE ap = '*' AND domain = '*.Ads.Example'" >/dev/null
AP1=${AP1/ads.example|||fleet|/ads.example||ads|fleet|}
AP2=${AP2/ads.example|||fleet|/ads.example||ads|fleet|}
wait_rows ap1 "$AP1" "a changed central reason followed"
# the person flags ads.example on ap1: the fleet row becomes theirs
if "$cli" --db "$DIR/ap1.db" flag ads.example >"$DIR/cli.out" 2>&1 &&
	grep -q "was an automatic or a fleet flag" "$DIR/cli.out"; then
	ok "leakwatch flag on a fleet row: $(cat "$DIR/cli.out")"
else
	bad "leakwatch flag on a fleet row: $(cat "$DIR/cli.out")"
fi
AP1=${AP1/ads.example||ads|fleet|/ads.example||ads|user|}

# removals: tracker.example while ap2's push is stopped, then shared.example
stop_push ap2
fleet_psql "DELETE FROM flagged WHERE ap = '*' AND domain IN ('tracker.example', 'shared.example')" >/dev/null
AP1="ads.example||ads|user|
phone.example|02:00:5e:10:00:01||fleet|1900000000"
wait_rows ap1 "$AP1" "the removed central flags' rows went"
[ "$(rows ap2)" = "$AP2" ] || bad "ap2 changed while its push was stopped"
# and a fleet row whose key the bucket does not have at all (not even a delete marker: a
# bucket made again, its markers purged): gone once the bucket's current flags are in place
sqlite3 "$DIR/ap2.db" "INSERT INTO flagged(domain, source) VALUES('stale.example', 'fleet')"
start_push ap2
AP2="ads.example||ads|fleet|
phone.example|02:00:5e:10:00:01||fleet|1900000000
shared.example||mine|user|"
wait_rows ap2 "$AP2" "a removal made while its push was stopped applied when it started again; a fleet row without a key went; the local flag stays"

# bad values straight into the bucket: garbage on a new key; a flagged row whose domain is
# not one on the key of a flag already there; a valid value under a key that is not its own
before1=$(rows ap1)
before2=$(rows ap2)
python3 - "$BASE" <<'PY' || bad "could not publish the bad values"
import socket, struct, sys, time

def text(s):
    b = s.encode()
    return struct.pack('>BI', 3, len(b)) + b

def flagged(domain):
    # lib/fleet/row.h: format 1, table 5 (flagged), id 0, version 0, 6 values
    v = text(domain) + b'\0' + b'\0' + text('central') + b'\0' + b'\0'
    return struct.pack('>BBqQH', 1, 5, 0, 0, 6) + v

s = socket.create_connection(('127.0.0.1', int(sys.argv[1]) + 1))
s.recv(4096)
s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\n')
for key, val in ((b'evil.example', b'hello'), (b'ads.example', flagged('bad..domain')),
                 (b'other.example', flagged('phone.example'))):
    s.sendall(b'PUB $KV.LEAKWATCH_FLAGS.' + key + b' %d\r\n' % len(val) + val + b'\r\n')
s.sendall(b'PING\r\n')
time.sleep(0.5)
s.close()
PY
for ap in ap1 ap2; do
	wait_log "$DIR/push-$ap.log" "refused the value of key 'evil.example' .*not a flagged row message" \
		"$ap: garbage refused"
	wait_log "$DIR/push-$ap.log" "refused the value of key 'ads.example' .*not a domain name" \
		"$ap: a bad domain refused"
	wait_log "$DIR/push-$ap.log" "refused the value of key 'other.example' .*key that does not name" \
		"$ap: a value under another key refused"
done
[ "$(rows ap1)" = "$before1" ] || bad "ap1's rows changed after bad values: $(rows ap1)"
[ "$(rows ap2)" = "$before2" ] || bad "ap2's rows changed after bad values: $(rows ap2)"
if ! kill -0 "${PUSH_PID[ap1]}" 2>/dev/null || ! kill -0 "${PUSH_PID[ap2]}" 2>/dev/null; then
	bad "a push exited after the bad values"
fi

# the resync: ap1's push again with --flags-resync 2; once it has read the bucket, its fleet
# rows are changed by hand (no change in the bucket, so no watcher event): a stray fleet row
# added, a fleet row's expiry moved; the next resync puts the bucket's back
before1=$(rows ap1)
stop_push ap1
marks=$(grep -c "current flags in place" "$DIR/push-ap1.log")
start_push ap1 --flags-resync 2
for _ in $(seq 300); do
	[ "$(grep -c "current flags in place" "$DIR/push-ap1.log")" -gt "$marks" ] && break
	sleep 0.2
done
sqlite3 "$DIR/ap1.db" "INSERT INTO flagged(domain, source) VALUES('stray.example', 'fleet');
UPDATE flagged SET expires = 1 WHERE domain = 'phone.example'" ||
	bad "could not change ap1's fleet rows by hand"
[ "$(rows ap1)" != "$before1" ] || bad "the rows changed by hand are the same"
wait_rows ap1 "$before1" "the periodic resync put the bucket's flags back over rows changed by hand"
wait_log "$DIR/push-ap1.log" "the bucket read again and its flags in place" "ap1 said so"

# every central flag gone: no fleet row left anywhere, the person's flag stays
fleet_psql "DELETE FROM flagged WHERE ap = '*'" >/dev/null
wait_rows ap1 "ads.example||ads|user|" "every central flag removed: no fleet row left, the one the person took stays"
wait_rows ap2 "shared.example||mine|user|" "every central flag removed: the local flag stays"
# stopped: each exits 0 (a sanitizer build: and reports nothing)
fleet_stop "$COLLECT_PID"
wait "$COLLECT_PID" || bad "the collector exited $?"
fleet_forget "$COLLECT_PID"
for ap in ap1 ap2; do
	stop_push "$ap"
	wait "${PUSH_PID[$ap]}" || bad "push $ap exited $?"
done
if grep -l "Sanitizer\|runtime error" "$DIR"/collect.log "$DIR"/push-ap*.log; then
	bad "a sanitizer report (above: the files)"
fi
[ "$fail" = 0 ] || {
	echo "--- collect.log"
	tail -n 20 "$DIR/collect.log"
	for ap in ap1 ap2; do
		echo "--- push-$ap.log"
		tail -n 20 "$DIR/push-$ap.log"
	done
}
exit "$fail"
