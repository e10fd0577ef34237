#!/usr/bin/env bash
# Hostile lab test: one forged DNS answer from a device on the Wi-Fi.  phone1 (the attacker)
# sends one UDP "answer" from port 53 with the resolver's address (192.0.2.1, also the gateway)
# as its source, saying that tracker.example, a domain flagged for every device, has the
# addresses 192.0.2.1 (the household's resolver and gateway) and 198.51.100.20 (the site
# www.example.org).  No device asked.  Should be: the answer is not used (counted in
# stats.dns_unmatched), neither address enters a set, and phone2 (the victim) still resolves
# and reaches the site.
#   forged-answer.sh LEAKWATCHD capture   [block] dns_hold = no; answers sent to the AP's own
#                                         address and to phone2 (only the capture sees them)
#   forged-answer.sh LEAKWATCHD ap        the default config; the answer sent to the AP's own
#                                         address (the capture sees it, the DNS hold does not)
#   forged-answer.sh LEAKWATCHD hold      the default config; the answer sent to phone2 through
#                                         the bridge, where the DNS hold's queue rule is (measured:
#                                         the hold's count of held answers is the same with and
#                                         without it: an answer to no query does not reach it)
# HOSTILE_VERBOSE=1 prints the daemon's log.
set -uo pipefail
daemon=$(realpath "$1")
mode=${2:-capture}
# shellcheck source=hostile-lib.sh
. "$(dirname "$0")/hostile-lib.sh"
hostile_need curl getent

hostile_phones
lab_host tracker.example 198.51.100.10
lab_host www.example.org 198.51.100.20
lab_host sub.tracker.example 198.51.100.11
lab_dns_start || exit 1
hostile_servers tcp 80 \
	http:198.51.100.10:80 http:198.51.100.20:80 http:198.51.100.11:80
case $mode in
capture) block_conf "$LAB_DIR/lw.conf" dns_hold=no; targets="192.0.2.2 192.0.2.12" ;;
ap) block_conf "$LAB_DIR/lw.conf"; targets="192.0.2.2" ;;
hold) block_conf "$LAB_DIR/lw.conf"; targets="192.0.2.12" ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
block_start "$LAB_DIR/lw.conf"
ap_mac=$(lab_ns "$LAB_AP" cat /sys/class/net/br0/address)

resolves() { # 1 if phone2 gets an answer for www.example.org
	lab_ns "$P2" getent hosts www.example.org >/dev/null && echo 1 || echo 0
}
block_expect "before: phone2 reaches the site" "$(block_http "$P2" http://www.example.org/)" 200
block_expect "before: phone2's DNS is answered" "$(resolves)" 1

sql "INSERT INTO flagged(domain, reason) VALUES ('tracker.example', 'test')"
sleep 1
block_expect "the flagged domain is blocked" "$(block_http "$P2" http://tracker.example/)" 000

n=0
for dst in $targets; do
	if [ "$dst" = 192.0.2.2 ]; then dmac=$ap_mac; else dmac=3c:28:6d:00:00:02; fi
	lab_ns "$P1" python3 "$here/forge.py" answer eth0 02:10:00:00:00:01 "$dmac" 192.0.2.1 \
		"$dst" 33333 tracker.example 192.0.2.1 198.51.100.20
	n=$((n + 1))
done
sleep 1.5

site=$(block_http "$P2" http://www.example.org/)
dns=$(resolves)
used=$(sql "SELECT count(DISTINCT ip) FROM blocks WHERE action = 'add' AND ip IN ('192.0.2.1', '198.51.100.20')")
block_expect "no address of the forged answer entered a set" "$used" 0
block_expect "after: phone2 reaches the site" "$site" 200
block_expect "after: phone2's DNS is answered" "$dns" 1
block_expect "the flagged domain is still blocked" "$(block_http "$P2" http://tracker.example/)" 000
if [ "$mode" = capture ]; then
	# Real answers still count, also when the AP's own resolver relays them: phone2 looks up
	# a subdomain of the flagged name (an address the daemon never looked up itself) through
	# a resolver on the AP (192.0.2.2, forwarding to 192.0.2.1); without the DNS hold only the
	# capture can block it, from the answer matched to phone2's query.
	lab_bg "$LAB_AP" "$LAB_DIR/ap-dnsmasq.log" dnsmasq --keep-in-foreground --no-resolv \
		--no-hosts --server=192.0.2.1 --listen-address=192.0.2.2 --bind-interfaces \
		--pid-file="$LAB_DIR/ap-dnsmasq.pid" --user=root --log-facility=-
	lab_wait_port "$LAB_AP" udp 53 || exit 1
	got=$(lab_ns "$P2" python3 "$here/forge.py" query 192.0.2.2 sub.tracker.example)
	block_expect "phone2 resolves sub.tracker.example through the AP's resolver" "$got" \
		198.51.100.11
	sleep 1
	block_expect "the relayed answer is matched and its address blocked" \
		"$(sql "SELECT count(*) FROM blocks WHERE ip = '198.51.100.11' AND reason = 'dns' AND action = 'add'")" 1
	block_expect "phone2 cannot reach it" "$(block_http "$P2" http://198.51.100.11/)" 000
fi
block_stop
unmatched=$(sql "SELECT max(dns_unmatched) FROM stats")
block_expect "the forged answers are counted as unmatched" "$(( ${unmatched:-0} >= n ))" 1
block_sanitizer_check
[ -n "${HOSTILE_VERBOSE:-}" ] && grep -v "^$" "$LAB_DIR/leakwatchd.log"
echo "figures ($mode): forged answers used: $(( used > 0 ? 1 : 0 )) of $n (addresses put in a set: $used of 2); victim site: $site; victim DNS answered: $dns; stats.dns_unmatched: ${unmatched:-none}"
exit $BLOCK_FAIL
