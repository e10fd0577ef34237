#!/usr/bin/env bash
# Hostile lab test: code execution in the process that parses packets (README "Threat model"),
# played with gdb: `call` runs a system call inside the process, with its credentials, its
# capabilities and its seccomp filter.  The parser must not be able to open an AF_INET socket
# (outbound HTTP), an AF_UNIX socket (hostapd's control interface), a NETLINK_NETFILTER
# socket (its own nftables rule, or deleting leakwatch's), send a frame on its capture socket
# (AF_PACKET: it could inject traffic), nor have an nfnetlink message accepted on a netfilter
# socket it inherited; /proc shows no capabilities, no_new_privs and a seccomp filter.  Afterwards the daemon still blocks the flagged domain for phone1, phone2
# keeps its connectivity, and a leak is still recorded.
#   privsep.sh LEAKWATCHD
# The parser is the child of the started process named "leakwatchd" (privilege separation);
# without one, the started process itself (everything in one process).
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
lab_need root dnsmasq nft curl sqlite3 python3 gdb
# shellcheck source=../lab/block-lib.sh
. "$lab/block-lib.sh"

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_phone phone2 3c:28:6d:00:00:02 192.0.2.12
lab_host tracker.example 198.51.100.10
lab_host www.example.org 198.51.100.20
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$lab/servers.py" \
	http:198.51.100.10:80 http:198.51.100.20:80
lab_wait_port "$LAB_UP" tcp 80 || exit 1
block_ap_net
P1=$LAB_ID-phone1
P2=$LAB_ID-phone2
db=$LAB_DIR/block.db
block_conf "$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf"
sql "INSERT INTO flagged(domain, mac, reason) VALUES ('tracker.example', '02:10:00:00:00:01', 'test')"
sleep 1.5

parser=$(pgrep -P "$pid" -x leakwatchd | head -1)
[ -n "$parser" ] || parser=$pid
echo "     parser: pid $parser ($(cat /proc/"$parser"/comm)), started: pid $pid ($(cat /proc/"$pid"/comm))"

# gdb_call EXPR: the value of a call inside the parser ("-1" when refused)
gdb_call() {
	gdb -p "$parser" -batch -nx -ex "set confirm off" -ex "print (long)($1)" 2>/dev/null |
		sed -n 's/^\$1 = //p' | tail -1
}
# gdb_close FD: closes what a successful call opened, so the daemon is left as it was
gdb_close() { [ "${1:--1}" -ge 0 ] 2>/dev/null && gdb_call "close($1)" >/dev/null; }
# refused VALUE: "refused" for -1 or a gdb that got killed trying, else "opened fd N"
refused() { [ "${1:--1}" -lt 0 ] 2>/dev/null && echo refused || echo "opened fd $1"; }

status=/proc/$parser/status
capeff=$(awk '/^CapEff:/ { print $2 }' "$status")
capprm=$(awk '/^CapPrm:/ { print $2 }' "$status")
nnp=$(awk '/^NoNewPrivs:/ { print $2 }' "$status")
seccomp=$(awk '/^Seccomp:/ { print $2 }' "$status")
inet=$(gdb_call "socket(2, 1, 0)")
gdb_close "$inet"
unix=$(gdb_call "socket(1, 2, 0)")
gdb_close "$unix"
nfnl=$(gdb_call "socket(16, 3, 12)")
gdb_close "$nfnl"
# the capture: the AF_PACKET socket among its fds (/proc/net/packet's last column: the inode);
# a 60-byte frame of zeros (to 00:00:00:00:00:00, nowhere) sent on it
capfd='' sent=none
for fd in /proc/"$parser"/fd/*; do
	ino=$(readlink "$fd" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
	[ -n "$ino" ] && awk 'NR > 1 { print $NF }' "/proc/$parser/net/packet" | grep -qx "$ino" &&
		capfd=${fd##*/}
done
[ -n "$capfd" ] && sent=$(gdb -p "$parser" -batch -nx -ex "set confirm off" \
	-ex 'set $f = (char *)calloc(1, 60)' -ex "print (long)send($capfd, \$f, 60, 0)" \
	-ex 'call (void)free($f)' 2>/dev/null | sed -n 's/^\$1 = //p' | tail -1)
kill -0 "$parser" 2>/dev/null || echo "     the parser did not survive the calls"
block_expect "the parser cannot open an AF_INET socket (outbound HTTP)" "$(refused "$inet")" refused
block_expect "the parser cannot open an AF_UNIX socket (hostapd)" "$(refused "$unix")" refused
block_expect "the parser cannot open a NETLINK_NETFILTER socket" "$(refused "$nfnl")" refused
block_expect "the parser holds its capture socket (fd ${capfd:-none})" "$([ -n "$capfd" ] && echo yes)" yes
block_expect "the parser cannot send a frame on its capture socket" \
	"$([ "${sent:--1}" -lt 0 ] 2>/dev/null && echo refused || echo "sent $sent bytes")" refused

