#!/usr/bin/env bash
# The README's two commands on a fresh machine: a minimal Debian root of the host's release
# (debootstrap --variant=minbase, nothing else; cached pristine in /var/tmp/leakwatch-fresh and
# used under an overlay, so every run starts from the same untouched root), a `git clone` of
# this tree's HEAD in /root/leakwatch with ../shared beside it (read-only), and in that root
# (a chroot in a mount namespace of its own, with /proc, /sys, /dev and /run), as root with a
# login's bare environment:
#   scripts/run.sh      the demo (no bridge): it must install what it needs and print the
#                       Nokia registration's identifiers as leak rows
#   scripts/test.sh     the tests, less what a chroot cannot do or this test must not do (the
#                       exclusions are printed); it must end with "0 failed", and no test may
#                       skip for want of a program or package
# Every package install happens on every run (only the pristine root is cached).  Durations
# of each phase are printed.  Needs root; skipped (77) without debootstrap, a mirror or mount
# namespaces, and in a sanitizer build.
#   fresh.sh SOURCE_ROOT [B_SANITIZE [BUILD_ROOT]]   (BUILD_ROOT: the inner run must run every
#                                                     test this build defines, less the
#                                                     excluded suites)
# LW_FRESH_MIRROR overrides the Debian mirror (default: the host's apt source for the
# release).  LW_FRESH_BUILDS (default "plain") is passed to the inner test.sh as
# LEAKWATCH_TEST_BUILDS ("plain asan" for both builds); LW_FRESH_CORPUS=1 keeps the corpus
# suite inside.
set -uo pipefail
src=$(realpath "$1") sanitize=${2:-none} host_build=${3:-}
cache=/var/tmp/leakwatch-fresh
builds=${LW_FRESH_BUILDS:-plain}
# Suites the inner scripts/test.sh leaves out, each with the reason (printed).
excluded=(
	"fresh:this test itself (no recursion)"
	"vm:boots Debian's kernel in QEMU; not run inside a chroot"
	"cross:the cross builds (arm64, armhf) install their own compilers and multiarch libraries (scripts/install-cross.sh) and run under qemu-user: time, and no package the README's two commands need; they run in the host's own test.sh"
	"systemd:systemd-boot boots a second debootstrapped machine with systemd-nspawn, not done inside a chroot; systemd-unit (systemd-analyze verify) is in the same suite and goes with it (meson leaves out whole suites); both run in the host's own test.sh"
	"build:time: two more builds of the same sources (monitor-only, -O0) with no package the README's two commands do not install; they run in the host's own test.sh"
	"package:package-deb boots the systemd-boot test's machine with systemd-nspawn to install the .deb, not done inside a chroot; it runs in the host's own test.sh"
)
# The corpus suite replays the real captures of ../shared through the daemon (about 5 of the
# 10 minutes of the inner run here) and needs nothing the other suites do not (python3, the
# daemon): left out for time unless LW_FRESH_CORPUS=1.
# The hostile suite runs the lab's own programs (dnsmasq, nft, python3, curl, sqlite3) in the
# lab's namespaces: what it needs is what the lab suite, which runs here, needs.  Left out for
# time unless LW_FRESH_HOSTILE=1.
[ "${LW_FRESH_HOSTILE:-0}" = 1 ] ||
	excluded+=("hostile:time: attacks in the lab's namespaces (about 8 min), with no program the lab suite does not use; it runs in the host's own test.sh (LW_FRESH_HOSTILE=1 keeps it)")
[ "${LW_FRESH_CORPUS:-0}" = 1 ] ||
	excluded+=("corpus:time: the real captures of ../shared replayed (about 5 min here); it needs no package the other suites do not; it runs in the host's own test.sh (LW_FRESH_CORPUS=1 keeps it)")

skip() {
	echo "skip: $*"
	exit 77
}
die() {
	echo "FAIL $*"
	exit 1
}
[ "$sanitize" = none ] ||
	skip "runs in the plain build only (it clones, installs and builds its own trees)"
