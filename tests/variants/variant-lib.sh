# shellcheck shell=bash
# What the build-variant tests share: a build directory of their own set up (or reconfigured,
# when a previous run left it) and compiled.  Sourced by debug.sh and monitor-only.sh.
# They run beside the VM tests (tests/variants/meson.build): at a lower CPU priority, so the
# guests' timings are theirs.
renice -n 10 $$ >/dev/null

# variant_build SOURCE_DIR BUILD_DIR WHAT MESON_OPTION...: 0, or 1 after printing the log's end
# and "FAIL: WHAT: meson setup|compile"
variant_build() {
	local src=$1 dir=$2 what=$3
	shift 3
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$src" "$@" >"$dir.setup.log" 2>&1
	else
		mkdir -p "$(dirname "$dir")"
		meson setup "$dir" "$src" "$@" >"$dir.setup.log" 2>&1
	fi || {
		cat "$dir.setup.log"
		echo "FAIL: $what: meson setup"
		return 1
	}
	meson compile -C "$dir" >"$dir.compile.log" 2>&1 || {
		grep -E 'error|FAILED|undefined reference' "$dir.compile.log" | head -n 40
		echo "FAIL: $what: compiling (log: $dir.compile.log)"
		return 1
	}
}
