#!/usr/bin/env bash
# Inside the stock-kernel VM (tests/vm/vm-run.sh): real Wi-Fi with mac80211_hwsim.  Two radios:
# one in the AP namespace with hostapd (nl80211, WPA2-PSK, channel 6, bridged into br0), one in
# a phone namespace with wpa_supplicant; leakwatchd captures br0 and follows hostapd.  The phone
# sends the Nokia ZZHC self-registration (a base64 JSON with its MEID, ICCID, IMSI and MAC)
# to zzhc.vnet.cn:9999 upstream.  Checked: a sessions row for the phone's MAC, leaks of kind
# imei and iccid attributed to that MAC, and a stations row (nl80211 station data, every
# [ap] station_interval = 1 s) with a signal, a TX bitrate and an inactive time.
#   wifi.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
lab_need root modprobe iw hostapd wpa_supplicant dnsmasq curl sqlite3 python3
[ -d /sys/module/mac80211_hwsim ] &&
	{ echo "mac80211_hwsim is already loaded: its radios may be someone else's"; rm -rf "$LAB_DIR"; exit 77; }
modprobe mac80211_hwsim radios=2 ||
	{ echo "this kernel has no mac80211_hwsim (802.11 radios)"; rm -rf "$LAB_DIR"; exit 77; }
hwsim_unload() { modprobe -r mac80211_hwsim 2>/dev/null; }
trap hwsim_unload EXIT

fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
q() { sqlite3 -cmd '.timeout 5000' "$db" "$1" 2>/dev/null; }
# wait_sql SECONDS SQL EXPECTED: poll the database until SQL prints EXPECTED
wait_sql() {
	local got=''
	for _ in $(seq $(($1 * 10))); do
		got=$(q "$2")
		[ "$got" = "$3" ] && return 0
		sleep 0.1
	done
	echo "  query:    $2"
	echo "  expected: $3"
	echo "  got:      $got"
	return 1
}
t0=$(date +%s.%N)
since() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

