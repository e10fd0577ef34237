# shellcheck shell=bash
# Helpers shared by the blocking lab tests (block-*.sh); source after lab.sh.
#
# The AP gets an address on br0 (192.0.2.2) and resolves through the upstream's dnsmasq, so
# that leakwatchd can look flagged names up itself, as on a real router.

BLOCK_FAIL=0

# block_ap_net: give the AP namespace an address and a resolver
block_ap_net() {
	lab_ns "$LAB_AP" ip addr add 192.0.2.2/24 dev br0
	mkdir -p "/etc/netns/$LAB_AP"
	echo "nameserver 192.0.2.1" >"/etc/netns/$LAB_AP/resolv.conf"
}

# block_conf FILE [KEY=VALUE...]: a config with a [block] section (table unique to the test),
# and the space-separated KEY=VALUE pairs of $LW_BLOCK_CONF_EXTRA (e.g. queue_path=xtables)
block_conf() {
	local f=$1 kv extra
	shift
	read -ra extra <<<"${LW_BLOCK_CONF_EXTRA:-}"
	{
		echo "[block]"
		echo "table = lw${LAB_ID//[^a-zA-Z0-9]/}"
		for kv in "$@" "${extra[@]}"; do echo "${kv%%=*} = ${kv#*=}"; done
	} >"$f"
}

# block_start CONF [ARGS...]: start leakwatchd on br0 (DB in $db), wait until it captures;
# sets $pid
block_start() {
	local conf=$1 log=$LAB_DIR/leakwatchd.log
	shift
	lab_bg "$LAB_AP" "$log" "$daemon" -i br0 --db "$db" -c "$conf" "$@"
	pid=${LAB_PIDS[-1]}
	for _ in $(seq 100); do
		grep -qs "capturing on" "$log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL leakwatchd did not start:"
	cat "$log"
	exit 1
}

# block_stop: SIGTERM and wait (10 s at most); checks the exit status
block_stop() {
	local rc
	kill -TERM "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		echo "FAIL leakwatchd did not exit within 10 s of SIGTERM"
		BLOCK_FAIL=1
		return
	fi
	wait "$pid"
	rc=$?
	block_expect "leakwatchd exits 0 after SIGTERM" "$rc" 0
}

# block_expect DESCRIPTION GOT WANT
block_expect() {
	if [ "$2" = "$3" ]; then
		echo "ok   $1"
	else
		echo "FAIL $1"
		echo "  expected: $3"
		echo "  got:      $2"
		BLOCK_FAIL=1
	fi
}

# block_http NS URL [curl args...]: prints the HTTP status, 000 when nothing came back
block_http() {
	local ns=$1 url=$2
	shift 2
	lab_ns "$ns" curl -s -o /dev/null -m 2 --connect-timeout 2 -w '%{http_code}' "$@" "$url"
}

sql() { sqlite3 -cmd '.timeout 5000' "$db" "$@"; }

# block_rules: how many queue rules of this test's table are in the AP (the _hold tables); the
# tables are appended to the file $LW_BLOCK_RULES_LOG when that is set (the VM lab checks
# which family and statement the daemon used)
block_rules() {
	local fam name out t=lw${LAB_ID//[^a-zA-Z0-9]/}_hold
	out=$(lab_ns "$LAB_AP" nft list tables 2>/dev/null | grep "$t\$" |
		while read -r _ fam name; do
			lab_ns "$LAB_AP" nft list table "$fam" "$name" 2>/dev/null
		done)
	[ -n "${LW_BLOCK_RULES_LOG:-}" ] && [ -n "$out" ] && echo "$out" >>"$LW_BLOCK_RULES_LOG"
	[ -n "$out" ] || { echo 0; return 1; }
	grep -c "queue\|NFQUEUE" <<<"$out"
}

# block_table: 1 if this test's nft table exists in the AP
block_table() {
	lab_ns "$LAB_AP" nft list tables 2>/dev/null | grep -c "lw${LAB_ID//[^a-zA-Z0-9]/}\$"
}

block_sanitizer_check() {
	if grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$LAB_DIR/leakwatchd.log"; then
		echo "FAIL sanitizer report:"
		cat "$LAB_DIR/leakwatchd.log"
		BLOCK_FAIL=1
	fi
}
