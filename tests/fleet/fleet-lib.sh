# shellcheck shell=bash
# The fleet tests' prologue (source it): a work directory, real servers on 127.0.0.1 at ports
# of this test's own — a 3-node NATS JetStream cluster and a PostgreSQL cluster made with
# initdb in the work directory, run as nobody — and the teardown of everything on exit, even on
# failure: every process stopped by its PID, the directory removed.
#   fleet_need CMD...         skip (77) unless root and each command is there
#   fleet_nats_up             start the three nats-server nodes (PIDs in NATS_PID[1..3])
#   fleet_nats_node N         start node N again (after a kill)
#   fleet_nats_down           stop the whole cluster (SIGTERM to each node, waited for)
#   fleet_nats_single NAME PORT   one nats-server of its own (JetStream, no cluster) on PORT,
#                             with the configuration read from stdin added (authorization,
#                             TLS, operator mode); its PID in NATS_PID[NAME], its log
#                             $DIR/NAME.log
#   fleet_pg_up               initdb, start PostgreSQL (PID in PG_PID; PG conninfo in PG)
#   fleet_up COLLECT          both, then COLLECT --init: the stream (3 replicas) and the tables
#   fleet_psql SQL            one query's result, unaligned, tuples only
#   fleet_stop PID            SIGTERM, wait for it (at most 20 s), then SIGKILL
#   fleet_forget PID          a process that is gone: not signalled at the end
#   fleet_make_db AP CAPTURE ROWS   $DIR/AP.db: leakwatchd ($daemon) replays $cases/CAPTURE.pcap,
#                             then ROWS synthetic dns rows are added (the daemon's own schema)
#   fleet_js req|pub SUBJECT [DATA]   a JetStream API request or a publish (jsapi.py), to the
#                             first node that answers
#   fleet_stream_ready        wait (30 tries) until the stream LEAKWATCH answers: after the
#                             whole cluster restarted, its leader is elected after the meta leader
# Sourced by a test called with LEAKWATCHD LEAKWATCH-PUSH LEAKWATCH-COLLECT [more]: those as
# $daemon, $push and $collect (unless the caller set $daemon), the golden captures' directory
# as $cases.
PG_BIN=/usr/lib/postgresql/15/bin
if [ -z "${daemon:-}" ]; then
	daemon=$(realpath "$1")
	push=$(realpath "$2")
	collect=$(realpath "$3")
fi
cases=${cases:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../golden/cases" && pwd)}
DIR=$(mktemp -d /tmp/leakwatch-fleet.XXXXXX)
PIDS=()
declare -A NATS_PID
PG_PID=
fail=0
# client ports BASE+1..3, cluster routes BASE+11..13, PostgreSQL BASE+20; single servers
# (fleet_nats_single) at BASE+4..9 as a test chooses
BASE=$((21000 + ($$ % 300) * 30))
SERVERS="nats://127.0.0.1:$((BASE + 1)),nats://127.0.0.1:$((BASE + 2)),nats://127.0.0.1:$((BASE + 3))"
PG="host=$DIR/pgsock port=$((BASE + 20)) user=lw dbname=postgres"

fleet_need() {
	local p
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root (PostgreSQL runs as nobody, started by root)"
		rm -rf "$DIR"
		exit 77
	fi
	for p in "$@"; do
		command -v "$p" >/dev/null && continue
		echo "needs $p"
		rm -rf "$DIR"
		exit 77
	done
	if [ ! -x "$PG_BIN/initdb" ]; then
		echo "needs PostgreSQL 15's server ($PG_BIN/initdb: postgresql-15)"
		rm -rf "$DIR"
		exit 77
	fi
	trap fleet_cleanup EXIT
}

fleet_stop() { # PID: SIGTERM, wait, SIGKILL
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for i in $(seq 200); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
}

# a process known to be gone leaves the list, so that the teardown never signals a PID the
# system may have given to another process since
fleet_forget() { # PID
	local i
	for i in "${!PIDS[@]}"; do
		[ "${PIDS[$i]}" = "$1" ] && unset 'PIDS[i]'
	done
	return 0
}

fleet_cleanup() {
	local pid
	set +e
	for pid in "${PIDS[@]}"; do
		fleet_stop "$pid"
	done
	rm -rf "$DIR"
}

ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	fail=1
}

