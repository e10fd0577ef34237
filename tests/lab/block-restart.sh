#!/usr/bin/env bash
# Lab test: the daemon killed with SIGKILL fails open (DNS answers and new connections still
# flow: the queue rules bypass a queue nobody reads) while what it blocked stays blocked (the
# table outlives it); restarted, it takes the table over without a gap, restores what is
# still flagged and drops what was unflagged while it was down.  The daemon runs as an
# unprivileged user (--user nobody) with CAP_NET_ADMIN, as the service does.
#   block-restart.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq nft curl sqlite3 python3
# shellcheck source=block-lib.sh
. "$here/block-lib.sh"

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_host vnet.cn 198.51.100.10
lab_host blocked.example 198.51.100.30
lab_host www.example.org 198.51.100.20
lab_dns_start || exit 1
lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$here/servers.py" \
	http:198.51.100.10:80 http:198.51.100.20:80 http:198.51.100.30:80
lab_wait_port "$LAB_UP" tcp 80 || exit 1
block_ap_net
user=nobody
mkdir "$LAB_DIR/db"
chown "$user" "$LAB_DIR/db"
chmod 0711 "$LAB_DIR"
db=$LAB_DIR/db/block.db
P1=$LAB_ID-phone1
resolves() { # resolves NAME: the address phone1 gets, within 4 s (python's start included)
	lab_ns "$P1" timeout 4 python3 -c 'import socket, sys; print(socket.gethostbyname(sys.argv[1]))' "$1" 2>/dev/null
}

block_conf "$LAB_DIR/lw.conf"
block_start "$LAB_DIR/lw.conf" --user "$user"
block_expect "runs as $user" "$(awk '/^Uid:/ { print $3 }' "/proc/$pid/status")" "$(id -u "$user")"
sql "INSERT INTO flagged(domain) VALUES ('vnet.cn'), ('blocked.example')"
sleep 1
block_expect "flagged: vnet.cn blocked" "$(block_http "$P1" http://vnet.cn/)" 000
block_expect "flagged: blocked.example blocked" "$(block_http "$P1" http://blocked.example/)" 000
rules=$(block_rules)
block_expect "queue rules in place" "$((rules > 0))" 1

kill -KILL "$pid"
wait "$pid" 2>/dev/null
# its children (parser, resolver, the queue's guard) die with it (PR_SET_PDEATHSIG): what is
# checked is the AP once they are gone (a guard still dying holds the queue a moment longer)
for _ in $(seq 100); do
	pgrep -f -- "--db $db" >/dev/null || break
	sleep 0.1
done
block_expect "killed: no process of it left" "$(pgrep -f -- "--db $db" | wc -l)" 0
block_expect "killed: DNS answers still flow" "$(resolves www.example.org)" 198.51.100.20
block_expect "killed: answers for flagged names too" "$(resolves vnet.cn)" 198.51.100.10
block_expect "killed: new connections still flow" \
	"$(block_http "$P1" http://www.example.org/)" 200
block_expect "killed: what was blocked stays blocked (the table stays)" \
	"$(block_http "$P1" http://vnet.cn/ --resolve vnet.cn:80:198.51.100.10)" 000
block_expect "killed: the queue rules stay, bypassed" "$(block_rules)" "$rules"

# unflagged while the daemon is down
sql "DELETE FROM flagged WHERE domain = 'blocked.example'"
mv "$LAB_DIR/leakwatchd.log" "$LAB_DIR/leakwatchd-1.log"
block_start "$LAB_DIR/lw.conf" --user "$user"
block_expect "restarted: vnet.cn blocked from the start" \
	"$(block_http "$P1" http://vnet.cn/ --resolve vnet.cn:80:198.51.100.10)" 000
sleep 1
block_expect "restarted: vnet.cn still blocked after the sets are rebuilt" \
	"$(block_http "$P1" http://vnet.cn/)" 000
block_expect "restarted: blocked.example, unflagged meanwhile, is reachable" \
	"$(block_http "$P1" http://blocked.example/)" 200
block_expect "restarted: no second copy of the queue rules" "$(block_rules)" "$rules"
block_expect "restarted: DNS and other names flow" \
	"$(block_http "$P1" http://www.example.org/)" 200

sql "DELETE FROM flagged"
sleep 1
block_expect "unflagged after the restart: vnet.cn reachable" \
	"$(block_http "$P1" http://vnet.cn/)" 200
block_stop
block_expect "table removed at exit" "$(block_table)" 0
block_expect "queue rules removed at exit" "$(block_rules)" 0
block_sanitizer_check
exit $BLOCK_FAIL
