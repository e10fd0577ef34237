#!/usr/bin/env bash
# The full build at -O0 (-Dbuildtype=debug, -Dwerror=true; every optional part whose library is
# installed), compiled only: it once failed to link for want of libm, and gcc warns at -O0 of
# things it does not see when optimising (a format truncation in mqtt.c).  build-monitor-only
# covers -O0 without the optional parts.  Plain build only.  About a minute on 2 busy cores;
# a second run reuses the directory.
#   debug.sh SOURCE_DIR BUILD_DIR B_SANITIZE
set -uo pipefail
src=$1 dir=$2 sanitize=${3:-none}

if [ "$sanitize" != none ]; then
	echo "SKIP: runs in the plain build only (it makes a plain build of its own)"
	exit 77
fi
opts=(-Dbuildtype=debug -Dwerror=true)
t0=$SECONDS
if [ -f "$dir/build.ninja" ]; then
	meson setup --reconfigure "$dir" "$src" "${opts[@]}" >"$dir.setup.log" 2>&1
else
	mkdir -p "$(dirname "$dir")"
	meson setup "$dir" "$src" "${opts[@]}" >"$dir.setup.log" 2>&1
fi || {
	cat "$dir.setup.log"
	echo "FAIL: meson setup -Dbuildtype=debug"
	exit 1
}
if ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
	grep -E 'error|FAILED|undefined reference' "$dir.compile.log" | head -n 40
	echo "FAIL: compiling the -O0 build (log: $dir.compile.log)"
	exit 1
fi
echo "ok   -Dbuildtype=debug configured and compiled in $((SECONDS - t0)) s"
"$dir/daemon/leakwatchd" -V | sed -n 's/^/     /p'