# the daemon goes on: phone1's flag blocks, phone2 is served, a leak is recorded
sleep 0.5
p1=$(block_http "$P1" http://tracker.example/)
p2=$(block_http "$P2" http://www.example.org/)
p2t=$(block_http "$P2" http://tracker.example/)
block_expect "afterwards: tracker.example blocked for phone1" "$p1" 000
block_expect "afterwards: phone2 reaches www.example.org" "$p2" 200
block_expect "afterwards: phone2 reaches tracker.example (flagged for phone1 only)" "$p2t" 200
block_http "$P2" http://www.example.org/ -H 'Content-Type: application/json' \
	--data-binary '{"imei":"356938035643809","model":"TA-1062"}' >/dev/null
leaks=0
for _ in $(seq 100); do
	leaks=$(sql "SELECT count(*) FROM leaks WHERE kind = 'imei'")
	[ "$leaks" -ge 1 ] && break
	sleep 0.1
done
dnsrows=$(sql "SELECT count(*) FROM dns WHERE mac = '3c:28:6d:00:00:02'")
block_expect "afterwards: phone2's IMEI recorded" "$([ "$leaks" -ge 1 ] && echo yes)" yes
block_expect "afterwards: phone2's DNS queries recorded" "$([ "$dnsrows" -ge 1 ] && echo yes)" yes
# last (on a daemon that holds them, an answer read here can throw libnftables off): the
# netfilter sockets the parser holds (protocol 12 in /proc/net/netlink), and one nfnetlink request on
# each: NFT_MSG_GETGEN with an ack asked for, answered by an error code (0 = accepted)
inherited=0 accepted=0
if [ -r "/proc/$parser/net/netlink" ]; then
	inodes=$(awk '$2 == 12 { print $NF }' "/proc/$parser/net/netlink")
	for fd in /proc/"$parser"/fd/*; do
		ino=$(readlink "$fd" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
		[ -n "$ino" ] && grep -qx "$ino" <<<"$inodes" || continue
		inherited=$((inherited + 1))
		n=${fd##*/}
		cat >"$LAB_DIR/nfnl.gdb" <<-GDB
			set confirm off
			set \$b = (unsigned char *)malloc(8192)
			set {unsigned int}(\$b) = 20
			set {unsigned short}(\$b + 4) = 0xa10
			set {unsigned short}(\$b + 6) = 5
			set {unsigned int}(\$b + 8) = 4242
			set {unsigned int}(\$b + 12) = 0
			set {unsigned int}(\$b + 16) = 0
			print (long)send($n, \$b, 20, 0)
			set \$i = 0
			set \$err = 1
			while \$i < 64 && \$err == 1
			  set \$r = (long)recv($n, \$b, 8192, 0x40)
			  if \$r < 0
			    set \$i = 64
			  end
			  if \$r >= 36 && {unsigned short}(\$b + 4) == 2 && {unsigned int}(\$b + 8) == 4242
			    set \$err = {int}(\$b + 16)
			  end
			  if \$r >= 20 && {unsigned short}(\$b + 4) == 0xa0f && {unsigned int}(\$b + 8) == 4242
			    set \$err = 0
			  end
			  set \$i = \$i + 1
			end
			print \$err
			call (void)free(\$b)
		GDB
		err=$(gdb -p "$parser" -batch -nx -x "$LAB_DIR/nfnl.gdb" 2>/dev/null | sed -n 's/^\$[0-9]* = //p' | tail -1)
		echo "     inherited netfilter socket fd $n: GETGEN answered $err"
		[ "$err" = 0 ] && accepted=$((accepted + 1))
	done
fi
block_expect "no nfnetlink message accepted on an inherited netfilter socket ($inherited held)" \
	"$accepted" 0

block_expect "the parser's CapEff" "$capeff" 0000000000000000
block_expect "the parser's CapPrm" "$capprm" 0000000000000000
block_expect "the parser's NoNewPrivs" "$nnp" 1
block_expect "the parser's Seccomp (2: a filter)" "$seccomp" 2

kill -0 "$pid" 2>/dev/null || { echo "FAIL the daemon exited:"; tail -20 "$LAB_DIR/leakwatchd.log"; }
block_stop
echo "figures: parser $( [ "$parser" = "$pid" ] && echo "= the daemon" || echo "a child"):" \
	"AF_INET $(refused "$inet"), AF_UNIX $(refused "$unix"), NETLINK_NETFILTER" \
	"$(refused "$nfnl"), a frame on the capture socket $([ "${sent:--1}" -lt 0 ] 2>/dev/null &&
		echo refused || echo "sent ($sent bytes)");" \
	"netfilter sockets held $inherited, nfnetlink requests accepted" \
	"$accepted; CapEff $capeff CapPrm $capprm NoNewPrivs $nnp Seccomp $seccomp;" \
	"afterwards phone1 $p1 phone2 $p2/$p2t, imei rows $leaks, phone2 dns rows $dnsrows"
[ "${BLOCK_FAIL:-0}" -eq 0 ]
