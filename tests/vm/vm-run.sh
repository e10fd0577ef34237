#!/usr/bin/env bash
# Runs one script as root in a VM booted on Debian 12's stock kernel (tests/vm/vm-lib.sh builds
# and caches the image), with the project's source tree, the build directory, ../shared and
# each --share DIR mounted read-only at the same absolute paths, so that tests/lab/*.sh run
# unchanged with the host build's programs.  The script's output streams to stdout; its exit
# status is this script's (77 stays 77).  Exits 77 with the reason when no VM can be run here.
#   vm-run.sh [--timeout S] [--build DIR] [--share DIR]... [--env NAME=VALUE]... SCRIPT [ARG...]
# --build defaults to SOURCE/build; --timeout (default 900) bounds the boot and the script;
# --b-sanitize VALUE (meson's b_sanitize) skips unless it is none.
# LW_VM_MEM (MB, default 256), LW_VM_MIRROR (the Debian mirror), LW_VM_APPEND (more kernel
# command line) are read from the environment.
set -uo pipefail
vm_t0=$SECONDS
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
timeout=900 build=$src/build shares=() envs=() sanitize=none
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--share) shares+=("$2"); shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--b-sanitize) sanitize=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "vm-run: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
# shellcheck source=vm-lib.sh
. "$here/vm-lib.sh"
[ "$sanitize" = none ] || vm_skip "runs in the plain build only (b_sanitize=$sanitize): the" \
	"guest root holds the plain programs' libraries, and TCG is too slow for sanitizers"
vm_host_checks
[ -d "$build" ] || vm_skip "no build directory $build (--build DIR)"
build=$(realpath "$build")
script=$(realpath "$1")
shift
[ -x "$script" ] || { echo "vm-run: $script is not an executable file" >&2; exit 2; }
shares=("$src" "$build" "${shares[@]}")
[ -d "$src/../shared" ] && shares+=("$(realpath "$src/../shared")")

run='' qpid='' torn_down=0
starttime() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }
stop_qemu() { # stop_qemu PID STARTTIME: the QEMU of a run, if it is still that process
	local sig
	for sig in TERM KILL; do # (QEMU exits at once on SIGTERM)
		[ -n "$1" ] && [ "$(starttime "$1")" = "$2" ] || return 0
		kill -$sig "$1" 2>/dev/null
		for _ in $(seq 50); do
			[ "$(starttime "$1")" = "$2" ] || return 0
			sleep 0.1
		done
	done
}
teardown() {
	[ $torn_down -eq 1 ] && return
	torn_down=1
	set +e
	[ -n "$qpid" ] && stop_qemu "$qpid" "$(cat "$run/qemu" 2>/dev/null | cut -d' ' -f2)"
	[ -n "$qpid" ] && { wait "$qpid"; } 2>/dev/null
	vm_cleanup_build
	[ -n "$run" ] && rm -rf --one-file-system "$run"
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP

vm_image "$build" || exit 1

# Runs killed before their teardown (meson's SIGKILL after a timeout) left a run directory and
# maybe a QEMU: both go.
for d in "$VM_CACHE"/run.*; do
	[ -f "$d/owner" ] || continue
	read -r opid ostart <"$d/owner"
	[ -n "$opid" ] && [ "$(starttime "$opid")" = "$ostart" ] && continue # still running
	echo "vm: releasing $d, left by a run that was killed" >&2
	if [ -f "$d/qemu" ]; then
		read -r opid ostart <"$d/qemu"
		stop_qemu "$opid" "$ostart"
	fi
	rm -rf --one-file-system "$d"
done

run=$(mktemp -d "$VM_CACHE/run.XXXXXX")
echo "$$ $(starttime $$)" >"$run/owner"
mkdir "$run/io"
printf '%s\0' "$script" "$@" >"$run/io/cmd"
printf '%s\0' "${envs[@]}" >"$run/io/env"
[ ${#envs[@]} -eq 0 ] && : >"$run/io/env"
pwd >"$run/io/cwd"

qemu=(qemu-system-x86_64 -machine pc -m "${LW_VM_MEM:-256}" -smp 1 -nodefaults -nic none
	-display none -serial stdio -no-reboot)
if grep -qw 'vmx\|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then
	qemu+=(-accel kvm -cpu host) accel=kvm
else
	qemu+=(-accel tcg -cpu max) accel=tcg
fi
append="console=ttyS0 panic=-1 quiet loglevel=3 lw.init=$here/guest-init.sh"
fs() { # fs TAG DIR ro|rw
	local ro=
	[ "$3" = ro ] && ro=,readonly=on
	qemu+=(-fsdev "local,id=$1,path=$2,security_model=none$ro"
		-device "virtio-9p-pci,fsdev=$1,mount_tag=$1")
}
fs root "$vm_root" ro
fs mods "$vm_kernel/lib/modules" ro
append+=" lw.share=mods,/lib/modules,ro"
declare -A seen=()
i=0
for d in "${shares[@]}"; do
	d=$(realpath "$d")
	[ -d "$d" ] || { echo "vm-run: no directory $d to share" >&2; exit 2; }
	[[ $d =~ ^/[A-Za-z0-9._/+-]*$ ]] ||
		{ echo "vm-run: cannot share $d (only [A-Za-z0-9._/+-] in its path)" >&2; exit 2; }
	[ -n "${seen[$d]:-}" ] && continue
	seen[$d]=1
	fs "s$i" "$d" ro
	append+=" lw.share=s$i,$d,ro"
	i=$((i + 1))
done
fs io "$run/io" rw
append+=" lw.share=io,/lw-vm-io,rw ${LW_VM_APPEND:-}"
qemu+=(-kernel "$vm_kernel/vmlinux" -initrd "$vm_kernel/initrd.gz" -append "$append")

vm_say "booting Debian's kernel $(cat "$vm_kernel/kver") ($accel, ${LW_VM_MEM:-256} MB):" \
	"$(basename "$script") $*"
boot0=$SECONDS
"${qemu[@]}" </dev/null > >(sed -u 's/\r$//') 2>&1 &
qpid=$!
echo "$qpid $(starttime "$qpid")" >"$run/qemu"
deadline=$((SECONDS + timeout))
while kill -0 "$qpid" 2>/dev/null; do
	if [ $SECONDS -ge $deadline ]; then
		vm_say "timeout: no result within ${timeout}s; stopping the VM"
		exit 1
	fi
	sleep 0.2
done
wait "$qpid"
qrc=$?
qpid=''
if [ ! -s "$run/io/rc" ]; then
	vm_say "the VM stopped without a result (QEMU exited $qrc)"
	exit 1
fi
rc=$(cat "$run/io/rc")
vm_say "$(basename "$script") exited $rc; boot to result $((SECONDS - boot0))s"
exit "$rc"
