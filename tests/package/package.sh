#!/usr/bin/env bash
# The Debian package, as a user gets it: debian/ built with `dpkg-buildpackage -us -uc -b` from
# a clean copy of the committed tree (git archive HEAD into a temporary directory: the build
# directory of the running test is not touched), installed with `apt-get install ./leakwatch_*.deb`
# into the minimal Debian root the systemd-boot test boots (systemd/test-boot.sh; the cached
# root in /var/tmp/leakwatch-sysboot under an overlay, never modified), booted with
# `systemd-nspawn -b` in a network namespace of its own.  Checked: the user, directory and
# configuration the maintainer scripts make, the unit enabled, the service active and READY once
# the configuration names the bridge, a device recorded from a DHCP request through the bridge,
# then `dpkg --purge leakwatch` leaves no file of the package, no /var/lib/leakwatch, no user.
# The machine has no network: the root already holds every dependency (the packages of the
# libraries leakwatchd loads: the same list as systemd/test-boot.sh, so the same cached root).
# Needs root; skipped (77) without it, without the build dependencies, or in a sanitizer build.
#   package.sh SOURCE_ROOT [B_SANITIZE]
set -uo pipefail
src=$(realpath "$1") sanitize=${2:-none}
cache=/var/tmp/leakwatch-sysboot
phone_mac=00:00:5e:00:53:01 # documentation range (RFC 7042), IANA's OUI
phone_name=lw-package-phone

skip() {
	echo "skip: $*"
	exit 77
}
# shellcheck source=../debroot.sh
. "$src/tests/debroot.sh"
[ "$sanitize" = none ] ||
	skip "runs in the plain build only (it builds the package and boots a machine)"
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, mounts, systemd-nspawn)"
for c in debootstrap:debootstrap systemd-nspawn:systemd-container nsenter:util-linux \
	ip:iproute2 flock:util-linux git:git dpkg-buildpackage:dpkg-dev dh:debhelper \
	dpkg-checkbuilddeps:dpkg-dev; do
	command -v "${c%%:*}" >/dev/null || skip "needs ${c%%:*} (package ${c#*:})"
done
[ -x /usr/bin/python3 ] || skip "needs /usr/bin/python3 (package python3)"
# shellcheck source=/dev/null
. /etc/os-release
[ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ] ||
	skip "needs a Debian host: the root it boots is Debian of the host's release"
git -C "$src" rev-parse --verify -q HEAD >/dev/null || skip "$src is not a git checkout"
missing=$(cd "$src" && dpkg-checkbuilddeps 2>&1) ||
	skip "the package's build dependencies: ${missing#*: }"
unshare --mount --net --pid --uts --ipc --fork true 2>/dev/null ||
	skip "cannot create mount, network, PID, UTS and IPC namespaces here"
debroot_mirror LW_SYSBOOT_MIRROR
mirror=$DEBROOT_MIRROR

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
phase() { echo "== [$((SECONDS - t0))s] $*"; }
t0=$SECONDS

# the package's build, outside the cache and the build tree
work=$(mktemp -d /var/tmp/leakwatch-package.XXXXXX)

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
	rm -rf --one-file-system "$work"
}

# (run directories of runs that were killed before their teardown are released here)
debroot_run_dir "$cache"
run=$DEBROOT_RUN
id=$(echo "${run##*.}" | tr 'A-Z' 'a-z')
machine=lw-package-$$-$id
: >"$run/cgroups"
echo "$machine" >"$run.machine"
nspawn_pid='' nspawn_rc='' leader='' netns='' torn_down=0

