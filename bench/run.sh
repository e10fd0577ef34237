#!/usr/bin/env bash
# leakwatch benchmarks: one command per benchmark (see bench/README.md).
#
#   bench/run.sh home|upload|manyflows|live|profile|all [--rounds N] [--scale X]
#   bench/run.sh soak [--minutes M] [--pps N] [--profile CONF]   (hours, bounded memory; not
#                                                  part of all; CONF: e.g. the router profile)
#   bench/run.sh smoke --gen GEN --loop PCAP_LOOP --daemon LEAKWATCHD   (the meson test)
#
# Builds a release tree (build-bench), generates the captures once into a cache outside git
# ($LW_BENCH_CACHE, default /var/tmp/leakwatch-bench), then times, in alternating order for
# each round, the bare libpcap loop, `leakwatchd -r` with no enrolled devices and with 50, and
# nDPI's `ndpiReader -q -i` on the same file, and prints medians, ratios to the libpcap loop
# (the median of the per-round ratios: each ratio comes from back-to-back runs) and peak
# resident memory.  Benchmarks assert nothing about time; smoke only checks that numbers come out.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
py=/usr/bin/python3
[ -x $py ] || py=python3

cache=${LW_BENCH_CACHE:-/var/tmp/leakwatch-bench}
rounds=${LW_BENCH_ROUNDS:-5}
scale=${LW_BENCH_SCALE:-1}
gen= loop= daemon= scan=
soak_minutes=120 soak_pps=3000 soak_every=${LW_SOAK_EVERY:-30} soak_profile=
what=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--scale) scale=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--gen) gen=$(realpath "$2"); shift 2 ;;
	--loop) loop=$(realpath "$2"); shift 2 ;;
	--daemon) daemon=$(realpath "$2"); shift 2 ;;
	--scan) scan=$(realpath "$2"); shift 2 ;;
	--minutes) soak_minutes=$2; shift 2 ;;
	--pps) soak_pps=$2; shift 2 ;;
	--profile) soak_profile=$(realpath "$2"); shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 64 ;;
	esac
done

usage() {
	echo "usage: bench/run.sh home|upload|manyflows|live|profile|all [--rounds N] [--scale X]" >&2
	echo "       bench/run.sh soak [--minutes M] [--pps N] [--profile CONF]" >&2
	echo "       bench/run.sh smoke --gen GEN --loop PCAP_LOOP --daemon LEAKWATCHD" >&2
	exit 64
}

say() { printf '%s\n' "$*" >&2; }

# --- build and inputs ------------------------------------------------------------------------

build() {
	[ -n "$gen" ] && [ -n "$loop" ] && [ -n "$daemon" ] && return 0
	"$root/scripts/install-deps.sh" --bench || exit 1
	if [ ! -f "$root/build-bench/build.ninja" ]; then
		meson setup "$root/build-bench" "$root" -Dbuildtype=release >/dev/null || exit 1
	fi
	ninja -C "$root/build-bench" build.ninja >/dev/null 2>&1 # regenerate: new targets
	meson compile -C "$root/build-bench" leakwatchd gen pcap-loop scan \
		>"$root/build-bench/compile.log" 2>&1 || {
		cat "$root/build-bench/compile.log" >&2
		exit 1
	}
	gen=$root/build-bench/bench/gen
	loop=$root/build-bench/bench/pcap-loop
	daemon=$root/build-bench/daemon/leakwatchd
	scan=$root/build-bench/bench/scan
}

# capture MIX [SCALE]: prints the path of the mix's capture, generating it if absent (the name
# carries the scale and a digest of the generator, so a changed generator makes a new file)
capture() {
	local mix=$1 s=${2:-$scale} tag f
	tag=$(sha1sum "$gen" | cut -c1-8)
	f=$cache/$mix-s$s-$tag.pcap
	if [ ! -s "$f.meta" ]; then
		rm -f "$cache/$mix-s$s-"*.pcap "$cache/$mix-s$s-"*.pcap.meta
		say "generating $mix (scale $s) ..."
		local t0=$SECONDS
		"$gen" "$mix" "$f" -s "$s" || exit 1
		say "  $(du -h "$f" | cut -f1) in $((SECONDS - t0)) s"
	fi
	echo "$f"
}

meta() { # meta FILE KEY
	sed -n "s/^$2=//p" "$1.meta"
}

configs() {
	"$gen" none "$cache/none.conf" || exit 1
	"$gen" config "$cache/devices50.conf" -n 50 || exit 1
}

