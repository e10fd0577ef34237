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

# the cached Debian root, run directories over it, their release (shared with tests/fresh), and
# the machine booted from it (shared with tests/package)
# shellcheck source=../tests/debroot.sh
. "$src/tests/debroot.sh"
# shellcheck source=../tests/nspawn-lib.sh
. "$src/tests/nspawn-lib.sh"
[ "$sanitize" = none ] ||
	skip "runs in the plain build only (it builds, installs and boots its own release tree)"
nspawn_host_checks meson:meson
debroot_mirror LW_SYSBOOT_MIRROR # and apt's proxy for debootstrap
nspawn_run_dir "$cache" lw-sysboot

# ---- the release build the README installs
phase "release build in $rel (--prefix=/usr --buildtype=release)"
if [ ! -f "$rel/build.ninja" ]; then
	meson setup "$rel" "$src" --prefix=/usr --buildtype=release >"$run/build.log" 2>&1 ||
		{ show_log "$run/build.log"; die "meson setup"; }
fi
meson compile -C "$rel" >>"$run/build.log" 2>&1 ||
	{ show_log "$run/build.log"; die "meson compile"; }

# ---- the Debian root: systemd, dbus, the run packages of scripts/install-deps.sh, and the
# packages of every library the two programs load (so a new dependency gets a new root), under
# an overlay; booted
nspawn_root "$cache" "$rel/daemon/leakwatchd" "$rel/cli/leakwatch"
nspawn_boot

# ---- the network the daemon captures: a bridge with a port, a "phone" on the port's peer
nspawn_bridge "$phone_mac"

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
nspawn_poweroff_checks
phase "done"
exit $fail
