#!/usr/bin/env bash
# Inside the stock-kernel VM (tests/vm/vm-run.sh): the blocking lab scripts, one after the
# other, with the daemon's packet holds on one path, and a check that they really used it:
#   nft      the default path (queue_path = auto), which on this kernel must be nft's:
#            "table inet <table>_hold" with queue statements
#   xtables  [block] queue_path = xtables (through LW_BLOCK_CONF_EXTRA): "table ip <table>_hold"
#            (and "table ip6 <table>_hold") with the NFQUEUE target
# Each script's result is printed on a line of its own with its time; a failing script's output
# follows it.  Exits 1 when one fails, 77 when every one is skipped.
#   block.sh nft|xtables LEAKWATCHD
set -uo pipefail
mode=$1 daemon=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# the scripts, relative to the source tree, each run as SCRIPT LEAKWATCHD; block-brnf first,
# while br_netfilter is still the unloaded module the VM booted with (the daemon must load it
# or report it within a second of its start; later scripts find it loaded)
# On the xtables path only the scripts whose packets go through the hold's queue (the rest test
# flagging, which is the same on both paths and runs on the nft path): CI time.
if [ "$1" = xtables ]; then
	VM_BLOCK_SCRIPTS=${VM_BLOCK_SCRIPTS:-"tests/lab/block-brnf.sh tests/lab/block-sni.sh tests/lab/block-hold.sh
	tests/lab/block-routed.sh tests/faults/nft.sh"}
else
	VM_BLOCK_SCRIPTS=${VM_BLOCK_SCRIPTS:-"tests/lab/block-brnf.sh tests/lab/block-flag.sh
	tests/lab/block-sni.sh tests/lab/block-hold.sh tests/lab/block-restart.sh
	tests/lab/block-auto.sh tests/lab/block-routed.sh tests/faults/nft.sh"}
fi

# (nft lists the xtables NFQUEUE target as the queue statement it translates to: the family of
# the table tells the two paths apart)
case $mode in
nft) fam=inet ;;
xtables) fam='ip or ip,ip6' ;;
*) echo "block.sh: nft or xtables, not '$mode'" >&2; exit 2 ;;
esac
[ "$mode" = xtables ] &&
	export LW_BLOCK_CONF_EXTRA="queue_path=xtables${LW_BLOCK_CONF_EXTRA:+ $LW_BLOCK_CONF_EXTRA}"
# Report deadlines counted from the daemon being ready: the host lab asserts 1 s; under TCG
# (10-50x slower than the host) a report took 1.2-1.4 s alone and over 4 s with two VMs and
# other tests sharing the 2 cores, so 10 s here (a real stock-kernel AP is the host lab's
# speed).  Loading br_netfilter itself happens before the daemon is ready.
export BLOCK_REPORT_MS=${BLOCK_REPORT_MS:-10000}
# block-flag's waits after each change of the flagged table (1 s on the host)
export BLOCK_SETTLE_S=${BLOCK_SETTLE_S:-3}
# The hold's guard releases held packets the daemon has not read for hold_stall_ms (1 s by
# default): under TCG a burst of 100 answers takes the daemon longer than that (84-91 of 100
# escaped with the guard at 100 ms), so 10 s here
export LW_BLOCK_CONF_EXTRA="hold_stall_ms=10000${LW_BLOCK_CONF_EXTRA:+ $LW_BLOCK_CONF_EXTRA}"
# block-hold.sh's rounds (each round of each kind must be held; without the hold every one of
# the second kind gets through): 50 on the nft path, which only this VM shows (CI time);
# 30 on the xtables path, whose 100 run on the host lab
rounds=30
[ "$mode" = nft ] && rounds=50
export BLOCK_HOLD_ROUNDS=${BLOCK_HOLD_ROUNDS:-$rounds}
logs=$(mktemp -d /tmp/lw-vm-block.XXXXXX)
trap 'rm -rf "$logs"' EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
br_nf() { [ -d /proc/sys/net/bridge ] && echo loaded || echo "not loaded"; }

echo "info kernel $(uname -r); br_netfilter $(br_nf); [block] ${LW_BLOCK_CONF_EXTRA:-(defaults)}"
# a configuration key this leakwatchd does not know would fail every script the same way
if [ -n "${LW_BLOCK_CONF_EXTRA:-}" ]; then
	{
		echo "[block]"
		for kv in $LW_BLOCK_CONF_EXTRA; do echo "${kv%%=*} = ${kv#*=}"; done
	} >"$logs/check.conf"
	"$daemon" -r "$logs/no-such.pcap" --db "$logs/check.db" -c "$logs/check.conf" \
		>"$logs/check.log" 2>&1
	if [ $? -eq 78 ]; then
		echo "FAIL this leakwatchd refuses [block] $LW_BLOCK_CONF_EXTRA:" \
			"$(cat "$logs/check.log")"
		exit 1
	fi
fi
fail=0 ran=0 seen=0
t_all=$(now)
for s in $VM_BLOCK_SCRIPTS; do
	name=$(basename "$s" .sh)
	[ "$s" = tests/faults/nft.sh ] && name=fault-nft
	rules=$logs/$name.rules
	t0=$(now)
	LW_BLOCK_RULES_LOG=$rules "$src/$s" "$daemon" >"$logs/$name.log" 2>&1
	rc=$?
	took=$(secs "$t0" "$(now)")
	# the _hold tables the script listed while its holds were on
	tables=$(grep -o '^table [a-z0-9]* lw[a-zA-Z0-9]*_hold' "$rules" 2>/dev/null |
		awk '{ print $2 }' | sort -u | paste -sd, -)
	nq=$(grep -c 'queue\|NFQUEUE' "$rules" 2>/dev/null)
	why=''
	if [ -n "$tables" ]; then
		seen=1
		[[ " ${fam//or/} " == *" $tables "* ]] && [ "${nq:-0}" -gt 0 ] ||
			why="hold tables $tables with ${nq:-0} queue rules; expected $fam with some"
	fi
	note="${tables:+; hold tables seen: $tables, $nq queue rules}"
	[ -z "${sample:-}" ] && sample=$(grep -m1 'queue\|NFQUEUE' "$rules" 2>/dev/null)
	case $rc in
	0) [ -z "$why" ] && { echo "ok   $name (${took}s$note)"; ran=1; } ;;
	77) echo "SKIP $name (${took}s): $(tail -n 1 "$logs/$name.log")" ;;
	*) why=${why:-exit $rc} ;;
	esac
	if [ -n "$why" ]; then
		echo "FAIL $name (${took}s$note): $why"
		grep -v '^ok ' "$logs/$name.log" | sed 's/^/    /' | tail -n 60
		fail=1 ran=1
	fi
done
if [ $seen -eq 0 ] && [ $ran -eq 1 ]; then
	echo "FAIL no script saw this run's hold table (table $fam *_hold)"
	fail=1
fi
[ -n "${sample:-}" ] && echo "info a hold rule as nft lists it: $(echo $sample)"
echo "info all scripts: $(secs "$t_all" "$(now)")s; br_netfilter $(br_nf) at the end"
[ $fail -eq 0 ] && [ $ran -eq 0 ] && exit 77
exit $fail
