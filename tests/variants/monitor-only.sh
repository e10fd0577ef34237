#!/usr/bin/env bash
# A router's smallest build (issue #16): every optional part left out (-Dauto_features=disabled
# and each option named), at -O0 (-Dbuildtype=debug: the build once failed to link there for
# want of libm), in a second build directory beside this one.  It must configure and compile
# with only libpcap, sqlite3, libcrypto, zlib and inih (+ threads, libm); its unit and golden
# suites must pass; and leakwatchd and leakwatch must need no other shared library (readelf -d)
# and say what was left out (leakwatchd -V).  Plain build only (a sanitizer build skips: the
# second build would be a plain one again).  About 2 to 4 minutes on 2 busy cores, most of it
# the unit suite's store tests at -O0; a second run reuses the directory.
#   monitor-only.sh SOURCE_DIR BUILD_DIR B_SANITIZE
set -uo pipefail
src=$1 dir=$2 sanitize=${3:-none}
# shellcheck source=variant-lib.sh
. "$(dirname "$0")/variant-lib.sh"

skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}
[ "$sanitize" = none ] || skip "runs in the plain build only (it makes a plain build of its own)"
command -v readelf >/dev/null || skip "needs readelf (package binutils)"

opts=(-Dauto_features=disabled -Dbuildtype=debug -Dwerror=true -Dtests=enabled
	-Dblock=disabled -Dnetlink=disabled -Dbrotli=disabled -Dcapng=disabled -Dseccomp=disabled
	-Dh2c=disabled -Dmqtt=disabled -Dphonenumber=disabled -Dbench=disabled -Dfuzzing=disabled
	-Dfleet=disabled)
t0=$SECONDS
variant_build "$src" "$dir" "the monitor-only build" "${opts[@]}" || exit 1
echo "ok   configured and compiled in $((SECONDS - t0)) s"

# what leakwatchd says of itself
v=$("$dir/daemon/leakwatchd" -V) || fail "leakwatchd -V"
echo "     ${v//$'\n'/$'\n'     }"
grep -qx "features: -" <<<"$v" || fail "leakwatchd -V names parts it should not have"
for part in block netlink brotli capng seccomp h2c mqtt phonenumber; do
	grep -q "^left out:.* $part\b\|^left out: $part\b" <<<"$v" || fail "-V does not list $part as left out"
done

# a configuration asking for a part left out: one error line, exit 78 (EX_CONFIG), no database
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[block]\nenabled = yes\n' >"$tmp/block.conf"
"$dir/daemon/leakwatchd" -r "$src/tests/golden/cases/dns_http.pcap" --db "$tmp/x.db" \
	-c "$tmp/block.conf" 2>"$tmp/err"
rc=$?
if [ $rc = 78 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "meson option block" "$tmp/err" &&
	[ ! -e "$tmp/x.db" ]; then
	echo "ok   [block] enabled = yes refused: exit 78, \"$(cat "$tmp/err")\""
else
	fail "[block] enabled = yes: exit $rc, stderr: $(cat "$tmp/err")"
fi

# the shared libraries: the five, and the C library's own
status=0
for exe in daemon/leakwatchd cli/leakwatch; do
	needed=$(readelf -d "$dir/$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	extra=$(grep -Ev '^(libpcap|libsqlite3|libcrypto|libz|libinih|libc|libm|libpthread|libdl|librt|libgcc_s|ld-linux[-a-z0-9_]*)\.so' <<<"$needed")
	echo "     $exe needs: $(tr '\n' ' ' <<<"$needed")"
	if [ -n "$extra" ]; then
		echo "FAIL $exe needs more than the monitor-only libraries: $(tr '\n' ' ' <<<"$extra")"
		status=1
	fi
done
[ $status = 0 ] && echo "ok   leakwatchd and leakwatch need only libpcap, sqlite3, libcrypto, zlib, inih and libc's"

# its unit and golden suites
t1=$SECONDS
meson test -C "$dir" --no-rebuild --num-processes 2 --suite unit --suite golden \
	>"$dir.test.log" 2>&1
rc=$?
grep -E '^(Ok|Fail|Skipped|Timeout):' "$dir.test.log" | sed 's/^/     /'
if [ $rc -ne 0 ]; then
	grep -E ' (FAIL|TIMEOUT) ' "$dir.test.log"
	fail "the monitor-only build's unit or golden suite (log: $dir/meson-logs/testlog.txt)"
fi
echo "ok   unit and golden suites in $((SECONDS - t1)) s (total $((SECONDS - t0)) s)"
exit $status
