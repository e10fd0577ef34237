#!/usr/bin/env bash
# The README's "Installing as a service", done under a real systemd: a minimal Debian root of
# the host's release (debootstrap; cached in /var/tmp/leakwatch-sysboot), leakwatch installed
# into it by `meson install` from a --prefix=/usr release build, booted with `systemd-nspawn -b`
# in a network namespace of its own.  Inside: a bridge with a port, systemd-sysusers,
# systemd-tmpfiles, the bridge in /etc/leakwatch/leakwatch.conf, `systemctl enable --now
# leakwatch`; then the running service is checked (readiness, user, capabilities, sandbox,
# database, a device from a DHCP request, SIGHUP, stop) and the machine is shut down.
# Needs root; skipped (77) without it or without what systemd-nspawn needs.
#   test-boot.sh SOURCE_ROOT RELEASE_BUILD_DIR [B_SANITIZE]
# LW_SYSBOOT_MIRROR overrides the Debian mirror (default: the host's apt source).
set -uo pipefail
src=$(realpath "$1") rel=$2 sanitize=${3:-none}
cache=/var/tmp/leakwatch-sysboot
phone_mac=00:00:5e:00:53:01 # documentation range (RFC 7042), IANA's OUI
phone_name=lw-sysboot-phone

skip() {
	echo "skip: $*"
	exit 77
}
# the cached Debian root, run directories over it, their release (shared with tests/fresh)
# shellcheck source=../tests/debroot.sh
. "$src/tests/debroot.sh"
[ "$sanitize" = none ] ||
	skip "runs in the plain build only (it builds, installs and boots its own release tree)"
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, mounts, systemd-nspawn)"
for c in debootstrap:debootstrap systemd-nspawn:systemd-container nsenter:util-linux \
	ip:iproute2 flock:util-linux meson:meson; do
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
debroot_mirror LW_SYSBOOT_MIRROR # and apt's proxy for debootstrap
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
}

# (run directories of runs that were killed before their teardown are released here)
debroot_run_dir "$cache"
run=$DEBROOT_RUN
id=$(echo "${run##*.}" | tr 'A-Z' 'a-z')
machine=lw-sysboot-$$-$id
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

# ---- the release build the README installs
phase "release build in $rel (--prefix=/usr --buildtype=release)"
if [ ! -f "$rel/build.ninja" ]; then
	meson setup "$rel" "$src" --prefix=/usr --buildtype=release >"$run/build.log" 2>&1 ||
		{ show_log "$run/build.log"; die "meson setup"; }
fi
meson compile -C "$rel" >>"$run/build.log" 2>&1 ||
	{ show_log "$run/build.log"; die "meson compile"; }

# ---- the Debian root: systemd, dbus, the run packages of scripts/install-deps.sh, and the
# packages of every library the two programs load (so a new dependency gets a new root)
pkgs=(systemd dbus iproute2 ieee-data sqlite3)
while read -r lib; do
	p=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
		dpkg -S "/usr$lib" 2>/dev/null) || die "$lib is not from a Debian package"
	pkgs+=("${p%%:*}")