[ -e /etc/leakwatch-fresh-machine ] && skip "already inside a fresh machine: no recursion"
# shellcheck source=../debroot.sh
. "$src/tests/debroot.sh"
debroot_host_checks
debroot_mirror LW_FRESH_MIRROR
head=$(git -C "$src" rev-parse HEAD 2>/dev/null) || skip "$src is not a git checkout"

t0=$SECONDS
phase() { echo "== [$((SECONDS - t0))s] $*"; }
durations=()
took() { durations+=("$(printf '%-44s %5d s' "$1" "$2")"); }

run='' torn_down=0
# Before a run directory goes (this run's, or one left by a run that was killed): the processes
# whose root is its root (the inner commands and whatever they started) are ended.
inside() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}
debroot_release_hook() {
	local root=$1/root i pids
	pids=$(inside "$root")
	[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		pids=$(inside "$root")
		[ -z "$pids" ] && break
		sleep 0.1
	done
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
}
teardown() {
	[ $torn_down -eq 1 ] && return
	torn_down=1
	set +e
	[ -n "$run" ] && debroot_release "$run"
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP

debroot_run_dir "$cache"
run=$DEBROOT_RUN

# ---- the pristine root: debootstrap minbase, nothing added
phase "a minimal Debian root: debootstrap --variant=minbase $VERSION_CODENAME from $DEBROOT_MIRROR"
t=$SECONDS
debroot_pristine "$cache"
if [ "$DEBROOT_BUILT" = 1 ]; then
	took "debootstrap (minbase, built now)" $((SECONDS - t))
else
	echo "     cached in $DEBROOT_ROOTFS: $(cat "$DEBROOT_ROOTFS/.leakwatch-debroot-complete")"
	took "debootstrap (cached; see above)" 0
fi

# ---- this run's root: the pristine one under an overlay
debroot_overlay "$DEBROOT_ROOTFS" "$run"
root=$run/root
touch "$root/etc/leakwatch-fresh-machine"
cp /etc/resolv.conf "$root/etc/resolv.conf" || die "no /etc/resolv.conf on the host"
if [ -z "${LW_FRESH_MIRROR:-}" ]; then
	# the host's apt sources (the release, its updates and security), as an installed
	# machine has them
	rm -f "$root/etc/apt/sources.list"
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && cp "$f" "$root$f"
	done
fi
[ -n "${http_proxy:-}" ] &&
	echo "Acquire::http::Proxy \"$http_proxy\";" >"$root/etc/apt/apt.conf.d/01proxy"
have=$(chroot "$root" sh -c 'for c in gcc meson python3 curl ip sqlite3 git dnsmasq nft iptables; do
	command -v $c >/dev/null && printf " %s" $c; done; true')
echo "     $(chroot "$root" dpkg-query -W -f='.\n' | wc -l) packages in the root; of gcc, meson," \
	"python3, curl, ip, sqlite3, git, dnsmasq, nft and iptables it has:${have:- none}"

# ---- the source: a clone of HEAD, ../shared beside it
dirty=$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null)
[ -n "$dirty" ] &&
	echo "warning: $src has uncommitted changes; the fresh machine gets HEAD $head only:" &&
	echo "$dirty" | sed 's/^/     /'
phase "git clone of HEAD $(git -C "$src" log -1 --format='%h %s' | cut -c1-70) into /root/leakwatch"
git clone -q --no-checkout "$src" "$root/root/leakwatch" &&
	git -C "$root/root/leakwatch" checkout -q --detach "$head" || die "git clone"
mkdir "$root/root/shared"
shared=$(realpath "$src/../shared" 2>/dev/null)
[ -d "$shared" ] || echo "     no ../shared beside $src: the tests that need its corpus skip"

# Runs CMD in the root: a mount namespace of its own with /proc, /sys, /dev, /run, and
# ../shared read-only; a login's bare environment; in /root/leakwatch.  The host's network.
in_root() {
	unshare --mount --propagation private -- /bin/bash -c '
		r=$1 shared=$2
		shift 2
		mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
			mount --rbind /dev "$r/dev" && mount -t tmpfs -o mode=755 tmpfs "$r/run" ||
			exit 125
		if [ -n "$shared" ]; then
			mount --bind "$shared" "$r/root/shared" &&
				mount -o remount,bind,ro "$r/root/shared" || exit 125
		fi
		exec chroot "$r" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
			TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/bash -c "cd /root/leakwatch && exec \"\$@\"" bash "$@"
	' in_root "$root" "$shared" "$@" 9>&-
}
# Each output line with the seconds since START in front; CMD's exit status is kept.
stamped() { # stamped START LOG CMD...
	local start=$1 log=$2 line rc
	shift 2
	"$@" 2>&1 </dev/null | while IFS= read -r line; do
		printf '%6.1f  %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$start" 'BEGIN { print a - b }')" \
			"$line"
	done | tee "$log" | sed -u 's/^/     /'
	rc=${PIPESTATUS[0]}
	return "$rc"
}
# at LOG REGEX: the seconds of the first line matching REGEX (empty when none)
at() { awk -v re="$2" '{ t = $1; sub(/^ *[0-9.]+  /, "") } $0 ~ re { print int(t + 0.5); exit }' "$1"; }
last() { awk 'END { print int($1 + 0.5) }' "$1"; }

fail=0
check() { # check DESCRIPTION COMMAND...: ok or FAIL
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		fail=1
	fi
}

# ---- the first command: the demo
phase "scripts/run.sh (the demo, no bridge), in the fresh root"
start=$EPOCHREALTIME t=$SECONDS
stamped "$start" "$run/run.log" in_root scripts/run.sh
rc=$?
took "scripts/run.sh" $((SECONDS - t))
i=$(at "$run/run.log" '^install-deps: installing') e=$(at "$run/run.log" '^install-deps: installed')
b=$(at "$run/run.log" '^run.sh: building') d=$(at "$run/run.log" '^== the phone boots')
[ -n "$i" ] && [ -n "$e" ] && took "  packages (apt-get update and install)" $((e - i))
[ -n "$b" ] && [ -n "$d" ] && took "  build (meson setup and compile)" $((d - b))
[ -n "$d" ] && took "  demo" $(($(last "$run/run.log") - d))
check "scripts/run.sh exited $rc" test "$rc" = 0
# the leak rows the demo prints: the registration's IMEI/MEID, ICCID, IMSI and MAC to
# zzhc.vnet.cn
leaks=$(sed -n '/^ *[0-9.]*  == leaks$/,/^ *[0-9.]*  database:/p' "$run/run.log")
for k in iccid imsi mac cell_id; do
	check "the demo prints a leak row of kind $k to zzhc.vnet.cn" \
		eval "grep -E 'zzhc\.vnet\.cn +$k ' <<<\"\$leaks\" >/dev/null"
done
check "the demo prints a leak row of the MEID/IMEI to zzhc.vnet.cn" \
	eval "grep -E 'zzhc\.vnet\.cn +(imei|meid) ' <<<\"\$leaks\" >/dev/null"

# ---- the second command: the tests
no_suites=''
echo "== the inner scripts/test.sh leaves out:"
for x in "${excluded[@]}"; do
	no_suites+=" ${x%%:*}"
	echo "     suite ${x%%:*}: ${x#*:}"
done
case " $builds " in
*" asan "*) ;;
*) echo "     the ASan+UBSan build: it doubles the build and the run on a 2-core machine;" \
	"the plain build runs every suite not listed here (LW_FRESH_BUILDS='plain asan' adds it)" ;;
