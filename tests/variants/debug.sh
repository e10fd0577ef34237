#!/usr/bin/env bash
# The full build at -O0 (-Dbuildtype=debug, -Dwerror=true; every optional part whose library is
# installed), compiled only: it once failed to link for want of libm, and gcc warns at -O0 of
# things it does not see when optimising (a format truncation in mqtt.c).  build-monitor-only
# covers -O0 without the optional parts.  Plain build only.  About a minute on 2 busy cores;
# a second run reuses the directory.
#   debug.sh SOURCE_DIR BUILD_DIR B_SANITIZE
set -uo pipefail
src=$1 dir=$2 sanitize=${3:-none}
# shellcheck source=variant-lib.sh
. "$(dirname "$0")/variant-lib.sh"

if [ "$sanitize" != none ]; then
	echo "SKIP: runs in the plain build only (it makes a plain build of its own)"
	exit 77
fi
opts=(-Dbuildtype=debug -Dwerror=true)
t0=$SECONDS
variant_build "$src" "$dir" "the -O0 build" "${opts[@]}" || exit 1
echo "ok   -Dbuildtype=debug configured and compiled in $((SECONDS - t0)) s"
"$dir/daemon/leakwatchd" -V | sed -n 's/^/     /p'