done < <(ldd "$rel/daemon/leakwatchd" "$rel/cli/leakwatch" |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
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

# ---- the README's steps, as root in the machine
# (into the running machine, as on an AP: the user and its directory do not exist yet)
phase "meson install --destdir (the README's step, into the running machine's root)"
meson install -C "$rel" --no-rebuild --destdir "$run/root" >"$run/install.log" 2>&1 ||
	{ show_log "$run/install.log"; die "meson install"; }
conf=$run/root/etc/leakwatch/leakwatch.conf
check "meson install: /etc/leakwatch/leakwatch.conf is 0600 ($(stat -c %a "$conf" 2>&1))" \
	test "$(stat -c %a "$conf" 2>/dev/null)" = 600
check "meson install: unit, sysusers and tmpfiles files in /usr/lib" test -f \
	"$run/root/usr/lib/systemd/system/leakwatch.service" -a -f \
	"$run/root/usr/lib/sysusers.d/leakwatch.conf" -a -f \
	"$run/root/usr/lib/tmpfiles.d/leakwatch.conf"
check "before the README's next step: no user leakwatch, no /var/lib/leakwatch" eval \
	'! in_ct getent passwd leakwatch >/dev/null && [ ! -e "$run/root/var/lib/leakwatch" ]'
phase "systemd-sysusers && systemd-tmpfiles --create leakwatch.conf"
in_ct sh -c 'systemd-sysusers && systemd-tmpfiles --create leakwatch.conf' ||
	die "systemd-sysusers / systemd-tmpfiles"
in_ct sed -i 's/^#interface = .*/interface = br-lan/' /etc/leakwatch/leakwatch.conf
check "config: [capture] interface = br-lan" \
	test "$(in_ct grep -c '^interface = br-lan$' /etc/leakwatch/leakwatch.conf)" = 1
perm=$(in_ct stat -c '%a %U %G' /etc/leakwatch/leakwatch.conf /var/lib/leakwatch | paste -sd' ')
check "config 0600 and /var/lib/leakwatch 0700, both leakwatch's ($perm)" \
	test "$perm" = "600 leakwatch leakwatch 700 leakwatch leakwatch"

phase "systemctl daemon-reload && systemctl enable --now leakwatch"
start=$SECONDS
in_ct sh -c 'systemctl daemon-reload && systemctl enable --now leakwatch' 2>&1
rc=$?
check "enable --now returned 0: the start job ended, READY=1 came ($((SECONDS - start))s)" \
	test $rc = 0
prop() { in_ct systemctl show -P "$1" leakwatch; }
check "systemctl is-active leakwatch: $(in_ct systemctl is-active leakwatch)" \
	test "$(in_ct systemctl is-active leakwatch)" = active
check "status from sd_notify: '$(prop StatusText)'" \
	test "$(prop StatusText)" = "capturing on br-lan"
check "enabled: $(in_ct systemctl is-enabled leakwatch)" \
	test "$(in_ct systemctl is-enabled leakwatch)" = enabled
pid=$(prop MainPID)
[ -n "$pid" ] && [ "$pid" != 0 ] || {
	in_ct journalctl -u leakwatch --no-pager -o short-monotonic
	die "no main PID"
}

# ---- what the running daemon is
status=$(in_ct cat "/proc/$pid/status")
field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' <<<"$status"; }
uid=$(in_ct id -u leakwatch) gid=$(in_ct id -g leakwatch)
check "runs as user leakwatch (Uid: $(field Uid), Gid: $(field Gid); leakwatch is $uid:$gid)" \
	test "$(field Uid | tr -s '\t ' ' ')" = "$uid $uid $uid $uid" -a \
	"$(field Gid | tr -s '\t ' ' ')" = "$gid $gid $gid $gid"
two=0000000000003000 # CAP_NET_ADMIN (12) and CAP_NET_RAW (13)
for f in CapEff CapPrm CapBnd; do
	check "$f = $(field $f) (CAP_NET_RAW and CAP_NET_ADMIN, nothing else)" test "$(field $f)" = $two
done
for f in CapInh CapAmb; do
	check "$f = $(field $f) (no more than those two)" \
		test $((0x$(field $f) & ~0x$two)) -eq 0
done
check "NoNewPrivs: $(field NoNewPrivs), Seccomp: $(field Seccomp) (filter)" \
	test "$(field NoNewPrivs)" = 1 -a "$(field Seccomp)" = 2
# the parser: the main process's child named leakwatchd (/proc/PID/stat: "PID (comm) S PPID"),
# which drops both capabilities and adds a seccomp filter of its own
parser=$(in_ct sh -c "grep -l '^[0-9]* (leakwatchd) [A-Za-z] $pid ' /proc/[0-9]*/stat" 2>/dev/null |
	sed -n 's|^/proc/\([0-9]*\)/stat$|\1|p' | head -n 1)
pstatus=$(in_ct cat "/proc/${parser:-0}/status" 2>/dev/null)
pfield() { awk -v k="$1:" '$1 == k { print $2 }' <<<"$pstatus"; }
got="$(pfield CapEff) $(pfield CapPrm) $(pfield CapAmb) $(pfield NoNewPrivs) $(pfield Seccomp)"
check "the parser (pid ${parser:-none}, a child named leakwatchd): CapEff CapPrm CapAmb NoNewPrivs Seccomp = $got" \
	test -n "$parser" -a "$got" = "0000000000000000 0000000000000000 0000000000000000 1 2"
# the daemon's view of the file system: ProtectSystem=strict with its state directory writable
mi=$(in_ct cat "/proc/$pid/mountinfo")
opts() { awk -v m="$1" '$5 == m { o = $6 } END { print o }' <<<"$mi"; }
check "its / is read-only ($(opts /)), /var/lib/leakwatch writable ($(opts /var/lib/leakwatch))" \
	eval '[[ $(opts /) =~ (^|,)ro(,|$) && $(opts /var/lib/leakwatch) =~ (^|,)rw(,|$) ]]'
db=$(in_ct stat -c '%a %U %G' /var/lib/leakwatch/leakwatch.db)
check "database /var/lib/leakwatch/leakwatch.db: $db" test "$db" = "600 leakwatch leakwatch"

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
for ((i = 0; i < 50; i++)); do # the writer commits every 500 ms
	row=$(in_ct leakwatch --wide devices 2>&1 | grep -i " $phone_mac ")
	[ -n "$row" ] && break
	sleep 0.2
done
echo "     leakwatch devices: ${row:-(no row for $phone_mac)}"
check "leakwatch devices: the phone, with its DHCP host name" \
	eval '[[ $row == *" $phone_name "* ]]'
check "leakwatch devices: its vendor, from ieee-data read inside the sandbox" \
	eval '[[ $row == *IANA* ]]'

# ---- SIGHUP; reload
phase "reload and SIGHUP"
in_ct systemctl reload leakwatch >/dev/null 2>&1
rc=$?
check "systemctl reload is refused (no ExecReload: the daemon does not reload yet)" test $rc -ne 0
in_ct systemctl kill --kill-who=main -s HUP leakwatch
sleep 0.5
check "after SIGHUP: still active, same main PID, no restart" test \
	"$(in_ct systemctl is-active leakwatch) $(prop MainPID) $(prop NRestarts)" = "active $pid 0"
check "the journal shows the SIGHUP handled" \
	eval 'in_ct journalctl -u leakwatch -o cat | grep -q "^SIGHUP: reload is not supported"'

# ---- stop
phase "systemctl stop leakwatch"
in_ct systemctl stop leakwatch
rc=$?
check "systemctl stop returned 0" test $rc -eq 0
res="$(prop ActiveState) $(prop Result) $(prop ExecMainCode) $(prop ExecMainStatus)"
check "stopped cleanly: ActiveState Result ExecMainCode ExecMainStatus = $res" \
	test "$res" = "inactive success 1 0" # 1: CLD_EXITED
warn=$(in_ct journalctl -u leakwatch -p warning -o cat --no-pager)
check "no warning or error in the unit's journal${warn:+: $warn}" test -z "$warn"
check "the database keeps the device after the stop" \
	eval 'in_ct leakwatch --wide devices | grep -qi " $phone_mac "'
echo "---- journalctl -u leakwatch"
in_ct journalctl -u leakwatch -o short-monotonic --no-pager

# ---- shut the machine down; nothing may be left
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
phase "done"
exit $fail