# ---- teardown, on every way out
teardown() {
	local i
	[ $torn_down -eq 1 ] && return
	torn_down=1
	set +e
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		# nspawn passes SIGTERM on to the machine's systemd as SIGRTMIN+3: an orderly
		# poweroff
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
	[ -n "$nspawn_pid" ] && { wait "$nspawn_pid" 2>/dev/null; nspawn_rc=$?; }
	debroot_release "$run" # (and a debootstrap it was interrupted in)
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP

die() {
	echo "FAIL $*"
	exit 1
}
show_log() { # show_log FILE: its last lines, when something went wrong
	echo "---- $1 (last 40 lines)"
	tail -n 40 "$1" | sed 's/\x1b\[[0-9;]*m//g'
}

# ---- the package, from the committed tree
phase "dpkg-buildpackage -us -uc -b (nocheck) from git archive $(git -C "$src" rev-parse --short HEAD)"
mkdir "$work/leakwatch"
git -C "$src" archive --format=tar HEAD | tar -x -C "$work/leakwatch" || die "git archive"
t=$SECONDS
(cd "$work/leakwatch" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
	{ show_log "$work/build.log"; die "dpkg-buildpackage"; }
deb=$(find "$work" -maxdepth 1 -name 'leakwatch_*.deb' | head -n 1)
[ -n "$deb" ] || die "no leakwatch_*.deb in $work"
phase "built ${deb##*/} ($(stat -c %s "$deb") bytes) in $((SECONDS - t))s"
dpkg-deb -x "$deb" "$work/x" || die "dpkg-deb -x"
check "the package holds the unit, the sysusers and tmpfiles files and the conffile" test -f \
	"$work/x/lib/systemd/system/leakwatch.service" -a -f \
	"$work/x/usr/lib/sysusers.d/leakwatch.conf" -a -f \
	"$work/x/usr/lib/tmpfiles.d/leakwatch.conf" -a -f "$work/x/etc/leakwatch/leakwatch.conf"

# ---- the Debian root of systemd/test-boot.sh: the same packages, so the same cached root
pkgs=(systemd dbus iproute2 ieee-data sqlite3)
libpkgs=$(debroot_lib_packages "$work/x/usr/sbin/leakwatchd" "$work/x/usr/bin/leakwatch") ||
	die "the libraries' packages"
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" "$libpkgs" | sort -u)
t=$SECONDS
debroot_pristine "$cache" "${pkgs[@]}" # (a shared lock on fd 9 while it is in use)
rootfs=$DEBROOT_ROOTFS
if [ "$DEBROOT_BUILT" = 1 ]; then
	phase "debootstrapped $VERSION_CODENAME from $mirror into $rootfs in $((SECONDS - t))s (once; then reused)"
fi

# ---- this run's root: the cached one under an overlay
debroot_overlay "$rootfs" "$run"

# ---- boot
cg_dirs=()
nspawn_args=(--quiet --boot --directory="$run/root" --machine="$machine" --private-network
	--register=no --console=read-only)
if [ ! -d /run/systemd/system ]; then
	# No systemd on the host (no machined, no bus to ask for a scope): nspawn stays in its
	# own cgroup, a new one for this run, which teardown empties and removes.
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

# the container's PID 1: nspawn's child that is PID 1 in a PID namespace of its own
for ((i = 0; i < 300; i++)); do
	for c in $(cat /proc/"$nspawn_pid"/task/*/children 2>/dev/null); do
		awk '$1 == "NSpid:" && $NF == 1 { found = 1 } END { exit !found }' \
			"/proc/$c/status" 2>/dev/null && leader=$c
	done
	[ -n "$leader" ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$leader" ] || { show_log "$run/console.log"; die "the machine did not start"; }
netns=$(stat -L -c %i "/proc/$leader/ns/net")

in_ct() { # in_ct CMD...: run in the machine (all its namespaces, its root), clean environment
	timeout 60 nsenter --target "$leader" --all -- /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
# (systemctl fails until the machine's systemd listens on its socket; then --wait waits for
# the boot to end)
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
*) show_log "$run/console.log"; die "the machine did not finish booting ($state)" ;;
esac

# ---- the network the daemon captures: a bridge with a port, a "phone" on the port's peer.
# All in the machine's own network namespace, so the names cannot meet the host's or another
# run's.
in_ct ip link add br-lan type bridge stp_state 0 forward_delay 0 &&
	in_ct ip link add lan0 type veth peer name phone0 &&
	in_ct ip link set phone0 address "$phone_mac" &&
	in_ct ip link set lan0 master br-lan &&
	in_ct ip link set lo up && in_ct ip link set br-lan up &&
	in_ct ip link set lan0 up && in_ct ip link set phone0 up || die "the bridge in the machine"

# ---- the package: apt-get install in the running machine (offline: every dependency is there)
phase "apt-get install ./${deb##*/} (in the running machine)"
cp "$deb" "$run/root/root/" || die "copying the package"
in_ct sh -c "cd /root && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends ./${deb##*/}" >"$run/install.log" 2>&1
rc=$?
check "apt-get install ./${deb##*/} returned $rc" test $rc = 0
[ $rc = 0 ] || { show_log "$run/install.log"; die "apt-get install"; }
in_ct rm -f "/root/${deb##*/}"
check "the user leakwatch exists ($(in_ct getent passwd leakwatch))" \
	eval 'in_ct getent passwd leakwatch >/dev/null'
perm=$(in_ct stat -c '%a %U %G' /etc/leakwatch/leakwatch.conf /var/lib/leakwatch | paste -sd' ')
check "config 0600 and /var/lib/leakwatch 0700, both leakwatch's ($perm)" \
	test "$perm" = "600 leakwatch leakwatch 700 leakwatch leakwatch"
check "/etc/leakwatch/leakwatch.conf is a conffile" \
	eval 'in_ct dpkg-query -W -f="\${Conffiles}" leakwatch | grep -q " /etc/leakwatch/leakwatch.conf "'
check "enabled by the package: $(in_ct systemctl is-enabled leakwatch)" \
	test "$(in_ct systemctl is-enabled leakwatch)" = enabled
# (started by the postinst, it stops at once: the shipped configuration names no interface;
# the installation does not fail for it)
echo "     after the installation: $(in_ct systemctl is-active leakwatch)," \
	"$(in_ct journalctl -u leakwatch -o cat --no-pager | grep -m1 -i 'interface')"

phase "interface = br-lan in /etc/leakwatch/leakwatch.conf; systemctl restart leakwatch"
in_ct sed -i 's/^#interface = .*/interface = br-lan/' /etc/leakwatch/leakwatch.conf
start=$SECONDS
in_ct systemctl restart leakwatch
rc=$?
check "systemctl restart returned 0: the start job ended, READY=1 came ($((SECONDS - start))s)" \
	test $rc = 0
prop() { in_ct systemctl show -P "$1" leakwatch; }
check "systemctl is-active leakwatch: $(in_ct systemctl is-active leakwatch)" \
	test "$(in_ct systemctl is-active leakwatch)" = active
check "status from sd_notify: '$(prop StatusText)'" \
	test "$(prop StatusText)" = "capturing on br-lan"
pid=$(prop MainPID)
uid=$(in_ct id -u leakwatch)
check "the main process ($pid) runs as leakwatch ($uid)" \
	eval '[ "$(in_ct stat -c %u "/proc/$pid")" = "$uid" ]'

# ---- traffic: a DHCP discover with a host name from the phone, through the bridge port
phase "a DHCP request from $phone_mac through the bridge"
nsenter --target "$leader" --net -- /usr/bin/python3 - phone0 "$phone_mac" "$phone_name" <<'PY'
import socket, struct, sys

iface, mac, name = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3].encode()


def checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF


# BOOTP request (RFC 2131): op, htype, hlen, hops, xid, secs, flags (broadcast), ciaddr, yiaddr,
# siaddr, giaddr, chaddr, sname, file; then the magic cookie, DHCPDISCOVER, host name (12)
dhcp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x4C575342, 0, 0x8000, bytes(4),
                   bytes(4), bytes(4), bytes(4), mac + bytes(10), bytes(64), bytes(128))
