#!/usr/bin/env bash
# The main job: installs what is missing, builds with meson, then
#   scripts/run.sh BRIDGE   runs leakwatchd on that bridge (Ctrl-C / SIGTERM to stop), or
#   scripts/run.sh          runs the self-contained demo (scripts/demo.sh).
# Environment: LEAKWATCH_DB (database path), LEAKWATCH_CONFIG (config file, if any).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ $# -eq 0 ]; then
	scripts/install-deps.sh --demo
else
	scripts/install-deps.sh
fi
echo "run.sh: building with meson in build/" >&2
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null
if [ $# -eq 0 ]; then
	exec scripts/demo.sh
fi
db=${LEAKWATCH_DB:-/var/lib/leakwatch/leakwatch.db}
mkdir -p "$(dirname "$db")"
args=(-i "$1" --db "$db")
[ -n "${LEAKWATCH_CONFIG:-}" ] && args+=(-c "$LEAKWATCH_CONFIG")
exec build/daemon/leakwatchd "${args[@]}"
