#!/usr/bin/env bash
# Fault test: the parser process dies (SIGKILL, as a crash would) while a domain is flagged
# and both holds are on.  The privileged process (the one started) must let what it held pass,
# take the queue rules out, leave the table (as after a SIGKILL of the whole daemon) and exit
# 70 within a few seconds, saying why (systemd restarts it: Restart=on-failure); its other
# children (the queue's guard, the resolver) go with it; the phone's lookups are answered.  A
# daemon started again takes the table over: the flagged site is still blocked.  Uses the
# lab's namespaces (tests/lab/lab.sh, block-lib.sh).
#   parser.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
lab_need root dnsmasq nft curl sqlite3 python3 pgrep
# shellcheck source=../lab/block-lib.sh
. "$lab/block-lib.sh"

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_host tracker.example 198.51.100.10
lab_host www.example.org 198.51.100.20
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$lab/servers.py" \
	http:198.51.100.10:80 http:198.51.100.20:80
lab_wait_port "$LAB_UP" tcp 80 || exit 1
block_ap_net
P1=$LAB_ID-phone1
db=$LAB_DIR/block.db
T=lw${LAB_ID//[^a-zA-Z0-9]/}
log=$LAB_DIR/leakwatchd.log
lookups() { lab_ns "$P1" python3 "$here/../hostile/dns_tools.py" lookups 192.0.2.1 "$@" | tail -n 1; }
hold_tables() { lab_ns "$LAB_AP" nft list tables | grep -c " ${T}_hold$"; }

block_conf "$LAB_DIR/lw.conf" domains=tracker.example dns_hold=yes hello_hold=yes
block_start "$LAB_DIR/lw.conf"
for _ in $(seq 100); do
	grep -q "holding DNS answers and connection starts" "$log" && break
	sleep 0.1
done
block_expect "tracker.example's address in the set" \
	"$(block_until_elem 198.51.100.10 in 10 >/dev/null && echo in)" in
block_expect "the queue rules are in" "$([ "$(hold_tables)" -ge 1 ] && echo yes)" yes
parser=$(pgrep -P "$pid" -x leakwatchd | head -n 1)
children=$(pgrep -P "$pid" | tr '\n' ' ')
block_expect "the parser runs (a child named leakwatchd)" "$([ -n "$parser" ] && echo yes)" yes
echo "info children of $pid: $children(parser $parser)"

t0=$(block_ms)
kill -KILL "${parser:-0}"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
t_exit=$(($(block_ms) - t0))
alive=$(kill -0 "$pid" 2>/dev/null && echo yes || echo no)
block_expect "the daemon exits after its parser is killed (in $t_exit ms)" "$alive" no
[ "$alive" = yes ] && kill -KILL "$pid"
wait "$pid"
rc=$?
block_expect "its exit status: 70 (EX_SOFTWARE: systemd restarts it)" "$rc" 70
block_expect "the log says the parser was killed" \
	"$(grep -c "the parser was killed by signal 9" "$log")" 1
left=''
for c in $children; do kill -0 "$c" 2>/dev/null && left="$left $c"; done
block_expect "no child left (the guard, the resolver)" "${left:-none}" none
block_expect "the queue rules are gone" "$(hold_tables)" 0
block_expect "the table stays, with the flagged address" \
	"$(block_until_elem 198.51.100.10 in 1 >/dev/null && echo in)" in
out=$(lookups www.example.org 5 0.05 2)
echo "info after the parser died: phone1 lookups (ms) $out"
block_expect "phone1's lookups answered" "$(awk '{ print $8 }' <<<"$out")" 0
block_sanitizer_check # (the next start empties the log)

# started again (as systemd would): the table is taken over, the site still blocked
block_start "$LAB_DIR/lw.conf"
sleep 1
block_expect "restarted: tracker.example blocked for phone1" \
	"$(block_http "$P1" http://tracker.example/)" 000
block_expect "restarted: www.example.org reached" "$(block_http "$P1" http://www.example.org/)" 200
block_stop
echo "figures: the daemon exited $rc ${t_exit} ms after its parser was killed; queue rules" \
	"left $(hold_tables); phone1's lookups: $out"
exit "$BLOCK_FAIL"
