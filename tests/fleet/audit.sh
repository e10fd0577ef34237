#!/usr/bin/env bash
# Nothing lost even when the stream loses messages it acknowledged (README "Many APs", "Nothing
# lost"; nats-server 2.9 has been seen to skip such messages after the whole cluster restarted):
#  - an access point's rows are published; two of its messages (a flows row, a dns row) are
#    deleted from the stream before the collector reads them, through JetStream's own API;
#  - the collector writes the rest: the central tables lack those two rows (checked: the fault
#    is real), and the push's audit makes the collector ask for both tables again;
#  - the next push sends them again and deletes the requests; the central tables equal the
#    database, row for row; a third push sends nothing again;
#  - a request that is not a row id (put by hand into the bucket) is said and deleted;
#  - a row too large to send is left out of the audits (no request for it).
#   audit.sh LEAKWATCHD LEAKWATCH-PUSH LEAKWATCH-COLLECT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=fleet-lib.sh
. "$here/fleet-lib.sh" # $daemon, $push, $collect (from $1..$3), $cases
fleet_need nats-server psql python3 sqlite3 runuser

collect_drain() { # LOG
	"$collect" --servers "$SERVERS" --pg "$PG" --ack-wait 5 --idle-exit 2 2>"$1" || bad "collect: exit $?"
	echo "     $(tail -1 "$1")"
}
push_once() { # LOG
	"$push" --db "$DIR/ap1.db" --ap ap1 --servers "$SERVERS" 2>"$1" || bad "push: exit $?"
	sed 's/^/     /' "$1"
}
subject_of() { # SEQ
	fleet_js req '$JS.API.STREAM.MSG.GET.LEAKWATCH' "{\"seq\": $1}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["message"]["subject"])'
}

fleet_up "$collect"
fleet_make_db ap1 dns_only_name 3000
push_once "$DIR/push1.log"
grep -q "audit: 4 windows of 4 tables acknowledged" "$DIR/push1.log" ||
	bad "the push did not audit devices, flows, dns and stats"
# the messages in the stream, in the order sent: devices 1, flows 2, dns 3001, stats 1, audits
s3=$(subject_of 3)
s500=$(subject_of 500)
if [ "$s3" = leakwatch.ap1.flows ] && [ "$s500" = leakwatch.ap1.dns ]; then
	ok "message 3 is a flows row, message 500 a dns row"
else
	bad "messages 3 and 500 are $s3 and $s500"
fi
for seq in 3 500; do
	fleet_js req '$JS.API.STREAM.MSG.DELETE.LEAKWATCH' "{\"seq\": $seq, \"no_erase\": true}" \
		>/dev/null || bad "message $seq could not be deleted from the stream"
done

collect_drain "$DIR/collect1.log"
if python3 "$here/compare.py" "$PG" ap1="$DIR/ap1.db" >"$DIR/cmp1"; then
	bad "the central tables are complete although two messages were deleted"
else
	grep -E "FAIL (flows|dns) of ap1" "$DIR/cmp1" | sed 's/^FAIL/     lost:/'
	grep -q "FAIL flows of ap1: 1 missing" "$DIR/cmp1" &&
		grep -q "FAIL dns of ap1: 1 missing" "$DIR/cmp1" &&
		ok "the deleted messages' rows are missing centrally" ||
		bad "not the two rows expected missing: $(cat "$DIR/cmp1")"
fi
grep "audit: ap ap1" "$DIR/collect1.log" | sed 's/^/     /'
grep -q "4 audits, 2 with rows missing" "$DIR/collect1.log" &&
	ok "the collector's audit found flows and dns short" ||
	bad "the collector did not find the rows missing: $(tail -1 "$DIR/collect1.log")"

push_once "$DIR/push2.log"
grep -q "flows sent again from row id 2," "$DIR/push2.log" &&
	grep -q "dns sent again from row id 1," "$DIR/push2.log" &&
	ok "the next push sent flows and dns again" ||
	bad "the next push did not send flows and dns again"
collect_drain "$DIR/collect2.log"
if python3 "$here/compare.py" "$PG" ap1="$DIR/ap1.db" >"$DIR/cmp2"; then
	grep -E " (flows|dns):" "$DIR/cmp2"
	ok "after the requests: 0 rows lost, 0 duplicated"
else
	cat "$DIR/cmp2"
	bad "the rows asked for did not arrive"
fi
grep -q " 0 with rows missing" "$DIR/collect2.log" ||
	bad "the audit after the rows were sent again still finds rows missing"

push_once "$DIR/push3.log"
grep -q "sent again" "$DIR/push3.log" && bad "a third push sent rows again: the requests stayed"
grep -q "sent again" "$DIR/push3.log" || ok "the requests were deleted: a third push sends nothing again"

# a request the access point cannot read: said, deleted, nothing sent again
fleet_js pub '$KV.LEAKWATCH_RESEND.ap1.leaks' 'x1' || bad "could not put a request by hand"
push_once "$DIR/push4.log"
if grep -q "ap1.leaks in LEAKWATCH_RESEND is not a row id; deleted" "$DIR/push4.log" &&
	! grep -q "sent again" "$DIR/push4.log"; then
	ok "a request that is not a row id is said and deleted"
else
	bad "a request that is not a row id was not refused"
fi
if fleet_js req '$JS.API.STREAM.MSG.GET.KV_LEAKWATCH_RESEND' \
	'{"last_by_subj": "$KV.LEAKWATCH_RESEND.ap1.leaks"}' >"$DIR/kv" &&
	grep -q 'KV-Operation: DEL' <(python3 -c 'import json, sys, base64
m = json.load(open(sys.argv[1]))["message"]
print(base64.b64decode(m.get("hdrs", "")).decode())' "$DIR/kv"); then
	ok "its key is deleted from the bucket"
else
	bad "its key is still in the bucket: $(cat "$DIR/kv")"
fi

# a row too large to send (written by hand: 300 000 bytes of answers) is skipped, and the
# audits leave it out: no request for it, nothing sent again
sqlite3 "$DIR/ap1.db" "INSERT INTO dns(ts, mac, qname, answers) VALUES(1700000000, '02:00:00:00:00:01', 'big.example', printf('%.*c', 300000, 'a'))" ||
	bad "could not write the large row"
push_once "$DIR/push5.log"
collect_drain "$DIR/collect5.log"
grep -q "dns row [0-9]* is too large to send; skipped" "$DIR/push5.log" &&
	grep -q " 0 with rows missing" "$DIR/collect5.log" &&
	ok "a row too large to send is left out of the audits" ||
	bad "a row too large to send: $(cat "$DIR/push5.log" "$DIR/collect5.log")"
push_once "$DIR/push6.log"
grep -q "sent again" "$DIR/push6.log" && bad "the large row was asked for again"
exit "$fail"