esac
phase "scripts/test.sh (LEAKWATCH_TEST_BUILDS='$builds' LEAKWATCH_TEST_NO_SUITES='${no_suites# }'), in the fresh root"
start=$EPOCHREALTIME t=$SECONDS
stamped "$start" "$run/test.log" in_root env LEAKWATCH_TEST_BUILDS="$builds" \
	LEAKWATCH_TEST_NO_SUITES="${no_suites# }" scripts/test.sh
rc=$?
took "scripts/test.sh" $((SECONDS - t))
i=$(at "$run/test.log" '^install-deps: installing') e=$(at "$run/test.log" '^install-deps: installed')
m=$(at "$run/test.log" '^ *[0-9]+/[0-9]+ ')
[ -n "$i" ] && [ -n "$e" ] && took "  packages (apt-get update and install)" $((e - i))
[ -n "$e" ] && [ -n "$m" ] && took "  builds ($builds)" $((m - e))
[ -n "$m" ] && took "  meson test" $(($(last "$run/test.log") - m))
closing=$(sed -E 's/^ *[0-9.]+  //' "$run/test.log" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n1)
echo "     inner closing line: ${closing:-(none)}"
check "scripts/test.sh exited $rc" test "$rc" = 0
check "its closing line says 0 failed" eval '[[ $closing == *" 0 failed"* ]]'
# what skipped inside, and why: a skip for a missing program or package means the install
# scripts miss it
skips=$(python3 - "$root/root/leakwatch" <<'PY'
import json, pathlib, sys
for log in sorted(pathlib.Path(sys.argv[1]).glob("build*/meson-logs/testlog.json")):
    for line in log.read_text().splitlines():
        r = json.loads(line) if line.strip() else {}
        if r.get("result") == "SKIP":
            out = [l for l in (r.get("stdout") or "").splitlines() if l.strip()]
            print(f"{log.parts[-3]}: {r['name']}: {out[-1] if out else '(no reason printed)'}")
PY
)
echo "     skipped inside: ${skips:-none}" | sed '2,$s/^/       /'
# what failed inside, again here at the end (the inner run printed it in full, far above):
# each failed test's FAIL lines and the last lines of its output
python3 - "$root/root/leakwatch" <<'PY'
import json, pathlib, sys
for log in sorted(pathlib.Path(sys.argv[1]).glob("build*/meson-logs/testlog.json")):
    for line in log.read_text().splitlines():
        r = json.loads(line) if line.strip() else {}
        if r.get("result") in (None, "OK", "SKIP", "EXPECTEDFAIL"):
            continue
        out = [l for l in ((r.get("stdout") or "") + (r.get("stderr") or "")).splitlines()
               if l.strip()]
        print(f"     inner failure: {log.parts[-3]}: {r['name']} ({r['result']})")
        shown = [l for l in out if l.startswith("FAIL")][:20] + ["..."] + out[-25:]
        for l in shown:
            print(f"       | {l[:200]}")
