#!/usr/bin/env bash
# The router profile's memory bound, lab-free (meson test router-rss, suite bench):
#   bench/router-rss.sh GEN LEAKWATCHD PROFILE [LIMIT_KB] [SANITIZE]
# Generates small captures of the home, upload and many-flows mixes (bench/gen), replays each
# with `leakwatchd -r` under PROFILE (config/leakwatch-router.conf) plus the 50 phones' [device]
# sections, and fails if the peak resident memory (/usr/bin/time %M: getrusage maxrss) passes
# LIMIT_KB (default 32768).  The upload mix is also replayed with the default configuration:
# the profile must find at least 95 % of its leak rows of each kind.  Memory is asserted, never
# a time.  A sanitizer build (its shadow memory) is skipped.
set -uo pipefail
gen=$1 daemon=$2 profile=$3 limit=${4:-32768} sanitize=${5:-none}
[ "$sanitize" = none ] || { echo "router-rss: sanitizer build ($sanitize): RSS not comparable"; exit 77; }
command -v sqlite3 >/dev/null || { echo "router-rss: needs sqlite3"; exit 77; }
[ -x /usr/bin/time ] || { echo "router-rss: needs /usr/bin/time (package time)"; exit 77; }
dir=$(mktemp -d /tmp/leakwatch-router-rss.XXXXXX)
trap 'rm -rf "$dir"' EXIT

"$gen" config "$dir/devices.conf" -n 50 >/dev/null || exit 1
# the profile with the phones; stats every 10 s of capture time (gen's setting)
cat "$profile" "$dir/devices.conf" >"$dir/router.conf"
chmod 600 "$dir/router.conf" "$dir/devices.conf"

ok=1
run() { # run TAG CONF PCAP: prints the peak RSS in KiB
	rm -f "$dir/$1.db" "$dir/$1.db-wal" "$dir/$1.db-shm"
	# (without meson's MALLOC_PERTURB_: glibc then fills every block it hands out, which makes
	# pages resident that the daemon never touches, ~3 MB here)
	env -u MALLOC_PERTURB_ /usr/bin/time -f %M -o "$dir/$1.rss" "$daemon" -q -r "$3" --db "$dir/$1.db" -c "$2" \
		>"$dir/$1.log" 2>&1 || { echo "router-rss: $1: leakwatchd failed:"; tail -5 "$dir/$1.log"; return 1; }
	tail -n1 "$dir/$1.rss"
}
kinds() { sqlite3 "$dir/$1.db" "SELECT kind, sum(leaks) FROM daily_leaks GROUP BY kind"; }

for m in home:0.02 upload:0.03 manyflows:0.05; do
	mix=${m%%:*} scale=${m#*:}
	"$gen" "$mix" "$dir/$mix.pcap" -s "$scale" >/dev/null || exit 1
	rss=$(run "r-$mix" "$dir/router.conf" "$dir/$mix.pcap") || { ok=0; continue; }
	echo "$mix (scale $scale): peak RSS ${rss} KiB with the router profile (limit $limit)"
	[ "$rss" -le "$limit" ] || { echo "router-rss: $mix: ${rss} KiB > $limit"; ok=0; }
done

# detection kept: per kind, the profile's leaks >= 95 % of the default configuration's
rss=$(run d-upload "$dir/devices.conf" "$dir/upload.pcap") || exit 1
echo "upload: peak RSS ${rss} KiB with the default configuration"
kinds d-upload >"$dir/d.kinds"
kinds r-upload >"$dir/r.kinds"
while IFS='|' read -r kind n; do
	r=$(sed -n "s/^$kind|//p" "$dir/r.kinds")
	echo "  $kind: default $n, router ${r:-0}"
	[ $(( ${r:-0} * 100 )) -ge $(( n * 95 )) ] || { echo "router-rss: $kind: ${r:-0} < 95 % of $n"; ok=0; }
done <"$dir/d.kinds"
[ -s "$dir/d.kinds" ] || { echo "router-rss: the default configuration found no leaks"; ok=0; }
r=$(sqlite3 "$dir/r-upload.db" "SELECT max(buffer_refused) || ' ' || max(buffer_peak_kb) FROM stats")
echo "upload with the router profile: stats.buffer_refused, buffer_peak_kb: $r"
[ $ok -eq 1 ] && echo "router-rss: ok" || exit 1
