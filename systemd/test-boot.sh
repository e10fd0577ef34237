#!/usr/bin/env bash
# The README's "Installing as a service", done under a real systemd: a minimal Debian root of
# the host's release (debootstrap; cached in /var/tmp/leakwatch-sysboot), leakwatch installed
# into it by `meson install` from a --prefix=/usr release build, booted with `systemd-nspawn -b`
# in a network namespace of its own.  Inside: a bridge with a port, systemd-sysusers,
# systemd-tmpfiles, the bridge in /etc/leakwatch/leakwatch.conf, `systemctl enable --now
# leakwatch`; then the running service is checked (readiness, user, capabilities, sandbox,
# database, a device from a DHCP request, SIGHUP, stop) and the machine is shut down.  When the
# release build has the fleet's publisher (meson option fleet), leakwatch-push.service is run
# too, against the host's nats-server in the machine's network namespace (push_checks below).
# Needs root; skipped (77) without it or without what systemd-nspawn needs.
#   test-boot.sh SOURCE_ROOT RELEASE_BUILD_DIR [B_SANITIZE]
# LW_SYSBOOT_MIRROR overrides the Debian mirror (default: the host's apt source).
set -uo pipefail
src=$(realpath "$1") rel=$2 sanitize=${3:-none}
cache=/var/tmp/leakwatch-sysboot
phone_mac=00:00:5e:00:53:01 # documentation range (RFC 7042), IANA's OUI
phone_name=lw-sysboot-phone
phone2_mac=00:00:5e:00:53:02 phone2_name=lw-sysboot-phone2 # (comes while NATS is away)
nats_pid=''

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
# packages of every library the programs load (libnats' too when the fleet is built; so a new
# dependency gets a new root), under an overlay; booted
push=$rel/fleet/leakwatch-push
[ -x "$push" ] || push=''
nspawn_root "$cache" "$rel/daemon/leakwatchd" "$rel/cli/leakwatch" ${push:+"$push"}
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

# dhcp_discover MAC NAME: a DHCP discover with a host name, sent by phone0 with MAC as its source
dhcp_discover() {
	nsenter --target "$leader" --net -- /usr/bin/python3 - phone0 "$1" "$2" <<'PY'
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
}

# ---- traffic: a DHCP discover with a host name from the phone, through the bridge port
phase "a DHCP request from $phone_mac through the bridge"
dhcp_discover "$phone_mac" "$phone_name"
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