# --- timing ----------------------------------------------------------------------------------

# timed OUT LABEL ROUND CMD...: runs CMD, appends "label round elapsed user sys maxrss_kb rc"
# (elapsed from bash's microsecond clock; CPU and peak RSS from GNU time)
timed() {
	local out=$1 label=$2 round=$3 t rc
	shift 3
	local t0 t1 u
	t=$(mktemp)
	t0=$EPOCHREALTIME
	/usr/bin/time -f "%U %S %M" -o "$t" "$@" >/dev/null 2>"$t.err"
	rc=$?
	t1=$EPOCHREALTIME
	u=$(((${t1/./} - ${t0/./})))
	printf '%s %s %d.%06d %s %s\n' "$label" "$round" $((u / 1000000)) $((u % 1000000)) \
		"$(tail -n1 "$t")" "$rc" >>"$out"
	if [ $rc -ne 0 ]; then
		say "  $label exited $rc:"
		tail -n 5 "$t.err" >&2
	fi
	rm -f "$t" "$t.err"
}

db_reset() {
	rm -f "$cache/run.db" "$cache/run.db-wal" "$cache/run.db-shm"
}

# Keeps what leakwatchd wrote about its last run: the last stats row and the rows' RSS series.
lw_facts() { # lw_facts OUTFILE LABEL
	sqlite3 -separator ' ' "$cache/run.db" \
		"SELECT '$2', packets, dropped, if_dropped, flows_active, flows_evicted, malformed,
		        store_dropped, rss_kb, (SELECT count(*) FROM flows),
		        (SELECT count(*) FROM leaks), (SELECT count(*) FROM dns),
		        (SELECT group_concat(rss_kb, ',') FROM (SELECT rss_kb FROM stats ORDER BY ts)),
		        (SELECT group_concat(flows_active, ',') FROM (SELECT flows_active FROM stats ORDER BY ts))
		 FROM stats ORDER BY ts DESC LIMIT 1" >>"$1" 2>/dev/null
}

flow_size() { # sizeof(struct lw_flow) and of the pipeline's per-flow context, in this tree
	local c
	c=$(mktemp --suffix=.c)
	printf '#include <stdio.h>\n#include "flow/flow.h"\nint main(void){printf("%%zu\\n", sizeof(struct lw_flow));return 0;}\n' >"$c"
	cc -std=gnu11 -I"$root/lib" "$c" -o "$c.bin" 2>/dev/null && "$c.bin"
	rm -f "$c" "$c.bin"
}

have_ndpi() { command -v ndpiReader >/dev/null; }

# offline MIX: the four programs, alternating, $rounds rounds
offline() {
	local mix=$1 f res facts r i n order
	f=$(capture "$mix")
	configs
	res=$cache/results-$mix.txt
	facts=$cache/facts-$mix.txt
	: >"$res"
	: >"$facts"
	local progs=(loop loop-buf lw-none lw-50)
	have_ndpi && progs+=(ndpi)
	"$loop" "$f" >/dev/null # the file into the page cache before any timed run
	local load0
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	for ((r = 1; r <= rounds; r++)); do
		n=${#progs[@]}
		order=()
		for ((i = 0; i < n; i++)); do
			order+=("${progs[$(((i + r - 1) % n))]}")
		done
		say "$mix round $r/$rounds: ${order[*]}"
		for p in "${order[@]}"; do
			case $p in
			loop) timed "$res" loop "$r" "$loop" "$f" ;;
			loop-buf) timed "$res" loop-buf "$r" "$loop" -b 262144 "$f" ;;
			lw-none)
				db_reset
				timed "$res" lw-none "$r" "$daemon" -q -r "$f" --db "$cache/run.db" \
					-c "$cache/none.conf"
				[ "$r" -eq 1 ] && lw_facts "$facts" lw-none
				;;
			lw-50)
				db_reset
				timed "$res" lw-50 "$r" "$daemon" -q -r "$f" --db "$cache/run.db" \
					-c "$cache/devices50.conf"
				[ "$r" -eq 1 ] && lw_facts "$facts" lw-50
				;;
			ndpi) timed "$res" ndpi "$r" ndpiReader -q -i "$f" ;;
			esac
		done
	done
	db_reset
	summarize "$mix" "$f" "$res" "$facts" "$load0"
	if [ "$mix" = upload ] && [ -n "$scan" ]; then
		# the engine itself, until the pipeline calls it (bench/scan.c): CPU time, one run
		echo "   the identifier engine on every upstream request (bench/scan, 50 devices):"
		"$scan" "$f" "$cache/devices50.conf" | tee "$cache/scan.txt" | sed 's/^/     /'
		local g
		g=$(sed -n 's/^detect .* = \([0-9.]*\) Gbit\/s.*/\1/p' "$cache/scan.txt")
		[ -n "$g" ] && echo "   target: >= 1 Gbit/s of upstream payload decoded and scanned per" \
			"core: $g Gbit/s in lw_detect_http ($($py -c "print('met' if $g >= 1 else 'not met')"))"
	fi
}

