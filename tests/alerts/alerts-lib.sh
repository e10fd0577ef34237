# shellcheck shell=bash
# The alerts tests' prologue (source it): one network namespace of their own with a veth pair
# (leakwatchd captures on cap0, tests/alerts/inject.py sends a capture's frames out of inj0),
# a work directory, and a mosquitto broker on 127.0.0.1 inside the namespace.  Everything is
# torn down on exit, even on failure; processes are stopped by PID.
#   alerts_need CMD...        skip (77) unless root and each command is there
#   alerts_up                 the namespace
#   alerts_broker CONF LOG    start mosquitto with CONF (its PID in BROKER_PID)
#   alerts_daemon LOG ARGS... start leakwatchd in the namespace (its PID in DAEMON_PID)
#   alerts_wait_log FILE TEXT [SECONDS]   wait for TEXT in FILE
NS=lw-alerts-$$
DIR=$(mktemp -d /tmp/leakwatch-alerts.XXXXXX)
PIDS=()
BROKER_PID=
DAEMON_PID=
fail=0

alerts_need() {
	local p
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root (network namespaces)"
		rm -rf "$DIR"
		exit 77
	fi
	for p in "$@"; do
		command -v "$p" >/dev/null && continue
		echo "needs $p"
		rm -rf "$DIR"
		exit 77
	done
}

alerts_cleanup() {
	local pid
	set +e
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}

alerts_up() {
	trap alerts_cleanup EXIT
	ip netns add "$NS" || exit 1
	ns ip link set lo up
	ns ip link add cap0 type veth peer name inj0
	ns ip link set cap0 up
	ns ip link set inj0 up
}

ns() { ip netns exec "$NS" "$@"; }

ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	fail=1
}

alerts_wait_log() { # FILE TEXT [SECONDS]
	local i
	for i in $(seq $((${3:-10} * 10))); do
		grep -qs -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

alerts_wait_port() { # PORT
	local i
	for i in $(seq 100); do
		ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

alerts_broker() { # CONF LOG
	# ip netns exec runs mosquitto in its own process (exec): $! is the broker's PID
	ip netns exec "$NS" mosquitto -c "$1" >"$2" 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
}

alerts_stop() { # PID: SIGTERM, wait for it, return its status
	local i
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	wait "$1"
}

alerts_daemon() { # LOG ARGS...
	local log=$1
	shift
	ip netns exec "$NS" "$@" >"$log" 2>&1 &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
}