fleet_wait_port() { # PORT [SECONDS]
	local i
	for i in $(seq $((${2:-10} * 10))); do
		bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

fleet_nats_node() { # N
	local n=$1
	cat >"$DIR/n$n.conf" <<CONF
server_name: n$n
listen: 127.0.0.1:$((BASE + n))
jetstream {
	store_dir: "$DIR/n$n"
	max_memory_store: 64MB
	max_file_store: 1GB
}
cluster {
	name: leakwatch-test
	listen: 127.0.0.1:$((BASE + 10 + n))
	routes: [
		nats-route://127.0.0.1:$((BASE + 11))
		nats-route://127.0.0.1:$((BASE + 12))
		nats-route://127.0.0.1:$((BASE + 13))
	]
}
CONF
	nats-server -c "$DIR/n$n.conf" >>"$DIR/n$n.log" 2>&1 &
	NATS_PID[$n]=$!
	PIDS+=("$!")
}

fleet_nats_up() {
	local n i
	for n in 1 2 3; do
		# a new log: the leader election below is looked for in it
		[ -e "$DIR/n$n.log" ] && mv "$DIR/n$n.log" "$DIR/n$n.log.old"
		fleet_nats_node "$n"
	done
	for n in 1 2 3; do
		fleet_wait_port $((BASE + n)) || {
			bad "nats-server n$n did not start"
			cat "$DIR/n$n.log"
			exit 1
		}
	done
	# JetStream answers once the cluster has elected its meta leader
	for i in $(seq 300); do
		grep -qs "JetStream cluster new metadata leader\|Self is new JetStream cluster metadata leader" \
			"$DIR"/n[123].log && return 0
		sleep 0.1
	done
	bad "the JetStream cluster elected no leader in 30 s"
	tail -n 5 "$DIR"/n[123].log
	exit 1
}

fleet_nats_down() {
	local n
	for n in 1 2 3; do
		kill -TERM "${NATS_PID[$n]}"
	done
	for n in 1 2 3; do
		wait "${NATS_PID[$n]}" 2>/dev/null
		fleet_forget "${NATS_PID[$n]}"
	done
}

fleet_nats_single() { # NAME PORT <EXTRA-CONFIGURATION
	{
		printf 'server_name: %s\nlisten: 127.0.0.1:%s\n' "$1" "$2"
		printf 'jetstream {\n\tstore_dir: "%s"\n\tmax_memory_store: 64MB\n' "$DIR/$1"
		printf '\tmax_file_store: 1GB\n}\n'
		cat
	} >"$DIR/$1.conf"
	nats-server -c "$DIR/$1.conf" >>"$DIR/$1.log" 2>&1 &
	NATS_PID[$1]=$!
	PIDS+=("$!")
	fleet_wait_port "$2" || {
		bad "nats-server $1 did not start"
		cat "$DIR/$1.log"
		exit 1
	}
}

fleet_pg_up() {
	mkdir -p "$DIR/pg" "$DIR/pgsock" "$DIR/pglog"
	chown nobody "$DIR/pg" "$DIR/pgsock" "$DIR/pglog"
	# the work directory is root's 0700 from mktemp: nobody needs to enter it
	chmod 0711 "$DIR"
	runuser -u nobody -- "$PG_BIN/initdb" -D "$DIR/pg" -U lw --auth=trust -E UTF8 \
		--locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
		bad "initdb failed"
		cat "$DIR/initdb.log"
		exit 1
	}
	fleet_pg_start
}

fleet_pg_start() {
	runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pglog/pg.log" -w -t 30 \
		-o "-p $((BASE + 20)) -k $DIR/pgsock -c listen_addresses=''" start >/dev/null || {
		bad "PostgreSQL did not start"
		cat "$DIR/pglog/pg.log"
		exit 1
	}
	PG_PID=$(head -1 "$DIR/pg/postmaster.pid")
	PIDS+=("$PG_PID")
}

fleet_make_db() { # AP CAPTURE ROWS
	"$daemon" -q -r "$cases/$2.pcap" --db "$DIR/$1.db" >"$DIR/$1.log" 2>&1 || {
		bad "leakwatchd -r $2.pcap failed"
		cat "$DIR/$1.log"
		exit 1
	}
	sqlite3 "$DIR/$1.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
		WHERE i < $3) INSERT INTO dns(ts, mac, client_ip, server_ip, qname, qtype, rcode,
		answers, ttl) SELECT 1700000000 + i * 0.25, '02:00:00:00:00:' || printf('%02x', i % 7),
		'192.0.2.' || (i % 200), '198.51.100.53', 'host' || i || '.example.com', 1, 0,
		'203.0.113.' || (i % 250), 300 FROM n" || exit 1
}

fleet_js() { # req|pub SUBJECT [DATA]
	local n rc=2
	for n in 1 2 3; do
		python3 "$(dirname "${BASH_SOURCE[0]}")/jsapi.py" $((BASE + n)) "$@"
		rc=$?
		[ "$rc" -ne 2 ] && return "$rc"
	done
	return "$rc"
}

fleet_stream_ready() {
	local _
	for _ in $(seq 30); do
		JSAPI_TIMEOUT=2 fleet_js req '$JS.API.STREAM.INFO.LEAKWATCH' >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}

fleet_psql() { # SQL
	psql "$PG" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

fleet_up() { # LEAKWATCH-COLLECT
	fleet_nats_up
	fleet_pg_up
	"$1" --servers "$SERVERS" --pg "$PG" --replicas 3 --init || {
		bad "leakwatch-collect --init failed"
		tail -n 3 "$DIR"/n[123].log
		exit 1
	}
}
