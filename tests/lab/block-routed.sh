#!/usr/bin/env bash
# Lab test: blocking on a routing AP (the usual home router).  br0 holds the phones' gateway
# (192.0.2.1) and the AP's dnsmasq; traffic to the internet is routed and masqueraded out of a
# WAN veth to the upstream.  Here the bridge's forward hook never sees that traffic: with the
# default configuration (family = auto) the daemon must find the layout "routed" and block in
# table inet.  Measured and printed: how soon the layout is reported, flag -> blocked,
# unflag -> reachable, a layout change at run time (the table moves), and a DNS-hold race of
# 100 fresh names looked up and connected to all at once (how many escape).  Then family =
# bridge forced on this AP: nothing is blocked, and the daemon says so instead of claiming to.
#   block-routed.sh LEAKWATCHD [LEAKWATCH-CLI]
set -uo pipefail
daemon=$(realpath "$1")
cli=${2:+$(realpath "$2")}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq nft curl sqlite3 python3
# shellcheck source=block-lib.sh
. "$here/block-lib.sh"

N=${BLOCK_RACE_NAMES:-100} # fresh names in the race (each with an address of its own), <= 150
REPORT_MS=${BLOCK_REPORT_MS:-1000} # the layout must be in meta this soon after the daemon is ready
FLAG_MS=${BLOCK_FLAG_MS:-2000}     # a flag must block this soon
WAIT_S=${BLOCK_WAIT_S:-20}        # how long a measurement waits before it gives up

lab_up_routed
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_phone phone2 3c:28:6d:00:00:02 192.0.2.12
lab_host vnet.cn 198.51.100.10
lab_host zzhc.vnet.cn 198.51.100.11
lab_host www.example.org 198.51.100.20
for i in $(seq "$N"); do
	lab_host "a$i.own.flagged.example" "198.51.100.$((i + 100))"
	lab_host "b$i.own.flagged.example" "198.51.100.$((i + 100))"
done
lab_dns_start --address=/flagged.example/198.51.100.77 \
	--host-record=flagged.example,198.51.100.99 || exit 1
lab_ap_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 -u "$here/servers.py" \
	http:198.51.100.10:80 http:198.51.100.11:9999 http:198.51.100.20:80 reply:0.0.0.0:8080
lab_wait_port "$LAB_UP" tcp 8080 || exit 1
block_routed_ap_net
db=$LAB_DIR/block.db
P1=$LAB_ID-phone1
P2=$LAB_ID-phone2
accepts() { grep -c "accept" "$LAB_DIR/servers.log"; }

block_expect "routed AP without leakwatchd: phone1 http://vnet.cn/" \
	"$(block_http "$P1" http://vnet.cn/)" 200

# --- default configuration: the layout decides the family -------------------------------------
block_conf "$LAB_DIR/lw.conf" domains=flagged.example
block_start "$LAB_DIR/lw.conf"
echo "info leakwatchd ready (\"capturing on\") $(($(block_ms) - BLOCK_T0)) ms after its launch"
ms=$(block_wait_meta block.layout '^routed$' "$WAIT_S")
echo "info layout reported in meta $ms ms after the launch (ready after $BLOCK_READY_MS ms)"
block_expect "layout reported within $REPORT_MS ms of the daemon being ready" "$(block_reported_in_time "$ms")" yes
block_expect "detected layout" "$(block_meta block.layout)" routed
block_expect "table family" "$(block_meta block.family)" inet
block_expect "family setting" "$(block_meta block.family_config)" auto
block_expect "br_netfilter on a routing AP" "$(block_meta block.br_netfilter)" "not needed"
block_expect "no problems" "$(block_meta_empty block.problems)" empty
block_expect "the queue path is named" "$(block_meta block.queue_path | grep -Ec '^(nft|xtables)( \(forced\))?$')" 1
echo "info queue path: $(block_meta block.queue_path); holds: $(block_meta block.holds)"
block_expect "holds on (a domain is flagged in the config)" \
	"$(block_meta block.holds | grep -c '^DNS-hold and hello-hold on (')" 1