dhcp += b"\x63\x82\x53\x63" + bytes([53, 1, 1, 12, len(name)]) + name + b"\xff"
udp = struct.pack("!HHHH", 68, 67, 8 + len(dhcp), 0) + dhcp
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(4), b"\xff" * 4)
ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
s.send(b"\xff" * 6 + mac + b"\x08\x00" + ip + udp)
PY
row=''
for ((i = 0; i < 100; i++)); do # the writer commits every 500 ms (5 s on flash)
	row=$(in_ct leakwatch --wide devices 2>&1 | grep -i " $phone_mac ")
	[ -n "$row" ] && break
	sleep 0.2
done
echo "     leakwatch devices: ${row:-(no row for $phone_mac)}"
check "leakwatch devices: the phone, with its DHCP host name" \
	eval '[[ $row == *" $phone_name "* ]]'
check "leakwatch devices: its vendor, from ieee-data read inside the sandbox" \
	eval '[[ $row == *IANA* ]]'


# ---- purge: nothing of the package may be left
phase "dpkg --purge leakwatch"
mapfile -t files < <(in_ct dpkg-query -L leakwatch)
in_ct dpkg --purge leakwatch >"$run/purge.log" 2>&1
rc=$?
check "dpkg --purge leakwatch returned $rc" test $rc = 0
[ $rc = 0 ] || show_log "$run/purge.log"
check "the package is gone from dpkg's database" \
	eval '! in_ct dpkg-query -W leakwatch >/dev/null 2>&1'
