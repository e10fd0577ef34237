#!/usr/bin/env bash
# The test command: installs what is missing, builds twice with meson (a plain build with
# -Dwerror=true, and an ASan+UBSan build), runs every suite in both, and ends with the line
# "N passed, N failed, N skipped".  Run as root: the lab tests need network namespaces.
#   scripts/test.sh                 everything
#   scripts/test.sh --suite unit    one suite (any `meson test` arguments are passed on)
# Environment (for tests/fresh, which runs this inside a fresh root):
#   LEAKWATCH_TEST_NO_SUITES="a b"  leave these suites out (meson test --no-suite)
#   LEAKWATCH_TEST_BUILDS=plain     the plain build only (default "plain asan")
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --tests || exit 1

setup() {
	local dir=$1
	shift
	# (reconfigured when it exists: scripts/run.sh may have set it up without these options,
	# before the test packages were installed, so without the programs the tests look for)
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || return 1
	else
		meson setup --reconfigure "$dir" "$@" >/dev/null || return 1
	fi
	meson compile -C "$dir" >"$dir.compile.log" 2>&1 || {
		cat "$dir.compile.log"
		return 1
	}
}

builds=${LEAKWATCH_TEST_BUILDS:-plain asan}
no_suites=()
for s in ${LEAKWATCH_TEST_NO_SUITES:-}; do
	no_suites+=(--no-suite "$s")
done
asan=0
[[ " $builds " == *" asan "* ]] && asan=1

status=0
setup build -Dwerror=true || status=1
[ $asan = 1 ] &&
	{ setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false || status=1; }
if [ $status -ne 0 ]; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# The sanitizer build runs every suite but the slow whole-corpus run and the benchmarks'
# smoke checks, which run once, in the plain build.
meson test -C build --no-rebuild --print-errorlogs --num-processes 2 "${no_suites[@]}" "$@"
logs=(build/meson-logs/testlog.json)
if [ $asan = 1 ]; then
	meson test -C build-asan --no-rebuild --print-errorlogs --num-processes 2 \
		--no-suite style "${no_suites[@]}" "$@"
	logs+=(build-asan/meson-logs/testlog.json)
fi

python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        print(f"no test log: {path}")
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)
        res = r.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"FAILED: {path.split('/')[0]}: {r.get('name')} ({res})")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