summarize() { # summarize MIX FILE RESULTS FACTS LOAD_BEFORE
	local fsz
	fsz=$(flow_size)
	$py - "$@" "$(cut -d' ' -f1-3 /proc/loadavg)" "${fsz:-0}" "$(nproc)" \
		"$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)" <<'PY'
import statistics as st, sys
mix, path, res, facts, load0, load1, fsz, ncpu, cpu = sys.argv[1:10]
meta = dict(l.strip().split("=", 1) for l in open(path + ".meta") if "=" in l)
rows = {}
for line in open(res):
    p = line.split()
    if len(p) < 7:
        continue
    label, rnd, el, us, sy, rss, rc = p[:7]
    rows.setdefault(label, {})[int(rnd)] = (float(el), float(us) + float(sy), int(rss), int(rc))
names = {"loop": "libpcap loop (pcap_next_ex)", "loop-buf": "libpcap loop, 256 KiB stdio buf",
         "lw-none": "leakwatchd -r, no devices",
         "lw-50": "leakwatchd -r, 50 devices", "ndpi": "ndpiReader -q -i"}
pk, by = int(meta["packets"]), int(meta["wire_bytes"])
print(f"\n== {mix}: {int(meta['file_bytes'])/1e6:.0f} MB, {pk} packets, {meta['flows']} flows, "
      f"{meta['duration_s']} s of capture time; {len(rows.get('loop', {}))} rounds")
print(f"   machine: {ncpu} cores, {cpu}; load average before {load0}, after {load1}")
print(f"   {'program':<32} {'median s':>9} {'cpu s':>7} {'x loop':>7} {'Gbit/s':>7} "
      f"{'Mpps':>6} {'peak RSS MB':>11}")
loop = rows.get("loop", {})
summary = {}
for label in ("loop", "loop-buf", "lw-none", "lw-50", "ndpi"):
    r = rows.get(label)
    if not r:
        continue
    el = st.median(v[0] for v in r.values())
    cpu_s = st.median(v[1] for v in r.values())
    rss = max(v[2] for v in r.values())
    fails = sum(1 for v in r.values() if v[3] != 0)
    ratios = [r[k][0] / loop[k][0] for k in r if k in loop and loop[k][0] > 0]
    ratio = st.median(ratios) if ratios else float("nan")
    gbps = by * 8 / el / 1e9 if el > 0 else float("inf")
    mpps = pk / el / 1e6 if el > 0 else float("inf")
    summary[label] = (el, ratio, rss)
    note = f"  ({fails} runs failed)" if fails else ""
    print(f"   {names[label]:<32} {el:9.3f} {cpu_s:7.2f} {ratio:7.2f} {gbps:7.2f} {mpps:6.2f} "
          f"{rss/1024:11.1f}{note}")
# what leakwatchd itself wrote (first round)
fl = {}
for line in open(facts):
    p = line.split()
    if len(p) >= 12:
        fl[p[0]] = p
for label in ("lw-none", "lw-50"):
    p = fl.get(label)
    if not p:
        continue
    print(f"   {label}: stats.packets {p[1]}, flows written {p[9]}, dns rows {p[11]}, "
          f"leaks {p[10]}, evicted {p[5]}, malformed {p[6]}, store_dropped {p[7]}")
lw = summary.get("lw-50") or summary.get("lw-none")
if lw and mix == "home":
    print(f"   target: leakwatchd <= 1.5x the libpcap loop with 50 devices: {lw[1]:.2f}x "
          f"({'met' if lw[1] <= 1.5 else 'not met'})")
if lw and mix == "upload":
    up = int(meta["up_payload"])
    g = up * 8 / lw[0] / 1e9
    p = fl.get("lw-50") or fl.get("lw-none")
    wired = p is not None and int(p[10]) > 0
    print(f"   upstream payload {up/1e6:.0f} MB ({int(meta['http_requests'])} HTTP requests): "
          f"{g:.2f} Gbit/s through leakwatchd -r" +
          (f" with detection (target >= 1: {'met' if g >= 1 else 'not met'})" if wired else
           " -- no leaks rows: detection is not wired into the pipeline yet, so this is "
           "parsing only; the engine's own rate follows"))
if mix == "manyflows":
    p = fl.get("lw-50") or fl.get("lw-none")
    fsz = int(fsz)
    if p:
        rss_series = [int(x) for x in p[12].split(",") if x] if len(p) > 12 else []
        act = [int(x) for x in p[13].split(",") if x] if len(p) > 13 else []
        half = rss_series[len(rss_series) // 2:]
        print(f"   struct lw_flow: {fsz} bytes; default pool 65536 flows = {fsz*65536/2**20:.1f} MiB")
        print(f"   flows active (stats rows): max {max(act) if act else '?'}; evicted {p[5]}")
        if half:
            print(f"   rss_kb over the 2nd half of the run: {min(half)}..{max(half)} "
                  f"(growth {max(half)-min(half)} KB)")
    if lw:
        print(f"   target: peak RSS <= 64 MB with default bounds: {lw[2]/1024:.1f} MB "
              f"({'met' if lw[2] <= 65536 else 'not met'})")
PY
}

# --- live ------------------------------------------------------------------------------------

# replay LABEL FILE LOOPS CONF: tcpreplay at top speed from a phone into br0, leakwatchd on br0
replay() {
	local label=$1 f=$2 loops=$3 conf=$4 db pid out
	db=$LAB_DIR/$label.db
	lab_bg "$LAB_AP" "$LAB_DIR/$label.log" "$daemon" -i br0 --db "$db" -c "$conf"
	pid=${LAB_PIDS[-1]}
	for _ in $(seq 100); do
		grep -qs "capturing on" "$LAB_DIR/$label.log" && break
		sleep 0.1
	done
	sleep 0.5
	out=$LAB_DIR/$label.tcpreplay
	lab_ns "$LAB_ID-phone1" tcpreplay -i eth0 --topspeed -K --loop="$loops" "$f" >"$out" 2>&1
	sleep 1
	kill -TERM "$pid"
	for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	$py - "$label" "$out" "$db" "$f" "$loops" <<'PY'
import re, sqlite3, sys
label, out, db, f, loops = sys.argv[1:]
t = open(out).read()
def num(rx, default="?"):
    m = re.search(rx, t)
    return m.group(1) if m else default
sent, secs = num(r"Actual: (\d+) packets"), num(r"sent in ([\d.]+) seconds")
mbps, pps = num(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps"), num(r"Mbps, ([\d.]+) pps")
failed = num(r"Failed packets:\s+(\d+)")
try:
    c = sqlite3.connect(db)
    pk, dr, ifd, sd = c.execute("SELECT packets, dropped, if_dropped, store_dropped FROM stats "
                                "ORDER BY ts DESC LIMIT 1").fetchone()
except Exception as e:
    pk = dr = ifd = sd = f"? ({e})"
print(f"   {label:<6} tcpreplay: {sent} packets in {secs} s = {pps} pps, {mbps} Mbit/s, "
      f"{failed} failed")
print(f"   {'':<6} leakwatchd: {pk} packets captured, kernel drops {dr}, interface drops {ifd}, "
      f"rows dropped {sd}")
PY
}

live() {
	[ "$(id -u)" -eq 0 ] || { say "live: needs root (network namespaces)"; return 0; }
	command -v tcpreplay >/dev/null || { say "live: needs tcpreplay"; return 0; }
	local small large
	small=$(capture voip 0.25)
	large=$(capture home 0.3)
	configs
	(
		# shellcheck source=../tests/lab/lab.sh
		. "$root/tests/lab/lab.sh"
		lab_up
		lab_phone phone1 02:10:00:00:00:01 192.0.2.250
		echo
		echo "== live: tcpreplay --topspeed -K from a phone's veth into br0, leakwatchd -i br0" \
			"(50 devices); load $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "   small frames: $(basename "$small") ($(meta "$small" packets) packets," \
			"$(($(meta "$small" wire_bytes) / $(meta "$small" packets))) bytes on average)"
		echo "   large frames: $(basename "$large") ($(meta "$large" packets) packets," \
			"$(($(meta "$large" wire_bytes) / $(meta "$large" packets))) bytes on average)"
		replay small "$small" 1 "$cache/devices50.conf"
		replay large "$large" 3 "$cache/devices50.conf"
	)
}

# --- soak ------------------------------------------------------------------------------------

# soak: hours of live traffic at a steady rate into the lab bridge, leakwatchd -i br0 with the
# default bounds and 50 devices.  tcpreplay loops over the three mixes with --unique-ip, so every
# loop brings new addresses, new flows and new (client, address) names: only the bounds keep
# memory flat.  Resident memory is sampled from /proc every $soak_every seconds.
soak() {
	[ "$(id -u)" -eq 0 ] || { say "soak: needs root (network namespaces)"; return 0; }
	command -v tcpreplay >/dev/null || { say "soak: needs tcpreplay"; return 0; }
	local mf up ho out
	mf=$(capture manyflows 0.05)
	up=$(capture upload 0.02)
	ho=$(capture home 0.02)
	configs
	local conf=$cache/devices50.conf bounds="default bounds"
	if [ -n "$soak_profile" ]; then # the profile's bounds, the same 50 phones
		conf=$cache/soak-profile.conf
		cat "$soak_profile" "$cache/devices50.conf" >"$conf"
		chmod 600 "$conf"
		bounds="bounds of $(basename "$soak_profile")"
	fi
	out=$cache/soak-$(date +%Y%m%d-%H%M%S).tsv
	(
		# shellcheck source=../tests/lab/lab.sh
		. "$root/tests/lab/lab.sh"
		lab_up
		lab_phone phone1 02:10:00:00:00:01 192.0.2.250
		local db=$LAB_DIR/soak.db pid rp t0 now n=0
		lab_bg "$LAB_AP" "$LAB_DIR/soak.log" "$daemon" -i br0 --db "$db" -c "$conf"
		pid=${LAB_PIDS[-1]}
		for _ in $(seq 100); do
			grep -qs "capturing on" "$LAB_DIR/soak.log" && break
			sleep 0.1
		done
		echo
		echo "== soak: $soak_minutes min at $soak_pps pps (tcpreplay --loop=0 --unique-ip over" \
			"$(basename "$mf"), $(basename "$up"), $(basename "$ho")); leakwatchd -i br0," \
			"$bounds, 50 devices; load $(cut -d' ' -f1-3 /proc/loadavg)"
		lab_bg "$LAB_ID-phone1" "$LAB_DIR/soak.tcpreplay" tcpreplay -i eth0 \
			--pps="$soak_pps" --loop=0 --unique-ip --duration=$((soak_minutes * 60)) \
			"$mf" "$up" "$ho"
		rp=${LAB_PIDS[-1]}
		printf 'min\trss_kb\thwm_kb\tpackets\tdropped\tflows_active\tflows_evicted\tnames_evicted\tdb_mb\n' >"$out"
		t0=$SECONDS
		while kill -0 "$rp" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do
			sleep "$soak_every"
			now=$(((SECONDS - t0) / 60))
			printf '%s\t%s\t%s\t%s\t%s\n' "$now" \
				"$(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status 2>/dev/null)" \
				"$(awk '/^VmHWM/ {print $2}' /proc/"$pid"/status 2>/dev/null)" \
				"$(sqlite3 -separator "$(printf '\t')" "file:$db?mode=ro" \
					'SELECT packets, dropped, flows_active, flows_evicted, names_evicted
					 FROM stats ORDER BY ts DESC LIMIT 1' 2>/dev/null)" \
				"$(($(stat -c %s "$db" 2>/dev/null || echo 0) / 1048576))" >>"$out"
			n=$((n + 1))
		done
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		tail -n 4 "$LAB_DIR/soak.tcpreplay" | sed 's/^/   tcpreplay: /'
		$py - "$out" <<'PY'
import sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])][1:]
rows = [r for r in rows if len(r) >= 9 and r[1]]
if not rows:
    sys.exit("   no samples")
rss = [int(r[1]) for r in rows]
warm = len(rows) // 10  # the first tenth is warm-up: the tables fill to their bounds
tail = rss[warm:]
print(f"   samples {len(rows)} over {rows[-1][0]} min; packets {rows[-1][3]}, kernel drops "
      f"{rows[-1][4]}, flows evicted {rows[-1][6]}, names evicted {rows[-1][7]}, db {rows[-1][8]} MB")
print(f"   RSS after warm-up (from minute {rows[warm][0]}): min {min(tail) / 1024:.1f} MB, "
      f"max {max(tail) / 1024:.1f} MB, first {tail[0] / 1024:.1f} MB, last {tail[-1] / 1024:.1f} MB; "
      f"peak (VmHWM) {int(rows[-1][2]) / 1024:.1f} MB")
step = max(1, len(rows) // 12)
print("   min  RSS MB  flows_active")
for r in rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else []):
    print(f"   {r[0]:>4} {int(r[1]) / 1024:7.1f} {r[5]:>12}")
PY
		echo "   (samples: $out)"
	)
}

