#!/usr/bin/env bash
# The unit is valid (systemd-analyze verify prints nothing), its exposure score is 2.0 or
# lower ("OK"), the sysusers and tmpfiles files apply to an empty root, and the man pages
# format without warnings.  With LEAKWATCH_PUSH (the fleet part built), leakwatch-push.service
# too: valid, exposure 2.0 or lower, no capability at all.
#   test-unit.sh SYSTEMD_DIR LEAKWATCHD MAN_DIR [LEAKWATCH_PUSH]
set -uo pipefail
src=$1 daemon=$(realpath "$2") man=$3 push=${4:-}
command -v systemd-analyze >/dev/null || { echo "needs systemd-analyze (package systemd)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0

# verify checks that ExecStart's program exists: point it at the one just built
sed -e "s|/usr/sbin/leakwatchd|$daemon|" "$src/leakwatch.service" >"$dir/leakwatch.service"
out=$(systemd-analyze verify --man=no "$dir/leakwatch.service" 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then
	echo "ok   systemd-analyze verify: clean"
else
	echo "FAIL systemd-analyze verify:"
	echo "$out"
	fail=1
fi

out=$(systemd-analyze security --offline=true "$src/leakwatch.service" 2>&1)
score=$(echo "$out" | sed -n 's/.*Overall exposure level for leakwatch.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
if [ -n "$score" ] && awk -v s="${score% *}" 'BEGIN { exit !(s <= 2.0) }'; then
	echo "ok   exposure score $score (2.0 or lower)"
else
	echo "FAIL exposure score '${score:-none}' (want 2.0 or lower):"
	echo "$out" | grep "✗"
	fail=1
fi
# the service holds no capability but these two
caps=$(echo "$out" | grep -c "✗ CapabilityBoundingSet")
[ "$caps" -eq 2 ] && echo "ok   only CAP_NET_ADMIN and CAP_NET_RAW remain" ||
	{ echo "FAIL capabilities:"; echo "$out" | grep "✗ CapabilityBoundingSet"; fail=1; }

if [ -n "$push" ]; then
	sed -e "s|/usr/bin/leakwatch-push|$(realpath "$push")|" "$src/leakwatch-push.service" \
		>"$dir/leakwatch-push.service"
	out=$(systemd-analyze verify --man=no "$dir/leakwatch-push.service" 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ] && echo "ok   leakwatch-push.service: systemd-analyze verify: clean" ||
		{ echo "FAIL leakwatch-push.service: systemd-analyze verify:"; echo "$out"; fail=1; }
	out=$(systemd-analyze security --offline=true "$src/leakwatch-push.service" 2>&1)
	score=$(echo "$out" | sed -n 's/.*Overall exposure level for leakwatch-push.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
	caps=$(echo "$out" | grep -c "✗ CapabilityBoundingSet")
	if [ -n "$score" ] && awk -v s="${score% *}" 'BEGIN { exit !(s <= 2.0) }' && [ "$caps" -eq 0 ]; then
		echo "ok   leakwatch-push.service: exposure score $score, no capability"
	else
		echo "FAIL leakwatch-push.service: exposure score '${score:-none}' (want 2.0 or lower, no capability):"
		echo "$out" | grep "✗"
		fail=1
	fi
else
	echo "skip leakwatch-push.service: the fleet part is not built"
fi

# sysusers and tmpfiles against an empty root: the user exists, the directories are private
mkdir -p "$dir/root/etc/leakwatch"
chmod 0755 "$dir/root/etc/leakwatch"
touch "$dir/root/etc/leakwatch/leakwatch.conf"
if systemd-sysusers --root="$dir/root" "$(realpath "$src/leakwatch.sysusers.conf")" >/dev/null 2>&1 &&
	grep -q '^leakwatch:' "$dir/root/etc/passwd" &&
	systemd-tmpfiles --root="$dir/root" --create "$(realpath "$src/leakwatch.tmpfiles.conf")" 2>/dev/null &&
	[ "$(stat -c %a "$dir/root/var/lib/leakwatch")" = 700 ] &&
	[ "$(stat -c %a "$dir/root/etc/leakwatch/leakwatch.conf")" = 600 ]; then
	echo "ok   sysusers creates the user; tmpfiles makes its directory and config private"
else
	echo "FAIL sysusers/tmpfiles"
	fail=1
fi

if command -v man >/dev/null && command -v groff >/dev/null; then
	for page in "$man"/leakwatchd.8 "$man"/leakwatch.1; do
		warn=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
		[ -z "$warn" ] && echo "ok   $(basename "$page") formats cleanly" ||
			{ echo "FAIL $(basename "$page"):"; echo "$warn"; fail=1; }
	done
fi
exit $fail
