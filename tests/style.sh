#!/usr/bin/env bash
# Fails when a tracked C file differs from what clang-format makes of it.  (Files in batches,
# two clang-format processes at once: one process per file took ~25 s on a loaded machine.)
cd "$1" || exit 2
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
out=$(printf '%s\n' "$files" | xargs -r -d '\n' -n 32 -P 2 clang-format --dry-run -Werror 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	# clang-format names each file "path:line:col: error: code should be clang-formatted"
	bad=$(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error:.*/\1/p' | sort -u)
	[ -n "$bad" ] || { printf '%s\n' "$out"; exit 1; }
	for f in $bad; do
		echo "not formatted: $f (run: clang-format -i $f)"
	done
	exit 1
fi
exit 0