block_expect "table inet in the kernel" \
	"$(lab_ns "$LAB_AP" nft list tables | grep -c "^table inet lw${LAB_ID//[^a-zA-Z0-9]/}\$")" 1
block_expect "the log names the layout" \
	"$(grep -c "br0 is routed (the bridge holds an address and the default route leaves" "$LAB_DIR/leakwatchd.log")" 1
if [ -n "$cli" ]; then
	out=$("$cli" --db "$db" status)
	block_expect "leakwatch status shows the layout" \
		"$(grep -c '^blocking: *routed AP, table family inet (auto), queue path' <<<"$out")" 1
	block_expect "leakwatch status shows no problem" "$(grep -c '^problems: *none$' <<<"$out")" 1
	block_expect "leakwatch --json status" \
		"$("$cli" --db "$db" --json status | python3 -c 'import json,sys; b=json.load(sys.stdin)["block"]; print(b["layout"], b["family"], b["problems"])')" \
		"routed inet []"
fi

# --- flag and unflag: measured ------------------------------------------------------------------
block_expect "before flagging: phone1 http://vnet.cn/" "$(block_http "$P1" http://vnet.cn/)" 200
sql "INSERT INTO flagged(domain) VALUES ('vnet.cn')"
ms=$(block_until_elem 198.51.100.10 in "$WAIT_S")
echo "info routed: flag -> vnet.cn's address in the set in $ms ms"
block_expect "routed: flag blocks within $FLAG_MS ms" "$(block_within "$FLAG_MS" "$ms")" yes
block_expect "flagged: phone1 http://vnet.cn/" "$(block_http "$P1" http://vnet.cn/)" 000
block_expect "flagged: phone2 http://zzhc.vnet.cn:9999/" \
	"$(block_http "$P2" http://zzhc.vnet.cn:9999/ --data-binary x)" 000
block_expect "flagged: phone1 http://www.example.org/ still reachable" \
	"$(block_http "$P1" http://www.example.org/)" 200
sql "DELETE FROM flagged WHERE domain = 'vnet.cn'"
ms=$(block_until_elem 198.51.100.10 out "$WAIT_S")
echo "info routed: unflag -> vnet.cn's address out of the set in $ms ms"
block_expect "routed: unflag unblocks within $FLAG_MS ms" "$(block_within "$FLAG_MS" "$ms")" yes
block_expect "unflagged: phone1 http://vnet.cn/" "$(block_http "$P1" http://vnet.cn/)" 200

# --- a connection open before the flag stops with it (both directions dropped) ----------------
read -r before after alive <<<"$(block_open_conn "$P1" 198.51.100.10 8080 vnet.cn)"
echo "info routed: a connection open before the flag: $before replies before it, $after after"
block_expect "routed: the open connection had answers before the flag" "$((before > 0))" 1
block_expect "routed: it was still sending after its server was in the set" "$alive" 1
block_expect "routed: the open connection gets nothing once its server is in the set" "$after" 0

# --- DNS-hold race: N fresh names, each with its own address, looked up and connected at once --
before=$(accepts)
made=$(lab_ns "$P1" python3 "$here/block_client.py" burst "$N" own.flagged.example 8080 2 a)
sleep 1 # the servers print their accepts from their own threads
escaped=$(($(accepts) - before))
echo "info routed DNS-hold race: $made of $N connections made, $escaped of $N reached the server"
block_expect "routed DNS-hold race: connections made" "$made" 0
block_expect "routed DNS-hold race: connections the server accepted" "$escaped" 0
block_expect "routed DNS-hold race: an address from each held answer" \
	"$(sql "SELECT count(DISTINCT ip) FROM blocks WHERE domain = 'flagged.example' AND
		reason = 'dns' AND ip LIKE '198.51.100.%' AND ip != '198.51.100.99'")" "$N"

# --- the layout changes at run time: the default route now leaves through br0 -----------------
lab_ns "$LAB_AP" ip route replace default via 192.0.2.254 dev br0
BLOCK_T0=$(block_ms)
ms=$(block_wait_meta block.family '^bridge$' "$WAIT_S")
echo "info default route moved to br0: table moved to bridge in $ms ms"
block_expect "layout after the route change" "$(block_meta block.layout)" bridged
block_expect "table bridge in the kernel after the change" \
	"$(lab_ns "$LAB_AP" nft list tables | grep -c "^table bridge lw${LAB_ID//[^a-zA-Z0-9]/}\$")" 1
block_expect "table inet gone after the change" \
	"$(lab_ns "$LAB_AP" nft list tables | grep -c "^table inet lw${LAB_ID//[^a-zA-Z0-9]/}\$")" 0
block_expect "the move is logged" "$(grep -c "moved table inet .* to bridge" "$LAB_DIR/leakwatchd.log")" 1
lab_ns "$LAB_AP" ip route replace default via 203.0.113.2 dev "$LAB_WAN"
BLOCK_T0=$(block_ms)
ms=$(block_wait_meta block.family '^inet$' "$WAIT_S")
echo "info default route back on the WAN: table moved back to inet in $ms ms"
sql "INSERT INTO flagged(domain) VALUES ('vnet.cn')"
ms=$(block_until_elem 198.51.100.10 in "$WAIT_S")
echo "info after moving back: flag -> vnet.cn's address in the set in $ms ms"
block_expect "after moving back: flag blocks within $FLAG_MS ms" "$(block_within "$FLAG_MS" "$ms")" yes
block_expect "after moving back: phone1 http://vnet.cn/" "$(block_http "$P1" http://vnet.cn/)" 000
sql "DELETE FROM flagged"
block_stop
block_sanitizer_check

# --- the same race without the holds: what the holds prevent ------------------------------------
block_conf "$LAB_DIR/nohold.conf" domains=flagged.example dns_hold=no hello_hold=no
block_start "$LAB_DIR/nohold.conf"
sleep 1
before=$(accepts)
made=$(lab_ns "$P1" python3 "$here/block_client.py" burst "$N" own.flagged.example 8080 2 b)
sleep 1
echo "info routed race without DNS-hold: $made of $N connections made," \
	"$(($(accepts) - before)) of $N reached the server"
block_stop

# --- queue_path forced: nft (the kernel may lack nft_queue: then said so), then xtables ---------
for path in nft xtables; do
	block_conf "$LAB_DIR/qp.conf" domains=flagged.example "queue_path=$path"
	# the path the file asks for in the end (a test harness may append its own)
	want=$(sed -n 's/^queue_path *= *//p' "$LAB_DIR/qp.conf" | tail -n 1)
	block_start "$LAB_DIR/qp.conf"
	block_wait_meta block.queue_path . "$WAIT_S" >/dev/null
	got=$(block_meta block.queue_path)
	echo "info queue_path = $want: meta says '$got'; holds: $(block_meta block.holds)"
	if [ "$got" = "$want (forced)" ]; then
		block_expect "queue_path = $want: holds on" \
			"$(block_meta block.holds | grep -c '^DNS-hold and hello-hold on (')" 1
		block_expect "queue_path = $want: no problems" "$(block_meta_empty block.problems)" empty
	else
		block_expect "queue_path = $want refused by this kernel: said so" "$got" \
			"none (queue_path $want refused)"
		block_expect "queue_path = $want refused: holds OFF" \
			"$(block_meta block.holds | grep -c 'are OFF: the queue rules could not be installed')" 1
		block_expect "queue_path = $want refused: the problem names the module" \
			"$(block_meta block.problems | grep -c "$([ "$want" = nft ] && echo nft_queue || echo NFQUEUE)")" 1
		block_expect "queue_path = $want refused: the log never claims holding" \
			"$(grep -c "holding DNS answers" "$LAB_DIR/leakwatchd.log")" 0
	fi
	block_stop
done

# --- flow offloading (OpenWrt fw4): a flowtable; only where the kernel has them ----------------
if lab_ns "$LAB_AP" nft -f - 2>/dev/null <<EOF_FT; then
table inet lwft {
	flowtable ft { hook ingress priority filter; devices = { br0, $LAB_WAN }; }
	chain fwd {
		type filter hook forward priority filter; policy accept;
		meta l4proto { tcp, udp } flow add @ft
	}
}
EOF_FT
	block_conf "$LAB_DIR/ft.conf"
	block_start "$LAB_DIR/ft.conf"
	ms=$(block_wait_meta block.problems 'flow offloading is on \(flowtable inet lwft ft\)' "$WAIT_S")
	echo "info flowtable inet lwft ft: reported $ms ms after the launch"
	block_expect "flow offloading reported" "$([ "$ms" != never ] && echo yes)" yes
	read -r before after _ <<<"$(block_open_conn "$P1" 198.51.100.10 8080 vnet.cn)"
	echo "info with flow offloading, a connection open before the flag: $before replies" \
		"before it, $after after (offloaded flows skip the forward hook)"
	block_expect "new connections to a flagged address are still dropped" \
		"$(sql "INSERT INTO flagged(domain) VALUES ('vnet.cn')"; block_until_elem 198.51.100.10 in "$WAIT_S" >/dev/null; block_http "$P1" http://vnet.cn/)" 000
	sql "DELETE FROM flagged"
	lab_ns "$LAB_AP" nft delete table inet lwft
	BLOCK_T0=$(block_ms)
	ms=$(block_wait_meta block.problems '^$' "$WAIT_S")
	echo "info flowtable deleted: problem gone after $ms ms"
	block_expect "flow offloading no longer reported once the flowtable is gone" \
		"$(block_meta_empty block.problems)" empty
	block_stop
else
	echo "info no flowtables in this kernel: the flow offloading check is not exercised here"
fi

# --- family = bridge forced on this routing AP: never silently off ----------------------------
block_conf "$LAB_DIR/bridge.conf" family=bridge
block_start "$LAB_DIR/bridge.conf"
echo "info leakwatchd ready (\"capturing on\") $(($(block_ms) - BLOCK_T0)) ms after its launch"
ms=$(block_wait_meta block.problems 'family = bridge on a routed AP' "$WAIT_S")
echo "info family = bridge on a routed AP reported in $ms ms"
block_expect "forced bridge: problem reported within $REPORT_MS ms of the daemon being ready" "$(block_reported_in_time "$ms")" yes
block_expect "forced bridge: the log names the fix" \
	"$(grep -c "family = bridge on a routed AP.*set \[block\] family = auto or inet" "$LAB_DIR/leakwatchd.log")" 1
sql "INSERT INTO flagged(domain) VALUES ('vnet.cn')"
sleep 1.5
echo "info forced bridge on a routed AP, flagged: phone1 http://vnet.cn/ -> $(block_http "$P1" http://vnet.cn/) (the bridge hook never sees routed traffic)"
block_stop
block_sanitizer_check
exit $BLOCK_FAIL
