#!/bin/sh
# shellcheck disable=SC2016,SC2317,SC2034
# (SC2016, SC2034: checks given to eval expand later, on purpose; SC2317: functions called by check)
# openwrt/leakwatch: leakwatch-uci2ini (UCI to the daemon's INI) and oui-compact.sh (the compact
# OUI table), checked with leakwatchd itself: the INI written from the shipped
# /etc/config/leakwatch is accepted by the daemon's configuration parser (it reads a capture
# with it, exit 0), a wrong key is refused with exit 78 and a line that leads back to the UCI
# file, and a device's vendor comes from the compact table.  With busybox installed, both
# scripts run again under busybox sh and busybox awk and must write the same bytes.
#   uci2ini.sh SOURCE_ROOT LEAKWATCHD LEAKWATCH
set -u
src=$1 leakwatchd=$2 leakwatch=$3
ow=$src/openwrt/leakwatch
u2i=$ow/files/leakwatch-uci2ini
# shellcheck source=ow-lib.sh
. "$(dirname "$0")/ow-lib.sh"
# same TEXT FILE: the file holds exactly TEXT (and a newline)
same() {
	printf '%s\n' "$1" >"$tmp/want"
	if cmp -s "$tmp/want" "$2"; then
		return 0
	fi
	diff -u "$tmp/want" "$2" | sed 's/^/     /'
	return 1
}
keys() { grep -v '^#' "$1" | grep -v '^$'; } # the INI without comments and blank lines

# ---- the shipped configuration
sh "$u2i" "$ow/files/leakwatch.config" "$tmp/etc/leakwatch.conf"
rc=$?
check "the shipped /etc/config/leakwatch converts (exit $rc)" test $rc = 0
keys "$tmp/etc/leakwatch.conf" >"$tmp/shipped.keys"
check "its sections and keys, in order; [service] left out" same '[capture]
interface = br-lan
buffer_kb = 1024
[database]
path = /etc/leakwatch/leakwatch.db
commit_interval_ms = 60000
max_db_mb = 16
flows_days = 7
dns_days = 7
[flows]
max_flows = 8192
lan = 192.168.1.0/24
[ap]
oui_file = /usr/share/leakwatch/oui.txt
hostapd_ctrl_dir = /var/run/hostapd
[block]
enabled = 1' "$tmp/shipped.keys"
check "the INI is 0600 (it may hold identifiers: [device] sections)" \
	test "$(stat -c %a "$tmp/etc/leakwatch.conf")" = 600
check "each key has its UCI line above it" \
	grep -qx "# $ow/files/leakwatch.config:[0-9]*" "$tmp/etc/leakwatch.conf"

# ---- the UCI syntax: quotes, bare words, lists, devices, comments, package
cat >"$tmp/syntax" <<'UCI'
package leakwatch
# a comment
config service 'service'
	option enabled 1
	option run_as_root '1'

config capture capture
	option interface "br-lan"   # a comment after the value
	option snaplen 65536
config flows
	list lan '192.168.1.0/24'
	list lan "fd00::/8"
	option tcp_idle '3'"00"
config device
	option label 'Alex'"'"'s "phone"'
	option mac '02:00:5e:10:00:01'
	list imei '356938035643809'
	list email "alex\@example.org"
config detect 'detect'
	option learn 'no'
UCI
(umask 077 && sh "$u2i" "$tmp/syntax" - >"$tmp/syntax.ini")
rc=$?
check "quotes, bare words, lists, devices and comments convert (exit $rc)" test $rc = 0
keys "$tmp/syntax.ini" >"$tmp/syntax.keys"
check "... into these sections and keys" same '[capture]
interface = br-lan
snaplen = 65536
[flows]
lan = 192.168.1.0/24
lan = fd00::/8
tcp_idle = 300
[device 02:00:5e:10:00:01]
label = Alex'"'"'s "phone"
imei = 356938035643809
email = alex@example.org
[detect]
learn = no' "$tmp/syntax.keys"

# ---- what it refuses: exit 65 naming the line, the previous INI kept
bad() { # bad DESCRIPTION UCI_TEXT MESSAGE
	printf '%s\n' "$2" >"$tmp/bad"
	msg=$3
	echo keep >"$tmp/out.ini"
	sh "$u2i" "$tmp/bad" "$tmp/out.ini" 2>"$tmp/err"
	rc=$?
	check "$1: exit $rc, '$(cat "$tmp/err")'" \
		eval '[ $rc = 65 ] && grep -q "$msg" "$tmp/err" && [ "$(cat "$tmp/out.ini")" = keep ] &&
			[ -z "$(find "$tmp" -name "out.ini.tmp.*")" ]'
}
bad "an unterminated quote" "config capture
	option interface 'br-lan" "bad:2: unterminated quote"
bad "an option before any config" "option interface br-lan" "bad:1: option before any config"
bad "a device without mac" "config device
	option label x" "without option mac"
