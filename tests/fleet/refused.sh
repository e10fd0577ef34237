#!/usr/bin/env bash
# A leakwatchd built without the fleet (meson option fleet) refuses [fleet] enabled = yes at
# start: exit 78 and a line naming the option.
#   refused.sh LEAKWATCHD CAPTURE
set -uo pipefail
dir=$(mktemp -d /tmp/leakwatch-fleet-refused.XXXXXX)
trap 'rm -rf "$dir"' EXIT
printf '[fleet]\nenabled = yes\nap_id = ap1\n' >"$dir/fleet.conf"
"$1" -q -c "$dir/fleet.conf" -r "$2" --db "$dir/x.db" 2>"$dir/err"
rc=$?
if [ $rc = 78 ] && grep -q "built without the fleet (meson option fleet)" "$dir/err"; then
	echo "ok   refused: $(cat "$dir/err")"
	exit 0
fi
echo "FAIL exit $rc: $(cat "$dir/err")"
exit 1
