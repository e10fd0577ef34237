#!/bin/sh
# shellcheck disable=SC2034
# (SC2034: fail and tmp are the sourcing test's)
# The OpenWrt tests' prologue (source it; POSIX sh, busybox ash too): a temporary directory
# $tmp removed on exit, $fail, and check DESCRIPTION COMMAND... printing ok or FAIL.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
	what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		fail=1
	fi
}