mac=3c:28:6d:5a:0b:11 # the phone (a registered OUI: Google)
phys=(/sys/class/ieee80211/*)
[ ${#phys[@]} -eq 2 ] || { bad "mac80211_hwsim radios=2 made ${#phys[@]} radios"; exit 1; }
ap_phy=$(basename "${phys[0]}") sta_phy=$(basename "${phys[1]}")

lab_up
trap 'lab_cleanup; hwsim_unload' EXIT
PH=$LAB_ID-phone1
ip netns add "$PH"
LAB_PHONES+=("$PH")
iw phy "$ap_phy" set netns name "$LAB_AP" && iw phy "$sta_phy" set netns name "$PH" ||
	{ bad "iw phy set netns"; exit 1; }
wlan() { lab_ns "$1" ls "/sys/class/ieee80211/$2/device/net"; }
ap_if=$(wlan "$LAB_AP" "$ap_phy") sta_if=$(wlan "$PH" "$sta_phy")
lab_ns "$PH" ip link set "$sta_if" address "$mac"
lab_ns "$PH" ip link set lo up
lab_ns "$PH" ip link set "$sta_if" up
lab_ns "$PH" ip addr add 192.0.2.11/24 dev "$sta_if"
mkdir -p "/etc/netns/$PH"
echo "nameserver 192.0.2.1" >"/etc/netns/$PH/resolv.conf"
echo "info radios: AP $ap_phy/$ap_if in $LAB_AP, phone $sta_phy/$sta_if ($mac) in $PH"

lab_host zzhc.vnet.cn 198.51.100.10
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$lab/servers.py" http:198.51.100.10:9999
lab_wait_port "$LAB_UP" tcp 9999 || exit 1

ctrl=$LAB_DIR/hostapd
cat >"$LAB_DIR/hostapd.conf" <<CONF
interface=$ap_if
driver=nl80211
bridge=br0
ctrl_interface=$ctrl
ssid=leakwatch-vm
hw_mode=g
channel=6
wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=correct horse battery
CONF
lab_bg "$LAB_AP" "$LAB_DIR/hostapd.log" hostapd "$LAB_DIR/hostapd.conf"
for _ in $(seq 100); do [ -S "$ctrl/$ap_if" ] && break; sleep 0.1; done
[ -S "$ctrl/$ap_if" ] || { bad "hostapd did not start"; cat "$LAB_DIR/hostapd.log"; exit 1; }

db=$LAB_DIR/wifi.db
cat >"$LAB_DIR/leakwatch.conf" <<CONF
[ap]
hostapd_ctrl_dir = $ctrl
station_interval = 1
CONF
lab_bg "$LAB_AP" "$LAB_DIR/leakwatchd.log" "$daemon" -i br0 --db "$db" -c "$LAB_DIR/leakwatch.conf"
lwd=${LAB_PIDS[-1]}
for _ in $(seq 300); do
	grep -qs "hostapd: attached to $ap_if" "$LAB_DIR/leakwatchd.log" && break
	kill -0 "$lwd" 2>/dev/null || break
	sleep 0.1
done
grep -qs "hostapd: attached to $ap_if" "$LAB_DIR/leakwatchd.log" ||
	{ bad "leakwatchd did not attach to hostapd"; cat "$LAB_DIR/leakwatchd.log"; exit 1; }
ok "leakwatchd captures br0 and is attached to hostapd on $ap_if ($(since)s)"

cat >"$LAB_DIR/wpa.conf" <<CONF
ctrl_interface=$LAB_DIR/wpa
network={
	ssid="leakwatch-vm"
	psk="correct horse battery"
	key_mgmt=WPA-PSK
	scan_freq=2437
}
CONF
t1=$(date +%s.%N)
lab_bg "$PH" "$LAB_DIR/wpa.log" wpa_supplicant -D nl80211 -i "$sta_if" -c "$LAB_DIR/wpa.conf"
if wait_sql 30 "SELECT mac, ifname, \"end\" IS NULL FROM sessions" "$mac|$ap_if|1"; then
	took=$(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	ok "AP-STA-CONNECTED: a sessions row for $mac on $ap_if (${took}s after wpa_supplicant)"
else
	bad "a sessions row for the phone"
	grep -h "CONNECTED\|EAPOL\|fail" "$LAB_DIR/hostapd.log" "$LAB_DIR/wpa.log" | tail -n 10
fi
lab_ns "$PH" ip route add default via 192.0.2.1

# the ZZHC self-registration a Nokia 7 Plus sent (scripts/demo.sh)
body=$(printf '{"REGVER":"5.0","MEID":"356938035643809","MODEL":"TA-1046","SWVER":"00WW_3_22C",'
	printf '"SIM1ICCID":"8986031864022013389","SIM1LTEIMSI":"460115086123745",'
	printf '"MACID":"%s","SIM1CELLID":"28712345","SID":"13824","NID":"1",' "$mac"
	printf '"BASEID":"4321","ACCESSTYPE":"2"}')
body=$(printf '%s' "$body" | base64 -w0)
code=$(lab_ns "$PH" curl -s -m 10 -o /dev/null -w '%{http_code}' -A zzhc/1.0.0 \
	-H 'Content-Type: application/encrypted-json' --data-binary "$body" \
	http://zzhc.vnet.cn:9999/)
[ "$code" = 200 ] && ok "the phone POSTs its registration to zzhc.vnet.cn:9999 over Wi-Fi" ||
	bad "POST http://zzhc.vnet.cn:9999/ from the phone: HTTP $code"
wait_sql 15 "SELECT group_concat(kind) FROM (SELECT DISTINCT kind FROM leaks
	WHERE mac = '$mac' AND domain = 'zzhc.vnet.cn' AND kind IN ('imei', 'iccid')
	ORDER BY kind)" \
	"iccid,imei" && ok "leaks of kind imei and iccid from $mac to zzhc.vnet.cn" ||
	bad "leaks of kind imei and iccid attributed to the phone"
echo "info leaks: $(q "SELECT group_concat(kind || '=' || value || ' (' || encoding || ')', '; ')
	FROM leaks WHERE mac = '$mac'")"

# station data from nl80211 ([ap] station_interval = 1)
if [ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'stations'")" != 1 ]; then
	bad "no stations table in the database (schema $(q 'PRAGMA user_version'))"
elif wait_sql 10 "SELECT count(*) > 0 FROM stations WHERE mac = '$mac' AND signal IS NOT NULL
		AND tx_bitrate > 0 AND inactive_ms IS NOT NULL" 1; then
	ok "stations: $(q "SELECT 'signal ' || signal || ' dBm, tx ' || tx_bitrate || ', rx ' ||
		ifnull(rx_bitrate, '-') || ', inactive ' || inactive_ms || ' ms, connected ' ||
		ifnull(connected_s, '-') || ' s' FROM stations WHERE mac = '$mac'
		ORDER BY ts DESC LIMIT 1")"
else
	bad "a stations row for the phone with signal, tx_bitrate > 0 and inactive_ms"
fi

kill -TERM "$lwd"
for _ in $(seq 100); do kill -0 "$lwd" 2>/dev/null || break; sleep 0.1; done
wait "$lwd"
rc=$?
[ $rc -eq 0 ] && ok "leakwatchd exits 0 after SIGTERM" || bad "leakwatchd exited $rc"
grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$LAB_DIR/leakwatchd.log" &&
	bad "sanitizer report"
echo "info total $(since)s"
[ $fail -ne 0 ] && { echo "--- leakwatchd.log"; tail -n 40 "$LAB_DIR/leakwatchd.log"; }
exit $fail