bad "a word that is no keyword" "config capture
	interface br-lan" "bad:2: expected config, option or list"
bad "text after the value" "config capture
	option interface br-lan br0" "bad:2: text after the value"
bad "a section type that is no INI name" "config 'cap ture'" "bad:1: config needs a type"
sh "$u2i" "$tmp/none" "$tmp/out.ini" 2>/dev/null
rc=$?
check "no UCI file: exit $rc (66)" test $rc = 66

# ---- leakwatchd's parser: a capture read with the INI of the shipped configuration
# an empty capture (pcap header only, Ethernet)
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000' \
	>"$tmp/empty.pcap"
"$leakwatchd" -q -c "$tmp/etc/leakwatch.conf" -r "$tmp/empty.pcap" --db "$tmp/shipped.db" \
	>"$tmp/d.log" 2>&1
rc=$?
check "leakwatchd accepts the INI of the shipped configuration (-r, exit $rc)" test $rc = 0
[ $rc = 0 ] || sed 's/^/     /' "$tmp/d.log"
"$leakwatchd" -q -c "$tmp/syntax.ini" -r "$tmp/empty.pcap" --db "$tmp/syntax.db" >"$tmp/d.log" 2>&1
rc=$?
check "leakwatchd accepts the INI of the syntax case (-r, exit $rc)" test $rc = 0
[ $rc = 0 ] || sed 's/^/     /' "$tmp/d.log"

# a key the daemon does not know: exit 78, its INI line, whose comment names the UCI line
printf 'config capture\n\toption interface br-lan\n\toption snaplenn 1500\n' >"$tmp/typo"
sh "$u2i" "$tmp/typo" "$tmp/typo.ini"
"$leakwatchd" -q -c "$tmp/typo.ini" -r "$tmp/empty.pcap" --db "$tmp/typo.db" >"$tmp/d.log" 2>&1
rc=$?
line=$(grep -o "typo.ini:[0-9]*" "$tmp/d.log" | head -n 1)
n=${line#*:}
back=$(sed -n "$((${n:-1} - 1))p" "$tmp/typo.ini")
check "a misspelt UCI option: leakwatchd exits $rc (78), '$(head -n 1 "$tmp/d.log")'" \
	test $rc = 78 -a -n "$line"
check "... and the INI line it names follows '$back' (the UCI file's line 3)" \
	test "$back" = "# $tmp/typo:3"
# a value out of range
printf 'config capture\n\toption snaplen 10\n' >"$tmp/range"
sh "$u2i" "$tmp/range" "$tmp/range.ini"
"$leakwatchd" -q -c "$tmp/range.ini" -r "$tmp/empty.pcap" --db "$tmp/range.db" >/dev/null 2>&1
rc=$?
check "a value out of range (snaplen 10): leakwatchd exits $rc (78)" test $rc = 78

# ---- the compact OUI table
cat >"$tmp/oui.txt" <<'OUI'
OUI/MA-L                                                    Organization
company_id                                                  Organization
                                                            Address

00-00-5E   (hex)		ICANN, IANA Department
00005E     (base 16)		ICANN, IANA Department
				INTERNET ASS'NED NOS.AUTHORITY
				LOS ANGELES  CA  90094-2536
				US

28-6C-07   (hex)		XIAOMI Electronics,CO.,LTD
286C07     (base 16)		XIAOMI Electronics,CO.,LTD
				Xiaomi Building, No.68 Qinghe Middle Street
				Haidian District, Beijing  100085
				CN

00-22-72   (hex)		American Micro-Fuel Device Corp.
002272     (base 16)		American Micro-Fuel Device Corp.
				2181 Buchanan Loop
				Ferndale  WA  98248
				US
OUI
cat >"$tmp/oui.csv" <<'CSV'
Registry,Assignment,Organization Name,Organization Address
MA-L,002272,American Micro-Fuel Device Corp.,2181 Buchanan Loop Ferndale WA US 98248
MA-L,00005E,"ICANN, IANA Department","INTERNET ASS'NED NOS.AUTHORITY LOS ANGELES CA US 90094-2536"
MA-L,286C07,"XIAOMI Electronics,CO.,LTD","Xiaomi Building, No.68 Qinghe Middle Street Haidian District, Beijing CN 100085"
CSV
tab=$(printf '\t')
sh "$ow/oui-compact.sh" "$tmp/oui.txt" >"$tmp/compact.txt"
check "oui-compact.sh: the phones' and common vendors' lines of oui.txt, sorted" same \
	"00005E (base 16)${tab}ICANN, IANA Department
286C07 (base 16)${tab}XIAOMI Electronics,CO.,LTD" "$tmp/compact.txt"
sh "$ow/oui-compact.sh" "$tmp/oui.csv" >"$tmp/compact-csv.txt"
check "oui-compact.sh: the same from oui.csv (quoted names)" cmp -s "$tmp/compact.txt" "$tmp/compact-csv.txt"
sh "$ow/oui-compact.sh" -a -n 12 "$tmp/oui.txt" >"$tmp/compact-a.txt"
check "oui-compact.sh -a -n 12: every vendor, names cut" same \
	"00005E (base 16)${tab}ICANN, IANA
002272 (base 16)${tab}American Mic
286C07 (base 16)${tab}XIAOMI Elect" "$tmp/compact-a.txt"
if [ -r /usr/share/ieee-data/oui.txt ]; then
	sh "$ow/oui-compact.sh" >"$tmp/real.txt"
	check "oui-compact.sh on ieee-data: $(wc -l <"$tmp/real.txt") prefixes, $(wc -c <"$tmp/real.txt") bytes (< 512 KiB)" \
		test "$(wc -c <"$tmp/real.txt")" -lt 524288 -a "$(wc -l <"$tmp/real.txt")" -gt 1000
fi

# leakwatchd reads it: a DHCP request from 00:00:5e:00:53:01 (IANA's OUI) in a capture, the
# compact table as [ap] oui_file, the device's vendor in `leakwatch devices`
if command -v python3 >/dev/null; then
	python3 - "$tmp/dhcp.pcap" <<'PY'
import struct, sys
mac = bytes.fromhex("00005e005301")
name = b"lw-openwrt-phone"
dhcp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x4C574F57, 0, 0x8000, bytes(4),
                   bytes(4), bytes(4), bytes(4), mac + bytes(10), bytes(64), bytes(128))
