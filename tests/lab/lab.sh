# shellcheck shell=bash
# A small AP in network namespaces, shared by the demo and the lab tests (source this file).
#
#   phone1 (192.0.2.11) ─┐
#   phone2 (192.0.2.12) ─┼─ br0 in "ap" ── upstream (192.0.2.1; "internet" addresses on lo:
#                        │                 198.51.100.0/24 web servers, 203.0.113.53 DNS)
#
# Everything gets a unique suffix; lab_cleanup (installed as an EXIT trap by lab_up) stops the
# processes this script started, by PID, and deletes the namespaces and /etc/netns entries.
# Traffic stays inside these namespaces, on documentation ranges.

LAB_ID=${LAB_ID:-lw$$}
LAB_AP=$LAB_ID-ap
LAB_UP=$LAB_ID-up
LAB_PIDS=()
LAB_DIR=$(mktemp -d "/tmp/leakwatch-lab.XXXXXX")
LAB_PHONES=()

# lab_need [root] CMD... : skip the test (exit 77, saying why) unless it runs as root and each
# command is installed.  Call it right after sourcing this file.
lab_need() {
	local p
	for p in "$@"; do
		if [ "$p" = root ]; then
			[ "$(id -u)" -eq 0 ] && continue
			echo "needs root (network namespaces)"
		else
			command -v "$p" >/dev/null && continue
			echo "needs $p"
		fi
		rm -rf "$LAB_DIR"
		exit 77
	done
}

lab_ns() { # lab_ns NAME CMD... : run in a lab namespace
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

lab_cleanup() {
	local pid ns
	set +e # a caller's `set -e` must not stop the teardown at a process already gone
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	for ns in "${LAB_PHONES[@]}" "$LAB_UP" "$LAB_AP"; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	rm -rf "$LAB_DIR"
}

lab_bg() { # lab_bg NS LOGFILE CMD... : start in the background, remember the PID
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	LAB_PIDS+=($!)
}

# lab_phone NAME MAC IP: a phone namespace on a br0 port, resolving through 192.0.2.1
lab_phone() {
	local name=$LAB_ID-$1 mac=$2 ip=$3 port=$LAB_ID${#LAB_PHONES[@]}p
	ip netns add "$name"
	LAB_PHONES+=("$name")
	ip link add "$port" type veth peer name eth0 netns "$name"
	ip link set "$port" netns "$LAB_AP"
	lab_ns "$name" ip link set eth0 address "$mac"
	lab_ns "$name" ip link set lo up
	lab_ns "$name" ip addr add "$ip/24" dev eth0
	lab_ns "$name" ip link set eth0 up
	lab_ns "$name" ip route add default via 192.0.2.1
	lab_ns "$LAB_AP" ip link set "$port" master br0
	lab_ns "$LAB_AP" ip link set "$port" up
	mkdir -p "/etc/netns/$name"
	echo "nameserver 192.0.2.1" >"/etc/netns/$name/resolv.conf"
}

# lab_up: the AP bridge and the upstream with its DNS server (dnsmasq, answers from
# $LAB_DIR/hosts) and servers started later by the caller.
lab_up() {
	trap lab_cleanup EXIT
	# a signal (a test runner's timeout, Ctrl-C) ends the script through EXIT, so the
	# namespaces and processes go too
	trap 'exit 130' INT TERM HUP
	ip netns add "$LAB_AP"
	ip netns add "$LAB_UP"
	lab_ns "$LAB_AP" ip link set lo up
	lab_ns "$LAB_AP" ip link add br0 type bridge stp_state 0 forward_delay 0
	lab_ns "$LAB_AP" ip link set br0 up
	ip link add "${LAB_ID}u" type veth peer name eth0 netns "$LAB_UP"
	ip link set "${LAB_ID}u" netns "$LAB_AP"
	lab_ns "$LAB_UP" ip link set eth0 address 02:00:5e:00:00:01
	lab_ns "$LAB_UP" ip link set lo up
	lab_ns "$LAB_UP" ip addr add 192.0.2.1/24 dev eth0
	lab_ns "$LAB_UP" ip link set eth0 up
	lab_ns "$LAB_AP" ip link set "${LAB_ID}u" master br0
	lab_ns "$LAB_AP" ip link set "${LAB_ID}u" up
	: >"$LAB_DIR/hosts"
}

# lab_up_routed: the AP as a home router instead (call instead of lab_up):
#
#   phones ─ br0 in "ap" (192.0.2.1/24, the phones' gateway and resolver: dnsmasq on the AP,
#            forwarding to the upstream)   "ap" routes and masquerades out of its WAN veth
#            ${LAB_ID}w (203.0.113.1/24) ── upstream eth0 (203.0.113.2/24; "internet"
#            addresses on lo: 198.51.100.0/24 servers, 203.0.113.53 DNS)
#
# lab_dns_start then starts the upstream's DNS on 203.0.113.53; lab_ap_dns_start the AP's.
lab_up_routed() {
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	LAB_DNS_LISTEN=203.0.113.53
	LAB_WAN=${LAB_ID}w
	ip netns add "$LAB_AP"
	ip netns add "$LAB_UP"
	lab_ns "$LAB_AP" ip link set lo up
	lab_ns "$LAB_AP" ip link add br0 type bridge stp_state 0 forward_delay 0
	lab_ns "$LAB_AP" ip addr add 192.0.2.1/24 dev br0
	lab_ns "$LAB_AP" ip link set br0 up
	ip link add "$LAB_WAN" type veth peer name eth0 netns "$LAB_UP"
	ip link set "$LAB_WAN" netns "$LAB_AP"
	lab_ns "$LAB_UP" ip link set eth0 address 02:00:5e:00:00:01
	lab_ns "$LAB_UP" ip link set lo up
	lab_ns "$LAB_UP" ip addr add 203.0.113.2/24 dev eth0
	lab_ns "$LAB_UP" ip addr add 203.0.113.53/32 dev lo
	lab_ns "$LAB_UP" ip link set eth0 up
	lab_ns "$LAB_AP" ip addr add 203.0.113.1/24 dev "$LAB_WAN"
	lab_ns "$LAB_AP" ip link set "$LAB_WAN" up
	lab_ns "$LAB_AP" ip route add default via 203.0.113.2 dev "$LAB_WAN"
	lab_ns "$LAB_AP" sysctl -qw net.ipv4.ip_forward=1
	lab_ns "$LAB_AP" nft -f - <<-EOF_NAT
		table ip ${LAB_ID}nat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "$LAB_WAN" masquerade
			}
		}
	EOF_NAT
	: >"$LAB_DIR/hosts"
}

