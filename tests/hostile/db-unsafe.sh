#!/usr/bin/env bash
# Hostile test: a database path someone else prepared.  `--db` naming a symbolic link (to a
# file that does not exist yet, and to one that does), a file made beforehand with mode 0666
# or 0644, one owned by another user, or a database whose -wal file is a link.  Should be:
# refused with one line naming the problem and exit status 73; nothing is created or written
# through the link or into the file; a fresh path still works and is created 0600.  The
# daemon reads a capture (-r) with a config that enrolls an identifier, so a database it
# accepted would hold one.
#   db-unsafe.sh LEAKWATCHD CAPTURE
set -uo pipefail
daemon=$(realpath "$1")
capture=$(realpath "$2")
[ "$(id -u)" -eq 0 ] || { echo "needs root (files of another user)"; exit 77; }
dir=$(mktemp -d /tmp/leakwatch-dbunsafe.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 0700 "$dir"
fail=0
printf '[device 3c:22:fb:12:34:56]\nimei = 490154203237518\n' >"$dir/lw.conf"
chmod 0600 "$dir/lw.conf"

expect() { # expect DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then
		echo "ok   $1"
	else
		printf 'FAIL %s\n  expected: %s\n  got:      %s\n' "$1" "$3" "$2"
		fail=1
	fi
}

refused=0
tried=0
written=0
# try NAME DB NEEDLE: leakwatchd must refuse DB with one line holding NEEDLE, exit 73
try() {
	local err rc lines
	err=$("$daemon" -q -r "$capture" --db "$2" -c "$dir/lw.conf" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	tried=$((tried + 1))
	[ "$rc" = 73 ] && refused=$((refused + 1))
	expect "$1: exit status 73" "$rc" 73
	expect "$1: one line naming the problem" "$lines $(printf '%s' "$err" | grep -c -- "$3")" "1 1"
	echo "     $err"
}

ln -s "$dir/target.db" "$dir/link.db"
try "a link to a path not there" "$dir/link.db" "symbolic link"
expect "nothing created through the link" "$(test -e "$dir/target.db" && echo yes || echo no)" no

: >"$dir/existing.db"
chmod 0600 "$dir/existing.db"
ln -s "$dir/existing.db" "$dir/link2.db"
try "a link to an existing file" "$dir/link2.db" "symbolic link"
[ -s "$dir/existing.db" ] && written=$((written + 1))
expect "nothing written through the link" "$(stat -c %s "$dir/existing.db")" 0

for mode in 0666 0644 0640; do
	: >"$dir/m$mode.db"
	chmod $mode "$dir/m$mode.db"
	try "a file made beforehand with mode $mode" "$dir/m$mode.db" "chmod 0600"
	[ -s "$dir/m$mode.db" ] && written=$((written + 1))
	expect "mode $mode file left empty" "$(stat -c %s "$dir/m$mode.db")" 0
done

: >"$dir/theirs.db"
chmod 0600 "$dir/theirs.db"
chown 65534:65534 "$dir/theirs.db"
try "a file of another user" "$dir/theirs.db" "owned by uid 65534"
[ -s "$dir/theirs.db" ] && written=$((written + 1))

ln -s "$dir/walsink" "$dir/wal.db-wal"
try "a -wal file that is a link" "$dir/wal.db" "-wal file is a symbolic link"
expect "nothing written through the -wal link" "$(test -e "$dir/walsink" && echo yes || echo no)" no

"$daemon" -q -r "$capture" --db "$dir/fresh.db" -c "$dir/lw.conf"
rc=$?
expect "a fresh path works" "$rc" 0
expect "and is created 0600" "$(stat -c %a "$dir/fresh.db")" 600
expect "it holds the enrolled identifier" \
	"$(sqlite3 "$dir/fresh.db" "SELECT count(*) FROM identifiers" 2>/dev/null)" 1
echo "figures: unsafe database paths refused: $refused of $tried (exit 73 each); files written through a link or into a file others can read: $written"
exit $fail
