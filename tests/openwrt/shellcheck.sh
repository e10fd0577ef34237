#!/bin/sh
# Every shell file of the OpenWrt package passes shellcheck as POSIX sh (busybox ash runs
# them); the Debian package's test as bash.  Skipped (77) without shellcheck.
# Usage: shellcheck.sh SOURCE_ROOT
set -u
src=$1
command -v shellcheck >/dev/null || {
	echo "skip: needs shellcheck (package shellcheck)"
	exit 77
}
fail=0
for f in "$src"/openwrt/leakwatch/files/leakwatch.init "$src"/openwrt/leakwatch/files/leakwatch-uci2ini \
	"$src"/openwrt/leakwatch/oui-compact.sh "$src"/tests/openwrt/*.sh; do
	if shellcheck -s sh -x -P "$src/tests/openwrt" "$f"; then
		echo "ok   shellcheck -s sh ${f#"$src"/}"
	else
		echo "FAIL shellcheck -s sh ${f#"$src"/}"
		fail=1
	fi
done
if shellcheck -x -S warning -e SC2034 -P "$src/tests/package" "$src/tests/package/package.sh"; then
	echo "ok   shellcheck -S warning tests/package/package.sh"
else
	echo "FAIL shellcheck -S warning tests/package/package.sh"
	fail=1
fi
exit $fail