# lab_ap_dns_start: dnsmasq on the routing AP (192.0.2.1), forwarding to the upstream's
lab_ap_dns_start() {
	lab_bg "$LAB_AP" "$LAB_DIR/ap-dnsmasq.log" dnsmasq --keep-in-foreground --no-resolv \
		--no-hosts --server="$LAB_DNS_LISTEN" --listen-address=192.0.2.1 --bind-interfaces \
		--pid-file="$LAB_DIR/ap-dnsmasq.pid" --user=root --log-facility=- "$@"
	lab_wait_port "$LAB_AP" udp 53
}

# lab_host NAME IP: the upstream's DNS answers NAME with IP (IP is put on upstream's lo)
lab_host() {
	echo "$2 $1" >>"$LAB_DIR/hosts"
	lab_ns "$LAB_UP" ip addr add "$2/32" dev lo 2>/dev/null || true
}

# lab_dns_start [DNSMASQ-OPTION...]: e.g. --address=/example.net/203.0.113.9 (a wildcard)
lab_dns_start() {
	lab_bg "$LAB_UP" "$LAB_DIR/dnsmasq.log" dnsmasq --keep-in-foreground --no-resolv \
		--no-hosts --addn-hosts="$LAB_DIR/hosts" --listen-address="${LAB_DNS_LISTEN:-192.0.2.1}" \
		--bind-interfaces --local-ttl=600 --pid-file="$LAB_DIR/dnsmasq.pid" --user=root \
		--log-facility=- "$@"
	lab_wait_port "$LAB_UP" udp 53
}

# lab_wait_port NS tcp|udp PORT: wait until something listens there (5 s at most)
lab_wait_port() {
	local i flag=-lnt
	[ "$2" = udp ] && flag=-lnu
	for i in $(seq 50); do
		lab_ns "$1" ss $flag 2>/dev/null | grep -q ":$3 " && return 0
		sleep 0.1
	done
	echo "lab: nothing listens on $2/$3 in $1" >&2
	return 1
}