PY
if [ -n "$host_build" ]; then
	# every test the host's build defines, less the excluded suites, ran inside (a test that
	# meson leaves out when a program is missing at setup time shows up here)
	meson introspect "$host_build" --tests >"$run/tests.json"
	# shellcheck disable=SC2086 # one argument per suite
	notrun=$(python3 - "$run/tests.json" "$root/root/leakwatch" $no_suites <<'PY'
import json, pathlib, sys
tests, inner, excluded = sys.argv[1], sys.argv[2], set(sys.argv[3:])
ran = set()
for line in pathlib.Path(inner, "build/meson-logs/testlog.json").read_text().splitlines():
    if line.strip():
        ran.add(json.loads(line)["name"].split(" / ")[-1])  # "project:suite / name"
want = {t["name"] for t in json.load(open(tests))
        if not {s.split(":")[-1] for s in t["suite"]} & excluded}
print(" ".join(sorted(want - ran)))
PY
	)
	check "the inner plain build ran every test of this build but the excluded suites${notrun:+; not run: $notrun}" \
		test -z "$notrun"
fi
missing=$(grep -iE ': (skip: )?needs ' <<<"$skips")
check "no inner test skipped for want of a program or package${missing:+: $missing}" \
	test -z "$missing"

phase "durations"
printf '     %s\n' "${durations[@]}"
phase "done"
exit $fail
