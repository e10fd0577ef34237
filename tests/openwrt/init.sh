#!/bin/sh
# shellcheck disable=SC2016,SC2317,SC2034
# (SC2016, SC2034: checks given to eval expand later; SC2317: functions called by the init script)
# openwrt/leakwatch/files/leakwatch.init without OpenWrt: its start_service() run with stand-ins
# for rc.common's config_* and procd_* functions (the UCI values read from the UCI file by a
# few lines of awk), a leakwatchd that records its arguments and a chown that records its
# own; the real leakwatch-uci2ini.  Checked: the procd instance (command, respawn, logread, the
# user leakwatch, the capabilities file, no_new_privs), run_as_root, enabled 0, a broken UCI
# file, the database directory, and /etc/capabilities/leakwatch.json.  Under busybox sh too
# when busybox is installed.  Not a test of procd itself.
#   init.sh SOURCE_ROOT
set -u
src=$1
ow=$src/openwrt/leakwatch
# shellcheck source=ow-lib.sh
. "$(dirname "$0")/ow-lib.sh"

root=$tmp/root
mkdir -p "$root/usr/sbin" "$root/etc/config" "$root/var/etc" "$root/etc/capabilities" "$tmp/bin"
cp "$ow/files/leakwatch-uci2ini" "$root/usr/sbin/"
# leakwatchd and chown: record their arguments
printf '#!/bin/sh\necho "leakwatchd $*" >>"%s"\n' "$tmp/calls" >"$root/usr/sbin/leakwatchd"
printf '#!/bin/sh\necho "chown $*" >>"%s"\n' "$tmp/calls" >"$tmp/bin/chown"
chmod +x "$root/usr/sbin/leakwatchd" "$root/usr/sbin/leakwatch-uci2ini" "$tmp/bin/chown"
# the init script with its paths under $root
sed -e "s|/usr/sbin/|$root/usr/sbin/|g" -e "s|/etc/config/|$root/etc/config/|g" \
	-e "s|/var/etc/|$root/var/etc/|g" -e "s|/etc/capabilities/|$root/etc/capabilities/|g" \
	"$ow/files/leakwatch.init" >"$tmp/leakwatch.init"

# rc.common's functions, as far as the script uses them
cat >"$tmp/harness" <<'SH'
config_load() { :; }
config_get() { # VAR SECTION OPTION [DEFAULT]
	v=$(awk -v s="$2" -v o="$3" '
		$1 == "config" { n = $3; gsub(/\047/, "", n); cur = (n == s) }
		cur && $1 == "option" && $2 == o { v = $3; gsub(/\047/, "", v); print v; exit }' \
		"$UCI")
	[ -n "$v" ] || v=${4:-}
	eval "$1=\$v"
}
config_get_bool() {
	config_get "$@"
	eval "case \$$1 in 1|on|true|yes|enabled) $1=1 ;; *) $1=0 ;; esac"
}
procd_open_instance() { echo "open_instance" >>"$LOG"; }
procd_set_param() { echo "set_param $*" >>"$LOG"; }
procd_close_instance() { echo "close_instance" >>"$LOG"; }
procd_add_reload_trigger() { echo "reload_trigger $*" >>"$LOG"; }
logger() { echo "logger $*" >>"$LOG"; }
SH

start() { # start SHELL UCI_TEXT: start_service and service_triggers; the status in $rc
	printf '%s\n' "$2" >"$root/etc/config/leakwatch"
	: >"$tmp/log"
	: >"$tmp/calls"
	PATH=$tmp/bin:$PATH UCI=$root/etc/config/leakwatch LOG=$tmp/log $1 -c \
		'. "$0"; . "$1"; start_service; rc=$?; service_triggers; exit $rc' \
		"$tmp/harness" "$tmp/leakwatch.init"
	rc=$?
}
has() { grep -qxF "$1" "$2"; }

uci=$(sed "s|'/etc/leakwatch/leakwatch.db'|'$tmp/flash/leakwatch/leakwatch.db'|" "$ow/files/leakwatch.config")
db=$tmp/flash/leakwatch/leakwatch.db
ini=$root/var/etc/leakwatch.conf
leakwatchd=$root/usr/sbin/leakwatchd
shells='sh'
command -v busybox >/dev/null && shells="sh busybox_sh"
busybox_sh() { busybox sh "$@"; }
for shell in $shells; do
	echo "== $shell"
	start "$shell" "$uci"
	check "start_service returns 0 ($rc)" test "$rc" = 0
	check "the INI written from /etc/config/leakwatch" \
		eval 'grep -qx "interface = br-lan" "$ini" && grep -qx "path = $db" "$ini"'
	check "root's part first: leakwatchd --prepare -c the INI" \
		has "leakwatchd --prepare -c $ini" "$tmp/calls"
	for p in "command $leakwatchd -c $ini" "respawn 3600 5 5" "stdout 1" "stderr 1" \
		"file $root/etc/config/leakwatch" "capabilities $root/etc/capabilities/leakwatch.json" \
		"no_new_privs 1" "user leakwatch" "group leakwatch"; do
		check "procd_set_param $p" has "set_param $p" "$tmp/log"
	done
	check "one instance, opened and closed" \
		test "$(grep -c '_instance$' "$tmp/log")" = 2
	check "a reload trigger on the leakwatch config" has "reload_trigger leakwatch" "$tmp/log"
	check "the database's directory exists, 0700 ($(stat -c %a "${db%/*}"))" \
		test "$(stat -c %a "${db%/*}")" = 700
	check "the directory and the INI are given to leakwatch" \
		has "chown leakwatch:leakwatch ${db%/*} $ini" "$tmp/calls"
	: >"$db"
	start "$shell" "$uci"
	check "an existing database is given to leakwatch too" \
		has "chown leakwatch:leakwatch $db" "$tmp/calls"

	start "$shell" "$(echo "$uci" | sed "s/option run_as_root '0'/option run_as_root '1'/")"
	check "run_as_root 1: no user, no group, no chown; the capabilities file still" eval \
		'[ $rc = 0 ] && ! grep -q "set_param user\|set_param group" "$tmp/log" &&
		! grep -q ^chown "$tmp/calls" && grep -q "set_param capabilities" "$tmp/log"'

	start "$shell" "$(echo "$uci" | sed "s/option enabled '1'/option enabled '0'/")"
	check "enabled 0: no instance, leakwatchd not run" eval \
		'[ $rc = 0 ] && ! grep -q _instance "$tmp/log" && [ ! -s "$tmp/calls" ]'

	start "$shell" "$uci
config capture
	option interface 'br-lan"
	check "a broken UCI file: status 1, logged, no instance" eval \
		'[ $rc = 1 ] && grep -q "^logger -t leakwatch" "$tmp/log" && ! grep -q _instance "$tmp/log"'
	rm -f "$db"
done

# the capabilities file: the two capabilities in each of the five sets procd reads
if command -v python3 >/dev/null; then
	check "leakwatch.json: bounding, effective, ambient, permitted, inheritable = CAP_NET_RAW, CAP_NET_ADMIN" \
		python3 -c '
import json, sys
caps = json.load(open(sys.argv[1]))
want = {"CAP_NET_RAW", "CAP_NET_ADMIN"}
sets = ("bounding", "effective", "ambient", "permitted", "inheritable")
sys.exit(not (set(caps) == set(sets) and all(set(caps[s]) == want and len(caps[s]) == 2 for s in sets)))' \
		"$ow/files/leakwatch.json"
fi
exit $fail