left=()
for f in "${files[@]}"; do
	# the package's files, and its own directories (not /usr, /etc, ...)
	if [ -d "$run/root$f" ]; then # (a directory, or a link to one: /lib on a merged /usr)
		case $f in
		*leakwatch*) ;;
		*) continue ;;
		esac
	fi
	[ -e "$run/root$f" ] || [ -L "$run/root$f" ] && left+=("$f")
done
check "none of the package's ${#files[@]} paths is left${left[*]:+: ${left[*]}}" test ${#left[@]} = 0
check "no /var/lib/leakwatch, no /etc/leakwatch" \
	test ! -e "$run/root/var/lib/leakwatch" -a ! -e "$run/root/etc/leakwatch"
check "no user leakwatch, no group leakwatch" \
	eval '! in_ct getent passwd leakwatch && ! in_ct getent group leakwatch'
check "no leakwatchd process" eval \
	'! in_ct sh -c "cat /proc/[0-9]*/comm 2>/dev/null" | grep -q "^leakwatchd"'
# what the installation wrote to the machine's root is in the overlay's upper directory: no
# name there may mention leakwatch (the journal and apt's logs aside)
names=$(cd "$run/upper" && find . \( -path ./var/log -o -path ./run -o -path ./proc \) -prune -o \
	-iname '*leakwatch*' -print 2>/dev/null | paste -sd' ')
check "no file or directory named leakwatch left in the machine${names:+: $names}" test -z "$names"

phase "poweroff"
teardown
gone() {
	local d
	! kill -0 "$nspawn_pid" 2>/dev/null || return 1
	for d in "${cg_dirs[@]}"; do
		[ ! -e "$d" ] || return 1
	done
}
check "machine powered off (systemd-nspawn exited ${nspawn_rc:-?}, after SIGTERM)" \
	test "$nspawn_rc" = 0
check "machine terminated (nspawn $nspawn_pid gone, its cgroups removed)" gone
check "its network namespace (the bridge, the veth pair) is gone" eval \
	'! stat -L -c %i /proc/[0-9]*/ns/net 2>/dev/null | grep -qx "$netns"'
check "the overlay and the run directory are gone" test ! -e "$run"
phase "done: built, installed, checked and purged in $((SECONDS - t0))s"
exit $fail