# ---- the fleet's publisher (README "Many APs", "Processes"): leakwatch-push.service beside the
# daemon, against a JetStream server in the machine's network namespace (the host's
# nats-server, started and stopped here), the README's steps, then the running unit checked
# (user, no capability, sandbox, a pass acknowledged, the phone's row in the stream), NATS
# stopped under it (it says so, stays up, starts again after RestartSec when it cannot
# connect), and a clean stop
# js req|pub SUBJECT [DATA]: a JetStream API request to the machine's nats-server
js() { nsenter --target "$leader" --net -- python3 "$src/tests/fleet/jsapi.py" 4222 "$@"; }
# stream_has SUBJECT TEXT...: a message of stream LEAKWATCH on SUBJECT holds every TEXT (the
# rows are binary, their text values as they are; a MAC in either case)
stream_has() {
	nsenter --target "$leader" --net -- python3 - "$src/tests/fleet/jsapi.py" "$@" <<'PY'
import base64, json, subprocess, sys

jsapi, subject, texts = sys.argv[1], sys.argv[2], [t.lower().encode() for t in sys.argv[3:]]
seq = 1
while True:
    r = subprocess.run(["python3", jsapi, "4222", "req", "$JS.API.STREAM.MSG.GET.LEAKWATCH",
                        json.dumps({"seq": seq, "next_by_subj": subject})],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(1)  # (no message left on it: error 10037)
    m = json.loads(r.stdout)["message"]
    if all(t in base64.b64decode(m["data"]).lower() for t in texts):
        sys.exit(0)
    seq = m["seq"] + 1
PY
}
# nats_stop: the nats-server this script started (a child of this shell by that name), if any
nats_stop() {
	local i
	[ -n "$nats_pid" ] || return 0
	if grep -q "^$nats_pid (nats-server) [A-Za-z] $$ " "/proc/$nats_pid/stat" 2>/dev/null; then
		kill -TERM "$nats_pid"
		for ((i = 0; i < 100; i++)); do
			kill -0 "$nats_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$nats_pid" 2>/dev/null && kill -KILL "$nats_pid"
	fi
	wait "$nats_pid" 2>/dev/null
	nats_pid=''
}
# on every way out (teardown, before the run directory with its store goes)
nspawn_release_extra() { nats_stop; }
push_checks() {
	local js_dir=$run/js ap=lw-sysboot-ap servers=nats://nats-lw-sysboot:4222 subj ppid pstatus
	local got other start rc i b
	subj=leakwatch.$ap.devices
	phase "the fleet's publisher: nats-server -js in the machine's network namespace"
	mkdir -p "$js_dir"
	nats_start() {
		nsenter --target "$leader" --net -- nats-server -js -a 127.0.0.1 -p 4222 \
			-n lw-sysboot -sd "$js_dir" >>"$run/nats.log" 2>&1 9>&- &
		nats_pid=$!
		for ((i = 0; i < 100; i++)); do
			JSAPI_TIMEOUT=2 js req '$JS.API.INFO' >/dev/null 2>&1 && return 0
			kill -0 "$nats_pid" 2>/dev/null || break
			sleep 0.1
		done
		show_log "$run/nats.log"
		die "nats-server did not answer \$JS.API.INFO"
	}
	nats_start
	# the stream as leakwatch-collect --init makes it, and its two KV buckets (the central
	# flags, the collector's requests to send rows again), so that the push finds them
	js req '$JS.API.STREAM.CREATE.LEAKWATCH' '{"name":"LEAKWATCH","subjects":["leakwatch.>"],
		"retention":"limits","storage":"file","num_replicas":1,
		"duplicate_window":600000000000}' >/dev/null ||
		die "\$JS.API.STREAM.CREATE.LEAKWATCH"
	for b in LEAKWATCH_FLAGS LEAKWATCH_RESEND; do
		js req "\$JS.API.STREAM.CREATE.KV_$b" '{"name":"KV_'$b'","subjects":["$KV.'$b'.>"],
			"retention":"limits","storage":"file","num_replicas":1,
			"max_msgs_per_subject":1,"max_msg_size":1024,"discard":"new",
			"duplicate_window":120000000000,"allow_rollup_hdrs":true,
			"deny_delete":true,"allow_direct":true}' >/dev/null ||
			die "the KV bucket $b"
	done
	echo "     stream LEAKWATCH (leakwatch.>, file, 1 replica), KV buckets LEAKWATCH_FLAGS and LEAKWATCH_RESEND"

	phase "[fleet] in /etc/leakwatch/leakwatch.conf; systemctl enable --now leakwatch-push"
	check "meson install: /usr/lib/systemd/system/leakwatch-push.service" \
		test -f "$run/root/usr/lib/systemd/system/leakwatch-push.service"
	# the server by name, so that libnats' name lookup runs inside the sandbox too (from
	# /etc/hosts: no DNS server here); a pass every 2 s instead of 10, so that the outage
	# below is seen quickly
	in_ct sh -c 'echo "127.0.0.1 nats-lw-sysboot" >>/etc/hosts'
	in_ct sed -i -e '/^\[fleet\]/,/^\[/{s/^enabled = no$/enabled = yes/;' \
		-e "s/^#ap_id = .*/ap_id = $ap/;s|^servers = .*|servers = $servers|;" \
		-e 's/^interval = .*/interval = 2/}' /etc/leakwatch/leakwatch.conf
	got=$(in_ct sed -n '/^\[fleet\]/,/^\[/{/^\(enabled\|ap_id\|servers\|interval\) =/p}' \
		/etc/leakwatch/leakwatch.conf | paste -sd' ')
	check "config: [fleet] $got" test "$got" = \
		"enabled = yes ap_id = $ap servers = $servers interval = 2"
	got=$(in_ct stat -c '%a %U %G' /etc/leakwatch/leakwatch.conf)
	check "config still 0600 leakwatch's ($got)" test "$got" = "600 leakwatch leakwatch"
	start=$SECONDS
	in_ct systemctl enable --now leakwatch-push 2>&1
	rc=$?
	check "systemctl enable --now leakwatch-push returned 0 ($((SECONDS - start))s)" test $rc = 0
	pprop() { in_ct systemctl show -P "$1" leakwatch-push; }
	jpush() { in_ct journalctl _SYSTEMD_UNIT=leakwatch-push.service -o cat --no-pager; }
	# a pass that sent the phone's device row: "ap ID: ... devices N ...; M messages
	# acknowledged in S s, R rows left"
	passes() { jpush | grep -E "^leakwatch-push: ap $ap: (.* )?devices [1-9][0-9]* .*; [0-9]+ messages acknowledged in [0-9.]+ s, [0-9]+ rows left$"; }
	got=''
	for ((i = 0; i < 100; i++)); do
		got=$(passes | head -n 1)
		[ -n "$got" ] && break
		sleep 0.2
	done
	echo "     journal: ${got:-(no pass that sent a device row)}"
	check "the journal shows a pass with the device row acknowledged" test -n "$got"
	check "systemctl is-active leakwatch-push: $(in_ct systemctl is-active leakwatch-push)" \
		test "$(in_ct systemctl is-active leakwatch-push)" = active
	ppid=$(pprop MainPID)
	pstatus=$(in_ct cat "/proc/${ppid:-0}/status" 2>/dev/null)
	pfield() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' <<<"$pstatus"; }
	check "leakwatch-push (pid $ppid) runs as user leakwatch (Uid: $(pfield Uid), Gid: $(pfield Gid))" \
		test "$(pfield Uid | tr -s '\t ' ' ')" = "$uid $uid $uid $uid" -a \
		"$(pfield Gid | tr -s '\t ' ' ')" = "$gid $gid $gid $gid"
	got="$(pfield CapEff) $(pfield CapPrm) $(pfield CapBnd) $(pfield CapAmb)"
	check "leakwatch-push: CapEff CapPrm CapBnd CapAmb = $got (none)" \
		test "$got" = "0000000000000000 0000000000000000 0000000000000000 0000000000000000"
	check "leakwatch-push: NoNewPrivs: $(pfield NoNewPrivs), Seccomp: $(pfield Seccomp) (filter)" \
		test "$(pfield NoNewPrivs)" = 1 -a "$(pfield Seccomp)" = 2
	# what is in the stream: the messages on leakwatch.AP.devices, and the phone's among them
	got=$(js req '$JS.API.STREAM.INFO.LEAKWATCH' "{\"subjects_filter\":\"$subj\"}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["state"].get("subjects", {}).get(sys.argv[1], 0))' "$subj")
	check "stream LEAKWATCH: ${got:-?} messages on $subj" test "${got:-0}" -ge 1
	check "a message on $subj holds the phone's row ($phone_mac, $phone_name)" \
		stream_has "$subj" "$phone_mac" "$phone_name"
	other=$(jpush | grep -vE "^leakwatch-push: (ap $ap: .* rows left|audit: [0-9]+ windows of [0-9]+ tables acknowledged|flags: [0-9]+ applied, [0-9]+ removed, the bucket's current flags in place \\(.*\\))$")
	check "nothing else in leakwatch-push's journal${other:+: $other}" test -z "$other"

	# ---- NATS away: the push says so and stays up; started again with NATS still away, it
	# cannot connect (exit 69) and systemd starts it again after RestartSec; NATS back, the
	# row of a device that came meanwhile arrives
	phase "NATS stopped under leakwatch-push; a second phone comes"
	nats_stop
	dhcp_discover "$phone2_mac" "$phone2_name"
	got=''
	for ((i = 0; i < 50; i++)); do
		got=$(in_ct leakwatch --wide devices 2>&1 | grep -i " $phone2_mac ")
		[ -n "$got" ] && break
		sleep 0.2
	done
	check "leakwatch devices: the second phone ($phone2_mac)" test -n "$got"
	got=''
	for ((i = 0; i < 100; i++)); do # a pass every 2 s, acknowledgements awaited 5 s
		got=$(jpush | grep -E '^leakwatch-push: not acknowledged: ' | head -n 1)
		[ -n "$got" ] && break
		sleep 0.2
	done
	echo "     journal: ${got:-(nothing about the outage)}"
	check "the journal says the pass was not acknowledged" test -n "$got"
	got=$(jpush | grep -E "^leakwatch-push: ap $ap: .*, [1-9][0-9]* rows left$" | tail -n 1)
	check "and that rows are left (${got:-none said})" test -n "$got"
	got="$(in_ct systemctl is-active leakwatch-push) $(pprop MainPID) $(pprop NRestarts)"
	check "still active, same main PID, no restart: $got" test "$got" = "active $ppid 0"
	in_ct systemctl restart leakwatch-push
	got=''
	for ((i = 0; i < 100; i++)); do # libnats gives up on a first connection after 5 s
		got="$(pprop ActiveState) $(pprop SubState) $(pprop Result) $(pprop ExecMainStatus)"
		[ "$got" = "activating auto-restart exit-code 69" ] && break
		sleep 0.2
	done
	check "restarted with NATS away: exit 69, waiting to start again ($got)" \
		test "$got" = "activating auto-restart exit-code 69"
	got=$(jpush | grep -E "^leakwatch-push: cannot connect to NATS at $servers: " | tail -n 1)
	check "the journal says why (${got:-no line})" test -n "$got"
	phase "NATS started again; leakwatch-push started again by systemd after RestartSec=30"
	nats_start
	start=$SECONDS
	got=''
	for ((i = 0; i < 250; i++)); do
		got="$(in_ct systemctl is-active leakwatch-push) $(pprop NRestarts)"
		[ "$got" = "active 1" ] && break
		sleep 0.2
	done
	check "active again after $((SECONDS - start))s, NRestarts 1 ($got)" test "$got" = "active 1"
	got=''
	for ((i = 0; i < 100; i++)); do
		stream_has "$subj" "$phone2_mac" "$phone2_name" && got=yes && break
		sleep 0.2
	done
	check "a message on $subj holds the second phone's row ($phone2_mac)" test -n "$got"
	other=$(jpush | grep -vE "^leakwatch-push: (ap $ap: .* rows left|audit: [0-9]+ windows of [0-9]+ tables acknowledged|flags: [0-9]+ applied, [0-9]+ removed, the bucket's current flags in place \\(.*\\)|not acknowledged: .*|cannot connect to NATS at $servers: .*)$")
	check "nothing else in leakwatch-push's journal${other:+: $other}" test -z "$other"

	phase "systemctl stop leakwatch-push"
	in_ct systemctl stop leakwatch-push
	rc=$?
	got="$(pprop ActiveState) $(pprop Result) $(pprop ExecMainCode) $(pprop ExecMainStatus)"
	check "systemctl stop returned 0; ActiveState Result ExecMainCode ExecMainStatus = $got" \
		test $rc = 0 -a "$got" = "inactive success 1 0"
	nats_stop
	echo "---- journalctl -u leakwatch-push"
	in_ct journalctl -u leakwatch-push -o short-monotonic --no-pager
}
if [ -z "$push" ]; then
	echo "skip leakwatch-push.service: the release build has no fleet/leakwatch-push (meson option fleet off; libnats-dev missing?)"
elif ! command -v nats-server >/dev/null; then
	echo "skip leakwatch-push.service: needs nats-server (package nats-server; scripts/install-deps.sh --tests)"
else
	push_checks
fi

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