# --- profile ---------------------------------------------------------------------------------

profile() {
	local f out
	f=$(capture home)
	configs
	out=$cache/profile-home.txt
	db_reset
	if perf record -e cpu-clock -F 4999 -o "$cache/perf.data" -- true >/dev/null 2>&1; then
		perf record -e cpu-clock -F 4999 -o "$cache/perf.data" -- \
			"$daemon" -q -r "$f" --db "$cache/run.db" -c "$cache/devices50.conf" \
			>/dev/null 2>"$cache/perf.log"
		perf report -i "$cache/perf.data" --no-children --stdio --sort symbol \
			--percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' >"$out"
		echo
		echo "== profile: leakwatchd -r on the home mix, 50 devices (perf, cpu-clock samples)"
	else
		local small
		small=$(capture home 0.05)
		valgrind --tool=callgrind --callgrind-out-file="$cache/callgrind.out" \
			"$daemon" -q -r "$small" --db "$cache/run.db" -c "$cache/devices50.conf" \
			>/dev/null 2>&1
		callgrind_annotate "$cache/callgrind.out" 2>/dev/null | head -n 60 >"$out"
		echo
		echo "== profile: leakwatchd -r on the home mix (scale 0.05), 50 devices (callgrind)"
	fi
	head -n 30 "$out"
	echo "   (full report: $out)"
	db_reset
}

