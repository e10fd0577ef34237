#!/usr/bin/env bash
# Hostile-device lab test: a stalled daemon must not stall the network.  With a domain flagged
# and both holds on (DNS answers and connection starts cross the NFQUEUE), leakwatchd (the
# privileged process it starts as, which reads the queue) is stopped (SIGSTOP): phone2's DNS
# lookups and new TCP connections must still succeed, within a bound (printed), through the
# hold's guard.  The daemon pings a NOTIFY_SOCKET this test provides (WATCHDOG_USEC set as
# systemd would) while its loop runs, and not while stopped.  After SIGCONT everything resumes:
# pings, fast lookups, and the hold blocking a flagged name.  Then the parser process alone is
# stopped: the privileged process answers the packets it holds (the same bound), and the pings
# stop too (they come from the parser's loop).
#   stall.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need

STALL_S=${STALL_S:-6}     # how long the daemon stays stopped
BOUND_MS=${STALL_BOUND_MS:-1000} # a lookup or a connection while it is stopped
hostile_phones 02:10:00:00:00:02
lab_ns "$LAB_UP" ip addr add 203.0.113.60/32 dev lo
lab_ns "$LAB_UP" ip addr add 203.0.113.77/32 dev lo
lab_dns_start --address=/victim.example/203.0.113.60 --address=/flagged.example/203.0.113.77 ||
	exit 1
hostile_servers tcp 8080 reply:0.0.0.0:8080
tools=$here/dns_tools.py
notify=$LAB_DIR/notify.sock
pings=$LAB_DIR/notify.log