dhcp += b"\x63\x82\x53\x63" + bytes([53, 1, 1, 12, len(name)]) + name + b"\xff"
udp = struct.pack("!HHHH", 68, 67, 8 + len(dhcp), 0) + dhcp
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(4), b"\xff" * 4)
s = sum(struct.unpack("!10H", ip))
s = (s >> 16) + (s & 0xFFFF)
ip = ip[:10] + struct.pack("!H", ~(s + (s >> 16)) & 0xFFFF) + ip[12:]
frame = b"\xff" * 6 + mac + b"\x08\x00" + ip + udp
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame)
PY
	printf 'config ap\n\toption oui_file %s\n' "$tmp/compact.txt" >"$tmp/oui.uci"
	sh "$u2i" "$tmp/oui.uci" "$tmp/oui.ini"
	"$leakwatchd" -q -c "$tmp/oui.ini" -r "$tmp/dhcp.pcap" --db "$tmp/oui.db" >"$tmp/d.log" 2>&1
	rc=$?
	row=$("$leakwatch" --db "$tmp/oui.db" --wide devices 2>&1 | grep -i ' 00:00:5e:00:53:01 ')
	echo "     leakwatch devices: ${row:-(none; leakwatchd exited $rc: $(head -n 3 "$tmp/d.log"))}"
	check "leakwatchd names the vendor from the compact table" \
		eval 'case $row in *"ICANN, IANA Department"*) true ;; *) false ;; esac'
else
	echo "skip the vendor check: needs python3 (to write the capture)"
fi

# ---- busybox: the same output under busybox sh and busybox awk
if command -v busybox >/dev/null && busybox awk 'BEGIN { exit 0 }' 2>/dev/null; then
	bb=$(command -v busybox)
	mkdir "$tmp/bb"
	for c in awk sh sort mkdir mv rm dirname cat; do
		ln -s "$bb" "$tmp/bb/$c"
	done
	PATH=$tmp/bb "$bb" sh "$u2i" "$ow/files/leakwatch.config" - >"$tmp/bb1.ini"
	sh "$u2i" "$ow/files/leakwatch.config" - >"$tmp/sh1.ini"
	check "busybox: the shipped configuration, the same INI" cmp -s "$tmp/bb1.ini" "$tmp/sh1.ini"
	PATH=$tmp/bb "$bb" sh "$u2i" "$tmp/syntax" - >"$tmp/bb2.ini"
	check "busybox: the syntax case, the same INI" cmp -s "$tmp/bb2.ini" "$tmp/syntax.ini"
	printf "config capture\n\toption interface 'br-lan\n" >"$tmp/bb.bad"
	PATH=$tmp/bb "$bb" sh "$u2i" "$tmp/bb.bad" - >/dev/null 2>&1
	rc=$?
	check "busybox: an unterminated quote, exit $rc (65)" test $rc = 65
	PATH=$tmp/bb "$bb" sh "$ow/oui-compact.sh" "$tmp/oui.csv" >"$tmp/bb-compact.txt"
	check "busybox: oui-compact.sh, the same table" cmp -s "$tmp/bb-compact.txt" "$tmp/compact.txt"
else
	echo "skip the busybox checks: busybox is not installed"
fi
exit $fail
