#!/usr/bin/env bash
# The cross builds: for each architecture (LEAKWATCH_CROSS_ARCHES, default "arm64 armhf"), the
# tree set up with its cross file (cross/*.ini: Debian's cross compilers, the target's
# multiarch libraries, qemu-user as meson's exe_wrapper) in BUILD_ROOT/cross-ARCH, compiled
# with -Dwerror=true, and its `unit` and `golden` suites run under qemu-user.  Fails if a
# setup, a compile or a test fails; prints the time each architecture took (setup, compile,
# tests).  What is missing is installed first (scripts/install-cross.sh); a machine where that
# cannot be done (not root, no network to the Debian archive) skips (77), saying what is missing.
# The plain build only: the sanitizer build skips (the cross builds are plain builds of their
# own, and one run of them is enough).
#   cross.sh SOURCE_ROOT [B_SANITIZE [BUILD_ROOT]]
set -uo pipefail
# It runs beside the VM tests (is_parallel in tests/cross/meson.build): at a lower CPU priority,
# so the guests' timings are theirs
renice -n 10 $$ >/dev/null
src=$(realpath "$1") sanitize=${2:-none} build_root=${3:-$src/build}
read -r -a arches <<<"${LEAKWATCH_CROSS_ARCHES:-arm64 armhf}"

skip() {
	echo "skip: $*"
	exit 77
}

[ "$sanitize" = none ] || skip "runs in the plain build only (the cross builds are builds of their own)"

declare -A triplet=([arm64]=aarch64-linux-gnu [armhf]=arm-linux-gnueabihf)
declare -A qemu=([arm64]=qemu-aarch64 [armhf]=qemu-arm)
for a in "${arches[@]}"; do
	[ -n "${triplet[$a]:-}" ] || { echo "FAIL unknown architecture $a (arm64, armhf)"; exit 1; }
done

t=$SECONDS
if ! out=$("$src/scripts/install-cross.sh" "${arches[@]}" 2>&1); then
	echo "$out"
	skip "the cross packages could not be installed (scripts/install-cross.sh ${arches[*]} failed)"
fi
[ -n "$out" ] && echo "$out"
echo "install-cross: $((SECONDS - t)) s"
for a in "${arches[@]}"; do
	for p in "${qemu[$a]}" "${triplet[$a]}-gcc" "${triplet[$a]}-pkg-config"; do
		command -v "$p" >/dev/null || skip "no $p for $a"
	done
done

failed=()
times=()
for a in "${arches[@]}"; do
	dir=$build_root/cross-$a
	start=$SECONDS
	echo "== $a (${triplet[$a]}): $dir"
	if [ -f "$dir/build.ninja" ]; then
		setup=(meson setup --reconfigure)
	else
		setup=(meson setup)
	fi
	if ! "${setup[@]}" "$dir" "$src" --cross-file "$src/cross/${triplet[$a]}.ini" \
		-Dwerror=true >"$dir.setup.log" 2>&1; then
		cat "$dir.setup.log"
		echo "FAIL $a: meson setup"
		failed+=("$a:setup")
		continue
	fi
	grep -E '^ +(phonenumber|mqtt) *:' "$dir.setup.log" | sed "s/^ */$a: /"
	t_setup=$((SECONDS - start))
	if ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
		tail -n 60 "$dir.compile.log"
		echo "FAIL $a: meson compile (log: $dir.compile.log)"
		failed+=("$a:compile")
		continue
	fi
	t_compile=$((SECONDS - start - t_setup))
	# qemu-user runs the target's code several times slower than the host's: more time each
	meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 \
		--timeout-multiplier 3 --suite unit --suite golden >"$dir.test.log" 2>&1
	rc=$?
	grep -E '^(Ok|Fail|Skipped|Timeout|Unexpected Pass|Expected Fail):' "$dir.test.log" |
		tr -s ' \n' ' ' | sed "s/^/$a: /;s/ *$/\n/"
	t_test=$((SECONDS - start - t_setup - t_compile))
	if [ $rc -ne 0 ]; then
		grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$dir.test.log"
		sed -n '/^=* *[0-9]*\/[0-9]* .*FAIL/,/^===*$/p' "$dir.test.log" | tail -n 80
		echo "FAIL $a: meson test (log: $dir/meson-logs/testlog.txt)"
		failed+=("$a:test")
	fi
	times+=("$a: $((SECONDS - start)) s (setup $t_setup s, compile $t_compile s, unit+golden under ${qemu[$a]} $t_test s)")
done

echo "times:"
printf '  %s\n' "${times[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAIL ${failed[*]}"
	exit 1
fi
echo "ok ${arches[*]}: unit and golden suites pass under qemu-user"
