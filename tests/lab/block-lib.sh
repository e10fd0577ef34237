# shellcheck shell=bash
# Helpers shared by the blocking lab tests (block-*.sh); source after lab.sh.
#
# The AP gets an address on br0 (192.0.2.2) and resolves through the upstream's dnsmasq, so
# that leakwatchd can look flagged names up itself, as on a real router.

BLOCK_FAIL=0

# block_ap_net: give the AP namespace an address, its default route (out through br0 to the
# upstream router: a bridged AP) and a resolver
block_ap_net() {
	lab_ns "$LAB_AP" ip addr add 192.0.2.2/24 dev br0
	lab_ns "$LAB_AP" ip route add default via 192.0.2.1 dev br0
	mkdir -p "/etc/netns/$LAB_AP"
	echo "nameserver 192.0.2.1" >"/etc/netns/$LAB_AP/resolv.conf"
}

# block_routed_ap_net: the routing AP (lab_up_routed) resolves through its own dnsmasq
block_routed_ap_net() {
	mkdir -p "/etc/netns/$LAB_AP"
	echo "nameserver 192.0.2.1" >"/etc/netns/$LAB_AP/resolv.conf"
}

# block_ms: milliseconds on a monotonic-enough clock
block_ms() { echo $(($(date +%s%N) / 1000000)); }

# block_meta KEY: the daemon's meta value (e.g. block.layout)
block_meta() { sql "SELECT value FROM meta WHERE key = '$1'"; }
# block_meta_empty KEY: "empty" when KEY is in meta with an empty value ("missing" when absent)
block_meta_empty() {
	sql "SELECT CASE WHEN count(*) = 0 THEN 'missing' WHEN max(value) = '' THEN 'empty'
		ELSE max(value) END FROM meta WHERE key = '$1'"
}

# block_wait_meta KEY PATTERN SECONDS: waits until meta KEY matches the grep -E PATTERN; prints
# the milliseconds from $BLOCK_T0 (set by block_start) to when it was seen, or "never"
block_wait_meta() {
	local end=$(($(block_ms) + $3 * 1000))
	while [ "$(block_ms)" -le "$end" ]; do
		if block_meta "$1" 2>/dev/null | grep -Eq "$2"; then
			echo $(($(block_ms) - BLOCK_T0))
			return 0
		fi
		sleep 0.05
	done
	echo never
	return 1
}

# block_until_elem ADDR in|out SECONDS: waits until ADDR is in (or out of) this test's ipv4
# set, whichever family the table is in; prints the milliseconds from the call, or "never"
block_until_elem() {
	local t0 end fam table=lw${LAB_ID//[^a-zA-Z0-9]/} in
	t0=$(block_ms)
	end=$((t0 + $3 * 1000))
	while :; do
		fam=$(block_meta block.family 2>/dev/null)
		in=out
		lab_ns "$LAB_AP" nft get element "${fam:-bridge}" "$table" ipv4 "{ $1 }" \
			>/dev/null 2>&1 && in=in
		if [ "$in" = "$2" ]; then
			echo $(($(block_ms) - t0))
			return 0
		fi
		[ "$(block_ms)" -gt "$end" ] && break
		sleep 0.02
	done
	echo never
	return 1
}

# block_within MS VALUE: "yes" when VALUE is a number of milliseconds no greater than MS
block_within() { [ "$2" != never ] && [ "$2" -le "$1" ] && echo yes; }

# block_reported_in_time MS: "yes" when MS (from the launch, as block_wait_meta prints it) is
# within BLOCK_REPORT_MS (default 1000) of the daemon being ready (its "capturing on" line, seen
# by block_start to 0.1 s), so that a slow machine's start-up time does not count
block_reported_in_time() {
	block_within $((${BLOCK_READY_MS:-0} + ${BLOCK_REPORT_MS:-1000})) "$1"
}

# block_open_conn NS ADDR PORT DOMAIN: a connection to ADDR:PORT (a reply server) kept open
# while DOMAIN is flagged; prints "B A L": the replies it got before the flag, those that came
# more than 0.5 s after ADDR was in the set (0: the open connection stopped too), and 1 when
# the connection was still sending then.  Unflags after.
block_open_conn() {
	local ns=$1 addr=$2 port=$3 domain=$4 out=$LAB_DIR/stream.$RANDOM t_flag t_in spid
	local settle=${BLOCK_SETTLE_S:-1} # (more on an emulated kernel: the client starts slower)
	lab_ns "$ns" python3 "$here/block_client.py" stream "$addr" "$port" $((4 * settle)) >"$out" &
	spid=$!
	# flagged once the connection has had a reply (20 s at most: a loaded machine starts the
	# client slowly), and half a settle later
	for _ in $(seq 200); do
		[ -s "$out" ] && break
		sleep 0.1
	done
	sleep "$(awk -v s="$settle" 'BEGIN { print 0.5 * s }')"
	t_flag=$(date +%s.%N)
	sql "INSERT INTO flagged(domain) VALUES ('$domain')"
	block_until_elem "$addr" in "${BLOCK_WAIT_S:-20}" >/dev/null
	t_in=$(date +%s.%N)
	wait "$spid"
	sql "DELETE FROM flagged WHERE domain = '$domain'"
	block_until_elem "$addr" out "${BLOCK_WAIT_S:-20}" >/dev/null
	# replies before the flag, replies after the address was in the set (+0.5 s), and whether
	# the connection was still trying then (else "none after" would prove nothing)
	awk -v f="$t_flag" -v i="$t_in" '$1 == "end" { alive = $2 > i + 0.5; next }
		$1 < f { b++ } $1 > i + 0.5 { a++ }
		END { print b + 0, a + 0, alive + 0 }' "$out"
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
	# emptied here: lab_bg truncates it in the background, after a first look could still find
	# the previous run's "capturing on"
	: >"$log"
	BLOCK_T0=$(block_ms)
	lab_bg "$LAB_AP" "$log" "$daemon" -i br0 --db "$db" -c "$conf" "$@"
	pid=${LAB_PIDS[-1]}
	for _ in $(seq "${BLOCK_START_TRIES:-300}"); do
		if grep -qs "capturing on" "$log"; then
			BLOCK_READY_MS=$(($(block_ms) - BLOCK_T0))
			return 0
		fi
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
	block_sanitizer_check # the next start empties the log
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