lab_bg "$LAB_AP" "$pings" python3 "$tools" notify "$notify" 600
for _ in $(seq 50); do [ -S "$notify" ] && break; sleep 0.1; done
now() { python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }
# pings FROM TO: WATCHDOG=1 messages received between two monotonic times
pings() { awk -v a="$1" -v b="$2" '$2 == "WATCHDOG=1" && $1 >= a && $1 < b { n++ }
	END { print n + 0 }' "$pings"; }
lookups() { lab_ns "$P2" python3 "$tools" lookups 192.0.2.1 "$@"; }
conn() { lab_ns "$P2" python3 "$tools" connect 203.0.113.60 8080 www.victim.example "$1"; }

# hold_stall_ms = 100 (the default is 1000): the bounds below are this run's, with the guard at 100 ms
block_conf "$LAB_DIR/stall.conf" domains=flagged.example dns_hold=yes hello_hold=yes \
	hold_stall_ms=100
export NOTIFY_SOCKET=$notify WATCHDOG_USEC=1000000 # a ping every 500 ms
block_start "$LAB_DIR/stall.conf"
unset NOTIFY_SOCKET WATCHDOG_USEC
for _ in $(seq 50); do
	grep -q "holding DNS answers and connection starts" "$LAB_DIR/leakwatchd.log" && break
	sleep 0.1
done
sleep 1 # the first sync of the sets and meta
block_expect "DNS-hold and hello-hold on" \
	"$(block_meta block.holds | grep -c '^DNS-hold and hello-hold on (')" 1
block_expect "the daemon reports the watchdog" \
	"$(grep -c 'systemd watchdog: a ping every 500 ms' "$LAB_DIR/leakwatchd.log")" 1
echo "info running: lookups (ms) $(lookups www.victim.example 20 0.05 2 | tail -n 1);" \
	"a new connection $(conn 3) ms"
t0=$(now)
sleep 3
t1=$(now)
n=$(pings "$t0" "$t1")
echo "info running: $n watchdog pings in 3 s"
block_expect "watchdog pings while the loop runs (>= 4 in 3 s)" "$([ "$n" -ge 4 ] && echo yes)" yes

kill -STOP "$pid"
t_stop=$(now)
sleep 0.5
out=$(lookups www.victim.example 20 0.1 3)
echo "info stopped: phone2 lookups (ms) $(tail -n 1 <<<"$out")"
worst=$(tail -n 1 <<<"$out" | awk '{ print $6 }')
block_expect "stopped: every lookup answered" "$(tail -n 1 <<<"$out" | awk '{ print $8 }')" 0
block_expect "stopped: the worst lookup within $BOUND_MS ms (got $worst)" \
	"$(awk -v w="$worst" -v b="$BOUND_MS" 'BEGIN { print (w <= b) ? "yes" : "no" }')" yes
for i in 1 2 3; do
	ms=$(conn 5)
	echo "info stopped: new connection $i: $ms ms"
	block_expect "stopped: new connection $i within $BOUND_MS ms" \
		"$([ "$ms" != fail ] && awk -v w="$ms" -v b="$BOUND_MS" \
			'BEGIN { print (w <= b) ? "yes" : "no" }')" yes
done
left=$(awk -v t="$t_stop" -v s="$STALL_S" 'BEGIN { print t + s - 0 }')
while awk -v a="$(now)" -v b="$left" 'BEGIN { exit !(a < b) }'; do sleep 0.2; done
t_cont=$(now)
n=$(pings "$(awk -v t="$t_stop" 'BEGIN { print t + 0.6 }')" "$t_cont")
echo "info stopped: $n watchdog pings in $(awk -v a="$t_stop" -v b="$t_cont" \
	'BEGIN { printf "%.1f", b - a - 0.6 }') s"
block_expect "no watchdog pings while stopped" "$n" 0
kill -CONT "$pid"
sleep 2
n=$(pings "$t_cont" "$(now)")
echo "info resumed: $n watchdog pings in 2 s"
block_expect "watchdog pings again after SIGCONT" "$([ "$n" -ge 2 ] && echo yes)" yes
out=$(lookups www.victim.example 20 0.05 2 | tail -n 1)
echo "info resumed: lookups (ms) $out; a new connection $(conn 3) ms"
block_expect "resumed: every lookup answered" "$(awk '{ print $8 }' <<<"$out")" 0
# the daemon inspects again: a flagged name's answer puts its address in the set
lookups x1.flagged.example 1 0 2 >/dev/null
block_expect "resumed: a flagged answer's address is blocked" \
	"$(block_until_elem 203.0.113.77 in 5 >/dev/null && echo in)" in

# The parser stopped, the privileged process running: what it forwarded and got no verdict for
# within hold_stall_ms passes
parser=$(pgrep -P "$pid" -x leakwatchd | head -n 1)
block_expect "the parser process runs" "$([ -n "$parser" ] && echo yes)" yes
if [ -n "$parser" ]; then
	kill -STOP "$parser"
	t_stop=$(now)
	sleep 0.5
	out=$(lookups www.victim.example 20 0.1 3 | tail -n 1)
	worst=$(awk '{ print $6 }' <<<"$out")
	echo "info parser stopped: phone2 lookups (ms) $out"
	block_expect "parser stopped: every lookup answered" "$(awk '{ print $8 }' <<<"$out")" 0
	block_expect "parser stopped: the worst lookup within $BOUND_MS ms (got $worst)" \
		"$(awk -v w="$worst" -v b="$BOUND_MS" 'BEGIN { print (w <= b) ? "yes" : "no" }')" yes
	ms=$(conn 5)
	echo "info parser stopped: a new connection $ms ms"
	block_expect "parser stopped: a new connection within $BOUND_MS ms" \
		"$([ "$ms" != fail ] && awk -v w="$ms" -v b="$BOUND_MS" \
			'BEGIN { print (w <= b) ? "yes" : "no" }')" yes
	t_cont=$(now)
	n=$(pings "$(awk -v t="$t_stop" 'BEGIN { print t + 0.6 }')" "$t_cont")
	block_expect "no watchdog pings while the parser is stopped" "$n" 0
	kill -CONT "$parser"
	sleep 1
	out=$(lookups www.victim.example 20 0.05 2 | tail -n 1)
	echo "info parser resumed: lookups (ms) $out"
	block_expect "parser resumed: every lookup answered" "$(awk '{ print $8 }' <<<"$out")" 0
fi

# What the kernel itself does, without the guard (daemon and guard both stopped, as a frozen
# cgroup would be): a queue that is not full keeps its packets for as long as nobody reads;
# once it is full (LW_HOLD_QUEUE_MAXLEN), further packets pass (fail-open).
guard=$(pgrep -P "$pid" -x leakwatchd-hold | head -n 1)
block_expect "the hold's guard process runs" "$([ -n "$guard" ] && echo yes)" yes
if [ -n "$guard" ]; then
	kill -STOP "$pid" "$guard"
	out=$(lookups www.victim.example 5 0.1 1 | tail -n 1)
	echo "info daemon and guard stopped, queue not full: lookups (ms) $out"
	block_expect "no guard, queue not full: answers wait (lost)" "$(awk '{ print $8 }' <<<"$out")" 5
	lab_ns "$P1" python3 "$tools" flood 192.0.2.1 fill.victim.example 1 1000 >/dev/null
	out=$(lookups www.victim.example 10 0.05 1 | tail -n 1)
	echo "info daemon and guard stopped, queue filled by 1000 answers: lookups (ms) $out"
	block_expect "no guard, queue full: answers pass" "$(awk '{ print $8 }' <<<"$out")" 0
	kill -CONT "$guard" "$pid"
	sleep 1
fi
block_stop
grep "held .* packets\|stalled" "$LAB_DIR/leakwatchd.log" | sed 's/^/info log: /'
exit $BLOCK_FAIL
