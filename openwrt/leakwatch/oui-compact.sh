#!/bin/sh
# oui-compact.sh: a compact OUI table for routers, from the IEEE MA-L registry (oui.txt or
# oui.csv, e.g. Debian's ieee-data).  The output is in oui.txt's own format, one line per
# prefix ("AABBCC (base 16)<TAB>Name"), so leakwatchd reads it as it reads the registry
# ([ap] oui_file); the address lines, the hex lines and the header are dropped.
#   oui-compact.sh [-a] [-n MAXLEN] [REGISTRY] > oui.txt
#   REGISTRY   default /usr/share/ieee-data/oui.txt
#   -a         every vendor (about 1.1 MB for 32 500 prefixes); default: only the vendors of
#              phones, tablets, computers, TVs and common home devices (VENDORS below)
#   -n MAXLEN  names cut to MAXLEN characters (default 40)
# POSIX sh and awk (busybox too).
set -eu

# Vendors kept by default: an extended regular expression, matched case-insensitively
# against the organisation's name.
VENDORS='apple|samsung|huawei|honor device|xiaomi|beijing xiaomi|oneplus|guangdong oppo|oppo|vivo mobile|realme|motorola|lenovo|google|nokia|hmd global|sony|lg electronics|zte|tcl|asus|htc|meizu|fairphone|amazon|microsoft|intel corporate|dell|hewlett|hp inc|acer|espressif|raspberry|nintendo|roku|sonos|tp-link|netgear|avm|garmin|fitbit|withings|xiaomi communications|murata|azurewave|liteon|hon hai|universal global|chicony|texas instruments|shenzhen|ieee registration|iana'

all=0 maxlen=40
while getopts an: opt; do
	case $opt in
	a) all=1 ;;
	n) maxlen=$OPTARG ;;
	*)
		echo "usage: $0 [-a] [-n MAXLEN] [REGISTRY]" >&2
		exit 64
		;;
	esac
done
shift $((OPTIND - 1))
reg=${1:-/usr/share/ieee-data/oui.txt}
[ -r "$reg" ] || {
	echo "oui-compact.sh: cannot read $reg (Debian: apt-get install ieee-data)" >&2
	exit 66
}
case $maxlen in
'' | *[!0-9]*)
	echo "oui-compact.sh: -n takes a number" >&2
	exit 64
	;;
esac

awk -v all="$all" -v maxlen="$maxlen" -v vendors="$VENDORS" '
	function out(prefix, name) {
		gsub(/[ \t\r]+$/, "", name)
		gsub(/^[ \t]+/, "", name)
		if (name == "" || seen[prefix]++) return
		if (!all && tolower(name) !~ vendors) return
		if (length(name) > maxlen) {
			name = substr(name, 1, maxlen)
			gsub(/[ \t,.]+$/, "", name)
		}
		printf "%s (base 16)\t%s\n", prefix, name
	}
	# oui.txt: "002272     (base 16)		American Micro-Fuel Device Corp."
	$0 ~ /^[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][ \t]+\(base 16\)/ {
		name = $0
		sub(/^[^)]*\)/, "", name)
		out(toupper(substr($0, 1, 6)), name)
		next
	}
	# oui.csv: MA-L,002272,American Micro-Fuel Device Corp.,address   (or "quoted, name")
	/^MA-L,/ {
		prefix = toupper(substr($0, 6, 6))
		rest = substr($0, 13)
		if (substr(rest, 1, 1) == "\"") {
			rest = substr(rest, 2)
			name = ""
			while (rest != "") {
				i = index(rest, "\"")
				if (i == 0) { name = name rest; break }
				name = name substr(rest, 1, i - 1)
				rest = substr(rest, i + 1)
				if (substr(rest, 1, 1) == "\"") { name = name "\""; rest = substr(rest, 2) }
				else break
			}
		} else {
			i = index(rest, ",")
			name = i ? substr(rest, 1, i - 1) : rest
		}
		out(prefix, name)
	}
' "$reg" | LC_ALL=C sort
