# shellcheck shell=bash
# What the tests that boot a machine share (systemd/test-boot.sh, tests/package/package.sh): a
# minimal Debian root of the host's release (tests/debroot.sh: cached, used under an overlay in
# a run directory of its own), booted with `systemd-nspawn -b` in a network namespace of its
# own, and everything torn down on every way out.  Source it after tests/debroot.sh.
#   nspawn_host_checks [CMD:PACKAGE...]  skip (77) unless root, a Debian host, namespaces,
#                                 python3, and nspawn's commands and these
#   nspawn_run_dir CACHE PREFIX   this run's directory ($run) and machine name ($machine,
#                                 PREFIX-PID-ID); teardown on EXIT (a caller's
#                                 nspawn_release_extra DIR runs when the directory goes)
#   nspawn_root CACHE PROG...     the cached root with systemd, dbus, iproute2, ieee-data,
#                                 sqlite3 and the packages of the libraries PROGs load, under an
#                                 overlay in $run ($run/root; $run/upper holds what changed)
#   nspawn_boot                   boot it; $nspawn_pid, $leader (its PID 1), $netns; in_ct CMD
#                                 runs CMD in the machine
#   nspawn_bridge MAC NAME        a bridge br-lan with a port lan0, its peer phone0 (MAC) the
#                                 phone, in the machine's network namespace
#   nspawn_poweroff_checks        teardown, then: the machine powered off, nothing left
# Also: check DESCRIPTION CMD..., phase TEXT, die TEXT, show_log FILE, skip TEXT; $fail.

fail=0
t0=$SECONDS
nspawn_pid='' nspawn_rc='' leader='' netns='' torn_down=0 run='' cg_dirs=()

skip() {
	echo "skip: $*"
	exit 77
}
die() {
	echo "FAIL $*"
	exit 1
}
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
phase() { echo "== [$((SECONDS - t0))s] $*"; }
show_log() { # show_log FILE: its last lines, when something went wrong
	echo "---- $1 (last 40 lines)"
	tail -n 40 "$1" | sed 's/\x1b\[[0-9;]*m//g'
}

nspawn_host_checks() {
	local c
	[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, mounts, systemd-nspawn)"
	for c in debootstrap:debootstrap systemd-nspawn:systemd-container nsenter:util-linux \
		ip:iproute2 flock:util-linux "$@"; do
		command -v "${c%%:*}" >/dev/null ||
			skip "needs ${c%%:*} (package ${c#*:}; scripts/install-deps.sh --tests)"
	done
	[ -x /usr/bin/python3 ] || skip "needs /usr/bin/python3 (package python3)"
	# shellcheck source=/dev/null
	. /etc/os-release
	[ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ] ||
		skip "needs a Debian host: the root it boots is Debian of the host's release"
	unshare --mount --net --pid --uts --ipc --fork true 2>/dev/null ||
		skip "cannot create mount, network, PID, UTS and IPC namespaces here"
}

# A run directory holds the overlay (upper, work, root), the logs, the owner ("PID starttime")
# and the cgroups made for its machine; debroot_release empties and removes all of it, after
# this hook has emptied and removed the cgroups.
cg_procs() { find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null; }
debroot_release_hook() {
	local dir=$1 d i
	[ -f "$dir/cgroups" ] || : >"$dir/cgroups"
	# a run's cgroup holds its nspawn and the whole machine and nothing else: what is left
	# in it (a machine whose nspawn was killed) belongs to that run
	while read -r d; do
		[ -f "$d/cgroup.kill" ] && [ -n "$(cg_procs "$d")" ] || continue
		echo 1 >"$d/cgroup.kill"
		for ((i = 0; i < 50; i++)); do
			[ -z "$(cg_procs "$d")" ] && break
			sleep 0.1
		done
	done <"$dir/cgroups"
	while read -r d; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done <"$dir/cgroups"
	# nspawn cannot remove this itself where /run is not a tmpfs
	d=$(cat "$dir.machine" 2>/dev/null)
	[ -n "$d" ] && rm -rf --one-file-system "/run/systemd/nspawn/propagate/$d"
	rm -f "$dir.machine"
	if declare -F nspawn_release_extra >/dev/null; then
		nspawn_release_extra "$dir"
	fi
}

# teardown, on every way out: the machine powered off (nspawn passes SIGTERM on to its systemd
# as SIGRTMIN+3, an orderly poweroff; killed after 30 s), then the run directory released
teardown() {
	local i
	[ $torn_down -eq 1 ] && return
	torn_down=1
	set +e
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill -TERM "$nspawn_pid"
		for ((i = 0; i < 300; i++)); do
			kill -0 "$nspawn_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$nspawn_pid" 2>/dev/null && {
			echo "teardown: the machine did not power off in 30 s; killing it"
			kill -KILL "$nspawn_pid"
		}
	fi
	[ -n "$nspawn_pid" ] && {
		wait "$nspawn_pid" 2>/dev/null
		nspawn_rc=$?
	}
	[ -n "$run" ] && debroot_release "$run" # (and a debootstrap it was interrupted in)
}

nspawn_run_dir() { # CACHE PREFIX
	local id
	# (run directories of runs that were killed before their teardown are released here)
	debroot_run_dir "$1"
	run=$DEBROOT_RUN
	id=$(echo "${run##*.}" | tr 'A-Z' 'a-z')
	machine=$2-$$-$id
	: >"$run/cgroups"
	echo "$machine" >"$run.machine"
	trap teardown EXIT
	trap 'exit 130' INT TERM HUP
}

