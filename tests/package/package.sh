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

# the cached Debian root and the machine booted from it (shared with systemd/test-boot.sh)
# shellcheck source=../debroot.sh
. "$src/tests/debroot.sh"
# shellcheck source=../nspawn-lib.sh
. "$src/tests/nspawn-lib.sh"
[ "$sanitize" = none ] ||
	skip "runs in the plain build only (it builds the package and boots a machine)"
nspawn_host_checks git:git dpkg-buildpackage:dpkg-dev dh:debhelper dpkg-checkbuilddeps:dpkg-dev
git -C "$src" rev-parse --verify -q HEAD >/dev/null || skip "$src is not a git checkout"
missing=$(cd "$src" && dpkg-checkbuilddeps 2>&1) ||
	skip "the package's build dependencies: ${missing#*: }"
debroot_mirror LW_SYSBOOT_MIRROR

# the package's build, outside the cache and the build tree; removed with the run directory
work=$(mktemp -d /var/tmp/leakwatch-package.XXXXXX)
nspawn_release_extra() { rm -rf --one-file-system "$work"; }
nspawn_run_dir "$cache" lw-package

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

# ---- the Debian root of systemd/test-boot.sh (the same packages, so the same cached root),
# under an overlay; booted; the network the daemon captures: a bridge with a port, a "phone" on
# the port's peer
nspawn_root "$cache" "$work/x/usr/sbin/leakwatchd" "$work/x/usr/bin/leakwatch"
nspawn_boot
nspawn_bridge "$phone_mac"

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

nspawn_poweroff_checks
phase "done: built, installed, checked and purged in $((SECONDS - t0))s"
exit $fail