# --- main ------------------------------------------------------------------------------------

case $what in
home | upload | manyflows)
	build
	mkdir -p "$cache"
	offline "$what"
	;;
live)
	build
	mkdir -p "$cache"
	live
	;;
soak)
	build
	mkdir -p "$cache"
	soak
	;;
profile)
	build
	mkdir -p "$cache"
	profile
	;;
all)
	build
	mkdir -p "$cache"
	offline home
	offline upload
	offline manyflows
	live
	profile
	;;
smoke)
	[ -n "$gen" ] && [ -n "$loop" ] && [ -n "$daemon" ] || usage
	command -v sqlite3 >/dev/null || { echo "smoke: needs sqlite3"; exit 77; }
	[ -x /usr/bin/time ] || { echo "smoke: needs /usr/bin/time (package time)"; exit 77; }
	cache=$(mktemp -d /tmp/leakwatch-bench-smoke.XXXXXX)
	trap 'rm -rf "$cache"' EXIT
	scale=0.002
	rounds=1
	out=$cache/out.txt
	for m in home upload manyflows; do
		offline "$m" | tee -a "$out"
	done
	# the runner worked if every mix has a leakwatchd row with a ratio, and leakwatchd read
	# every packet the loop counted
	ok=1
	for m in home upload manyflows; do
		grep -A8 "^== $m:" "$out" | grep -Eq "leakwatchd -r, 50 devices +[0-9.]+ +[0-9.]+ +[0-9.]+" ||
			{ echo "smoke: no leakwatchd timing for $m"; ok=0; }
		want=$(meta "$(ls "$cache/$m"-*.pcap | head -n1)" packets)
		grep -A12 "^== $m:" "$out" | grep -q "lw-50: stats.packets $want," ||
			{ echo "smoke: leakwatchd did not count $want packets for $m"; ok=0; }
	done
	if [ -n "$scan" ]; then
		grep -Eq "detect [0-9.]+ s cpu = [0-9.]+ Gbit/s" "$out" ||
			{ echo "smoke: no scan result for upload"; ok=0; }
		grep -Eq "leaks [1-9][0-9]* \(known [1-9]" "$out" ||
			{ echo "smoke: the engine found no enrolled identifier in the upload mix"; ok=0; }
	fi
	[ $ok -eq 1 ] && echo "smoke: ok" || exit 1
	;;
*) usage ;;
esac