nspawn_root() { # CACHE PROG...
	local cache=$1 libpkgs pkgs t
	shift
	pkgs=(systemd dbus iproute2 ieee-data sqlite3)
	libpkgs=$(debroot_lib_packages "$@") || die "the libraries' packages"
	mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" "$libpkgs" | sort -u)
	t=$SECONDS
	debroot_pristine "$cache" "${pkgs[@]}" # (a shared lock on fd 9 while it is in use)
	if [ "$DEBROOT_BUILT" = 1 ]; then
		phase "debootstrapped $VERSION_CODENAME from $DEBROOT_MIRROR into $DEBROOT_ROOTFS in $((SECONDS - t))s (once; then reused)"
	fi
	debroot_overlay "$DEBROOT_ROOTFS" "$run"
}

in_ct() { # in_ct CMD...: run in the machine (all its namespaces, its root), clean environment
	timeout 60 nsenter --target "$leader" --all -- /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

nspawn_boot() {
	local nspawn_args ctrl path d i c state
	nspawn_args=(--quiet --boot --directory="$run/root" --machine="$machine" --private-network
		--register=no --console=read-only)
	if [ ! -d /run/systemd/system ]; then
		# No systemd on the host (no machined, no bus to ask for a scope): nspawn stays in
		# its own cgroup, a new one for this run, which teardown empties and removes.
		nspawn_args+=(--keep-unit)
		while IFS=: read -r _ ctrl path; do
			case $ctrl in
			'') d=$(findmnt -rno TARGET -t cgroup2 | head -n1) ;;
			name=systemd) d=$(findmnt -rno TARGET,OPTIONS -t cgroup |
				awk '$2 ~ /(^|,)name=systemd(,|$)/ { print $1; exit }') ;;
			*) continue ;;
			esac
			[ -n "$d" ] && [ -d "$d" ] || continue
			d=$d${path%/}/$machine
			mkdir "$d" || die "mkdir $d"
			echo "$d" >>"$run/cgroups"
			cg_dirs+=("$d")
		done </proc/self/cgroup
	fi
	phase "systemd-nspawn -b -M $machine --private-network"
	(
		for d in "${cg_dirs[@]}"; do
			echo "$BASHPID" >"$d/cgroup.procs" || exit 1
		done
		exec systemd-nspawn "${nspawn_args[@]}"
	) >"$run/console.log" 2>&1 9>&- &
	nspawn_pid=$!

	# the machine's PID 1: nspawn's child that is PID 1 in a PID namespace of its own
	for ((i = 0; i < 300; i++)); do
		for c in $(cat /proc/"$nspawn_pid"/task/*/children 2>/dev/null); do
			awk '$1 == "NSpid:" && $NF == 1 { found = 1 } END { exit !found }' \
				"/proc/$c/status" 2>/dev/null && leader=$c
		done
		[ -n "$leader" ] && break
		kill -0 "$nspawn_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$leader" ] || {
		show_log "$run/console.log"
		die "the machine did not start"
	}
	netns=$(stat -L -c %i "/proc/$leader/ns/net")

	# (systemctl fails until the machine's systemd listens on its socket; then --wait waits
	# for the boot to end)
	state=''
	for ((i = 0; i < 600; i++)); do
		state=$(in_ct systemctl is-system-running --wait 2>/dev/null)
		case $state in
		running | degraded | maintenance | stopping) break ;;
		esac
		kill -0 "$nspawn_pid" 2>/dev/null || break
		sleep 0.2
	done
	phase "booted: $state"
	case $state in
	running) ;;
	degraded) in_ct systemctl --failed --no-legend ;;
	*)
		show_log "$run/console.log"
		die "the machine did not finish booting ($state)"
		;;
	esac
}

# All in the machine's own network namespace, so the names cannot meet the host's or another
# run's.
nspawn_bridge() { # MAC
	in_ct ip link add br-lan type bridge stp_state 0 forward_delay 0 &&
		in_ct ip link add lan0 type veth peer name phone0 &&
		in_ct ip link set phone0 address "$1" &&
		in_ct ip link set lan0 master br-lan &&
		in_ct ip link set lo up && in_ct ip link set br-lan up &&
		in_ct ip link set lan0 up && in_ct ip link set phone0 up || die "the bridge in the machine"
}

nspawn_gone() {
	local d
	! kill -0 "$nspawn_pid" 2>/dev/null || return 1
	for d in "${cg_dirs[@]}"; do
		[ ! -e "$d" ] || return 1
	done
}

nspawn_poweroff_checks() {
	phase "poweroff"
	teardown
	check "machine powered off (systemd-nspawn exited ${nspawn_rc:-?}, after SIGTERM)" \
		test "$nspawn_rc" = 0
	check "machine terminated (nspawn $nspawn_pid gone, its cgroups removed)" nspawn_gone
	check "its network namespace (the bridge, the veth pair) is gone" eval \
		'! stat -L -c %i /proc/[0-9]*/ns/net 2>/dev/null | grep -qx "$netns"'
	check "the overlay and the run directory are gone" test ! -e "$run"
}
